//! Document quality filters in the style of Gopher (Rae et al. 2021) and C4 (Raffel et al.
//! 2020): length, word length, symbol and digit ratios, lines that are bullets or end in
//! ellipses, repeated lines and n-grams, and boilerplate. Each filter has its threshold; a
//! document fails a filter when it crosses it, and the caller decides what to do with it.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::corpus::text::to_lower_az;

/// Thresholds; the defaults are Gopher's, with C4's boilerplate idea applied to Azerbaijani
/// web text.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QualityConfig {
    pub min_words: usize,
    pub max_words: usize,
    pub min_mean_word_len: f64,
    pub max_mean_word_len: f64,
    /// `#` and `…` per word.
    pub max_symbol_ratio: f64,
    /// Digits among all non-space characters.
    pub max_digit_ratio: f64,
    /// Share of words with no letter at all.
    pub max_non_alpha_words: f64,
    pub max_bullet_lines: f64,
    pub max_ellipsis_lines: f64,
    /// Share of lines that repeat an earlier line of the same document.
    pub max_duplicate_lines: f64,
    /// Share of characters in the most frequent word bigram.
    pub max_top_bigram_chars: f64,
    /// Share of characters in word 5-grams that occur more than once.
    pub max_repeated_5gram_chars: f64,
    /// Share of lines that are boilerplate (cookie notices, "all rights reserved" …).
    pub max_boilerplate_lines: f64,
}

impl Default for QualityConfig {
    fn default() -> Self {
        Self {
            min_words: 50,
            max_words: 100_000,
            min_mean_word_len: 3.0,
            max_mean_word_len: 12.0,
            max_symbol_ratio: 0.1,
            max_digit_ratio: 0.25,
            max_non_alpha_words: 0.2,
            max_bullet_lines: 0.9,
            max_ellipsis_lines: 0.3,
            max_duplicate_lines: 0.3,
            max_top_bigram_chars: 0.2,
            max_repeated_5gram_chars: 0.15,
            max_boilerplate_lines: 0.5,
        }
    }
}

/// Why a document failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    TooShort,
    TooLong,
    WordLength,
    Symbols,
    Digits,
    NonAlphabetic,
    Bullets,
    Ellipses,
    DuplicateLines,
    TopBigram,
    RepeatedNgrams,
    Boilerplate,
}

impl Flag {
    pub const ALL: [Self; 12] = [
        Self::TooShort,
        Self::TooLong,
        Self::WordLength,
        Self::Symbols,
        Self::Digits,
        Self::NonAlphabetic,
        Self::Bullets,
        Self::Ellipses,
        Self::DuplicateLines,
        Self::TopBigram,
        Self::RepeatedNgrams,
        Self::Boilerplate,
    ];
}

/// Lower-cased fragments that mark a line as site furniture rather than content.
const BOILERPLATE: &[&str] = &[
    "bütün hüquqlar qorunur",
    "müəllif hüquqları qorunur",
    "cookie",
    "kukilər",
    "məxfilik siyasəti",
    "istifadə şərtləri",
    "paylaş",
    "şərh yaz",
    "bizi izləyin",
    "abunə ol",
    "all rights reserved",
    "privacy policy",
    "javascript",
    "lorem ipsum",
];

