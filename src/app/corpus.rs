//! The Corpus area's state and the commands that change it: the corpus being looked at, its
//! statistics, and the document browser over its index.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::app::DezgahApp;
use crate::core::corpus::browse::{DupStatus, Filters, Matcher, Query};
use crate::core::corpus::derive::{
    CleanPreview, Derived, DuplicatesFound, ExportFormat, FilterPreview, Keep,
};
use crate::core::corpus::diff::DocDiff;
use crate::core::corpus::index::{CorpusIndex, DocReader};
use crate::core::corpus::quality::QualityConfig;
use crate::core::corpus::stats::CorpusStats;
use crate::core::domain::Decision;
use crate::core::jobs::{JobHandle, JobId, Outcome};
use crate::core::store::ClusterRow;

/// How the next import reads its files (besides the text unit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    pub text_field: String,
    pub id_field: String,
    /// Invalid UTF-8 becomes U+FFFD instead of the line being left out.
    pub repair: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            text_field: "text".into(),
            id_field: "id".into(),
            repair: false,
        }
    }
}

/// A finished search: its query and the documents it found.
pub type SearchHits = (Query, Vec<u32>);

/// The views of a selected corpus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CorpusTab {
    #[default]
    Overview,
    Documents,
    Clean,
    Filter,
    Duplicates,
    Export,
}

impl CorpusTab {
    pub const ALL: [Self; 6] = [
        Self::Overview,
        Self::Documents,
        Self::Clean,
        Self::Filter,
        Self::Duplicates,
        Self::Export,
    ];

    pub fn title_key(self) -> &'static str {
        match self {
            Self::Overview => "corpus-tab-overview",
            Self::Documents => "corpus-tab-documents",
            Self::Clean => "corpus-tab-clean",
            Self::Filter => "corpus-tab-filter",
            Self::Duplicates => "corpus-tab-duplicates",
            Self::Export => "corpus-tab-export",
        }
    }
}

/// The Corpus area's own state: the import choice and the corpus being looked at.
#[derive(Debug)]
pub struct CorpusView {
    /// The import controls and the corpus table are shown above the details (else folded).
    pub list_open: bool,
    pub unit: crate::core::corpus::read::TextUnit,
    /// JSONL/Parquet fields and what to do with unreadable lines, for the next import.
    pub import: ImportOptions,
    pub selected: Option<i64>,
    pub tab: CorpusTab,
    /// Statistics of the selected corpus: `None` while they are being computed.
    pub stats: Option<Result<CorpusStats, String>>,
    pub(crate) stats_job: Option<JobId>,
    /// The document browser, once the selected corpus's index is loaded.
    pub browser: Option<Browser>,
    /// Why the index could not be loaded or built.
    pub browser_error: Option<String>,
    pub(crate) index_job: Option<JobHandle<CorpusIndex>>,
    pub(crate) search_job: Option<JobHandle<SearchHits>>,
    pub steps: StepsState,
    /// Why the corpus's script could not be recorded.
    pub source_error: Option<String>,
}

impl Default for CorpusView {
    fn default() -> Self {
        Self {
            list_open: true,
            unit: crate::core::corpus::read::TextUnit::default(),
            import: ImportOptions::default(),
            selected: None,
            tab: CorpusTab::default(),
            stats: None,
            stats_job: None,
            browser: None,
            browser_error: None,
            index_job: None,
            search_job: None,
            steps: StepsState::default(),
            source_error: None,
        }
    }
}

/// List rows are read from the corpus file when first shown, then kept (up to this many).
const PREVIEW_CACHE: usize = 4096;
/// Characters of a document a list row shows.
pub const PREVIEW_CHARS: usize = 240;
/// A document view lays out at most this many bytes unless asked for all.
pub const DOC_VIEW_BYTES: usize = 60_000;

#[derive(Debug)]
pub struct Browser {
    pub jsonl: PathBuf,
    pub index: Arc<CorpusIndex>,
    pub dup: Vec<DupStatus>,
    pub filters: Filters,
    /// The query being typed, and the one whose hits are shown.
    pub query: Query,
    pub searched: Option<(Query, Arc<Vec<u32>>)>,
    pub matcher: Option<Matcher>,
    pub search_error: Option<String>,
    /// Documents (indices into the index) that pass the filters and the search, in order.
    pub visible: Vec<u32>,
    pub open_doc: Option<OpenDocument>,
    pub show_whole: bool,
    reader: RefCell<Option<DocReader>>,
    previews: RefCell<HashMap<u32, String>>,
}

