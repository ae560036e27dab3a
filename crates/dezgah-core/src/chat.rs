//! Talking to a trained checkpoint: loading it once, streaming its answer token by token on a
//! named thread, optionally with passages retrieved from a corpus index put into the prompt, and
//! running a list of prompts in one go. Conversations are kept in the workspace database; this
//! module owns what one request is and what comes back.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

use crate::jobs::Waker;
use crate::model::generate::{Finish, Generation, SamplingConfig};
use crate::rag::{self, Hit, RagError};
use crate::train::TrainError;
use crate::train::data::{self, Message, Role};

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
    llama: crate::model::Llama,
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
        use crate::train::checkpoint as ckpt;
        let device = candle_core::Device::Cpu;
        let dir = ckpt::resolve(run_dir, checkpoint)?;
        let (llama, cfg) = ckpt::load_model(&dir, &device, candle_core::DType::F32)?;
        let tok_path = ckpt::tokenizer_path(&dir)?;
        let tokenizer = crate::tokenizer::load(&tok_path)
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
        prompt_tokens(&self.tokenizer, prompt)
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
        crate::model::generate::generate(
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
    pub history: Vec<(Role, String)>,
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
        use crate::train::checkpoint as ckpt;
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

/// The prompt for `history` under `settings`: the system prompt first, and the last user
/// message replaced by the retrieval template filled with `hits` when there are any. Earlier
/// turns go as they were typed, so the context window holds the conversation, not old passages.
pub fn prompt_for(settings: &ChatSettings, history: &[(Role, String)], hits: &[Hit]) -> Prompt {
    let last_user = history.iter().rposition(|(role, _)| *role == Role::User);
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
            role: *role,
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
        .find(|(role, _)| *role == Role::User)
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
    history: &[(Role, String)],
    hits: Vec<Hit>,
) -> Result<Vec<Hit>, TrainError> {
    fit_passages_with(
        &|p| model.prompt_tokens(p),
        model.context(),
        settings,
        history,
        hits,
    )
}

/// Tokens a prompt takes, by some tokenizer.
pub type TokenCount<'a> = &'a dyn Fn(&Prompt) -> Result<usize, TrainError>;

/// The tokens kept for the answer in a window of `context`: what was asked, up to half.
pub fn answer_room(context: usize, max_tokens: usize) -> usize {
    max_tokens.clamp(1, (context / 2).max(1))
}

/// [`fit_passages`] with any token count: the form checks a question with the tokenizer alone,
/// before any model is loaded.
pub fn fit_passages_with(
    count: TokenCount<'_>,
    context: usize,
    settings: &ChatSettings,
    history: &[(Role, String)],
    mut hits: Vec<Hit>,
) -> Result<Vec<Hit>, TrainError> {
    let budget = context.saturating_sub(answer_room(context, settings.sampling.max_tokens));
    let fits = |hits: &[Hit]| -> Result<bool, TrainError> {
        Ok(count(&prompt_for(settings, history, hits))? <= budget)
    };
    while hits.len() > 1 && !fits(&hits)? {
        hits.pop();
    }
    if let Some(last) = hits.last_mut()
        && !fits(std::slice::from_ref(last))?
    {
        let words: Vec<&str> = last.text.split_whitespace().collect();
        // The most words that fit with the mark of the cut, by halving.
        let cut = |n: usize| format!("{} …", words[..n].join(" "));
        let (mut lo, mut hi) = (0, words.len());
        while lo < hi {
            let mid = (lo + hi).div_ceil(2);
            let mut trial = last.clone();
            trial.text = cut(mid);
            if fits(std::slice::from_ref(&trial))? {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        if lo == 0 {
            hits.clear();
        } else {
            last.text = cut(lo);
        }
    }
    Ok(hits)
}

// ---------------------------------------------------------------------------------------------
// What fits a model

/// How many tokens `prompt` takes with `tokenizer`, as generation will encode it.
pub fn prompt_tokens(tokenizer: &Tokenizer, prompt: &Prompt) -> Result<usize, TrainError> {
    Ok(match prompt {
        Prompt::Chat(messages) => data::encode_prompt(tokenizer, messages)?.len(),
        Prompt::Completion(text) => data::plain_prompt(tokenizer, text)?.len(),
    })
}

/// The longest answer a default asks for, and the shortest.
const MAX_DEFAULT_ANSWER: usize = 200;
const MIN_DEFAULT_ANSWER: usize = 8;
/// The most passages a default asks for: more crowd the answer out of a small model's view.
const MAX_DEFAULT_PASSAGES: usize = 4;

/// Answer length, passages and template a context window has room for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextPlan {
    pub max_tokens: usize,
    pub k: usize,
    /// The template without its instruction ([`rag::COMPACT_TEMPLATE`]).
    pub compact: bool,
}

/// The budget rule. A quarter of the window goes to the answer (8 to 200 tokens); the full
/// template's instruction is kept when it takes at most an eighth of the window; a sixteenth is
/// kept for the question and the chat markup; what is left holds whole passages of
/// `per_passage` tokens (one to four; the last is cut to fit when even one does not).
/// `instruction` is the tokens the full template takes on its own.
pub fn plan_for_context(context: usize, instruction: usize, per_passage: usize) -> ContextPlan {
    let max_tokens = (context / 4)
        .clamp(MIN_DEFAULT_ANSWER, MAX_DEFAULT_ANSWER)
        .min(answer_room(context, usize::MAX));
    let compact = instruction * 8 > context;
    let template = if compact { 0 } else { instruction };
    let room = context.saturating_sub(max_tokens + template + context / 16);
    ContextPlan {
        max_tokens,
        k: (room / per_passage.max(1)).clamp(1, MAX_DEFAULT_PASSAGES),
        compact,
    }
}

/// [`plan_for_context`] measured with the model's tokenizer: the instruction as it encodes, and
/// a passage of `passage_words` (the index's passage length) at the instruction's tokens per
/// word — Azerbaijani prose either way.
pub fn plan_for_model(context: usize, tokenizer: &Tokenizer, passage_words: usize) -> ContextPlan {
    let instruction = rag::DEFAULT_TEMPLATE
        .replace("{context}", "")
        .replace("{question}", "");
    let tokens = tokenizer
        .encode(instruction.as_str(), false)
        .map_or(0, |e| e.get_ids().len());
    let words = instruction.split_whitespace().count().max(1);
    let per_passage = (tokens * passage_words).div_ceil(words);
    plan_for_context(context, tokens, per_passage)
}

impl ContextPlan {
    /// `settings` with this plan's answer length and passages, and its template where the
    /// user kept one of the two built-in ones.
    pub fn apply(&self, settings: &mut ChatSettings) {
        settings.sampling.max_tokens = self.max_tokens;
        settings.rag.k = self.k;
        let template = &mut settings.rag.template;
        if template == rag::DEFAULT_TEMPLATE || template == rag::COMPACT_TEMPLATE {
            if self.compact {
                rag::COMPACT_TEMPLATE
            } else {
                rag::DEFAULT_TEMPLATE
            }
            .clone_into(template);
        }
    }
}

/// What the form knows about the chosen checkpoint without loading its weights.
pub struct ModelFacts {
    /// The run folder and checkpoint these are for.
    pub run_dir: PathBuf,
    pub checkpoint: String,
    pub context: usize,
    pub tokenizer: Tokenizer,
    /// Whether an SFT or DPO stage is in its lineage (else it only ever saw plain text).
    pub chat: bool,
}

impl std::fmt::Debug for ModelFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelFacts")
            .field("run_dir", &self.run_dir)
            .field("checkpoint", &self.checkpoint)
            .field("context", &self.context)
            .field("chat", &self.chat)
            .finish_non_exhaustive()
    }
}

