//! Tokenizers: training byte-level BPE (GPT-2 style) and Unigram (SentencePiece style,
//! metaspace) with the Hugging Face `tokenizers` crate, from workspace corpora or files, and
//! encoding with any `tokenizer.json`. What is saved is a plain `tokenizer.json` that the Python
//! `tokenizers` package loads and encodes to the same ids.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokenizers::models::unigram::Unigram;
use tokenizers::normalizers::{NormalizerWrapper, Sequence as NormSequence};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::{AddedToken, Tokenizer, TokenizerBuilder};

mod bpe_train;
pub mod fast;
mod unigram_train;

use crate::core::corpus::read::{DocumentReader, ReadOptions};
use crate::core::jobs::JobCtx;

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
    Read(#[from] crate::core::corpus::read::ReadError),
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
    bad: crate::core::corpus::read::BadLineLog,
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

fn tok_err(path: &Path, e: impl std::fmt::Display) -> TokenizerError {
    TokenizerError::Tokenizers {
        path: path.to_owned(),
        message: e.to_string(),
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
        bad: crate::core::corpus::read::BadLineLog::default(),
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
            crate::core::corpus::read::ensure_documents(inputs, texts.documents, &texts.bad)?;
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
    crate::core::corpus::read::ensure_documents(inputs, texts.documents, &texts.bad)?;
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

/// A tokenizer name no tokenizer of the workspace has yet.
fn free_tokenizer_name(
    store: &crate::core::store::Store,
    name: &str,
) -> Result<String, crate::core::store::StoreError> {
    let taken: Vec<String> = store.tokenizers()?.into_iter().map(|t| t.name).collect();
    let clean: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let base = if clean.trim_matches('-').is_empty() {
        "tokenizer".to_owned()
    } else {
        clean
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceTokenizerError {
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Store(#[from] crate::core::store::StoreError),
}

/// Trains on workspace corpora into `tokenizers/NAME/tokenizer.json`, with a `training.json`
/// record beside it (corpora, settings, report), and registers it.
pub fn train_in_workspace(
    root: &Path,
    corpora: &[crate::core::store::CorpusRow],
    name: &str,
    config: &TrainConfig,
    ctx: Option<&JobCtx>,
) -> Result<(String, TrainReport), WorkspaceTokenizerError> {
    let (mut store, _) =
        crate::core::store::Store::open(&root.join(crate::core::workspace::DB_FILE))?;
    let name = free_tokenizer_name(&store, name)?;
    let rel = format!("tokenizers/{name}/tokenizer.json");
    let out = root.join(&rel);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|source| TokenizerError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    let inputs: Vec<PathBuf> = corpora.iter().map(|c| root.join(&c.path)).collect();
    let report = train(&inputs, &ReadOptions::default(), config, &out, ctx)?;
    let record = serde_json::json!({
        "corpora": corpora.iter().map(|c| &c.name).collect::<Vec<_>>(),
        "settings": config,
        "report": report,
    });
    let record_path = out.with_file_name("training.json");
    crate::core::write_atomic(
        &record_path,
        serde_json::to_string_pretty(&record)
            .unwrap_or_default()
            .as_bytes(),
    )
    .map_err(|source| TokenizerError::Io {
        path: record_path,
        source,
    })?;
    let kind = match config.kind {
        Kind::Bpe => "bpe",
        Kind::Unigram => "unigram",
    };
    store.add_tokenizer(
        &name,
        &rel,
        kind,
        report.vocab_size as u64,
        corpora.first().map(|c| c.id),
        &record,
    )?;
    Ok((name, report))
}

/// Copies a `tokenizer.json` from elsewhere (e.g. a Hugging Face model folder) into the
/// workspace and registers it, after checking that it loads.
pub fn add_to_workspace(root: &Path, file: &Path) -> Result<String, WorkspaceTokenizerError> {
    let loaded = Loaded::open(file)?;
    let (mut store, _) =
        crate::core::store::Store::open(&root.join(crate::core::workspace::DB_FILE))?;
    let stem = file.parent().and_then(Path::file_name).map_or_else(
        || "tokenizer".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = free_tokenizer_name(&store, &stem)?;
    let rel = format!("tokenizers/{name}/tokenizer.json");
    let out = root.join(&rel);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|source| TokenizerError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    save(&loaded.tokenizer, &out)?;
    store.add_tokenizer(
        &name,
        &rel,
        &loaded.kind.to_lowercase(),
        loaded.vocab_size() as u64,
        None,
        &serde_json::json!({"imported_from": file.display().to_string()}),
    )?;
    Ok(name)
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
    let bad = std::sync::Mutex::new(crate::core::corpus::read::BadLineLog::default());
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
    crate::core::corpus::read::ensure_documents(inputs, documents, &bad)?;
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
    crate::core::write_atomic(out, json.as_bytes()).map_err(|source| TokenizerError::Io {
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

/// The parts of a SentencePiece `.model` (a protobuf `ModelProto`) a Unigram tokenizer needs.
#[derive(Debug, Default)]
struct SpmModel {
    /// (piece, score, type): type 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte.
    pieces: Vec<(String, f64, u64)>,
    model_type: u64,
    byte_fallback: bool,
    charsmap: Vec<u8>,
    add_dummy_prefix: bool,
}

/// Reads a protobuf varint at `*at`.
fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The fields of one protobuf message: (field number, varint value or bytes).
fn fields(bytes: &[u8]) -> Option<Vec<(u64, u64, &[u8])>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let key = varint(bytes, &mut at)?;
        let (field, wire) = (key >> 3, key & 7);
        match wire {
            0 => out.push((field, varint(bytes, &mut at)?, &[][..])),
            1 => {
                let b = bytes.get(at..at + 8)?;
                at += 8;
                out.push((field, u64::from_le_bytes(b.try_into().ok()?), &[][..]));
            }
            2 => {
                let len = usize::try_from(varint(bytes, &mut at)?).ok()?;
                let b = bytes.get(at..at.checked_add(len)?)?;
                at += len;
                out.push((field, 0, b));
            }
            5 => {
                let b = bytes.get(at..at + 4)?;
                at += 4;
                out.push((
                    field,
                    u64::from(u32::from_le_bytes(b.try_into().ok()?)),
                    &[][..],
                ));
            }
            _ => return None,
        }
    }
    Some(out)
}

fn parse_spm(bytes: &[u8]) -> Option<SpmModel> {
    let mut model = SpmModel {
        model_type: 1,
        add_dummy_prefix: true,
        ..SpmModel::default()
    };
    for (field, _, data) in fields(bytes)? {
        match field {
            1 => {
                let (mut piece, mut score, mut kind) = (String::new(), 0.0, 1);
                for (f, v, d) in fields(data)? {
                    match f {
                        1 => piece = String::from_utf8(d.to_vec()).ok()?,
                        2 => score = f64::from(f32::from_bits(u32::try_from(v).ok()?)),
                        3 => kind = v,
                        _ => {}
                    }
                }
                model.pieces.push((piece, score, kind));
            }
            2 => {
                for (f, v, _) in fields(data)? {
                    match f {
                        3 => model.model_type = v,
                        35 => model.byte_fallback = v != 0,
                        _ => {}
                    }
                }
            }
            3 => {
                for (f, v, d) in fields(data)? {
                    match f {
                        2 => model.charsmap = d.to_vec(),
                        3 => model.add_dummy_prefix = v != 0,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    (!model.pieces.is_empty()).then_some(model)
}

/// Converts a SentencePiece Unigram `.model` into a tokenizer that encodes to the same ids:
/// its pieces and scores, its normalisation table, metaspace splitting and byte fallback.
pub fn load_sentencepiece(path: &Path) -> Result<Tokenizer, TokenizerError> {
    let bytes = std::fs::read(path).map_err(|source| TokenizerError::Io {
        path: path.to_owned(),
        source,
    })?;
    let model = parse_spm(&bytes)
        .ok_or_else(|| tok_err(path, "not a SentencePiece model (unreadable protobuf)"))?;
    if model.model_type != 1 {
        return Err(tok_err(
            path,
            format!(
                "a SentencePiece model of type {} (only Unigram models, type 1, can be converted)",
                model.model_type
            ),
        ));
    }
    let unk_id = model.pieces.iter().position(|(_, _, k)| *k == 2);
    let vocab: Vec<(String, f64)> = model
        .pieces
        .iter()
        .map(|(p, s, _)| (p.clone(), *s))
        .collect();
    let unigram =
        Unigram::from(vocab, unk_id, model.byte_fallback).map_err(|e| tok_err(path, e))?;
    let mut normalizers: Vec<NormalizerWrapper> = Vec::new();
    if !model.charsmap.is_empty() {
        let precompiled = tokenizers::normalizers::precompiled::Precompiled::from(&model.charsmap)
            .map_err(|e| tok_err(path, e))?;
        normalizers.push(precompiled.into());
    }
    normalizers.push(
        tokenizers::normalizers::replace::Replace::new(
            tokenizers::normalizers::replace::ReplacePattern::Regex(" {2,}".into()),
            " ",
        )
        .map_err(|e| tok_err(path, e))?
        .into(),
    );
    let scheme = if model.add_dummy_prefix {
        PrependScheme::Always
    } else {
        PrependScheme::Never
    };
    let mut tokenizer = Tokenizer::new(unigram);
    tokenizer
        .with_normalizer(Some(NormSequence::new(normalizers)))
        .map_err(|e| tok_err(path, e))?;
    tokenizer.with_pre_tokenizer(Some(Metaspace::new('▁', scheme, true)));
    let special: Vec<AddedToken> = model
        .pieces
        .iter()
        .filter(|(_, _, k)| *k == 2 || *k == 3)
        .map(|(p, _, _)| AddedToken::from(p.clone(), true))
        .collect();
    tokenizer
        .add_special_tokens(special)
        .map_err(|e| tok_err(path, e))?;
    // Decoding as in byte-fallback Unigram tokenizers trained here.
    let json = serde_json::json!({
        "type": "Sequence",
        "decoders": [
            {"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
            {"type": "ByteFallback"},
            {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": usize::from(model.add_dummy_prefix), "stop": 0},
        ],
    });
    let decoder: tokenizers::DecoderWrapper =
        serde_json::from_value(json).map_err(|e| tok_err(path, e))?;
    tokenizer.with_decoder(Some(decoder));
    Ok(tokenizer)
}

#[cfg(test)]
mod spm_tests {
    use super::*;

    #[test]
    fn a_sentencepiece_model_encodes_as_sentencepiece_does() {
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
        let tokenizer = load_sentencepiece(&data.join("az_unigram.model")).expect("load");
        let expected: serde_json::Value = serde_json::from_slice(
            &std::fs::read(data.join("az_unigram.expected.json")).expect("read"),
        )
        .expect("json");
        for case in expected.as_array().expect("cases") {
            let text = case["text"].as_str().expect("text");
            let encoding = tokenizer.encode(text, false).expect("encode");
            let want: Vec<u32> = case["ids"]
                .as_array()
                .expect("ids")
                .iter()
                .map(|v| v.as_u64().expect("id") as u32)
                .collect();
            assert_eq!(
                encoding.get_ids(),
                want.as_slice(),
                "{text}: {:?}",
                encoding.get_tokens()
            );
            let decoded = tokenizer.decode(encoding.get_ids(), false).expect("decode");
            assert_eq!(decoded, text);
        }
        let err = load_sentencepiece(&data.join("hf_style.parquet")).expect_err("not a model");
        assert!(err.to_string().contains("hf_style.parquet"), "{err}");
    }
}