#[derive(Debug)]
pub struct OpenDocument {
    /// Bytes of the text laid out (all of it, or the first [`DOC_VIEW_BYTES`]).
    pub shown: usize,
    /// Highlights of the shown text, computed when it or the search changes, not every frame.
    pub marks: Vec<(std::ops::Range<usize>, crate::core::corpus::browse::Mark)>,
    pub number: u32,
    pub content: Result<(serde_json::Value, String), String>,
}

impl Browser {
    fn new(jsonl: PathBuf, index: CorpusIndex) -> Self {
        let index = Arc::new(index);
        let mut browser = Self {
            jsonl,
            dup: Vec::new(),
            filters: Filters::default(),
            query: Query {
                ignore_case: true,
                ..Query::default()
            },
            searched: None,
            matcher: None,
            search_error: None,
            visible: Vec::new(),
            open_doc: None,
            show_whole: false,
            reader: RefCell::new(None),
            previews: RefCell::new(HashMap::new()),
            index,
        };
        browser.refilter();
        browser
    }

    pub fn refilter(&mut self) {
        self.visible = crate::core::corpus::browse::visible(
            &self.index,
            &self.filters,
            &self.dup,
            self.searched.as_ref().map(|(_, hits)| hits.as_slice()),
        );
    }

    /// The first characters of document `number`, read on first use. Reading is a seek and a
    /// few kilobytes from the page cache; a failure shows as the row's text.
    pub fn preview(&self, number: u32) -> String {
        if let Some(text) = self.previews.borrow().get(&number) {
            return text.clone();
        }
        let Some(doc) = self.index.docs.get(number as usize) else {
            return String::new();
        };
        let mut reader = self.reader.borrow_mut();
        if reader.is_none() {
            match DocReader::open(&self.jsonl) {
                Ok(r) => *reader = Some(r),
                Err(e) => return e.to_string(),
            }
        }
        let text = match reader.as_mut().map(|r| r.preview(doc, PREVIEW_CHARS * 2)) {
            Some(Ok(text)) => one_line(&text, PREVIEW_CHARS),
            Some(Err(e)) => e.to_string(),
            None => String::new(),
        };
        let mut previews = self.previews.borrow_mut();
        if previews.len() >= PREVIEW_CACHE {
            previews.clear();
        }
        previews.insert(number, text.clone());
        text
    }

    fn open(&mut self, number: u32) {
        let Some(doc) = self.index.docs.get(number as usize).copied() else {
            return;
        };
        let content = DocReader::open(&self.jsonl)
            .and_then(|mut r| r.document(&doc, u64::from(number) + 1))
            .map_err(|e| e.to_string());
        self.open_doc = Some(OpenDocument {
            shown: 0,
            marks: Vec::new(),
            number,
            content,
        });
        self.show_whole = false;
        self.remark();
    }

    /// Lays out the whole open document rather than its start.
    pub fn show_whole(&mut self) {
        self.show_whole = true;
        self.remark();
    }

    /// Recomputes what the open document shows and its highlights.
    pub fn remark(&mut self) {
        let Some(open) = &mut self.open_doc else {
            return;
        };
        let Ok((_, text)) = &open.content else {
            return;
        };
        let mut end = if self.show_whole {
            text.len()
        } else {
            text.len().min(DOC_VIEW_BYTES)
        };
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        open.shown = end;
        open.marks = crate::core::corpus::browse::marks(&text[..end], self.matcher.as_ref());
    }
}

/// Whitespace runs (newlines included) as single spaces, cut at `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max * 2));
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() >= max {
            break;
        }
    }
    out
}

impl DezgahApp {
    /// Loads (or, for a corpus without one, builds) the index of the selected corpus.
    pub(crate) fn load_browser(&mut self, id: i64) {
        let Some((workspace, snapshot)) = self.workspace.as_open() else {
            return;
        };
        let Some(corpus) = snapshot.corpora.iter().find(|c| c.id == id) else {
            return;
        };
        self.corpus.browser = None;
        self.corpus.browser_error = None;
        let jsonl = workspace.root().join(&corpus.path);
        let source = corpus.name.clone();
        let label = crate::core::jobs::JobName::message(
            "job-corpus-index",
            [("name", corpus.name.as_str().into())],
        );
        match self.jobs.spawn_typed(&label, move |ctx| {
            let path = crate::core::corpus::index::index_path(&jsonl);
            let index = match crate::core::corpus::index::CorpusIndex::load(&path) {
                Ok(Some(index)) => index,
                result => {
                    if let Err(e) = result {
                        ctx.log(e.to_string());
                    }
                    let index =
                        crate::core::corpus::index::build_index_for(&jsonl, &source, Some(ctx))?;
                    index.save(&path)?;
                    index
                }
            };
            let n = index.docs.len();
            Ok((index, format!("{n} documents indexed")))
        }) {
            Ok(job) => self.corpus.index_job = Some(job),
            Err(e) => self.corpus.browser_error = Some(e.to_string()),
        }
    }

