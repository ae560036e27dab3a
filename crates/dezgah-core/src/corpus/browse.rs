//! Browsing a corpus: filters over its index (in memory, milliseconds for a million documents),
//! search over its texts (a streaming job: substring or regex, Turkic case folding), and the
//! spans a document view highlights (search hits and anomalies).

use std::io::BufRead as _;
use std::ops::Range;
use std::path::Path;

use crate::corpus::index::{CorpusIndex, DocMeta, anomaly};
use crate::corpus::text;

/// A document's place in duplicate review.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DupStatus {
    #[default]
    Unique,
    /// In a cluster, and the copy kept.
    Kept,
    /// In a cluster, and to be removed.
    Removed,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QualityFilter {
    #[default]
    Any,
    /// Passes every filter.
    Clean,
    /// Fails at least one.
    Flagged,
    /// Fails this one (an index into `Flag::ALL`).
    Fails(u8),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DupFilter {
    #[default]
    Any,
    Unique,
    InCluster,
    Removed,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    pub min_chars: u32,
    /// 0: no limit.
    pub max_chars: u32,
    pub language: Option<u8>,
    pub script: Option<u8>,
    pub source: Option<u16>,
    pub quality: QualityFilter,
    pub dup: DupFilter,
    /// Only documents with any of these anomaly bits.
    pub anomalies: u8,
}

impl Filters {
    pub fn accepts(&self, doc: &DocMeta, dup: DupStatus) -> bool {
        doc.chars >= self.min_chars
            && (self.max_chars == 0 || doc.chars <= self.max_chars)
            && self.language.is_none_or(|l| l == doc.language)
            && self.script.is_none_or(|s| s == doc.script)
            && self.source.is_none_or(|s| s == doc.source)
            && (self.anomalies == 0 || doc.anomalies & self.anomalies != 0)
            && match self.quality {
                QualityFilter::Any => true,
                QualityFilter::Clean => doc.quality == 0,
                QualityFilter::Flagged => doc.quality != 0,
                QualityFilter::Fails(i) => doc.quality & (1 << i) != 0,
            }
            && match self.dup {
                DupFilter::Any => true,
                DupFilter::Unique => dup == DupStatus::Unique,
                DupFilter::InCluster => dup != DupStatus::Unique,
                DupFilter::Removed => dup == DupStatus::Removed,
            }
    }
}

/// The documents that pass `filters` (and are among `matches`, when a search is active), in
/// corpus order.
pub fn visible(
    index: &CorpusIndex,
    filters: &Filters,
    dup: &[DupStatus],
    matches: Option<&[u32]>,
) -> Vec<u32> {
    let status = |i: usize| dup.get(i).copied().unwrap_or_default();
    match matches {
        Some(found) => found
            .iter()
            .copied()
            .filter(|&i| {
                index
                    .docs
                    .get(i as usize)
                    .is_some_and(|d| filters.accepts(d, status(i as usize)))
            })
            .collect(),
        None => index
            .docs
            .iter()
            .enumerate()
            .filter(|(i, d)| filters.accepts(d, status(*i)))
            .map(|(i, _)| i as u32)
            .collect(),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub pattern: String,
    pub regex: bool,
    /// Azerbaijani case folding: `I` matches `ı`, `İ` matches `i`.
    pub ignore_case: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("invalid regular expression: {0}")]
    Regex(#[from] regex::Error),
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("search cancelled")]
    Cancelled,
}

/// A compiled query.
#[derive(Debug)]
pub struct Matcher {
    kind: MatcherKind,
    ignore_case: bool,
}

#[derive(Debug)]
enum MatcherKind {
    Literal(String),
    Regex(regex::Regex),
}

impl Matcher {
    pub fn new(query: &Query) -> Result<Self, SearchError> {
        let kind = if query.regex {
            // Only I and İ need help: the regex crate folds every other letter itself.
            let pattern = if query.ignore_case {
                query.pattern.replace('I', "ı").replace('İ', "i")
            } else {
                query.pattern.clone()
            };
            MatcherKind::Regex(
                regex::RegexBuilder::new(&pattern)
                    .case_insensitive(query.ignore_case)
                    .size_limit(1 << 24)
                    .build()?,
            )
        } else if query.ignore_case {
            MatcherKind::Literal(text::to_lower_az(&query.pattern))
        } else {
            MatcherKind::Literal(query.pattern.clone())
        };
        Ok(Self {
            kind,
            ignore_case: query.ignore_case,
        })
    }

    pub fn is_match(&self, haystack: &str) -> bool {
        let folded;
        let hay = if self.ignore_case {
            folded = text::to_lower_az(haystack);
            folded.as_str()
        } else {
            haystack
        };
        match &self.kind {
            MatcherKind::Literal(needle) => !needle.is_empty() && hay.contains(needle.as_str()),
            MatcherKind::Regex(re) => re.is_match(hay),
        }
    }

    /// Byte ranges of the hits in `haystack` (at most `limit`).
    pub fn ranges(&self, haystack: &str, limit: usize) -> Vec<Range<usize>> {
        let (hay, map) = if self.ignore_case {
            fold_with_map(haystack)
        } else {
            (haystack.to_owned(), Vec::new())
        };
        let found: Vec<Range<usize>> = match &self.kind {
            MatcherKind::Literal(needle) if needle.is_empty() => Vec::new(),
            MatcherKind::Literal(needle) => hay
                .match_indices(needle.as_str())
                .take(limit)
                .map(|(at, m)| at..at + m.len())
                .collect(),
            MatcherKind::Regex(re) => re
                .find_iter(&hay)
                .filter(|m| !m.is_empty())
                .take(limit)
                .map(|m| m.range())
                .collect(),
        };
        if map.is_empty() {
            return found;
        }
        let back = |i: usize| map.get(i).copied().unwrap_or(haystack.len());
        found
            .into_iter()
            .map(|r| back(r.start)..back(r.end))
            .collect()
    }
}

/// The text lower-cased by Azerbaijani rules, and for each byte of it the byte of the original
/// it came from (plus one past the end), so hits can be drawn on the original.
fn fold_with_map(original: &str) -> (String, Vec<usize>) {
    let mut folded = String::with_capacity(original.len());
    let mut map = Vec::with_capacity(original.len() + 1);
    let mut buf = [0u8; 4];
    for (at, c) in original.char_indices() {
        let lower = text::to_lower_az(c.encode_utf8(&mut buf));
        for _ in 0..lower.len() {
            map.push(at);
        }
        folded.push_str(&lower);
    }
    map.push(original.len());
    (folded, map)
}

/// Every document of the corpus whose text matches, in order. Streams the JSONL once.
pub fn search(
    jsonl: &Path,
    index: &CorpusIndex,
    query: &Query,
    ctx: Option<&crate::jobs::JobCtx>,
) -> Result<Vec<u32>, SearchError> {
    #[derive(serde::Deserialize)]
    struct Record {
        text: String,
    }
    let matcher = Matcher::new(query)?;
    let io = |source| SearchError::Io {
        path: jsonl.to_owned(),
        source,
    };
    let file = std::fs::File::open(jsonl).map_err(io)?;
    let total = file.metadata().map_err(io)?.len();
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut found = Vec::new();
    let mut line = Vec::new();
    let mut offset = 0u64;
    // The index says where each document starts; lines it does not know are skipped.
    let mut next_doc = 0usize;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(io)? as u64;
        if n == 0 {
            break;
        }
        while next_doc < index.docs.len() && index.docs[next_doc].offset < offset {
            next_doc += 1;
        }
        if next_doc < index.docs.len()
            && index.docs[next_doc].offset == offset
            && let Ok(record) = serde_json::from_slice::<Record>(&line)
            && matcher.is_match(&record.text)
        {
            found.push(next_doc as u32);
        }
        offset += n;
        if let Some(ctx) = ctx {
            if ctx.is_cancelled() {
                return Err(SearchError::Cancelled);
            }
            ctx.progress(offset, Some(total));
        }
    }
    Ok(found)
}

