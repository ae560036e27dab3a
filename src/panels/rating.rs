//! Rating area: the workspace's preference items and how far their rating has come.

use crate::app::command::Command;
use crate::core::workspace::Folder;
use crate::panels::{AreaView, about_ui, empty_state_ui, preview, table_ui};

pub fn rating_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    about_ui(ui, i18n, "rating-about");
    let items = &view.snapshot.preferences;
    if items.is_empty() {
        empty_state_ui(
            ui,
            view,
            "rating-empty-title",
            "rating-empty-body",
            Folder::Exports,
            out,
        );
        return;
    }
    crate::panels::training::used_by_runs_ui(ui, view, |r| r.data == "preferences", out);
    let counts = &view.snapshot.counts;
    ui.label(i18n.tr_args(
        "count-preference-items",
        &[
            ("count", counts.preference_items.into()),
            ("ratings", counts.ratings.into()),
        ],
    ));
    ui.add_space(4.0);
    table_ui(
        ui,
        "preference-items",
        i18n,
        &["col-id", "col-prompt", "col-responses", "col-ratings"],
        |ui| {
            for item in items {
                ui.label(item.id.to_string());
                ui.label(preview(&item.prompt, 90));
                ui.label(item.responses.to_string());
                ui.label(item.ratings.to_string());
                ui.end_row();
            }
        },
    );
}
