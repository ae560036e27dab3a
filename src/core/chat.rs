//! Talking to a trained checkpoint: loading it once, streaming its answer token by token on a
//! named thread, optionally with passages retrieved from a corpus index put into the prompt, and
//! running a list of prompts in one go. Conversations are kept in the workspace database; this
//! module owns what one request is and what comes back.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::core::jobs::Waker;
use crate::core::model::generate::{Finish, Generation, SamplingConfig};
use crate::core::rag::{self, Hit, RagError};
use crate::core::train::TrainError;
use crate::core::train::data::{self, Message, Role};

#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    #[error(transparent)]
    Rag(#[from] RagError),
    /// Loading the checkpoint or generating failed; `run` names the run.
    #[error("{run}: {source}")]
    Model {
        run: String,
        source: Box<TrainError>,
    },
}

/// A checkpoint loaded with its tokenizer, ready to answer on the CPU (the playground here,
/// drafts in `sft`, rating candidates in `prefs`).
pub struct ChatModel {
    llama: crate::core::model::Llama,
    tokenizer: Tokenizer,
    device: candle_core::Device,
}

impl std::fmt::Debug for ChatModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatModel").finish_non_exhaustive()
    }
}

/// What the model is asked: a conversation through the chat template, or plain text to continue
/// (a pretrained model that never saw the template).
#[derive(Debug, Clone, PartialEq)]
pub enum Prompt {
    Chat(Vec<Message>),
    Completion(String),
}

impl ChatModel {
    /// Loads `checkpoint` (`best`, `last` or a step) of a run, refusing a tokenizer larger than
    /// the model's embedding table.
    pub fn load(run_dir: &Path, checkpoint: &str) -> Result<Self, TrainError> {
        use crate::core::train::checkpoint as ckpt;
        let device = candle_core::Device::Cpu;
        let dir = ckpt::resolve(run_dir, checkpoint)?;
        let (llama, cfg) = ckpt::load_model(&dir, &device, candle_core::DType::F32)?;
        let tok_path = ckpt::tokenizer_path(&dir)?;
        let tokenizer = crate::core::tokenizer::load(&tok_path)
            .map_err(|e| TrainError::Tokenizer(format!("{}: {e}", tok_path.display())))?;
        if tokenizer.get_vocab_size(true) > cfg.vocab_size {
            return Err(TrainError::Invalid(format!(
                "wrong tokenizer/model pair: {} has {} tokens, the model {} embedding rows",
                tok_path.display(),
                tokenizer.get_vocab_size(true),
                cfg.vocab_size
            )));
        }
        Ok(Self {
            llama,
            tokenizer,
            device,
        })
    }

    /// The assistant's answer to `messages`; `cancel` is polled between tokens.
    pub fn answer(
        &self,
        messages: &[Message],
        sampling: &SamplingConfig,
        cancel: &dyn Fn() -> bool,
    ) -> Result<String, TrainError> {
        let g = self.stream(
            &Prompt::Chat(messages.to_vec()),
            sampling,
            &mut |_| {},
            cancel,
        )?;
        Ok(g.text.trim().to_owned())
    }

    /// The model's context window, in tokens.
    pub fn context(&self) -> usize {
        self.llama.config.max_position_embeddings
    }

    /// How many tokens `prompt` takes.
    pub fn prompt_tokens(&self, prompt: &Prompt) -> Result<usize, TrainError> {
        Ok(match prompt {
            Prompt::Chat(messages) => data::encode_prompt(&self.tokenizer, messages)?.len(),
            Prompt::Completion(text) => data::plain_prompt(&self.tokenizer, text)?.len(),
        })
    }

    /// Generates for `prompt`, handing each new piece of text to `on_text` as it is decoded.
    pub fn stream(
        &self,
        prompt: &Prompt,
        sampling: &SamplingConfig,
        on_text: &mut dyn FnMut(&str),
        cancel: &dyn Fn() -> bool,
    ) -> Result<Generation, TrainError> {
        let mut sampling = sampling.clone();
        let ids = match prompt {
            Prompt::Chat(messages) => {
                sampling.stop.push("<|end|>".into());
                data::encode_prompt(&self.tokenizer, messages)?
            }
            Prompt::Completion(text) => data::plain_prompt(&self.tokenizer, text)?,
        };
        let special = data::SpecialIds::of(&self.tokenizer);
        let decode = |ids: &[u32]| self.tokenizer.decode(ids, true).unwrap_or_default();
        crate::core::model::generate::generate(
            &self.llama,
            &self.device,
            &ids,
            &sampling,
            &special.end_ids(),
            &decode,
            on_text,
            cancel,
        )
        .map_err(|error| TrainError::Model {
            context: "generating an answer".into(),
            error,
        })
    }
}

