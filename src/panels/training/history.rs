//! The History tab: the workspace's runs, overlaid curves, a config diff, and export.

use std::time::Duration;

use crate::app::command::{Command, TrainingCommand};
use crate::app::theme;
use crate::app::training::{ExportTarget, LiveRun, TrainingTab};
use crate::core::domain::RunStatus;
use crate::core::export::{Level, Precision};
use crate::core::store::RunRow;
use crate::core::workspace::Snapshot;
use crate::i18n::I18n;
use crate::panels::status_bar::format_duration;
use crate::panels::{AreaView, folder_link_ui};
use crate::widgets::loss_plot::{Series, curves_ui, dense_series, sparse_series};

use super::monitor::{confirm_delete_ui, run_row};
use super::{stage_key, status_color, status_text};

#[allow(clippy::too_many_lines)]
pub(super) fn history_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let state = view.training;
    let runs = &view.snapshot.runs;
    if runs.is_empty() {
        egui::Frame::group(ui.style())
            .inner_margin(16.0)
            .show(ui, |ui| {
                ui.set_width(ui.available_width().min(640.0));
                ui.label(
                    egui::RichText::new(i18n.tr("training-empty-title"))
                        .strong()
                        .size(16.0),
                );
                ui.label(i18n.tr("training-empty-body"));
                ui.add_space(6.0);
                if ui.button(i18n.tr("training-empty-start")).clicked() {
                    out.push(Command::Training(TrainingCommand::SetTab(
                        TrainingTab::Launch,
                    )));
                }
                folder_link_ui(
                    ui,
                    i18n,
                    &view.workspace.folder(crate::core::workspace::Folder::Runs),
                    out,
                );
            });
        return;
    }
    confirm_delete_ui(ui, view, out);
    let mut compare = state.compare.clone();
    egui::Grid::new("training_history")
        .striped(true)
        .num_columns(9)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            for key in [
                "training-col-compare",
                "col-name",
                "col-stage",
                "col-status",
                "training-col-data",
                "training-col-best",
                "training-col-steps",
                "training-col-duration",
                "training-col-actions",
            ] {
                ui.strong(i18n.tr(key));
            }
            ui.end_row();
            for r in runs {
                let mut on = compare.contains(&r.id);
                let tick = ui
                    .checkbox(&mut on, "")
                    .on_hover_text(i18n.tr("training-col-compare-hint"));
                if tick.changed() {
                    if on {
                        compare.push(r.id);
                    } else {
                        compare.retain(|&c| c != r.id);
                    }
                }
                let link = ui.link(&r.name);
                tick.labelled_by(link.id);
                if link.clicked() {
                    out.push(Command::ShowRun(r.id));
                }
                ui.label(i18n.tr(stage_key(r.stage)));
                ui.label(
                    egui::RichText::new(status_text(i18n, r.status))
                        .color(status_color(ui, r.status)),
                );
                ui.label(data_text(view, r));
                ui.label(
                    r.best_val_loss
                        .map_or_else(|| "—".to_owned(), |v| i18n.decimal(v, 4)),
                );
                ui.label(format!("{} / {}", r.last_step, r.max_steps));
                ui.label(format_duration(Duration::from_secs_f64(
                    r.duration_secs.max(0.0),
                )));
                ui.horizontal(|ui| {
                    if ui.small_button(i18n.tr("training-clone")).clicked() {
                        out.push(Command::Training(TrainingCommand::Clone(r.id)));
                    }
                    if r.status != RunStatus::Running
                        && ui.small_button(i18n.tr("training-delete")).clicked()
                    {
                        out.push(Command::Training(TrainingCommand::AskDelete(Some(r.id))));
                    }
                });
                ui.end_row();
            }
        });
    if compare != state.compare {
        out.push(Command::Training(TrainingCommand::SetCompare(
            compare.clone(),
        )));
    }
    let chosen: Vec<(&RunRow, &LiveRun)> = state
        .compare
        .iter()
        .filter_map(|id| Some((run_row(view, *id)?, state.live.get(id)?)))
        .collect();
    if chosen.is_empty() {
        ui.label(
            egui::RichText::new(i18n.tr("training-compare-hint")).color(theme::weak_color(ui)),
        );
        return;
    }
    ui.add_space(8.0);
    ui.strong(i18n.tr("training-overlay-title"));
    let mut plot = state.plot;
    ui.horizontal(|ui| {
        ui.label(i18n.tr("training-smoothing"));
        ui.add(egui::Slider::new(&mut plot.smoothing, 0.0..=0.99).fixed_decimals(2));
        ui.checkbox(&mut plot.log_scale, i18n.tr("training-log-scale"));
    });
    if plot != state.plot {
        out.push(Command::Training(TrainingCommand::SetPlotOptions(plot)));
    }
    let mut series = Vec::new();
    for (i, (row, live)) in chosen.iter().enumerate() {
        let color = theme::series_color(ui, i);
        let c = &live.curves;
        let (points, smoothed) = dense_series(&c.step, &c.loss, plot.smoothing);
        series.push(Series {
            name: format!("{} · {}", row.name, i18n.tr("training-train-loss")),
            points,
            smoothed,
            color,
            dots: false,
        });
        series.push(Series {
            name: format!("{} · {}", row.name, i18n.tr("training-val-loss")),
            points: sparse_series(&c.val_loss),
            smoothed: None,
            color,
            dots: true,
        });
    }
    curves_ui(
        ui,
        "training_overlay",
        series,
        Vec::new(),
        plot,
        i18n,
        260.0,
        true,
    );
    if chosen.len() >= 2 {
        ui.add_space(8.0);
        ui.strong(i18n.tr("training-diff-title"));
        let diff = &state.compare_diff;
        if diff.is_empty() {
            ui.label(i18n.tr("training-diff-same"));
        } else {
            egui::Grid::new("training_diff")
                .striped(true)
                .num_columns(chosen.len() + 1)
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    ui.strong(i18n.tr("training-diff-key"));
                    for (r, _) in &chosen {
                        ui.strong(&r.name);
                    }
                    ui.end_row();
                    for (key, values) in diff {
                        ui.label(egui::RichText::new(key).monospace());
                        for v in values {
                            ui.label(
                                egui::RichText::new(crate::panels::preview(v, 48)).monospace(),
                            );
                        }
                        ui.end_row();
                    }
                });
        }
    }
}

