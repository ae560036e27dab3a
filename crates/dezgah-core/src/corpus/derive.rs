//! Steps on a workspace corpus, each previewed before it runs and each making a new corpus with
//! its parent and settings on record: normalisation rules, quality filters, duplicate removal.
//! Parents are never changed, so every step can be compared with what came before it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::corpus::clean::{CleanError, RuleCounts, Rules, clean_text, learn_lexicon_with};
use crate::corpus::dedup::{self, DedupConfig};
use crate::corpus::import::{ImportError, stats_path};
use crate::corpus::index::{CorpusIndex, IndexBuilder, index_path};
use crate::corpus::progress::DocProgress;
use crate::corpus::quality::{Flag, QualityConfig, assess};
use crate::corpus::read::{DocumentReader, ReadOptions};
use crate::corpus::stats::StatsBuilder;
use crate::corpus::text::Source;
use crate::corpus::write::JsonlSink;
use crate::domain::Decision;
use crate::jobs::JobCtx;
use crate::store::{CorpusRow, NewCluster, StepRecord, Store};
use crate::workspace::DB_FILE;

/// How many example documents a preview keeps per rule or filter.
pub const PREVIEW_EXAMPLES: usize = 50;
/// Characters of context around a change in a preview.
const CONTEXT: usize = 90;
/// Characters after a document's first change that its example shows at most. Without this
/// bound a rule that changes a law code near its start and its end made the whole code (2 MB)
/// one example, twice, laid out by the window: 9 GB for the legal corpus.
const CHANGE_SPAN: usize = 240;

/// The six normalisation rules, by name, in the order they apply.
pub const RULES: [&str; 6] = [
    "nfc",
    "schwa",
    "mixed_script",
    "split_words",
    "whitespace",
    "transliterate",
];

pub fn single_rule(name: &str) -> Rules {
    let mut r = Rules::default();
    match name {
        "nfc" => r.nfc = true,
        "schwa" => r.schwa = true,
        "mixed_script" => r.mixed_script = true,
        "split_words" => r.split_words = true,
        "whitespace" => r.whitespace = true,
        _ => r.transliterate = true,
    }
    r
}

pub fn rule_enabled(rules: &Rules, name: &str) -> bool {
    match name {
        "nfc" => rules.nfc,
        "schwa" => rules.schwa,
        "mixed_script" => rules.mixed_script,
        "split_words" => rules.split_words,
        "whitespace" => rules.whitespace,
        _ => rules.transliterate,
    }
}

/// A document a rule changes: the stretch around its first change, before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeExample {
    pub doc: u32,
    /// The stretch before and after, in pieces; `true` marks the characters that changed.
    pub before: crate::corpus::diff::Side,
    pub after: crate::corpus::diff::Side,
}

impl ChangeExample {
    pub fn before_text(&self) -> String {
        self.before.iter().map(|(t, _)| t.as_str()).collect()
    }