/// Retrieval settings of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RagSettings {
    pub enabled: bool,
    /// The indexed corpus, by name.
    pub corpus: String,
    /// Passages put into the prompt.
    pub k: usize,
    /// `{context}` and `{question}` are filled in.
    pub template: String,
}

impl Default for RagSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            corpus: String::new(),
            k: 4,
            template: rag::DEFAULT_TEMPLATE.to_owned(),
        }
    }
}

/// Everything a conversation's answers depend on; stored with it as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatSettings {
    /// The run folder, relative to the workspace root.
    pub run: Option<String>,
    /// `best`, `last` or a step number.
    pub checkpoint: String,
    pub system: String,
    /// Continue plain text instead of the chat template (for a pretrained model).
    pub completion: bool,
    pub sampling: SamplingConfig,
    pub rag: RagSettings,
}

impl Default for ChatSettings {
    fn default() -> Self {
        Self {
            run: None,
            checkpoint: "best".into(),
            system: String::new(),
            completion: false,
            sampling: SamplingConfig {
                max_tokens: 200,
                ..SamplingConfig::default()
            },
            rag: RagSettings::default(),
        }
    }
}

/// A retrieved passage as the answer's record keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsedPassage {
    pub label: String,
    pub score: f32,
    /// Share of the answer's words found in the passage.
    pub overlap: f32,
    pub used: bool,
    pub text: String,
}

/// What is recorded with an answer besides its text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TurnMeta {
    /// `run name@checkpoint`.
    pub model: String,
    pub seed: u64,
    pub tokens: usize,
    pub tokens_per_sec: f64,
    pub finish: Option<Finish>,
    pub passages: Vec<UsedPassage>,
    /// Passages retrieval found; more than `passages` when some did not fit the context.
    pub retrieved: usize,
    /// The model's context window, in tokens.
    pub context: usize,
    /// Why generation failed, when it did.
    pub error: Option<String>,
}

/// One answer to produce.
#[derive(Debug, Clone)]
pub struct Request {
    /// Which column of a side-by-side comparison (0 in a plain chat).
    pub slot: usize,
    pub workspace: PathBuf,
    pub run_dir: PathBuf,
    /// How the run is shown (its name).
    pub run_name: String,
    pub settings: ChatSettings,
    /// The conversation so far as (role, text), ending with the user's new message.
    pub history: Vec<(String, String)>,
}

/// What a generation thread reports, in order: the passages (with retrieval on), pieces of text,
/// then the end.
#[derive(Debug, Clone)]
pub enum Event {
    Passages {
        slot: usize,
        hits: Vec<Hit>,
    },
    Text {
        slot: usize,
        piece: String,
    },
    Done {
        slot: usize,
        result: Result<Reply, String>,
    },
}

/// A finished answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    pub meta: TurnMeta,
}

/// Loaded checkpoints, so the next message does not load the model again. Keyed by the
/// checkpoint folder and its weights' modification time (`best` is rewritten while a run trains).
#[derive(Clone, Default)]
pub struct ModelCache(Arc<Mutex<Vec<Cached>>>);

type CacheKey = (PathBuf, Option<std::time::SystemTime>);
type Cached = (CacheKey, Arc<ChatModel>);

impl std::fmt::Debug for ModelCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelCache").finish_non_exhaustive()
    }
}

/// Checkpoints kept loaded at once (two for a side-by-side comparison, one spare).
const CACHED_MODELS: usize = 3;

impl ModelCache {
    pub fn get(&self, run_dir: &Path, checkpoint: &str) -> Result<Arc<ChatModel>, TrainError> {
        use crate::core::train::checkpoint as ckpt;
        let dir = ckpt::resolve(run_dir, checkpoint)?;
        let modified = std::fs::metadata(dir.join(ckpt::MODEL_FILE))
            .and_then(|m| m.modified())
            .ok();
        let key = (dir, modified);
        if let Ok(models) = self.0.lock()
            && let Some((_, m)) = models.iter().find(|(k, _)| *k == key)
        {
            return Ok(Arc::clone(m));
        }
        let model = Arc::new(ChatModel::load(run_dir, checkpoint)?);
        if let Ok(mut models) = self.0.lock() {
            models.retain(|(k, _)| k.0 != key.0);
            models.push((key, Arc::clone(&model)));
            if models.len() > CACHED_MODELS {
                models.remove(0);
            }
        }
        Ok(model)
    }
}

