//! Training data: packed token shards for pretraining (memory-mapped, u16 or u32 by vocabulary),
//! chat examples rendered through the chat template with the loss on assistant tokens only, and
//! preference pairs for DPO.

use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use super::{RunConfig, TrainError};
use crate::corpus::read::{DocumentReader, ReadOptions, expand_inputs};
use crate::model::ops::IGNORE;
use crate::model::rng::Rng;

const MAGIC: &[u8; 8] = b"DZTOKEN1";
const HEADER_BYTES: usize = 32;

/// A memory-mapped file of token ids: 8 bytes magic, u32 width (2 or 4), u32 reserved, u64
/// count, 8 bytes reserved, then the ids little-endian.
pub struct TokenShard {
    path: PathBuf,
    map: Option<memmap2::Mmap>,
    width: usize,
    len: usize,
}

impl TokenShard {
    /// `unsafe` (here, in corpus::exact and corpus::simd_norm only): mapping the file is what lets a multi-gigabyte shard
    /// train without being read into memory.
    #[allow(unsafe_code)]
    pub fn open(path: &Path) -> Result<Self, TrainError> {
        let bad = |message: String| TrainError::Data {
            path: path.to_owned(),
            line: 0,
            message,
        };
        let file = std::fs::File::open(path).map_err(|source| TrainError::Io {
            path: path.to_owned(),
            source,
        })?;
        // SAFETY: the shard is written once (temp + rename) and never modified in place; a file
        // truncated under us would at worst read as the error below on the next open.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| TrainError::Io {
            path: path.to_owned(),
            source,
        })?;
        if map.len() < HEADER_BYTES || &map[..8] != MAGIC {
            return Err(bad("not a Dəzgah token shard".into()));
        }
        let width = u32::from_le_bytes([map[8], map[9], map[10], map[11]]) as usize;
        let mut count = [0u8; 8];
        count.copy_from_slice(&map[16..24]);
        let len = usize::try_from(u64::from_le_bytes(count)).unwrap_or(usize::MAX);
        if !(width == 2 || width == 4) || map.len() != HEADER_BYTES + len.saturating_mul(width) {
            return Err(bad(format!(
                "damaged token shard (width {width}, {len} tokens, {} bytes)",
                map.len()
            )));
        }
        Ok(Self {
            path: path.to_owned(),
            map: (len > 0).then_some(map),
            width,
            len,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, i: usize) -> u32 {
        let Some(map) = &self.map else { return 0 };
        let at = HEADER_BYTES + i * self.width;
        if self.width == 2 {
            u32::from(u16::from_le_bytes([map[at], map[at + 1]]))
        } else {
            u32::from_le_bytes([map[at], map[at + 1], map[at + 2], map[at + 3]])
        }
    }

    /// Tokens `start..start + n` appended to `out`.
    pub fn extend(&self, start: usize, n: usize, out: &mut Vec<u32>) {
        out.extend((start..start + n).map(|i| self.get(i)));
    }
}

/// Writes a shard atomically.
pub fn write_shard(path: &Path, ids: &[u32], vocab_size: usize) -> Result<(), TrainError> {
    let io = |source| TrainError::Io {
        path: path.to_owned(),
        source,
    };
    let width: u32 = if vocab_size <= 65_536 { 2 } else { 4 };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = crate::tmpfile::TempFile::create(path).map_err(io)?;
    {
        let mut w = std::io::BufWriter::new(tmp.file().map_err(io)?);
        let mut header = [0u8; HEADER_BYTES];
        header[..8].copy_from_slice(MAGIC);
        header[8..12].copy_from_slice(&width.to_le_bytes());
        header[16..24].copy_from_slice(&(ids.len() as u64).to_le_bytes());
        w.write_all(&header).map_err(io)?;
        for &id in ids {
            if width == 2 {
                let id = u16::try_from(id).map_err(|_| TrainError::Data {
                    path: path.to_owned(),
                    line: 0,
                    message: format!("token id {id} does not fit the vocabulary of {vocab_size}"),
                })?;
                w.write_all(&id.to_le_bytes()).map_err(io)?;
            } else {
                w.write_all(&id.to_le_bytes()).map_err(io)?;
            }
        }
        w.flush().map_err(io)?;
    }
    tmp.persist(path).map_err(io)?;
    Ok(())
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ShardReport {
    pub documents: u64,
    pub train_tokens: u64,
    pub val_tokens: u64,
    pub seconds: f64,
    /// Lines left out as unreadable, and the first of them as `file:line: reason`.
    pub bad_lines: u64,
    pub bad_line_examples: Vec<String>,
}

/// How a run reads its pretraining text: its text field and bad-line choice.
pub fn read_options(cfg: &super::RunConfig) -> ReadOptions {
    ReadOptions {
        text_field: cfg.text_field.clone(),
        bad_lines: cfg.bad_lines,
        ..ReadOptions::default()
    }
}

/// Special ids the data pipeline needs, looked up once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialIds {
    pub bos: Option<u32>,
    pub eos: Option<u32>,
    pub pad: u32,
    pub end_of_turn: Option<u32>,
}

