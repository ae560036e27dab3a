//! Tokenizer area: the workspace's tokenizers.

use crate::app::command::Command;
use crate::core::workspace::Folder;
use crate::panels::{AreaView, about_ui, empty_state_ui, table_ui};

pub fn tokenizer_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    about_ui(ui, i18n, "tokenizer-about");
    let tokenizers = &view.snapshot.tokenizers;
    if tokenizers.is_empty() {
        empty_state_ui(
            ui,
            view,
            "tokenizer-empty-title",
            "tokenizer-empty-body",
            Folder::Tokenizers,
            out,
        );
        return;
    }
    table_ui(
        ui,
        "tokenizers",
        i18n,
        &["col-name", "col-kind", "col-vocab"],
        |ui| {
            for t in tokenizers {
                ui.label(&t.name);
                ui.label(&t.kind);
                ui.label(t.vocab_size.to_string());
                ui.end_row();
            }
        },
    );
}
