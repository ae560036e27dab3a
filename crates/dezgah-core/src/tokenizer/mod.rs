//! Tokenizers: training byte-level BPE (GPT-2 style) and Unigram (SentencePiece style,
//! metaspace) with the Hugging Face `tokenizers` crate, from workspace corpora or files, and
//! encoding with any `tokenizer.json`. What is saved is a plain `tokenizer.json` that the Python
//! `tokenizers` package loads and encodes to the same ids.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;
use tokenizers::normalizers::{NormalizerWrapper, Sequence as NormSequence};

mod bpe_train;
mod compare;
pub mod fast;
mod inspect;
mod spm;
mod train;
mod unigram_train;
mod workspace;

pub use compare::{CompareRow, Comparison, compare};
pub use inspect::{Inspection, Loaded, Piece, is_byte_piece};
pub use spm::load_sentencepiece;
pub use train::{TrainReport, check_output, train};
pub use workspace::{WorkspaceTokenizerError, add_to_workspace, train_in_workspace};

use crate::corpus::read::{DocumentReader, ReadOptions};
use crate::jobs::JobCtx;

/// The special tokens every Dəzgah tokenizer has, in this order (ids 0…): sequence start and
/// end, unknown, padding, and the chat role markers of the training engine's template.
pub const SPECIAL_TOKENS: [&str; 8] = [
    "<s>",
    "</s>",
    "<unk>",
    "<pad>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|end|>",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Byte-level BPE (GPT-2 style): every byte is in the vocabulary, nothing is unknown.
    Bpe,
    /// Unigram language model over metaspace pieces (SentencePiece style).
    Unigram,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub kind: Kind,
    pub vocab_size: usize,
    pub min_frequency: u64,
    pub special_tokens: Vec<String>,
    /// The Azerbaijani normaliser: NFC and ə look-alikes → ə.
    pub normalize_az: bool,
    /// Lower-case as well, by Turkic rules (I → ı, İ → i); only with `normalize_az`.
    pub lowercase: bool,
    /// Unigram: unknown characters fall back to their UTF-8 bytes (`<0xNN>` pieces).
    pub byte_fallback: bool,
    /// Unigram: the longest piece, in characters.
    pub max_piece_length: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            kind: Kind::Bpe,
            vocab_size: 16_000,
            min_frequency: 2,
            special_tokens: SPECIAL_TOKENS.iter().map(|s| (*s).to_owned()).collect(),
            normalize_az: true,
            lowercase: false,
            byte_fallback: true,
            max_piece_length: 16,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    #[error(transparent)]
    Read(#[from] crate::corpus::read::ReadError),
    #[error("{path}: {message}")]
    Tokenizers { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("training cancelled")]
    Cancelled,
    #[error("{0}")]
    Invalid(String),
}

/// The Azerbaijani normaliser as `tokenizers` normalisers, so that it travels inside
/// `tokenizer.json` and runs the same in Python: NFC, ə look-alikes (Cyrillic ә Ә, ǝ Ǝ) → ə Ə,
/// and with `lowercase`, Turkic casing before the generic lower-casing.
pub fn az_normalizer(lowercase: bool) -> Result<NormalizerWrapper, TokenizerError> {
    use tokenizers::normalizers::replace::Replace;
    use tokenizers::normalizers::unicode::NFC;
    let replace = |from: &str, to: &str| -> Result<NormalizerWrapper, TokenizerError> {
        Replace::new(from, to)
            .map(NormalizerWrapper::from)
            .map_err(|e| TokenizerError::Invalid(e.to_string()))
    };
    let mut steps: Vec<NormalizerWrapper> = vec![NFC.into()];
    for (from, to) in [("ә", "ə"), ("Ә", "Ə"), ("ǝ", "ə"), ("Ǝ", "Ə")] {
        steps.push(replace(from, to)?);
    }
    if lowercase {
        steps.push(replace("I", "ı")?);
        steps.push(replace("İ", "i")?);
        steps.push(tokenizers::normalizers::utils::Lowercase.into());
    }
    Ok(NormSequence::new(steps).into())
}

fn tok_err(path: &Path, e: impl std::fmt::Display) -> TokenizerError {
    TokenizerError::Tokenizers {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EncodeReport {
    pub documents: u64,
    pub tokens: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub megabytes_per_second: f64,
    pub bytes_per_token: f64,
    /// Lines left out as unreadable, and the first of them as `file:line: reason`.
    pub bad_lines: u64,
    pub bad_line_examples: Vec<String>,
}

/// Encodes every document of `inputs` on all cores (batches of documents, read ahead by a
/// reader thread) and reports the throughput: how long a corpus takes to tokenize, and how many
/// tokens it is.
pub fn encode_files(
    tokenizer: &Tokenizer,
    inputs: &[PathBuf],
    read: &ReadOptions,
    ctx: Option<&JobCtx>,
) -> Result<EncodeReport, TokenizerError> {
    use rayon::prelude::*;
    const BATCH: usize = 2048;
    let started = std::time::Instant::now();
    let (mut documents, mut tokens, mut bytes) = (0u64, 0u64, 0u64);
    let fast = fast::Fast::new(tokenizer);
    let bad = std::sync::Mutex::new(crate::corpus::read::BadLineLog::default());
    let bad_ref = &bad;
    std::thread::scope(|scope| -> Result<(), TokenizerError> {
        // Made here so that an early return drops the receiver and the reader stops.
        let (tx, rx) = crossbeam_channel::bounded::<Result<Vec<String>, TokenizerError>>(2);
        std::thread::Builder::new()
            .name("dezgah-encode-reader".into())
            .spawn_scoped(scope, move || {
                let mut batch = Vec::with_capacity(BATCH);
                for input in inputs {
                    let mut reader = match DocumentReader::open(input, read.clone()) {
                        Ok(reader) => reader,
                        Err(e) => {
                            let _ = tx.send(Err(e.into()));
                            return;
                        }
                    };
                    for doc in reader.by_ref() {
                        match doc {
                            Ok(doc) => batch.push(doc.text),
                            Err(e) => {
                                let _ = tx.send(Err(e.into()));
                                return;
                            }
                        }
                        if batch.len() == BATCH
                            && tx
                                .send(Ok(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))))
                                .is_err()
                        {
                            return;
                        }
                    }
                    if let Ok(mut bad) = bad_ref.lock() {
                        bad.absorb(&reader.problems);
                    }
                }
                let _ = tx.send(Ok(batch));
            })
            .map_err(|source| TokenizerError::Io {
                path: inputs.first().cloned().unwrap_or_default(),
                source,
            })?;
        for batch in &rx {
            let batch = batch?;
            let counts: Result<Vec<usize>, _> = batch
                .par_iter()
                .map(|t| ids_of(tokenizer, fast.as_ref(), t).map(|ids| ids.len()))
                .collect();
            let counts = counts.map_err(|e| TokenizerError::Invalid(e.to_string()))?;
            tokens += counts.iter().sum::<usize>() as u64;
            documents += batch.len() as u64;
            bytes += batch.iter().map(|t| t.len() as u64).sum::<u64>();
            if ctx.is_some_and(JobCtx::is_cancelled) {
                return Err(TokenizerError::Cancelled);
            }
        }
        Ok(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    let bad = bad.into_inner().unwrap_or_default();
    crate::corpus::read::ensure_documents(inputs, documents, &bad)?;
    Ok(EncodeReport {
        documents,
        tokens,
        bytes,
        seconds,
        megabytes_per_second: bytes as f64 / 1e6 / seconds.max(1e-9),
        bytes_per_token: if tokens == 0 {
            0.0
        } else {
            bytes as f64 / tokens as f64
        },
        bad_lines: bad.count(),
        bad_line_examples: bad.examples(),
    })
}

/// The ids of `text` (no special tokens added): by `fast` where it can, else by `tokenizers`.
pub fn ids_of(
    tokenizer: &Tokenizer,
    fast: Option<&fast::Fast>,
    text: &str,
) -> tokenizers::Result<Vec<u32>> {
    let mut ids = Vec::new();
    if fast.is_some_and(|f| f.encode(text, &mut ids)) {
        return Ok(ids);
    }
    tokenizer.encode(text, false).map(|e| e.get_ids().to_vec())
}

/// Saves `tokenizer.json` whole or not at all.
pub fn save(tokenizer: &Tokenizer, out: &Path) -> Result<(), TokenizerError> {
    let json = tokenizer.to_string(true).map_err(|e| tok_err(out, e))?;
    crate::write_atomic(out, json.as_bytes()).map_err(|source| TokenizerError::Io {
        path: out.to_owned(),
        source,
    })
}

/// Loads any `tokenizer.json`, or a SentencePiece Unigram `.model`, naming the file when it
/// cannot.
pub fn load(path: &Path) -> Result<Tokenizer, TokenizerError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("model"))
    {
        return load_sentencepiece(path);
    }
    Tokenizer::from_file(path).map_err(|e| tok_err(path, e))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Encoded {
    pub ids: Vec<u32>,
    pub tokens: Vec<String>,
}

pub fn encode(tokenizer: &Tokenizer, text: &str, path: &Path) -> Result<Encoded, TokenizerError> {
    let encoding = tokenizer
        .encode(text, false)
        .map_err(|e| tok_err(path, e))?;
    Ok(Encoded {
        ids: encoding.get_ids().to_vec(),
        tokens: encoding.get_tokens().to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(dir: &Path) -> PathBuf {
        let path = dir.join("az.txt");
        let lines = [
            "Azərbaycan Respublikasının Mülki Məcəlləsi mülki qanunvericiliyin əsaslarını müəyyən edir.",
            "Bakı şəhəri Xəzər dənizinin sahilində yerləşir və ölkənin paytaxtıdır.",
            "Ağır günlərdə də insanlar bir-birinə kömək edirdilər, çünki birlik gücdür.",
            "Məktəbdə uşaqlar şeir öyrənir, müəllimlər isə dərsləri maraqlı keçirir.",
            "İstiqlal küçəsində yeni kitab mağazası açıldı; oxucular çox sevindi.",
        ];
        let text: String = (0..40)
            .flat_map(|i| [lines[i % lines.len()], "\n"])
            .collect();
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn bpe_and_unigram_train_save_load_and_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = corpus(dir.path());
        for kind in [Kind::Bpe, Kind::Unigram] {
            let out = dir.path().join(format!("{kind:?}.json"));
            let config = TrainConfig {
                kind,
                vocab_size: 600,
                min_frequency: 1,
                ..TrainConfig::default()
            };
            let report = train(
                std::slice::from_ref(&input),
                &ReadOptions::default(),
                &config,
                &out,
                None,
            )
            .expect("train");
            assert_eq!(report.documents, 40);
            assert!(report.vocab_size <= 600, "{report:?}");
            let tokenizer = load(&out).expect("load");
            for (i, special) in SPECIAL_TOKENS.iter().enumerate() {
                assert_eq!(
                    tokenizer.token_to_id(special),
                    Some(i as u32),
                    "{kind:?} {special}"
                );
            }
            let text = "Bakı şəhəri Məcəlləsi İstiqlal";
            let encoded = encode(&tokenizer, text, &out).expect("encode");
            assert!(!encoded.ids.is_empty());
            let decoded = tokenizer.decode(&encoded.ids, true).expect("decode");
            assert_eq!(decoded.trim(), text, "{kind:?}: {:?}", encoded.tokens);
            // The Cyrillic look-alike is normalised away before splitting.
            let with_lookalike = encode(&tokenizer, "Məcəllәsi", &out).expect("encode");
            let plain = encode(&tokenizer, "Məcəlləsi", &out).expect("encode");
            assert_eq!(with_lookalike.ids, plain.ids, "{kind:?}");
        }
    }

    #[test]
    fn turkic_lower_casing_travels_inside_the_tokenizer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = corpus(dir.path());
        let out = dir.path().join("lower.json");
        let config = TrainConfig {
            kind: Kind::Unigram,
            vocab_size: 500,
            lowercase: true,
            ..TrainConfig::default()
        };
        train(&[input], &ReadOptions::default(), &config, &out, None).expect("train");
        let tokenizer = load(&out).expect("load");
        let normalized = tokenizer
            .get_normalizer()
            .map(|n| {
                let mut s = tokenizers::NormalizedString::from("İSTİQLAL IĞDIR");
                tokenizers::Normalizer::normalize(n, &mut s).expect("normalize");
                s.get().to_owned()
            })
            .expect("normalizer");
        assert_eq!(normalized, "istiqlal ığdır");
    }

    #[test]
    fn bad_tokenizer_files_and_settings_are_explained() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("tokenizer.json");
        std::fs::write(&bad, "{\"model\": 3}").expect("write");
        let err = load(&bad).expect_err("bad");
        assert!(err.to_string().contains("tokenizer.json"), "{err}");
        let input = corpus(dir.path());
        let err = train(
            &[input],
            &ReadOptions::default(),
            &TrainConfig {
                vocab_size: 5,
                ..TrainConfig::default()
            },
            &dir.path().join("x.json"),
            None,
        )
        .expect_err("too small");
        assert!(err.to_string().contains("special tokens"), "{err}");
    }
}
