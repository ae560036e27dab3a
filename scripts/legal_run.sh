#!/usr/bin/env bash
# The training engine's "done means", end to end on the CLI: a 16k Unigram tokenizer on the
# shared legal corpus, pretraining the `mini` preset with train and validation loss, a SIGKILL
# mid-run and --resume, generation, then SFT and DPO on a copy of the sample workspace.
# Needs ../shared/corpora/az/legal (development data, not in the repository).
#
#   scripts/legal_run.sh [OUT_DIR] [STEPS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-/tmp/dezgah-legal}
STEPS=${2:-400}
LEGAL="$ROOT/../shared/corpora/az/legal"
BIN="$ROOT/target/release/dezgah"
[ -d "$LEGAL" ] || { echo "no $LEGAL: the shared corpora are not here"; exit 0; }
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release)
rm -rf "$OUT"; mkdir -p "$OUT"
"$BIN" tokenizer train --kind unigram --vocab 16000 --out "$OUT/legal16k.json" "$LEGAL"
run=("$BIN" train pretrain --data "$LEGAL" --tokenizer "$OUT/legal16k.json" --preset mini
     --max-steps "$STEPS" --eval-every 25 --checkpoint-every 50 --sample-every 100
     --sample-prompt "Azərbaycan Respublikasının" --sample-prompt "Maddə 1." --out "$OUT/pretrain")
# Kill it hard a little after its third checkpoint, then resume.
"${run[@]}" > "$OUT/events-1.jsonl" &
pid=$!
while [ "$(grep -c '"event":"checkpoint"' "$OUT/events-1.jsonl" 2>/dev/null || true)" -lt 3 ]; do
  kill -0 $pid 2>/dev/null || break; sleep 2
done
sleep 5; kill -9 $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
echo "killed after: $(grep '"event":"metrics"' "$OUT/events-1.jsonl" | tail -1)"
"$BIN" train --resume "$OUT/pretrain" > "$OUT/events-2.jsonl"
python3 - "$OUT/pretrain/metrics.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if "val_loss" in m:
        print("step %4d  loss %.3f  val %.3f  %5.0f tok/s" % (m["step"], m["loss"], m["val_loss"], m["tokens_per_sec"]))
PY
"$BIN" generate --run "$OUT/pretrain" --prompt "Azərbaycan Respublikasının" --max-tokens 60 --seed 1
"$BIN" eval --run "$OUT/pretrain" --data "$LEGAL/Azərbaycan Respublikasının Ailə Məcəlləsi.md"
# SFT and DPO on a copy of the sample workspace (its ready examples, its preference pairs).
cp -r "$ROOT/datasets/sample" "$OUT/workspace"
"$BIN" train sft --data "$OUT/workspace" --tokenizer "$OUT/legal16k.json" --init "$OUT/pretrain" \
  --max-steps 60 --seq-len 128 --eval-every 20 --sample-every 60 --sample-prompt "Azərbaycanın paytaxtı hansı şəhərdir?" \
  --out "$OUT/sft" | grep -E '"finished"|"sample"'
"$BIN" train dpo --data "$OUT/workspace" --tokenizer "$OUT/legal16k.json" --init "$OUT/sft" \
  --max-steps 30 --seq-len 128 --eval-every 10 --sample-every 30 --sample-prompt "Azərbaycanın paytaxtı hansı şəhərdir?" \
  --out "$OUT/dpo" | grep -E '"finished"|"sample"|"step":30'
"$BIN" generate --run "$OUT/dpo" --chat --prompt "Azərbaycanın paytaxtı hansı şəhərdir?" --max-tokens 40 --seed 1
