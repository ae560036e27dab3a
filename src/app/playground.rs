//! Playground state: conversations with a checkpoint (streamed on a `core::chat` thread), two
//! checkpoints side by side, batches of prompts, and the corpus search indexes retrieval uses.
//! Every message is written to the workspace database when it is sent or finished.

use std::path::PathBuf;
use std::time::Instant;

use crate::app::command::Command;
use crate::app::{DezgahApp, WorkspaceSlot};
use crate::core::chat::{self, BatchMode, BatchRow, ChatSettings, ModelCache, Reply, TurnMeta};
use crate::core::domain::Role;
use crate::core::jobs::{JobId, Slot};
use crate::core::rag::{self, Hit, IndexMeta, IndexSettings};
use crate::core::store::{ChatMessageRow, ConversationRow};

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
    pub job: Option<JobId>,
    slot: Slot<Result<(Vec<BatchRow>, PathBuf), String>>,
    pub rows: Vec<BatchRow>,
    pub out: Option<PathBuf>,
    pub sent_rating: Option<usize>,
    pub sent_sft: Option<usize>,
}

#[derive(Debug, Default)]
pub struct PlaygroundView {
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

impl PlaygroundView {
    /// The answer being written into the open conversation, if any.
    pub fn streaming_here(&self) -> Option<&Streaming> {
        self.streaming
            .as_ref()
            .filter(|s| s.conversation == self.current)
    }
}

impl DezgahApp {
    pub(crate) fn apply_playground(&mut self, command: Command) {
        // The other tabs' forms and the search box change nothing the chat's check counts.
        let chat = !matches!(
            command,
            Command::PlaySearch(..)
                | Command::PlayIndexForm(_)
                | Command::PlayCompareForm(_)
                | Command::PlayBatchForm(_)
        );
        match command {
            Command::PlayTab(tab) => self.playground.tab = tab,
            Command::PlayNew => {
                self.playground.current = None;
                self.playground.turns.clear();
                self.playground.input.clear();
                self.playground.error = None;
            }
            Command::PlayOpen(id) => self.open_conversation(id),
            Command::PlayDelete(id) => {
                self.playground.confirm_delete = None;
                self.delete_conversation(id);
            }
            Command::PlayAskDelete(id) => self.playground.confirm_delete = id,
            Command::PlaySettings(settings) => self.set_chat_settings(*settings),
            Command::PlayInput(text) => self.playground.input = text,
            Command::PlaySend => self.send_message(),
            Command::PlayStop => {
                if let Some(s) = &self.playground.streaming {
                    s.handle.stop();
                }
                for s in self.playground.compare.running.iter().flatten() {
                    s.handle.stop();
                }
            }
            Command::PlayRegenerate => self.regenerate(),
            Command::PlayCompareForm(form) => {
                for run in [form.a.run, form.b.run] {
                    self.ensure_steps(run);
                }
                self.playground.compare.form = *form;
            }
            Command::PlayCompare => self.start_compare(),
            Command::PlayCompareToRating => self.compare_to_rating(),
            Command::PlayBatchForm(form) => {
                self.ensure_steps(form.model.run);
                self.playground.batch.form = *form;
            }
            Command::PlayBatch => self.start_batch(),
            Command::PlayBatchToRating => self.batch_to_rating(),
            Command::PlayBatchToSft => self.batch_to_sft(),
            Command::PlayIndexForm(form) => self.playground.index_form = form,
            Command::PlayBuildIndex(corpus) => self.build_index(&corpus),
            Command::PlaySearch(corpus, text) => self.search_index(corpus, text),
            Command::PlayFitToModel => {
                self.fit_settings_to_model();
                self.save_conversation_settings();
            }
            _ => {}
        }
        if chat {
            self.refresh_fit();
        }
    }

    /// Reads what the form needs of the chat's model when the run or checkpoint changed: a few
    /// small files (configuration, tokenizer, the lineage's `config.toml`s), no weights.
    fn ensure_model_facts(&mut self) {
        let WorkspaceSlot::Open { workspace, .. } = &self.workspace else {
            return;
        };
        let settings = &self.playground.settings;
        let Some(dir) = settings.run.as_deref() else {
            self.playground.model = None;
            return;
        };
        let run_dir = workspace.root().join(dir);
        let current = match &self.playground.model {
            Some(Ok(m)) => m.run_dir == run_dir && m.checkpoint == settings.checkpoint,
            _ => false,
        };
        if !current {
            self.playground.model = Some(
                chat::ModelFacts::read(workspace.root(), &run_dir, &settings.checkpoint)
                    .map_err(|e| crate::error_line(&e)),
            );
        }
    }

