//! The cleaning pipeline: each rule optional, applied in a fixed order, with a count of the
//! documents each rule changed. `clean_files` streams inputs to one JSONL output, written
//! atomically (a temp file renamed into place at the end).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::corpus::progress::InputProgress;
use crate::corpus::read::{BadLineLog, DocumentReader, ReadError, ReadOptions};
use crate::corpus::split_words::{self, Lexicon};
use crate::corpus::text::{self, SourceText as _};
use crate::corpus::write::JsonlSink;
use crate::jobs::JobCtx;

/// Which rules to apply. Order when applied: NFC, schwa look-alikes, mixed-script words,
/// split-word repair (before white space, which would erase the double spaces that mark real
/// word breaks in split text), white space, transliteration (which documents, `source` says).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Rules {
    pub nfc: bool,
    pub schwa: bool,
    pub mixed_script: bool,
    pub split_words: bool,
    pub whitespace: bool,
    pub transliterate: bool,
    /// What the text is written in: not a rule, but what transliteration converts.
    pub source: text::Source,
}

impl Rules {
    pub fn all() -> Self {
        Self {
            nfc: true,
            schwa: true,
            mixed_script: true,
            split_words: true,
            whitespace: true,
            transliterate: true,
            source: text::Source::Auto,
        }
    }

    /// Whether any rule is on (the source alone changes nothing).
    pub fn any(&self) -> bool {
        Self {
            source: text::Source::Auto,
            ..*self
        } != Self::default()
    }

    /// Whether the shape-based mixed-script fix runs: not in text declared Cyrillic that is
    /// transliterated, where it would turn a Cyrillic letter beside a stray Latin one into the
    /// Latin letter it looks like (н → H) instead of the one it sounds like (n).
    fn fixes_mixed_script(self) -> bool {
        self.mixed_script && !(self.transliterate && self.source == text::Source::AzCyrl)
    }
}

/// Documents each rule changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RuleCounts {
    pub nfc: u64,
    pub schwa: u64,
    pub mixed_script: u64,
    pub split_words: u64,
    pub whitespace: u64,
    pub transliterate: u64,
}

fn step<'a>(
    current: Cow<'a, str>,
    enabled: bool,
    counter: &mut u64,
    rule: impl Fn(&str) -> Cow<'_, str>,
) -> Cow<'a, str> {
    if !enabled {
        return current;
    }
    let changed = match rule(&current) {
        Cow::Borrowed(_) => None,
        Cow::Owned(s) => Some(s),
    };
    match changed {
        Some(s) => {
            *counter += 1;
            Cow::Owned(s)
        }
        None => current,
    }
}

/// The rules before split-word repair: what the repair's vocabulary is learned from.
fn clean_before_split<'a>(input: &'a str, rules: Rules, counts: &mut RuleCounts) -> Cow<'a, str> {
    let t = Cow::Borrowed(input);
    let t = step(t, rules.nfc, &mut counts.nfc, text::nfc);
    let t = step(t, rules.schwa, &mut counts.schwa, text::fold_schwa);
    step(
        t,
        rules.fixes_mixed_script(),
        &mut counts.mixed_script,
        text::fix_mixed_script_words,
    )
}

/// Cleans one document, counting the rules that changed it. Split-word repair needs the
/// corpus's vocabulary (see [`learn_lexicon`]); without one that rule is skipped.
pub fn clean_text<'a>(
    input: &'a str,
    rules: Rules,
    lexicon: Option<&Lexicon>,
    counts: &mut RuleCounts,
) -> Cow<'a, str> {
    let t = clean_before_split(input, rules, counts);
    let t = match lexicon {
        Some(lexicon) => step(t, rules.split_words, &mut counts.split_words, |s| {
            split_words::repair(s, lexicon)
        }),
        None => t,
    };
    let t = step(
        t,
        rules.whitespace,
        &mut counts.whitespace,
        text::clean_whitespace,
    );
    let cyrillic_az = rules.transliterate && rules.source.converts(&t);
    step(
        t,
        cyrillic_az,
        &mut counts.transliterate,
        text::transliterate_cyrillic,
    )
}

