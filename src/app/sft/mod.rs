//! SFT area state and its commands: the list of examples with its filter, the edit session
//! that saves as the annotator types, the background checker, token counts and drafts.

mod edit;
mod io;

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::app::{DezgahApp, WorkspaceSlot};
use crate::core::corpus::text::to_lower_az;
use crate::core::domain::Role;
use crate::core::jobs::JobHandle;
use crate::core::sft::{
    self, DraftKind, EditSession, Problem, ProblemKind, TokenCounts, TokenLimit, Validator,
};
use crate::core::store::SftExample;

/// How the list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest first.
    #[default]
    Newest,
    Oldest,
    /// Most recently edited first.
    Updated,
    /// Longest conversation first.
    Longest,
}

impl Sort {
    pub const ALL: [Self; 4] = [Self::Newest, Self::Oldest, Self::Updated, Self::Longest];

    pub fn key(self) -> &'static str {
        match self {
            Self::Newest => "sft-sort-newest",
            Self::Oldest => "sft-sort-oldest",
            Self::Updated => "sft-sort-updated",
            Self::Longest => "sft-sort-longest",
        }
    }
}

/// The list's search, filters and order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    pub search: String,
    pub status: Option<String>,
    pub domain: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    pub provenance: Option<String>,
    pub problem: Option<ProblemKind>,
    pub sort: Sort,
}

/// Which field gets the keyboard next frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Search,
    System,
    Turn(usize),
}

/// The assist box: a passage to draft from, a template, and a model to draft with.
#[derive(Debug, Clone, PartialEq)]
pub struct AssistForm {
    pub passage: String,
    /// Where the passage came from (`corpus NAME, document N`), kept as a tag on the draft.
    pub source: String,
    pub template: String,
    /// The run whose checkpoint drafts answers and paraphrases.
    pub run: Option<i64>,
    pub checkpoint: String,
    pub temperature: f64,
    pub max_tokens: usize,
    pub seed: u64,
}

impl Default for AssistForm {
    fn default() -> Self {
        Self {
            passage: String::new(),
            source: String::new(),
            template: sft::PASSAGE_TEMPLATES[0].1.to_owned(),
            run: None,
            checkpoint: "best".into(),
            temperature: 0.7,
            max_tokens: 200,
            seed: 1,
        }
    }
}

/// A model draft under way: which turn it fills, and where its text arrives.
#[derive(Debug)]
pub struct DraftJob {
    /// The model's text comes back through the handle.
    pub job: JobHandle<String>,
    pub example: i64,
    pub turn: usize,
    pub kind: DraftKind,
}

/// What the checker is told: the whole set once, then only what changed, so that a save in a
/// set of 50,000 examples copies one example, not all of them.
struct CheckRequest {
    generation: u64,
    all: Option<Vec<SftExample>>,
    changed: Vec<SftExample>,
    removed: Vec<i64>,
    limit: Option<TokenLimit>,
}

/// What changed since the checker last looked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    All,
    Example(i64),
    Removed(i64),
    /// The tokenizer or the context length.
    Limit,
}

/// Runs the [`Validator`] on its own named thread, over its own copy of the examples:
/// language detection over thousands of examples would stall the window.
pub struct Checker {
    requests: Sender<CheckRequest>,
    results: Receiver<(u64, HashMap<i64, Vec<Problem>>)>,
    /// The generation of the newest change, sent or waiting.
    wanted: u64,
    sent: u64,
    pub done: u64,
    all: bool,
    changed: BTreeSet<i64>,
    removed: Vec<i64>,
}

impl std::fmt::Debug for Checker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checker")
            .field("wanted", &self.wanted)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Checker {
    fn start(waker: Option<crate::core::jobs::Waker>) -> std::io::Result<Self> {
        let (requests, inbox) = crossbeam_channel::bounded::<CheckRequest>(1);
        let (outbox, results) = crossbeam_channel::bounded(1);
        std::thread::Builder::new()
            .name("dezgah-sft-check".into())
            .spawn(move || {
                // All cores but one: the window keeps a core to itself while a check runs.
                let threads = std::thread::available_parallelism()
                    .map_or(1, |n| n.get().saturating_sub(1).max(1));
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|i| format!("dezgah-sft-check-{i}"))
                    .build();
                let mut validator = Validator::new();
                let mut examples: Vec<SftExample> = Vec::new();
                while let Ok(request) = inbox.recv() {
                    if let Some(all) = request.all {
                        examples = all;
                    }
                    examples.retain(|e| !request.removed.contains(&e.id));
                    for e in request.changed {
                        match examples.binary_search_by_key(&e.id, |x| x.id) {
                            Ok(i) => examples[i] = e,
                            Err(i) => examples.insert(i, e),
                        }
                    }
                    let limit = request.limit.as_ref();
                    let found = match &pool {
                        Ok(pool) => pool.install(|| validator.check(&examples, limit)),
                        Err(_) => validator.check(&examples, limit),
                    };
                    if outbox.send((request.generation, found)).is_err() {
                        break;
                    }
                    if let Some(wake) = &waker {
                        wake();
                    }
                }
            })?;
        Ok(Self {
            requests,
            results,
            wanted: 0,
            sent: 0,
            done: 0,
            all: false,
            changed: BTreeSet::new(),
            removed: Vec::new(),
        })
    }

    /// Is a check still to come for the latest examples?
    pub fn busy(&self) -> bool {
        self.done < self.wanted
    }
}

