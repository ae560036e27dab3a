//! `dezgah corpus …`: clean, stats, dedup, filter and export, with their flags.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;

use super::{BadLinesOpt, parse_source, report_bad_lines};

#[derive(Debug, Subcommand)]
pub enum CorpusCommand {
    /// Apply cleaning rules to JSONL or text files and write one JSONL file (ids kept)
    Clean(CleanArgs),
    /// Sizes, length histogram, scripts, languages, anomalies and frequent words
    Stats(StatsArgs),
    /// Remove exact and near duplicates (MinHash + LSH, verified by real Jaccard similarity)
    Dedup(DedupArgs),
    /// Keep documents that pass Gopher/C4-style quality filters
    Filter(FilterArgs),
    /// Write documents as JSONL or Parquet (by OUT's extension), with their provenance record
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Input files (any format `corpus stats` reads)
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// OUT.jsonl or OUT.parquet; OUT.provenance.json is written beside it
    #[arg(long, value_name = "OUT")]
    pub out: PathBuf,
    /// For .txt/.md inputs: one document per line, per blank-line-separated paragraph, or per file
    #[arg(long, value_enum, default_value_t = UnitArg::Line)]
    pub unit: UnitArg,
    /// JSONL field holding the text
    #[arg(long, default_value = "text")]
    pub text_field: String,
    #[command(flatten)]
    pub bad_lines: BadLinesOpt,
}

#[derive(Debug, clap::Args)]
pub struct FilterArgs {
    /// Input files: .jsonl (with a text field) or .txt/.md, optionally .gz or .zst
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Documents that pass every filter
    #[arg(long, value_name = "OUT.jsonl")]
    pub out: PathBuf,
    /// Documents that fail, each with its `quality_flags`
    #[arg(long, value_name = "REJECTED.jsonl")]
    pub rejected: Option<PathBuf>,
    /// Change a threshold, e.g. --set min_words=20 (repeatable; an unknown name lists the known)
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub overrides: Vec<String>,
    /// For .txt/.md inputs: one document per line, per blank-line-separated paragraph, or per file
    #[arg(long, value_enum, default_value_t = UnitArg::Line)]
    pub unit: UnitArg,
    /// JSONL field holding the text
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub bad_lines: BadLinesOpt,
}

