//! The command line. With no subcommand `dezgah` opens the window; each subcommand runs the
//! same core headless: `workspace`, `corpus`, `tokenizer`, `train`, `generate`, `eval`,
//! `export`, `sft`, `prefs` and `rag`.

mod corpus;
mod export;
mod prefs;
mod rag;
mod sft;
mod tokenizer;
pub mod train;
mod workspace;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use corpus::{CorpusCommand, KeepArg, UnitArg};
pub use tokenizer::{KindArg, NormalizeArg, TokenizerCommand};

use crate::app::state::Area;
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

/// `--bad-lines`, the same on every command that reads corpus files.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct BadLinesOpt {
    /// What to do with unreadable lines (each is reported as FILE:LINE: reason)
    #[arg(long, value_enum, default_value_t = BadLinesArg::Skip)]
    pub bad_lines: BadLinesArg,
}

impl BadLinesOpt {
    pub fn mode(self) -> crate::core::corpus::read::BadLines {
        use crate::core::corpus::read::BadLines;
        match self.bad_lines {
            BadLinesArg::Skip => BadLines::Skip,
            BadLinesArg::Repair => BadLines::Repair,
            BadLinesArg::Fail => BadLines::Fail,
        }
    }
}

/// Prints unreadable lines on stderr the way every command does: one `FILE:LINE: reason` each
/// for the first few, then how many more.
pub fn report_bad_lines(count: u64, examples: &[String]) {
    if count == 0 {
        return;
    }
    eprintln!("{count} unreadable line(s) left out:");
    for line in crate::core::corpus::read::bad_line_lines(count, examples) {
        eprintln!("  {line}");
    }
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

pub(super) fn parse_source(s: &str) -> Result<crate::core::corpus::text::Source, String> {
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
        Commands::Workspace(cmd) => workspace::workspace_command(cli.workspace.as_deref(), cmd),
        Commands::Corpus(CorpusCommand::Clean(args)) => corpus::corpus_clean(args),
        Commands::Corpus(CorpusCommand::Stats(args)) => corpus::corpus_stats(args),
        Commands::Corpus(CorpusCommand::Dedup(args)) => corpus::corpus_dedup(args),
        Commands::Corpus(CorpusCommand::Filter(args)) => corpus::corpus_filter(args),
        Commands::Corpus(CorpusCommand::Export(args)) => corpus::corpus_export(args),
        Commands::Tokenizer(TokenizerCommand::Train(args)) => tokenizer::tokenizer_train(args),
        Commands::Tokenizer(TokenizerCommand::Encode(args)) => tokenizer::tokenizer_encode(args),
        Commands::Tokenizer(TokenizerCommand::Compare(args)) => tokenizer::tokenizer_compare(args),
        Commands::Train(args) => train::train(args),
        Commands::Generate(args) => train::generate(args),
        Commands::Eval(args) => train::eval(args),
        Commands::Export(cmd) => export::run(cmd),
        Commands::Sft(cmd) => sft::run(&workspace::workspace_dir(cli.workspace.as_deref())?, cmd),
        Commands::Prefs(cmd) => {
            prefs::run(&workspace::workspace_dir(cli.workspace.as_deref())?, cmd)
        }
        Commands::Rag(cmd) => rag::run(&workspace::workspace_dir(cli.workspace.as_deref())?, cmd),
    }
}