#[derive(Debug, Default)]
pub struct SftView {
    /// Every example of the workspace, in id order, as last saved or loaded.
    pub examples: Vec<SftExample>,
    /// Each example's searchable text, lower-cased the Azerbaijani way, beside `examples`: a
    /// search key then costs a substring scan, not a lower-casing of every example.
    pub(crate) haystacks: Vec<String>,
    /// Which workspace `examples` belongs to.
    pub loaded: Option<PathBuf>,
    pub load_error: Option<String>,
    pub filter: ListFilter,
    /// Indices into `examples` that pass the filter, in the chosen order.
    pub visible: Vec<usize>,
    pub session: Option<EditSession>,
    pub save_error: Option<String>,
    pub problems: HashMap<i64, Vec<Problem>>,
    pub checker: Option<Checker>,
    pub tokenizer: Option<i64>,
    pub context: usize,
    pub limit: Option<TokenLimit>,
    pub tokenizer_error: Option<String>,
    /// Token counts of the example being edited.
    pub counts: Option<TokenCounts>,
    pub focus: Option<Focus>,
    pub show_keys: bool,
    pub confirm_delete: Option<i64>,
    pub assist: AssistForm,
    pub draft: Option<DraftJob>,
    pub draft_error: Option<String>,
    /// Domains, tags and authors in use, for the filter menus and suggestions.
    pub domains: Vec<String>,
    pub tags: Vec<String>,
    pub authors: Vec<String>,
}

impl SftView {
    pub fn current(&self) -> Option<&SftExample> {
        self.session.as_ref().map(EditSession::example)
    }

    /// Position of the example being edited in the visible list.
    pub fn position(&self) -> Option<usize> {
        let id = self.session.as_ref()?.id();
        self.visible.iter().position(|&i| self.examples[i].id == id)
    }

    fn refilter(&mut self) {
        let f = &self.filter;
        let needle = to_lower_az(f.search.trim());
        let haystacks = &self.haystacks;
        // One SIMD searcher for every example: a search key scans 50,000 examples in a frame.
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let mut visible: Vec<usize> = self
            .examples
            .iter()
            .enumerate()
            .filter(|(i, e)| {
                f.status.as_ref().is_none_or(|s| e.status.name() == s)
                    && f.domain.as_ref().is_none_or(|d| &e.domain == d)
                    && f.tag.as_ref().is_none_or(|t| e.tags.contains(t))
                    && f.author
                        .as_ref()
                        .is_none_or(|a| e.author.as_ref() == Some(a))
                    && f.provenance.as_ref().is_none_or(|p| &e.provenance == p)
                    && f.problem.is_none_or(|kind| {
                        self.problems
                            .get(&e.id)
                            .is_some_and(|ps| ps.iter().any(|p| p.kind() == kind))
                    })
                    && (needle.is_empty()
                        || haystacks
                            .get(*i)
                            .is_some_and(|h| finder.find(h.as_bytes()).is_some())
                        || needle
                            .strip_prefix('#')
                            .is_some_and(|n| n == e.id.to_string()))
            })
            .map(|(i, _)| i)
            .collect();
        let examples = &self.examples;
        match f.sort {
            Sort::Oldest => {}
            Sort::Newest => visible.reverse(),
            Sort::Updated => visible.sort_by(|&a, &b| {
                examples[b]
                    .updated_at
                    .cmp(&examples[a].updated_at)
                    .then(examples[b].id.cmp(&examples[a].id))
            }),
            Sort::Longest => visible.sort_by_key(|&i| std::cmp::Reverse(length(&examples[i]))),
        }
        self.visible = visible;
    }

