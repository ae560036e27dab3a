//! Estimated tokens of a corpus under a tokenizer: a sample of documents is encoded and the
//! tokens per character it shows are scaled to the whole corpus. Any `tokenizer.json` will do
//! (one trained in the workspace, or one from a Hugging Face model folder). The caller loads
//! it (`core::tokenizer::load`), so the corpus module needs nothing from the tokenizer's: the
//! tokenizer trains on corpora, not the other way round.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::corpus::index::{CorpusIndex, DocReader};

/// Documents encoded for an estimate.
pub const SAMPLE_DOCS: usize = 2000;
/// Characters of each sampled document encoded at most (long laws cost the same as tweets).
const SAMPLE_CHARS_PER_DOC: usize = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("{path}: {message}")]
    Encode { path: PathBuf, message: String },
    #[error(transparent)]
    Index(#[from] crate::corpus::index::IndexError),
}

#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TokenEstimate {
    pub tokenizer: String,
    pub sample_documents: u64,
    pub sample_characters: u64,
    pub sample_tokens: u64,
    pub characters_per_token: f64,
    pub estimated_tokens: u64,
}

/// The start of a text, at most `max` characters.
fn head(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .map_or(text, |(i, _)| &text[..i])
}

/// Encodes `texts` with `tokenizer` (loaded from `tokenizer_path`) and scales tokens per
/// character to `total_chars`.
pub fn estimate(
    tokenizer: &tokenizers::Tokenizer,
    tokenizer_path: &Path,
    texts: &[String],
    total_chars: u64,
) -> Result<TokenEstimate, TokenError> {
    let mut chars = 0u64;
    let mut tokens = 0u64;
    for text in texts {
        let text = head(text, SAMPLE_CHARS_PER_DOC);
        let encoding = tokenizer
            .encode(text, false)
            .map_err(|e| TokenError::Encode {
                path: tokenizer_path.to_owned(),
                message: e.to_string(),
            })?;
        chars += text.chars().count() as u64;
        tokens += encoding.len() as u64;
    }
    let per_char = if chars == 0 {
        0.0
    } else {
        tokens as f64 / chars as f64
    };
    Ok(TokenEstimate {
        tokenizer: tokenizer_path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        sample_documents: texts.len() as u64,
        sample_characters: chars,
        sample_tokens: tokens,
        characters_per_token: if tokens == 0 {
            0.0
        } else {
            chars as f64 / tokens as f64
        },
        estimated_tokens: (per_char * total_chars as f64).round() as u64,
    })
}

/// An estimate for a workspace corpus: documents spread evenly over it.
pub fn estimate_corpus(
    jsonl: &Path,
    index: &CorpusIndex,
    tokenizer: &tokenizers::Tokenizer,
    tokenizer_path: &Path,
) -> Result<TokenEstimate, TokenError> {
    let n = index.docs.len();
    let step = n.div_ceil(SAMPLE_DOCS).max(1);
    let mut reader = DocReader::open(jsonl)?;
    let mut texts = Vec::new();
    for i in (0..n).step_by(step) {
        let (_, text) = reader.document(&index.docs[i], i as u64 + 1)?;
        texts.push(text);
    }
    let total: u64 = index.docs.iter().map(|d| u64::from(d.chars)).sum();
    estimate(tokenizer, tokenizer_path, &texts, total)
}

/// A uniform sample of a stream of documents (reservoir sampling, seeded), for estimates
/// made in one pass where the count is not known ahead.
#[derive(Debug)]
pub struct Sampler {
    texts: Vec<String>,
    capacity: usize,
    seen: u64,
    state: u64,
}

impl Default for Sampler {
    fn default() -> Self {
        Self::with_capacity(SAMPLE_DOCS)
    }
}

impl Sampler {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            texts: Vec::new(),
            capacity: capacity.max(1),
            seen: 0,
            state: 0x9E37_79B9_7F4A_7C15,
        }
    }

    pub fn add(&mut self, text: &str) {
        self.seen += 1;
        if self.texts.len() < self.capacity {
            self.texts.push(head(text, SAMPLE_CHARS_PER_DOC).to_owned());
            return;
        }
        // xorshift64*: plenty for picking a sample.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        let r = self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) % self.seen;
        if let Some(slot) = self.texts.get_mut(r as usize) {
            head(text, SAMPLE_CHARS_PER_DOC).clone_into(slot);
        }
    }

    pub fn texts(&self) -> &[String] {
        &self.texts
    }
}

#[cfg(test)]
pub(crate) fn word_level_tokenizer(dir: &Path) -> PathBuf {
    let vocab = [
        "[UNK]",
        "Bakı",
        "Xəzər",
        "dənizi",
        "sahilində",
        "yerləşir",
        ".",
    ]
    .iter()
    .enumerate()
    .map(|(i, w)| ((*w).to_owned(), i as u32))
    .collect();
    let model = tokenizers::models::wordlevel::WordLevel::builder()
        .vocab(vocab)
        .unk_token("[UNK]".into())
        .build()
        .expect("model");
    let mut tokenizer = tokenizers::Tokenizer::new(model);
    tokenizer.with_pre_tokenizer(Some(tokenizers::pre_tokenizers::whitespace::Whitespace {}));
    let path = dir.join("tokenizer.json");
    tokenizer.save(&path, false).expect("save");
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_estimated_from_a_sample_and_bad_files_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tok = word_level_tokenizer(dir.path());
        // 5 words + a full stop = 6 tokens for 39 characters.
        let text = "Bakı Xəzər dənizi sahilində yerləşir.".to_owned();
        let chars = text.chars().count() as u64;
        let loaded = crate::tokenizer::load(&tok).expect("load");
        let e = estimate(&loaded, &tok, &[text.clone(), text], chars * 100).expect("estimate");
        assert_eq!(e.tokenizer, "tokenizer.json");
        assert_eq!(e.sample_tokens, 12);
        assert_eq!(e.estimated_tokens, 600);
        assert!((e.characters_per_token - chars as f64 / 6.0).abs() < 1e-9);

        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{ not a tokenizer").expect("write");
        let err = crate::tokenizer::load(&bad).expect_err("bad");
        assert!(err.to_string().contains("bad.json"), "{err}");
    }

    #[test]
    fn the_sampler_keeps_a_bounded_uniform_sample() {
        let mut s = Sampler::default();
        for i in 0..10_000 {
            s.add(&format!("sənəd {i}"));
        }
        assert_eq!(s.texts().len(), SAMPLE_DOCS);
        let late = s
            .texts()
            .iter()
            .filter(|t| t.trim_start_matches("sənəd ").parse::<u32>().unwrap_or(0) >= 5000)
            .count();
        assert!((800..1200).contains(&late), "{late}");
    }
}