    pub fn after_text(&self) -> String {
        self.after.iter().map(|(t, _)| t.as_str()).collect()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RulePreview {
    pub rule: String,
    pub documents: u64,
    pub examples: Vec<ChangeExample>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CleanPreview {
    pub documents: u64,
    /// Documents the enabled rules together change.
    pub changed: u64,
    pub rules: Vec<RulePreview>,
}

/// Cuts `before` and `after` down to the region where they differ, with some context, and at
/// most [`CHANGE_SPAN`] characters past the first change; `true` when that bound cut them.
fn around_change(before: &str, after: &str) -> (String, String, bool) {
    let prefix = before
        .char_indices()
        .zip(after.chars())
        .find(|((_, a), b)| a != b)
        .map_or(before.len().min(after.len()), |((i, _), _)| i);
    let rb: Vec<char> = before[prefix..].chars().rev().collect();
    let ra: Vec<char> = after[prefix.min(after.len())..].chars().rev().collect();
    let common_tail = rb.iter().zip(&ra).take_while(|(a, b)| a == b).count();
    let prefix_chars = before[..prefix].chars().count();
    let mut bounded = false;
    let mut cut = |s: &str, tail_chars: usize| -> String {
        let start = s[..prefix.min(s.len())]
            .char_indices()
            .rev()
            .nth(CONTEXT)
            .map_or(0, |(i, _)| i);
        let total = s.chars().count();
        let mut end_char = (total.saturating_sub(tail_chars) + CONTEXT).min(total);
        if end_char > prefix_chars + CHANGE_SPAN {
            end_char = prefix_chars + CHANGE_SPAN;
            bounded = true;
        }
        let end = s.char_indices().nth(end_char).map_or(s.len(), |(i, _)| i);
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        out.push_str(&s[start..end.max(start)]);
        if end < s.len() {
            out.push('…');
        }
        out
    };
    let b = cut(before, common_tail);
    let a = cut(after, common_tail);
    (b, a, bounded)
}

/// A document's example: the stretch around its first change, compared character by character.
fn change_example(doc: u32, before: &str, after: &str) -> ChangeExample {
    let (b, a, bounded) = around_change(before, after);
    let (before, after) = if bounded {
        // Cut at a fixed length, the two ends no longer line up; stop at the last shared run.
        crate::corpus::diff::char_sides_to_last_shared(&b, &a)
    } else {
        crate::corpus::diff::char_sides(&b, &a)
    };
    ChangeExample { doc, before, after }
}

/// A workspace corpus's documents. Its JSONL was written by an import, so a bad line in it is
/// damage: it stops the step naming file and line (`BadLines::Fail`) rather than being left
/// out, which would also shift every later document against the corpus's index.
fn documents(jsonl: &Path) -> Result<DocumentReader, CleanError> {
    Ok(DocumentReader::open(jsonl, workspace_read())?)
}

/// How a workspace corpus is read: bad lines are damage, and fatal (see [`documents`]).
fn workspace_read() -> ReadOptions {
    ReadOptions {
        bad_lines: crate::corpus::read::BadLines::Fail,
        ..ReadOptions::default()
    }
}

fn check_cancel(ctx: Option<&JobCtx>, path: &Path) -> Result<(), CleanError> {
    if ctx.is_some_and(JobCtx::is_cancelled) {
        return Err(CleanError::Cancelled {
            path: path.to_owned(),
        });
    }
    Ok(())
}

/// What each enabled rule would change, counted over the whole corpus, with examples. Each rule
/// is tried on its own on the original text, so a preview shows exactly what that rule does.
/// `doc_count` is the corpus's document count, for progress.
pub fn preview_clean(
    jsonl: &Path,
    doc_count: u64,
    rules: Rules,
    ctx: Option<&JobCtx>,
) -> Result<CleanPreview, CleanError> {
    let stages = if rules.split_words { 2 } else { 1 };
    let lexicon = if rules.split_words {
        Some(lexicon_pass(jsonl, doc_count, rules, (1, stages), ctx)?)
    } else {
        None
    };
    let mut progress = DocProgress::new(ctx, doc_count, (stages, stages), jsonl);
    let mut preview = CleanPreview {
        rules: RULES
            .iter()
            .filter(|r| rule_enabled(&rules, r))
            .map(|r| RulePreview {
                rule: (*r).to_owned(),
                ..RulePreview::default()
            })
            .collect(),
        ..CleanPreview::default()
    };
    let reader = documents(jsonl)?;
    let mut number = 0u32;
    for doc in reader {
        let doc = doc?;
        let mut counts = RuleCounts::default();
        if let std::borrow::Cow::Owned(_) =
            clean_text(&doc.text, rules, lexicon.as_ref(), &mut counts)
        {
            preview.changed += 1;
        }
        for rule in &mut preview.rules {
            let mut scratch = RuleCounts::default();
            let one = Rules {
                source: rules.source,
                ..single_rule(&rule.rule)
            };
            if let std::borrow::Cow::Owned(after) =
                clean_text(&doc.text, one, lexicon.as_ref(), &mut scratch)
            {
                if after == doc.text {
                    continue;
                }
                rule.documents += 1;
                if rule.examples.len() < PREVIEW_EXAMPLES {
                    rule.examples
                        .push(change_example(number, &doc.text, &after));
                }
            }
        }
        preview.documents += 1;
        number += 1;
        progress.document()?;
    }
    Ok(preview)
}

/// The split-word repair's vocabulary, learned in a pass of its own that counts documents.
fn lexicon_pass(
    jsonl: &Path,
    doc_count: u64,
    rules: Rules,
    stage: (u32, u32),
    ctx: Option<&JobCtx>,
) -> Result<crate::corpus::split_words::Lexicon, CleanError> {
    let mut progress = DocProgress::new(ctx, doc_count, stage, jsonl);
    learn_lexicon_with(
        std::slice::from_ref(&jsonl.to_owned()),
        rules,
        &workspace_read(),
        &mut |_, _| progress.document(),
    )
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FilterPreview {
    pub documents: u64,
    /// Documents failing at least one filter.
    pub failing: u64,
    /// Per filter: documents failing it, and the first few of them.
    pub flags: BTreeMap<Flag, (u64, Vec<u32>)>,
}

/// How many documents each quality filter would remove at these thresholds.
pub fn preview_filter(
    jsonl: &Path,
    doc_count: u64,
    config: &QualityConfig,
    ctx: Option<&JobCtx>,
) -> Result<FilterPreview, CleanError> {
    let mut progress = DocProgress::new(ctx, doc_count, (1, 1), jsonl);
    let mut preview = FilterPreview::default();
    let reader = documents(jsonl)?;
    for (number, doc) in (0u32..).zip(reader) {
        let flags = assess(&doc?.text, config);
        if !flags.is_empty() {
            preview.failing += 1;
        }
        for flag in flags {
            let (n, examples) = preview.flags.entry(flag).or_default();
            *n += 1;
            if examples.len() < PREVIEW_EXAMPLES {
                examples.push(number);
            }
        }
        preview.documents += 1;
        progress.document()?;
    }
    Ok(preview)
}

/// Finds duplicate clusters in a corpus and stores them for review (decisions already made on
/// identical clusters are kept). Members are listed in corpus order; `keep` is the first.
pub fn find_duplicates(
    root: &Path,
    corpus: &CorpusRow,
    config: &DedupConfig,
    ctx: Option<&JobCtx>,
) -> Result<DuplicatesFound, ImportError> {
    let started = std::time::Instant::now();
    let jsonl = root.join(&corpus.path);
    let (prints, _ids, _bad) =
        dedup::fingerprint_files(std::slice::from_ref(&jsonl), config, &workspace_read(), ctx)?;
    let result = dedup::cluster(&prints, config, dedup::KeepPolicy::First);
    let clusters: Vec<NewCluster> = result
        .clusters
        .iter()
        .map(|c| {
            let mut members: Vec<i64> = std::iter::once(c.kept)
                .chain(c.removed.iter().copied())
                .map(|i| i as i64)
                .collect();
            members.sort_unstable();
            NewCluster {
                keep: members[0],
                members,
                exact: c.exact,
            }
        })
        .collect();
    let (mut store, _) = Store::open(&root.join(DB_FILE))?;
    store.replace_clusters(corpus.id, &clusters)?;
    Ok(DuplicatesFound {
        documents: result.documents,
        clusters: clusters.len(),
        exact_removed: result.exact_removed,
        near_removed: result.near_removed,
        bands: result.bands,
        rows: result.rows,
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DuplicatesFound {
    pub documents: usize,
    pub clusters: usize,
    pub exact_removed: usize,
    pub near_removed: usize,
    pub bands: usize,
    pub rows: usize,
    pub seconds: f64,
}

/// Which member of a cluster a keep policy picks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Keep {
    First,
    Longest,
    /// Sources in order of preference (index source names); unknown sources rank last.
    SourcePriority(Vec<String>),
}

pub fn choose_keep(members: &[i64], keep: &Keep, index: &CorpusIndex) -> i64 {
    let meta = |m: i64| index.docs.get(m as usize);
    let first = members.first().copied().unwrap_or(0);
    match keep {
        Keep::First => first,
        Keep::Longest => members
            .iter()
            .copied()
            .max_by_key(|&m| (meta(m).map_or(0, |d| d.chars), std::cmp::Reverse(m)))
            .unwrap_or(first),
        Keep::SourcePriority(order) => members
            .iter()
            .copied()
            .min_by_key(|&m| {
                let source = meta(m).map_or("", |d| index.source(d));
                (
                    order.iter().position(|s| s == source).unwrap_or(usize::MAX),
                    m,
                )
            })
            .unwrap_or(first),
    }
}

/// What a derived corpus is made by.
#[derive(Debug, Clone)]
pub enum Operation {
    Clean(Rules),
    Filter(QualityConfig),
    /// Removes every reviewed cluster's other members (clusters marked "not duplicates" stay).
    RemoveDuplicates,
}

impl Operation {
    fn step_name(&self) -> &'static str {
        match self {
            Self::Clean(_) => "clean",
            Self::Filter(_) => "filter",
            Self::RemoveDuplicates => "dedup",
        }
    }

    fn suffix(&self) -> &'static str {
        match self {
            Self::Clean(_) => "clean",
            Self::Filter(_) => "filtered",
            Self::RemoveDuplicates => "dedup",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Derived {
    pub id: i64,
    pub name: String,
    pub docs_in: u64,
    pub docs_out: u64,
}

/// Runs `op` over corpus `parent` into a new corpus `PARENT-suffix` (JSONL, index and stats),
/// registered with its parent and the step's settings and counts. Nothing is registered unless
/// every file was written whole.
#[expect(
    clippy::too_many_lines,
    reason = "one pass over the documents: reading, the step, writing and the report share its state"
)]
pub fn derive_corpus(
    root: &Path,
    parent: &CorpusRow,
    op: &Operation,
    ctx: Option<&JobCtx>,
) -> Result<Derived, ImportError> {
    // The corpus's own setting says which of its documents transliteration converts.
    let op = &match op {
        Operation::Clean(rules) => Operation::Clean(Rules {
            source: parent.source,
            ..*rules
        }),
        other => other.clone(),
    };
    let (mut store, _) = Store::open(&root.join(DB_FILE))?;
    let jsonl = root.join(&parent.path);
    let parent_index = match CorpusIndex::load(&index_path(&jsonl)) {
        Ok(Some(index)) => index,
        _ => crate::corpus::index::build_index_for(&jsonl, &parent.name, ctx)?,
    };
    let name =
        crate::corpus::import::free_name(&store, &format!("{}-{}", parent.name, op.suffix()))?;
    let rel = format!("corpora/{name}.jsonl");
    let out_path = root.join(&rel);

    // What to drop, decided before the pass.
    let mut removed = vec![false; parent_index.docs.len()];
    let settings;
    let mut report = serde_json::Map::new();
    let mut lexicon = None;
    match op {
        Operation::Clean(rules) => {
            settings = serde_json::to_value(rules).unwrap_or_default();
            if rules.split_words {
                lexicon = Some(lexicon_pass(&jsonl, parent.doc_count, *rules, (1, 2), ctx)?);
            }
        }
        Operation::Filter(config) => {
            settings = serde_json::to_value(config).unwrap_or_default();
        }
        Operation::RemoveDuplicates => {
            let clusters = store.clusters(parent.id)?;
            let mut reviewed = 0u64;
            let mut not_duplicates = 0u64;
            for c in &clusters {
                if c.decision == Decision::NotDuplicates {
                    not_duplicates += 1;
                    continue;
                }
                reviewed += u64::from(c.decision == Decision::Chosen);
                for &m in &c.members {
                    if m != c.keep
                        && let Some(slot) = removed.get_mut(m as usize)
                    {
                        *slot = true;
                    }
                }
            }
            settings = serde_json::json!({
                "clusters": clusters.len(),
                "chosen_by_reviewer": reviewed,
                "not_duplicates": not_duplicates,
            });
        }
    }

    let stage = if lexicon.is_some() { (2, 2) } else { (1, 1) };
    let mut progress = DocProgress::new(ctx, parent.doc_count, stage, &out_path);
    let reader = documents(&jsonl)?;
    let mut sink = JsonlSink::create(&out_path)?;
    let mut stats = StatsBuilder::new(true);
    let mut index = IndexBuilder::new();
    let source_ids: Vec<u16> = parent_index
        .sources
        .iter()
        .map(|s| index.source_id(s))
        .collect();
    let mut counts = RuleCounts::default();
    let mut flag_counts: BTreeMap<Flag, u64> = BTreeMap::new();
    let (mut docs_in, mut docs_out) = (0u64, 0u64);
    for (number, doc) in reader.enumerate() {
        let doc = doc.map_err(CleanError::from)?;
        progress.document()?;
        let source = parent_index
            .docs
            .get(number)
            .and_then(|d| source_ids.get(usize::from(d.source)))
            .copied()
            .unwrap_or(0);
        let skip = removed.get(number).copied().unwrap_or(false);
        docs_in += 1;
        if skip {
            continue;
        }
        let text: std::borrow::Cow<'_, str> = match op {
            Operation::Clean(rules) => clean_text(&doc.text, *rules, lexicon.as_ref(), &mut counts),
            Operation::Filter(config) => {
                let flags = assess(&doc.text, config);
                if !flags.is_empty() {
                    for f in flags {
                        *flag_counts.entry(f).or_insert(0) += 1;
                    }
                    continue;
                }
                std::borrow::Cow::Borrowed(doc.text.as_str())
            }
            Operation::RemoveDuplicates => std::borrow::Cow::Borrowed(doc.text.as_str()),
        };
        if text.trim().is_empty() {
            continue;
        }
        let facts = stats.add(&text);
        let written = sink.write(&doc.id, &text, &doc.extra)?;
        index.add(written, &text, &facts, source);
        docs_out += 1;
    }
    match op {
        Operation::Clean(_) => {
            report.insert(
                "documents_changed_per_rule".into(),
                serde_json::to_value(counts).unwrap_or_default(),
            );
        }
        Operation::Filter(_) => {
            report.insert(
                "documents_failing_per_filter".into(),
                serde_json::to_value(&flag_counts).unwrap_or_default(),
            );
        }
        Operation::RemoveDuplicates => {}
    }
    report.insert("documents_removed".into(), (docs_in - docs_out).into());
    if docs_out == 0 {
        return Err(ImportError::Empty(format!(
            "{} after {}",
            parent.name,
            op.step_name()
        )));
    }
    sink.finish()?;
    index.finish().save(&index_path(&out_path))?;
    let stats = stats.finish(50);
    let stats_file = stats_path(root, &rel);
    let json = serde_json::to_vec_pretty(&stats).map_err(|e| ImportError::Io {
        path: stats_file.clone(),
        source: e.into(),
    })?;
    crate::write_atomic(&stats_file, &json).map_err(|source| ImportError::Io {
        path: stats_file.clone(),
        source,
    })?;
    let step = StepRecord {
        step: op.step_name().to_owned(),
        settings,
        docs_in,
        docs_out,
        report: serde_json::Value::Object(report),
    };
    let id =
        store.add_derived_corpus(&name, &rel, (docs_out, stats.characters), parent.id, &step)?;
    // Transliterated Cyrillic is Latin now; any other step keeps what the text is written in.
    let written_in = match op {
        Operation::Clean(rules) if rules.transliterate && parent.source == Source::AzCyrl => {
            Source::AzLatn
        }
        _ => parent.source,
    };
    if written_in != Source::Auto {
        store.set_corpus_source(id, written_in)?;
    }
    Ok(Derived {
        id,
        name,
        docs_in,
        docs_out,
    })
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Jsonl,
    Parquet,
}

pub use crate::corpus::provenance::provenance_path;

/// Writes documents of `inputs` to `out` as JSONL or Parquet (a command-line export); hands
/// back how many, and the lines it could not read.
pub fn export_files(
    inputs: &[PathBuf],
    out: &Path,
    parquet: bool,
    read: &ReadOptions,
    ctx: Option<&JobCtx>,
) -> Result<(u64, crate::corpus::read::BadLineLog), CleanError> {
    let mut bad = crate::corpus::read::BadLineLog::default();
    let total: u64 = inputs
        .iter()
        .filter_map(|p| p.metadata().ok())
        .map(|m| m.len())
        .sum();
    let mut written = 0u64;
    let mut done = 0u64;
    let mut jsonl = if parquet {
        None
    } else {
        Some(JsonlSink::create(out)?)
    };
    let mut pq = if parquet {
        Some(crate::corpus::write::ParquetSink::create(out)?)
    } else {
        None
    };
    for input in inputs {
        let mut reader = DocumentReader::open(input, read.clone())?;
        while let Some(doc) = reader.next() {
            let doc = doc?;
            if let Some(sink) = &mut jsonl {
                sink.write(&doc.id, &doc.text, &doc.extra)?;
            }
            if let Some(sink) = &mut pq {
                sink.write(&doc.id, &doc.text)?;
            }
            written += 1;
            if written.is_multiple_of(256) {
                check_cancel(ctx, out)?;
                if let Some(ctx) = ctx {
                    ctx.progress(done + reader.bytes_read, Some(total));
                }
            }
        }
        done += input.metadata().map_or(0, |m| m.len());
        bad.absorb(&reader.problems);
    }
    crate::corpus::read::ensure_documents(inputs, written, &bad)?;
    if let Some(sink) = jsonl {
        sink.finish()?;
    }
    if let Some(sink) = pq {
        sink.finish()?;
    }
    Ok((written, bad))
}

/// The provenance of corpus `id`: its source files and every step since, with settings and
/// counts.
pub fn provenance(store: &Store, id: i64) -> Result<serde_json::Value, ImportError> {
    let chain = store.lineage(id)?;
    let Some(first) = chain.first() else {
        return Ok(serde_json::Value::Null);
    };
    let steps: Vec<serde_json::Value> = chain
        .iter()
        .skip(1)
        .map(|e| {
            let step = e.step.clone();
            serde_json::json!({
                "corpus": e.corpus.name,
                "created_at": e.created_at,
                "step": step.as_ref().map(|s| s.step.clone()),
                "settings": step.as_ref().map(|s| s.settings.clone()),
                "documents_in": step.as_ref().map(|s| s.docs_in),
                "documents_out": step.as_ref().map(|s| s.docs_out),
                "removed": step.as_ref().map(|s| s.docs_in.saturating_sub(s.docs_out)),
                "report": step.as_ref().map(|s| s.report.clone()),
            })
        })
        .collect();
    Ok(serde_json::json!({
        "tool": format!("dezgah {}", env!("CARGO_PKG_VERSION")),
        "import": {
            "corpus": first.corpus.name,
            "created_at": first.created_at,
            "documents": first.corpus.doc_count,
            "sources": first.sources,
        },
        "steps": steps,
    }))
}

/// Writes corpus `corpus` to `out` (JSONL or Parquet) with `OUT.provenance.json` beside it, and
/// records the export in the database.
pub fn export_corpus(
    root: &Path,
    corpus: &CorpusRow,
    out: &Path,
    format: ExportFormat,
    ctx: Option<&JobCtx>,
) -> Result<u64, ImportError> {
    let (mut store, _) = Store::open(&root.join(DB_FILE))?;
    let jsonl = root.join(&corpus.path);
    let (written, _) = export_files(
        std::slice::from_ref(&jsonl),
        out,
        format == ExportFormat::Parquet,
        &ReadOptions::default(),
        ctx,
    )?;
    let mut record = provenance(&store, corpus.id)?;
    if let serde_json::Value::Object(map) = &mut record {
        map.insert(
            "export".into(),
            serde_json::json!({
                "path": out.display().to_string(),
                "format": format,
                "documents": written,
            }),
        );
    }
    let prov = provenance_path(out);
    let bytes = serde_json::to_vec_pretty(&record).map_err(|e| ImportError::Io {
        path: prov.clone(),
        source: e.into(),
    })?;
    crate::write_atomic(&prov, &bytes).map_err(|source| ImportError::Io {
        path: prov.clone(),
        source,
    })?;
    let format_name = match format {
        ExportFormat::Jsonl => "jsonl",
        ExportFormat::Parquet => "parquet",
    };
    store.add_export(corpus.id, &out.display().to_string(), format_name, &record)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::import::import_corpus;
    use crate::workspace::Workspace;

    const LAW: &str = "Azərbaycan Respublikasının Mülki Məcəlləsi mülki qanunvericiliyin əsaslarını \
        müəyyən edir və mülkiyyət hüququnu, müqavilə öhdəliklərini, vərəsəlik qaydalarını və \
        digər əmlak münasibətlərini tənzimləyir. Bu Məcəllə fiziki və hüquqi şəxslər arasında \
        yaranan münasibətlərə tətbiq edilir.";

    fn workspace_with_corpus(dir: &Path) -> (PathBuf, CorpusRow) {
        let ws = Workspace::open(&dir.join("ws")).expect("ws");
        let root = ws.root().to_owned();
        drop(ws);
        let a = dir.join("a.txt");
        let copy = LAW.replace("tətbiq edilir", "tətbiq olunur");
        std::fs::write(
            &a,
            format!(
                "{LAW}\nM ə c ə ll ə si birinci maddәsi qüvvəyə minir və Məcəllənin mətni dərc olunur.\n{copy}\nQısa.\n"
            ),
        )
        .expect("write");
        let b = dir.join("b.txt");
        std::fs::write(&b, format!("{LAW}\n")).expect("write");
        import_corpus(&root, &[a, b], "qanun", &ReadOptions::default(), None).expect("import");
        let (store, _) = Store::open(&root.join(DB_FILE)).expect("store");
        let corpus = store.corpora().expect("corpora").remove(0);
        (root, corpus)
    }

    #[test]
    fn clean_preview_shows_what_each_rule_changes_and_apply_records_the_step() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (root, corpus) = workspace_with_corpus(dir.path());
        let jsonl = root.join(&corpus.path);
        let preview = preview_clean(&jsonl, corpus.doc_count, Rules::all(), None).expect("preview");
        assert_eq!(preview.documents, 5);
        let rule = |name: &str| {
            preview
                .rules
                .iter()
                .find(|r| r.rule == name)
                .expect("rule")
                .clone()
        };
        let schwa = rule("schwa");
        assert_eq!(schwa.documents, 1);
        assert!(schwa.examples[0].before_text().contains("maddәsi"));
        assert!(schwa.examples[0].after_text().contains("maddəsi"));
        let changed: Vec<&str> = schwa.examples[0]
            .after
            .iter()
            .filter(|(_, c)| *c)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(changed, vec!["ə"], "only the letter is marked");
        let split = rule("split_words");
        assert_eq!(split.documents, 1, "{split:?}");
        assert!(
            split.examples[0].after_text().contains("Məcəlləsi birinci"),
            "{split:?}"
        );
        assert_eq!(rule("transliterate").documents, 0);

        let derived =
            derive_corpus(&root, &corpus, &Operation::Clean(Rules::all()), None).expect("clean");
        assert_eq!(derived.name, "qanun-clean");
        assert_eq!((derived.docs_in, derived.docs_out), (5, 5));
        let text = std::fs::read_to_string(root.join("corpora/qanun-clean.jsonl")).expect("read");
        assert!(text.contains("Məcəlləsi birinci maddəsi"), "{text}");
        let index = CorpusIndex::load(&root.join("corpora/qanun-clean.index"))
            .expect("load")
            .expect("index");
        assert_eq!(index.docs.len(), 5);
        assert_eq!(
            index.source(&index.docs[4]),
            index.sources[1],
            "b.txt keeps its source"
        );

        let (store, _) = Store::open(&root.join(DB_FILE)).expect("store");
        let lineage = store.lineage(derived.id).expect("lineage");
        assert_eq!(lineage.len(), 2);
        assert_eq!(lineage[0].sources.len(), 2);
        let step = lineage[1].step.as_ref().expect("step");
        assert_eq!(step.step, "clean");
        assert_eq!(step.settings["schwa"], true);
        assert_eq!(step.report["documents_changed_per_rule"]["schwa"], 1);
    }

    #[test]
    fn duplicates_are_found_reviewed_removed_and_exported_with_provenance() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (root, corpus) = workspace_with_corpus(dir.path());
        let config = DedupConfig {
            threshold: 0.5,
            ..DedupConfig::default()
        };
        let found = find_duplicates(&root, &corpus, &config, None).expect("find");
        assert_eq!(found.clusters, 1);
        let (mut store, _) = Store::open(&root.join(DB_FILE)).expect("store");
        let clusters = store.clusters(corpus.id).expect("clusters");
        assert_eq!(clusters[0].members, vec![0, 2, 4]);
        assert_eq!(clusters[0].keep, 0);

        // Keep policy by source: b.txt first.
        let index = CorpusIndex::load(&index_path(&root.join(&corpus.path)))
            .expect("load")
            .expect("index");
        let b = index.sources[1].clone();
        let keep = choose_keep(&clusters[0].members, &Keep::SourcePriority(vec![b]), &index);
        assert_eq!(keep, 4);
        store
            .decide_cluster(clusters[0].id, 2, Decision::Chosen, Some("Aysel"))
            .expect("decide");
        // A rerun keeps the decision.
        find_duplicates(&root, &corpus, &config, None).expect("again");
        let clusters = store.clusters(corpus.id).expect("clusters");
        assert_eq!(
            (clusters[0].keep, clusters[0].decision),
            (2, Decision::Chosen)
        );

        let derived =
            derive_corpus(&root, &corpus, &Operation::RemoveDuplicates, None).expect("dedup");
        assert_eq!((derived.docs_in, derived.docs_out), (5, 3));
        let (store, _) = Store::open(&root.join(DB_FILE)).expect("store");
        let rows = store.corpora().expect("corpora");
        let dedup_row = rows
            .iter()
            .find(|c| c.id == derived.id)
            .expect("row")
            .clone();

        // "Not duplicates" keeps every member.
        let (mut store, _) = Store::open(&root.join(DB_FILE)).expect("store");
        store
            .decide_cluster(clusters[0].id, 2, Decision::NotDuplicates, None)
            .expect("decide");
        let all = derive_corpus(&root, &corpus, &Operation::RemoveDuplicates, None).expect("dedup");
        assert_eq!(all.docs_out, 5);

        for (format, name) in [
            (ExportFormat::Jsonl, "out.jsonl"),
            (ExportFormat::Parquet, "out.parquet"),
        ] {
            let out = dir.path().join(name);
            let n = export_corpus(&root, &dedup_row, &out, format, None).expect("export");
            assert_eq!(n, 3);
            let docs: Vec<_> = DocumentReader::open(&out, ReadOptions::default())
                .expect("open")
                .collect::<Result<_, _>>()
                .expect("read");
            assert_eq!(docs.len(), 3);
            let prov: serde_json::Value =
                serde_json::from_slice(&std::fs::read(provenance_path(&out)).expect("provenance"))
                    .expect("json");
            assert_eq!(prov["import"]["sources"].as_array().map(Vec::len), Some(2));
            assert_eq!(prov["steps"][0]["step"], "dedup");
            assert_eq!(prov["steps"][0]["removed"], 2);
            assert_eq!(prov["export"]["documents"], 3);
        }
        let exports: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM exports", [], |r| r.get(0))
            .expect("count");
        assert_eq!(exports, 2);
    }

    #[test]
    fn filter_preview_counts_each_filter_and_apply_drops_failing_documents() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (root, corpus) = workspace_with_corpus(dir.path());
        let config = QualityConfig {
            min_words: 5,
            ..QualityConfig::default()
        };
        let preview = preview_filter(&root.join(&corpus.path), corpus.doc_count, &config, None)
            .expect("preview");
        assert_eq!(preview.failing, 1);
        assert_eq!(preview.flags[&Flag::TooShort], (1, vec![3]));
        let derived =
            derive_corpus(&root, &corpus, &Operation::Filter(config), None).expect("filter");
        assert_eq!(derived.docs_out, 4);
    }

    #[test]
    fn a_document_changed_at_both_ends_gives_a_short_example() {
        // A law code with a Cyrillic ә near its start and its end: the example was the whole
        // text (twice), which the window then laid out.
        let middle = "Bu Məcəllə mülki münasibətləri tənzimləyir. ".repeat(20_000);
        let before = format!("Maddә 1. {middle}Maddә 2.");
        let after = before.replace('ә', "ə");
        let example = change_example(0, &before, &after);
        let (b, a) = (example.before_text(), example.after_text());
        assert!(b.contains("Maddә 1.") && a.contains("Maddə 1."), "{b}");
        assert!(b.chars().count() < 400, "{}", b.chars().count());
        assert!(a.chars().count() < 400, "{}", a.chars().count());
        assert!(b.ends_with('…') && a.ends_with('…'));
        let changed: Vec<&str> = example
            .after
            .iter()
            .filter(|(_, c)| *c)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(changed, vec!["ə"], "the cut ends are not marked as changes");
    }

    /// Runs `work` as a job and returns its last progress report and its outcome.
    fn run_job(
        work: impl FnOnce(&JobCtx) -> Result<String, crate::jobs::JobError> + Send + 'static,
        cancel_at_once: bool,
    ) -> (Option<crate::jobs::Progress>, crate::jobs::Outcome) {
        use crate::jobs::{EventKind, Jobs};
        let mut jobs = Jobs::new(None);
        let id = jobs.spawn("step", work).expect("spawn");
        if cancel_at_once {
            jobs.cancel(id);
        }
        let mut last = None;
        loop {
            let event = jobs
                .recv_timeout(std::time::Duration::from_secs(30))
                .expect("an event");
            match event.kind {
                EventKind::Progress(p) => last = Some(p),
                EventKind::Finished(outcome) => return (last, outcome),
                _ => {}
            }
        }
    }

    #[test]
    fn step_progress_counts_documents_to_the_total_and_cancel_stops_the_work() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (root, corpus) = workspace_with_corpus(dir.path());
        let jsonl = root.join(&corpus.path);
        let n = corpus.doc_count;
        assert_eq!(n, 5);

        // Cleaning with split-word repair reads the corpus twice: the second pass ends at 5/5.
        let path = jsonl.clone();
        let (last, outcome) = run_job(
            move |ctx| {
                let p = preview_clean(&path, n, Rules::all(), Some(ctx))?;
                Ok(p.documents.to_string())
            },
            false,
        );
        assert_eq!(outcome, crate::jobs::Outcome::Done("5".into()));
        let last = last.expect("progress");
        assert_eq!(
            (last.done, last.total, last.stage),
            (5, Some(5), Some((2, 2)))
        );

        let (last, _) = run_job(
            {
                let root = root.clone();
                let corpus = corpus.clone();
                move |ctx| {
                    let d = derive_corpus(
                        &root,
                        &corpus,
                        &Operation::Filter(QualityConfig::default()),
                        Some(ctx),
                    )?;
                    Ok(d.name)
                }
            },
            false,
        );
        let last = last.expect("progress");
        assert_eq!((last.done, last.total, last.stage), (5, Some(5), None));

        // Cancelled: the preview stops with the cancellation error, and no corpus is made.
        let stopped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let saw = std::sync::Arc::clone(&stopped);
        let path = jsonl.clone();
        run_job(
            move |ctx| {
                let result = preview_clean(&path, n, Rules::all(), Some(ctx));
                saw.store(
                    matches!(result, Err(CleanError::Cancelled { .. })),
                    std::sync::atomic::Ordering::SeqCst,
                );
                Ok(String::new())
            },
            true,
        );
        assert!(stopped.load(std::sync::atomic::Ordering::SeqCst));
        let before = Store::open(&root.join(DB_FILE))
            .expect("store")
            .0
            .corpora()
            .expect("corpora")
            .len();
        let (root2, corpus2) = (root.clone(), corpus.clone());
        let (_, outcome) = run_job(
            move |ctx| {
                let d =
                    derive_corpus(&root2, &corpus2, &Operation::Clean(Rules::all()), Some(ctx))?;
                Ok(d.name)
            },
            true,
        );
        assert_eq!(outcome, crate::jobs::Outcome::Cancelled);
        let after = Store::open(&root.join(DB_FILE))
            .expect("store")
            .0
            .corpora()
            .expect("corpora")
            .len();
        assert_eq!(before, after, "a cancelled step registers nothing");
    }

    #[test]
    fn around_change_keeps_the_changed_stretch() {
        let before = format!("{} maddәsi {}", "a".repeat(300), "b".repeat(300));
        let after = before.replace('ә', "ə");
        let (b, a, bounded) = around_change(&before, &after);
        assert!(!bounded, "one change fits");
        assert!(b.starts_with('…') && b.ends_with('…'));
        assert!(b.contains("maddәsi") && a.contains("maddəsi"));
        assert!(b.chars().count() < 200, "{}", b.chars().count());
    }
}
