//! Playground area: chat with a trained model. Until a run has finished there is no model to
//! talk to, and the area says so.

use crate::app::command::Command;
use crate::core::workspace::Folder;
use crate::panels::{AreaView, about_ui, empty_state_ui};

pub fn playground_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    about_ui(ui, i18n, "playground-about");
    let finished = view
        .snapshot
        .runs
        .iter()
        .filter(|r| r.status == "finished" || r.status == "stopped")
        .count();
    if finished == 0 {
        empty_state_ui(
            ui,
            view,
            "playground-empty-title",
            "playground-empty-body",
            Folder::Runs,
            out,
        );
        return;
    }
    ui.label(i18n.tr_args("playground-models-ready", &[("count", finished.into())]));
}
