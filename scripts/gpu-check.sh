#!/usr/bin/env bash
# Proves that Dəzgah's CUDA build trains on a GPU, and measures it. Run it on the GPU machine
# with the binary scripts/build-cuda.sh made (and its CUDA libraries beside it):
#
#   scripts/gpu-check.sh [--bin PATH] [--out DIR] [--device cuda:0] [--budget SECS] [--smoke]
#
# Every run is started as the Training form starts one (`dezgah train --config run.toml --out
# RUN_DIR`) and read back from its metrics.jsonl. In about 8 minutes it
#   1. trains the tiny preset 200 steps on the GPU in f32 and in bf16 and on the CPU in f32,
#      from the same seed and data: the f32 curves must agree within 1e-3 per step over the first
#      50 steps; bf16 within 0.05 per step over them and within 2% on the mean of the last 50
#      (the tail);
#   2. kills a GPU f32 run with SIGKILL after its step-100 checkpoint, resumes it, and checks
#      the resumed curve is the uninterrupted one (within 1e-4) with no step twice;
#   3. measures tokens/s, peak GPU memory and MFU (model FLOPs per second / the GPU's bf16 dense
#      peak) in bf16 for the `medium` preset's shape with a 32k vocabulary (~126M) and for
#      TinyLlama's 1.1B shape, each at the largest batch (of those tried, doubling) that fits;
#   4. measures generation tokens/s of the 126M model (greedy, 256 tokens; GPU and CPU).
# Figures go to OUT/summary.json (and one JSON file per part); the log to OUT/log.txt. It exits 0
# only when every check passed.
#
# --smoke runs the same steps with small shapes and few steps, so the script itself can be
# checked on a CPU build (`--device cpu --smoke`), as the test suite does.
# --budget (default 480 s) is the time it may take; parts that would not fit are skipped and
# say so. GPU_PEAK_TFLOPS overrides the peak the MFU divides by (known: H100/H200 SXM 989.4,
# H100 PCIe 756, H100 NVL 835, A100 312; bf16 dense, no sparsity).
#
# Where the binary came from another machine: put the CUDA libraries (cuBLAS, cuRAND, NVRTC;
# `cp -rL target/cuda-toolkit/cuda/lib`) in a folder `cuda-lib` beside it, or on
# LD_LIBRARY_PATH.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/target/release/dezgah"
out="$root/target/gpu-check"
device="cuda:0"
budget=480
smoke=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --smoke) smoke=1; shift ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "gpu-check: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$bin" ] || { echo "gpu-check: no binary at $bin (build it with scripts/build-cuda.sh, or pass --bin)" >&2; exit 2; }
bin=$(realpath "$bin")
for lib in "$(dirname "$bin")/cuda-lib" "$root/target/cuda-toolkit/cuda/lib"; do
  [ -d "$lib" ] && export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
done
mkdir -p "$out"
out=$(realpath "$out")
work="$out/work"
rm -rf "$work"
mkdir -p "$work"
: > "$out/log.txt"
start=$(date +%s)
failures=0

log() { printf '[%4ds] %s\n' "$(( $(date +%s) - start ))" "$*" | tee -a "$out/log.txt" >&2; }
fail() { log "FAIL: $*"; failures=$((failures + 1)); }
left() { echo $(( budget - ($(date +%s) - start) )); }

on_gpu=0
case "$device" in cuda|cuda:*) on_gpu=1 ;; esac
gpu_index=${device#cuda:}
[ "$gpu_index" = cuda ] && gpu_index=0

# --- The machine -------------------------------------------------------------------------
gpu_name="none"
gpu_total_mb=0
if [ "$on_gpu" = 1 ]; then
  command -v nvidia-smi >/dev/null || { echo "gpu-check: nvidia-smi not found: is the NVIDIA driver installed?" >&2; exit 2; }
  IFS=',' read -r gpu_name gpu_total_mb < <(nvidia-smi -i "$gpu_index" --query-gpu=name,memory.total --format=csv,noheader,nounits | head -1)
  gpu_name=$(echo "$gpu_name" | sed 's/^ *//; s/ *$//')
  gpu_total_mb=$(echo "$gpu_total_mb" | tr -dc 0-9)
fi
peak_tflops=${GPU_PEAK_TFLOPS:-}
if [ -z "$peak_tflops" ]; then
  case "$gpu_name" in
    *H200*|*H100*SXM*|*"H100 80GB HBM3"*) peak_tflops=989.4 ;;
    *H100*NVL*) peak_tflops=835 ;;
    *H100*PCIe*|*H100*) peak_tflops=756 ;;
    *A100*) peak_tflops=312 ;;
    *) peak_tflops=0 ;;
  esac
