//! Corpus area: the workspace's corpora and their size.

use crate::app::command::Command;
use crate::core::workspace::Folder;
use crate::panels::{AreaView, about_ui, empty_state_ui, folder_link_ui, table_ui};

pub fn corpus_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    about_ui(ui, i18n, "corpus-about");
    let corpora = &view.snapshot.corpora;
    if corpora.is_empty() {
        empty_state_ui(
            ui,
            view,
            "corpus-empty-title",
            "corpus-empty-body",
            Folder::Corpora,
            out,
        );
        return;
    }
    ui.label(i18n.tr_args("count-corpora", &[("count", corpora.len().into())]));
    ui.add_space(4.0);
    table_ui(
        ui,
        "corpora",
        i18n,
        &["col-name", "col-documents", "col-characters", "col-file"],
        |ui| {
            for corpus in corpora {
                ui.label(&corpus.name);
                ui.label(corpus.doc_count.to_string());
                ui.label(corpus.char_count.to_string());
                ui.monospace(&corpus.path);
                ui.end_row();
            }
        },
    );
    ui.add_space(12.0);
    ui.label(i18n.tr("corpus-coming"));
    folder_link_ui(ui, i18n, &view.workspace.folder(Folder::Corpora), out);
}
