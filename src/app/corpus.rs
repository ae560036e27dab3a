//! The Corpus area's state and the commands that change it: the corpus being looked at, its
//! statistics, and the document browser over its index.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::app::{DezgahApp, WorkspaceSlot};
use crate::core::corpus::browse::{DupStatus, Filters, Matcher, Query};
use crate::core::corpus::index::{CorpusIndex, DocReader};
use crate::core::corpus::stats::CorpusStats;
use crate::core::jobs::{JobId, Slot};

/// A finished search: its query and the documents it found.
pub type SearchHits = (Query, Vec<u32>);

/// The views of a selected corpus.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CorpusTab {
    #[default]
    Overview,
    Documents,
}

impl CorpusTab {
    pub const ALL: [Self; 2] = [Self::Overview, Self::Documents];

    pub fn title_key(self) -> &'static str {
        match self {
            Self::Overview => "corpus-tab-overview",
            Self::Documents => "corpus-tab-documents",
        }
    }
}

/// The Corpus area's own state: the import choice and the corpus being looked at.
#[derive(Debug, Default)]
pub struct CorpusView {
    pub unit: crate::core::corpus::read::TextUnit,
    pub selected: Option<i64>,
    pub tab: CorpusTab,
    /// Statistics of the selected corpus: `None` while they are being computed.
    pub stats: Option<Result<CorpusStats, String>>,
    pub(crate) stats_job: Option<JobId>,
    /// The document browser, once the selected corpus's index is loaded.
    pub browser: Option<Browser>,
    /// Why the index could not be loaded or built.
    pub browser_error: Option<String>,
    pub(crate) index_job: Option<(JobId, Slot<CorpusIndex>)>,
    pub(crate) search_job: Option<(JobId, Slot<SearchHits>)>,
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
        self.open_doc = Some(OpenDocument { number, content });
        self.show_whole = false;
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
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return;
        };
        let Some(corpus) = snapshot.corpora.iter().find(|c| c.id == id) else {
            return;
        };
        self.corpus.browser = None;
        self.corpus.browser_error = None;
        let jsonl = workspace.root().join(&corpus.path);
        let source = corpus.name.clone();
        let slot = Slot::default();
        let result = slot.clone();
        let label = self
            .i18n
            .tr_args("job-corpus-index", &[("name", corpus.name.as_str().into())]);
        match self.jobs.spawn(&label, move |ctx| {
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
            result.put(index);
            Ok(format!("{n} documents indexed"))
        }) {
            Ok(job) => self.corpus.index_job = Some((job, slot)),
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
            return;
        }
        if let Err(e) = Matcher::new(&query) {
            browser.search_error = Some(e.to_string());
            return;
        }
        if let Some((job, _)) = self.corpus.search_job.take() {
            self.jobs.cancel(job);
        }
        let jsonl = browser.jsonl.clone();
        let index = Arc::clone(&browser.index);
        let slot = Slot::default();
        let result = slot.clone();
        let label = self.i18n.tr_args(
            "job-corpus-search",
            &[("query", query.pattern.as_str().into())],
        );
        match self.jobs.spawn(&label, move |ctx| {
            let hits = crate::core::corpus::browse::search(&jsonl, &index, &query, Some(ctx))?;
            let n = hits.len();
            result.put((query, hits));
            Ok(format!("{n} documents match"))
        }) {
            Ok(job) => self.corpus.search_job = Some((job, slot)),
            Err(e) => browser.search_error = Some(e.to_string()),
        }
    }

    pub(crate) fn open_document(&mut self, number: u32) {
        if let Some(b) = &mut self.corpus.browser {
            b.open(number);
        }
    }

    /// Picks up the index or search results of a finished job.
    pub(crate) fn corpus_job_finished(&mut self, id: JobId, ok: bool) {
        if let Some((job, slot)) = &self.corpus.index_job
            && *job == id
        {
            let taken = slot.take();
            self.corpus.index_job = None;
            match taken {
                Some(index) if ok => {
                    let path = self.selected_corpus_path().unwrap_or_default();
                    self.corpus.browser = Some(Browser::new(path, index));
                }
                _ => self.corpus.browser_error = Some(self.job_error(id)),
            }
        }
        if let Some((job, slot)) = &self.corpus.search_job
            && *job == id
        {
            let taken = slot.take();
            self.corpus.search_job = None;
            let error = self.job_error(id);
            if let Some(browser) = &mut self.corpus.browser {
                match taken {
                    Some((query, hits)) if ok => {
                        browser.matcher = Matcher::new(&query).ok();
                        browser.searched = Some((query, Arc::new(hits)));
                        browser.refilter();
                    }
                    _ => browser.search_error = Some(error),
                }
            }
        }
    }

    fn selected_corpus_path(&self) -> Option<PathBuf> {
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return None;
        };
        let id = self.corpus.selected?;
        let corpus = snapshot.corpora.iter().find(|c| c.id == id)?;
        Some(workspace.root().join(&corpus.path))
    }

    /// A finished job's failure, as shown once in the area that started it.
    pub(crate) fn job_error(&self, id: JobId) -> String {
        self.board
            .get(id)
            .and_then(|j| match &j.outcome {
                Some(
                    crate::core::jobs::Outcome::Failed(e) | crate::core::jobs::Outcome::Panicked(e),
                ) => Some(e.clone()),
                Some(crate::core::jobs::Outcome::Cancelled) => Some("cancelled".to_owned()),
                _ => None,
            })
            .unwrap_or_default()
    }
}