impl SpecialIds {
    pub fn of(tokenizer: &Tokenizer) -> Self {
        let id = |t: &str| tokenizer.token_to_id(t);
        Self {
            bos: id("<s>").or_else(|| id("<|begin_of_text|>")),
            eos: id("</s>")
                .or_else(|| id("<|endoftext|>"))
                .or_else(|| id("<|end_of_text|>")),
            pad: id("<pad>").or_else(|| id("</s>")).unwrap_or(0),
            end_of_turn: id("<|end|>"),
        }
    }

    /// Tokens that end a generation.
    pub fn end_ids(&self) -> Vec<u32> {
        self.eos.into_iter().chain(self.end_of_turn).collect()
    }
}

/// Tokenises pretraining text into `out_dir/train.tok` and `out_dir/val.tok`: each document is
/// `<s> … </s>`; every k-th document (k = 1/`val_fraction`) goes to validation, so no document is
/// split across the two. Too few documents for that and the last share of the stream is held
/// out instead.
pub fn build_shards(
    inputs: &[PathBuf],
    tokenizer: &Tokenizer,
    options: &ReadOptions,
    val_fraction: f64,
    out_dir: &Path,
    progress: &mut dyn FnMut(u64, u64),
    cancelled: &dyn Fn() -> bool,
) -> Result<ShardReport, TrainError> {
    use rayon::prelude::*;
    let started = std::time::Instant::now();
    let files = expand_inputs(inputs).map_err(|e| TrainError::Read(e.to_string()))?;
    if files.is_empty() {
        return Err(TrainError::NoData("no input files".into()));
    }
    let total_bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let special = SpecialIds::of(tokenizer);
    let every = if val_fraction > 0.0 {
        (1.0 / val_fraction).round().max(2.0) as u64
    } else {
        u64::MAX
    };
    let mut bad = crate::corpus::read::BadLineLog::default();
    let (mut train, mut val) = (Vec::<u32>::new(), Vec::<u32>::new());
    let mut documents = 0u64;
    let mut read_bytes = 0u64;
    let mut batch: Vec<String> = Vec::with_capacity(1024);
    let fast = crate::tokenizer::fast::Fast::new(tokenizer);
    let mut flush = |batch: &mut Vec<String>, documents: &mut u64| -> Result<(), TrainError> {
        let encoded: Result<Vec<Vec<u32>>, String> = batch
            .par_iter()
            .map(|t| {
                crate::tokenizer::ids_of(tokenizer, fast.as_ref(), t).map_err(|e| e.to_string())
            })
            .collect();
        for ids in encoded.map_err(TrainError::Tokenizer)? {
            let target = if (*documents + 1).is_multiple_of(every) {
                &mut val
            } else {
                &mut train
            };
            target.extend(special.bos);
            target.extend(ids);
            target.extend(special.eos);
            *documents += 1;
        }
        batch.clear();
        Ok(())
    };
    for file in &files {
        let mut reader = DocumentReader::open(file, options.clone())
            .map_err(|e| TrainError::Read(e.to_string()))?;
        for doc in reader.by_ref() {
            let doc = doc.map_err(|e| TrainError::Read(e.to_string()))?;
            if doc.text.trim().is_empty() {
                continue;
            }
            read_bytes += doc.text.len() as u64 + 1;
            batch.push(doc.text);
            if batch.len() == 1024 {
                flush(&mut batch, &mut documents)?;
                progress(read_bytes.min(total_bytes), total_bytes);
                if cancelled() {
                    return Err(TrainError::Stopped);
                }
            }
        }
        bad.absorb(&reader.problems);
    }
    flush(&mut batch, &mut documents)?;
    if train.is_empty() && val.is_empty() {
        let lines = bad.lines();
        let listed = if lines.is_empty() {
            String::new()
        } else {
            format!(
                "; {} unreadable line(s):\n  {}",
                bad.count(),
                lines.join("\n  ")
            )
        };
        return Err(TrainError::NoData(format!(
            "{} holds no text{listed}",
            crate::corpus::read::join_paths(&files)
        )));
    }
    if val.is_empty() && val_fraction > 0.0 {
        let keep = train.len() - ((train.len() as f64 * val_fraction).ceil() as usize).max(1);
        val = train.split_off(keep);
    }
    let vocab = tokenizer.get_vocab_size(true);
    write_shard(&out_dir.join("train.tok"), &train, vocab)?;
    write_shard(&out_dir.join("val.tok"), &val, vocab)?;
    progress(total_bytes, total_bytes);
    Ok(ShardReport {
        documents,
        train_tokens: train.len() as u64,
        val_tokens: val.len() as u64,
        seconds: started.elapsed().as_secs_f64(),
        bad_lines: bad.count(),
        bad_line_examples: bad.examples(),
    })
}

