//! Retrieval over a workspace corpus: documents are cut into passages (one per article where the
//! text has `Maddə N` headings, else windows of words), indexed with tantivy's BM25 under an
//! Azerbaijani analyzer, and the best passages for a question are put into the model's prompt.
//!
//! The analyzer folds what Azerbaijani text varies in — Turkic casing (`I` → `ı`, `İ` → `i`),
//! the ə look-alikes (Cyrillic `ә`, `ǝ`, `ä`), Unicode composition — and optionally strips
//! common case, possessive and plural endings, so `Məcəlləsinin` finds `Məcəllə`. A second field
//! holds every word without its Azerbaijani letters (`ş` → `s`, `ə` → `e` …), so a question
//! typed on a keyboard without them still finds its article.

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
    Value as _,
};
use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

use crate::corpus::read::{DocumentReader, ReadError, ReadOptions};
use crate::corpus::text::{fold_schwa, nfc, to_lower_az};

/// Under the workspace root: one folder per indexed corpus.
pub const INDEX_DIR: &str = "indexes";
const META_FILE: &str = "dezgah-index.json";
const FORMAT_VERSION: u32 = 2;
const ANALYZER: &str = "az";
const ANALYZER_STEM: &str = "az_stem";
const ANALYZER_ASCII: &str = "az_ascii";
const ANALYZER_PREFIX: &str = "az_prefix";

#[derive(Debug, thiserror::Error)]
pub enum RagError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: search index: {source}")]
    Index {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(
        "{path}: corpus '{corpus}' has no search index yet; build it first (Playground → Index, or dezgah rag index --corpus {corpus})"
    )]
    Missing { path: PathBuf, corpus: String },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("cancelled")]
    Cancelled,
}

type Result<T, E = RagError> = std::result::Result<T, E>;

/// How documents become passages, and how words are folded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IndexSettings {
    /// The longest passage, in words; a longer article is cut into several.
    pub chunk_words: usize,
    /// Words a window repeats from the one before, so no sentence is cut off from its context.
    pub overlap_words: usize,
    /// Strip common endings (`-nın`, `-lar`, `-da` …) in the main fields before indexing and
    /// searching (the plain-keyboard field always does).
    pub stem: bool,
}

impl Default for IndexSettings {
    fn default() -> Self {
        Self {
            chunk_words: 200,
            overlap_words: 30,
            // Off by default: measured on the sample rules and the legal codes, exact words
            // with the five-letter prefix field put the answering article first more often
            // (benches/rag); the stemmer trades that for recall of inflected forms.
            stem: false,
        }
    }
}

/// What `dezgah-index.json` beside the index records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexMeta {
    pub version: u32,
    pub corpus: String,
    /// The corpus file, relative to the workspace root.
    pub corpus_path: String,
    pub settings: IndexSettings,
    pub documents: u64,
    pub passages: u64,
    /// Articles found by their `Maddə N` headings.
    pub articles: u64,
    /// Seconds since the Unix epoch.
    pub built_at: u64,
    pub build_secs: f64,
}

/// One passage of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passage {
    /// The document's place in its corpus, from 0.
    pub doc: u64,
    pub doc_id: String,
    /// What a reader sees first: the document's title and the article heading, when known.
    pub label: String,
    /// The document's title (a code's name, a file's name).
    pub title: String,
    /// The article number (`9`, `7-1`) when the passage is (part of) an article.
    pub article: Option<String>,
    pub text: String,
}

/// A passage found for a question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    pub score: f32,
    pub doc: u64,
    pub doc_id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    pub text: String,
}

// ---------------------------------------------------------------------------------------------
// Words

/// Endings stripped by the light stemmer, with their place in the word: case endings (0) come
/// last, possessives (1) before them, the plural (2) first — `kitab-lar-ımız-dan`. Stripping
/// from the end, each ending must sit further in than the one before, and its vowel must
/// agree with the stem's last vowel (vowel harmony), so `maddə` keeps its `də` while
/// `kitabda` loses it. Single-vowel endings are left alone: `nikah-ı` and `vergi` cannot be
/// told apart without a dictionary, and a stem must come out the same from every form.
const SUFFIXES: &[(&str, u8)] = &[
    ("lar", 2),
    ("lər", 2),
    ("ımız", 1),
    ("imiz", 1),
    ("umuz", 1),
    ("ümüz", 1),
    ("mız", 1),
    ("miz", 1),
    ("muz", 1),
    ("müz", 1),
    ("ınız", 1),
    ("iniz", 1),
    ("unuz", 1),
    ("ünüz", 1),
    ("nız", 1),
    ("niz", 1),
    ("nuz", 1),
    ("nüz", 1),
    ("sı", 1),
    ("si", 1),
    ("su", 1),
    ("sü", 1),
    ("sının", 1),
    ("sinin", 1),
    ("sunun", 1),
    ("sünün", 1),
    ("ının", 0),
    ("inin", 0),
    ("unun", 0),
    ("ünün", 0),
    ("nın", 0),
    ("nin", 0),
    ("nun", 0),
    ("nün", 0),
    ("ın", 0),
    ("in", 0),
    ("un", 0),
    ("ün", 0),
    ("nı", 0),
    ("ni", 0),
    ("nu", 0),
    ("nü", 0),
    ("ya", 0),
    ("yə", 0),
    ("na", 0),
    ("nə", 0),
    ("da", 0),
    ("də", 0),
    ("ta", 0),
    ("tə", 0),
    ("nda", 0),
    ("ndə", 0),
    ("dan", 0),
    ("dən", 0),
    ("tan", 0),
    ("tən", 0),
    ("ndan", 0),
    ("ndən", 0),
    ("la", 0),
    ("lə", 0),
];