    pub(crate) fn set_filters(&mut self, filters: Filters) {
        if let Some(b) = &mut self.corpus.browser {
            b.filters = filters;
            b.refilter();
        }
    }

    pub(crate) fn search_corpus(&mut self, query: Query) {
        let Some(browser) = &mut self.corpus.browser else {
            return;
        };
        browser.query = query.clone();
        browser.search_error = None;
        if query.pattern.is_empty() {
            browser.searched = None;
            browser.matcher = None;
            browser.refilter();
            browser.remark();
            return;
        }
        if let Err(e) = Matcher::new(&query) {
            browser.search_error = Some(e.to_string());
            return;
        }
        if let Some(job) = self.corpus.search_job.take() {
            self.jobs.cancel(job.id());
        }
        let jsonl = browser.jsonl.clone();
        let index = Arc::clone(&browser.index);
        let label = crate::core::jobs::JobName::message(
            "job-corpus-search",
            [("query", query.pattern.as_str().into())],
        );
        match self.jobs.spawn_typed(&label, move |ctx| {
            let hits = crate::core::corpus::browse::search(&jsonl, &index, &query, Some(ctx))?;
            let n = hits.len();
            Ok(((query, hits), format!("{n} documents match")))
        }) {
            Ok(job) => self.corpus.search_job = Some(job),
            Err(e) => browser.search_error = Some(e.to_string()),
        }
    }

    pub(crate) fn open_document(&mut self, number: u32) {
        if let Some(b) = &mut self.corpus.browser {
            b.open(number);
        }
    }

    /// Picks up the index or search results of a finished job.
    pub(crate) fn corpus_job_finished(&mut self, id: JobId, outcome: &Outcome) {
        if let Some(taken) = JobHandle::take_finished(&mut self.corpus.index_job, id, outcome) {
            match taken {
                Ok(index) => {
                    let path = self.selected_corpus_path().unwrap_or_default();
                    self.corpus.browser = Some(Browser::new(path, index));
                    self.refresh_dup_status();
                }
                Err(error) => self.corpus.browser_error = Some(error),
            }
        }
        if let Some(taken) = JobHandle::take_finished(&mut self.corpus.search_job, id, outcome)
            && let Some(browser) = &mut self.corpus.browser
        {
            match taken {
                Ok((query, hits)) => {
                    browser.matcher = Matcher::new(&query).ok();
                    browser.searched = Some((query, Arc::new(hits)));
                    browser.refilter();
                    browser.remark();
                }
                Err(error) => browser.search_error = Some(error),
            }
        }
    }

    fn selected_corpus_path(&self) -> Option<PathBuf> {
        let (workspace, snapshot) = self.workspace.as_open()?;
        let id = self.corpus.selected?;
        let corpus = snapshot.corpora.iter().find(|c| c.id == id)?;
        Some(workspace.root().join(&corpus.path))
    }

    /// Records what a corpus is written in; its next cleaning transliterates by it.
    pub(crate) fn set_corpus_source(&mut self, id: i64, source: crate::core::corpus::text::Source) {
        let Some((workspace, _)) = self.workspace.as_open_mut() else {
            return;
        };
        match workspace.store_mut().set_corpus_source(id, source) {
            Ok(()) => {
                self.corpus.source_error = None;
                self.refresh_snapshot();
            }
            Err(e) => self.corpus.source_error = Some(crate::error_line(&e)),
        }
    }
}

/// Deduplication settings as the form edits them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DedupSettings {
    /// Word n-grams, else character n-grams.
    pub words: bool,
    pub ngram: usize,
    pub num_perm: usize,
    pub threshold: f64,
}

impl Default for DedupSettings {
    fn default() -> Self {
        Self {
            words: true,
            ngram: 5,
            num_perm: 128,
            threshold: 0.8,
        }
    }
}

