//! The command line. With no subcommand `dezgah` opens the window; each subcommand runs the
//! same core headless: `workspace`, `corpus`, `tokenizer`, `train`, `generate`, `eval`,
//! `export`, `sft`, `prefs` and `rag`.

mod export;
mod prefs;
mod rag;
mod sft;
pub mod train;

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::app::state::Area;
use crate::core::workspace::Workspace;
use crate::i18n::Lang;

#[derive(Debug, Parser)]
#[command(
    name = "dezgah",
    version,
    about = "Dəzgah: an offline workbench for building Azerbaijani language models",
    long_about = "Dəzgah: an offline workbench for building Azerbaijani language models.\n\nWith no subcommand, opens the window."
)]
pub struct Cli {
    /// Workspace folder (created if missing); defaults to the last one used, then the per-user one
    #[arg(long, short = 'w', global = true, value_name = "DIR")]
    pub workspace: Option<PathBuf>,

    /// Work area to open the window on
    #[arg(long, value_parser = parse_area, value_name = "AREA")]
    pub area: Option<Area>,

    /// Interface language: en or az
    #[arg(long, value_parser = parse_lang, value_name = "LANG")]
    pub lang: Option<Lang>,

    #[command(subcommand)]
    pub command: Option<Commands>,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Create, inspect and check workspaces
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Clean corpora with Azerbaijani-aware rules
    #[command(subcommand)]
    Corpus(CorpusCommand),
    /// Train tokenizers and encode text with them
    #[command(subcommand)]
    Tokenizer(TokenizerCommand),
    /// Pretrain, continue, SFT or DPO a llama-style model (JSON-line events on stdout)
    Train(Box<train::TrainArgs>),
    /// Sample text from a run's checkpoint, streamed to stdout
    Generate(train::GenerateArgs),
    /// Perplexity of a run's checkpoint on a text file
    Eval(train::EvalArgs),
    /// Export a run's checkpoint: Hugging Face folder, GGUF, Ollama Modelfile; or check first
    #[command(subcommand)]
    Export(export::ExportCommand),
    /// Import and export SFT examples (TRL messages, prompt/completion, Alpaca, ShareGPT)
    #[command(subcommand)]
    Sft(sft::SftCommand),
    /// Preference items: import, export as TRL/KTO JSONL, agreement statistics
    #[command(subcommand)]
    Prefs(prefs::PrefsCommand),
    /// Retrieval: index a corpus, ask it questions (answered by a checkpoint with --run), batches
    #[command(subcommand)]
    Rag(rag::RagCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenizerCommand {
    /// Train a byte-level BPE or a Unigram tokenizer and save it as tokenizer.json
    Train(TokenizerTrainArgs),
    /// Encode text (an argument, or standard input with `-`) and print {"ids": [...], "tokens": [...]}
    Encode(TokenizerEncodeArgs),
    /// Compare tokenizers on a corpus sample: fertility, characters per token, words split in
    /// three or more, unknown/byte-fallback rate, vocabulary overlap, and Azerbaijani word splits
    Compare(TokenizerCompareArgs),
}

#[derive(Debug, clap::Args)]
pub struct TokenizerCompareArgs {
    /// Two or more tokenizer.json files
    #[arg(
        long = "tokenizer",
        value_name = "tokenizer.json",
        required = true,
        num_args = 1
    )]
    pub tokenizers: Vec<PathBuf>,
    /// Text to compare on: any input `corpus stats` reads (a sample is taken)
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Documents sampled from the inputs
    #[arg(long, default_value_t = 2000)]
    pub sample: usize,
    /// Azerbaijani words (with ə ğ ı ş ç ö ü) whose splits are listed
    #[arg(long, default_value_t = 20)]
    pub words: usize,
    #[arg(long, value_enum, default_value_t = UnitArg::Line)]
    pub unit: UnitArg,
    #[arg(long, default_value = "text")]
    pub text_field: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    Bpe,
    Unigram,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum NormalizeArg {
    /// NFC and ə look-alikes → ə (with --lowercase, Turkic lower-casing too)
    Az,
    None,
}

#[derive(Debug, clap::Args)]
pub struct TokenizerTrainArgs {
    /// Training text: any input `corpus stats` reads
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = KindArg::Bpe)]
    pub kind: KindArg,
    /// Vocabulary size, special tokens included
    #[arg(long, default_value_t = 16_000)]
    pub vocab: usize,
    /// BPE: merges must be seen at least this often
    #[arg(long, default_value_t = 2)]
    pub min_frequency: u64,
    #[arg(long, value_enum, default_value_t = NormalizeArg::Az)]
    pub normalize: NormalizeArg,
    /// Lower-case (Turkic rules: I → ı, İ → i); needs --normalize az
    #[arg(long)]
    pub lowercase: bool,
    /// Unigram: no <0xNN> byte pieces for unknown characters
    #[arg(long)]
    pub no_byte_fallback: bool,
    /// Unigram: longest piece, in characters
    #[arg(long, default_value_t = 16)]
    pub max_piece_length: usize,
    /// Special tokens, replacing the default set (<s> </s> <unk> <pad> and the chat role markers)
    #[arg(long = "special", value_name = "TOKEN")]
    pub special: Vec<String>,
    #[arg(long, value_name = "tokenizer.json")]
    pub out: PathBuf,
    /// For .txt/.md inputs: one document per line, per blank-line-separated paragraph, or per file
    #[arg(long, value_enum, default_value_t = UnitArg::Line)]
    pub unit: UnitArg,
    /// JSONL field holding the text
    #[arg(long, default_value = "text")]
    pub text_field: String,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct TokenizerEncodeArgs {
    /// Any tokenizer.json, or a SentencePiece Unigram .model
    #[arg(long, value_name = "tokenizer.json")]
    pub tokenizer: PathBuf,
    /// The text; `-` or nothing reads standard input
    #[arg(conflicts_with = "input")]
    pub text: Option<String>,
    /// Encode whole corpus files instead, on all cores, and report tokens and throughput (JSON)
    #[arg(long, value_name = "INPUT", num_args = 1..)]
    pub input: Vec<PathBuf>,
}

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
    /// What to do with unreadable lines
    #[arg(long, value_enum, default_value_t = BadLinesArg::Skip)]
    pub bad_lines: BadLinesArg,
    /// Print the report as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BadLinesArg {
    /// Report and leave out
    Skip,
    /// Replace invalid UTF-8 with U+FFFD and keep the line (malformed JSON is still left out)
    Repair,
    /// Stop at the first one; nothing is written
    Fail,
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace (or open an existing one) and print where it is
    Init {
        /// Folder to create; defaults to --workspace or the per-user workspace
        dir: Option<PathBuf>,
    },
    /// Print a workspace's contents as JSON
    Info,
    /// Check the database's integrity and that every file it refers to exists
    Check,
    /// Write preference items in a loop until killed (used by the crash-safety test)
    #[command(hide = true)]
    Hammer,
}