/// What a highlighted span in a document view is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Hit,
    MixedScript,
    SchwaLookAlike,
    Replacement,
    Control,
    SplitWord,
}

/// Spans to highlight in `text`, sorted and not overlapping (search hits win over anomalies).
pub fn marks(text: &str, matcher: Option<&Matcher>) -> Vec<(Range<usize>, Mark)> {
    let mut spans: Vec<(Range<usize>, Mark)> = Vec::new();
    for r in text::mixed_script_words(text) {
        spans.push((r, Mark::MixedScript));
    }
    for r in crate::corpus::split_words::fragment_runs(text) {
        spans.push((r, Mark::SplitWord));
    }
    // Only the look-alikes the schwa rule would change: Cyrillic text keeps its ә.
    if let std::borrow::Cow::Owned(folded) = text::fold_schwa(text) {
        for ((at, c), f) in text.char_indices().zip(folded.chars()) {
            if c != f {
                spans.push((at..at + c.len_utf8(), Mark::SchwaLookAlike));
            }
        }
    }
    for (at, c) in text.char_indices() {
        let mark = match c {
            '\u{FFFD}' => Some(Mark::Replacement),
            c if text::is_invisible_junk(c) => Some(Mark::Control),
            _ => None,
        };
        if let Some(mark) = mark {
            spans.push((at..at + c.len_utf8(), mark));
        }
    }
    // Single characters first: the look-alike inside a mixed-script word is the precise cause.
    spans.sort_by_key(|(r, m)| (matches!(m, Mark::MixedScript | Mark::SplitWord), r.start));
    let mut out: Vec<(Range<usize>, Mark)> = Vec::new();
    if let Some(m) = matcher {
        out.extend(m.ranges(text, 10_000).into_iter().map(|r| (r, Mark::Hit)));
    }
    for (r, mark) in spans {
        if out.iter().any(|(o, _)| o.start < r.end && r.start < o.end) {
            continue;
        }
        out.push((r, mark));
    }
    out.sort_by_key(|(r, _)| r.start);
    out
}