fn role_of(name: &str) -> Role {
    match name {
        "system" => Role::System,
        "assistant" => Role::Assistant,
        _ => Role::User,
    }
}

/// The prompt for `history` under `settings`: the system prompt first, and the last user
/// message replaced by the retrieval template filled with `hits` when there are any. Earlier
/// turns go as they were typed, so the context window holds the conversation, not old passages.
pub fn prompt_for(settings: &ChatSettings, history: &[(String, String)], hits: &[Hit]) -> Prompt {
    let last_user = history.iter().rposition(|(role, _)| role == "user");
    let with_context = |i: usize, text: &str| -> String {
        if Some(i) == last_user && !hits.is_empty() {
            rag::build_prompt(&settings.rag.template, text, hits)
        } else {
            text.to_owned()
        }
    };
    if settings.completion {
        let mut text = String::new();
        if !settings.system.trim().is_empty() {
            text.push_str(settings.system.trim());
            text.push_str("\n\n");
        }
        if let Some(i) = last_user {
            text.push_str(&with_context(i, &history[i].1));
        }
        return Prompt::Completion(text);
    }
    let mut messages = Vec::new();
    if !settings.system.trim().is_empty() {
        messages.push(Message {
            role: Role::System,
            content: settings.system.trim().to_owned(),
        });
    }
    for (i, (role, text)) in history.iter().enumerate() {
        messages.push(Message {
            role: role_of(role),
            content: with_context(i, text),
        });
    }
    Prompt::Chat(messages)
}

/// Produces one answer here and now: retrieval (when on), then generation, reporting each step
/// to `on_event`. The GUI runs it on a thread ([`start`]); the CLI and batches call it directly.
pub fn answer(
    request: &Request,
    cache: &ModelCache,
    on_event: &mut dyn FnMut(Event),
    cancel: &dyn Fn() -> bool,
) -> Result<Reply, ChatError> {
    let slot = request.slot;
    let model_err = |source| ChatError::Model {
        run: request.run_name.clone(),
        source: Box::new(source),
    };
    let settings = &request.settings;
    let question = request
        .history
        .iter()
        .rev()
        .find(|(role, _)| role == "user")
        .map(|(_, t)| t.clone())
        .unwrap_or_default();
    let hits = if settings.rag.enabled {
        rag::Retriever::open_corpus(&request.workspace, &settings.rag.corpus)?
            .search(&question, settings.rag.k.max(1))?
    } else {
        Vec::new()
    };
    let model = cache
        .get(&request.run_dir, &settings.checkpoint)
        .map_err(model_err)?;
    let retrieved = hits.len();
    let hits = fit_passages(&model, settings, &request.history, hits).map_err(model_err)?;
    if settings.rag.enabled {
        // What the model is given, after fitting: the passages the answer can have used.
        on_event(Event::Passages {
            slot,
            hits: hits.clone(),
        });
    }
    let prompt = prompt_for(settings, &request.history, &hits);
    let generation = model
        .stream(
            &prompt,
            &settings.sampling,
            &mut |piece| {
                on_event(Event::Text {
                    slot,
                    piece: piece.to_owned(),
                });
            },
            cancel,
        )
        .map_err(model_err)?;
    // A byte sequence cut off by the end of generation decodes as U+FFFD: not part of the answer.
    let text = generation
        .text
        .trim_end_matches('\u{FFFD}')
        .trim()
        .to_owned();
    let used = rag::passages_used(&text, &hits);
    Ok(Reply {
        meta: TurnMeta {
            model: format!("{}@{}", request.run_name, settings.checkpoint),
            seed: settings.sampling.seed,
            tokens: generation.ids.len(),
            tokens_per_sec: generation.tokens_per_sec,
            finish: Some(generation.finish),
            passages: hits
                .iter()
                .zip(used)
                .map(|(h, (overlap, used))| UsedPassage {
                    label: h.label.clone(),
                    score: h.score,
                    overlap,
                    used,
                    text: h.text.clone(),
                })
                .collect(),
            retrieved,
            context: model.context(),
            error: None,
        },
        text,
    })
}

