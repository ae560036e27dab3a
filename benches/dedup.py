#!/usr/bin/env python3
"""Near-duplicate benchmark: `dezgah corpus dedup` on a corpus from the shared reference bench,
scored with the bench's own evaluation (common.evaluate) and timed the way its references are
(GNU time: wall clock and peak memory).

    python3 benches/dedup.py --bench-dir /tmp/bench --data-dir data_lowedit --n-docs 100000

BENCH_DIR is a writable copy of ../shared/bench with its corpora generated (see its README).
Run the references there (bench_datasketch.py, bench_rensa.py) on the same corpus to compare.
With --exact it benchmarks exact deduplication instead; compare with bench_exact.py there.
With --exact --find-only no output corpus is written (only the report), as bench_exact.py does.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench-dir", required=True)
    ap.add_argument("--data-dir", default="data")
    ap.add_argument("--n-docs", type=int, default=10000)
    ap.add_argument("--bin", default=os.path.join(os.path.dirname(__file__), "..", "target", "release", "dezgah"))
    ap.add_argument("--threshold", default="0.8")
    ap.add_argument("--num-perm", default="128")
    ap.add_argument("--ngram", default="5")
    ap.add_argument("--extra", default="", help="more arguments for dezgah corpus dedup")
    ap.add_argument("--exact", action="store_true", help="exact duplicates only (dedup --exact)")
    ap.add_argument("--find-only", action="store_true",
                    help="with --exact: find the duplicates without writing a corpus (no --out)")
    args = ap.parse_args()

    sys.path.insert(0, args.bench_dir)
    from common import evaluate, load_gt  # the reference bench's own scoring

    corpus = os.path.join(args.bench_dir, args.data_dir, f"corpus_{args.n_docs}.jsonl")
    gt = os.path.join(args.bench_dir, args.data_dir, f"gt_{args.n_docs}.tsv")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.jsonl")
        report_path = os.path.join(tmp, "report.json")
        cmd = ["/usr/bin/time", "-v", args.bin, "corpus", "dedup", corpus, "--report", report_path]
        if not args.find_only:
            cmd += ["--out", out]
        if args.exact:
            cmd.append("--exact")
        else:
            cmd += ["--threshold", args.threshold, "--num-perm", args.num_perm, "--ngram", args.ngram]
        cmd += args.extra.split()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(proc.stderr)
        wall = re.search(r"Elapsed \(wall clock\) time.*: (.*)", proc.stderr).group(1)
        rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))
        cpu = re.search(r"Percent of CPU this job got: (\d+)%", proc.stderr).group(1)
        with open(report_path) as f:
            report = json.load(f)
    removed = [i for c in report["clusters"] for i in c["removed"]]
    scores = evaluate(removed, load_gt(gt))
    size_mb = os.path.getsize(corpus) / 1e6
    print(json.dumps({
        "tool": "dezgah" + (" --exact" if args.exact else "") + (" (find only)" if args.find_only else ""),
        "corpus": corpus,
        "input_mb": round(size_mb, 1),
        "wall": wall, "cpu_percent": int(cpu), "max_rss_mb": rss_kb // 1024,
        "bands_rows": None if args.exact else f"{report['bands']}x{report['rows']}",
        "timings": ({"pass_secs": report["hash_secs"], "total_secs": report["total_secs"],
                     "mb_per_s": report["hash_mb_per_s"]} if args.exact else report["timings"]),
        "precision": scores["precision"], "recall": scores["recall"],
        "recall_exact": scores["recall_exact"], "recall_near": scores["recall_near"],
        "recall_near_by_j_w5": scores["recall_near_by_j_w5"],
    }, indent=1))


if __name__ == "__main__":
    main()
