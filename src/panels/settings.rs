//! Settings: UI language, theme, annotator name and the workspace.

use std::path::PathBuf;

use crate::app::command::Command;
use crate::app::state::{ThemeChoice, UiState};
use crate::app::{SettingsForm, WorkspaceSlot, theme};
use crate::core::store::SCHEMA_VERSION;
use crate::i18n::{I18n, Lang};
use crate::panels::folder_link_ui;

pub fn settings_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    state: &UiState,
    form: &mut SettingsForm,
    workspace: &WorkspaceSlot,
    out: &mut Vec<Command>,
) {
    section_ui(ui, i18n, "settings-language", |ui, _| {
        ui.horizontal(|ui| {
            for lang in Lang::ALL {
                if ui
                    .selectable_label(state.lang == lang, lang.native_name())
                    .clicked()
                    && state.lang != lang
                {
                    out.push(Command::SetLang(lang));
                }
            }
        });
    });

    section_ui(ui, i18n, "settings-theme", |ui, _| {
        ui.horizontal(|ui| {
            for choice in ThemeChoice::ALL {
                if ui
                    .selectable_label(state.theme == choice, i18n.tr(choice.label_key()))
                    .clicked()
                    && state.theme != choice
                {
                    out.push(Command::SetTheme(choice));
                }
            }
        });
    });

    section_ui(ui, i18n, "settings-annotator", |ui, title| {
        ui.label(egui::RichText::new(i18n.tr("settings-annotator-hint")).weak());
        let response = ui
            .add(
                egui::TextEdit::singleline(&mut form.annotator)
                    .hint_text(i18n.tr("settings-annotator-placeholder"))
                    .desired_width(280.0),
            )
            .labelled_by(title);
        if response.lost_focus() && form.annotator.trim() != state.annotator {
            out.push(Command::SetAnnotator(form.annotator.clone()));
        }
    });

    section_ui(ui, i18n, "settings-workspace", |ui, title| {
        ui.label(egui::RichText::new(i18n.tr("settings-workspace-hint")).weak());
        match workspace {
            WorkspaceSlot::Open {
                workspace,
                snapshot,
            } => {
                ui.label(
                    egui::RichText::new(i18n.tr("settings-workspace-open"))
                        .color(theme::success_color(ui)),
                );
                folder_link_ui(ui, i18n, workspace.root(), out);
                let c = &snapshot.counts;
                ui.label(i18n.tr_args(
                    "settings-workspace-summary",
                    &[
                        ("corpora", c.corpora.into()),
                        ("sft", c.sft_examples.into()),
                        ("preferences", c.preference_items.into()),
                        ("runs", c.runs.into()),
                        ("schema", SCHEMA_VERSION.into()),
                    ],
                ));
                if let Some(report) = workspace.seeded() {
                    ui.label(i18n.tr_args(
                        "settings-workspace-seeded",
                        &[
                            ("corpora", report.corpora.into()),
                            ("sft", report.sft_examples.into()),
                            ("preferences", report.preference_items.into()),
                        ],
                    ));
                }
            }
            WorkspaceSlot::Failed { path, error, known } => {
                let error = known
                    .as_ref()
                    .map_or_else(|| error.clone(), |k| k.text(i18n));
                ui.label(
                    egui::RichText::new(i18n.tr("workspace-failed-title"))
                        .strong()
                        .color(theme::error_color(ui)),
                );
                ui.monospace(path.display().to_string());
                ui.label(egui::RichText::new(error).color(theme::error_color(ui)));
            }
        }
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut form.workspace_path)
                        .desired_width(360.0)
                        .hint_text(i18n.tr("settings-workspace-path")),
                )
                .labelled_by(title);
            let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if (ui.button(i18n.tr("settings-workspace-open-path")).clicked() || entered)
                && !form.workspace_path.trim().is_empty()
            {
                out.push(Command::OpenWorkspace(PathBuf::from(
                    form.workspace_path.trim(),
                )));
            }
            if ui.button(i18n.tr("settings-workspace-choose")).clicked() {
                out.push(Command::ChooseWorkspace);
            }
        });
        if matches!(workspace, WorkspaceSlot::Open { .. })
            && ui
                .button(i18n.tr("settings-workspace-check"))
                .on_hover_text(i18n.tr("settings-workspace-check-hint"))
                .clicked()
        {
            out.push(Command::CheckWorkspace);
        }
    });
}

/// A titled group; `body` gets the title's id so a field can be labelled by it (for screen
/// readers and for the GUI tests).
fn section_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    title_key: &str,
    body: impl FnOnce(&mut egui::Ui, egui::Id),
) {
    ui.add_space(10.0);
    let title = ui.label(egui::RichText::new(i18n.tr(title_key)).strong().size(15.0));
    ui.add_space(2.0);
    body(ui, title.id);
}