/// Random windows of `seq_len + 1` tokens: inputs and next-token targets.
pub fn window_batch(
    shard: &TokenShard,
    batch: usize,
    seq_len: usize,
    rng: &mut Rng,
) -> Result<(Vec<u32>, Vec<u32>), TrainError> {
    if shard.len() < 2 {
        return Err(TrainError::NoData(format!(
            "{} has {} tokens; at least 2 are needed",
            shard.path().display(),
            shard.len()
        )));
    }
    let span = (seq_len + 1).min(shard.len());
    let t = span - 1;
    let mut inputs = Vec::with_capacity(batch * seq_len);
    let mut targets = Vec::with_capacity(batch * seq_len);
    let mut window = Vec::with_capacity(span);
    for _ in 0..batch {
        let start = rng.below(shard.len() - span + 1);
        window.clear();
        shard.extend(start, span, &mut window);
        inputs.extend_from_slice(&window[..t]);
        targets.extend_from_slice(&window[1..]);
        // Short shards give short windows; pad to the batch shape with ignored targets.
        inputs.extend(std::iter::repeat_n(0, seq_len - t));
        targets.extend(std::iter::repeat_n(IGNORE, seq_len - t));
    }
    Ok((inputs, targets))
}

pub use crate::domain::{Message, Role};

/// A role's marker in the chat template.
fn marker(role: Role) -> &'static str {
    match role {
        Role::System => "<|system|>",
        Role::User => "<|user|>",
        Role::Assistant => "<|assistant|>",
    }
}

/// The chat template, also written into exports: each turn is `<|role|>\n{content}<|end|>\n`.
pub const CHAT_TEMPLATE: &str = "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}<|end|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}";

/// The conversation as text, with the byte spans the loss covers (assistant contents with their
/// `<|end|>`).
pub fn render_chat(
    messages: &[Message],
    add_generation_prompt: bool,
) -> (String, Vec<(usize, usize)>) {
    let mut text = String::new();
    let mut spans = Vec::new();
    for m in messages {
        text.push_str(marker(m.role));
        text.push('\n');
        let start = text.len();
        text.push_str(&m.content);
        text.push_str("<|end|>");
        if m.role == Role::Assistant {
            spans.push((start, text.len()));
        }
        text.push('\n');
    }
    if add_generation_prompt {
        text.push_str(marker(Role::Assistant));
        text.push('\n');
    }
    (text, spans)
}

/// One training sequence: input ids and per-position targets (IGNORE where there is no loss).
#[derive(Debug, Clone, PartialEq)]
pub struct Sequence {
    pub ids: Vec<u32>,
    pub targets: Vec<u32>,
}