    /// The chat's settings made to fit its model: answer length, passages and template from its
    /// context, plain text for a model that never learned the chat template.
    fn fit_settings_to_model(&mut self) {
        self.ensure_model_facts();
        let Some(Ok(model)) = &self.playground.model else {
            return;
        };
        let settings = &mut self.playground.settings;
        let passage_words = self
            .playground
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
    pub(crate) fn refresh_fit(&mut self) {
        self.ensure_model_facts();
        let play = &mut self.playground;
        let (Some(Ok(model)), WorkspaceSlot::Open { workspace, .. }) =
            (&play.model, &self.workspace)
        else {
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
    pub(crate) fn ensure_playground_loaded(&mut self) {
        if self.playground.loaded {
            return;
        }
        self.playground.loaded = true;
        self.reload_conversations();
        if let WorkspaceSlot::Open { workspace, .. } = &self.workspace {
            self.playground.indexes = rag::list(workspace.root());
        }
        if let Some(id) = self.playground.conversations.first().map(|c| c.id) {
            self.open_conversation(id);
        }
        let runs = self.finished_runs();
        for (_, dir) in &runs {
            self.read_steps(dir.clone());
        }
        // Start on the newest run with a checkpoint, with settings that fit it.
        if self.playground.settings.run.is_none()
            && let Some((_, dir)) = runs.first()
        {
            self.playground.settings.run = Some(dir.clone());
            self.fit_settings_to_model();
        }
        let first = runs.first().map(|(id, _)| *id);
        let second = runs.get(1).map(|(id, _)| *id).or(first);
        let compare = &mut self.playground.compare.form;
        if compare.a.run.is_none() {
            compare.a.run = first;
            compare.b.run = second;
        }
        if self.playground.batch.form.model.run.is_none() {
            self.playground.batch.form.model.run = first;
        }
        if let Some(meta) = self.playground.indexes.first() {
            if self.playground.settings.rag.corpus.is_empty() {
                self.playground.settings.rag.corpus.clone_from(&meta.corpus);
            }
            if self.playground.search_corpus.is_empty() {
                self.playground.search_corpus.clone_from(&meta.corpus);
            }
        }
        self.refresh_fit();
    }

    /// Runs that have saved a checkpoint, newest first: (id, folder relative to the workspace).
    fn finished_runs(&self) -> Vec<(i64, String)> {
        let WorkspaceSlot::Open { snapshot, .. } = &self.workspace else {
            return Vec::new();
        };
        let mut runs: Vec<_> = snapshot
            .trained_runs()
            .map(|r| (r.id, r.dir.clone()))
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.0));
        runs
    }

    fn reload_conversations(&mut self) {
        let WorkspaceSlot::Open { workspace, .. } = &self.workspace else {
            return;
        };
        match workspace.store().conversations() {
            Ok(list) => self.playground.conversations = list,
            Err(e) => self.playground.error = Some(crate::error_line(&e)),
        }
    }

    fn open_conversation(&mut self, id: i64) {
        let WorkspaceSlot::Open { workspace, .. } = &self.workspace else {
            return;
        };
        let Some(row) = self.playground.conversations.iter().find(|c| c.id == id) else {
            return;
        };
        match serde_json::from_str::<ChatSettings>(&row.settings) {
            Ok(settings) => self.playground.settings = settings,
            Err(e) => {
                log::warn!(
                    "conversation {id}: settings unreadable ({e}); keeping the current ones"
                );
            }
        }
        match workspace.store().chat_messages(id) {
            Ok(rows) => {
                self.playground.turns = rows
                    .into_iter()
                    .map(|row| Turn {
                        meta: serde_json::from_str(&row.meta).unwrap_or_default(),
                        row,
                    })
                    .collect();
                self.playground.current = Some(id);
                self.playground.error = None;
            }
            Err(e) => self.playground.error = Some(crate::error_line(&e)),
        }
    }

    fn delete_conversation(&mut self, id: i64) {
        if self
            .playground
            .streaming
            .as_ref()
            .is_some_and(|s| s.conversation == Some(id))
        {
            return;
        }
        let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace else {
            return;
        };
        if let Err(e) = workspace.store_mut().delete_conversation(id) {
            self.playground.error = Some(crate::error_line(&e));
            return;
        }
        if self.playground.current == Some(id) {
            self.playground.current = None;
            self.playground.turns.clear();
        }
        self.reload_conversations();
    }

    fn set_chat_settings(&mut self, settings: ChatSettings) {
        let new_model = settings.run != self.playground.settings.run;
        if new_model && let Some(dir) = &settings.run {
            self.read_steps(dir.clone());
        }
        self.playground.settings = settings;
        if new_model {
            // Another model: the defaults follow its context and training.
            self.fit_settings_to_model();
        }
        self.save_conversation_settings();
    }

    /// Reads the checkpoint steps of a run (by id) not read yet, e.g. one that finished since.
    fn ensure_steps(&mut self, run: Option<i64>) {
        if let Some(dir) = self.run_dir_of(run)
            && !self.playground.steps.contains_key(&dir)
        {
            self.read_steps(dir);
        }
    }

    /// Reads a run's checkpoint steps for the checkpoint menu.
    pub(crate) fn read_steps(&mut self, dir: String) {
        let WorkspaceSlot::Open { workspace, .. } = &self.workspace else {
            return;
        };
        let steps = crate::core::train::checkpoint::list(&workspace.root().join(&dir))
            .into_iter()
            .map(|(step, _)| step)
            .collect();
        self.playground.steps.insert(dir, steps);
    }

    fn save_conversation_settings(&mut self) {
        let Some(id) = self.playground.current else {
            return;
        };
        let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace else {
            return;
        };
        let title = self
            .playground
            .conversations
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.title.clone())
            .unwrap_or_default();
        let json = serde_json::to_string(&self.playground.settings).unwrap_or_default();
        if let Err(e) = workspace.store_mut().update_conversation(id, &title, &json) {
            self.playground.error = Some(crate::error_line(&e));
        } else if let Some(c) = self
            .playground
            .conversations
            .iter_mut()
            .find(|c| c.id == id)
        {
            c.settings = json;
        }
    }