/// [`SUFFIXES`] as owned strings, and folded like [`ascii_fold`] for the plain-keyboard field.
static PLAIN_SUFFIXES: std::sync::LazyLock<Vec<(String, u8)>> = std::sync::LazyLock::new(|| {
    SUFFIXES
        .iter()
        .map(|(s, rank)| ((*s).to_owned(), *rank))
        .collect()
});
static ASCII_SUFFIXES: std::sync::LazyLock<Vec<(String, u8)>> = std::sync::LazyLock::new(|| {
    SUFFIXES
        .iter()
        .map(|(s, rank)| (ascii_fold(s), *rank))
        .collect()
});

/// The shortest stem (in characters) the stemmer leaves.
const MIN_STEM: usize = 3;

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'ı' | 'o' | 'u' | 'e' | 'ə' | 'i' | 'ö' | 'ü')
}

/// Whether `suffix`'s first vowel is the one Azerbaijani vowel harmony puts after `stem`'s last:
/// back a ı o u take a (and ı after a ı, u after o u), front e ə i ö ü take ə (i after e ə i,
/// ü after ö ü).
fn harmonizes(stem: &str, suffix: &str) -> bool {
    let (Some(last), Some(next)) = (
        stem.chars().rev().find(|c| is_vowel(*c)),
        suffix.chars().find(|c| is_vowel(*c)),
    ) else {
        return false;
    };
    match next {
        'a' => matches!(last, 'a' | 'ı' | 'o' | 'u'),
        'ə' => matches!(last, 'e' | 'ə' | 'i' | 'ö' | 'ü'),
        'ı' => matches!(last, 'a' | 'ı'),
        'u' => matches!(last, 'o' | 'u'),
        'i' => matches!(last, 'e' | 'ə' | 'i'),
        'ü' => matches!(last, 'ö' | 'ü'),
        _ => false,
    }
}

/// Words a question is made of that say nothing about what it asks.
const QUESTION_WORDS: &[&str] = &[
    "və",
    "ilə",
    "bu",
    "nə",
    "necə",
    "nədir",
    "hansı",
    "hansılardır",
    "üçün",
    "ki",
    "bir",
    "olan",
    "olur",
    "edir",
    "edilir",
    "deyilir",
    "deyir",
    "haqqında",
    "barədə",
    "nədən",
    "niyə",
    "kim",
    "harada",
    "mı",
    "mi",
    "mu",
    "mü",
    "ya",
    "yoxsa",
    "neçə",
];

/// Turkic lower case, ə look-alikes folded, composed.
pub fn fold_word(word: &str) -> String {
    to_lower_az(&fold_schwa(&nfc(word)))
}

/// The word without the letters an English keyboard lacks: ə→e, ı→i, ş→s, ç→c, ğ→g, ö→o, ü→u.
pub fn ascii_fold(word: &str) -> String {
    word.chars()
        .map(|c| match c {
            'ə' => 'e',
            'ı' => 'i',
            'ş' => 's',
            'ç' => 'c',
            'ğ' => 'g',
            'ö' => 'o',
            'ü' => 'u',
            other => other,
        })
        .collect()
}

/// Strips the endings of a folded word (see [`SUFFIXES`]), never below [`MIN_STEM`] characters.
/// Words with a digit (article numbers) are left alone.
pub fn stem(word: &str) -> &str {
    strip_endings(word, false)
}

/// The stemmer over a word already without the Azerbaijani letters (see [`ascii_fold`]): the
/// endings are matched folded the same way, and vowel harmony is not checked, since `i` may
/// have been `ı` and `e` may have been `ə`.
pub fn stem_ascii(word: &str) -> &str {
    strip_endings(word, true)
}

fn strip_endings(word: &str, ascii: bool) -> &str {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return word;
    }
    let mut stem = word;
    let mut place = 0u8;
    loop {
        let len = stem.chars().count();
        let table: &[(String, u8)] = if ascii {
            &ASCII_SUFFIXES
        } else {
            &PLAIN_SUFFIXES
        };
        let found = table
            .iter()
            .filter(|(s, rank)| {
                *rank >= place
                    && stem.ends_with(s.as_str())
                    && len.saturating_sub(s.chars().count()) >= MIN_STEM
                    && (ascii || harmonizes(&stem[..stem.len() - s.len()], s))
            })
            .max_by_key(|(s, _)| s.chars().count());
        let Some((suffix, rank)) = found else {
            break;
        };
        stem = &stem[..stem.len() - suffix.len()];
        place = rank + 1;
    }
    stem
}

/// The byte ranges of the words of `text`: runs of letters and digits.
fn word_spans(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push(s..i);
        }
    }
    if let Some(s) = start {
        out.push(s..text.len());
    }
    out
}

/// The words of `text` with their byte ranges, folded, and stemmed when asked.
pub fn analyze(text: &str, stemmed: bool) -> Vec<(Range<usize>, String)> {
    word_spans(text)
        .into_iter()
        .map(|range| {
            let folded = fold_word(&text[range.clone()]);
            let term = if stemmed {
                stem(&folded).to_owned()
            } else {
                folded
            };
            (range, term)
        })
        .filter(|(_, t)| !t.is_empty())
        .collect()
}

