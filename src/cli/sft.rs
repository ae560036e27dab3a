//! `dezgah sft import|export`: SFT examples in and out of a workspace, as TRL messages,
//! prompt/completion, Alpaca or ShareGPT JSONL.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::core::sft_io::{self, Filter, Format};

#[derive(Debug, clap::Subcommand)]
pub enum SftCommand {
    /// Add the examples of a JSONL file to the workspace; bad lines are listed with their numbers
    Import(ImportArgs),
    /// Write the workspace's examples (a filtered subset, optionally split) as JSONL
    Export(ExportArgs),
    /// Type into a new example through the editor's save path until killed (the kill test)
    #[command(hide = true)]
    Hammer {
        /// Milliseconds between characters
        #[arg(long, default_value_t = 20)]
        every_ms: u64,
        text: String,
    },
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| {
        format!(
            "unknown format {s:?}: {}",
            Format::ALL.map(Format::name).join(", ")
        )
    })
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// messages, prompt-completion, alpaca or sharegpt
    #[arg(long, value_parser = parse_format)]
    pub format: Format,
    /// The examples' status in the workspace: draft, ready or rejected
    #[arg(long, default_value = "draft")]
    pub status: String,
    /// The annotator the examples are credited to
    #[arg(long)]
    pub author: Option<String>,
    #[arg(value_name = "FILE.jsonl")]
    pub file: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// messages, prompt-completion, alpaca or sharegpt
    #[arg(long, value_parser = parse_format)]
    pub format: Format,
    #[arg(long, value_name = "FILE.jsonl")]
    pub out: PathBuf,
    /// Only examples with this status (e.g. ready)
    #[arg(long)]
    pub status: Option<String>,
    /// Only examples of this domain (e.g. law)
    #[arg(long)]
    pub domain: Option<String>,
    /// Only examples with this tag
    #[arg(long)]
    pub tag: Option<String>,
    /// Also write a validation split here
    #[arg(long, value_name = "FILE.jsonl")]
    pub validation: Option<PathBuf>,
    /// Share of the examples for validation
    #[arg(long, default_value_t = 0.1)]
    pub val_fraction: f64,
}

pub fn run(workspace: &Path, cmd: &SftCommand) -> anyhow::Result<()> {
    // An export only reads the database, so it works on a full disk up to writing its file.
    let ws = if matches!(cmd, SftCommand::Export(_)) {
        crate::core::workspace::Workspace::open_for_reading(workspace)
    } else {
        crate::core::workspace::Workspace::open(workspace)
    }
    .with_context(|| format!("workspace {}", workspace.display()))?;
    let mut ws = ws;
    match cmd {
        SftCommand::Hammer { every_ms, text } => {
            drop(ws);
            hammer(workspace, text, std::time::Duration::from_millis(*every_ms))
        }
        SftCommand::Import(args) => {
            let status: crate::core::domain::SftStatus = args
                .status
                .parse()
                .map_err(|_| anyhow::anyhow!("--status must be draft, ready or rejected"))?;
            let report = sft_io::import(
                ws.store_mut(),
                &args.file,
                args.format,
                status,
                args.author.as_deref(),
            )?;
            let first: Vec<String> = report
                .errors
                .iter()
                .take(crate::core::corpus::read::BAD_LINES_SHOWN)
                .map(|(line, why)| format!("{}:{line}: {why}", args.file.display()))
                .collect();
            super::report_bad_lines(report.errors.len() as u64, &first);
            eprintln!(
                "imported {} examples; {} lines skipped",
                report.imported,
                report.errors.len()
            );
            Ok(())
        }
        SftCommand::Export(args) => {
            let filter = Filter {
                status: args.status.as_deref().map(str::parse).transpose()?,
                domain: args.domain.clone(),
                tag: args.tag.clone(),
            };
            let report = sft_io::export(
                ws.store_mut(),
                args.format,
                &filter,
                &args.out,
                args.validation.as_deref().map(|p| (p, args.val_fraction)),
            )?;
            eprintln!(
                "wrote {} examples to {}{}{}",
                report.train,
                args.out.display(),
                args.validation
                    .as_ref()
                    .map_or_else(String::new, |v| format!(
                        " and {} to {}",
                        report.validation,
                        v.display()
                    )),
                if report.skipped > 0 {
                    format!(
                        "; {} multi-turn examples do not fit {}",
                        report.skipped,
                        args.format.name()
                    )
                } else {
                    String::new()
                }
            );
            Ok(())
        }
    }
}

/// `dezgah sft hammer`: types `text` into a new example's assistant turn through the same
/// [`EditSession`](crate::core::sft::EditSession) the editor uses, one character every `every`, printing
/// `typed <n>` after each, until the text ends (then `done`). The kill test kills it mid-way
/// and checks that the database holds all but the last second of typing.
fn hammer(root: &Path, text: &str, every: std::time::Duration) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut workspace = crate::core::workspace::Workspace::open(root)?;
    let store = workspace.store_mut();
    let id = store.add_sft_example(&crate::core::sft::blank("hammer"))?;
    let example = store
        .sft_example(id)?
        .ok_or_else(|| anyhow::anyhow!("example #{id} vanished"))?;
    let mut session = crate::core::sft::EditSession::new(example);
    let mut out = std::io::stdout().lock();
    writeln!(out, "example {id}")?;
    out.flush()?;
    let mut typed = String::new();
    for (n, c) in text.chars().enumerate() {
        typed.push(c);
        let mut edited = session.example().clone();
        if let Some(turn) = edited.messages.get_mut(1) {
            turn.content.clone_from(&typed);
        }
        let now = std::time::Instant::now();
        session.edit(edited, now);
        if session.save_due(now) {
            session.flush(store)?;
        }
        writeln!(out, "typed {}", n + 1)?;
        out.flush()?;
        std::thread::sleep(every);
        if session.save_due(std::time::Instant::now()) {
            session.flush(store)?;
        }
    }
    session.flush(store)?;
    writeln!(out, "done")?;
    Ok(())
}
