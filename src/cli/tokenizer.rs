//! `dezgah tokenizer …`: train, compare and encode, with their flags.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Subcommand;

use super::corpus::run_job;
use super::{BadLinesOpt, UnitArg, report_bad_lines};

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
    #[command(flatten)]
    pub bad_lines: BadLinesOpt,
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
    #[command(flatten)]
    pub bad_lines: BadLinesOpt,
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
    #[command(flatten)]
    pub bad_lines: BadLinesOpt,
}

pub(super) fn tokenizer_train(args: &TokenizerTrainArgs) -> anyhow::Result<()> {
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
    config
        .validate()
        .map_err(|e| anyhow::anyhow!(e.as_flag()))?;
    crate::core::tokenizer::check_output(&args.out)?;
    let read = crate::core::corpus::read::ReadOptions {
        text_field: args.text_field.clone(),
        text_unit: args.unit.into(),
        bad_lines: args.bad_lines.mode(),
        ..crate::core::corpus::read::ReadOptions::default()
    };
    let inputs = crate::core::corpus::read::expand_inputs(&args.inputs)?;
    let out = args.out.clone();
    let report = run_job("training", move |ctx| {
        crate::core::tokenizer::train(&inputs, &read, &config, &out, Some(ctx))
    })?;
    report_bad_lines(report.bad_lines, &report.bad_line_examples);
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

pub(super) fn tokenizer_compare(args: &TokenizerCompareArgs) -> anyhow::Result<()> {
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
        bad_lines: args.bad_lines.mode(),
        ..crate::core::corpus::read::ReadOptions::default()
    };
    let inputs = crate::core::corpus::read::expand_inputs(&args.inputs)?;
    let mut sampler = crate::core::corpus::tokens::Sampler::with_capacity(args.sample);
    let mut bad = crate::core::corpus::read::BadLineLog::default();
    let mut documents = 0u64;
    for input in &inputs {
        let mut reader = crate::core::corpus::read::DocumentReader::open(input, read.clone())?;
        for doc in reader.by_ref() {
            sampler.add(&doc?.text);
            documents += 1;
        }
        bad.absorb(&reader.problems);
    }
    report_bad_lines(bad.count(), &bad.examples());
    crate::core::corpus::read::ensure_documents(&inputs, documents, &bad)?;
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

pub(super) fn tokenizer_encode(args: &TokenizerEncodeArgs) -> anyhow::Result<()> {
    use std::io::Read as _;
    if !args.input.is_empty() {
        let tokenizer = crate::core::tokenizer::load(&args.tokenizer)?;
        let inputs = crate::core::corpus::read::expand_inputs(&args.input)?;
        let read = crate::core::corpus::read::ReadOptions {
            bad_lines: args.bad_lines.mode(),
            ..crate::core::corpus::read::ReadOptions::default()
        };
        let report = run_job("encoding", move |ctx| {
            crate::core::tokenizer::encode_files(&tokenizer, &inputs, &read, Some(ctx))
        })?;
        report_bad_lines(report.bad_lines, &report.bad_line_examples);
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