/// The filters `text` fails under `config` (empty: it passes).
pub fn assess(text: &str, config: &QualityConfig) -> Vec<Flag> {
    let mut flags = Vec::new();
    let words: Vec<&str> = text.split_whitespace().collect();
    let n = words.len();
    if n < config.min_words {
        flags.push(Flag::TooShort);
    }
    if n > config.max_words {
        flags.push(Flag::TooLong);
    }
    if n == 0 {
        return flags;
    }
    let word_chars: usize = words.iter().map(|w| w.chars().count()).sum();
    let mean = word_chars as f64 / n as f64;
    if mean < config.min_mean_word_len || mean > config.max_mean_word_len {
        flags.push(Flag::WordLength);
    }
    let symbols =
        text.matches('#').count() + text.matches('…').count() + text.matches("...").count();
    if symbols as f64 / n as f64 > config.max_symbol_ratio {
        flags.push(Flag::Symbols);
    }
    let non_space = text.chars().filter(|c| !c.is_whitespace()).count().max(1);
    let digits = text.chars().filter(char::is_ascii_digit).count();
    if digits as f64 / non_space as f64 > config.max_digit_ratio {
        flags.push(Flag::Digits);
    }
    let non_alpha = words
        .iter()
        .filter(|w| !w.chars().any(char::is_alphabetic))
        .count();
    if non_alpha as f64 / n as f64 > config.max_non_alpha_words {
        flags.push(Flag::NonAlphabetic);
    }

    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let line_count = lines.len().max(1) as f64;
    let bullets = lines
        .iter()
        .filter(|l| l.starts_with(['•', '-', '*', '–', '·', '▪']))
        .count();
    if bullets as f64 / line_count > config.max_bullet_lines {
        flags.push(Flag::Bullets);
    }
    let ellipses = lines
        .iter()
        .filter(|l| l.ends_with("...") || l.ends_with('…'))
        .count();
    if ellipses as f64 / line_count > config.max_ellipsis_lines {
        flags.push(Flag::Ellipses);
    }
    let mut seen = HashSet::new();
    let repeated = lines.iter().filter(|l| !seen.insert(**l)).count();
    if repeated as f64 / line_count > config.max_duplicate_lines {
        flags.push(Flag::DuplicateLines);
    }
    let boiler = lines
        .iter()
        .filter(|l| {
            let lower = to_lower_az(l);
            BOILERPLATE.iter().any(|b| lower.contains(b))
        })
        .count();
    if boiler as f64 / line_count > config.max_boilerplate_lines {
        flags.push(Flag::Boilerplate);
    }

    let lower: Vec<String> = words.iter().map(|w| to_lower_az(w)).collect();
    let total_chars = word_chars.max(1) as f64;
    if n >= 2 {
        let mut bigrams: HashMap<(&str, &str), usize> = HashMap::new();
        for w in lower.windows(2) {
            *bigrams.entry((&w[0], &w[1])).or_insert(0) += 1;
        }
        // The repeated bigram covering the most characters (ties in count go to the longer).
        let top_chars = bigrams
            .iter()
            .filter(|(_, count)| **count > 1)
            .map(|((a, b), count)| (a.chars().count() + b.chars().count()) * count)
            .max()
            .unwrap_or(0);
        if top_chars as f64 / total_chars > config.max_top_bigram_chars {
            flags.push(Flag::TopBigram);
        }
    }
    if n >= 5 {
        let mut grams: HashMap<&[String], usize> = HashMap::new();
        for g in lower.windows(5) {
            *grams.entry(g).or_insert(0) += 1;
        }
        // Characters of words covered by a 5-gram that occurs again.
        let mut covered = vec![false; n];
        for (i, g) in lower.windows(5).enumerate() {
            if grams.get(g).copied().unwrap_or(0) > 1 {
                covered[i..i + 5].iter_mut().for_each(|c| *c = true);
            }
        }
        let repeated_chars: usize = covered
            .iter()
            .zip(&words)
            .filter(|(c, _)| **c)
            .map(|(_, w)| w.chars().count())
            .sum();
        if repeated_chars as f64 / total_chars > config.max_repeated_5gram_chars {
            flags.push(Flag::RepeatedNgrams);
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "Azərbaycan Respublikasının paytaxtı Bakı şəhəri Xəzər dənizinin qərb \
        sahilində, Abşeron yarımadasının cənubunda yerləşir. Şəhər qədim tarixi, Qız qalası və \
        Şirvanşahlar sarayı kimi abidələri ilə tanınır. Son illərdə burada yeni parklar, \
        muzeylər və nəqliyyat xətləri salınıb, sakinlərin həyat şəraiti xeyli yaxşılaşıb. \
        Bakının iqlimi mülayim isti və quraqdır, yayda hava tez-tez küləkli olur.";

    #[test]
    fn ordinary_prose_passes() {
        assert_eq!(assess(GOOD, &QualityConfig::default()), Vec::<Flag>::new());
    }

    #[test]
    fn each_kind_of_noise_is_flagged() {
        let c = QualityConfig::default();
        assert!(assess("Qısa mətn.", &c).contains(&Flag::TooShort));
        let digits = "2021 1234 5678 9012 3456 7890 ".repeat(20);
        assert!(assess(&digits, &c).contains(&Flag::Digits));
        assert!(assess(&digits, &c).contains(&Flag::NonAlphabetic));
        let repeated = "Endirim! Ən ucuz qiymətlər burada. ".repeat(20);
        let flags = assess(&repeated, &c);
        assert!(flags.contains(&Flag::TopBigram), "{flags:?}");
        assert!(flags.contains(&Flag::RepeatedNgrams), "{flags:?}");
        let lines = format!("{GOOD}\n{}", "Bütün hüquqlar qorunur.\n".repeat(5));
        assert!(assess(&lines, &c).contains(&Flag::DuplicateLines));
        let boiler = "Paylaş\nŞərh yaz\nBizi izləyin: facebook\nBütün hüquqlar qorunur © 2024\n";
        let relaxed = QualityConfig { min_words: 1, ..c };
        assert!(assess(boiler, &relaxed).contains(&Flag::Boilerplate));
        let bullets = "- bir\n- iki\n- üç\n- dörd\n".repeat(5);
        assert!(assess(&bullets, &relaxed).contains(&Flag::Bullets));
        let hashtags = "#xəbər #bakı #gündəm #idman ".repeat(10);
        assert!(assess(&hashtags, &relaxed).contains(&Flag::Symbols));
    }

    #[test]
    fn thresholds_are_the_users() {
        let lenient = QualityConfig {
            min_words: 1,
            ..QualityConfig::default()
        };
        assert!(!assess("Qısa mətn.", &lenient).contains(&Flag::TooShort));
    }
}

/// What [`filter_files`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FilterReport {
    pub config: Option<QualityConfig>,
    pub documents_in: u64,
    pub documents_out: u64,
    /// Documents failing each filter (a document can fail several).
    pub failed_by_filter: std::collections::BTreeMap<Flag, u64>,
    /// Up to five ids per filter, to look at.
    pub examples: std::collections::BTreeMap<Flag, Vec<serde_json::Value>>,
    pub bad_lines: u64,
    /// The first unreadable lines, as `file:line: reason`.
    pub bad_line_examples: Vec<String>,
    pub seconds: f64,
}

/// Streams `inputs`; documents passing every filter go to `output`, the others (with their
/// flags in a `quality_flags` field) to `rejected` when given. Both files appear whole or not
/// at all.
pub fn filter_files(
    inputs: &[std::path::PathBuf],
    output: &std::path::Path,
    rejected: Option<&std::path::Path>,
    config: &QualityConfig,
    read: &crate::corpus::read::ReadOptions,
    ctx: Option<&crate::jobs::JobCtx>,
) -> Result<FilterReport, crate::corpus::clean::CleanError> {
    use crate::corpus::progress::InputProgress;
    use crate::corpus::read::DocumentReader;
    use crate::corpus::write::JsonlSink;

    let started = std::time::Instant::now();
    let mut progress = InputProgress::new(ctx, inputs, output);
    let mut kept = JsonlSink::create(output)?;
    let mut dropped = rejected.map(JsonlSink::create).transpose()?;
    let mut report = FilterReport {
        config: Some(*config),
        ..FilterReport::default()
    };
    let mut bad = crate::corpus::read::BadLineLog::default();
    for input in inputs {
        let mut reader = DocumentReader::open(input, read.clone())?;
        while let Some(doc) = reader.next() {
            let mut doc = doc?;
            progress.document(reader.bytes_read)?;
            report.documents_in += 1;
            let flags = assess(&doc.text, config);
            if flags.is_empty() {
                kept.write(&doc.id, &doc.text, &doc.extra)?;
                report.documents_out += 1;
            } else {
                for flag in &flags {
                    *report.failed_by_filter.entry(*flag).or_insert(0) += 1;
                    let examples = report.examples.entry(*flag).or_default();
                    if examples.len() < 5 {
                        examples.push(doc.id.clone());
                    }
                }
                if let Some(sink) = dropped.as_mut() {
                    let flags = serde_json::to_value(&flags).unwrap_or_default();
                    doc.extra.insert("quality_flags".into(), flags);
                    sink.write(&doc.id, &doc.text, &doc.extra)?;
                }
            }
        }
        progress.file_done(input);
        bad.absorb(&reader.problems);
    }
    report.bad_lines = bad.count();
    report.bad_line_examples = bad.examples();
    crate::corpus::read::ensure_documents(inputs, report.documents_in, &bad)?;
    kept.finish()?;
    if let Some(sink) = dropped {
        sink.finish()?;
    }
    progress.finish();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Applies `name=value` overrides to the default thresholds, refusing unknown names.
pub fn config_with(overrides: &[String]) -> Result<QualityConfig, String> {
    let mut value = serde_json::to_value(QualityConfig::default()).map_err(|e| e.to_string())?;
    let known: Vec<String> = value
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    for item in overrides {
        let (name, raw) = item
            .split_once('=')
            .ok_or_else(|| format!("{item:?}: expected NAME=VALUE"))?;
        if !known.iter().any(|k| k == name) {
            return Err(format!(
                "unknown threshold {name:?}; known: {}",
                known.join(", ")
            ));
        }
        let number: f64 = raw
            .parse()
            .map_err(|_| format!("{item:?}: {raw:?} is not a number"))?;
        value[name] = if name.ends_with("_words") {
            // A count: NaN, a fraction or a negative number would have become 0 or been cut.
            if !(number.is_finite() && number >= 0.0 && number.fract() == 0.0) {
                return Err(format!(
                    "--set {item}: {name} must be a whole number, at least 0"
                ));
            }
            serde_json::json!(number as u64)
        } else if number.is_finite() {
            serde_json::json!(number)
        } else {
            return Err(format!("--set {item}: {name} must be a finite number"));
        };
    }
    let config: QualityConfig = serde_json::from_value(value).map_err(|e| e.to_string())?;
    config
        .validate()
        .map_err(|e| format!("--set {}={}: {}", e.field, e.value, e.rule()))?;
    Ok(config)
}

#[cfg(test)]
mod config_tests {
    use super::*;

    #[test]
    fn overrides_apply_and_unknown_names_are_refused() {
        let c = config_with(&["min_words=5".into(), "max_digit_ratio=0.5".into()]).expect("ok");
        assert_eq!(c.min_words, 5);
        assert!((c.max_digit_ratio - 0.5).abs() < 1e-9);
        assert!(
            config_with(&["min_wordz=5".into()])
                .expect_err("unknown name")
                .contains("known")
        );
        assert!(config_with(&["min_words".into()]).is_err());
    }
}