impl Sequence {
    pub fn trained_tokens(&self) -> usize {
        self.targets.iter().filter(|&&t| t != IGNORE).count()
    }
}

/// Tokenises a conversation: `<s>` then the template; a position's target is the next token
/// when that token lies inside an assistant span, so the model learns to answer, not to ask.
/// Truncated to `max_len` inputs.
pub fn encode_chat(
    tokenizer: &Tokenizer,
    messages: &[Message],
    max_len: usize,
) -> Result<Sequence, TrainError> {
    let (text, spans) = render_chat(messages, false);
    let enc = tokenizer
        .encode(text.as_str(), false)
        .map_err(|e| TrainError::Tokenizer(e.to_string()))?;
    let special = SpecialIds::of(tokenizer);
    let mut ids: Vec<u32> = special.bos.into_iter().collect();
    let mut trained: Vec<bool> = special.bos.map(|_| false).into_iter().collect();
    for (id, &(start, _)) in enc.get_ids().iter().zip(enc.get_offsets()) {
        ids.push(*id);
        trained.push(spans.iter().any(|&(s, e)| start >= s && start < e));
    }
    if special.end_of_turn.is_none()
        && let Some(eos) = special.eos
    {
        ids.push(eos);
        trained.push(true);
    }
    ids.truncate(max_len + 1);
    trained.truncate(max_len + 1);
    let n = ids.len().saturating_sub(1);
    let targets = (0..n)
        .map(|i| if trained[i + 1] { ids[i + 1] } else { IGNORE })
        .collect();
    ids.truncate(n);
    Ok(Sequence { ids, targets })
}

/// Token ids of a prompt ready for the model's answer.
pub fn encode_prompt(tokenizer: &Tokenizer, messages: &[Message]) -> Result<Vec<u32>, TrainError> {
    let (text, _) = render_chat(messages, true);
    plain_prompt(tokenizer, &text)
}

/// `<s>` + the text's ids: how pretraining saw every document start.
pub fn plain_prompt(tokenizer: &Tokenizer, text: &str) -> Result<Vec<u32>, TrainError> {
    let enc = tokenizer
        .encode(text, false)
        .map_err(|e| TrainError::Tokenizer(e.to_string()))?;
    Ok(SpecialIds::of(tokenizer)
        .bos
        .into_iter()
        .chain(enc.get_ids().iter().copied())
        .collect())
}

/// A DPO pair: the same conversation answered well and badly.
#[derive(Debug, Clone, PartialEq)]
pub struct PreferencePair {
    pub prompt: Vec<Message>,
    pub chosen: String,
    pub rejected: String,
}