    /// The run's folder and name for a chat, or why there is none.
    fn run_for(&self, dir: Option<&str>) -> Result<(PathBuf, PathBuf, String), String> {
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return Err(String::new());
        };
        let Some(dir) = dir else {
            return Err(self.i18n.tr("play-needs-model"));
        };
        let name = snapshot
            .runs
            .iter()
            .find(|r| r.dir == dir)
            .map_or_else(|| dir.to_owned(), |r| r.name.clone());
        Ok((
            workspace.root().to_owned(),
            workspace.root().join(dir),
            name,
        ))
    }

    fn run_dir_of(&self, id: Option<i64>) -> Option<String> {
        let WorkspaceSlot::Open { snapshot, .. } = &self.workspace else {
            return None;
        };
        snapshot
            .runs
            .iter()
            .find(|r| Some(r.id) == id)
            .map(|r| r.dir.clone())
    }

    fn send_message(&mut self) {
        let text = self.playground.input.trim().to_owned();
        if text.is_empty() || self.playground.streaming.is_some() {
            return;
        }
        if let Err(e) = self.run_for(self.playground.settings.run.as_deref()) {
            self.playground.error = Some(e);
            return;
        }
        let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace else {
            return;
        };
        let settings_json = serde_json::to_string(&self.playground.settings).unwrap_or_default();
        let conversation = if let Some(id) = self.playground.current {
            id
        } else {
            let title: String = text.chars().take(48).collect();
            match workspace
                .store_mut()
                .create_conversation(&title, &settings_json)
            {
                Ok(id) => id,
                Err(e) => {
                    self.playground.error = Some(crate::error_line(&e));
                    return;
                }
            }
        };
        // The question is stored before anything is generated: it is never lost.
        if let Err(e) =
            workspace
                .store_mut()
                .add_chat_message(conversation, Role::User, &text, "{}")
        {
            self.playground.error = Some(crate::error_line(&e));
            return;
        }
        self.playground.input.clear();
        self.reload_conversations();
        self.open_conversation(conversation);
        self.generate_reply();
    }

