//! Comparison: several tokenizers on the same texts, by fertility, splits and vocabulary overlap.

use serde::Serialize;

use super::{Loaded, TokenizerError, is_byte_piece, tok_err};

/// How one tokenizer does on a text or corpus sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompareRow {
    pub name: String,
    pub kind: String,
    pub vocab_size: usize,
    pub tokens: u64,
    pub words: u64,
    pub characters: u64,
    /// Tokens per word.
    pub fertility: f64,
    pub characters_per_token: f64,
    /// Share of words split into three or more pieces.
    pub split_3_plus: f64,
    /// Share of tokens that are unknown or byte-fallback pieces.
    pub unknown_or_fallback: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub rows: Vec<CompareRow>,
    /// Pairwise vocabulary overlap (Jaccard of the decoded pieces), `[i][j]`.
    pub overlap: Vec<Vec<f64>>,
    /// Frequent words with ə ğ ı ş ç ö ü, and how each tokenizer splits them.
    pub words: Vec<(String, u64, Vec<Vec<String>>)>,
}

/// Letters a borrowed tokenizer tends to split Azerbaijani words at.
const AZ_LETTERS: [char; 14] = [
    'ə', 'ğ', 'ı', 'ş', 'ç', 'ö', 'ü', 'Ə', 'Ğ', 'I', 'Ş', 'Ç', 'Ö', 'Ü',
];

/// Words of a text: letters (and combining marks) only, as the statistics count them.
fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|w| !w.is_empty())
}

/// The pieces `tokenizer` splits a word into, the word in running text (after a space).
fn word_pieces(loaded: &Loaded, word: &str) -> Result<Vec<String>, TokenizerError> {
    let text = format!(" {word}");
    let encoding = loaded
        .tokenizer
        .encode(text.as_str(), false)
        .map_err(|e| tok_err(&loaded.path, e))?;
    Ok(encoding
        .get_offsets()
        .iter()
        .zip(encoding.get_tokens())
        .map(|(&(s, e), token)| {
            let piece = text.get(s..e).unwrap_or_default().trim();
            if piece.is_empty() || is_byte_piece(token) {
                token.clone()
            } else {
                piece.to_owned()
            }
        })
        .filter(|p| p != "▁" && p != "Ġ")
        .collect())
}

/// The vocabulary as decoded text, so byte-level (`Ġ`, `ÉĻ`) and metaspace (`▁`) pieces compare.
fn decoded_vocab(loaded: &Loaded) -> std::collections::HashSet<String> {
    let n = loaded.vocab_size() as u32;
    (0..n)
        .filter_map(|id| {
            let token = loaded.tokenizer.id_to_token(id)?;
            if is_byte_piece(&token) {
                return None;
            }
            loaded.tokenizer.decode(&[id], false).ok()
        })
        .filter(|s| !s.is_empty() && !s.contains('\u{FFFD}'))
        .collect()
}