fi
log "binary $bin; device $device ($gpu_name, ${gpu_total_mb} MiB); bf16 peak ${peak_tflops} TFLOP/s; budget ${budget}s"

# Memory in use, in MiB: the GPU's whole used memory (a container may not see the PIDs that
# nvidia-smi lists per process, so the check takes the rise over the idle reading), or the
# process's peak resident set on the CPU.
gpu_used_mb() { nvidia-smi -i "$gpu_index" --query-gpu=memory.used --format=csv,noheader,nounits | head -1 | tr -dc 0-9; }
idle_mb=0
[ "$on_gpu" = 1 ] && idle_mb=$(gpu_used_mb)
mem_now() {
  if [ "$on_gpu" = 1 ]; then
    echo $(( $(gpu_used_mb) - idle_mb ))
  else
    awk '/^VmHWM:/ { print int($2 / 1024) }' "/proc/$1/status" 2>/dev/null || echo 0
  fi
}

# --- Data: the sample workspace's corpora, the same text on every machine ------------------
data="$work/data.txt"
copies=30
[ "$smoke" = 1 ] && copies=4
for _ in $(seq "$copies"); do cat "$root"/datasets/sample/seed/corpora/*.txt; done > "$data"
tok="$work/tokenizer.json"
"$bin" tokenizer train --workspace "$work/ws" --vocab 8000 --out "$tok" "$data" >"$work/tokenizer.log" 2>&1 \
  || { cat "$work/tokenizer.log" >&2; echo "gpu-check: the tokenizer could not be trained" >&2; exit 1; }
log "data: $(wc -c < "$data") bytes; $(tail -1 "$work/tokenizer.log")"

# A run configuration as the Training form writes one (config.toml of a run folder).
# write_config FILE DEVICE DTYPE STEPS BATCH SEQ EVAL_EVERY CHECKPOINT_EVERY [MODEL_TABLE]
write_config() {
  cat > "$1" <<EOF
stage = "pretrain"
data = ["$data"]
tokenizer = "$tok"
preset = "tiny"
device = "$2"
dtype = "$3"
seed = 1234
log_every = 1
eval_every = $7
eval_batches = 2
sample_every = 0
checkpoint_every = $8
keep_checkpoints = 3

[optim]
max_steps = $4
batch_size = $5
seq_len = $6
warmup_steps = 20
${9:-}
EOF
}

# model_table HIDDEN INTERMEDIATE LAYERS HEADS KV_HEADS VOCAB CONTEXT TIED
model_table() {
  printf '[model]\nhidden_size = %s\nintermediate_size = %s\nnum_hidden_layers = %s\nnum_attention_heads = %s\nnum_key_value_heads = %s\nvocab_size = %s\nmax_position_embeddings = %s\ntie_word_embeddings = %s\nrope_theta = 10000.0\nrms_norm_eps = 1e-5\nnum_local_experts = 0\nnum_experts_per_tok = 2\nrouter_aux_loss_coef = 0.01\n' "$@"
}

metrics_lines() { if [ -f "$1/metrics.jsonl" ]; then wc -l < "$1/metrics.jsonl"; else echo 0; fi; }

# Why a run ended early: the first line of its error, from status.json or stderr.
why() {
  local msg=""
  if [ -f "$1/status.json" ]; then
    msg=$(grep -o '"message": *"[^"]*' "$1/status.json" | head -1 | sed 's/.*: *"//' || true)
  fi
  if [ -z "$msg" ] && [ -f "$1.stderr" ]; then
    msg=$(grep -v '^[[:space:]]*$' "$1.stderr" | head -1 || true)
  fi
  printf '%s' "${msg:-no message}" | tr -d '"\\' | cut -c1-300
}

# train_run DIR CONFIG: a whole run in the foreground; 0 when it finished.
train_run() {
  "$bin" train --config "$2" --out "$1" >"$1.events" 2>"$1.stderr"
}

# max_abs_diff A B FIRST LAST: the largest |loss_A - loss_B| over steps FIRST..LAST that both
# logged, and how many steps were compared ("DIFF COUNT").
max_abs_diff() {
  awk -v lo="$3" -v hi="$4" '
    function num(line, key,   pat) {
      pat = "\"" key "\":[-+0-9.eE]+"
      if (match(line, pat)) return substr(line, RSTART + length(key) + 3, RLENGTH - length(key) - 3) + 0
      return ""
    }
    FNR == NR { s = num($0, "step"); if (s != "" && s >= lo && s <= hi) a[s] = num($0, "loss"); next }
    { s = num($0, "step"); if (s != "" && s >= lo && s <= hi && (s in a)) {
        d = a[s] - num($0, "loss"); if (d < 0) d = -d; if (d > mx) mx = d; n++ } }
    END { printf "%.6g %d\n", mx + 0, n + 0 }' "$1" "$2"
}

# mean_loss FILE FIRST LAST
mean_loss() {
  awk -v lo="$2" -v hi="$3" '
    match($0, /"step":[0-9]+/) { s = substr($0, RSTART + 7, RLENGTH - 7) + 0 }
    s >= lo && s <= hi && match($0, /"loss":[-+0-9.eE]+/) { t += substr($0, RSTART + 7, RLENGTH - 7); n++ }
    END { if (n) printf "%.6f\n", t / n; else print "null" }' "$1"
}

# awk's arithmetic on two or more numbers: calc 'a / b' A B
calc() { awk -v a="${2:-0}" -v b="${3:-0}" -v c="${4:-0}" "BEGIN { printf \"%.6g\", $1 }"; }
ok_below() { awk -v x="$1" -v lim="$2" 'BEGIN { exit !(x <= lim) }'; }

# --- 1. Loss curves: GPU f32, GPU bf16, CPU f32 ---------------------------------------------
tiny_steps=200 tiny_batch=16 tiny_seq=128 compare_to=50
[ "$smoke" = 1 ] && tiny_steps=24 tiny_batch=2 tiny_seq=16 compare_to=20
curves_json="{}"
declare -A curve_ok
for spec in "gpu-f32:$device:f32" "gpu-bf16:$device:bf16" "cpu-f32:cpu:f32"; do
  IFS=: read -r name dev dtype <<<"$spec"
  write_config "$work/$name.toml" "$dev" "$dtype" "$tiny_steps" "$tiny_batch" "$tiny_seq" 50 50
  t0=$(date +%s.%N)
  if train_run "$work/$name" "$work/$name.toml"; then
    curve_ok[$name]=1
    log "tiny $name: $(metrics_lines "$work/$name") steps in $(calc 'a - b' "$(date +%s.%N)" "$t0") s, last loss $(mean_loss "$work/$name/metrics.jsonl" "$tiny_steps" "$tiny_steps")"
  else
    curve_ok[$name]=0
    fail "tiny $name did not finish: $(why "$work/$name")"
  fi
done
f32_diff="null" f32_n=0 bf16_diff="null" bf16_n=0 bf16_tail_rel="null"
if [ "${curve_ok[gpu-f32]}" = 1 ] && [ "${curve_ok[cpu-f32]}" = 1 ]; then
  read -r f32_diff f32_n < <(max_abs_diff "$work/gpu-f32/metrics.jsonl" "$work/cpu-f32/metrics.jsonl" 1 "$compare_to")
  if [ "$f32_n" -eq "$compare_to" ] && ok_below "$f32_diff" 1e-3; then
    log "f32 GPU vs CPU: max |Δloss| $f32_diff over the first $f32_n steps (limit 1e-3)"
  else
    fail "f32 GPU vs CPU: max |Δloss| $f32_diff over $f32_n of the first $compare_to steps (limit 1e-3)"
  fi
fi
if [ "${curve_ok[gpu-bf16]}" = 1 ] && [ "${curve_ok[cpu-f32]}" = 1 ]; then
  read -r bf16_diff bf16_n < <(max_abs_diff "$work/gpu-bf16/metrics.jsonl" "$work/cpu-f32/metrics.jsonl" 1 "$compare_to")
  tail_from=$((tiny_steps - compare_to + 1))
  bf16_tail_rel=$(calc '(a - b) / b' "$(mean_loss "$work/gpu-bf16/metrics.jsonl" "$tail_from" "$tiny_steps")" "$(mean_loss "$work/cpu-f32/metrics.jsonl" "$tail_from" "$tiny_steps")")
  tail_abs=${bf16_tail_rel#-}
  if [ "$bf16_n" -eq "$compare_to" ] && ok_below "$bf16_diff" 0.05 && ok_below "$tail_abs" 0.02; then
    log "bf16 GPU vs f32 CPU: max |Δloss| $bf16_diff over the first $bf16_n steps (limit 0.05); mean of the last $compare_to off by $bf16_tail_rel (limit ±0.02)"
  else
    fail "bf16 GPU vs f32 CPU: max |Δloss| $bf16_diff over $bf16_n steps (limit 0.05), last-$compare_to mean off by $bf16_tail_rel (limit ±0.02)"
  fi
fi
curves_json=$(printf '{"steps": %s, "batch": %s, "seq_len": %s, "compared_steps": %s, "f32_gpu_vs_cpu_max_abs_diff": %s, "f32_limit": 1e-3, "bf16_gpu_vs_f32_cpu_max_abs_diff": %s, "bf16_limit": 0.05, "bf16_tail_mean_relative_diff": %s, "bf16_tail_limit": 0.02}' \
  "$tiny_steps" "$tiny_batch" "$tiny_seq" "$compare_to" "$f32_diff" "$bf16_diff" "$bf16_tail_rel")
echo "$curves_json" > "$out/curves.json"

# --- 2. Kill after a checkpoint, resume, same curve -------------------------------------------
resume_json='{"skipped": true}'
kill_after=$((tiny_steps / 2 + tiny_steps / 20))
if [ "${curve_ok[gpu-f32]}" = 1 ]; then
  dir="$work/resume"
  write_config "$work/resume.toml" "$device" f32 "$tiny_steps" "$tiny_batch" "$tiny_seq" 50 $((tiny_steps / 4))
  "$bin" train --config "$work/resume.toml" --out "$dir" >"$dir.events" 2>"$dir.stderr" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null && [ "$(metrics_lines "$dir")" -lt "$kill_after" ]; do sleep 0.01; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  killed_at=$(metrics_lines "$dir")
  [ "$killed_at" -lt "$tiny_steps" ] || fail "resume: the run ended (step $killed_at) before it could be killed"
  if "$bin" train --resume "$dir" >"$dir.resume.events" 2>"$dir.resume.stderr"; then
    read -r resume_diff resume_n < <(max_abs_diff "$dir/metrics.jsonl" "$work/gpu-f32/metrics.jsonl" 1 "$tiny_steps")
    steps_logged=$(grep -c '"step"' "$dir/metrics.jsonl" || true)
    distinct=$(grep -o '"step":[0-9]*' "$dir/metrics.jsonl" | sort -u | wc -l)
    resumed_from=$(grep -o '"resumed_from":[0-9]*' "$dir.resume.events" | head -1 | cut -d: -f2 || true)
    if [ "$steps_logged" -eq "$tiny_steps" ] && [ "$distinct" -eq "$tiny_steps" ] && [ "$resume_n" -eq "$tiny_steps" ] && ok_below "$resume_diff" 1e-4; then
      log "resume: killed after step $killed_at, resumed from ${resumed_from:-?}; $steps_logged steps, each once; max |Δloss| against the uninterrupted run $resume_diff"
    else
      fail "resume: killed after step $killed_at, resumed from ${resumed_from:-?}: $steps_logged lines, $distinct distinct steps, max |Δloss| $resume_diff over $resume_n steps"
    fi
    resume_json=$(printf '{"killed_after_step": %s, "resumed_from": %s, "steps_logged": %s, "distinct_steps": %s, "max_abs_diff_vs_uninterrupted": %s}' \
      "$killed_at" "${resumed_from:-null}" "$steps_logged" "$distinct" "$resume_diff")
  else
    fail "resume after SIGKILL failed: $(why "$dir")"
  fi
fi
echo "$resume_json" > "$out/resume.json"

# --- 3. Throughput, memory and MFU in bf16 at the largest batch that fits ---------------------
# flops_per_token HIDDEN INTERMEDIATE LAYERS HEADS KV VOCAB SEQ: 6 × the parameters of every
# matmul (the output head included, the input embedding's lookup not) + 12·L·h·T for attention
# scores and their weighting (PaLM's count; the causal half is not discounted).
flops_per_token() {
  awk -v h="$1" -v i="$2" -v l="$3" -v nh="$4" -v kv="$5" -v v="$6" -v t="$7" 'BEGIN {
    kvw = kv * h / nh
    per_layer = 2 * h * h + 2 * h * kvw + 3 * h * i
    printf "%.0f", 6 * (l * per_layer + v * h) + 12 * l * h * t }'
}
params_of() {
  awk -v h="$1" -v i="$2" -v l="$3" -v nh="$4" -v kv="$5" -v v="$6" -v tied="$7" 'BEGIN {
    kvw = kv * h / nh
    per_layer = 2 * h * h + 2 * h * kvw + 3 * h * i + 2 * h
    printf "%.0f", v * h + l * per_layer + h + (tied == "true" ? 0 : v * h) }'
}

# throughput NAME "SHAPE" SEQ "BATCHES" WARM MEASURE: tries each batch (ascending) until one
# fails; writes OUT/NAME.json with every trial and the largest that fit.
throughput() {
  local name=$1 shape=$2 seq=$3 batches=$4 warm=$5 measure=$6
  local h i l nh kv v ctx tied
  read -r h i l nh kv v ctx tied <<<"$shape"
  local params fpt trials="" best_batch=0 best_tps=0 best_mem=0 need=$((warm + measure))
  params=$(params_of "$h" "$i" "$l" "$nh" "$kv" "$v" "$tied")
  fpt=$(flops_per_token "$h" "$i" "$l" "$nh" "$kv" "$v" "$seq")
  for b in $batches; do
    if [ "$(left)" -lt 60 ]; then
      log "$name: batch $b skipped, $(left) s of the budget left"
      break
    fi
    local dir="$work/$name-b$b"
    write_config "$dir.toml" "$device" bf16 100000 "$b" "$seq" 0 0 "$(model_table "$h" "$i" "$l" "$nh" "$kv" "$v" "$ctx" "$tied")"
    "$bin" train --config "$dir.toml" --out "$dir" >"$dir.events" 2>"$dir.stderr" &
    local pid=$! peak=0 m deadline=$(( $(date +%s) + $(left) - 30 ))
    while kill -0 "$pid" 2>/dev/null && [ "$(metrics_lines "$dir")" -lt "$need" ] && [ "$(date +%s)" -lt "$deadline" ]; do
      m=$(mem_now "$pid"); [ "${m:-0}" -gt "$peak" ] && peak=$m
      sleep 0.2
    done
    m=$(mem_now "$pid"); [ "${m:-0}" -gt "$peak" ] && peak=$m
    local done_steps
    done_steps=$(metrics_lines "$dir")
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ "$done_steps" -lt "$need" ]; then
      local reason
      reason=$(why "$dir")
      log "$name: batch $b did not fit or did not finish ($done_steps of $need steps): $reason"
      trials="$trials{\"batch\": $b, \"fits\": false, \"error\": \"$reason\"},"
      break
    fi
    # Steps after the warm-up, each B·T tokens: tokens/s is the harmonic mean of the steps'.
    local tps
    tps=$(awk -v warm="$warm" -v need="$need" '
      match($0, /"step":[0-9]+/) { s = substr($0, RSTART + 7, RLENGTH - 7) + 0 }
      s > warm && s <= need && match($0, /"tokens_per_sec":[-+0-9.eE]+/) { inv += 1 / substr($0, RSTART + 17, RLENGTH - 17); n++ }
      END { printf "%.1f", n / inv }' "$dir/metrics.jsonl")
    local mfu="null"
    if [ "$on_gpu" = 1 ] && [ "$peak_tflops" != 0 ]; then
      mfu=$(calc 'a * b / (c * 1e12)' "$tps" "$fpt" "$peak_tflops")
    fi
    log "$name$stand_in ($params parameters): batch $b × $seq: $tps tokens/s, peak memory $peak MiB, MFU $mfu"
    trials="$trials{\"batch\": $b, \"fits\": true, \"tokens_per_sec\": $tps, \"peak_memory_mib\": $peak, \"mfu\": $mfu},"
    best_batch=$b best_tps=$tps best_mem=$peak
    rm -rf "$dir"
  done
  local best_mfu="null"
  if [ "$on_gpu" = 1 ] && [ "$peak_tflops" != 0 ] && [ "$best_batch" -gt 0 ]; then
    best_mfu=$(calc 'a * b / (c * 1e12)' "$best_tps" "$fpt" "$peak_tflops")
  fi
  [ "$best_batch" -gt 0 ] || fail "$name: no batch size trained"
  printf '{"name": "%s", "parameters": %s, "hidden": %s, "intermediate": %s, "layers": %s, "heads": %s, "kv_heads": %s, "vocab": %s, "tied": %s, "seq_len": %s, "dtype": "bf16", "flops_per_token": %s, "peak_tflops": %s, "batch": %s, "tokens_per_sec": %s, "peak_memory_mib": %s, "mfu": %s, "trials": [%s]}\n' \
    "$name" "$params" "$h" "$i" "$l" "$nh" "$kv" "$v" "$tied" "$seq" "$fpt" "$peak_tflops" "$best_batch" "$best_tps" "$best_mem" "$best_mfu" "${trials%,}" > "$out/$name.json"
}

stand_in=""
if [ "$smoke" = 1 ]; then
  stand_in=" stand-in"
  # Stand-ins of the same code path: two small shapes, two batch sizes.
  medium_shape="64 192 2 4 2 8192 128 false" medium_seq=32 medium_batches="2 4"
  big_shape="96 256 2 4 2 8192 128 false" big_seq=32 big_batches="2"
  warm=1 measure=2
else
  # medium: 12 × 768, 12/4 heads, SwiGLU 2048, untied, vocabulary 32768 (~126M parameters).
  medium_shape="768 2048 12 12 4 32768 1024 false" medium_seq=1024 medium_batches="16 32 64 128"
  # TinyLlama's shape: 22 × 2048, 32/4 heads, SwiGLU 5632, untied, vocabulary 32000 (1.1B).
  big_shape="2048 5632 22 32 4 32000 2048 false" big_seq=1024 big_batches="8 16 32 64"
  warm=3 measure=10
fi
throughput medium "$medium_shape" "$medium_seq" "$medium_batches" "$warm" "$measure"
throughput 1b "$big_shape" "$big_seq" "$big_batches" "$warm" "$measure"

# --- 4. Generation tokens/s of the medium model -------------------------------------------------
gen_json='{"skipped": true}'
if [ "$(left)" -gt 45 ]; then
  read -r h i l nh kv v ctx tied <<<"$medium_shape"
  dir="$work/gen-model"
  write_config "$dir.toml" "$device" bf16 2 2 "$medium_seq" 0 0 "$(model_table "$h" "$i" "$l" "$nh" "$kv" "$v" "$ctx" "$tied")"
  gen_tokens=256
  [ "$smoke" = 1 ] && gen_tokens=32
  if train_run "$dir" "$dir.toml"; then
    gen_speed() { # DEVICE → tokens/s of the second of two runs (the first pays for start-up)
      local s=""
      for _ in 1 2; do
        s=$("$bin" generate --run "$dir" --checkpoint last --device "$1" --prompt "Azərbaycan" \
          --max-tokens "$gen_tokens" --temperature 0 2>&1 >/dev/null | grep -o '[0-9.]* tokens/s' | cut -d' ' -f1 || true)
      done
      echo "${s:-null}"
    }
    gen_dev=$(gen_speed "$device")
    gen_cpu=$(gen_speed cpu)
    log "generation, medium model, greedy $gen_tokens tokens: $gen_dev tokens/s on $device, $gen_cpu on the CPU"
    [ "$gen_dev" = null ] && fail "generation on $device failed: $(tail -1 "$dir.stderr" 2>/dev/null)"
    gen_json=$(printf '{"model": "medium", "max_tokens": %s, "tokens_per_sec": %s, "cpu_tokens_per_sec": %s}' "$gen_tokens" "$gen_dev" "$gen_cpu")
  else
    fail "the model for generation did not train: $(why "$dir")"
  fi
else
  log "generation skipped: $(left) s of the budget left"
fi
echo "$gen_json" > "$out/generation.json"

elapsed=$(( $(date +%s) - start ))
printf '{"device": "%s", "gpu": "%s", "gpu_memory_mib": %s, "peak_bf16_tflops": %s, "smoke": %s, "elapsed_secs": %s, "failures": %s,\n "curves": %s,\n "resume": %s,\n "medium": %s,\n "1b": %s,\n "generation": %s}\n' \
  "$device" "$gpu_name" "${gpu_total_mb:-0}" "$peak_tflops" "$([ "$smoke" = 1 ] && echo true || echo false)" "$elapsed" "$failures" \
  "$curves_json" "$resume_json" "$(cat "$out/medium.json")" "$(cat "$out/1b.json")" "$gen_json" > "$out/summary.json"
log "done in ${elapsed}s with $failures failure(s): $out/summary.json"
[ "$failures" -eq 0 ]
