//! The Monitor tab: one run live (curves, ETA, samples, controls, lineage).

use std::time::Duration;

use crate::app::command::{Command, TrainingCommand};
use crate::app::theme;
use crate::app::training::{LiveRun, PlotOptions};
use crate::core::domain::{RunStatus, Stage};
use crate::core::store::RunRow;
use crate::i18n::I18n;
use crate::panels::status_bar::format_duration;
use crate::panels::{AreaView, folder_link_ui};
use crate::widgets::loss_plot::{Marker, Series, curves_ui, dense_series, sparse_series};

use super::history::export_ui;
use super::{millions, stage_key, status_color, status_text};

pub(super) fn run_row<'a>(view: &'a AreaView<'_>, id: i64) -> Option<&'a RunRow> {
    view.snapshot.runs.iter().find(|r| r.id == id)
}

#[allow(clippy::too_many_lines)]
pub(super) fn monitor_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let state = view.training;
    let Some((id, row)) = state
        .selected
        .and_then(|id| run_row(view, id).map(|r| (id, r)))
    else {
        ui.label(
            egui::RichText::new(i18n.tr("training-monitor-empty")).color(theme::weak_color(ui)),
        );
        return;
    };
    let Some(live) = state.live.get(&id) else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.heading(&row.name);
        ui.label(i18n.tr(stage_key(row.stage)));
        ui.label(
            egui::RichText::new(status_text(i18n, live.status))
                .strong()
                .color(status_color(ui, live.status)),
        );
    });
    lineage_ui(ui, view, row, out);

    // Controls
    ui.horizontal_wrapped(|ui| {
        let running = live.is_running() || live.channel.is_some();
        if running {
            let label = if live.stopping {
                i18n.tr("training-stopping")
            } else {
                i18n.tr("training-stop")
            };
            if ui
                .add_enabled(!live.stopping, egui::Button::new(label))
                .on_hover_text(i18n.tr("training-stop-hint"))
                .clicked()
            {
                out.push(Command::Training(TrainingCommand::Stop(id)));
            }
        } else if !live.history.checkpoints.is_empty() || live.history.best_step.is_some() {
            let mut from = state.resume_from.clone();
            // A finished run resumed from its last checkpoint would stop at once.
            let last = live.history.checkpoints.last().copied();
            let nothing_left = live.status == RunStatus::Finished
                && (from == "last" || from.parse::<u64>().ok() == last);
            if ui
                .add_enabled(!nothing_left, egui::Button::new(i18n.tr("training-resume")))
                .on_hover_text(i18n.tr("training-resume-hint"))
                .on_disabled_hover_text(i18n.tr("training-resume-finished-hint"))
                .clicked()
            {
                out.push(Command::Training(TrainingCommand::Resume(id)));
            }
            let label = ui.label(i18n.tr("training-resume-from"));
            egui::ComboBox::from_id_salt("training_resume_from")
                .selected_text(checkpoint_label(i18n, &from))
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut from,
                        "last".to_owned(),
                        i18n.tr("training-ckpt-last"),
                    );
                    if live.history.best_step.is_some() {
                        ui.selectable_value(
                            &mut from,
                            "best".to_owned(),
                            i18n.tr("training-ckpt-best"),
                        );
                    }
                    for step in &live.history.checkpoints {
                        let s = step.to_string();
                        let text = checkpoint_label(i18n, &s);
                        ui.selectable_value(&mut from, s, text);
                    }
                })
                .response
                .labelled_by(label.id);
            if from != state.resume_from {
                out.push(Command::Training(TrainingCommand::SetResumeFrom(from)));
            }
        } else if live.status != RunStatus::Finished {
            // Killed or refused before its first checkpoint: not a dead end.
            if ui
                .button(i18n.tr("training-restart"))
                .on_hover_text(i18n.tr("training-restart-hint"))
                .clicked()
            {
                out.push(Command::Training(TrainingCommand::Resume(id)));
            }
        }
        if ui
            .button(i18n.tr("training-clone"))
            .on_hover_text(i18n.tr("training-clone-hint"))
            .clicked()
        {
            out.push(Command::Training(TrainingCommand::Clone(id)));
        }
        if !running
            && ui
                .button(i18n.tr("training-delete"))
                .on_hover_text(i18n.tr("training-delete-hint"))
                .clicked()
        {
            out.push(Command::Training(TrainingCommand::AskDelete(Some(id))));
        }
    });
    folder_link_ui(ui, i18n, &view.workspace.root().join(&row.dir), out);
    if let Some(error) = &live.error {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                egui::RichText::new(i18n.tr("training-failed-title"))
                    .strong()
                    .color(theme::error_color(ui)),
            );
            ui.label(egui::RichText::new(error).monospace().small());
        });
    }
    confirm_delete_ui(ui, view, out);
    if !live.is_running()
        && (!live.history.checkpoints.is_empty() || live.history.best_step.is_some())
    {
        export_ui(ui, view, id, row, out);
    }
    ui.add_space(6.0);
    progress_ui(ui, i18n, live);
    ui.add_space(6.0);

    let mut plot = state.plot;
    ui.horizontal(|ui| {
        ui.label(i18n.tr("training-smoothing"));
        ui.add(egui::Slider::new(&mut plot.smoothing, 0.0..=0.99).fixed_decimals(2));
        ui.checkbox(&mut plot.log_scale, i18n.tr("training-log-scale"));
    });
    if plot != state.plot {
        out.push(Command::Training(TrainingCommand::SetPlotOptions(plot)));
    }
    loss_plot_ui(ui, i18n, live, plot, &format!("training_loss_{id}"));
    small_plots_ui(ui, i18n, live, id, row.stage == Stage::Dpo);
    samples_ui(ui, i18n, live);
    egui::CollapsingHeader::new(i18n.tr("training-log-title"))
        .id_salt("training_log")
        .show(ui, |ui| {
            for line in &live.log {
                ui.label(egui::RichText::new(line).monospace().small());
            }
        });
    // Runs started from this one.
    let children: Vec<&RunRow> = view
        .snapshot
        .runs
        .iter()
        .filter(|r| r.base_run_id == Some(id))
        .collect();
    if !children.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(i18n.tr("training-children"));
            for child in children {
                if ui.link(&child.name).clicked() {
                    out.push(Command::ShowRun(child.id));
                }
            }
        });
    }
}