impl ModelFacts {
    /// Reads the checkpoint's configuration and tokenizer, and the run's lineage; `root` is the
    /// workspace (relative paths in a run's configuration start there).
    pub fn read(root: &Path, run_dir: &Path, checkpoint: &str) -> Result<Self, TrainError> {
        use crate::train::checkpoint as ckpt;
        let dir = ckpt::resolve(run_dir, checkpoint)?;
        let context = ckpt::read_config(&dir)?.max_position_embeddings;
        let tok_path = ckpt::tokenizer_path(&dir)?;
        let tokenizer = crate::tokenizer::load(&tok_path)
            .map_err(|e| TrainError::Tokenizer(format!("{}: {e}", tok_path.display())))?;
        Ok(Self {
            run_dir: run_dir.to_owned(),
            checkpoint: checkpoint.to_owned(),
            context,
            tokenizer,
            chat: has_chat_stage(root, run_dir),
        })
    }

    /// The plan for this model with passages of `passage_words`.
    pub fn plan(&self, passage_words: usize) -> ContextPlan {
        plan_for_model(self.context, &self.tokenizer, passage_words)
    }

    /// Whether the prompt, the passages and the answer fit, for the question in `history`'s
    /// last user message and the passages retrieval found for it.
    pub fn check(
        &self,
        settings: &ChatSettings,
        history: &[(Role, String)],
        hits: Vec<Hit>,
    ) -> Result<Fit, TrainError> {
        check_fit(
            &|p| prompt_tokens(&self.tokenizer, p),
            self.context,
            settings,
            history,
            hits,
        )
    }
}