pub(super) fn data_text(view: &AreaView<'_>, r: &RunRow) -> String {
    let i18n = view.i18n;
    let count = r.data_items.unwrap_or(0);
    match r.data.as_str() {
        "sft" => i18n.tr_args("training-data-sft-short", &[("count", count.into())]),
        "preferences" => i18n.tr_args("training-data-dpo-short", &[("count", count.into())]),
        _ => r
            .corpus_id
            .and_then(|id| view.snapshot.corpora.iter().find(|c| c.id == id))
            .map_or_else(|| "—".to_owned(), |c| c.name.clone()),
    }
}

/// "Used by runs: a, b" — links from an artefact (a corpus, a tokenizer, the SFT examples, the
/// preference pairs) to the runs trained on it. Draws nothing when no run used it.
pub fn used_by_runs_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    snapshot: &Snapshot,
    used: impl Fn(&RunRow) -> bool,
    out: &mut Vec<Command>,
) {
    let runs: Vec<&RunRow> = snapshot.runs.iter().filter(|r| used(r)).collect();
    if runs.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(i18n.tr("training-used-by")).color(theme::weak_color(ui)));
        for r in runs {
            if ui
                .link(&r.name)
                .on_hover_text(status_text(i18n, r.status))
                .clicked()
            {
                out.push(Command::ShowRun(r.id));
            }
        }
    });
}

pub(super) fn export_target_key(target: ExportTarget) -> &'static str {
    match target {
        ExportTarget::Hf => "model-export-target-hf",
        ExportTarget::Gguf => "model-export-target-gguf",
        ExportTarget::Ollama => "model-export-target-ollama",
    }
}