fn parse_area(s: &str) -> Result<Area, String> {
    Area::from_slug(s).ok_or_else(|| {
        let names: Vec<_> = Area::ALL.iter().map(|a| a.slug()).collect();
        format!("unknown area {s:?}; choose one of {}", names.join(", "))
    })
}

fn parse_source(s: &str) -> Result<crate::core::corpus::text::Source, String> {
    use crate::core::corpus::text::Source;
    Source::from_name(s).ok_or_else(|| {
        let names: Vec<_> = Source::ALL.iter().map(|s| s.name()).collect();
        format!("unknown source {s:?}; choose one of {}", names.join(", "))
    })
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::from_code(s).ok_or_else(|| format!("unknown language {s:?}; choose en or az"))
}

/// Runs a subcommand; `Ok` carries what to print on success.
pub fn run(cli: &Cli, command: &Commands) -> anyhow::Result<()> {
    match command {
        Commands::Workspace(cmd) => workspace_command(cli.workspace.as_deref(), cmd),
        Commands::Corpus(CorpusCommand::Clean(args)) => corpus_clean(args),
        Commands::Corpus(CorpusCommand::Stats(args)) => corpus_stats(args),
        Commands::Corpus(CorpusCommand::Dedup(args)) => corpus_dedup(args),
        Commands::Corpus(CorpusCommand::Filter(args)) => corpus_filter(args),
        Commands::Corpus(CorpusCommand::Export(args)) => corpus_export(args),
        Commands::Tokenizer(TokenizerCommand::Train(args)) => tokenizer_train(args),
        Commands::Tokenizer(TokenizerCommand::Encode(args)) => tokenizer_encode(args),
        Commands::Tokenizer(TokenizerCommand::Compare(args)) => tokenizer_compare(args),
        Commands::Train(args) => train::train(args),
        Commands::Generate(args) => train::generate(args),
        Commands::Eval(args) => train::eval(args),
        Commands::Export(cmd) => export::run(cmd),
        Commands::Sft(cmd) => sft::run(&workspace_dir(cli.workspace.as_deref())?, cmd),
        Commands::Prefs(cmd) => prefs::run(&workspace_dir(cli.workspace.as_deref())?, cmd),
        Commands::Rag(cmd) => rag::run(&workspace_dir(cli.workspace.as_deref())?, cmd),
    }
}