/// Keeps the prompt inside the model's context with room for the answer (up to half the window):
/// passages are dropped from the weakest, and the last one left is cut to the words that fit.
/// A small model (a context of a few hundred tokens) otherwise fills its window with passages
/// and stops before it answers.
fn fit_passages(
    model: &ChatModel,
    settings: &ChatSettings,
    history: &[(String, String)],
    mut hits: Vec<Hit>,
) -> Result<Vec<Hit>, TrainError> {
    let context = model.context();
    let budget = context.saturating_sub(settings.sampling.max_tokens.clamp(1, context / 2));
    let fits = |hits: &[Hit]| -> Result<bool, TrainError> {
        Ok(model.prompt_tokens(&prompt_for(settings, history, hits))? <= budget)
    };
    while hits.len() > 1 && !fits(&hits)? {
        hits.pop();
    }
    if let Some(last) = hits.last_mut()
        && !fits(std::slice::from_ref(last))?
    {
        let words: Vec<&str> = last.text.split_whitespace().collect();
        // The most words that fit, by halving.
        let (mut lo, mut hi) = (0, words.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let mut trial = last.clone();
            trial.text = words[..mid].join(" ");
            if fits(std::slice::from_ref(&trial))? {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if lo == 0 {
            hits.clear();
        } else {
            last.text = format!("{} …", words[..lo].join(" "));
        }
    }
    Ok(hits)
}

/// A generation running on its own thread.
#[derive(Debug)]
pub struct Handle {
    events: crossbeam_channel::Receiver<Event>,
    cancel: Arc<AtomicBool>,
}

impl Handle {
    /// Asks the thread to stop after the current token; it still reports `Done` with the text
    /// so far.
    pub fn stop(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The events that have arrived, without waiting.
    pub fn drain(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }
}

/// Pieces of text waiting for the window; the thread waits when the window falls this far
/// behind.
const EVENT_QUEUE: usize = 1024;

/// Starts [`answer`] on a named thread; `waker` asks the window to draw what arrived.
pub fn start(request: Request, cache: ModelCache, waker: Option<Waker>) -> std::io::Result<Handle> {
    let (tx, rx) = crossbeam_channel::bounded(EVENT_QUEUE);
    let cancel = Arc::new(AtomicBool::new(false));
    let slot = request.slot;
    let flag = Arc::clone(&cancel);
    std::thread::Builder::new()
        .name(format!("dezgah-chat-{slot}"))
        .spawn(move || {
            let wake = || {
                if let Some(w) = &waker {
                    w();
                }
            };
            let mut send = |event: Event| {
                // A closed window drops the receiver: stop generating for nobody.
                if tx.send(event).is_err() {
                    flag.store(true, Ordering::Relaxed);
                }
                wake();
            };
            let stop = Arc::clone(&flag);
            // The window shows the error as text; a panic is reported, not propagated.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                answer(&request, &cache, &mut send, &|| {
                    stop.load(Ordering::Relaxed)
                })
                .map_err(|e| e.to_string())
            }))
            .unwrap_or_else(|_| Err("generation stopped unexpectedly (a bug: see the log)".into()));
            send(Event::Done { slot, result });
        })?;
    Ok(Handle { events: rx, cancel })
}

// ---------------------------------------------------------------------------------------------
// Batches

/// Whether a batch answers each prompt plainly, with retrieval, or both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum BatchMode {
    #[default]
    Plain,
    Rag,
    Both,
}

/// One output of a batch, as written to its JSONL file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRow {
    pub prompt: String,
    /// `plain` or `rag`.
    pub mode: String,
    pub output: String,
    pub model: String,
    pub seed: u64,
    pub tokens_per_sec: f64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passages: Vec<String>,
}

