//! The status bar: the workspace path and every job, with progress, ETA and cancel.

use std::time::Duration;

use crate::app::command::Command;
use crate::app::{WorkspaceSlot, theme};
use crate::core::jobs::{JobBoard, Outcome};
use crate::i18n::I18n;

pub fn status_bar_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    workspace: &WorkspaceSlot,
    board: &JobBoard,
    out: &mut Vec<Command>,
) {
    ui.horizontal(|ui| {
        ui.label(egui::RichText::new(i18n.tr("status-workspace")).weak());
        let path = workspace.path().display().to_string();
        match workspace {
            WorkspaceSlot::Open { .. } => {
                ui.monospace(path);
            }
            WorkspaceSlot::Failed { .. } => {
                ui.label(
                    egui::RichText::new(format!("{path} — {}", i18n.tr("status-workspace-failed")))
                        .color(theme::error_color(ui)),
                );
            }
        }
        ui.separator();
        let mut any = false;
        for job in board.running() {
            any = true;
            ui.label(i18n.job_name(&job.name));
            let progress = job.progress.as_ref();
            let fraction = progress.and_then(crate::core::jobs::Progress::fraction);
            let percent = fraction.map_or_else(String::new, |f| format!("{:.0}%", f * 100.0));
            let text = match progress.and_then(crate::core::jobs::Progress::eta) {
                Some(eta) => format!(
                    "{percent} · {}",
                    i18n.tr_args("status-eta", &[("time", format_duration(eta).into())])
                ),
                None => percent,
            };
            let bar = egui::ProgressBar::new(fraction.unwrap_or(0.0))
                .desired_width(160.0)
                .text(text)
                .animate(fraction.is_none());
            ui.add(bar);
            if ui
                .small_button(i18n.tr("action-cancel"))
                .on_hover_text(i18n.tr("action-cancel-job-hint"))
                .clicked()
            {
                out.push(Command::CancelJob(job.id));
            }
        }
        // The latest outcomes only; older ones wait behind them until dismissed.
        let finished: Vec<_> = board.finished().collect();
        for job in finished.iter().rev().take(MAX_OUTCOMES_SHOWN) {
            any = true;
            let (key, detail, color) = match &job.outcome {
                Some(Outcome::Done(summary)) => (
                    "status-job-done",
                    summary.as_str(),
                    theme::success_color(ui),
                ),
                Some(Outcome::Cancelled) => ("status-job-cancelled", "", theme::weak_color(ui)),
                Some(Outcome::Failed(e) | Outcome::Panicked(e)) => {
                    ("status-job-failed", e.as_str(), theme::error_color(ui))
                }
                None => continue,
            };
            let mut text = i18n.tr_args(key, &[("name", i18n.job_name(&job.name).into())]);
            // A failure's reason is shown at once; a success's summary on hover.
            let failed = matches!(job.outcome, Some(Outcome::Failed(_) | Outcome::Panicked(_)));
            if failed && !detail.is_empty() {
                text = format!("{text} — {}", crate::panels::preview(detail, 100));
            }
            let label = ui.label(egui::RichText::new(text).color(color));
            if !detail.is_empty() {
                label.on_hover_text(detail);
            }
            if ui
                .small_button("×")
                .on_hover_text(i18n.tr("action-dismiss"))
                .clicked()
            {
                out.push(Command::DismissJob(job.id));
            }
        }
        if !any {
            ui.label(egui::RichText::new(i18n.tr("status-no-jobs")).weak());
        }
    });
}

/// How many finished jobs the bar shows at once.
const MAX_OUTCOMES_SHOWN: usize = 2;

/// `m:ss`, or `h:mm:ss` past an hour.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::format_duration;
    use std::time::Duration;

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(format_duration(Duration::from_secs(5)), "0:05");
        assert_eq!(format_duration(Duration::from_secs(125)), "2:05");
        assert_eq!(
            format_duration(Duration::from_secs(3 * 3600 + 61)),
            "3:01:01"
        );
    }
}
