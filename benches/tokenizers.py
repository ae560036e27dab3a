#!/usr/bin/env python3
"""Tokenizer benchmark: `dezgah tokenizer train` and `dezgah tokenizer encode --input` on a
corpus from the shared reference bench, timed the way its references are (GNU time: wall clock
and peak memory; encoding throughput over the corpus's JSONL documents, both cores).

    python3 benches/tokenizers.py --bench-dir /tmp/bench --data-dir data_lowedit --n-docs 10000 \\
        --kind unigram --vocab 32000 [--reference]

BENCH_DIR is a writable copy of ../shared/bench with its corpora generated (see its README).
With --reference it also runs the bench's own bench_tokenizers.py --lib spm (sentencepiece,
2 threads) on the same text and vocabulary, with the Python that has sentencepiece installed
(--python). With --check-python the ids of every document are compared with the Python
`tokenizers` package loading the same tokenizer.json.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile


def timed(cmd):
    proc = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", proc.stderr).group(1)
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
    return proc.stdout, wall, rss_kb // 1024


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-dir", required=True)
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--n-docs", type=int, default=10000)
    ap.add_argument("--kind", choices=["bpe", "unigram"], default="unigram")
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "dezgah"))
    ap.add_argument("--reference", action="store_true", help="also run bench_tokenizers.py --lib spm")
    ap.add_argument("--check-python", action="store_true", help="compare ids with Python tokenizers")
    ap.add_argument("--python", default=sys.executable)
    args = ap.parse_args()

    data = os.path.join(args.bench_dir, args.data_dir)
    txt = os.path.join(data, f"corpus_{args.n_docs}.txt")
    jsonl = os.path.join(data, f"corpus_{args.n_docs}.jsonl")
    result = {"kind": args.kind, "vocab": args.vocab, "train_mb": round(os.path.getsize(txt) / 1e6, 1)}
    with tempfile.TemporaryDirectory() as tmp:
        tok = os.path.join(tmp, "tokenizer.json")
        _, wall, rss = timed([args.bin, "tokenizer", "train", "--kind", args.kind, "--vocab",
                              str(args.vocab), "--out", tok, txt])
        result["dezgah_train"] = {"wall": wall, "max_rss_mb": rss}
        out, wall, rss = timed([args.bin, "tokenizer", "encode", "--tokenizer", tok, "--input", jsonl])
        report = json.loads(out.strip().splitlines()[-1])
        result["dezgah_encode"] = {"wall": wall, "max_rss_mb": rss, "tokens": report["tokens"],
                                   "mb_per_s": round(report["megabytes_per_second"], 2)}
        if args.check_python:
            check = (
                "import json,sys\n"
                "from tokenizers import Tokenizer\n"
                "tok = Tokenizer.from_file(sys.argv[1])\n"
                "texts = [json.loads(l)['text'] for l in open(sys.argv[2])]\n"
                "print(sum(len(e.ids) for e in tok.encode_batch(texts, add_special_tokens=False)))\n"
            )
            tokens = subprocess.run([args.python, "-c", check, tok, jsonl], capture_output=True,
                                    text=True, check=True).stdout.strip()
            result["python_tokenizers_tokens"] = int(tokens)
    if args.reference:
        proc = subprocess.run([args.python, "bench_tokenizers.py", "--n-docs", str(args.n_docs), "--lib",
                               "spm", "--model", args.kind, "--vocab", str(args.vocab), "--data-dir",
                               args.data_dir], cwd=args.bench_dir, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(proc.stderr)
        ref = json.loads(proc.stdout.strip().splitlines()[-1])
        result["sentencepiece"] = {k: ref.get(k) for k in
                                   ("train_s", "encode_mb_per_s", "encode_tokens", "maxrss_mb")}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