pub(super) fn checkpoint_label(i18n: &I18n, which: &str) -> String {
    match which {
        "last" => i18n.tr("training-ckpt-last"),
        "best" => i18n.tr("training-ckpt-best"),
        step => i18n.tr_args("training-ckpt-step", &[("step", step.into())]),
    }
}

/// corpus → tokenizer → base run → data → this run, each a link.
pub(super) fn lineage_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    row: &RunRow,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let snapshot = view.snapshot;
    // The chain of base runs, oldest first (bounded: a cycle cannot come from the form).
    let mut chain = vec![row];
    while let Some(base) = chain
        .last()
        .and_then(|r| r.base_run_id)
        .and_then(|id| snapshot.runs.iter().find(|r| r.id == id))
        .filter(|_| chain.len() < 16)
    {
        chain.push(base);
    }
    chain.reverse();
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(i18n.tr("training-lineage")).color(theme::weak_color(ui)));
        let arrow = |ui: &mut egui::Ui| {
            ui.label(egui::RichText::new("→").color(theme::weak_color(ui)));
        };
        let mut first = true;
        for (i, run) in chain.iter().enumerate() {
            if i == 0 {
                if let Some(c) = run
                    .corpus_id
                    .and_then(|id| snapshot.corpora.iter().find(|c| c.id == id))
                {
                    if ui
                        .link(&c.name)
                        .on_hover_text(i18n.tr("training-lineage-corpus"))
                        .clicked()
                    {
                        out.push(Command::ShowCorpus(c.id));
                    }
                    first = false;
                }
                if let Some(t) = run
                    .tokenizer_id
                    .and_then(|id| snapshot.tokenizers.iter().find(|t| t.id == id))
                {
                    if !first {
                        arrow(ui);
                    }
                    if ui
                        .link(&t.name)
                        .on_hover_text(i18n.tr("training-lineage-tokenizer"))
                        .clicked()
                    {
                        out.push(Command::ShowTokenizer(t.id));
                    }
                    first = false;
                }
            } else {
                match run.data.as_str() {
                    "sft" => {
                        arrow(ui);
                        if ui.link(i18n.tr("training-lineage-sft")).clicked() {
                            out.push(Command::Open(crate::app::state::Area::Sft));
                        }
                    }
                    "preferences" => {
                        arrow(ui);
                        if ui.link(i18n.tr("training-lineage-prefs")).clicked() {
                            out.push(Command::Open(crate::app::state::Area::Rating));
                        }
                    }
                    _ => {
                        if let Some(c) = run
                            .corpus_id
                            .and_then(|id| snapshot.corpora.iter().find(|c| c.id == id))
                        {
                            arrow(ui);
                            if ui.link(&c.name).clicked() {
                                out.push(Command::ShowCorpus(c.id));
                            }
                        }
                    }
                }
            }
            if !first {
                arrow(ui);
            }
            first = false;
            let text = format!("{} ({})", run.name, run.stage);
            if run.id == row.id {
                ui.strong(text);
            } else if ui.link(text).clicked() {
                out.push(Command::ShowRun(run.id));
            }
        }
    });
}