fn tokenizer_train(args: &TokenizerTrainArgs) -> anyhow::Result<()> {
    use crate::core::tokenizer::{Kind, TrainConfig};
    anyhow::ensure!(
        !args.lowercase || matches!(args.normalize, NormalizeArg::Az),
        "--lowercase needs --normalize az (Turkic casing)"
    );
    let defaults = TrainConfig::default();
    let config = TrainConfig {
        kind: match args.kind {
            KindArg::Bpe => Kind::Bpe,
            KindArg::Unigram => Kind::Unigram,
        },
        vocab_size: args.vocab,
        min_frequency: args.min_frequency,
        special_tokens: if args.special.is_empty() {
            defaults.special_tokens
        } else {
            args.special.clone()
        },
        normalize_az: matches!(args.normalize, NormalizeArg::Az),
        lowercase: args.lowercase,
        byte_fallback: !args.no_byte_fallback,
        max_piece_length: args.max_piece_length,
    };
    let read = crate::core::corpus::read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
        ..crate::core::corpus::read::ReadOptions::default()
    };
    let inputs = crate::core::corpus::read::expand_inputs(&args.inputs)?;
    let out = args.out.clone();
    let report = run_job("training", move |ctx| {
        crate::core::tokenizer::train(&inputs, &read, &config, &out, Some(ctx))
    })?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{:?} tokenizer, {} tokens, trained on {} documents ({:.1} MB) in {:.1} s -> {}",
            report.kind,
            report.vocab_size,
            report.documents,
            report.bytes as f64 / 1e6,
            report.seconds,
            report.output.display()
        );
    }
    Ok(())
}

