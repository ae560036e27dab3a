#!/usr/bin/env python3
"""Checks Dəzgah's exports against the tools that will load them.

    python3 scripts/check_export.py --run RUN_DIR [--hf HF_DIR] [--gguf MODEL.gguf] \
        [--text-file CORPUS.txt] [--dezgah target/release/dezgah]

- Hugging Face folder: `transformers` loads it with AutoModelForCausalLM and
  AutoTokenizer; its token ids must equal Dəzgah's and its logits must match within 1e-4
  (f32 export).
- GGUF: the `gguf` package reads its metadata; `llama-cpp-python` loads it, tokenizes every
  line of the corpus sample exactly as Dəzgah does (lines the Azerbaijani normaliser would
  change are counted apart: llama.cpp does not normalise), and its logits for the first
  tokens are close to Dəzgah's.

Needs: pip install torch transformers gguf llama-cpp-python. Exits non-zero on any mismatch.
Not part of the default test command (it needs these Python packages).
"""

import argparse
import json
import subprocess
import sys
import unicodedata

import numpy as np

LOOK_ALIKES = "\u04d9\u04d8\u01dd\u018e"


def dezgah_logits(exe, run, text):
    out = subprocess.run(
        [exe, "export", "logits", "--run", run, "--text", text],
        check=True, capture_output=True, text=True,
    ).stdout
    data = json.loads(out)
    return data["ids"], np.array(data["logits"], dtype=np.float32)


def dezgah_ids(exe, tokenizer, text):
    out = subprocess.run(
        [exe, "tokenizer", "encode", "--tokenizer", tokenizer, "-"],
        input=text, check=True, capture_output=True, text=True,
    ).stdout
    data = json.loads(out)
    return data["ids"], data["tokens"]


def byte_piece(token):
    return len(token) == 6 and token.startswith("<0x") and token.endswith(">")


def changed_by_normaliser(line):
    return unicodedata.normalize("NFC", line) != line or any(c in line for c in LOOK_ALIKES)


def check_hf(args, text, ours_ids, ours_logits):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(args.hf)
    model = AutoModelForCausalLM.from_pretrained(args.hf, dtype=torch.float32)
    model.eval()
    ids = tok(text, add_special_tokens=False)["input_ids"]
    theirs = [tok.bos_token_id] + ids
    ok = True
    if theirs != ours_ids:
        print(f"HF: token ids differ\n  dezgah       {ours_ids}\n  transformers {theirs}")
        ok = False
    with torch.no_grad():
        logits = model(torch.tensor([ours_ids])).logits[0].float().numpy()
    diff = float(np.abs(logits - ours_logits).max())
    print(f"HF: {len(ours_ids)} tokens, max |logit difference| = {diff:.2e} (goal < 1e-4)")
    ok &= diff < 1e-4
    # The chat template renders as in training.
    messages = [{"role": "user", "content": "Salam!"}]
    rendered = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    want = "<|user|>\nSalam!<|end|>\n<|assistant|>\n"
    print(f"HF: chat template renders {rendered!r}")
    ok &= rendered == want
    return ok


def check_gguf(args, text, ours_ids, ours_logits, lines, tokenizer):
    import gguf
    from llama_cpp import Llama

    reader = gguf.GGUFReader(args.gguf)
    arch = reader.fields["general.architecture"]
    arch = bytes(arch.parts[arch.data[0]]).decode()
    model_type = reader.fields["tokenizer.ggml.model"]
    model_type = bytes(model_type.parts[model_type.data[0]]).decode()
    print(f"GGUF: architecture {arch}, tokenizer {model_type}, {len(reader.tensors)} tensors")
    ok = arch == "llama"
    llm = Llama(model_path=args.gguf, n_ctx=512, logits_all=True, verbose=False)
    same = differ = skipped = bytes_ = 0
    first_diff = None
    for line in lines:
        if changed_by_normaliser(line):
            skipped += 1
            continue
        ours, pieces = dezgah_ids(args.dezgah, tokenizer, line)
        if model_type == "t5" and any(byte_piece(p) for p in pieces):
            # llama.cpp's Unigram has no byte fallback: those characters become <unk> there.
            bytes_ += 1
            continue
        theirs = llm.tokenize(line.encode("utf-8"), add_bos=False, special=False)
        if ours == list(theirs):
            same += 1
        else:
            differ += 1
            if first_diff is None:
                first_diff = (line, ours, list(theirs))
    print(
        f"GGUF: llama.cpp tokenizes {same} of {same + differ} sample lines exactly as Dəzgah "
        f"({skipped} lines the Azerbaijani normaliser would change and {bytes_} lines that need "
        f"byte fallback, which llama.cpp's Unigram lacks, were left out)"
    )
    if first_diff:
        line, ours, theirs = first_diff
        print(f"  first difference: {line[:80]!r}\n  dezgah    {ours[:24]}\n  llama.cpp {theirs[:24]}")
    ok &= differ == 0
    llm.reset()
    llm.eval(ours_ids)
    n = min(len(ours_ids), 4)
    theirs_logits = np.array(llm.scores[:n], dtype=np.float32)
    diff = float(np.abs(theirs_logits - ours_logits[:n]).max())
    scale = float(np.abs(ours_logits[:n]).max())
    print(
        f"GGUF: first {n} positions, max |logit difference| = {diff:.2e} "
        f"(largest logit {scale:.2f}; goal: < 1e-2 for f32/f16, < 5% of it quantized)"
    )
    ok &= diff < max(1e-2, 0.05 * scale)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", required=True, help="the run folder that was exported")
    ap.add_argument("--checkpoint", default="best")
    ap.add_argument("--hf")
    ap.add_argument("--gguf")
    ap.add_argument("--text-file", help="corpus sample, one text per line")
    ap.add_argument("--dezgah", default="target/release/dezgah")
    ap.add_argument("--lines", type=int, default=200)
    args = ap.parse_args()
    text = "Azərbaycan Respublikasının Konstitusiyası 1995-ci ildə qəbul edilib."
    ours_ids, ours_logits = dezgah_logits(args.dezgah, args.run, text)
    ok = True
    if args.hf:
        ok &= check_hf(args, text, ours_ids, ours_logits)
    if args.gguf:
        lines = [text]
        if args.text_file:
            with open(args.text_file, encoding="utf-8") as f:
                lines += [l.strip() for l in f if l.strip()][: args.lines]
        tokenizer = f"{args.run}/tokenizer.json"
        ok &= check_gguf(args, text, ours_ids, ours_logits, lines, tokenizer)
    print("PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
