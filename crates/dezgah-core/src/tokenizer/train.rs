//! Training: a tokenizer from documents read off files, by our own BPE and Unigram trainers.

use std::path::{Path, PathBuf};

use serde::Serialize;
use tokenizers::models::unigram::Unigram;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::{AddedToken, Tokenizer, TokenizerBuilder};

use super::{
    Kind, TokenizerError, TrainConfig, az_normalizer, bpe_train, fast, save, tok_err, unigram_train,
};
use crate::corpus::read::{DocumentReader, ReadOptions};
use crate::jobs::JobCtx;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    pub kind: Kind,
    pub vocab_size: usize,
    pub documents: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub output: PathBuf,
    /// Lines left out as unreadable, and the first of them as `file:line: reason`.
    pub bad_lines: u64,
    pub bad_line_examples: Vec<String>,
}

/// Documents of the inputs as a stream for the trainer, reporting progress by bytes read.
struct Texts<'a> {
    inputs: &'a [PathBuf],
    read: &'a ReadOptions,
    current: Option<DocumentReader>,
    next_input: usize,
    done_bytes: u64,
    total_bytes: u64,
    documents: u64,
    ctx: Option<&'a JobCtx>,
    error: Option<TokenizerError>,
    bad: crate::corpus::read::BadLineLog,
}

impl Iterator for Texts<'_> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        loop {
            if self.ctx.is_some_and(JobCtx::is_cancelled) {
                self.error = Some(TokenizerError::Cancelled);
                return None;
            }
            if self.current.is_none() {
                let Some(input) = self.inputs.get(self.next_input) else {
                    // Reading is done; the trainer now works without reporting.
                    if let Some(ctx) = self.ctx
                        && self.documents > 0
                    {
                        ctx.log(format!(
                            "{} documents read; computing the vocabulary…",
                            self.documents
                        ));
                    }
                    return None;
                };
                self.next_input += 1;
                match DocumentReader::open(input, self.read.clone()) {
                    Ok(reader) => self.current = Some(reader),
                    Err(e) => {
                        self.error = Some(e.into());
                        return None;
                    }
                }
            }
            let reader = self.current.as_mut()?;
            match reader.next() {
                Some(Ok(doc)) => {
                    self.documents += 1;
                    if self.documents.is_multiple_of(512)
                        && let Some(ctx) = self.ctx
                    {
                        ctx.progress(self.done_bytes + reader.bytes_read, Some(self.total_bytes));
                    }
                    return Some(doc.text);
                }
                Some(Err(e)) => {
                    self.error = Some(e.into());
                    return None;
                }
                None => {
                    self.done_bytes += reader.bytes_read;
                    self.bad.absorb(&reader.problems);
                    self.current = None;
                }
            }
        }
    }
}

impl Texts<'_> {
    /// The next batch of documents for a trainer's parallel word count (`None` at the end).
    fn batch(&mut self) -> Option<Vec<String>> {
        let batch: Vec<String> = self.by_ref().take(4096).collect();
        (!batch.is_empty()).then_some(batch)
    }
}

/// Refuses an output path that cannot become a file before any training is spent on it: a
/// folder, or a path under a file.
pub fn check_output(out: &Path) -> Result<(), TokenizerError> {
    if out.is_dir() {
        return Err(TokenizerError::Invalid(format!(
            "{}: is a folder; give the file to write, e.g. {}",
            out.display(),
            out.join("tokenizer.json").display()
        )));
    }
    // The atomic rename would replace a device or a pipe (as root, /dev/null) with a file.
    if out.exists() && !out.is_file() {
        return Err(TokenizerError::Invalid(format!(
            "{}: exists and is not a regular file (a device, pipe or socket); give a file path",
            out.display()
        )));
    }
    if let Some(file) = out
        .ancestors()
        .skip(1)
        .find(|p| !p.as_os_str().is_empty() && p.exists())
        .filter(|p| !p.is_dir())
    {
        return Err(TokenizerError::Invalid(format!(
            "{}: {} is a file, not a folder, so nothing can be written under it",
            out.display(),
            file.display()
        )));
    }
    Ok(())
}