pub(super) fn progress_ui(ui: &mut egui::Ui, i18n: &I18n, live: &LiveRun) {
    if let Some((done, total)) = live.preparing {
        let fraction = done as f32 / total.max(1) as f32;
        ui.add(
            egui::ProgressBar::new(fraction)
                .text(i18n.tr_args(
                    "training-preparing",
                    &[("percent", format!("{:.0}", fraction * 100.0).into())],
                ))
                .desired_width(480.0),
        );
        return;
    }
    let step = live.last().map_or(0, |m| m.step);
    let max = live.max_steps.max(1);
    let fraction = step as f32 / max as f32;
    let elapsed = live.last().map_or(0.0, |m| m.elapsed_secs);
    let eta = live.last().filter(|_| live.is_running()).map_or_else(
        || "—".to_owned(),
        |m| format_duration(Duration::from_secs_f64(m.eta_secs.max(0.0))),
    );
    ui.add(
        egui::ProgressBar::new(fraction)
            .text(i18n.tr_args(
                "training-progress",
                &[
                    ("step", step.into()),
                    ("max", max.into()),
                    ("percent", format!("{:.0}", fraction * 100.0).into()),
                    (
                        "elapsed",
                        format_duration(Duration::from_secs_f64(elapsed.max(0.0))).into(),
                    ),
                    ("eta", eta.into()),
                ],
            ))
            .desired_width(560.0),
    );
    let Some(m) = live.last() else {
        if live.is_running() {
            ui.label(egui::RichText::new(i18n.tr("training-waiting")).color(theme::weak_color(ui)));
        }
        return;
    };
    let val = live
        .curves
        .val_loss
        .last()
        .map_or_else(|| "—".to_owned(), |p| i18n.decimal(p[1], 4));
    let best = live.best().map_or_else(
        || "—".to_owned(),
        |(s, v)| format!("{} @ {s}", i18n.decimal(v, 4)),
    );
    ui.label(i18n.tr_args(
        "training-stats",
        &[
            ("loss", i18n.decimal(m.loss, 4).into()),
            ("val", val.into()),
            ("best", best.into()),
            ("lr", i18n.localize_number(&format!("{:.2e}", m.lr)).into()),
            ("grad", i18n.decimal(m.grad_norm, 3).into()),
            ("speed", format!("{:.0}", m.tokens_per_sec).into()),
            ("tokens", millions(i18n, m.tokens).into()),
        ],
    ));
    if let Some((params, trainable)) = live.parameters {
        ui.label(
            egui::RichText::new(i18n.tr_args(
                "training-params",
                &[
                    ("params", millions(i18n, params).into()),
                    ("trainable", millions(i18n, trainable).into()),
                ],
            ))
            .color(theme::weak_color(ui)),
        );
    }
}