#[derive(Debug, clap::Args)]
pub struct DedupArgs {
    /// Input files: .jsonl with `text` and optional `id` (else file:line is the id), or .txt lines
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output JSONL: one document of each duplicate cluster, with its original id and fields.
    /// With --exact it may be left out to only find the duplicates (for --report)
    #[arg(long, value_name = "OUT.jsonl", required_unless_present = "report")]
    pub out: Option<PathBuf>,
    /// Jaccard similarity at which two documents are near duplicates
    #[arg(long, default_value_t = 0.8)]
    pub threshold: f64,
    /// MinHash permutations
    #[arg(long, default_value_t = 128)]
    pub num_perm: usize,
    /// Shingle length
    #[arg(long, default_value_t = 5)]
    pub ngram: usize,
    /// Shingle by characters instead of words
    #[arg(long)]
    pub char_ngrams: bool,
    /// LSH bands (with --rows; default: chosen from the threshold)
    #[arg(long, requires = "rows")]
    pub bands: Option<usize>,
    /// LSH rows per band
    #[arg(long, requires = "bands")]
    pub rows: Option<usize>,
    /// Which document of a cluster to keep
    #[arg(long, value_enum, default_value_t = KeepArg::First)]
    pub keep: KeepArg,
    /// Write the clusters ({"kept": id, "removed": [ids]}), counts and timings here
    #[arg(long, value_name = "REPORT.json")]
    pub report: Option<PathBuf>,
    /// For .txt/.md inputs: one document per line, per blank-line-separated paragraph, or per file
    #[arg(long, value_enum, default_value_t = UnitArg::Line)]
    pub unit: UnitArg,
    /// JSONL field holding the text
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Exact duplicates only (normalised text, XXH3-128): the fast path for large JSONL
    #[arg(long, conflicts_with_all = ["threshold", "num_perm", "ngram", "char_ngrams", "bands", "rows", "keep"])]
    pub exact: bool,
    /// With --exact: texts must match byte for byte (no normalisation; fastest)
    #[arg(long, requires = "exact")]
    pub raw: bool,
    #[command(flatten)]
    pub bad_lines: BadLinesOpt,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum UnitArg {
    Line,
    Paragraph,
    File,
}

impl From<UnitArg> for crate::core::corpus::read::TextUnit {
    fn from(unit: UnitArg) -> Self {
        match unit {
            UnitArg::Line => Self::Line,
            UnitArg::Paragraph => Self::Paragraph,
            UnitArg::File => Self::File,
        }
    }
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KeepArg {
    /// The first in input order
    First,
    /// The longest text
    Longest,
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Input files: .jsonl (with a text field) or .txt/.md (one document per line), optionally .gz or .zst
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// How many of the most frequent words to list
    #[arg(long, default_value_t = 20)]
    pub top: usize,
    /// Skip language identification (faster)
    #[arg(long)]
    pub no_languages: bool,
    /// Estimate the corpus's size in this tokenizer's tokens (any tokenizer.json)
    #[arg(long, value_name = "TOKENIZER.json")]
    pub tokenizer: Option<PathBuf>,
    /// For .txt/.md inputs: one document per line, per blank-line-separated paragraph, or per file
    #[arg(long, value_enum, default_value_t = UnitArg::Line)]
    pub unit: UnitArg,
    /// JSONL field holding the text
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Print the statistics as JSON
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub bad_lines: BadLinesOpt,
}

#[derive(Debug, clap::Args)]
pub struct CleanArgs {
    /// Input files: .jsonl (with a text field) or .txt/.md (one document per line), optionally .gz or .zst
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output JSONL file (written whole or not at all)
    #[arg(long, value_name = "OUT.jsonl")]
    pub out: PathBuf,
    /// Every rule below
    #[arg(long)]
    pub all: bool,
    /// Unicode NFC
    #[arg(long)]
    pub nfc: bool,
    /// ə look-alikes (Cyrillic ә, ǝ, ä) to ə
    #[arg(long)]
    pub schwa: bool,
    /// Cyrillic to Latin by the official table, for documents detected as Cyrillic Azerbaijani
    /// (or every document, with --source az-Cyrl)
    #[arg(long)]
    pub transliterate: bool,
    /// What the inputs are written in: auto (judge each document by the letters only
    /// Azerbaijani Cyrillic has), az-Latn (never transliterate) or az-Cyrl (transliterate all
    /// Cyrillic, short names without those letters too)
    #[arg(long, value_name = "SOURCE", default_value = "auto", value_parser = parse_source)]
    pub source: crate::core::corpus::text::Source,
    /// Cyrillic letters inside Latin words to the Latin letters they look like
    #[arg(long)]
    pub mixed_script: bool,
    /// Control and zero-width characters removed, spaces collapsed, lines trimmed
    #[arg(long)]
    pub whitespace: bool,
    /// Rejoin words PDF extraction split around letters (M ə c ə ll ə nin → Məcəllənin), using
    /// the vocabulary of the inputs' unsplit lines (reads the inputs twice)
    #[arg(long)]
    pub repair_split_words: bool,
    /// For .txt/.md inputs: one document per line, per blank-line-separated paragraph, or per file
    #[arg(long, value_enum, default_value_t = UnitArg::Line)]
    pub unit: UnitArg,
    /// JSONL field holding the text
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// JSONL field holding the id (else file:line)
    #[arg(long, default_value = "id")]
    pub id_field: String,
    #[command(flatten)]
    pub bad_lines: BadLinesOpt,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

pub(super) fn corpus_clean(args: &CleanArgs) -> anyhow::Result<()> {
    use crate::core::corpus::{clean, read};
    let rules = if args.all {
        clean::Rules {
            source: args.source,
            ..clean::Rules::all()
        }
    } else {
        clean::Rules {
            nfc: args.nfc,
            whitespace: args.whitespace,
            transliterate: args.transliterate,
            schwa: args.schwa,
            mixed_script: args.mixed_script,
            split_words: args.repair_split_words,
            source: args.source,
        }
    };
    anyhow::ensure!(
        rules.any(),
        "no rule chosen: pass --all or some of --nfc --schwa --mixed-script --repair-split-words --whitespace --transliterate"
    );
    let options = read::ReadOptions {
        text_field: args.text_field.clone(),
        id_field: args.id_field.clone(),
        bad_lines: args.bad_lines.mode(),
        text_unit: args.unit.into(),
    };
    let inputs = crate::core::corpus::read::expand_inputs(&args.inputs)?;
    let out = args.out.clone();
    let job_inputs = inputs.clone();
    let report = run_job("cleaning", move |ctx| {
        clean::clean_files(&job_inputs, &out, rules, &options, Some(ctx))
    })?;
    record_provenance(
        &inputs,
        &args.out,
        "clean",
        serde_json::to_value(rules)?,
        (report.documents_in, report.documents_out),
        serde_json::json!({
            "documents_changed_per_rule": report.changed_by_rule,
            "documents_emptied": report.documents_emptied,
            "bad_lines": report.bad_lines,
        }),
    )?;
    report_bad_lines(report.bad_lines, &report.bad_line_examples);
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!(
        "{} documents in, {} out ({} empty after cleaning) -> {}",
        report.documents_in,
        report.documents_out,
        report.documents_emptied,
        args.out.display()
    );
    println!(
        "changed by rule: {}",
        serde_json::to_string(&report.changed_by_rule)?
    );
    Ok(())
}

/// Writes `OUT.provenance.json` beside a step's output.
fn record_provenance(
    inputs: &[PathBuf],
    out: &Path,
    step: &str,
    settings: serde_json::Value,
    (documents_in, documents_out): (u64, u64),
    report: serde_json::Value,
) -> anyhow::Result<()> {
    let step = crate::core::corpus::provenance::Step {
        step,
        settings,
        documents_in,
        documents_out,
        report,
    };
    crate::core::corpus::provenance::record_step(inputs, out, &step).with_context(|| {
        format!(
            "writing {}",
            crate::core::corpus::provenance::provenance_path(out).display()
        )
    })
}

pub(super) fn corpus_export(args: &ExportArgs) -> anyhow::Result<()> {
    use crate::core::corpus::read;
    let options = read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
        bad_lines: args.bad_lines.mode(),
        ..read::ReadOptions::default()
    };
    let inputs = read::expand_inputs(&args.inputs)?;
    let parquet = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let out = args.out.clone();
    let job_inputs = inputs.clone();
    let (written, bad) = run_job("exporting", move |ctx| {
        crate::core::corpus::derive::export_files(&job_inputs, &out, parquet, &options, Some(ctx))
    })?;
    report_bad_lines(bad.count(), &bad.examples());
    record_provenance(
        &inputs,
        &args.out,
        "export",
        serde_json::json!({"format": if parquet { "parquet" } else { "jsonl" }}),
        (written, written),
        serde_json::json!({"bad_lines": bad.count()}),
    )?;
    println!(
        "{written} documents -> {} (provenance: {})",
        args.out.display(),
        crate::core::corpus::provenance::provenance_path(&args.out).display()
    );
    Ok(())
}

pub(super) fn corpus_stats(args: &StatsArgs) -> anyhow::Result<()> {
    use crate::core::corpus::{read, stats};
    let options = read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
        bad_lines: args.bad_lines.mode(),
        ..read::ReadOptions::default()
    };
    let inputs = crate::core::corpus::read::expand_inputs(&args.inputs)?;
    let (languages, top) = (!args.no_languages, args.top);
    let tokenizer = args.tokenizer.clone();
    // A tokenizer that cannot load is reported before the long pass, not after it.
    let loaded = tokenizer
        .as_deref()
        .map(crate::core::tokenizer::load)
        .transpose()?;
    let s = run_job("reading", move |ctx| {
        stats::stats_files_with_tokens(
            &inputs,
            &options,
            languages,
            top,
            tokenizer.as_deref().zip(loaded.as_ref()),
            Some(ctx),
        )
    })?;
    report_bad_lines(s.bad_lines, &s.bad_line_examples);
    if args.json {
        println!("{}", serde_json::to_string(&s)?);
        return Ok(());
    }
    println!(
        "documents {}  characters {}  words {}  bytes {}",
        s.documents, s.characters, s.words, s.bytes
    );
    println!("scripts    {}", stats::format_counts(&s.scripts, ", "));
    if !s.languages.is_empty() {
        println!("languages  {}", stats::format_counts(&s.languages, ", "));
    }
    println!(
        "documents with: mixed-script words {}, split words {}, ə look-alikes {}, U+FFFD {}, control characters {}",
        s.anomalies.mixed_script_words,
        s.anomalies.split_word_fragments,
        s.anomalies.schwa_look_alikes,
        s.anomalies.replacement_chars,
        s.anomalies.control_chars
    );
    println!("length (characters ≥ N: documents)");
    for (at_least, n) in &s.length_histogram {
        println!("  {at_least:>8}: {n}");
    }
    let words: Vec<String> = s
        .top_words
        .iter()
        .map(|(w, n)| format!("{w} {n}"))
        .collect();
    println!("top words  {}", words.join(", "));
    if let Some(t) = &s.estimated_tokens {
        println!(
            "tokens     ≈ {} with {} ({:.2} characters per token, from {} sampled documents)",
            t.estimated_tokens, t.tokenizer, t.characters_per_token, t.sample_documents
        );
    }
    Ok(())
}

fn exact_dedup(args: &DedupArgs, inputs: &[PathBuf]) -> anyhow::Result<()> {
    use crate::core::corpus::read::Format;
    for input in inputs {
        let plain_jsonl = Format::detect(input) == Some(Format::Jsonl)
            && !input
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gz") || e.eq_ignore_ascii_case("zst"));
        anyhow::ensure!(
            plain_jsonl && args.text_field == "text",
            "{}: --exact reads uncompressed .jsonl with a \"text\" field; use the default (near-duplicate) mode for other inputs",
            input.display()
        );
    }
    let out = args.out.clone();
    let job_inputs = inputs.to_vec();
    let mode = if args.raw {
        crate::core::corpus::exact::Match::Raw
    } else {
        crate::core::corpus::exact::Match::Normalised
    };
    let bad_lines = args.bad_lines.mode();
    anyhow::ensure!(
        bad_lines != crate::core::corpus::read::BadLines::Repair,
        "--exact hashes lines as they are and cannot repair them; use --bad-lines skip or fail, or the default (near-duplicate) mode"
    );
    let (report, problems) = run_job("exact deduplication", move |ctx| {
        crate::core::corpus::exact::exact_dedup_with(
            &job_inputs,
            out.as_deref(),
            mode,
            bad_lines,
            Some(ctx),
        )
    })?;
    if let Some(out) = &args.out {
        record_provenance(
            inputs,
            out,
            "dedup",
            serde_json::json!({"exact": true, "match": mode, "hash": "xxh3-128"}),
            (report.documents_in as u64, report.documents_out as u64),
            serde_json::json!({"clusters": report.clusters.len(), "bad_lines": report.bad_lines}),
        )?;
    }
    report_bad_lines(problems.count(), &problems.examples());
    if let Some(path) = &args.report {
        crate::core::write_atomic(path, &serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let written = if args.out.is_some() {
        "out"
    } else {
        "distinct (no corpus written)"
    };
    println!(
        "{} documents in, {} {written}: {} exact duplicates in {} clusters ({:.2} s; pass {:.0} MB/s)",
        report.documents_in,
        report.documents_out,
        report.removed,
        report.clusters.len(),
        report.total_secs,
        report.hash_mb_per_s,
    );
    Ok(())
}

pub(super) fn corpus_dedup(args: &DedupArgs) -> anyhow::Result<()> {
    use crate::core::corpus::{dedup, read};
    anyhow::ensure!(
        args.threshold > 0.0 && args.threshold <= 1.0,
        "--threshold must be in (0, 1]"
    );
    anyhow::ensure!(
        args.num_perm >= 1 && args.ngram >= 1,
        "--num-perm and --ngram must be positive"
    );
    if let (Some(b), Some(r)) = (args.bands, args.rows) {
        anyhow::ensure!(
            b >= 1 && r >= 1 && b * r <= args.num_perm,
            "--bands × --rows must be at most --num-perm ({})",
            args.num_perm
        );
    }
    let config = dedup::DedupConfig {
        shingle: if args.char_ngrams {
            dedup::Shingle::Chars(args.ngram)
        } else {
            dedup::Shingle::Words(args.ngram)
        },
        num_perm: args.num_perm,
        threshold: args.threshold,
        bands_rows: args.bands.zip(args.rows),
        ..dedup::DedupConfig::default()
    };
    let policy = match args.keep {
        KeepArg::First => dedup::KeepPolicy::First,
        KeepArg::Longest => dedup::KeepPolicy::Longest,
    };
    let options = read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
        bad_lines: args.bad_lines.mode(),
        ..read::ReadOptions::default()
    };
    let inputs = crate::core::corpus::read::expand_inputs(&args.inputs)?;
    if args.exact {
        return exact_dedup(args, &inputs);
    }
    let Some(out) = args.out.clone() else {
        anyhow::bail!("--out is needed: only --exact can run with --report alone");
    };
    let job_inputs = inputs.clone();
    let job_out = out.clone();
    let report = run_job("deduplicating", move |ctx| {
        dedup::dedup_files(&job_inputs, &job_out, &config, policy, &options, Some(ctx))
    })?;
    record_provenance(
        &inputs,
        &out,
        "dedup",
        serde_json::json!({"config": config, "keep": policy, "bands": report.bands, "rows": report.rows}),
        (report.documents_in as u64, report.documents_out as u64),
        serde_json::json!({
            "clusters": report.clusters.len(),
            "exact_removed": report.exact_removed,
            "near_removed": report.near_removed,
            "bad_lines": report.bad_lines,
        }),
    )?;
    report_bad_lines(report.bad_lines, &report.bad_line_examples);
    if let Some(path) = &args.report {
        crate::core::write_atomic(path, &serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "{} documents in, {} out: {} exact and {} near duplicates removed in {} clusters ({}×{} bands, {:.2} s)",
        report.documents_in,
        report.documents_out,
        report.exact_removed,
        report.near_removed,
        report.clusters.len(),
        report.bands,
        report.rows,
        report.timings.total_secs,
    );
    Ok(())
}

/// Runs one corpus pass as a job with a terminal progress bar and hands back its typed result.
pub(super) fn run_job<T, E>(
    label: &str,
    work: impl FnOnce(&crate::core::jobs::JobCtx) -> Result<T, E> + Send + 'static,
) -> anyhow::Result<T>
where
    T: Send + 'static,
    E: Into<crate::core::jobs::JobError>,
{
    let (tx, rx) = crossbeam_channel::bounded(1);
    crate::core::jobs::run_in_terminal(label, move |ctx| {
        let value = work(ctx).map_err(Into::into)?;
        // The receiver waits below; a full or closed channel cannot happen.
        let _ = tx.send(value);
        Ok(String::new())
    })
    .map_err(anyhow::Error::msg)?;
    rx.try_recv()
        .map_err(|_| anyhow::anyhow!("{label}: the job ended without a result"))
}

pub(super) fn corpus_filter(args: &FilterArgs) -> anyhow::Result<()> {
    use crate::core::corpus::{quality, read};
    let config = quality::config_with(&args.overrides).map_err(anyhow::Error::msg)?;
    let options = read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
        bad_lines: args.bad_lines.mode(),
        ..read::ReadOptions::default()
    };
    let inputs = crate::core::corpus::read::expand_inputs(&args.inputs)?;
    let (out, rejected) = (args.out.clone(), args.rejected.clone());
    let job_inputs = inputs.clone();
    let report = run_job("filtering", move |ctx| {
        quality::filter_files(
            &job_inputs,
            &out,
            rejected.as_deref(),
            &config,
            &options,
            Some(ctx),
        )
    })?;
    record_provenance(
        &inputs,
        &args.out,
        "filter",
        serde_json::to_value(config)?,
        (report.documents_in, report.documents_out),
        serde_json::json!({
            "documents_failing_per_filter": report.failed_by_filter,
            "bad_lines": report.bad_lines,
        }),
    )?;
    report_bad_lines(report.bad_lines, &report.bad_line_examples);
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    println!(
        "{} documents in, {} passed -> {}",
        report.documents_in,
        report.documents_out,
        args.out.display()
    );
    let failed = serde_json::to_value(&report.failed_by_filter)?;
    for (flag, n) in failed.as_object().into_iter().flatten() {
        println!("  {flag}: {n}");
    }
    Ok(())
}