    /// Starts the answer to the conversation as it stands (its last message is the user's).
    fn generate_reply(&mut self) {
        let settings = self.playground.settings.clone();
        let (workspace, run_dir, run_name) = match self.run_for(settings.run.as_deref()) {
            Ok(r) => r,
            Err(e) => {
                self.playground.error = Some(e);
                return;
            }
        };
        let history: Vec<(Role, String)> = self
            .playground
            .turns
            .iter()
            .map(|t| (t.row.role, t.row.content.clone()))
            .collect();
        if history.last().is_none_or(|(role, _)| *role != Role::User) {
            return;
        }
        let request = chat::Request {
            slot: 0,
            workspace,
            run_dir,
            run_name,
            settings,
            history,
        };
        match chat::start(request, self.playground.cache.clone(), self.jobs.waker()) {
            Ok(handle) => {
                self.playground.streaming = Some(Streaming::new(handle, self.playground.current));
                self.playground.error = None;
            }
            Err(e) => self.playground.error = Some(e.to_string()),
        }
    }

    /// Drops the last answer and asks again with the next seed (the same seed would give the
    /// same answer).
    fn regenerate(&mut self) {
        if self.playground.streaming.is_some() {
            return;
        }
        let Some(conversation) = self.playground.current else {
            return;
        };
        if let Some(last) = self.playground.turns.last()
            && last.row.role == Role::Assistant
        {
            let id = last.row.id;
            let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace else {
                return;
            };
            if let Err(e) = workspace
                .store_mut()
                .truncate_conversation(conversation, id)
            {
                self.playground.error = Some(crate::error_line(&e));
                return;
            }
        }
        self.playground.settings.sampling.seed =
            self.playground.settings.sampling.seed.wrapping_add(1);
        self.save_conversation_settings();
        self.open_conversation(conversation);
        self.generate_reply();
    }

    /// Takes what the generation threads sent since the last frame.
    pub(crate) fn tick_playground(&mut self) {
        if let Some(streaming) = &mut self.playground.streaming
            && let Some(result) = streaming.absorb()
        {
            let conversation = streaming.conversation;
            self.playground.streaming = None;
            self.finish_reply(conversation, result);
        }
        let compare = &mut self.playground.compare;
        for slot in 0..2 {
            if let Some(streaming) = &mut compare.running[slot]
                && let Some(result) = streaming.absorb()
            {
                compare.replies[slot] = Some(result);
                compare.running[slot] = None;
            }
        }
    }

    fn finish_reply(&mut self, conversation: Option<i64>, result: Result<Reply, String>) {
        let Some(conversation) = conversation else {
            return;
        };
        match result {
            Ok(reply) => {
                let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace else {
                    return;
                };
                let meta = serde_json::to_string(&reply.meta).unwrap_or_else(|_| "{}".into());
                if let Err(e) = workspace.store_mut().add_chat_message(
                    conversation,
                    Role::Assistant,
                    &reply.text,
                    &meta,
                ) {
                    self.playground.error = Some(crate::error_line(&e));
                }
                self.reload_conversations();
                // Show the answer only where its conversation is still the open one.
                if self.playground.current == Some(conversation) {
                    self.open_conversation(conversation);
                }
                self.refresh_fit();
            }
            Err(e) => self.playground.error = Some(e),
        }
    }

    fn start_compare(&mut self) {
        let compare = &self.playground.compare;
        let prompt = compare.form.prompt.trim().to_owned();
        if prompt.is_empty() || compare.busy() {
            return;
        }
        let choices = [compare.form.a.clone(), compare.form.b.clone()];
        let mut requests = Vec::new();
        for (slot, choice) in choices.iter().enumerate() {
            let dir = self.run_dir_of(choice.run);
            let (workspace, run_dir, run_name) = match self.run_for(dir.as_deref()) {
                Ok(r) => r,
                Err(e) => {
                    self.playground.error = Some(e);
                    return;
                }
            };
            let mut settings = self.playground.settings.clone();
            settings.run = dir;
            settings.checkpoint.clone_from(&choice.checkpoint);
            requests.push(chat::Request {
                slot,
                workspace,
                run_dir,
                run_name,
                settings,
                history: vec![(Role::User, prompt.clone())],
            });
        }
        let compare = &mut self.playground.compare;
        compare.asked = prompt;
        compare.replies = [None, None];
        compare.sent = None;
        for request in requests {
            let slot = request.slot;
            match chat::start(request, self.playground.cache.clone(), self.jobs.waker()) {
                Ok(handle) => {
                    self.playground.compare.running[slot] = Some(Streaming::new(handle, None));
                }
                Err(e) => self.playground.compare.replies[slot] = Some(Err(e.to_string())),
            }
        }
        self.playground.error = None;
    }