/// How much a word in a passage's label (its title and article heading) counts against one in
/// its text. Labels are short, so BM25 already favours them.
const LABEL_WEIGHT: f32 = 1.0;

/// How much a word of the document's title counts: naming the code (`Su Məcəlləsinin …`) picks
/// its articles over the same article number in another code.
const TITLE_WEIGHT: f32 = 2.0;

/// Characters a word is cut to in the prefix field. Azerbaijani puts the root first and stacks
/// endings after it, so the first five letters stand in for a stem where the stemmer has no
/// rule (verbs: `qaytarmayan`, `qaytarmasam`).
pub const PREFIX: usize = 5;

/// How a field turns words into terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Folded words.
    Words,
    /// Stems, each with its variant (see [`stem_terms`]).
    Stems,
    /// Stems without the Azerbaijani letters.
    Ascii,
    /// The first [`PREFIX`] letters.
    Prefix,
}

/// A folded word's stem, and the stem without a final vowel when one follows a consonant: a
/// single vowel is an ending in `kitab-ı` but part of the word in `vergi`, and only a dictionary
/// could tell. Both go into the index, so `kitabı` meets `kitab` and `vergisi` meets `vergi`.
pub fn stem_terms(folded: &str) -> Vec<String> {
    variants(stem(folded))
}

fn variants(stem: &str) -> Vec<String> {
    let mut out = vec![stem.to_owned()];
    let mut chars = stem.chars().rev();
    if let (Some(last), Some(before)) = (chars.next(), chars.next())
        && is_vowel(last)
        && !is_vowel(before)
        && stem.chars().count() > MIN_STEM
    {
        out.push(stem[..stem.len() - last.len_utf8()].to_owned());
    }
    out
}

fn terms_of(word: &str, mode: Mode) -> Vec<String> {
    let folded = fold_word(word);
    match mode {
        Mode::Words => vec![folded],
        Mode::Stems => stem_terms(&folded),
        Mode::Ascii => variants(stem_ascii(&ascii_fold(&folded))),
        Mode::Prefix => vec![folded.chars().take(PREFIX).collect()],
    }
}

/// A tantivy tokenizer: each word's terms (see [`Mode`]) at the word's position.
#[derive(Clone)]
struct AzTokenizer {
    mode: Mode,
}

struct AzTokens {
    tokens: Vec<Token>,
    /// How many tokens `advance` has handed out.
    at: usize,
    /// What `token()` returns before the first `advance` or on an empty stream.
    none: Token,
}

impl AzTokens {
    fn current(&self) -> Option<usize> {
        self.at.checked_sub(1).filter(|&i| i < self.tokens.len())
    }
}

impl TokenStream for AzTokens {
    fn advance(&mut self) -> bool {
        if self.at < self.tokens.len() {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        self.current().map_or(&self.none, |i| &self.tokens[i])
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.current() {
            Some(i) => &mut self.tokens[i],
            None => &mut self.none,
        }
    }
}

impl Tokenizer for AzTokenizer {
    type TokenStream<'a> = AzTokens;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> AzTokens {
        let mut tokens = Vec::new();
        for (position, range) in word_spans(text).into_iter().enumerate() {
            for term in terms_of(&text[range.clone()], self.mode) {
                if !term.is_empty() {
                    tokens.push(Token {
                        offset_from: range.start,
                        offset_to: range.end,
                        position,
                        text: term,
                        position_length: 1,
                    });
                }
            }
        }
        AzTokens {
            tokens,
            at: 0,
            none: Token::default(),
        }
    }
}

fn register_analyzers(index: &Index) {
    let tokenizers = index.tokenizers();
    for (name, mode) in [
        (ANALYZER, Mode::Words),
        (ANALYZER_STEM, Mode::Stems),
        (ANALYZER_ASCII, Mode::Ascii),
        (ANALYZER_PREFIX, Mode::Prefix),
    ] {
        tokenizers.register(name, TextAnalyzer::from(AzTokenizer { mode }));
    }
}

// ---------------------------------------------------------------------------------------------
// Passages

/// An article heading at the start of a line: `Maddə 12.`, `## Maddə 7-1. Title`, `Madde 3`,
/// `Статья 5`, `Article 4`. Returns the number and the heading line.
fn article_heading(line: &str) -> Option<String> {
    let trimmed = line.trim_start_matches(|c: char| c == '#' || c.is_whitespace());
    // The word before the number, letters only: text extracted from PDFs splits it
    // (`Madd ə 7`), so spaces inside it are dropped.
    let word_end = trimmed
        .find(|c: char| !(c.is_alphabetic() || c == ' '))
        .unwrap_or(trimmed.len());
    if word_end > 16 {
        return None;
    }
    let word: String = trimmed[..word_end].chars().filter(|c| *c != ' ').collect();
    let word = fold_word(&word);
    if !["maddə", "madde", "статья", "article"].contains(&word.as_str()) {
        return None;
    }
    let rest = &trimmed[word_end..];
    let number: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
        .collect();
    let number = number.trim_end_matches(['.', '-']).to_owned();
    (!number.is_empty() && number.starts_with(|c: char| c.is_ascii_digit())).then_some(number)
}

