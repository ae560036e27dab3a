//! Inspection: how a loaded tokenizer splits a text, token by token, and whether it round-trips.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tokenizers::Tokenizer;

use super::{TokenizerError, load, tok_err};

/// One token of an inspected text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Piece {
    pub id: u32,
    /// The token as the vocabulary spells it (`Ġ`/`▁` marks, `<0xNN>` bytes).
    pub token: String,
    /// The stretch of the input it covers (several byte tokens of one character share it).
    pub text: String,
    /// The token alone through the tokenizer's decoder (`ĠRespublikasÄ±nÄ±n` →
    /// ` Respublikasının`): what the raw spelling means; U+FFFD for part of a character.
    pub decoded: String,
    /// Unigram: the piece's log probability.
    pub score: Option<f64>,
    pub special: bool,
    /// A `<0xNN>` byte piece: the character was not in the vocabulary.
    pub byte_fallback: bool,
    pub unknown: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inspection {
    pub pieces: Vec<Piece>,
    pub characters: usize,
    pub words: usize,
    pub characters_per_token: f64,
    pub tokens_per_word: f64,
    /// decode(encode(text)) — shown when it differs from the text.
    pub decoded: String,
    pub round_trip: bool,
}

/// A loaded tokenizer with what inspection needs besides it.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub tokenizer: Tokenizer,
    /// Unigram scores by id (empty for other models).
    pub scores: Vec<f64>,
    pub unk_id: Option<u32>,
    pub kind: String,
}

impl Loaded {
    pub fn open(path: &Path) -> Result<Self, TokenizerError> {
        let tokenizer = load(path)?;
        let json: serde_json::Value =
            serde_json::from_str(&tokenizer.to_string(false).map_err(|e| tok_err(path, e))?)
                .map_err(|e| tok_err(path, e))?;
        let model = &json["model"];
        let kind = model["type"].as_str().unwrap_or("?").to_owned();
        let scores = model["vocab"]
            .as_array()
            .map(|v| v.iter().map(|p| p[1].as_f64().unwrap_or(0.0)).collect())
            .unwrap_or_default();
        let unk_id = model["unk_id"]
            .as_u64()
            .map(|u| u as u32)
            .or_else(|| {
                model["unk_token"]
                    .as_str()
                    .and_then(|t| tokenizer.token_to_id(t))
            })
            .or_else(|| tokenizer.token_to_id("<unk>"));
        Ok(Self {
            path: path.to_owned(),
            tokenizer,
            scores,
            unk_id,
            kind,
        })
    }

    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    /// Encodes `text` and describes every token, with counts and the round-trip check.
    pub fn inspect(&self, text: &str) -> Result<Inspection, TokenizerError> {
        let encoding = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| tok_err(&self.path, e))?;
        let special: std::collections::HashSet<u32> = self
            .tokenizer
            .get_added_tokens_decoder()
            .iter()
            .filter(|(_, t)| t.special)
            .map(|(id, _)| *id)
            .collect();
        let pieces: Vec<Piece> = encoding
            .get_ids()
            .iter()
            .zip(encoding.get_tokens())
            .zip(encoding.get_offsets())
            .map(|((&id, token), &(start, end))| Piece {
                id,
                token: token.clone(),
                text: text.get(start..end).unwrap_or_default().to_owned(),
                decoded: self.tokenizer.decode(&[id], false).unwrap_or_default(),
                score: self.scores.get(id as usize).copied(),
                special: special.contains(&id),
                byte_fallback: is_byte_piece(token),
                unknown: Some(id) == self.unk_id,
            })
            .collect();
        let decoded = self
            .tokenizer
            .decode(encoding.get_ids(), false)
            .map_err(|e| tok_err(&self.path, e))?;
        let characters = text.chars().count();
        let words = text.split_whitespace().count();
        let n = pieces.len();
        Ok(Inspection {
            characters,
            words,
            characters_per_token: if n == 0 {
                0.0
            } else {
                characters as f64 / n as f64
            },
            tokens_per_word: if words == 0 {
                0.0
            } else {
                n as f64 / words as f64
            },
            round_trip: round_trips(text, &decoded, &self.kind),
            decoded,
            pieces,
        })
    }
}

