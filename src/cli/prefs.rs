//! `dezgah prefs import|export|stats`: preference items in, judgements out as TRL or KTO
//! JSONL, and the agreement between annotators.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::core::prefs::{self, ExportFormat, ExportOptions};

#[derive(Debug, clap::Subcommand)]
pub enum PrefsCommand {
    /// Add items from JSONL: `prompt` + `responses`, or TRL `prompt`/`chosen`/`rejected` to review
    Import {
        /// How many annotators must judge each item
        #[arg(long, default_value_t = 1)]
        judgements: u32,
        #[arg(value_name = "FILE.jsonl")]
        file: PathBuf,
    },
    /// Write the decided pairs as TRL preference JSONL (strings or message lists) or KTO JSONL
    Export {
        /// trl, trl-messages or kto
        #[arg(long, default_value = "trl", value_parser = parse_format)]
        format: ExportFormat,
        #[arg(long, value_name = "FILE.jsonl")]
        out: PathBuf,
        /// Leave out items whose decision fewer than this share of annotators agree with
        #[arg(long, default_value_t = 0.0)]
        min_agreement: f64,
        /// KTO: a tie makes both responses desirable
        #[arg(long)]
        ties_as_good: bool,
        /// KTO: leave both-bad items out instead of marking both responses undesirable
        #[arg(long)]
        skip_both_bad: bool,
        /// Leave out imported chosen/rejected labels of items nobody judged
        #[arg(long)]
        judged_only: bool,
    },
    /// Print counts, agreement (Cohen's kappa per pair, Krippendorff's alpha), position bias
    Stats,
    /// Submit judgements in a loop until killed, printing `rated N` after each commit (the kill
    /// test)
    #[command(hide = true)]
    Hammer,
}

fn parse_format(s: &str) -> Result<ExportFormat, String> {
    ExportFormat::from_name(s)
        .ok_or_else(|| format!("unknown format {s:?}: trl, trl-messages, kto"))
}

pub fn run(workspace: &Path, cmd: &PrefsCommand) -> anyhow::Result<()> {
    let mut ws = crate::core::workspace::Workspace::open(workspace)
        .with_context(|| format!("workspace {}", workspace.display()))?;
    match cmd {
        PrefsCommand::Import { judgements, file } => {
            let source = file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let report = prefs::import(ws.store_mut(), file, &source, *judgements)?;
            for (line, why) in &report.errors {
                eprintln!("{}:{line}: {why}", file.display());
            }
            eprintln!(
                "imported {} items; {} lines skipped",
                report.imported,
                report.errors.len()
            );
        }
        PrefsCommand::Export {
            format,
            out,
            min_agreement,
            ties_as_good,
            skip_both_bad,
            judged_only,
        } => {
            let options = ExportOptions {
                format: *format,
                ties_as_good: *ties_as_good,
                both_bad_as_bad: !*skip_both_bad,
                min_agreement: *min_agreement,
                include_imported: !*judged_only,
            };
            let summary = prefs::export(ws.store(), &options, out)?;
            eprintln!("wrote {} lines to {}", summary.exported, out.display());
        }
        PrefsCommand::Hammer => hammer(ws.store_mut())?,
        PrefsCommand::Stats => {
            let summary = prefs::Snapshot::read(ws.store())?.summary();
            prefs::write_summary(&summary, &mut std::io::stdout().lock())?;
        }
    }
    Ok(())
}

/// Judges every item over and over as a new annotator per pass, through the same
/// `submit_rating` the Rating area uses; each judgement is reported only once committed.
fn hammer(store: &mut crate::core::store::Store) -> anyhow::Result<()> {
    use std::io::Write as _;
    let items = store.preference_items_full()?;
    anyhow::ensure!(!items.is_empty(), "no preference items to judge");
    let mut out = std::io::stdout().lock();
    let mut n = 0u64;
    for pass in 0.. {
        let annotator = format!("hammer-{pass}");
        for item in &items {
            let ids: Vec<i64> = item.responses.iter().map(|r| r.id).collect();
            let shown_order = prefs::shown_order(&annotator, item.id, &ids);
            let ranked = ids.len() > 2;
            let rating = crate::core::store::RatingRow {
                item_id: item.id,
                annotator: annotator.clone(),
                choice: if ranked {
                    crate::core::domain::Choice::Ranked
                } else {
                    prefs::CHOICES[(n % 4) as usize]
                },
                ranking: if ranked {
                    shown_order.clone()
                } else {
                    Vec::new()
                },
                shown_order,
                scores: std::collections::BTreeMap::new(),
                comment: "hammer".into(),
                duration_ms: 1,
            };
            store.submit_rating(&rating)?;
            n += 1;
            writeln!(out, "rated {n}")?;
            out.flush()?;
        }
    }
    Ok(())
}
