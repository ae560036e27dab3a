//! What is in a corpus: sizes, a length histogram, scripts, languages, anomalies and the most
//! frequent words, gathered in one streaming pass.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::corpus::clean::CleanError;
use crate::corpus::lang::LanguageId;
use crate::corpus::progress::InputProgress;
use crate::corpus::read::{DocumentReader, ReadOptions};
use crate::corpus::text::{Anomalies, ScriptCounts, to_lower_az};
use crate::jobs::JobCtx;

/// Language identification reads at most this much of a document: enough to decide, and long
/// documents do not cost more.
const LANG_SAMPLE_BYTES: usize = 2000;

/// Documents with at least this many anomalies of a kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnomalyDocuments {
    pub mixed_script_words: u64,
    pub split_word_fragments: u64,
    pub schwa_look_alikes: u64,
    pub replacement_chars: u64,
    pub control_chars: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CorpusStats {
    pub documents: u64,
    pub characters: u64,
    pub words: u64,
    pub bytes: u64,
    /// `(at least this many characters, documents)`, in powers of two.
    pub length_histogram: Vec<(u64, u64)>,
    /// Documents by script: `latin`, `cyrillic`, `mixed`, `other`, `none` (no letters).
    pub scripts: BTreeMap<String, u64>,
    /// Documents by ISO 639-1 language code; `unknown` when too short to tell.
    pub languages: BTreeMap<String, u64>,
    pub anomalies: AnomalyDocuments,
    pub top_words: Vec<(String, u64)>,
    pub bad_lines: u64,
    /// The first unreadable lines, as `file:line: reason` (import keeps them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bad_line_examples: Vec<String>,
    pub seconds: f64,
    /// With a tokenizer: the corpus's size in its tokens, estimated from a sample.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_tokens: Option<crate::corpus::tokens::TokenEstimate>,
}

/// One document as [`StatsBuilder::add`] saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocFacts {
    pub chars: u64,
    pub words: u64,
    /// One of the [`CorpusStats::scripts`] keys.
    pub script: &'static str,
    /// An ISO 639-1 code or `unknown`; `None` when languages are not detected.
    pub language: Option<String>,
    pub anomalies: Anomalies,
}

/// Folds documents into [`CorpusStats`].
#[derive(Debug, Default)]
pub struct StatsBuilder {
    stats: CorpusStats,
    histogram: BTreeMap<u32, u64>,
    words: HashMap<String, u64>,
    lang: Option<LanguageId>,
}

impl StatsBuilder {
    /// `detect_languages` loads the language models (a second or two) on first use.
    pub fn new(detect_languages: bool) -> Self {
        Self {
            lang: detect_languages.then(LanguageId::new),
            ..Self::default()
        }
    }

    /// Folds one document in; returns what was learnt about it, for the per-document index.
    pub fn add(&mut self, text: &str) -> DocFacts {
        let s = &mut self.stats;
        let mut doc_words = 0u64;
        let chars = text.chars().count() as u64;
        s.documents += 1;
        s.characters += chars;
        s.bytes += text.len() as u64;
        *self.histogram.entry(chars.max(1).ilog2()).or_insert(0) += 1;

        for token in text.split_whitespace() {
            let word = token.trim_matches(|c: char| !c.is_alphabetic());
            if word.is_empty() {
                continue;
            }
            s.words += 1;
            doc_words += 1;
            if word.chars().all(char::is_alphabetic) {
                *self.words.entry(to_lower_az(word)).or_insert(0) += 1;
            }
        }

        let counts = ScriptCounts::of(text);
        let minority = counts.latin.min(counts.cyrillic);
        let script = if counts.letters() == 0 {
            "none"
        } else if minority * 5 >= counts.latin + counts.cyrillic && minority > 0 {
            "mixed"
        } else if counts.latin + counts.cyrillic == 0 {
            "other"
        } else if counts.latin >= counts.cyrillic {
            "latin"
        } else {
            "cyrillic"
        };
        *s.scripts.entry(script.to_owned()).or_insert(0) += 1;

        let mut language = None;
        if let Some(lang) = &self.lang {
            let mut end = text.len().min(LANG_SAMPLE_BYTES);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let code = lang
                .detect(&text[..end])
                .unwrap_or_else(|| "unknown".to_owned());
            *s.languages.entry(code.clone()).or_insert(0) += 1;
            language = Some(code);
        }

        let a = Anomalies::of(text);
        let d = &mut s.anomalies;
        d.mixed_script_words += u64::from(a.mixed_script_words > 0);
        d.split_word_fragments += u64::from(a.split_word_fragments > 0);
        d.schwa_look_alikes += u64::from(a.schwa_look_alikes > 0);
        d.replacement_chars += u64::from(a.replacement_chars > 0);
        d.control_chars += u64::from(a.control_chars > 0);
        DocFacts {
            chars,
            words: doc_words,
            script,
            language,
            anomalies: a,
        }
    }

