"""Writes tests/data/az_unigram.model (a small SentencePiece Unigram model trained on the sample
seed's prose) and tests/data/az_unigram.expected.json (how sentencepiece itself encodes a few
sentences), for the test that loads .model files. Run once with sentencepiece installed."""
import json
import pathlib

import sentencepiece as spm

root = pathlib.Path(__file__).resolve().parent.parent
text = [l for p in sorted((root / "datasets/sample/seed/corpora").glob("*.txt"))
        for l in p.read_text().splitlines() if l.strip()]
spm.SentencePieceTrainer.train(
    sentence_iterator=iter(text), model_prefix=str(root / "tests/data/az_unigram"),
    vocab_size=600, model_type="unigram", byte_fallback=True, character_coverage=1.0)
(root / "tests/data/az_unigram.vocab").unlink()
sp = spm.SentencePieceProcessor(model_file=str(root / "tests/data/az_unigram.model"))
sentences = ["Bakı şəhəri Xəzər dənizinin sahilində yerləşir.",
             "Azərbaycan Respublikasının Məcəlləsi",
             "Ağır günlərdə də insanlar bir-birinə kömək edirdilər.",
             "Ж 2024!"]
expected = [{"text": s, "ids": sp.encode(s), "pieces": sp.encode(s, out_type=str)} for s in sentences]
(root / "tests/data/az_unigram.expected.json").write_text(json.dumps(expected, ensure_ascii=False, indent=1))