/// The document's title: its first markdown heading (one of the first five lines, not an article
/// heading, not split into letters by PDF extraction), else the file it was imported from
/// (`name.md:1` → `name`), else its id; nothing for a bare number.
fn title_of(text: &str, doc_id: &str) -> String {
    let heading = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(5)
        .find(|l| l.trim_start().starts_with('#') && article_heading(l).is_none())
        .map(|l| l.trim_start_matches(['#', ' ']).trim())
        .filter(|h| {
            let single_letters = h
                .split_whitespace()
                .filter(|w| w.chars().count() == 1 && w.chars().all(char::is_alphabetic))
                .count();
            !h.is_empty() && h.chars().count() <= 120 && single_letters < 2
        });
    if let Some(h) = heading {
        return title_case(h);
    }
    // A bare number says nothing a reader could use.
    if doc_id.chars().all(|c| c.is_ascii_digit()) {
        return String::new();
    }
    let file = match doc_id.rsplit_once(':') {
        Some((file, line)) if line.chars().all(|c| c.is_ascii_digit()) => file,
        _ => doc_id,
    };
    let path = Path::new(file);
    match (path.file_stem(), path.extension()) {
        (Some(stem), Some(_)) => stem.to_string_lossy().into_owned(),
        _ => doc_id.to_owned(),
    }
}