    fn collect_choices(&mut self) {
        let mut domains = BTreeSet::new();
        let mut tags = BTreeSet::new();
        let mut authors = BTreeSet::new();
        for e in &self.examples {
            if !e.domain.is_empty() {
                domains.insert(e.domain.clone());
            }
            tags.extend(e.tags.iter().cloned());
            if let Some(a) = &e.author {
                authors.insert(a.clone());
            }
        }
        self.domains = domains.into_iter().collect();
        self.tags = tags.into_iter().collect();
        self.authors = authors.into_iter().collect();
    }

    /// Puts an example's new state into the list (after a save or an edit).
    fn replace(&mut self, example: &SftExample) {
        if let Ok(i) = self.examples.binary_search_by_key(&example.id, |e| e.id) {
            if let Some(h) = self.haystacks.get_mut(i) {
                *h = haystack(example);
            }
            let updated_at = self.examples[i].updated_at.clone();
            self.examples[i] = example.clone();
            if example.updated_at.is_empty() {
                self.examples[i].updated_at = updated_at;
            }
        }
    }

    fn set_examples(&mut self, examples: Vec<SftExample>) {
        self.haystacks = examples.iter().map(haystack).collect();
        self.examples = examples;
    }

    /// Adds an example in id order (a new one has the largest id, so it goes last).
    fn insert(&mut self, example: SftExample) {
        let at = self.examples.partition_point(|e| e.id < example.id);
        self.haystacks.insert(at, haystack(&example));
        self.examples.insert(at, example);
    }

    fn remove(&mut self, id: i64) {
        if let Ok(i) = self.examples.binary_search_by_key(&id, |e| e.id) {
            self.examples.remove(i);
            self.haystacks.remove(i);
        }
    }

    fn recount(&mut self) {
        self.counts = match (&self.limit, self.session.as_ref()) {
            (Some(limit), Some(s)) => sft::token_counts(&limit.tokenizer, s.example()),
            _ => None,
        };
    }
}

/// What a search looks through: system prompt, turns, tags and domain, one per line.
fn haystack(e: &SftExample) -> String {
    let mut text = to_lower_az(&e.system_prompt);
    for part in e
        .messages
        .iter()
        .map(|m| m.content.as_str())
        .chain(e.tags.iter().map(String::as_str))
        .chain(std::iter::once(e.domain.as_str()))
    {
        text.push('\n');
        text.push_str(&to_lower_az(part));
    }
    text
}

fn length(e: &SftExample) -> usize {
    e.system_prompt.chars().count()
        + e.messages
            .iter()
            .map(|m| m.content.chars().count())
            .sum::<usize>()
}

/// The role a new turn takes: the other one from the last turn's.
fn next_role(example: &SftExample) -> Role {
    match example.messages.last().map(|m| m.role) {
        Some(Role::User) => Role::Assistant,
        _ => Role::User,
    }
}

/// Where the annotator most likely carries on: the first empty turn, else the last.
fn writing_turn(e: &SftExample) -> usize {
    e.messages
        .iter()
        .position(|m| m.content.trim().is_empty())
        .unwrap_or_else(|| e.messages.len().saturating_sub(1))
}

pub const DEFAULT_CONTEXT: usize = 1024;

impl DezgahApp {
    /// Loads the workspace's examples when the SFT area first opens on it.
    pub(crate) fn ensure_sft_loaded(&mut self) {
        let Some((workspace, _)) = self.workspace.as_open() else {
            return;
        };
        let root = workspace.root().to_owned();
        if self.sft.loaded.as_ref() == Some(&root) {
            return;
        }
        self.sft.loaded = Some(root);
        if self.sft.context == 0 {
            self.sft.context = DEFAULT_CONTEXT;
        }
        self.reload_sft();
        // Open where the list starts, so typing can begin at once.
        if self.sft.session.is_none()
            && let Some(&first) = self.sft.visible.first()
        {
            let id = self.sft.examples[first].id;
            self.select_sft(id);
        }
        if self.sft.tokenizer.is_none()
            && let WorkspaceSlot::Open { snapshot, .. } = &self.workspace
            && let Some(newest) = snapshot.tokenizers.iter().map(|t| t.id).max()
        {
            self.set_sft_tokenizer(Some(newest));
        }
    }

    /// Reads every example again (after an import, or a workspace change).
    pub(crate) fn reload_sft(&mut self) {
        let Some((workspace, _)) = self.workspace.as_open() else {
            return;
        };
        match workspace.store().sft_examples_full() {
            Ok(examples) => {
                self.sft.set_examples(examples);
                self.sft.load_error = None;
            }
            Err(e) => self.sft.load_error = Some(crate::error_line(&e)),
        }
        self.sft.collect_choices();
        self.sft.refilter();
        self.request_sft_check(Change::All);
        if let Some(id) = self.sft.session.as_ref().map(EditSession::id)
            && !self.sft.examples.iter().any(|e| e.id == id)
        {
            self.sft.session = None;
        }
    }