/// Compares tokenizers on `texts`: fertility, characters per token, words split into ≥ 3
/// pieces, unknown/byte-fallback rate, vocabulary overlap, and how frequent Azerbaijani words
/// split (the `top_words` most frequent with ə ğ ı ş ç ö ü).
pub fn compare(
    tokenizers: &[(String, &Loaded)],
    texts: &[String],
    top_words: usize,
) -> Result<Comparison, TokenizerError> {
    let mut counts: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    let mut characters = 0u64;
    for text in texts {
        characters += text.chars().count() as u64;
        for word in words_of(text) {
            *counts.entry(word).or_insert(0) += 1;
        }
    }
    let words_total: u64 = counts.values().sum();
    let mut rows = Vec::new();
    for (name, loaded) in tokenizers {
        let mut tokens = 0u64;
        let mut flagged = 0u64;
        for text in texts {
            let encoding = loaded
                .tokenizer
                .encode(text.as_str(), false)
                .map_err(|e| tok_err(&loaded.path, e))?;
            tokens += encoding.len() as u64;
            flagged += encoding
                .get_ids()
                .iter()
                .zip(encoding.get_tokens())
                .filter(|(id, t)| Some(**id) == loaded.unk_id || is_byte_piece(t))
                .count() as u64;
        }
        let mut split3 = 0u64;
        for (word, n) in &counts {
            if word_pieces(loaded, word)?.len() >= 3 {
                split3 += n;
            }
        }
        let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        rows.push(CompareRow {
            name: name.clone(),
            kind: loaded.kind.clone(),
            vocab_size: loaded.vocab_size(),
            tokens,
            words: words_total,
            characters,
            fertility: ratio(tokens, words_total),
            characters_per_token: ratio(characters, tokens),
            split_3_plus: ratio(split3, words_total),
            unknown_or_fallback: ratio(flagged, tokens),
        });
    }
    let vocabs: Vec<_> = tokenizers.iter().map(|(_, l)| decoded_vocab(l)).collect();
    let overlap = vocabs
        .iter()
        .map(|a| {
            vocabs
                .iter()
                .map(|b| {
                    let union = a.union(b).count();
                    if union == 0 {
                        0.0
                    } else {
                        a.intersection(b).count() as f64 / union as f64
                    }
                })
                .collect()
        })
        .collect();
    let mut az_words: Vec<(&str, u64)> = counts
        .iter()
        .filter(|(w, _)| w.chars().any(|c| AZ_LETTERS.contains(&c)))
        .map(|(w, n)| (*w, *n))
        .collect();
    az_words.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    az_words.truncate(top_words);
    let mut words = Vec::new();
    for (word, n) in az_words {
        let splits = tokenizers
            .iter()
            .map(|(_, l)| word_pieces(l, word))
            .collect::<Result<Vec<_>, _>>()?;
        words.push((word.to_owned(), n, splits));
    }
    Ok(Comparison {
        rows,
        overlap,
        words,
    })
}

#[cfg(test)]
mod compare_tests {
    use super::*;
    use crate::corpus::read::ReadOptions;
    use crate::tokenizer::{Kind, TrainConfig, train};

    #[test]
    fn an_azerbaijani_tokenizer_splits_azerbaijani_words_less_than_a_tiny_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.txt");
        std::fs::write(
            &path,
            "Bakı şəhəri gözəldir və böyükdür.\nŞəki şəhəri də gözəldir.\nGəncə böyük şəhərdir.\n"
                .repeat(30),
        )
        .expect("write");
        let big = dir.path().join("big.json");
        let small = dir.path().join("small.json");
        for (out, vocab) in [(&big, 600), (&small, 300)] {
            let config = TrainConfig {
                kind: Kind::Bpe,
                vocab_size: vocab,
                min_frequency: 1,
                ..TrainConfig::default()
            };
            train(
                std::slice::from_ref(&path),
                &ReadOptions::default(),
                &config,
                out,
                None,
            )
            .expect("train");
        }
        let (a, b) = (
            Loaded::open(&big).expect("a"),
            Loaded::open(&small).expect("b"),
        );
        let texts = vec!["Bakı şəhəri gözəldir, Şəki şəhəri də.".to_owned()];
        let c = compare(&[("big".into(), &a), ("small".into(), &b)], &texts, 5).expect("compare");
        assert_eq!(c.rows.len(), 2);
        assert!(c.rows[0].fertility <= c.rows[1].fertility, "{:?}", c.rows);
        assert_eq!(c.rows[0].words, 6);
        assert!((c.overlap[0][0] - 1.0).abs() < 1e-9);
        assert!(c.overlap[0][1] > 0.0 && c.overlap[0][1] < 1.0);
        let (word, n, splits) = &c.words[0];
        assert_eq!((word.as_str(), *n), ("şəhəri", 2));
        assert_eq!(splits[0].concat(), "şəhəri", "{splits:?}");
    }
}
