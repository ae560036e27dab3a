//! `dezgah workspace …`, and where the workspace-bound commands find theirs.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::WorkspaceCommand;
use crate::core::workspace::Workspace;

pub(super) fn workspace_dir(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    explicit
        .map(Path::to_owned)
        .or_else(Workspace::default_dir)
        .context("no --workspace given and no per-user data folder on this system")
}

pub(super) fn workspace_command(
    explicit: Option<&Path>,
    cmd: &WorkspaceCommand,
) -> anyhow::Result<()> {
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
            let ws = Workspace::open_for_reading(&workspace_dir(explicit)?)?;
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
            let ws = Workspace::open_for_reading(&workspace_dir(explicit)?)?;
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