impl DedupSettings {
    pub fn config(&self) -> crate::core::corpus::dedup::DedupConfig {
        use crate::core::corpus::dedup::{DedupConfig, Shingle};
        DedupConfig {
            shingle: if self.words {
                Shingle::Words(self.ngram.max(1))
            } else {
                Shingle::Chars(self.ngram.max(1))
            },
            num_perm: self.num_perm.clamp(16, 1024),
            threshold: self.threshold.clamp(0.05, 1.0),
            ..DedupConfig::default()
        }
    }
}

/// The step a derived corpus is made by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Clean,
    Filter,
    Dedup,
}

/// The Clean, Filter, Duplicates and Export tabs of the selected corpus.
#[derive(Debug)]
pub struct StepsState {
    pub rules: crate::core::corpus::clean::Rules,
    pub clean_preview: Option<Result<CleanPreview, String>>,
    pub quality: QualityConfig,
    pub filter_preview: Option<Result<FilterPreview, String>>,
    pub dedup: DedupSettings,
    pub found: Option<Result<DuplicatesFound, String>>,
    pub clusters: Vec<ClusterRow>,
    pub cluster: Option<usize>,
    /// The member compared with the kept one.
    pub compare: Option<i64>,
    pub diff: Option<Result<DocDiff, String>>,
    pub keep: Keep,
    /// Sources in order of preference, for [`Keep::SourcePriority`].
    pub source_order: Vec<String>,
    pub derived: Option<Result<Derived, String>>,
    /// Where the selected corpus came from: its import and every step since.
    pub lineage: Vec<crate::core::store::LineageEntry>,
    pub export_format: ExportFormat,
    pub exported: Option<Result<(PathBuf, u64), String>>,
    /// The corpus's size in a chosen tokenizer's tokens.
    pub tokens: Option<Result<crate::core::corpus::tokens::TokenEstimate, String>>,
    pub(crate) pending: Vec<(JobId, Pending)>,
    /// The latest progress of each pending job, shown (with its cancel) where it was started.
    pub(crate) progress: HashMap<JobId, crate::core::jobs::Progress>,
}

impl Default for StepsState {
    fn default() -> Self {
        Self {
            rules: crate::core::corpus::clean::Rules::all(),
            clean_preview: None,
            quality: QualityConfig::default(),
            filter_preview: None,
            dedup: DedupSettings::default(),
            found: None,
            clusters: Vec::new(),
            cluster: None,
            compare: None,
            diff: None,
            keep: Keep::First,
            source_order: Vec::new(),
            derived: None,
            lineage: Vec::new(),
            export_format: ExportFormat::Jsonl,
            exported: None,
            tokens: None,
            pending: Vec::new(),
            progress: HashMap::new(),
        }
    }
}

impl StepsState {
    /// What stays when another corpus is selected: the settings, not the results.
    fn for_new_corpus(&self) -> Self {
        Self {
            rules: self.rules,
            quality: self.quality,
            dedup: self.dedup,
            keep: self.keep.clone(),
            export_format: self.export_format,
            ..Self::default()
        }
    }

    pub fn is_running(&self, what: fn(&Pending) -> bool) -> bool {
        self.pending.iter().any(|(_, p)| what(p))
    }

    /// The pending job `what` picks, with its latest progress (none before its first report).
    pub fn running(
        &self,
        what: fn(&Pending) -> bool,
    ) -> Option<(JobId, Option<&crate::core::jobs::Progress>)> {
        self.pending
            .iter()
            .find(|(_, p)| what(p))
            .map(|(id, _)| (*id, self.progress.get(id)))
    }

    pub(crate) fn note_progress(&mut self, id: JobId, progress: &crate::core::jobs::Progress) {
        if self.pending.iter().any(|(j, _)| *j == id) {
            self.progress.insert(id, progress.clone());
        }
    }
}

/// A job of the step tabs, by what its typed result is.
#[derive(Debug)]
pub enum Pending {
    CleanPreview(JobHandle<CleanPreview>),
    FilterPreview(JobHandle<FilterPreview>),
    Found(JobHandle<DuplicatesFound>),
    Diff(JobHandle<DocDiff>),
    Derived(JobHandle<Derived>),
    Exported(JobHandle<(PathBuf, u64)>),
    Tokens(JobHandle<crate::core::corpus::tokens::TokenEstimate>),
}