/// Trains a tokenizer on `inputs` and saves it to `out` (atomically).
pub fn train(
    inputs: &[PathBuf],
    read: &ReadOptions,
    config: &TrainConfig,
    out: &Path,
    ctx: Option<&JobCtx>,
) -> Result<TrainReport, TokenizerError> {
    config
        .validate()
        .map_err(|e| TokenizerError::Invalid(e.to_string()))?;
    check_output(out)?;
    let started = std::time::Instant::now();
    let special: Vec<AddedToken> = config
        .special_tokens
        .iter()
        .map(|t| AddedToken::from(t.clone(), true))
        .collect();
    let normalizer = if config.normalize_az {
        Some(az_normalizer(config.lowercase)?)
    } else {
        None
    };
    let total_bytes: u64 = inputs
        .iter()
        .filter_map(|p| p.metadata().ok())
        .map(|m| m.len())
        .sum();
    let mut texts = Texts {
        inputs,
        read,
        current: None,
        next_input: 0,
        done_bytes: 0,
        total_bytes,
        documents: 0,
        ctx,
        error: None,
        bad: crate::corpus::read::BadLineLog::default(),
    };
    // What both trainers' fast word counting does (the crate's normaliser being the fallback).
    let norm = if config.normalize_az {
        fast::Norm::Az {
            lowercase: config.lowercase,
        }
    } else {
        fast::Norm::None
    };
    let tokenizer: Tokenizer = match config.kind {
        Kind::Bpe => {
            // Our own trainer (the crate's merges, 3× faster): see `bpe_train`.
            let settings = bpe_train::Settings {
                vocab_size: config.vocab_size,
                min_frequency: config.min_frequency,
                special: &special,
                normalizer: normalizer.clone(),
                norm,
            };
            let batches = std::iter::from_fn(|| texts.batch());
            let (vocab, merges) = bpe_train::train(batches, &settings, ctx)?;
            let mut tokenizer = TokenizerBuilder::new()
                .with_model(bpe_train::model(&vocab, &merges)?)
                .with_normalizer(normalizer)
                .with_pre_tokenizer(Some(ByteLevel::default().add_prefix_space(false)))
                .with_decoder(Some(ByteLevel::default()))
                .with_post_processor(Some(ByteLevel::default().trim_offsets(false)))
                .build()
                .map_err(|e| tok_err(out, e))?;
            tokenizer
                .add_special_tokens(special.clone())
                .map_err(|e| tok_err(out, e))?;
            tokenizer.into()
        }
        Kind::Unigram => {
            // The 256 byte pieces of byte fallback come out of the same budget.
            let pieces = if config.byte_fallback {
                config
                    .vocab_size
                    .saturating_sub(256)
                    .max(config.special_tokens.len() + 2)
            } else {
                config.vocab_size
            };
            // Our own trainer (the crate's algorithm, several times faster): see
            // `unigram_train`.
            let settings = unigram_train::Settings {
                vocab_size: pieces,
                special: &special,
                unk: "<unk>",
                max_piece_length: config.max_piece_length,
                normalizer: normalizer.clone(),
                norm,
            };
            let batches = std::iter::from_fn(|| texts.batch());
            let trained = unigram_train::train(batches, &settings, ctx);
            // A file that failed to read explains an empty vocabulary better than the trainer.
            if let Some(error) = texts.error.take() {
                return Err(error);
            }
            crate::corpus::read::ensure_documents(inputs, texts.documents, &texts.bad)?;
            let trained = trained.map_err(|e| match e {
                TokenizerError::Invalid(m) if config.byte_fallback => TokenizerError::Invalid(
                    format!("{m} (with byte fallback, 256 of the vocabulary are byte pieces)"),
                ),
                e => e,
            })?;
            let unigram = Unigram::from(trained.vocab, Some(trained.unk_id), false)
                .map_err(|e| tok_err(out, e))?;
            let metaspace = Metaspace::new('▁', PrependScheme::Always, true);
            let mut tokenizer = TokenizerBuilder::new()
                .with_model(unigram)
                .with_normalizer(normalizer)
                .with_pre_tokenizer(Some(metaspace.clone()))
                .with_decoder(Some(metaspace))
                .with_post_processor(None::<tokenizers::processors::PostProcessorWrapper>)
                .build()
                .map_err(|e| tok_err(out, e))?;
            tokenizer
                .add_special_tokens(special.clone())
                .map_err(|e| tok_err(out, e))?;
            let mut tokenizer: Tokenizer = tokenizer.into();
            if config.byte_fallback {
                set_unigram_byte_fallback(&mut tokenizer, out)?;
            }
            tokenizer
        }
    };
    if let Some(error) = texts.error.take() {
        return Err(error);
    }
    crate::corpus::read::ensure_documents(inputs, texts.documents, &texts.bad)?;
    save(&tokenizer, out)?;
    if let Some(ctx) = ctx {
        ctx.progress(total_bytes, Some(total_bytes));
    }
    Ok(TrainReport {
        kind: config.kind,
        vocab_size: tokenizer.get_vocab_size(true),
        documents: texts.documents,
        bytes: total_bytes,
        seconds: started.elapsed().as_secs_f64(),
        output: out.to_owned(),
        bad_lines: texts.bad.count(),
        bad_line_examples: texts.bad.examples(),
    })
}

/// Byte fallback for a trained Unigram model: the model is rebuilt from its pieces with the
/// flag set (the trainer does not take it) and the 256 `<0xNN>` byte pieces it needs.
fn set_unigram_byte_fallback(tokenizer: &mut Tokenizer, out: &Path) -> Result<(), TokenizerError> {
    let mut json: serde_json::Value =
        serde_json::from_str(&tokenizer.to_string(false).map_err(|e| tok_err(out, e))?)
            .map_err(|e| tok_err(out, e))?;
    let model = &mut json["model"];
    let Some(vocab) = model["vocab"].as_array_mut() else {
        return Err(tok_err(out, "the trained model has no vocabulary"));
    };
    let lowest = vocab
        .iter()
        .filter_map(|p| p[1].as_f64())
        .fold(0.0f64, f64::min);
    let known: std::collections::HashSet<String> = vocab
        .iter()
        .filter_map(|p| p[0].as_str().map(str::to_owned))
        .collect();
    for byte in 0..=255u8 {
        let piece = format!("<0x{byte:02X}>");
        if !known.contains(&piece) {
            vocab.push(serde_json::json!([piece, lowest - 10.0]));
        }
    }
    model["byte_fallback"] = serde_json::Value::Bool(true);
    // Decoding turns runs of byte pieces back into their characters (the decoder layout of
    // Llama's tokenizers), or a round trip would keep `<0xNN>`.
    json["decoder"] = serde_json::json!({
        "type": "Sequence",
        "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0},
        ],
    });
    *tokenizer = json
        .to_string()
        .parse::<Tokenizer>()
        .map_err(|e| tok_err(out, e))?;
    Ok(())
}