    /// Tells the checker what changed; it looks again once it is free.
    fn request_sft_check(&mut self, change: Change) {
        if self.sft.checker.is_none() {
            match Checker::start(self.jobs.waker()) {
                Ok(checker) => self.sft.checker = Some(checker),
                Err(e) => {
                    log::error!("cannot start the SFT checker: {e}");
                    return;
                }
            }
        }
        let Some(checker) = &mut self.sft.checker else {
            return;
        };
        checker.wanted += 1;
        match change {
            Change::All => {
                checker.all = true;
                checker.changed.clear();
                checker.removed.clear();
            }
            Change::Example(id) => {
                checker.changed.insert(id);
            }
            Change::Removed(id) => {
                checker.changed.remove(&id);
                checker.removed.push(id);
            }
            Change::Limit => {}
        }
        self.send_sft_check();
    }

    fn send_sft_check(&mut self) {
        let Some(checker) = &mut self.sft.checker else {
            return;
        };
        // One check at a time; what changes meanwhile goes with the next.
        if checker.sent == checker.wanted || checker.done < checker.sent {
            return;
        }
        let session = self.sft.session.as_ref().map(EditSession::example);
        let pick = |e: &SftExample| match session {
            Some(s) if s.id == e.id => s.clone(),
            _ => e.clone(),
        };
        let all = std::mem::take(&mut checker.all)
            .then(|| self.sft.examples.iter().map(pick).collect::<Vec<_>>());
        let mut changed_ids = std::mem::take(&mut checker.changed);
        // The example being typed is checked as it stands on screen.
        if let Some(s) = session {
            changed_ids.insert(s.id);
        }
        let changed: Vec<SftExample> = if all.is_some() {
            Vec::new()
        } else {
            changed_ids
                .iter()
                .filter_map(|id| {
                    self.sft
                        .examples
                        .binary_search_by_key(id, |e| e.id)
                        .ok()
                        .map(|i| pick(&self.sft.examples[i]))
                })
                .collect()
        };
        let request = CheckRequest {
            generation: checker.wanted,
            all,
            changed,
            removed: std::mem::take(&mut checker.removed),
            limit: self.sft.limit.clone(),
        };
        match checker.requests.try_send(request) {
            Ok(()) => checker.sent = checker.wanted,
            Err(TrySendError::Full(_)) => {
                // Cannot happen while one check runs at a time; start over with everything.
                checker.all = true;
            }
            Err(TrySendError::Disconnected(_)) => {
                log::error!("the SFT checker stopped");
                self.sft.checker = None;
            }
        }
    }

    /// Saves what is due and takes the checker's results. Called every frame.
    pub(crate) fn tick_sft(&mut self, ctx: &egui::Context) {
        let now = Instant::now();
        if self.sft.session.as_ref().is_some_and(|s| s.save_due(now)) {
            self.flush_sft();
        }
        if let Some(wait) = self.sft.session.as_ref().and_then(|s| s.next_save_in(now)) {
            // Save on time even if no key or mouse event comes.
            ctx.request_repaint_after(wait);
        }
        let mut refilter = false;
        if let Some(checker) = &mut self.sft.checker {
            while let Ok((generation, found)) = checker.results.try_recv() {
                checker.done = generation;
                self.sft.problems = found;
                refilter = true;
            }
        }
        self.send_sft_check();
        if refilter && self.sft.filter.problem.is_some() {
            self.sft.refilter();
        }
    }

    /// Writes the edited example now (on a switch, on exit, or when due).
    pub(crate) fn flush_sft(&mut self) {
        let Some((workspace, _)) = self.workspace.as_open_mut() else {
            return;
        };
        let Some(session) = &mut self.sft.session else {
            return;
        };
        if !session.is_dirty() {
            return;
        }
        match session.flush(workspace.store_mut()) {
            Ok(true) => {
                self.sft.save_error = None;
                let example = session.example().clone();
                self.sft.replace(&example);
                self.request_sft_check(Change::Example(example.id));
            }
            Ok(false) => {
                self.sft.save_error = Some(
                    self.i18n
                        .tr_args("sft-save-gone", &[("id", session.id().into())]),
                );
            }
            Err(e) => self.sft.save_error = Some(crate::error_line(&e)),
        }
    }
}