fn data_err(path: &Path, line: u64, message: impl Into<String>) -> TrainError {
    TrainError::Data {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

fn jsonl_lines(path: &Path) -> Result<Vec<(u64, serde_json::Value)>, TrainError> {
    let file = std::fs::File::open(path).map_err(|source| TrainError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|source| TrainError::Io {
            path: path.to_owned(),
            source,
        })?;
        let text = std::str::from_utf8(&line)
            .map_err(|e| data_err(path, n, format!("invalid UTF-8: {e}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(text).map_err(|e| data_err(path, n, e.to_string()))?;
        out.push((n, value));
    }
    Ok(out)
}

/// A TRL `messages` list, or a plain string as one user turn.
fn messages_of(value: &serde_json::Value, default_role: Role) -> Result<Vec<Message>, String> {
    match value {
        serde_json::Value::String(s) => Ok(vec![Message {
            role: default_role,
            content: s.clone(),
        }]),
        serde_json::Value::Array(_) => {
            serde_json::from_value::<Vec<Message>>(value.clone()).map_err(|e| e.to_string())
        }
        _ => Err("expected a string or a list of {role, content} messages".into()),
    }
}

/// SFT conversations from TRL `messages` JSONL (or `prompt`/`completion` lines).
pub fn read_sft_jsonl(path: &Path) -> Result<Vec<Vec<Message>>, TrainError> {
    let mut out = Vec::new();
    for (n, value) in jsonl_lines(path)? {
        let messages = if let Some(m) = value.get("messages") {
            messages_of(m, Role::User).map_err(|e| data_err(path, n, e))?
        } else if let (Some(p), Some(c)) = (value.get("prompt"), value.get("completion")) {
            let mut m = messages_of(p, Role::User).map_err(|e| data_err(path, n, e))?;
            m.extend(messages_of(c, Role::Assistant).map_err(|e| data_err(path, n, e))?);
            m
        } else {
            return Err(data_err(
                path,
                n,
                "expected a \"messages\" list (or \"prompt\" and \"completion\")",
            ));
        };
        if !messages
            .iter()
            .any(|m| m.role == Role::Assistant && !m.content.trim().is_empty())
        {
            return Err(data_err(path, n, "no assistant answer to learn from"));
        }
        out.push(messages);
    }
    Ok(out)
}

/// DPO pairs from TRL `prompt`/`chosen`/`rejected` JSONL (strings or message lists).
pub fn read_dpo_jsonl(path: &Path) -> Result<Vec<PreferencePair>, TrainError> {
    let mut out = Vec::new();
    for (n, value) in jsonl_lines(path)? {
        let field = |name: &str| {
            value
                .get(name)
                .ok_or_else(|| data_err(path, n, format!("missing \"{name}\"")))
        };
        let prompt = messages_of(field("prompt")?, Role::User).map_err(|e| data_err(path, n, e))?;
        let answer = |name: &str| -> Result<String, TrainError> {
            let m = messages_of(field(name)?, Role::Assistant).map_err(|e| data_err(path, n, e))?;
            m.into_iter()
                .rev()
                .find(|m| m.role == Role::Assistant)
                .map(|m| m.content)
                .ok_or_else(|| data_err(path, n, format!("\"{name}\" has no assistant message")))
        };
        let (chosen, rejected) = (answer("chosen")?, answer("rejected")?);
        if chosen == rejected {
            return Err(data_err(path, n, "chosen and rejected are the same text"));
        }
        out.push(PreferencePair {
            prompt,
            chosen,
            rejected,
        });
    }
    Ok(out)
}

/// The run folder's own copy of what an SFT run trains on (TRL `messages` JSONL), written by
/// the launcher or by the first start, so a resume reads exactly the same conversations.
pub const RUN_SFT_FILE: &str = "data/sft.jsonl";
/// The run folder's own copy of a DPO run's pairs (TRL conversational
/// `prompt`/`chosen`/`rejected` JSONL).
pub const RUN_DPO_FILE: &str = "data/dpo.jsonl";

#[derive(Serialize, Deserialize)]
struct RunConversation {
    messages: Vec<Message>,
}

#[derive(Serialize, Deserialize)]
struct RunPair {
    prompt: Vec<Message>,
    chosen: Vec<Message>,
    rejected: Vec<Message>,
}

fn write_jsonl<T: Serialize>(path: &Path, rows: impl Iterator<Item = T>) -> Result<(), TrainError> {
    let mut text = Vec::new();
    for row in rows {
        serde_json::to_writer(&mut text, &row).map_err(|e| TrainError::Invalid(e.to_string()))?;
        text.push(b'\n');
    }
    let io = |source| TrainError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    crate::write_atomic(path, &text).map_err(io)
}

/// Writes a run's conversations into `RUN/data/sft.jsonl`.
pub fn write_run_conversations(run_dir: &Path, convs: &[Vec<Message>]) -> Result<(), TrainError> {
    write_jsonl(
        &run_dir.join(RUN_SFT_FILE),
        convs.iter().map(|c| RunConversation {
            messages: c.clone(),
        }),
    )
}

/// Writes a run's preference pairs into `RUN/data/dpo.jsonl`.
pub fn write_run_pairs(run_dir: &Path, pairs: &[PreferencePair]) -> Result<(), TrainError> {
    let answer = |text: &str| vec![Message::new(Role::Assistant, text)];
    write_jsonl(
        &run_dir.join(RUN_DPO_FILE),
        pairs.iter().map(|p| RunPair {
            prompt: p.prompt.clone(),
            chosen: answer(&p.chosen),
            rejected: answer(&p.rejected),
        }),
    )
}

/// The lines of a run folder's own data file, each one `T` (the file was written by
/// [`write_run_conversations`] or [`write_run_pairs`]; nothing is filtered on the way back).
fn read_run_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, TrainError> {
    jsonl_lines(path)?
        .into_iter()
        .map(|(n, value)| {
            serde_json::from_value(value).map_err(|e| data_err(path, n, e.to_string()))
        })
        .collect()
}

/// A run's data path, checked to be a file: the engine reads only files, and a workspace
/// folder's examples or pairs are written into the run folder by whoever launches the run.
fn data_file(path: &Path) -> Result<&Path, TrainError> {
    if path.is_dir() {
        return Err(TrainError::NoData(format!(
            "{} is a folder: launch the run with `dezgah train`, which writes a workspace's data into the run folder",
            path.display()
        )));
    }
    Ok(path)
}

/// The conversations an SFT run trains on: its `data/sft.jsonl` when it has one, else the
/// configured files, copied there so that a resume reads the same.
pub fn run_conversations(run_dir: &Path, cfg: &RunConfig) -> Result<Vec<Vec<Message>>, TrainError> {
    let path = run_dir.join(RUN_SFT_FILE);
    if path.is_file() {
        return Ok(read_run_jsonl::<RunConversation>(&path)?
            .into_iter()
            .map(|c| c.messages)
            .collect());
    }
    let mut out = Vec::new();
    for file in &cfg.data {
        out.extend(read_sft_jsonl(data_file(file)?)?);
    }
    write_run_conversations(run_dir, &out)?;
    Ok(out)
}

/// The pairs a DPO run trains on: its `data/dpo.jsonl` when it has one, else the configured
/// files, copied there so that a resume reads the same.
pub fn run_pairs(run_dir: &Path, cfg: &RunConfig) -> Result<Vec<PreferencePair>, TrainError> {
    let path = run_dir.join(RUN_DPO_FILE);
    if path.is_file() {
        let last = |m: Vec<Message>| m.into_iter().last().map(|m| m.content).unwrap_or_default();
        return Ok(read_run_jsonl::<RunPair>(&path)?
            .into_iter()
            .map(|p| PreferencePair {
                prompt: p.prompt,
                chosen: last(p.chosen),
                rejected: last(p.rejected),
            })
            .collect());
    }
    let mut out = Vec::new();
    for file in &cfg.data {
        out.extend(read_dpo_jsonl(data_file(file)?)?);
    }
    write_run_pairs(run_dir, &out)?;
    Ok(out)
}

/// Pads sequences into one batch (time = the longest, at most `seq_len`).
pub fn pad_batch(seqs: &[&Sequence], pad: u32) -> (Vec<u32>, Vec<u32>, usize) {
    let t = seqs.iter().map(|s| s.ids.len()).max().unwrap_or(1).max(1);
    let mut ids = Vec::with_capacity(seqs.len() * t);
    let mut targets = Vec::with_capacity(seqs.len() * t);
    for s in seqs {
        ids.extend_from_slice(&s.ids);
        ids.extend(std::iter::repeat_n(pad, t - s.ids.len()));
        targets.extend_from_slice(&s.targets);
        targets.extend(std::iter::repeat_n(IGNORE, t - s.targets.len()));
    }
    (ids, targets, t)
}

/// Which examples an epoch visits, in order: a seeded shuffle per epoch, so a resumed run
/// continues the same order from its saved (epoch, cursor).
pub fn epoch_order(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed).fork(&format!("epoch-{epoch}"));
    for i in (1..n).rev() {
        order.swap(i, rng.below(i + 1));
    }
    order
}

/// Splits examples into training and validation: a seeded shuffle, then about `fraction` of
/// them (at least one when there are four or more) held out.
pub fn split_examples<T>(items: Vec<T>, fraction: f64, seed: u64) -> (Vec<T>, Vec<T>) {
    let n = items.len();
    let n_val = if n >= 4 && fraction > 0.0 {
        ((n as f64 * fraction).round() as usize).clamp(1, n / 2)
    } else {
        0
    };
    let order = epoch_order(n, seed, u64::MAX);
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    let mut train = Vec::with_capacity(n - n_val);
    let mut val = Vec::with_capacity(n_val);
    for (rank, i) in order.into_iter().enumerate() {
        if let Some(item) = slots[i].take() {
            if rank < n_val {
                val.push(item);
            } else {
                train.push(item);
            }
        }
    }
    (train, val)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn tiny_tokenizer(dir: &Path) -> Tokenizer {
        use crate::tokenizer::{Kind, TrainConfig, load, train};
        let text: String = (0..200)
            .map(|i| format!("Azərbaycan Respublikası {i} Bakı şəhəri və Qarabağ. Salam, necəsən?"))
            .collect::<Vec<_>>()
            .join("\n");
        let path = dir.join("t.txt");
        std::fs::write(&path, text).expect("write");
        let cfg = TrainConfig {
            kind: Kind::Bpe,
            vocab_size: 300,
            ..TrainConfig::default()
        };
        let out = dir.join("tokenizer.json");
        train(&[path], &ReadOptions::default(), &cfg, &out, None).expect("train");
        load(&out).expect("load")
    }

    #[test]
    fn shards_round_trip_and_reject_damage() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("a.tok");
        write_shard(&p, &[1, 2, 65_535, 7], 65_536).expect("write");
        let s = TokenShard::open(&p).expect("open");
        assert_eq!(
            (0..4).map(|i| s.get(i)).collect::<Vec<_>>(),
            [1, 2, 65_535, 7]
        );
        let q = dir.path().join("b.tok");
        write_shard(&q, &[70_000], 100_000).expect("u32");
        assert_eq!(TokenShard::open(&q).expect("open").get(0), 70_000);
        assert!(write_shard(&dir.path().join("c.tok"), &[70_000], 1000).is_err());
        let mut bytes = std::fs::read(&p).expect("read");
        bytes.pop();
        std::fs::write(&p, bytes).expect("write");
        let err = TokenShard::open(&p).err().expect("damaged").to_string();
        assert!(err.contains("a.tok") && err.contains("damaged"), "{err}");
    }

    #[test]
    fn chat_targets_cover_only_assistant_tokens() {
        let dir = tempfile::tempdir().expect("tmp");
        let tok = tiny_tokenizer(dir.path());
        let messages = vec![
            Message {
                role: Role::User,
                content: "Salam, necəsən?".into(),
            },
            Message {
                role: Role::Assistant,
                content: "Bakı şəhəri".into(),
            },
        ];
        let seq = encode_chat(&tok, &messages, 512).expect("encode");
        assert_eq!(seq.ids.len(), seq.targets.len());
        let trained: Vec<u32> = seq
            .targets
            .iter()
            .copied()
            .filter(|&t| t != IGNORE)
            .collect();
        let text = tok.decode(&trained, false).expect("decode");
        assert!(
            text.contains("Bakı şəhəri") && text.contains("<|end|>"),
            "{text}"
        );
        assert!(
            !text.contains("Salam") && !text.contains("<|user|>"),
            "{text}"
        );
        let (prompt, _) = render_chat(&messages[..1], true);
        assert!(prompt.ends_with("<|assistant|>\n"));
    }

    #[test]
    fn bad_jsonl_names_file_and_line() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("sft.jsonl");
        std::fs::write(
            &p,
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"assistant\",\"content\":\"b\"}]}\n{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}]}\n",
        )
        .expect("write");
        let err = read_sft_jsonl(&p).expect_err("no answer").to_string();
        assert!(err.contains("sft.jsonl:2"), "{err}");
        let d = dir.path().join("dpo.jsonl");
        std::fs::write(
            &d,
            "{\"prompt\":\"p\",\"chosen\":\"a\",\"rejected\":\"b\"}\nnot json\n",
        )
        .expect("write");
        assert!(
            read_dpo_jsonl(&d)
                .expect_err("bad")
                .to_string()
                .contains("dpo.jsonl:2")
        );
    }

    #[test]
    fn split_and_order_are_seeded() {
        let (train, val) = split_examples((0..10).collect::<Vec<_>>(), 0.2, 3);
        assert_eq!((train.len(), val.len()), (8, 2));
        assert_eq!(epoch_order(10, 1, 0), epoch_order(10, 1, 0));
        assert_ne!(epoch_order(10, 1, 0), epoch_order(10, 1, 1));
    }
}
