#!/usr/bin/env python3
"""Checks that tokenizer.json files written by `dezgah tokenizer train` load in the Python
`tokenizers` package and encode text to exactly the ids `dezgah tokenizer encode` prints.

Trains byte-level BPE and Unigram (with the Azerbaijani normaliser, Turkic lower-casing and byte
fallback in turn) on TEXT, then compares ids on sentences full of ə ğ ı ş ç ö ü, Cyrillic ә,
dotted/dotless I, digits and emoji, and on the first lines of TEXT.

    pip install tokenizers            # not part of the default test command
    scripts/tokenizer_parity.py [TEXT] [--bin target/release/dezgah]

Exits 1 on the first mismatch, naming the tokenizer and the text.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SENTENCES = [
    "Azərbaycan Respublikasının Mülki Məcəlləsi",
    "İSTİQLAL küçəsi, IĞDIR və ŞƏKİ; ılıq çay içdik.",
    "Cyrillic look-alike: Азәрбайҹан, ǝ, ä and Ә.",
    "  two  spaces\tand a tab\nnew line  ",
    "Maddə 157.2-ci bənd: 1268 manat, 3,5% və s.",
    "emoji 🙂 and 日本語 text",
    "",
]


def dezgah_ids(binary, tokenizer, text):
    out = subprocess.run(
        [binary, "tokenizer", "encode", "--tokenizer", tokenizer, "-"],
        input=text.encode(), capture_output=True, check=True,
    )
    return json.loads(out.stdout)["ids"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("text", nargs="?", default=os.path.join(ROOT, "datasets/sample/seed/corpora/nesr.txt"))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/dezgah"))
    ap.add_argument("--lines", type=int, default=50)
    args = ap.parse_args()
    with open(args.text, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l, _ in zip(f, range(args.lines))]
    texts = SENTENCES + lines
    variants = {
        "bpe": ["--kind", "bpe", "--vocab", "2000"],
        "bpe-lowercase": ["--kind", "bpe", "--vocab", "2000", "--lowercase"],
        "unigram": ["--kind", "unigram", "--vocab", "2000"],
        "unigram-lowercase": ["--kind", "unigram", "--vocab", "2000", "--lowercase"],
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, flags in variants.items():
            path = os.path.join(tmp, f"{name}.json")
            subprocess.run([args.bin, "tokenizer", "train", *flags, "--out", path, args.text],
                           check=True, capture_output=True)
            python = Tokenizer.from_file(path)
            for text in texts:
                ours = dezgah_ids(args.bin, path, text)
                theirs = python.encode(text, add_special_tokens=False).ids
                if ours != theirs:
                    print(f"MISMATCH {name} on {text!r}:\n  dezgah {ours}\n  python {theirs}")
                    sys.exit(1)
            print(f"{name}: {len(texts)} texts, identical ids")


if __name__ == "__main__":
    main()