    pub fn finish(mut self, top_n: usize) -> CorpusStats {
        self.stats.length_histogram = self
            .histogram
            .into_iter()
            .map(|(bucket, n)| (1u64 << bucket, n))
            .collect();
        let mut words: Vec<(String, u64)> = self.words.into_iter().collect();
        words.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        words.truncate(top_n);
        self.stats.top_words = words;
        self.stats
    }
}

/// `"az 120, tr 3"`: a breakdown, largest first, joined with `separator`.
pub fn format_counts(counts: &BTreeMap<String, u64>, separator: &str) -> String {
    let mut sorted: Vec<_> = counts.iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    sorted
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(separator)
}

/// One streaming pass over `inputs`.
pub fn stats_files(
    inputs: &[PathBuf],
    read: &ReadOptions,
    detect_languages: bool,
    top_n: usize,
    ctx: Option<&JobCtx>,
) -> Result<CorpusStats, CleanError> {
    stats_files_with_tokens(inputs, read, detect_languages, top_n, None, ctx).map_err(|e| match e {
        StatsError::Read(e) => e,
        // Without a tokenizer nothing is encoded; mapped rather than a panic all the same.
        StatsError::Tokens(e) => CleanError::Write {
            path: inputs.first().cloned().unwrap_or_default(),
            source: std::io::Error::other(e.to_string()),
        },
    })
}

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error(transparent)]
    Read(#[from] CleanError),
    #[error(transparent)]
    Tokens(#[from] crate::corpus::tokens::TokenError),
}

/// [`stats_files`], with tokens estimated under `tokenizer` from a sample taken on the way.
pub fn stats_files_with_tokens(
    inputs: &[PathBuf],
    read: &ReadOptions,
    detect_languages: bool,
    top_n: usize,
    // Loaded by the caller, so that one that cannot load is reported before the long pass.
    tokenizer: Option<(&std::path::Path, &tokenizers::Tokenizer)>,
    ctx: Option<&JobCtx>,
) -> Result<CorpusStats, StatsError> {
    let mut sampler = tokenizer.map(|_| crate::corpus::tokens::Sampler::default());
    let started = std::time::Instant::now();
    // Nothing is written; a cancellation names the first input.
    let first = inputs.first().cloned().unwrap_or_default();
    let mut progress = InputProgress::new(ctx, inputs, &first);
    let mut builder = StatsBuilder::new(detect_languages);
    let mut bad = crate::corpus::read::BadLineLog::default();
    for input in inputs {
        let mut reader = DocumentReader::open(input, read.clone()).map_err(CleanError::from)?;
        while let Some(doc) = reader.next() {
            let doc = doc.map_err(CleanError::from)?;
            builder.add(&doc.text);
            if let Some(sampler) = &mut sampler {
                sampler.add(&doc.text);
            }
            progress.document(reader.bytes_read)?;
        }
        progress.file_done(input);
        bad.absorb(&reader.problems);
    }
    progress.finish();
    let mut stats = builder.finish(top_n);
    crate::corpus::read::ensure_documents(inputs, stats.documents, &bad)
        .map_err(CleanError::from)?;
    if let (Some((path, loaded)), Some(sampler)) = (tokenizer, &sampler) {
        stats.estimated_tokens = Some(crate::corpus::tokens::estimate(
            loaded,
            path,
            sampler.texts(),
            stats.characters,
        )?);
    }
    stats.bad_lines = bad.count();
    stats.bad_line_examples = bad.examples();
    stats.seconds = started.elapsed().as_secs_f64();
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sizes_scripts_languages_and_words() {
        let mut b = StatsBuilder::new(true);
        for text in [
            "Bakı Xəzər dənizinin sahilində yerləşir və Azərbaycanın paytaxtıdır.",
            "Бүтүн инсанлар ләјагәт вә һүгугларына ҝөрә азад вә бәрабәр доғулурлар.",
            "Bugün hava çok güzel, parkta yürüyüş yapmaya karar verdik.",
            "M ə c ə ll ə nin vә",
            "1234",
        ] {
            b.add(text);
        }
        let s = b.finish(3);
        assert_eq!(s.documents, 5);
        assert_eq!(s.scripts["latin"], 3);
        assert_eq!(s.scripts["cyrillic"], 1);
        assert_eq!(s.scripts["none"], 1);
        assert!(s.languages["az"] >= 2, "{:?}", s.languages);
        assert_eq!(s.languages["tr"], 1);
        assert!(s.languages["unknown"] >= 1);
        assert_eq!(s.anomalies.split_word_fragments, 1);
        assert_eq!(s.anomalies.schwa_look_alikes, 1);
        assert_eq!(s.top_words.len(), 3);
        assert_eq!(s.top_words[0], ("ə".to_owned(), 3));
        assert_eq!(
            s.length_histogram.iter().map(|(_, n)| n).sum::<u64>(),
            5,
            "every document is in one bucket"
        );
    }
}