/// Reads every input once to learn the vocabulary split-word repair needs.
pub fn learn_lexicon(
    inputs: &[PathBuf],
    rules: Rules,
    read: &ReadOptions,
    ctx: Option<&JobCtx>,
) -> Result<Lexicon, CleanError> {
    learn_lexicon_with(inputs, rules, read, &mut |input, n| {
        if n % 4096 == 0 && ctx.is_some_and(JobCtx::is_cancelled) {
            return Err(CleanError::Cancelled {
                path: input.to_owned(),
            });
        }
        Ok(())
    })
}

/// [`learn_lexicon`] calling `each` after every document (with its file and number there),
/// which reports progress and stops the pass by returning an error.
pub fn learn_lexicon_with(
    inputs: &[PathBuf],
    rules: Rules,
    read: &ReadOptions,
    each: &mut dyn FnMut(&std::path::Path, usize) -> Result<(), CleanError>,
) -> Result<Lexicon, CleanError> {
    let mut lexicon = Lexicon::new();
    let mut scratch = RuleCounts::default();
    for input in inputs {
        let mut reader = DocumentReader::open(input, read.clone())?;
        for (n, doc) in reader.by_ref().enumerate() {
            let doc = doc?;
            lexicon.add_text(&clean_before_split(&doc.text, rules, &mut scratch));
            each(input, n)?;
        }
    }
    Ok(lexicon)
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CleanReport {
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    pub rules: Rules,
    pub documents_in: u64,
    pub documents_out: u64,
    /// Documents that were empty after cleaning and were dropped.
    pub documents_emptied: u64,
    pub changed_by_rule: RuleCounts,
    /// Distinct words learned for split-word repair (0 when that rule is off).
    pub lexicon_words: u64,
    pub bad_lines: u64,
    /// The first bad lines, as `file:line: reason`.
    pub bad_line_examples: Vec<String>,
    pub bytes_in: u64,
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CleanError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cancelled; {path} was not written")]
    Cancelled { path: PathBuf },
}

/// Streams every input through the rules into `output` (JSONL: `id`, `text`, then the input's
/// other fields). Nothing is written at `output` unless the whole run succeeds.
pub fn clean_files(
    inputs: &[PathBuf],
    output: &Path,
    rules: Rules,
    read: &ReadOptions,
    ctx: Option<&JobCtx>,
) -> Result<CleanReport, CleanError> {
    let started = std::time::Instant::now();
    let mut progress = InputProgress::new(ctx, inputs, output);
    let mut sink = JsonlSink::create(output)?;
    let mut report = CleanReport {
        inputs: inputs.to_vec(),
        output: output.to_owned(),
        rules,
        ..CleanReport::default()
    };
    let lexicon = if rules.split_words {
        let lexicon = learn_lexicon(inputs, rules, read, ctx)?;
        report.lexicon_words = lexicon.len() as u64;
        Some(lexicon)
    } else {
        None
    };
    let mut bad = BadLineLog::default();
    for input in inputs {
        let mut reader = DocumentReader::open(input, read.clone())?;
        while let Some(doc) = reader.next() {
            let doc = doc?;
            progress.document(reader.bytes_read)?;
            report.documents_in += 1;
            let cleaned = clean_text(
                &doc.text,
                rules,
                lexicon.as_ref(),
                &mut report.changed_by_rule,
            );
            if cleaned.trim().is_empty() {
                report.documents_emptied += 1;
                continue;
            }
            let cleaned = cleaned.into_owned();
            sink.write(&doc.id, &cleaned, &doc.extra)?;
            report.documents_out += 1;
        }
        progress.file_done(input);
        report.bytes_in += reader.bytes_read;
        bad.absorb(&reader.problems);
    }
    report.bad_lines = bad.count();
    report.bad_line_examples = bad.examples();
    crate::corpus::read::ensure_documents(inputs, report.documents_in, &bad)?;
    sink.finish()?;
    progress.finish();
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_apply_in_order_and_are_counted() {
        let mut counts = RuleCounts::default();
        let out = clean_text("  vә  Azеrbaycan\u{200B} ", Rules::all(), None, &mut counts);
        assert_eq!(out, "və Azerbaycan");
        assert_eq!(
            counts,
            RuleCounts {
                whitespace: 1,
                schwa: 1,
                mixed_script: 1,
                ..RuleCounts::default()
            }
        );
        let cyr = clean_text(
            "Бүтүн инсанлар ләјагәт вә һүгугларына ҝөрә азад вә бәрабәр доғулурлар.",
            Rules::all(),
            None,
            &mut counts,
        );
        assert_eq!(
            cyr,
            "Bütün insanlar ləyaqət və hüquqlarına görə azad və bərabər doğulurlar."
        );
        assert_eq!(counts.transliterate, 1);
        // Russian is not transliterated.
        let ru = "Все люди рождаются свободными.";
        assert_eq!(clean_text(ru, Rules::all(), None, &mut counts), ru);
    }

    #[test]
    fn a_cyrillic_source_converts_names_detection_leaves() {
        let mut counts = RuleCounts::default();
        // A short heading without ә ғ ҝ ө ү һ ҹ ј, and a stray Latin a in a Cyrillic word.
        let heading = "Сабир Исмаилов. Бaкы";
        assert_eq!(
            clean_text(heading, Rules::all(), None, &mut counts),
            heading
        );
        assert_eq!(counts.transliterate, 0);
        let cyrillic = Rules {
            source: text::Source::AzCyrl,
            ..Rules::all()
        };
        assert_eq!(
            clean_text(heading, cyrillic, None, &mut counts),
            "Sabir İsmailov. Bakı"
        );
        assert_eq!((counts.transliterate, counts.mixed_script), (1, 0));
        // A Latin corpus keeps a Cyrillic quotation, even one detection would convert.
        let latin = Rules {
            source: text::Source::AzLatn,
            ..Rules::all()
        };
        let quoted = "Şeir: «Бүтүн инсанлар ләјагәт вә һүгугларына ҝөрә азад»";
        assert_eq!(clean_text(quoted, latin, None, &mut counts), quoted);
        // The source is no rule of its own.
        assert!(
            !Rules {
                source: text::Source::AzCyrl,
                ..Rules::default()
            }
            .any()
        );
    }

    #[test]
    fn disabled_rules_do_nothing() {
        let mut counts = RuleCounts::default();
        let text = "  vә ";
        assert_eq!(clean_text(text, Rules::default(), None, &mut counts), text);
        assert_eq!(counts, RuleCounts::default());
    }

    #[test]
    fn clean_files_writes_whole_output_or_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.jsonl");
        std::fs::write(
            &input,
            "{\"id\":\"a\",\"text\":\"vә  dә\",\"src\":1}\n{\"text\":\"   \"}\nnot json\n{\"id\":\"c\",\"text\":\"Salam\"}\n",
        )
        .expect("write");
        let output = dir.path().join("out.jsonl");
        let report = clean_files(
            std::slice::from_ref(&input),
            &output,
            Rules::all(),
            &ReadOptions::default(),
            None,
        )
        .expect("clean");
        assert_eq!(report.documents_in, 3);
        assert_eq!(report.documents_out, 2);
        assert_eq!(report.documents_emptied, 1);
        assert_eq!(report.bad_lines, 1);
        assert!(report.bad_line_examples[0].contains("in.jsonl:3"));
        let written = std::fs::read_to_string(&output).expect("read");
        assert_eq!(
            written,
            "{\"id\":\"a\",\"text\":\"və də\",\"src\":1}\n{\"id\":\"c\",\"text\":\"Salam\"}\n"
        );

        // A fatal bad line leaves the previous output as it was and no temp file behind.
        let strict = ReadOptions {
            bad_lines: crate::corpus::read::BadLines::Fail,
            ..ReadOptions::default()
        };
        let err = clean_files(&[input], &output, Rules::all(), &strict, None).expect_err("strict");
        assert!(err.to_string().contains("in.jsonl:3"), "{err}");
        assert_eq!(std::fs::read_to_string(&output).expect("read"), written);
        assert_eq!(std::fs::read_dir(dir.path()).expect("ls").count(), 2);
    }
}