/// Export to Ollama, GGUF or a Hugging Face folder: the choices, the check's findings, the
/// outcome with the commands to run it.
pub(super) fn export_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    id: i64,
    row: &RunRow,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let export = &view.training.export;
    egui::CollapsingHeader::new(i18n.tr("model-export-title"))
        .id_salt("training_export")
        .show(ui, |ui| {
            let mut form = export.form.clone();
            ui.horizontal_wrapped(|ui| {
                for target in ExportTarget::ALL {
                    ui.radio_value(&mut form.target, target, i18n.tr(export_target_key(target)))
                        .on_hover_text(i18n.tr(&format!("{}-hint", export_target_key(target))));
                }
            });
            ui.horizontal_wrapped(|ui| {
                let label = ui.label(i18n.tr("model-export-precision"));
                egui::ComboBox::from_id_salt("export_precision")
                    .selected_text(form.precision.name())
                    .show_ui(ui, |ui| {
                        for p in Precision::ALL {
                            if p.fits(form.target.check_target()) {
                                ui.selectable_value(&mut form.precision, p, p.name());
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                let label = ui.label(i18n.tr("training-field-checkpoint"));
                ui.add(
                    egui::TextEdit::singleline(&mut form.checkpoint)
                        .id_salt("export_checkpoint")
                        .desired_width(60.0),
                )
                .labelled_by(label.id);
            });
            if !form.precision.fits(form.target.check_target()) {
                form.precision = Precision::F16;
            }
            if form != export.form {
                out.push(Command::Training(TrainingCommand::SetExportForm(
                    form.clone(),
                )));
            }
            let this_run = export.run == Some(id);
            let busy = export.busy();
            let passed = this_run
                && matches!(&export.findings, Some(Ok(f)) if crate::core::export::passes(f));
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!busy, egui::Button::new(i18n.tr("model-export-check")))
                    .on_hover_text(i18n.tr("model-export-check-hint"))
                    .clicked()
                {
                    out.push(Command::Training(TrainingCommand::CheckExport(id)));
                }
                if ui
                    .add_enabled(
                        !busy && passed,
                        egui::Button::new(i18n.tr("model-export-run")),
                    )
                    .on_hover_text(i18n.tr("model-export-run-hint"))
                    .clicked()
                {
                    out.push(Command::Training(TrainingCommand::Export(id)));
                }
                if busy {
                    ui.spinner();
                }
            });
            if !this_run {
                return;
            }
            match &export.findings {
                Some(Ok(findings)) => {
                    for f in findings {
                        let (mark, color) = match f.level {
                            Level::Ok => ("+", theme::success_color(ui)),
                            Level::Warn => ("!", theme::series_color(ui, 1)),
                            Level::Fail => ("×", theme::error_color(ui)),
                        };
                        let args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = f
                            .args
                            .iter()
                            .map(|(k, v)| (*k, v.as_str().into()))
                            .collect();
                        ui.label(
                            egui::RichText::new(format!("{mark} {}", i18n.tr_args(f.key, &args)))
                                .color(color),
                        );
                    }
                }
                Some(Err(e)) => {
                    ui.label(egui::RichText::new(e).color(theme::error_color(ui)));
                }
                None => {}
            }
            match &export.done {
                Some(Ok(path)) => {
                    ui.label(
                        egui::RichText::new(i18n.tr_args(
                            "model-export-done",
                            &[("path", path.display().to_string().into())],
                        ))
                        .color(theme::success_color(ui)),
                    );
                    if form.target == ExportTarget::Ollama {
                        let dir = path.parent().unwrap_or(path);
                        let commands = format!(
                            "cd {} && ollama create {name} -f Modelfile\nollama run {name}",
                            crate::core::runs::shell_line(&dir.display().to_string(), &[]),
                            name = row.name
                        );
                        ui.horizontal(|ui| {
                            ui.label(egui::RichText::new(&commands).monospace());
                            if ui.small_button(i18n.tr("training-copy")).clicked() {
                                out.push(Command::CopyText(commands.clone()));
                            }
                        });
                    }
                    let dir = if path.is_dir() {
                        path.clone()
                    } else {
                        path.parent()
                            .map_or_else(|| path.clone(), std::path::Path::to_path_buf)
                    };
                    folder_link_ui(ui, i18n, &dir, out);
                }
                Some(Err(e)) => {
                    ui.label(egui::RichText::new(e).color(theme::error_color(ui)));
                }
                None => {}
            }
        });
}