    /// The two answers become one preference item in the rating queue.
    fn compare_to_rating(&mut self) {
        let compare = &self.playground.compare;
        let (Some(Ok(a)), Some(Ok(b))) = (&compare.replies[0], &compare.replies[1]) else {
            return;
        };
        if compare.sent.is_some() {
            return;
        }
        let prompt = compare.asked.clone();
        let (a, b) = (
            (a.text.clone(), a.meta.model.clone()),
            (b.text.clone(), b.meta.model.clone()),
        );
        let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace else {
            return;
        };
        let added = workspace.store_mut().add_preference_item(
            &prompt,
            chat::COMPARE_SOURCE,
            &[(a.0.as_str(), a.1.as_str()), (b.0.as_str(), b.1.as_str())],
        );
        match added {
            Ok(id) => {
                self.playground.compare.sent = Some(id);
                // The rating queue reads the new item when it shows next.
                self.rating.loaded = None;
                self.refresh_snapshot();
            }
            Err(e) => self.playground.error = Some(crate::error_line(&e)),
        }
    }

    fn start_batch(&mut self) {
        if self.playground.batch.job.is_some() {
            return;
        }
        let form = self.playground.batch.form.clone();
        let prompts = chat::prompts_of(&form.prompts);
        if prompts.is_empty() {
            self.playground.error = Some(self.i18n.tr("play-batch-needs"));
            return;
        }
        let dir = self.run_dir_of(form.model.run);
        let (workspace, run_dir, run_name) = match self.run_for(dir.as_deref()) {
            Ok(r) => r,
            Err(e) => {
                self.playground.error = Some(e);
                return;
            }
        };
        let mut settings = self.playground.settings.clone();
        settings.run = dir;
        settings.checkpoint.clone_from(&form.model.checkpoint);
        if form.mode != BatchMode::Plain && settings.rag.corpus.is_empty() {
            self.playground.error = Some(self.i18n.tr("play-rag-needs-index"));
            return;
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let out = workspace
            .join(crate::core::workspace::Folder::Exports.dir_name())
            .join(format!("batch-{stamp}.jsonl"));
        let request = chat::Request {
            slot: 0,
            workspace,
            run_dir,
            run_name,
            settings,
            history: Vec::new(),
        };
        let slot = self.playground.batch.slot.clone();
        let cache = self.playground.cache.clone();
        let label = crate::core::jobs::JobName::message(
            "job-play-batch",
            [("count", prompts.len().into())],
        );
        let spawned = self.jobs.spawn(&label, move |ctx| {
            let rows = chat::run_batch(
                &request,
                &prompts,
                form.mode,
                &cache,
                &|done, total| ctx.progress(done, Some(total)),
                &|| ctx.is_cancelled(),
            )?;
            chat::write_batch(&out, &rows).map_err(|e| format!("{}: {e}", out.display()))?;
            let summary = format!("{} outputs → {}", rows.len(), out.display());
            slot.put(Ok((rows, out)));
            Ok(summary)
        });
        match spawned {
            Ok(job) => {
                let batch = &mut self.playground.batch;
                batch.job = Some(job);
                batch.rows.clear();
                batch.out = None;
                batch.sent_rating = None;
                batch.sent_sft = None;
                self.playground.error = None;
            }
            Err(e) => self.playground.error = Some(e.to_string()),
        }
    }

    fn batch_to_rating(&mut self) {
        let items = chat::batch_pairs(&self.playground.batch.rows);
        if items.is_empty() {
            self.playground.error = Some(self.i18n.tr("play-batch-no-pairs"));
            return;
        }
        let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace else {
            return;
        };
        match workspace
            .store_mut()
            .add_preference_items(&items, chat::BATCH_SOURCE, 1)
        {
            Ok(n) => {
                self.playground.batch.sent_rating = Some(n);
                self.rating.loaded = None;
                self.refresh_snapshot();
            }
            Err(e) => self.playground.error = Some(crate::error_line(&e)),
        }
    }

    /// Each output becomes a draft SFT example to review and correct.
    fn batch_to_sft(&mut self) {
        let author =
            (!self.state.annotator.trim().is_empty()).then(|| self.state.annotator.clone());
        let examples = chat::batch_sft_examples(&self.playground.batch.rows, author.as_deref());
        let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace else {
            return;
        };
        match workspace.store_mut().add_sft_examples(&examples) {
            Ok(ids) => {
                self.playground.batch.sent_sft = Some(ids.len());
                self.sft.loaded = None;
                self.refresh_snapshot();
            }
            Err(e) => self.playground.error = Some(crate::error_line(&e)),
        }
    }

    fn build_index(&mut self, corpus: &str) {
        if self.playground.index_job.is_some() {
            return;
        }
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return;
        };
        let Some(row) = snapshot.corpora.iter().find(|c| c.name == corpus) else {
            return;
        };
        let root = workspace.root().to_owned();
        let (name, path) = (row.name.clone(), row.path.clone());
        let settings = self.playground.index_form.clone();
        let label =
            crate::core::jobs::JobName::message("job-play-index", [("name", name.as_str().into())]);
        let spawned = self.jobs.spawn(&label, move |ctx| {
            let meta = rag::build(
                &root,
                &name,
                &path,
                &settings,
                &|done, total| ctx.progress(done, Some(total)),
                &|| ctx.is_cancelled(),
            )?;
            Ok(format!(
                "{}: {} passages ({} articles)",
                meta.corpus, meta.passages, meta.articles
            ))
        });
        match spawned {
            Ok(job) => self.playground.index_job = Some((job, corpus.to_owned())),
            Err(e) => self.playground.error = Some(e.to_string()),
        }
    }