/// An all-capitals title (`AİLƏ MƏCƏLLƏSİ`) in title case (`Ailə Məcəlləsi`); others as they are.
fn title_case(title: &str) -> String {
    if title.chars().any(char::is_lowercase) {
        return title.to_owned();
    }
    title
        .split(' ')
        .map(crate::corpus::text::to_title_az)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Cuts `words` (byte ranges into `text`) into windows of at most `size` words that overlap by
/// `overlap`.
fn windows(text: &str, size: usize, overlap: usize) -> Vec<String> {
    let words: Vec<Range<usize>> = crate::corpus::text::word_ranges(text).collect();
    if words.len() <= size {
        let t = text.trim();
        return if t.is_empty() {
            Vec::new()
        } else {
            vec![t.to_owned()]
        };
    }
    let step = size.saturating_sub(overlap).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < words.len() {
        let end = (start + size).min(words.len());
        let from = if start == 0 { 0 } else { words[start].start };
        let to = if end == words.len() {
            text.len()
        } else {
            words[end - 1].end
        };
        out.push(text[from..to].trim().to_owned());
        if end == words.len() {
            break;
        }
        start += step;
    }
    out
}

/// The passages of one document: one per article when it has `Maddə N` headings (longer ones in
/// windows), else windows over its paragraphs.
pub fn chunk(doc: u64, doc_id: &str, text: &str, settings: &IndexSettings) -> Vec<Passage> {
    let size = settings.chunk_words.max(20);
    let overlap = settings.overlap_words.min(size / 2);
    let title = title_of(text, doc_id);
    // Sections: (heading line, article number, body).
    let mut sections: Vec<(Option<String>, Option<String>, String)> = Vec::new();
    let mut current: (Option<String>, Option<String>, String) = (None, None, String::new());
    for line in text.lines() {
        if let Some(number) = article_heading(line) {
            if current.0.is_some() || !current.2.trim().is_empty() {
                sections.push(std::mem::take(&mut current));
            }
            let heading = line.trim_start_matches(['#', ' ']).trim().to_owned();
            current = (Some(heading), Some(number), String::new());
        } else {
            current.2.push_str(line);
            current.2.push('\n');
        }
    }
    sections.push(current);
    let mut out = Vec::new();
    for (heading, article, body) in sections {
        // Text before the first article (titles, a preamble) is a passage of its own.
        let label = match (&heading, title.is_empty()) {
            (Some(h), true) => h.clone(),
            (Some(h), false) => format!("{title} · {h}"),
            (None, false) => title.clone(),
            (None, true) => format!("№ {doc_id}"),
        };
        let full = match &heading {
            Some(h) => format!("{h}\n{}", body.trim()),
            None => body.trim().to_owned(),
        };
        let parts = windows(&full, size, overlap);
        let many = parts.len() > 1;
        for (i, part) in parts.into_iter().enumerate() {
            out.push(Passage {
                doc,
                doc_id: doc_id.to_owned(),
                label: if many {
                    format!("{label} ({})", i + 1)
                } else {
                    label.clone()
                },
                article: article.clone(),
                title: title.clone(),
                text: part,
            });
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The index on disk

struct Fields {
    doc: Field,
    doc_id: Field,
    label: Field,
    article: Field,
    text: Field,
    ascii: Field,
    prefix: Field,
    title: Field,
}

fn schema(stem: bool) -> (Schema, Fields) {
    let analyzer = if stem { ANALYZER_STEM } else { ANALYZER };
    let indexed = |name: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let mut b = Schema::builder();
    let fields = Fields {
        doc: b.add_u64_field("doc", STORED | INDEXED),
        doc_id: b.add_text_field("doc_id", STRING | STORED),
        label: b.add_text_field("label", indexed(analyzer) | STORED),
        article: b.add_text_field("article", STRING | STORED),
        text: b.add_text_field("text", indexed(analyzer) | STORED),
        ascii: b.add_text_field("ascii", indexed(ANALYZER_ASCII)),
        prefix: b.add_text_field("prefix", indexed(ANALYZER_PREFIX)),
        title: b.add_text_field("title", indexed(analyzer)),
    };
    (b.build(), fields)
}

fn fields_of(schema: &Schema, path: &Path) -> Result<Fields> {
    let get = |name: &str| {
        schema.get_field(name).map_err(|_| RagError::Invalid {
            path: path.to_owned(),
            message: format!("the index has no field '{name}'; build it again"),
        })
    };
    Ok(Fields {
        doc: get("doc")?,
        doc_id: get("doc_id")?,
        label: get("label")?,
        article: get("article")?,
        text: get("text")?,
        ascii: get("ascii")?,
        prefix: get("prefix")?,
        title: get("title")?,
    })
}

/// The folder of `corpus`'s index: its name with anything but letters, digits, `-` and `_`
/// replaced.
pub fn index_dir(root: &Path, corpus: &str) -> PathBuf {
    let safe: String = corpus
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    root.join(INDEX_DIR).join(safe)
}

/// The indexes of a workspace, by corpus name.
pub fn list(root: &Path) -> Vec<IndexMeta> {
    let Ok(entries) = std::fs::read_dir(root.join(INDEX_DIR)) else {
        return Vec::new();
    };
    let mut out: Vec<IndexMeta> = entries
        .filter_map(std::result::Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .filter_map(|e| read_meta(&e.path()).ok())
        .collect();
    out.sort_by(|a, b| a.corpus.cmp(&b.corpus));
    out
}

fn read_meta(dir: &Path) -> Result<IndexMeta> {
    let path = dir.join(META_FILE);
    let bytes = std::fs::read(&path).map_err(|source| RagError::Io {
        path: path.clone(),
        source,
    })?;
    let meta: IndexMeta = serde_json::from_slice(&bytes).map_err(|e| RagError::Invalid {
        path: path.clone(),
        message: format!("not an index record: {e}"),
    })?;
    if meta.version != FORMAT_VERSION {
        return Err(RagError::Invalid {
            path,
            message: format!(
                "index format {} (this build reads {FORMAT_VERSION}); build it again",
                meta.version
            ),
        });
    }
    Ok(meta)
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Builds the index of the corpus stored at `corpus_path` (relative to `root`) into a fresh
/// folder, then puts it in place of the old one, so a search never sees half an index.
/// `progress(bytes read, total bytes)` is called as documents are read.
pub fn build(
    root: &Path,
    corpus: &str,
    corpus_path: &str,
    settings: &IndexSettings,
    progress: &dyn Fn(u64, u64),
    cancel: &dyn Fn() -> bool,
) -> Result<IndexMeta> {
    let started = std::time::Instant::now();
    let source = root.join(corpus_path);
    let total = std::fs::metadata(&source)
        .map_err(|e| RagError::Io {
            path: source.clone(),
            source: e,
        })?
        .len();
    let final_dir = index_dir(root, corpus);
    let parent = root.join(INDEX_DIR);
    std::fs::create_dir_all(&parent).map_err(|source| RagError::Io {
        path: parent.clone(),
        source,
    })?;
    // Named so a build killed midway is swept by the next one (and by `workspace check`).
    let tmp = crate::tmpfile::TempDir::create(&final_dir).map_err(|source| RagError::Io {
        path: parent.clone(),
        source,
    })?;
    let ix_err = |source| RagError::Index {
        path: final_dir.clone(),
        source,
    };
    let (schema, f) = schema(settings.stem);
    let index = Index::create_in_dir(tmp.path(), schema).map_err(ix_err)?;
    register_analyzers(&index);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
    let mut writer = index
        .writer_with_num_threads::<TantivyDocument>(threads, 40_000_000 * threads)
        .map_err(ix_err)?;
    // The workspace's own corpus file: a bad line there is damage, and skipping it would shift
    // the document numbers the index points at (as the workspace corpus steps do, it stops).
    let read = ReadOptions {
        bad_lines: crate::corpus::read::BadLines::Fail,
        ..ReadOptions::default()
    };
    let mut reader = DocumentReader::open(&source, read)?;
    let (mut documents, mut passages, mut articles) = (0u64, 0u64, 0u64);
    let mut seen_articles: HashSet<(u64, String)> = HashSet::new();
    while let Some(doc) = reader.next() {
        let doc = doc?;
        if cancel() {
            return Err(RagError::Cancelled);
        }
        let doc_id = match &doc.id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        for p in chunk(documents, &doc_id, &doc.text, settings) {
            let mut d = TantivyDocument::default();
            d.add_u64(f.doc, p.doc);
            d.add_text(f.doc_id, &p.doc_id);
            d.add_text(f.label, &p.label);
            if let Some(a) = &p.article {
                d.add_text(f.article, a);
                if seen_articles.insert((p.doc, a.clone())) {
                    articles += 1;
                }
            }
            d.add_text(f.ascii, &p.label);
            d.add_text(f.ascii, &p.text);
            d.add_text(f.prefix, &p.label);
            d.add_text(f.prefix, &p.text);
            d.add_text(f.title, &p.title);
            d.add_text(f.text, &p.text);
            writer.add_document(d).map_err(ix_err)?;
            passages += 1;
        }
        documents += 1;
        if documents % 64 == 0 {
            progress(reader.bytes_read.min(total), total);
        }
    }
    writer.commit().map_err(ix_err)?;
    writer.wait_merging_threads().map_err(ix_err)?;
    let meta = IndexMeta {
        version: FORMAT_VERSION,
        corpus: corpus.to_owned(),
        corpus_path: corpus_path.to_owned(),
        settings: settings.clone(),
        documents,
        passages,
        articles,
        built_at: unix_now(),
        build_secs: started.elapsed().as_secs_f64(),
    };
    let meta_path = tmp.path().join(META_FILE);
    let json = serde_json::to_vec_pretty(&meta).map_err(|e| RagError::Invalid {
        path: meta_path.clone(),
        message: e.to_string(),
    })?;
    std::fs::write(&meta_path, json).map_err(|source| RagError::Io {
        path: meta_path.clone(),
        source,
    })?;
    // Swap: the old index moves aside, the new one takes its name, the old one goes.
    tmp.persist(&final_dir).map_err(|source| RagError::Io {
        path: final_dir.clone(),
        source,
    })?;
    progress(total, total);
    Ok(meta)
}

/// An open index, ready for questions.
pub struct Retriever {
    dir: PathBuf,
    reader: IndexReader,
    fields: Fields,
    pub meta: IndexMeta,
}

impl std::fmt::Debug for Retriever {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Retriever")
            .field("dir", &self.dir)
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

impl Retriever {
    /// Opens the index of `corpus` in the workspace at `root`.
    pub fn open_corpus(root: &Path, corpus: &str) -> Result<Self> {
        let dir = index_dir(root, corpus);
        if !dir.join(META_FILE).is_file() {
            return Err(RagError::Missing {
                path: dir,
                corpus: corpus.to_owned(),
            });
        }
        Self::open(&dir)
    }

    pub fn open(dir: &Path) -> Result<Self> {
        let meta = read_meta(dir)?;
        let ix_err = |source| RagError::Index {
            path: dir.to_owned(),
            source,
        };
        let index = Index::open_in_dir(dir).map_err(ix_err)?;
        register_analyzers(&index);
        let fields = fields_of(&index.schema(), dir)?;
        let reader = index.reader().map_err(ix_err)?;
        Ok(Self {
            dir: dir.to_owned(),
            reader,
            fields,
            meta,
        })
    }

    /// The `k` passages that answer `question` best, best first. An article number in the
    /// question (`9-cu maddə`, `maddə 9`) weighs heavily towards that article.
    pub fn search(&self, question: &str, k: usize) -> Result<Vec<Hit>> {
        let f = &self.fields;
        let stemmed = self.meta.settings.stem;
        let stop: HashSet<String> = QUESTION_WORDS.iter().map(|w| fold_word(w)).collect();
        let mode = if stemmed { Mode::Stems } else { Mode::Words };
        // (field, term, weight), each once.
        let mut wanted: Vec<(Field, String, f32)> = Vec::new();
        let mut want = |field: Field, term: String, weight: f32| {
            if !term.is_empty() && !wanted.iter().any(|(f, t, _)| *f == field && *t == term) {
                wanted.push((field, term, weight));
            }
        };
        for range in word_spans(question) {
            let word = &question[range];
            if stop.contains(&fold_word(word)) {
                continue;
            }
            // The stem weighs most; a variant without its last vowel is a weaker guess.
            for (i, term) in terms_of(word, mode).into_iter().enumerate() {
                let weight = if i == 0 { 1.0 } else { 0.5 };
                want(f.text, term.clone(), weight);
                want(f.label, term.clone(), LABEL_WEIGHT * weight);
                want(f.title, term, TITLE_WEIGHT * weight);
            }
            for term in terms_of(word, Mode::Ascii) {
                want(f.ascii, term, 0.3);
            }
            if word.chars().count() > PREFIX {
                for term in terms_of(word, Mode::Prefix) {
                    want(f.prefix, term, 0.5);
                }
            }
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let term_query = |field: Field, text: &str, boost: f32| -> Box<dyn Query> {
            let q = TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::WithFreqs,
            );
            if (boost - 1.0).abs() < f32::EPSILON {
                Box::new(q)
            } else {
                Box::new(BoostQuery::new(Box::new(q), boost))
            }
        };
        for (field, term, weight) in &wanted {
            clauses.push((Occur::Should, term_query(*field, term, *weight)));
        }
        for number in article_numbers(question) {
            clauses.push((Occur::Should, term_query(f.article, &number, 8.0)));
        }
        if clauses.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let ix_err = |source| RagError::Index {
            path: self.dir.clone(),
            source,
        };
        let top = searcher
            .search(&query, &TopDocs::with_limit(k).order_by_score())
            .map_err(ix_err)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let d: TantivyDocument = searcher.doc(address).map_err(ix_err)?;
            let text_of = |field: Field| {
                d.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned()
            };
            hits.push(Hit {
                score,
                doc: d.get_first(f.doc).and_then(|v| v.as_u64()).unwrap_or(0),
                doc_id: text_of(f.doc_id),
                label: text_of(f.label),
                article: d
                    .get_first(f.article)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
                text: text_of(f.text),
            });
        }
        Ok(hits)
    }
}

/// Article numbers a question names: `maddə 12`, `12-ci maddə`, `12.3-cü maddəsi`, `article 5`.
pub fn article_numbers(question: &str) -> Vec<String> {
    let words = analyze(question, false);
    let is_number = |w: &str| w.starts_with(|c: char| c.is_ascii_digit());
    let is_article_word =
        |w: &str| w.starts_with("madd") || w.starts_with("стат") || w == "article";
    let mut out: Vec<String> = Vec::new();
    for (i, (_, word)) in words.iter().enumerate() {
        if !is_article_word(word) {
            continue;
        }
        // "maddə 12", or "12-ci maddə" (the number, maybe an ordinal ending, then the word).
        let after = words.get(i + 1).filter(|(_, w)| is_number(w));
        let before = (1..=2)
            .filter_map(|back| i.checked_sub(back).map(|j| &words[j]))
            .find(|(_, w)| is_number(w));
        for (range, _) in after.into_iter().chain(before) {
            // The whole number as written (`7-1`, `12.3`); a hyphen before letters is an
            // ordinal ending (`12-ci`), which `take_while` stops before.
            let tail = &question[range.start..];
            let mut number: String = tail
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
                .collect();
            while number.ends_with(['-', '.']) {
                number.pop();
            }
            if !number.is_empty() && !out.contains(&number) {
                out.push(number);
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Prompts

/// The prompt template a new conversation starts with: `{context}` is the numbered passages,
/// `{question}` the user's words.
pub const DEFAULT_TEMPLATE: &str = "Aşağıdakı mətnlərə əsaslanaraq suala cavab ver. Cavabda istifadə etdiyin mətnin nömrəsini göstər.\n\n{context}\n\nSual: {question}";

/// The template for a model whose window has no room for the instruction (a context of a few
/// hundred tokens): the passages and the question alone.
pub const COMPACT_TEMPLATE: &str = "{context}\n\nSual: {question}";

/// The template filled in: each passage as `[n] label` and its text.
pub fn build_prompt(template: &str, question: &str, hits: &[Hit]) -> String {
    let context = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            // The text starts with the article's heading, which the label already carries.
            let text = match h.text.split_once('\n') {
                Some((first, rest)) if h.label.contains(first.trim()) => rest,
                _ => h.text.as_str(),
            };
            format!("[{}] {}\n{}", i + 1, h.label, text.trim())
        })
        .collect::<Vec<_>>()
        .join("\n\n");
    let template = if template.contains("{question}") {
        template
    } else {
        DEFAULT_TEMPLATE
    };
    template
        .replace("{context}", &context)
        .replace("{question}", question.trim())
}

/// How much of `answer` each passage accounts for: the share of the answer's distinct words (of
/// four letters or more, folded and stemmed) found in the passage, and whether the answer cites
/// it as `[n]`. A passage counts as used at 0.3 or above, or when cited.
pub fn passages_used(answer: &str, hits: &[Hit]) -> Vec<(f32, bool)> {
    let words = |text: &str| -> HashSet<String> {
        analyze(text, true)
            .into_iter()
            .map(|(_, w)| w)
            .filter(|w| w.chars().count() >= 4)
            .collect()
    };
    let answer_words = words(answer);
    hits.iter()
        .enumerate()
        .map(|(i, h)| {
            let cited = answer.contains(&format!("[{}]", i + 1));
            let overlap = if answer_words.is_empty() {
                0.0
            } else {
                let passage = words(&h.text);
                answer_words.iter().filter(|w| passage.contains(*w)).count() as f32
                    / answer_words.len() as f32
            };
            (overlap, cited || overlap >= 0.3)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_the_azerbaijani_way() {
        assert_eq!(fold_word("İSTİFADƏ"), "istifadə");
        assert_eq!(fold_word("IŞIQ"), "ışıq");
        assert_eq!(fold_word("mәhkәmә"), "məhkəmə"); // Cyrillic ә
        assert_eq!(ascii_fold("şəxsiyyət çığır"), "sexsiyyet cigir");
        let terms: Vec<String> = analyze("Məcəlləsinin 9-cu maddəsi, İŞ!", true)
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(terms, ["məcəllə", "9", "cu", "maddə", "iş"]);
    }

    #[test]
    fn stems_share_forms() {
        for (word, expected) in [
            ("kitablarımızdan", "kitab"),
            ("nikahın", "nikah"),
            ("nikahın", "nikah"),
            ("maddə", "maddə"),
            ("maddəsi", "maddə"),
            ("maddəsinin", "maddə"),
            ("kitabda", "kitab"),
            ("vergisi", "vergi"),
            ("məhkəməyə", "məhkəmə"),
            ("ailə", "ailə"),
            ("uşaqların", "uşaq"),
            ("12", "12"),
        ] {
            assert_eq!(stem(&fold_word(word)), expected, "{word}");
        }
    }

    #[test]
    fn article_headings_and_numbers() {
        assert_eq!(
            article_heading("## Maddə 7-1. Mediasiya").as_deref(),
            Some("7-1")
        );
        assert_eq!(article_heading("Maddə 12. Nikah").as_deref(), Some("12"));
        assert_eq!(article_heading("MADDƏ 3"), Some("3".into()));
        assert_eq!(article_heading("Maddələr haqqında"), None);
        assert_eq!(
            article_heading("## Madd ə 7-1. Ail ə").as_deref(),
            Some("7-1")
        );
        assert_eq!(article_heading("Maddə bir neçə sözdən sonra 5"), None);
        assert_eq!(
            article_numbers("Ailə Məcəlləsinin 9-cu maddəsi nə deyir?"),
            ["9"]
        );
        assert_eq!(article_numbers("Maddə 7-1 haqqında"), ["7-1"]);
        assert_eq!(article_numbers("maddə 12.3 nədir"), ["12.3"]);
        assert!(article_numbers("Nikah yaşı neçədir?").is_empty());
    }

    #[test]
    fn documents_are_cut_at_articles_then_windows() {
        let text = "# Kitabxana qaydaları\n\nGiriş sözü.\n\n## Maddə 1. Oxucular\nHər kəs oxucu ola bilər.\n\n## Maddə 2. Müddət\nKitab 14 günlüyə verilir.\n";
        let p = chunk(0, "doc-1", text, &IndexSettings::default());
        assert_eq!(p.len(), 3, "{p:#?}");
        assert_eq!(p[0].article, None);
        assert_eq!(p[1].article.as_deref(), Some("1"));
        assert_eq!(p[1].label, "Kitabxana qaydaları · Maddə 1. Oxucular");
        assert!(p[2].text.contains("14 günlüyə"));
        let long = (0..500)
            .map(|i| format!("söz{i}"))
            .collect::<Vec<_>>()
            .join(" ");
        let settings = IndexSettings {
            chunk_words: 100,
            overlap_words: 20,
            stem: true,
        };
        let parts = chunk(3, "x", &long, &settings);
        assert_eq!(parts.len(), 6, "500 words in windows of 100 moving by 80");
        assert!(parts[1].text.starts_with("söz80 "));
        assert!(
            parts
                .iter()
                .all(|p| p.text.split_whitespace().count() <= 100)
        );
    }

    #[test]
    fn an_index_finds_articles_by_topic_number_and_plain_keyboard() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("corpora")).expect("mkdir");
        let docs = [
            "Maddə 1. Oxucular\nHər şəxs kitabxanaya oxucu kimi yazıla bilər.",
            "Maddə 2. İstifadə müddəti\nKitab oxucuya on dörd günlüyə verilir; müddət bir dəfə uzadıla bilər.",
            "Maddə 3. Cərimələr\nVaxtında qaytarılmayan kitab üçün hər gecikmə gününə görə cərimə ödənilir.",
            "Maddə 4. Uşaqlar\nUşaqlar üçün ayrıca oxu zalı var.",
        ];
        let jsonl: String = docs
            .iter()
            .map(|t| serde_json::json!({ "text": t }).to_string() + "\n")
            .collect();
        std::fs::write(root.join("corpora/qayda.jsonl"), jsonl).expect("write");
        let meta = build(
            root,
            "qayda",
            "corpora/qayda.jsonl",
            &IndexSettings::default(),
            &|_, _| {},
            &|| false,
        )
        .expect("build");
        assert_eq!((meta.documents, meta.passages, meta.articles), (4, 4, 4));
        let r = Retriever::open_corpus(root, "qayda").expect("open");
        let top = |q: &str| r.search(q, 2).expect("search")[0].article.clone();
        assert_eq!(
            top("Kitabı neçə günlüyə götürmək olar?").as_deref(),
            Some("2")
        );
        assert_eq!(
            top("Gecikməyə görə cəriməni kim ödəyir?").as_deref(),
            Some("3")
        );
        assert_eq!(top("4-cü maddə nə deyir?").as_deref(), Some("4"));
        assert_eq!(top("cerime odenilirmi").as_deref(), Some("3"));
        assert_eq!(top("UŞAQLARIN zalı").as_deref(), Some("4"));
        assert_eq!(list(root).len(), 1);
        // Rebuilding replaces the index in place.
        build(
            root,
            "qayda",
            "corpora/qayda.jsonl",
            &IndexSettings::default(),
            &|_, _| {},
            &|| false,
        )
        .expect("rebuild");
        assert_eq!(list(root).len(), 1);
        let missing = Retriever::open_corpus(root, "yox").expect_err("missing");
        assert!(
            missing.to_string().contains("dezgah rag index"),
            "{missing}"
        );
    }

    #[test]
    fn prompts_and_used_passages() {
        let hits = vec![
            Hit {
                score: 2.0,
                doc: 0,
                doc_id: "a".into(),
                label: "Maddə 2".into(),
                article: Some("2".into()),
                text: "Kitab oxucuya on dörd günlüyə verilir.".into(),
            },
            Hit {
                score: 1.0,
                doc: 1,
                doc_id: "b".into(),
                label: "Maddə 4".into(),
                article: Some("4".into()),
                text: "Uşaqlar üçün ayrıca zal var.".into(),
            },
        ];
        let prompt = build_prompt(DEFAULT_TEMPLATE, " Neçə gün? ", &hits);
        assert!(prompt.contains("[1] Maddə 2\nKitab oxucuya"));
        let headed = Hit {
            label: "Qaydalar · Maddə 2. Müddət".into(),
            text: "Maddə 2. Müddət\nOn dörd gün.".into(),
            ..hits[0].clone()
        };
        assert!(
            build_prompt("{context}|{question}", "?", &[headed])
                .starts_with("[1] Qaydalar · Maddə 2. Müddət\nOn dörd gün.|")
        );
        assert!(prompt.contains("[2] Maddə 4"));
        assert!(prompt.ends_with("Sual: Neçə gün?"));
        let used = passages_used("Kitab oxucuya dörd günlüyə verilir.", &hits);
        assert!(used[0].1 && !used[1].1, "{used:?}");
        let cited = passages_used("Bax [2].", &hits);
        assert!(cited[1].1);
    }
}