/// `<0xNN>`.
pub fn is_byte_piece(token: &str) -> bool {
    token.len() == 6
        && token.starts_with("<0x")
        && token.ends_with('>')
        && token[3..5].chars().all(|c| c.is_ascii_hexdigit())
}

/// Whether decoding gives the text back. A metaspace tokenizer adds one leading space to the
/// text it splits, which decoding keeps or drops by its settings: that alone is no loss.
fn round_trips(text: &str, decoded: &str, kind: &str) -> bool {
    decoded == text || (kind == "Unigram" && decoded.strip_prefix(' ') == Some(text))
}

#[cfg(test)]
mod inspect_tests {
    use super::*;
    use crate::corpus::read::ReadOptions;
    use crate::tokenizer::{Kind, TrainConfig, train};

    #[test]
    fn inspection_flags_byte_fallback_and_unknown_and_checks_the_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.txt");
        std::fs::write(
            &path,
            "Bakı şəhəri gözəldir.\nŞəki də gözəldir.\n".repeat(20),
        )
        .expect("write");
        let out = dir.path().join("u.json");
        let config = TrainConfig {
            kind: Kind::Unigram,
            vocab_size: 400,
            ..TrainConfig::default()
        };
        train(&[path], &ReadOptions::default(), &config, &out, None).expect("train");
        let loaded = Loaded::open(&out).expect("open");
        assert_eq!(loaded.kind, "Unigram");
        let inspection = loaded.inspect("Bakı 😀 gözəldir").expect("inspect");
        assert!(inspection.round_trip, "{inspection:?}");
        assert!(
            inspection.pieces.iter().any(|p| p.byte_fallback),
            "{inspection:?}"
        );
        assert!(inspection.pieces.iter().all(|p| p.score.is_some()));
        assert_eq!(inspection.words, 3);
        assert!(inspection.tokens_per_word > 1.0);

        // A tokenizer without byte fallback marks the emoji unknown, and loses it.
        let out = dir.path().join("n.json");
        let config = TrainConfig {
            byte_fallback: false,
            ..config
        };
        let path = dir.path().join("t.txt");
        train(&[path], &ReadOptions::default(), &config, &out, None).expect("train");
        let loaded = Loaded::open(&out).expect("open");
        let inspection = loaded.inspect("Bakı 😀").expect("inspect");
        assert!(
            inspection.pieces.iter().any(|p| p.unknown),
            "{inspection:?}"
        );
        assert!(!inspection.round_trip);
    }

    #[test]
    fn a_byte_level_piece_is_shown_decoded_beside_its_raw_spelling() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.txt");
        std::fs::write(
            &path,
            "Azərbaycan Respublikasının Konstitusiyası.\n".repeat(40),
        )
        .expect("write");
        let out = dir.path().join("b.json");
        let config = TrainConfig {
            kind: Kind::Bpe,
            vocab_size: 400,
            ..TrainConfig::default()
        };
        train(&[path], &ReadOptions::default(), &config, &out, None).expect("train");
        let loaded = Loaded::open(&out).expect("open");
        let inspection = loaded
            .inspect("Azərbaycan Respublikasının")
            .expect("inspect");
        // The raw spelling shows GPT-2's byte stand-ins (Ġ a space, Ä± an ı); the decoded
        // one the letters.
        let pieces = &inspection.pieces;
        assert!(
            pieces
                .iter()
                .any(|p| p.token.starts_with('Ġ') && p.decoded.starts_with(' '))
        );
        let dotless = pieces
            .iter()
            .find(|p| p.token.contains("Ä±"))
            .expect("a piece with ı");
        assert!(dotless.decoded.contains('ı'), "{dotless:?}");
        assert!(
            pieces.iter().all(|p| !p.decoded.contains(['Ġ', 'Ä'])),
            "{pieces:?}"
        );
    }
}