    fn search_index(&mut self, corpus: String, text: String) {
        let WorkspaceSlot::Open { workspace, .. } = &self.workspace else {
            return;
        };
        let k = self.playground.settings.rag.k.max(1);
        let hits = if text.trim().is_empty() || corpus.is_empty() {
            Ok(Vec::new())
        } else {
            let cached = &mut self.playground.searcher;
            let opened = match cached.take() {
                Some(r) if r.meta.corpus == corpus => Ok(r),
                _ => rag::Retriever::open_corpus(workspace.root(), &corpus),
            };
            opened
                .and_then(|r| {
                    let hits = r.search(&text, k);
                    *cached = Some(r);
                    hits
                })
                .map_err(|e| e.to_string())
        };
        self.playground.search = text;
        self.playground.search_corpus = corpus;
        match hits {
            Ok(hits) => {
                self.playground.search_hits = hits;
                self.playground.search_error = None;
            }
            Err(e) => {
                self.playground.search_hits.clear();
                self.playground.search_error = Some(e);
            }
        }
    }

    /// After a job ends: a finished index is listed, a finished batch shown.
    pub(crate) fn playground_job_finished(&mut self, id: JobId) {
        if self
            .playground
            .index_job
            .as_ref()
            .is_some_and(|(j, _)| *j == id)
            && let Some((_, corpus)) = self.playground.index_job.take()
        {
            // A rebuilt index replaces the folder the open one reads.
            self.playground.searcher = None;
            if let WorkspaceSlot::Open { workspace, .. } = &self.workspace {
                self.playground.indexes = rag::list(workspace.root());
            }
            if self.playground.indexes.iter().any(|m| m.corpus == corpus) {
                if self.playground.settings.rag.corpus.is_empty() {
                    self.playground.settings.rag.corpus.clone_from(&corpus);
                }
                if self.playground.search_corpus.is_empty() {
                    self.playground.search_corpus = corpus;
                }
            }
            self.refresh_fit();
        }
        if self.playground.batch.job == Some(id) {
            self.playground.batch.job = None;
            match self.playground.batch.slot.take() {
                Some(Ok((rows, out))) => {
                    self.playground.batch.rows = rows;
                    self.playground.batch.out = Some(out);
                }
                Some(Err(e)) => self.playground.error = Some(e),
                None => {}
            }
        }
    }
}