pub(super) fn loss_plot_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    live: &LiveRun,
    plot: PlotOptions,
    id: &str,
) {
    let c = &live.curves;
    let (train, smoothed) = dense_series(&c.step, &c.loss, plot.smoothing);
    let val = sparse_series(&c.val_loss);
    let markers = live
        .best()
        .map(|(step, v)| Marker {
            name: i18n.tr("training-best-checkpoint"),
            step: step as f64,
            value: v,
            color: theme::success_color(ui),
        })
        .into_iter()
        .collect();
    curves_ui(
        ui,
        id,
        vec![
            Series {
                name: i18n.tr("training-train-loss"),
                points: train,
                smoothed,
                color: theme::series_color(ui, 0),
                dots: false,
            },
            Series {
                name: i18n.tr("training-val-loss"),
                points: val,
                smoothed: None,
                color: theme::series_color(ui, 1),
                dots: true,
            },
        ],
        markers,
        plot,
        i18n,
        240.0,
        true,
    );
}

pub(super) fn small_plots_ui(ui: &mut egui::Ui, i18n: &I18n, live: &LiveRun, id: i64, dpo: bool) {
    let c = &live.curves;
    let mut plots: Vec<(&str, Vec<[f64; 2]>)> = vec![
        ("training-lr", dense_series(&c.step, &c.lr, 0.0).0),
        (
            "training-grad-norm",
            dense_series(&c.step, &c.grad_norm, 0.0).0,
        ),
        (
            "training-speed",
            dense_series(&c.step, &c.tokens_per_sec, 0.0).0,
        ),
    ];
    if dpo {
        plots.push(("training-margin", sparse_series(&c.reward_margin)));
        plots.push(("training-accuracy", sparse_series(&c.reward_accuracy)));
    }
    let raw = PlotOptions {
        smoothing: 0.0,
        log_scale: false,
    };
    let width = (ui.available_width() / plots.len() as f32 - 8.0).max(160.0);
    ui.horizontal_wrapped(|ui| {
        for (i, (key, points)) in plots.into_iter().enumerate() {
            ui.vertical(|ui| {
                ui.set_width(width);
                ui.label(egui::RichText::new(i18n.tr(key)).small());
                curves_ui(
                    ui,
                    &format!("training_small_{id}_{key}"),
                    vec![Series {
                        name: i18n.tr(key),
                        points,
                        smoothed: None,
                        color: theme::series_color(ui, i + 2),
                        dots: false,
                    }],
                    Vec::new(),
                    raw,
                    i18n,
                    110.0,
                    false,
                );
            });
        }
    });
}

pub(super) fn samples_ui(ui: &mut egui::Ui, i18n: &I18n, live: &LiveRun) {
    let samples = &live.history.samples;
    let Some(last_step) = samples.last().map(|s| s.step) else {
        return;
    };
    ui.add_space(4.0);
    ui.strong(i18n.tr_args("training-samples", &[("step", last_step.into())]));
    for s in samples.iter().filter(|s| s.step == last_step) {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width().min(720.0));
            ui.label(egui::RichText::new(&s.prompt).strong());
            ui.label(&s.text);
        });
    }
    egui::CollapsingHeader::new(
        i18n.tr_args("training-samples-all", &[("count", samples.len().into())]),
    )
    .id_salt("training_samples_all")
    .show(ui, |ui| {
        for s in samples.iter().rev() {
            ui.label(
                egui::RichText::new(format!("[{}] {}", s.step, s.prompt))
                    .small()
                    .color(theme::weak_color(ui)),
            );
            ui.label(&s.text);
        }
    });
}

pub(super) fn confirm_delete_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let Some(id) = view.training.confirm_delete else {
        return;
    };
    let Some(row) = run_row(view, id) else {
        return;
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(
            egui::RichText::new(i18n.tr_args(
                "training-delete-confirm",
                &[("name", row.name.as_str().into())],
            ))
            .strong()
            .color(theme::error_color(ui)),
        );
        ui.horizontal(|ui| {
            if ui.button(i18n.tr("training-delete-yes")).clicked() {
                out.push(Command::Training(TrainingCommand::Delete(id)));
            }
            if ui.button(i18n.tr("action-cancel")).clicked() {
                out.push(Command::Training(TrainingCommand::AskDelete(None)));
            }
        });
    });
}
