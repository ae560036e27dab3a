//! Training area: the workspace's runs.

use crate::app::command::Command;
use crate::core::workspace::Folder;
use crate::panels::{AreaView, about_ui, empty_state_ui, table_ui};

pub fn training_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    about_ui(ui, i18n, "training-about");
    let runs = &view.snapshot.runs;
    if runs.is_empty() {
        empty_state_ui(
            ui,
            view,
            "training-empty-title",
            "training-empty-body",
            Folder::Runs,
            out,
        );
        return;
    }
    table_ui(
        ui,
        "runs",
        i18n,
        &["col-name", "col-stage", "col-status"],
        |ui| {
            for run in runs {
                ui.label(&run.name);
                ui.label(&run.stage);
                ui.label(&run.status);
                ui.end_row();
            }
        },
    );
}