fn tokenizer_compare(args: &TokenizerCompareArgs) -> anyhow::Result<()> {
    use crate::core::tokenizer::Loaded;
    anyhow::ensure!(
        args.tokenizers.len() >= 2,
        "name two or more tokenizers (--tokenizer A --tokenizer B)"
    );
    let loaded: Vec<(String, Loaded)> = args
        .tokenizers
        .iter()
        .map(|p| {
            let name = p
                .parent()
                .and_then(Path::file_name)
                .filter(|_| p.file_name().is_some_and(|n| n == "tokenizer.json"))
                .or_else(|| p.file_stem())
                .map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
            Loaded::open(p).map(|l| (name, l))
        })
        .collect::<Result<_, _>>()?;
    let read = crate::core::corpus::read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
        ..crate::core::corpus::read::ReadOptions::default()
    };
    let inputs = crate::core::corpus::read::expand_inputs(&args.inputs)?;
    let mut sampler = crate::core::corpus::tokens::Sampler::with_capacity(args.sample);
    for input in &inputs {
        let reader = crate::core::corpus::read::DocumentReader::open(input, read.clone())?;
        for doc in reader {
            sampler.add(&doc?.text);
        }
    }
    let refs: Vec<(String, &Loaded)> = loaded.iter().map(|(n, l)| (n.clone(), l)).collect();
    let c = crate::core::tokenizer::compare(&refs, sampler.texts(), args.words)?;
    if args.json {
        println!("{}", serde_json::to_string(&c)?);
        return Ok(());
    }
    println!(
        "{:<24} {:>8} {:>9} {:>10} {:>11} {:>9} {:>10}",
        "tokenizer", "vocab", "tokens", "fertility", "chars/tok", "split≥3", "unk/bytes"
    );
    for r in &c.rows {
        println!(
            "{:<24} {:>8} {:>9} {:>10.3} {:>11.3} {:>8.1}% {:>9.2}%",
            r.name,
            r.vocab_size,
            r.tokens,
            r.fertility,
            r.characters_per_token,
            r.split_3_plus * 100.0,
            r.unknown_or_fallback * 100.0
        );
    }
    println!("\nvocabulary overlap (Jaccard of decoded pieces)");
    for (i, row) in c.overlap.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:.2}")).collect();
        println!("  {:<24} {}", c.rows[i].name, cells.join("  "));
    }
    println!("\nhow words with ə ğ ı ş ç ö ü split");
    for (word, n, splits) in &c.words {
        let cells: Vec<String> = splits.iter().map(|s| s.join("|")).collect();
        println!("  {word:<18} {n:>6}  {}", cells.join("   "));
    }
    Ok(())
}

fn tokenizer_encode(args: &TokenizerEncodeArgs) -> anyhow::Result<()> {
    use std::io::Read as _;
    if !args.input.is_empty() {
        let tokenizer = crate::core::tokenizer::load(&args.tokenizer)?;
        let inputs = crate::core::corpus::read::expand_inputs(&args.input)?;
        let read = crate::core::corpus::read::ReadOptions::default();
        let report = run_job("encoding", move |ctx| {
            crate::core::tokenizer::encode_files(&tokenizer, &inputs, &read, Some(ctx))
        })?;
        println!("{}", serde_json::to_string(&report)?);
        return Ok(());
    }
    let text = match args.text.as_deref() {
        Some(text) if text != "-" => text.to_owned(),
        _ => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading standard input")?;
            text
        }
    };
    let tokenizer = crate::core::tokenizer::load(&args.tokenizer)?;
    let encoded = crate::core::tokenizer::encode(&tokenizer, &text, &args.tokenizer)?;
    println!("{}", serde_json::to_string(&encoded)?);
    Ok(())
}

fn corpus_clean(args: &CleanArgs) -> anyhow::Result<()> {
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
        bad_lines: match args.bad_lines {
            BadLinesArg::Skip => read::BadLines::Skip,
            BadLinesArg::Repair => read::BadLines::Repair,
            BadLinesArg::Fail => read::BadLines::Fail,
        },
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
    if report.bad_lines > 0 {
        eprintln!("{} unreadable line(s) left out, e.g.:", report.bad_lines);
        for line in &report.bad_line_examples {
            eprintln!("  {line}");
        }
    }
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

fn corpus_export(args: &ExportArgs) -> anyhow::Result<()> {
    use crate::core::corpus::read;
    let options = read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
        ..read::ReadOptions::default()
    };
    let inputs = read::expand_inputs(&args.inputs)?;
    let parquet = args
        .out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet"));
    let out = args.out.clone();
    let job_inputs = inputs.clone();
    let written = run_job("exporting", move |ctx| {
        crate::core::corpus::derive::export_files(&job_inputs, &out, parquet, &options, Some(ctx))
    })?;
    record_provenance(
        &inputs,
        &args.out,
        "export",
        serde_json::json!({"format": if parquet { "parquet" } else { "jsonl" }}),
        (written, written),
        serde_json::Value::Null,
    )?;
    println!(
        "{written} documents -> {} (provenance: {})",
        args.out.display(),
        crate::core::corpus::provenance::provenance_path(&args.out).display()
    );
    Ok(())
}