impl DezgahApp {
    pub(crate) fn selected_corpus_name(&self) -> Option<String> {
        self.selected_corpus().map(|(_, row)| row.name)
    }

    fn selected_corpus(&self) -> Option<(PathBuf, crate::core::store::CorpusRow)> {
        let (workspace, snapshot) = self.workspace.as_open()?;
        let id = self.corpus.selected?;
        let row = snapshot.corpora.iter().find(|c| c.id == id)?.clone();
        Some((workspace.root().to_owned(), row))
    }

    fn spawn_step<T: Send + 'static>(
        &mut self,
        label_key: &str,
        pending: fn(JobHandle<T>) -> Pending,
        work: impl FnOnce(
            &PathBuf,
            &crate::core::store::CorpusRow,
            &crate::core::jobs::JobCtx,
        ) -> Result<(T, String), crate::core::jobs::JobError>
        + Send
        + 'static,
    ) {
        let Some((root, row)) = self.selected_corpus() else {
            return;
        };
        let label =
            crate::core::jobs::JobName::message(label_key, [("name", row.name.as_str().into())]);
        match self
            .jobs
            .spawn_typed(&label, move |ctx| work(&root, &row, ctx))
        {
            Ok(job) => self.corpus.steps.pending.push((job.id(), pending(job))),
            Err(e) => log::error!("cannot start {label}: {e}"),
        }
    }

    pub(crate) fn preview_clean(&mut self) {
        let rules = self.corpus.steps.rules;
        self.corpus.steps.clean_preview = None;
        self.spawn_step(
            "job-clean-preview",
            Pending::CleanPreview,
            move |root, row, ctx| {
                // The corpus's script says what transliteration converts, as when it is made.
                let rules = crate::core::corpus::clean::Rules {
                    source: row.source,
                    ..rules
                };
                let p = crate::core::corpus::derive::preview_clean(
                    &root.join(&row.path),
                    row.doc_count,
                    rules,
                    Some(ctx),
                )?;
                let summary = format!("{} of {} documents change", p.changed, p.documents);
                Ok((p, summary))
            },
        );
    }

    pub(crate) fn preview_filter(&mut self) {
        let config = self.corpus.steps.quality;
        self.corpus.steps.filter_preview = None;
        self.spawn_step(
            "job-filter-preview",
            Pending::FilterPreview,
            move |root, row, ctx| {
                let p = crate::core::corpus::derive::preview_filter(
                    &root.join(&row.path),
                    row.doc_count,
                    &config,
                    Some(ctx),
                )?;
                let summary = format!("{} of {} documents fail", p.failing, p.documents);
                Ok((p, summary))
            },
        );
    }

    pub(crate) fn find_duplicates(&mut self) {
        let config = self.corpus.steps.dedup.config();
        self.corpus.steps.found = None;
        self.spawn_step(
            "job-find-duplicates",
            Pending::Found,
            move |root, row, ctx| {
                let found =
                    crate::core::corpus::derive::find_duplicates(root, row, &config, Some(ctx))?;
                let summary = format!("{} clusters", found.clusters);
                Ok((found, summary))
            },
        );
    }

    pub(crate) fn derive(&mut self, kind: StepKind) {
        use crate::core::corpus::derive::Operation;
        let op = match kind {
            StepKind::Clean => Operation::Clean(self.corpus.steps.rules),
            StepKind::Filter => Operation::Filter(self.corpus.steps.quality),
            StepKind::Dedup => Operation::RemoveDuplicates,
        };
        self.corpus.steps.derived = None;
        self.spawn_step(
            "job-derive-corpus",
            Pending::Derived,
            move |root, row, ctx| {
                let derived =
                    crate::core::corpus::derive::derive_corpus(root, row, &op, Some(ctx))?;
                let summary = format!(
                    "{}: {} of {} documents",
                    derived.name, derived.docs_out, derived.docs_in
                );
                Ok((derived, summary))
            },
        );
    }

    pub(crate) fn export(&mut self, format: ExportFormat, out: PathBuf) {
        self.corpus.steps.export_format = format;
        self.corpus.steps.exported = None;
        self.spawn_step(
            "job-export-corpus",
            Pending::Exported,
            move |root, row, ctx| {
                let n =
                    crate::core::corpus::derive::export_corpus(root, row, &out, format, Some(ctx))?;
                Ok((
                    (out.clone(), n),
                    format!("{n} documents → {}", out.display()),
                ))
            },
        );
    }

    pub(crate) fn estimate_tokens(&mut self, tokenizer: PathBuf) {
        self.corpus.steps.tokens = None;
        let Some(browser) = &self.corpus.browser else {
            self.corpus.steps.tokens = Some(Err(self.i18n.tr("corpus-index-loading")));
            return;
        };
        let jsonl = browser.jsonl.clone();
        let index = Arc::clone(&browser.index);
        self.spawn_step("job-estimate-tokens", Pending::Tokens, move |_, _, _| {
            let loaded = crate::core::tokenizer::load(&tokenizer)?;
            let estimate =
                crate::core::corpus::tokens::estimate_corpus(&jsonl, &index, &loaded, &tokenizer)?;
            let summary = format!("≈ {} tokens", estimate.estimated_tokens);
            Ok((estimate, summary))
        });
    }

    /// Clusters of the selected corpus from the database; the browser's duplicate status too.
    pub(crate) fn reload_clusters(&mut self) {
        let Some((workspace, _)) = self.workspace.as_open() else {
            return;
        };
        let Some(id) = self.corpus.selected else {
            return;
        };
        match workspace.store().clusters(id) {
            Ok(clusters) => self.corpus.steps.clusters = clusters,
            Err(e) => self.corpus.steps.found = Some(Err(crate::error_line(&e))),
        }
        match workspace.store().lineage(id) {
            Ok(lineage) => self.corpus.steps.lineage = lineage,
            Err(e) => log::error!("{}", crate::error_line(&e)),
        }
        self.refresh_dup_status();
    }

    fn refresh_dup_status(&mut self) {
        let clusters = &self.corpus.steps.clusters;
        if let Some(browser) = &mut self.corpus.browser {
            let mut dup = vec![DupStatus::Unique; browser.index.docs.len()];
            for c in clusters
                .iter()
                .filter(|c| c.decision != Decision::NotDuplicates)
            {
                for &m in &c.members {
                    if let Some(slot) = dup.get_mut(m as usize) {
                        *slot = if m == c.keep {
                            DupStatus::Kept
                        } else {
                            DupStatus::Removed
                        };
                    }
                }
            }
            browser.dup = dup;
            browser.refilter();
        }
    }

    pub(crate) fn select_cluster(&mut self, i: usize) {
        let Some(cluster) = self.corpus.steps.clusters.get(i) else {
            return;
        };
        self.corpus.steps.cluster = Some(i);
        let other = cluster
            .members
            .iter()
            .copied()
            .find(|&m| m != cluster.keep)
            .unwrap_or(cluster.keep);
        self.compare_with(other);
    }

    pub(crate) fn compare_with(&mut self, member: i64) {
        let steps = &mut self.corpus.steps;
        let Some(cluster) = steps.cluster.and_then(|i| steps.clusters.get(i)) else {
            return;
        };
        let keep = cluster.keep;
        steps.compare = Some(member);
        steps.diff = None;
        let Some(browser) = &self.corpus.browser else {
            return;
        };
        let jsonl = browser.jsonl.clone();
        let index = Arc::clone(&browser.index);
        let shingle = self.corpus.steps.dedup.config().shingle;
        self.spawn_step("job-compare-documents", Pending::Diff, move |_, _, ctx| {
            let mut reader = DocReader::open(&jsonl)?;
            let text =
                |reader: &mut DocReader, m: i64| -> Result<String, crate::core::jobs::JobError> {
                    let doc = index
                        .docs
                        .get(m as usize)
                        .ok_or_else(|| format!("document {} is not in the corpus", m + 1))?;
                    Ok(reader.document(doc, m as u64 + 1)?.1)
                };
            let left = text(&mut reader, keep)?;
            let right = text(&mut reader, member)?;
            let diff = crate::core::corpus::diff::diff_documents(
                &left,
                &right,
                shingle,
                std::time::Duration::from_secs(5),
                Some(ctx),
            )?;
            let summary = format!(
                "{} words shared, {} passages differ",
                diff.shared_words, diff.changed_passages
            );
            Ok((diff, summary))
        });
    }

    /// Records a decision on the selected cluster: keep `keep`, or not duplicates at all.
    pub(crate) fn decide_cluster(&mut self, keep: i64, not_duplicates: bool) {
        let annotator = self.state.annotator.clone();
        let steps = &self.corpus.steps;
        let Some(cluster) = steps.cluster.and_then(|i| steps.clusters.get(i)) else {
            return;
        };
        let id = cluster.id;
        let Some((workspace, _)) = self.workspace.as_open_mut() else {
            return;
        };
        let decision = if not_duplicates {
            Decision::NotDuplicates
        } else {
            Decision::Chosen
        };
        let by = (!annotator.trim().is_empty()).then_some(annotator.trim());
        if let Err(e) = workspace.store_mut().decide_cluster(id, keep, decision, by) {
            self.corpus.steps.found = Some(Err(crate::error_line(&e)));
        }
        let compare = self.corpus.steps.compare;
        self.reload_clusters();
        if let Some(m) = compare.filter(|&m| m != keep) {
            self.compare_with(m);
        }
    }

    /// Applies a keep policy to every cluster a reviewer has not decided.
    pub(crate) fn apply_keep_policy(&mut self, keep: &Keep) {
        self.corpus.steps.keep = keep.clone();
        let Some(browser) = &self.corpus.browser else {
            return;
        };
        let keeps: Vec<(i64, i64)> = self
            .corpus
            .steps
            .clusters
            .iter()
            .filter(|c| c.decision == Decision::Policy)
            .map(|c| {
                (
                    c.id,
                    crate::core::corpus::derive::choose_keep(&c.members, keep, &browser.index),
                )
            })
            .collect();
        let Some((workspace, _)) = self.workspace.as_open_mut() else {
            return;
        };
        if let Err(e) = workspace.store_mut().apply_policy(&keeps) {
            self.corpus.steps.found = Some(Err(crate::error_line(&e)));
        }
        self.reload_clusters();
    }

    /// The sources of the open corpus in priority order (first use: index order).
    pub(crate) fn move_source_up(&mut self, i: usize) {
        let steps = &mut self.corpus.steps;
        if steps.source_order.is_empty()
            && let Some(b) = &self.corpus.browser
        {
            steps.source_order.clone_from(&b.index.sources);
        }
        if i > 0 && i < steps.source_order.len() {
            steps.source_order.swap(i - 1, i);
        }
        if matches!(steps.keep, Keep::SourcePriority(_)) {
            let order = steps.source_order.clone();
            self.apply_keep_policy(&Keep::SourcePriority(order));
        }
    }

    /// Resets the step tabs for a newly selected corpus and loads its clusters.
    pub(crate) fn reset_steps(&mut self) {
        self.corpus.steps = self.corpus.steps.for_new_corpus();
        self.reload_clusters();
    }

    /// Picks up a step job's result.
    pub(crate) fn step_job_finished(&mut self, id: JobId, outcome: &Outcome) {
        let Some(at) = self.corpus.steps.pending.iter().position(|(j, _)| *j == id) else {
            return;
        };
        let (_, pending) = self.corpus.steps.pending.remove(at);
        self.corpus.steps.progress.remove(&id);
        let steps = &mut self.corpus.steps;
        match pending {
            Pending::CleanPreview(job) => steps.clean_preview = Some(job.finish(outcome)),
            Pending::FilterPreview(job) => steps.filter_preview = Some(job.finish(outcome)),
            Pending::Diff(job) => steps.diff = Some(job.finish(outcome)),
            Pending::Exported(job) => steps.exported = Some(job.finish(outcome)),
            Pending::Tokens(job) => steps.tokens = Some(job.finish(outcome)),
            Pending::Found(job) => {
                steps.found = Some(job.finish(outcome));
                steps.cluster = None;
                steps.compare = None;
                steps.diff = None;
                self.reload_clusters();
                // New clusters keep their first member; the chosen policy applies to them too.
                let keep = self.corpus.steps.keep.clone();
                if keep != Keep::First {
                    self.apply_keep_policy(&keep);
                }
                if !self.corpus.steps.clusters.is_empty() {
                    self.select_cluster(0);
                }
            }
            Pending::Derived(job) => {
                let result = Some(job.finish(outcome));
                let new_id = result.as_ref().and_then(|r| r.as_ref().ok()).map(|d| d.id);
                self.corpus.steps.derived = result;
                if let Some(new_id) = new_id {
                    // The snapshot is refreshed before this runs; show the new corpus.
                    let derived = self.corpus.steps.derived.take();
                    self.select_corpus(new_id);
                    self.corpus.tab = CorpusTab::Overview;
                    self.corpus.steps.derived = derived;
                }
            }
        }
    }
}