/// Whether a run learned the chat template: an SFT or DPO stage in it or in the runs it started
/// from (followed through each `init`). A run whose configuration cannot be read counts as
/// chat, as before this was known.
pub fn has_chat_stage(root: &Path, run_dir: &Path) -> bool {
    use crate::train::{RunConfig, Stage};
    let mut dir = run_dir.to_owned();
    // A chain is a few runs long; a loop (a run started from itself) must not hang the window.
    for _ in 0..16 {
        let path = dir.join("config.toml");
        let Some(cfg) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| RunConfig::from_toml(&text, &path).ok())
        else {
            return true;
        };
        match cfg.stage {
            Stage::Sft | Stage::Dpo => return true,
            Stage::Pretrain => return false,
            Stage::Continue => {}
        }
        let Some(init) = cfg.init else {
            return false;
        };
        let init = if init.is_absolute() {
            init
        } else {
            root.join(init)
        };
        // A checkpoint folder (RUN/checkpoints/step-N) or the run itself.
        let Some(run) = init
            .ancestors()
            .take(3)
            .find(|p| p.join("config.toml").is_file())
        else {
            return false;
        };
        run.clone_into(&mut dir);
    }
    true
}

/// What a question will take of the model's window, before it is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    pub context: usize,
    /// The prompt without passages: system prompt, conversation, template and question.
    pub prompt: usize,
    /// Tokens kept for the answer.
    pub answer: usize,
    /// Passages retrieval found, and those that fit (the last maybe cut).
    pub found: usize,
    pub fitted: usize,
    /// Tokens the fitted passages add to the prompt.
    pub passages: usize,
}

impl Fit {
    /// The prompt alone leaves no room for the answer asked for.
    pub fn overflows(&self) -> bool {
        self.prompt + self.answer > self.context
    }

    pub fn dropped(&self) -> usize {
        self.found - self.fitted
    }
}

