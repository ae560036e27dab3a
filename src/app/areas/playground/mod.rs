//! The Playground: conversations with a checkpoint (streamed on a `core::chat` thread), two
//! checkpoints side by side, batches of prompts, and the corpus search indexes retrieval uses.
//! Every message is written to the workspace database when it is sent or finished.

mod conversation;
mod panel;
mod tabs;

use std::path::PathBuf;
use std::time::Instant;

use crate::app::areas::{AppContext, AreaController, ViewContext};
use crate::app::command::Command;
use crate::core::chat::{self, BatchMode, BatchRow, ChatSettings, ModelCache, Reply, TurnMeta};
use crate::core::domain::Role;
use crate::core::jobs::{JobHandle, JobId, Outcome};
use crate::core::rag::{self, Hit, IndexMeta, IndexSettings};
use crate::core::store::{ChatMessageRow, ConversationRow};

/// The Playground: chatting with a trained model, comparing two, batches, retrieval.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum PlaygroundCommand {
    Tab(PlayTab),
    /// Starts a new conversation (stored with its first message).
    New,
    Open(i64),
    /// Asks to delete a conversation (a second click confirms); `None` takes it back.
    AskDelete(Option<i64>),
    Delete(i64),
    /// The open conversation's model, sampling and retrieval settings (saved with it).
    Settings(Box<ChatSettings>),
    /// Sets answer length, passages, template and plain-text mode to what the chosen model's
    /// context and training suit.
    FitToModel,
    Input(String),
    Send,
    /// Stops the answers being generated (what was written so far is kept).
    Stop,
    /// Drops the last answer and generates it again with the next seed.
    Regenerate,
    CompareForm(Box<CompareForm>),
    Compare,
    /// The two answers of the comparison become a preference item to rate.
    CompareToRating,
    BatchForm(Box<BatchForm>),
    Batch,
    BatchToRating,
    BatchToSft,
    IndexForm(IndexSettings),
    /// Builds (or rebuilds) the search index of a corpus, by name.
    BuildIndex(String),
    /// Searches a corpus's index: (corpus, question).
    Search(String, String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlayTab {
    #[default]
    Chat,
    Compare,
    Batch,
    Index,
}

/// A run (by id) and one of its checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    pub run: Option<i64>,
    pub checkpoint: String,
}

impl Default for ModelChoice {
    fn default() -> Self {
        Self {
            run: None,
            checkpoint: "best".into(),
        }
    }
}

/// An answer being generated.
#[derive(Debug)]
pub struct Streaming {
    handle: chat::Handle,
    /// Where the answer goes, whichever conversation is open when it ends.
    conversation: Option<i64>,
    pub text: String,
    pub passages: Vec<Hit>,
    pub started: Instant,
    /// Pieces received, a close stand-in for tokens while the answer streams.
    pub pieces: usize,
}

impl Streaming {
    fn new(handle: chat::Handle, conversation: Option<i64>) -> Self {
        Self {
            handle,
            conversation,
            text: String::new(),
            passages: Vec::new(),
            started: Instant::now(),
            pieces: 0,
        }
    }

    /// Takes what the thread sent since the last frame; the outcome once the answer is done.
    fn absorb(&mut self) -> Option<Result<Reply, String>> {
        let mut done = None;
        for event in self.handle.drain() {
            match event {
                chat::Event::Passages { hits, .. } => self.passages = hits,
                chat::Event::Text { piece, .. } => {
                    self.text.push_str(&piece);
                    self.pieces += 1;
                }
                chat::Event::Done { result, .. } => done = Some(result),
            }
        }
        done
    }

    pub fn tokens_per_sec(&self) -> f64 {
        self.pieces as f64 / self.started.elapsed().as_secs_f64().max(1e-3)
    }
}

/// A stored message with its record read.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    pub row: ChatMessageRow,
    pub meta: TurnMeta,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompareForm {
    pub a: ModelChoice,
    pub b: ModelChoice,
    pub prompt: String,
}

#[derive(Debug, Default)]
pub struct CompareState {
    pub form: CompareForm,
    /// The prompt the shown answers are for.
    pub asked: String,
    pub running: [Option<Streaming>; 2],
    pub replies: [Option<Result<Reply, String>>; 2],
    /// The preference item the last pair became.
    pub sent: Option<i64>,
}