/// The prompts of a text: one per non-empty line.
pub fn prompts_of(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Answers each prompt (alone, without history) under `settings`, plainly and/or with
/// retrieval. `progress(done, total)` follows the answers; a cancel returns what is done.
pub fn run_batch(
    request: &Request,
    prompts: &[String],
    mode: BatchMode,
    cache: &ModelCache,
    progress: &dyn Fn(u64, u64),
    cancel: &dyn Fn() -> bool,
) -> Result<Vec<BatchRow>, ChatError> {
    let modes: &[bool] = match mode {
        BatchMode::Plain => &[false],
        BatchMode::Rag => &[true],
        BatchMode::Both => &[false, true],
    };
    let total = (prompts.len() * modes.len()) as u64;
    let mut rows = Vec::new();
    for prompt in prompts {
        for &with_rag in modes {
            if cancel() {
                return Ok(rows);
            }
            progress(rows.len() as u64, total);
            let mut one = request.clone();
            one.settings.rag.enabled = with_rag;
            one.history = vec![("user".into(), prompt.clone())];
            let reply = answer(&one, cache, &mut |_| {}, cancel)?;
            rows.push(BatchRow {
                prompt: prompt.clone(),
                mode: if with_rag { "rag" } else { "plain" }.into(),
                output: reply.text,
                model: reply.meta.model,
                seed: reply.meta.seed,
                tokens_per_sec: reply.meta.tokens_per_sec,
                passages: reply.meta.passages.into_iter().map(|p| p.label).collect(),
            });
        }
    }
    progress(total, total);
    Ok(rows)
}

/// Writes a batch's rows as JSONL, atomically.
pub fn write_batch(path: &Path, rows: &[BatchRow]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    for row in rows {
        serde_json::to_writer(&mut tmp, row)?;
        tmp.write_all(b"\n")?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Where preference items made in the playground say they came from.
pub const COMPARE_SOURCE: &str = "playground";
pub const BATCH_SOURCE: &str = "playground-batch";

/// Each non-empty output of a batch as a draft SFT example to review and correct, marked as
/// model-generated and tagged with its mode.
pub fn batch_sft_examples(
    rows: &[BatchRow],
    author: Option<&str>,
) -> Vec<crate::core::store::NewSftExample> {
    use crate::core::store::{Message as StoredMessage, NewSftExample};
    rows.iter()
        .filter(|r| !r.output.is_empty())
        .map(|r| NewSftExample {
            system_prompt: String::new(),
            messages: vec![
                StoredMessage {
                    role: "user".into(),
                    content: r.prompt.clone(),
                },
                StoredMessage {
                    role: "assistant".into(),
                    content: r.output.clone(),
                },
            ],
            tags: vec!["playground".into(), r.mode.clone()],
            domain: String::new(),
            provenance: "model-generated".into(),
            status: "draft".into(),
            author: author.map(str::to_owned),
        })
        .collect()
}

/// Preference items from a batch run both ways: each prompt with its plain and its retrieval
/// answer, when the two differ.
pub fn batch_pairs(rows: &[BatchRow]) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    for plain in rows.iter().filter(|r| r.mode == "plain") {
        if let Some(with) = rows
            .iter()
            .find(|r| r.mode == "rag" && r.prompt == plain.prompt)
            && with.output != plain.output
            && !plain.output.is_empty()
            && !with.output.is_empty()
        {
            out.push((
                plain.prompt.clone(),
                vec![
                    (plain.output.clone(), plain.model.clone()),
                    (with.output.clone(), format!("{} +rag", with.model)),
                ],
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_put_passages_into_the_last_question_only() {
        let settings = ChatSettings {
            system: "Qısa cavab ver.".into(),
            ..ChatSettings::default()
        };
        let history = vec![
            ("user".to_owned(), "Salam".to_owned()),
            ("assistant".to_owned(), "Salam!".to_owned()),
            ("user".to_owned(), "Kitab neçə günə verilir?".to_owned()),
        ];
        let hits = vec![Hit {
            score: 1.0,
            doc: 0,
            doc_id: "d".into(),
            label: "Maddə 2".into(),
            article: Some("2".into()),
            text: "On dörd günə.".into(),
        }];
        let Prompt::Chat(messages) = prompt_for(&settings, &history, &hits) else {
            panic!("chat prompt expected");
        };
        assert_eq!(messages.len(), 4);
        assert_eq!(messages[0].role, Role::System);
        assert_eq!(messages[1].content, "Salam");
        assert!(messages[3].content.contains("[1] Maddə 2\nOn dörd günə."));
        assert!(
            messages[3]
                .content
                .ends_with("Sual: Kitab neçə günə verilir?")
        );
        let plain = ChatSettings {
            completion: true,
            ..ChatSettings::default()
        };
        assert_eq!(
            prompt_for(&plain, &history, &[]),
            Prompt::Completion("Kitab neçə günə verilir?".into())
        );
    }

    #[test]
    fn batch_pairs_need_two_different_answers() {
        let row = |mode: &str, prompt: &str, output: &str| BatchRow {
            prompt: prompt.into(),
            mode: mode.into(),
            output: output.into(),
            model: "m@best".into(),
            seed: 1,
            tokens_per_sec: 1.0,
            passages: Vec::new(),
        };
        let rows = vec![
            row("plain", "a", "bir"),
            row("rag", "a", "iki"),
            row("plain", "b", "eyni"),
            row("rag", "b", "eyni"),
        ];
        let pairs = batch_pairs(&rows);
        assert_eq!(pairs.len(), 1);
        assert_eq!(pairs[0].1[1], ("iki".to_owned(), "m@best +rag".to_owned()));
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out/batch.jsonl");
        write_batch(&path, &rows).expect("write");
        let back: Vec<BatchRow> = std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .map(|l| serde_json::from_str(l).expect("row"))
            .collect();
        assert_eq!(back, rows);
        assert_eq!(prompts_of(" bir \n\n iki\n"), ["bir", "iki"]);
    }
}
