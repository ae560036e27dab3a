//! The command line. With no subcommand `dezgah` opens the window; each subcommand runs the
//! same core headless. Later work adds `corpus`, `tokenizer`, `train`, `generate`, `sft`,
//! `prefs`, `rag` and `export` beside `workspace`.

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

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::from_code(s).ok_or_else(|| format!("unknown language {s:?}; choose en or az"))
}

/// Runs a subcommand; `Ok` carries what to print on success.
pub fn run(cli: &Cli, command: &Commands) -> anyhow::Result<()> {
    match command {
        Commands::Workspace(cmd) => workspace_command(cli.workspace.as_deref(), cmd),
    }
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