impl CompareState {
    pub fn busy(&self) -> bool {
        self.running.iter().any(Option::is_some)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BatchForm {
    pub model: ModelChoice,
    pub prompts: String,
    pub mode: BatchMode,
}

#[derive(Debug, Default)]
pub struct BatchState {
    pub form: BatchForm,
    /// The running batch; its rows and output file come back through the handle.
    pub job: Option<JobHandle<(Vec<BatchRow>, PathBuf)>>,
    pub rows: Vec<BatchRow>,
    pub out: Option<PathBuf>,
    pub sent_rating: Option<usize>,
    pub sent_sft: Option<usize>,
}

#[derive(Debug, Default)]
pub struct PlaygroundArea {
    pub tab: PlayTab,
    pub loaded: bool,
    pub conversations: Vec<ConversationRow>,
    pub current: Option<i64>,
    pub turns: Vec<Turn>,
    /// The open conversation's settings (a new conversation starts from the last ones used).
    pub settings: ChatSettings,
    pub input: String,
    pub streaming: Option<Streaming>,
    pub compare: CompareState,
    pub batch: BatchState,
    pub indexes: Vec<IndexMeta>,
    pub index_form: IndexSettings,
    /// The corpus being indexed.
    pub index_job: Option<(JobId, String)>,
    pub search: String,
    pub search_corpus: String,
    pub search_hits: Vec<Hit>,
    /// The index the search box last opened, kept so each keystroke does not open it again.
    pub(crate) searcher: Option<rag::Retriever>,
    pub search_error: Option<String>,
    /// Checkpoint steps of each run folder, read when the run is chosen.
    pub steps: std::collections::HashMap<String, Vec<u64>>,
    pub error: Option<String>,
    /// The conversation whose deletion waits for a second click.
    pub confirm_delete: Option<i64>,
    pub cache: ModelCache,
    /// The chat's model as the form sees it (context, tokenizer, lineage), or why it cannot.
    pub model: Option<Result<chat::ModelFacts, String>>,
    /// What the next question will take of the model's window (with the chat's model known).
    pub fit: Option<chat::Fit>,
}

impl PlaygroundArea {
    /// The answer being written into the open conversation, if any.
    pub fn streaming_here(&self) -> Option<&Streaming> {
        self.streaming
            .as_ref()
            .filter(|s| s.conversation == self.current)
    }
}

impl AreaController for PlaygroundArea {
    type Command = PlaygroundCommand;

    fn apply(&mut self, command: PlaygroundCommand, cx: &mut AppContext<'_>) {
        // The other tabs' forms and the search box change nothing the chat's check counts.
        let chat = !matches!(
            command,
            PlaygroundCommand::Search(..)
                | PlaygroundCommand::IndexForm(_)
                | PlaygroundCommand::CompareForm(_)
                | PlaygroundCommand::BatchForm(_)
        );
        match command {
            PlaygroundCommand::Tab(tab) => self.tab = tab,
            PlaygroundCommand::New => {
                self.current = None;
                self.turns.clear();
                self.input.clear();
                self.error = None;
            }
            PlaygroundCommand::Open(id) => self.open_conversation(id, cx),
            PlaygroundCommand::Delete(id) => {
                self.confirm_delete = None;
                self.delete_conversation(id, cx);
            }
            PlaygroundCommand::AskDelete(id) => self.confirm_delete = id,
            PlaygroundCommand::Settings(settings) => self.set_chat_settings(*settings, cx),
            PlaygroundCommand::Input(text) => self.input = text,
            PlaygroundCommand::Send => self.send_message(cx),
            PlaygroundCommand::Stop => {
                if let Some(s) = &self.streaming {
                    s.handle.stop();
                }
                for s in self.compare.running.iter().flatten() {
                    s.handle.stop();
                }
            }
            PlaygroundCommand::Regenerate => self.regenerate(cx),
            PlaygroundCommand::CompareForm(form) => {
                for run in [form.a.run, form.b.run] {
                    self.ensure_steps(run, cx);
                }
                self.compare.form = *form;
            }
            PlaygroundCommand::Compare => self.start_compare(cx),
            PlaygroundCommand::CompareToRating => self.compare_to_rating(cx),
            PlaygroundCommand::BatchForm(form) => {
                self.ensure_steps(form.model.run, cx);
                self.batch.form = *form;
            }
            PlaygroundCommand::Batch => self.start_batch(cx),
            PlaygroundCommand::BatchToRating => self.batch_to_rating(cx),
            PlaygroundCommand::BatchToSft => self.batch_to_sft(cx),
            PlaygroundCommand::IndexForm(form) => self.index_form = form,
            PlaygroundCommand::BuildIndex(corpus) => self.build_index(&corpus, cx),
            PlaygroundCommand::Search(corpus, text) => self.search_index(corpus, text, cx),
            PlaygroundCommand::FitToModel => {
                self.fit_settings_to_model(cx);
                self.save_conversation_settings(cx);
            }
        }
        if chat {
            self.refresh_fit(cx);
        }
    }

    fn job_finished(&mut self, id: JobId, outcome: &Outcome, cx: &mut AppContext<'_>) {
        self.index_job_finished(id, outcome, cx);
    }

    fn workspace_changed(&mut self, _cx: &mut AppContext<'_>) {
        // The tab and the index settings stay; conversations and models were the old one's.
        *self = Self {
            tab: self.tab,
            index_form: std::mem::take(&mut self.index_form),
            ..Self::default()
        };
    }

    fn frame(&mut self, open: bool, cx: &mut AppContext<'_>) {
        if open {
            self.ensure_loaded(cx);
        }
        // Answers stream in whichever area is open.
        self.tick(cx);
    }

    fn ui(&self, ui: &mut egui::Ui, view: &ViewContext<'_>, out: &mut Vec<Command>) {
        panel::playground_ui(ui, self, view, out);
    }
}

impl PlaygroundArea {
    /// Reads what the form needs of the chat's model when the run or checkpoint changed: a few
    /// small files (configuration, tokenizer, the lineage's `config.toml`s), no weights.
    fn ensure_model_facts(&mut self, cx: &mut AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        let settings = &self.settings;
        let Some(dir) = settings.run.as_deref() else {
            self.model = None;
            return;
        };
        let run_dir = workspace.root().join(dir);
        let current = match &self.model {
            Some(Ok(m)) => m.run_dir == run_dir && m.checkpoint == settings.checkpoint,
            _ => false,
        };
        if !current {
            self.model = Some(
                chat::ModelFacts::read(workspace.root(), &run_dir, &settings.checkpoint)
                    .map_err(|e| crate::error_line(&e)),
            );
        }
    }

    /// The chat's settings made to fit its model: answer length, passages and template from its
    /// context, plain text for a model that never learned the chat template.
    fn fit_settings_to_model(&mut self, cx: &mut AppContext<'_>) {
        self.ensure_model_facts(cx);
        let Some(Ok(model)) = &self.model else {
            return;
        };
        let settings = &mut self.settings;
        let passage_words = self
            .indexes
            .iter()
            .find(|m| m.corpus == settings.rag.corpus)
            .map_or_else(
                || IndexSettings::default().chunk_words,
                |m| m.settings.chunk_words,
            );
        model.plan(passage_words).apply(settings);
        settings.completion = !model.chat;
    }

    /// Checks the question being typed against the model's window: the same retrieval and the
    /// same fitting the answer will get, counted with the model's tokenizer.
    pub(crate) fn refresh_fit(&mut self, cx: &mut AppContext<'_>) {
        self.ensure_model_facts(cx);
        let play = &mut *self;
        let (Some(Ok(model)), Some((workspace, _))) = (&play.model, cx.workspace()) else {
            play.fit = None;
            return;
        };
        let mut history: Vec<(Role, String)> = play
            .turns
            .iter()
            .map(|t| (t.row.role, t.row.content.clone()))
            .collect();
        history.push((Role::User, play.input.trim().to_owned()));
        let settings = &play.settings;
        let hits = if settings.rag.enabled
            && !settings.rag.corpus.is_empty()
            && !play.input.trim().is_empty()
        {
            let opened = match play.searcher.take() {
                Some(r) if r.meta.corpus == settings.rag.corpus => Ok(r),
                _ => rag::Retriever::open_corpus(workspace.root(), &settings.rag.corpus),
            };
            match opened {
                Ok(r) => {
                    let hits = r.search(play.input.trim(), settings.rag.k.max(1));
                    play.searcher = Some(r);
                    hits.unwrap_or_default()
                }
                // Sending says why; the check has nothing to count.
                Err(_) => Vec::new(),
            }
        } else {
            Vec::new()
        };
        play.fit = model.check(settings, &history, hits).ok();
    }

    /// Reads the conversations and indexes the first time the area shows.
    fn ensure_loaded(&mut self, cx: &mut AppContext<'_>) {
        if self.loaded {
            return;
        }
        self.loaded = true;
        self.reload_conversations(cx);
        if let Some((workspace, _)) = cx.workspace() {
            self.indexes = rag::list(workspace.root());
        }
        if let Some(id) = self.conversations.first().map(|c| c.id) {
            self.open_conversation(id, cx);
        }
        let runs = Self::finished_runs(cx);
        for (_, dir) in &runs {
            self.read_steps(dir.clone(), cx);
        }
        // Start on the newest run with a checkpoint, with settings that fit it.
        if self.settings.run.is_none()
            && let Some((_, dir)) = runs.first()
        {
            self.settings.run = Some(dir.clone());
            self.fit_settings_to_model(cx);
        }
        let first = runs.first().map(|(id, _)| *id);
        let second = runs.get(1).map(|(id, _)| *id).or(first);
        let compare = &mut self.compare.form;
        if compare.a.run.is_none() {
            compare.a.run = first;
            compare.b.run = second;
        }
        if self.batch.form.model.run.is_none() {
            self.batch.form.model.run = first;
        }
        if let Some(meta) = self.indexes.first() {
            if self.settings.rag.corpus.is_empty() {
                self.settings.rag.corpus.clone_from(&meta.corpus);
            }
            if self.search_corpus.is_empty() {
                self.search_corpus.clone_from(&meta.corpus);
            }
        }
        self.refresh_fit(cx);
    }
}