/// The anomaly bits set on a document, as [`Mark`]s (for list badges).
pub fn anomaly_marks(doc: &DocMeta) -> Vec<Mark> {
    [
        (anomaly::MIXED_SCRIPT, Mark::MixedScript),
        (anomaly::SPLIT_WORDS, Mark::SplitWord),
        (anomaly::SCHWA_LOOK_ALIKE, Mark::SchwaLookAlike),
        (anomaly::REPLACEMENT, Mark::Replacement),
        (anomaly::CONTROL, Mark::Control),
    ]
    .into_iter()
    .filter(|(bit, _)| doc.anomalies & bit != 0)
    .map(|(_, m)| m)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkic_case_folding_finds_dotted_and_dotless_i() {
        let m = Matcher::new(&Query {
            pattern: "İSTİQLAL".into(),
            regex: false,
            ignore_case: true,
        })
        .expect("matcher");
        let text = "Azərbaycan istiqlal günü; ISTIQLAL deyil";
        assert!(m.is_match(text));
        assert_eq!(m.ranges(text, 10), vec![12..20]);
        assert_eq!(&text[12..20], "istiqlal");

        let r = Matcher::new(&Query {
            pattern: r"madd[əe]\s+\d+".into(),
            regex: true,
            ignore_case: true,
        })
        .expect("regex");
        let law = "İlk söz. MADDƏ 12 və Maddə 3";
        let hits = r.ranges(law, 10);
        let texts: Vec<&str> = hits.iter().map(|h| &law[h.clone()]).collect();
        assert_eq!(texts, vec!["MADDƏ 12", "Maddə 3"]);
        assert!(
            Matcher::new(&Query {
                pattern: "(".into(),
                regex: true,
                ignore_case: false,
            })
            .is_err()
        );
    }

    #[test]
    fn marks_cover_anomalies_and_hits_without_overlap() {
        let text = "M ə c ə ll ə nin maddәsi Bakı\u{FFFD} sözü";
        let m = Matcher::new(&Query {
            pattern: "bakı".into(),
            regex: false,
            ignore_case: true,
        })
        .expect("matcher");
        let marks = marks(text, Some(&m));
        let kinds: Vec<Mark> = marks.iter().map(|(_, k)| *k).collect();
        assert!(kinds.contains(&Mark::SplitWord), "{marks:?}");
        assert!(kinds.contains(&Mark::SchwaLookAlike), "{marks:?}");
        assert!(kinds.contains(&Mark::Hit), "{marks:?}");
        assert!(kinds.contains(&Mark::Replacement), "{marks:?}");
        for pair in marks.windows(2) {
            assert!(pair[0].0.end <= pair[1].0.start, "{marks:?}");
        }
        let hit = marks.iter().find(|(_, k)| *k == Mark::Hit).expect("hit");
        assert_eq!(&text[hit.0.clone()], "Bakı");
    }

    #[test]
    fn filters_select_by_length_language_and_quality() {
        let mut index = CorpusIndex {
            sources: vec!["a".into()],
            languages: vec!["az".into(), "tr".into()],
            docs: Vec::new(),
        };
        for i in 0..10u32 {
            index.docs.push(DocMeta {
                chars: i * 10,
                language: u8::from(i % 3 == 0),
                quality: u16::from(i == 4),
                ..DocMeta::default()
            });
        }
        let all = visible(&index, &Filters::default(), &[], None);
        assert_eq!(all.len(), 10);
        let tr = Filters {
            language: Some(1),
            ..Filters::default()
        };
        assert_eq!(visible(&index, &tr, &[], None), vec![0, 3, 6, 9]);
        let long_clean = Filters {
            min_chars: 30,
            max_chars: 60,
            quality: QualityFilter::Clean,
            ..Filters::default()
        };
        assert_eq!(visible(&index, &long_clean, &[], None), vec![3, 5, 6]);
        assert_eq!(
            visible(&index, &Filters::default(), &[], Some(&[2, 4, 40])),
            vec![2, 4]
        );
        let mut dup = vec![DupStatus::Unique; 10];
        dup[7] = DupStatus::Removed;
        let removed = Filters {
            dup: DupFilter::Removed,
            ..Filters::default()
        };
        assert_eq!(visible(&index, &removed, &dup, None), vec![7]);
    }
}
