//! Training area: a launch form checked as it is filled, a live view of one run (curves, ETA,
//! samples, controls, lineage), and the workspace's run history with overlaid curves and a
//! config diff.

mod history;
mod launch;
mod monitor;

use crate::app::command::{Command, TrainingCommand};
use crate::app::theme;
use crate::app::training::TrainingTab;
use crate::core::domain::RunStatus;
use crate::core::runs::Problem;
use crate::core::train::Stage;
use crate::i18n::I18n;
use crate::panels::{AreaView, about_ui};
use history::history_ui;
pub use history::used_by_runs_ui;
use launch::launch_ui;
use monitor::monitor_ui;

pub fn training_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let state = view.training;
    about_ui(ui, i18n, "training-about");
    let selected_name = state
        .selected
        .and_then(|id| view.snapshot.runs.iter().find(|r| r.id == id))
        .map(|r| r.name.clone());
    ui.horizontal(|ui| {
        let mut tab = state.tab;
        ui.selectable_value(
            &mut tab,
            TrainingTab::Launch,
            i18n.tr("training-tab-launch"),
        );
        let monitor = match &selected_name {
            Some(name) => i18n.tr_args(
                "training-tab-monitor-named",
                &[("name", name.as_str().into())],
            ),
            None => i18n.tr("training-tab-monitor"),
        };
        ui.selectable_value(&mut tab, TrainingTab::Monitor, monitor);
        ui.selectable_value(
            &mut tab,
            TrainingTab::History,
            i18n.tr_args(
                "training-tab-history",
                &[("count", view.snapshot.runs.len().into())],
            ),
        );
        if tab != state.tab {
            out.push(Command::Training(TrainingCommand::SetTab(tab)));
        }
    });
    ui.separator();
    if let Some(error) = &state.error {
        ui.label(egui::RichText::new(error).color(theme::error_color(ui)));
        ui.add_space(4.0);
    }
    match state.tab {
        TrainingTab::Launch => launch_ui(ui, view, out),
        TrainingTab::Monitor => monitor_ui(ui, view, out),
        TrainingTab::History => history_ui(ui, view, out),
    }
}

fn stage_key(stage: Stage) -> &'static str {
    match stage {
        Stage::Pretrain => "training-stage-pretrain",
        Stage::Continue => "training-stage-continue",
        Stage::Sft => "training-stage-sft",
        Stage::Dpo => "training-stage-dpo",
    }
}

fn status_text(i18n: &I18n, status: RunStatus) -> String {
    match status {
        RunStatus::Running => i18n.tr("training-status-running"),
        RunStatus::Stopped => i18n.tr("training-status-stopped"),
        RunStatus::Finished => i18n.tr("training-status-finished"),
        RunStatus::Failed => i18n.tr("training-status-failed"),
        RunStatus::Created => status.name().to_owned(),
    }
}

fn status_color(ui: &egui::Ui, status: RunStatus) -> egui::Color32 {
    match status {
        RunStatus::Failed => theme::error_color(ui),
        RunStatus::Finished => theme::success_color(ui),
        RunStatus::Running => theme::series_color(ui, 0),
        RunStatus::Created | RunStatus::Stopped => theme::weak_color(ui),
    }
}

fn megabytes(i18n: &I18n, bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 1000.0 {
        format!("{} GB", i18n.decimal(mb / 1000.0, 1))
    } else {
        format!("{mb:.0} MB")
    }
}

fn millions(i18n: &I18n, n: u64) -> String {
    if n >= 1_000_000 {
        format!("{}M", i18n.decimal(n as f64 / 1e6, 1))
    } else if n >= 1000 {
        format!("{:.0}k", n as f64 / 1e3)
    } else {
        n.to_string()
    }
}

/// A label with a tooltip, for the form's left column.
fn field_label(ui: &mut egui::Ui, i18n: &I18n, key: &str) -> egui::Response {
    let hint = format!("{key}-hint");
    ui.label(i18n.tr(key)).on_hover_text(i18n.tr(&hint))
}

/// A field with its label in the grid: the label names the widget for screen readers too.
fn labelled_ui(ui: &mut egui::Ui, i18n: &I18n, key: &str, widget: impl egui::Widget) {
    let label = field_label(ui, i18n, key);
    ui.add(widget).labelled_by(label.id);
}

fn problem_text(i18n: &I18n, problem: &Problem) -> String {
    match problem {
        Problem::NoName => i18n.tr("training-problem-name"),
        Problem::NameTaken => i18n.tr("training-problem-name-taken"),
        Problem::NoData => i18n.tr("training-problem-no-data"),
        Problem::NoTokenizer => i18n.tr("training-problem-no-tokenizer"),
        Problem::Tokenizer(e) => i18n.tr_args(
            "training-problem-tokenizer",
            &[("error", e.as_str().into())],
        ),
        Problem::NoBase => i18n.tr("training-problem-no-base"),
        Problem::Base(e) => i18n.tr_args("training-problem-base", &[("error", e.as_str().into())]),
        Problem::VocabMismatch { tokenizer, model } => i18n.tr_args(
            "training-problem-vocab",
            &[
                ("tokenizer", (*tokenizer).into()),
                ("model", (*model).into()),
            ],
        ),
        Problem::OtherTokenizer => i18n.tr("training-problem-other-tokenizer"),
        Problem::ContextTooLong { seq_len, context } => i18n.tr_args(
            "training-problem-context",
            &[("seq", (*seq_len).into()), ("context", (*context).into())],
        ),
        Problem::Model(e) => {
            i18n.tr_args("training-problem-model", &[("error", e.as_str().into())])
        }
        Problem::NoSteps => i18n.tr("training-problem-steps"),
        Problem::BadBatch => i18n.tr("training-problem-batch"),
        Problem::LoraWithoutBase => i18n.tr("training-problem-lora"),
        Problem::Setting(e) => super::out_of_range_text(i18n, e),
    }
}