/// [`Fit`] by any token count (see [`fit_passages_with`]).
pub fn check_fit(
    count: TokenCount<'_>,
    context: usize,
    settings: &ChatSettings,
    history: &[(Role, String)],
    hits: Vec<Hit>,
) -> Result<Fit, TrainError> {
    let found = hits.len();
    let prompt = count(&prompt_for(settings, history, &[]))?;
    let fitted = fit_passages_with(count, context, settings, history, hits)?;
    let with_passages = if fitted.is_empty() {
        prompt
    } else {
        count(&prompt_for(settings, history, &fitted))?
    };
    Ok(Fit {
        context,
        prompt,
        answer: answer_room(context, settings.sampling.max_tokens),
        found,
        fitted: fitted.len(),
        passages: with_passages.saturating_sub(prompt),
    })
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
            one.history = vec![(Role::User, prompt.clone())];
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
    let tmp = crate::tmpfile::TempFile::create(path)?;
    {
        let mut w = std::io::BufWriter::new(tmp.file()?);
        for row in rows {
            serde_json::to_writer(&mut w, row)?;
            w.write_all(b"\n")?;
        }
        w.flush()?;
    }
    tmp.persist(path)?;
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
) -> Vec<crate::store::NewSftExample> {
    use crate::store::{Message as StoredMessage, NewSftExample};
    rows.iter()
        .filter(|r| !r.output.is_empty())
        .map(|r| NewSftExample {
            system_prompt: String::new(),
            messages: vec![
                StoredMessage {
                    role: Role::User,
                    content: r.prompt.clone(),
                },
                StoredMessage {
                    role: Role::Assistant,
                    content: r.output.clone(),
                },
            ],
            tags: vec!["playground".into(), r.mode.clone()],
            domain: String::new(),
            provenance: "model-generated".into(),
            status: crate::domain::SftStatus::Draft,
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
            (Role::User, "Salam".to_owned()),
            (Role::Assistant, "Salam!".to_owned()),
            (Role::User, "Kitab neçə günə verilir?".to_owned()),
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

    /// Three tokens a word, as a small BPE cuts Azerbaijani; the chat markup costs two a
    /// message.
    fn three_a_word(prompt: &Prompt) -> usize {
        let words = |t: &str| t.split_whitespace().count() * 3;
        match prompt {
            Prompt::Chat(messages) => messages.iter().map(|m| words(&m.content) + 2).sum(),
            Prompt::Completion(text) => words(text),
        }
    }

    /// [`three_a_word`] in the shape a [`TokenCount`] has.
    #[expect(clippy::unnecessary_wraps, reason = "a TokenCount returns a Result")]
    fn count(prompt: &Prompt) -> Result<usize, TrainError> {
        Ok(three_a_word(prompt))
    }

    fn passages(n: usize, words: usize) -> Vec<Hit> {
        (0..n)
            .map(|i| Hit {
                score: 1.0,
                doc: i as u64,
                doc_id: format!("d{i}"),
                label: format!("Maddə {i}"),
                article: Some(i.to_string()),
                text: vec!["söz"; words].join(" "),
            })
            .collect()
    }

    #[test]
    fn the_budget_follows_the_context() {
        let plan = |context, instruction, passage| plan_for_context(context, instruction, passage);
        // The tiny model: a short answer, one passage, no room for the instruction.
        assert_eq!(
            plan(128, 45, 400),
            ContextPlan {
                max_tokens: 32,
                k: 1,
                compact: true
            }
        );
        assert_eq!(plan(64, 45, 400).max_tokens, 16);
        assert_eq!(
            plan(1024, 40, 340),
            ContextPlan {
                max_tokens: 200,
                k: 2,
                compact: false
            }
        );
        assert_eq!(plan(4096, 40, 340).k, 4);
        for context in (8..=8192).step_by(8) {
            let p = plan(context, 40, 300);
            assert!(p.max_tokens <= context / 2, "{context}: {p:?}");
            assert!((1..=4).contains(&p.k), "{context}: {p:?}");
        }
    }

    #[test]
    fn the_defaults_leave_room_where_the_old_ones_hit_the_wall() {
        let history = vec![(Role::User, "Kitab evə neçə günə verilir?".to_owned())];
        let rag_on = |settings: &mut ChatSettings| {
            settings.rag.enabled = true;
            settings.rag.corpus = "qaydalar".into();
        };
        let mut old = ChatSettings::default();
        rag_on(&mut old);
        let wall = check_fit(&count, 128, &old, &history, passages(4, 200)).expect("fit");
        assert_eq!((wall.found, wall.fitted), (4, 0), "{wall:?}");

        let instruction = rag::DEFAULT_TEMPLATE
            .replace("{context}", "")
            .replace("{question}", "");
        let plan = plan_for_context(128, instruction.split_whitespace().count() * 3, 600);
        let mut fitted = ChatSettings::default();
        rag_on(&mut fitted);
        plan.apply(&mut fitted);
        assert_eq!(fitted.rag.template, rag::COMPACT_TEMPLATE);
        assert_eq!((fitted.rag.k, fitted.sampling.max_tokens), (1, 32));
        let fit =
            check_fit(&count, 128, &fitted, &history, passages(fitted.rag.k, 200)).expect("fit");
        assert_eq!((fit.found, fit.fitted), (1, 1), "{fit:?}");
        assert!(!fit.overflows());
        assert!(fit.passages > 0, "{fit:?}");
        assert!(fit.prompt + fit.passages + fit.answer <= 128, "{fit:?}");
        // The passage is cut to what fits, with room left for the answer.
        let kept =
            fit_passages_with(&count, 128, &fitted, &history, passages(1, 200)).expect("fit");
        assert!(kept[0].text.ends_with(" …"));
        let prompt = three_a_word(&prompt_for(&fitted, &history, &kept));
        assert!(prompt + fitted.sampling.max_tokens <= 128, "{prompt}");
        // A long conversation leaves no room for the answer: the form says so before asking.
        let long = vec![(Role::User, vec!["söz"; 60].join(" "))];
        assert!(
            check_fit(&count, 128, &fitted, &long, Vec::new())
                .expect("fit")
                .overflows()
        );
        // A template the user wrote is kept.
        let mut own = ChatSettings::default();
        own.rag.template = "{context} | {question}".into();
        plan.apply(&mut own);
        assert_eq!(own.rag.template, "{context} | {question}");
    }

    #[test]
    fn a_chat_stage_anywhere_in_the_lineage_makes_a_chat_model() {
        use crate::train::{RunConfig, Stage};
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let run = |name: &str, stage: Stage, init: Option<&str>| {
            let mut cfg = RunConfig::for_stage(stage);
            cfg.init = init.map(PathBuf::from);
            let run_dir = root.join("runs").join(name);
            std::fs::create_dir_all(run_dir.join("checkpoints/best")).expect("mkdir");
            std::fs::write(run_dir.join("config.toml"), cfg.to_toml().expect("toml"))
                .expect("write");
            run_dir
        };
        let base = run("base", Stage::Pretrain, None);
        let more = run("more", Stage::Continue, Some("runs/base/checkpoints/best"));
        let sft = run("sft", Stage::Sft, Some("runs/more"));
        let after = run("after", Stage::Continue, Some("runs/sft/checkpoints/best"));
        assert!(!has_chat_stage(root, &base));
        assert!(!has_chat_stage(root, &more));
        assert!(has_chat_stage(root, &sft));
        assert!(has_chat_stage(root, &after), "a chat model read more text");
        let looped = run("loop", Stage::Continue, Some("runs/loop"));
        assert!(has_chat_stage(root, &looped), "a loop ends");
        assert!(
            has_chat_stage(root, &root.join("runs/none")),
            "unknown: as before"
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