fn corpus_stats(args: &StatsArgs) -> anyhow::Result<()> {
    use crate::core::corpus::{read, stats};
    let options = read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
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
    if s.bad_lines > 0 {
        eprintln!("{} unreadable line(s) left out", s.bad_lines);
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
    let (report, problems) = run_job("exact deduplication", move |ctx| {
        crate::core::corpus::exact::exact_dedup_jsonl(&job_inputs, out.as_deref(), mode, Some(ctx))
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
    for problem in problems.iter().take(20) {
        eprintln!("{problem} (skipped)");
    }
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

fn corpus_dedup(args: &DedupArgs) -> anyhow::Result<()> {
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
        }),
    )?;
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
fn run_job<T, E>(
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

fn corpus_filter(args: &FilterArgs) -> anyhow::Result<()> {
    use crate::core::corpus::{quality, read};
    let config = quality::config_with(&args.overrides).map_err(anyhow::Error::msg)?;
    let options = read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
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

fn workspace_dir(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    explicit
        .map(Path::to_owned)
        .or_else(Workspace::default_dir)
        .context("no --workspace given and no per-user data folder on this system")
}

fn workspace_command(explicit: Option<&Path>, cmd: &WorkspaceCommand) -> anyhow::Result<()> {
    match cmd {
        WorkspaceCommand::Init { dir } => {
            let dir = workspace_dir(dir.as_deref().or(explicit))?;
            let ws = Workspace::open(&dir)?;
            println!("{}", ws.root().display());
            if let Some(report) = ws.seeded() {
                eprintln!(
                    "filled from seed/: {} corpora, {} SFT examples, {} preference items",
                    report.corpora, report.sft_examples, report.preference_items
                );
            }
        }
        WorkspaceCommand::Info => {
            let ws = Workspace::open(&workspace_dir(explicit)?)?;
            let snapshot = ws.snapshot()?;
            let info = serde_json::json!({
                "workspace": ws.root(),
                "schema_version": ws.store().schema_version()?,
                "counts": snapshot.counts,
                "corpora": snapshot.corpora.iter().map(|c| serde_json::json!({
                    "name": c.name, "path": c.path, "documents": c.doc_count, "characters": c.char_count,
                })).collect::<Vec<_>>(),
                "annotators": snapshot.annotators,
            });
            println!("{}", serde_json::to_string_pretty(&info)?);
        }
        WorkspaceCommand::Check => {
            let ws = Workspace::open(&workspace_dir(explicit)?)?;
            let root = ws.root().to_owned();
            drop(ws);
            let summary = crate::core::jobs::run_in_terminal("checking workspace", move |ctx| {
                crate::core::workspace::check_job(&root, ctx)
            })
            .map_err(anyhow::Error::msg)?;
            println!("{summary}");
        }
        WorkspaceCommand::Hammer => {
            let mut ws = Workspace::open(&workspace_dir(explicit)?)?;
            println!("ready");
            for i in 0u64.. {
                let prompt = format!("sual {i}: {}", "ə".repeat((i % 50) as usize));
                ws.store_mut().add_preference_item(
                    &prompt,
                    "hammer",
                    &[("birinci", ""), ("ikinci", "")],
                )?;
            }
        }
    }
    Ok(())
}
