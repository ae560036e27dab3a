//! The assist box: a passage from the corpus or a model drafts an example.

use crate::app::command::{Command, SftCommand};
use crate::app::sft::AssistForm;
use crate::app::theme;
use crate::core::sft;
use crate::panels::AreaView;

pub(super) fn assist_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let sft = view.sft;
    let mut form: AssistForm = sft.assist.clone();
    egui::CollapsingHeader::new(i18n.tr("sft-assist"))
        // A passage arriving (from the Corpus area) opens the box: its state is kept apart
        // from the empty box's.
        .id_salt(("sft_assist", form.passage.is_empty()))
        .default_open(!form.passage.is_empty())
        .show(ui, |ui| {
            ui.label(
                egui::RichText::new(i18n.tr("sft-assist-passage-about"))
                    .color(theme::weak_color(ui)),
            );
            ui.horizontal_wrapped(|ui| {
                let label = ui.label(i18n.tr("sft-template"));
                egui::ComboBox::from_id_salt("sft_template")
                    .selected_text(
                        sft::PASSAGE_TEMPLATES
                            .iter()
                            .find(|(_, t)| *t == form.template)
                            .map_or_else(|| i18n.tr("sft-template-custom"), |(k, _)| i18n.tr(k)),
                    )
                    .show_ui(ui, |ui| {
                        for (k, t) in sft::PASSAGE_TEMPLATES {
                            ui.selectable_value(&mut form.template, t.to_owned(), i18n.tr(k));
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if view
                    .corpus
                    .browser
                    .as_ref()
                    .is_some_and(|b| b.open_doc.is_some())
                    && ui
                        .button(i18n.tr("sft-passage-from-corpus"))
                        .on_hover_text(i18n.tr("sft-passage-from-corpus-hint"))
                        .clicked()
                {
                    out.push(Command::Sft(SftCommand::PassageFromCorpus));
                }
            });
            let label = ui.label(i18n.tr("sft-template-text"));
            ui.add(
                egui::TextEdit::multiline(&mut form.template)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            let label = ui.label(if form.source.is_empty() {
                i18n.tr("sft-passage")
            } else {
                i18n.tr_args(
                    "sft-passage-from",
                    &[("source", form.source.as_str().into())],
                )
            });
            let passage = egui::TextEdit::multiline(&mut form.passage)
                .id(egui::Id::unique("sft_passage"))
                .hint_text(i18n.tr("sft-passage-hint"))
                .desired_rows(4)
                .desired_width(f32::INFINITY)
                .show(ui);
            let _ = egui::Response::clone(&passage.response).labelled_by(label.id);
            // A selection in the passage drafts from the selected words only.
            let selected = passage
                .cursor_range
                .map(|r| r.as_sorted_char_range())
                .filter(|r| !r.is_empty())
                .map(|r| {
                    form.passage
                        .chars()
                        .skip(r.start.0)
                        .take(r.end.0 - r.start.0)
                        .collect::<String>()
                });
            if ui
                .add_enabled(
                    !form.passage.trim().is_empty(),
                    egui::Button::new(i18n.tr(if selected.is_some() {
                        "sft-draft-from-selection"
                    } else {
                        "sft-draft-from-passage"
                    })),
                )
                .clicked()
            {
                out.push(Command::Sft(SftCommand::DraftFromPassage(
                    selected.unwrap_or_else(|| form.passage.clone()),
                )));
            }
            ui.separator();
            ui.label(
                egui::RichText::new(i18n.tr("sft-assist-model-about")).color(theme::weak_color(ui)),
            );
            ui.horizontal_wrapped(|ui| {
                let label = ui.label(i18n.tr("sft-model"));
                let runs: Vec<_> = view.snapshot.trained_runs().collect();
                let name = form
                    .run
                    .and_then(|id| runs.iter().find(|r| r.id == id))
                    .map_or_else(|| i18n.tr("sft-model-none"), |r| r.name.clone());
                egui::ComboBox::from_id_salt("sft_model")
                    .selected_text(name)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut form.run, None, i18n.tr("sft-model-none"));
                        for r in &runs {
                            ui.selectable_value(&mut form.run, Some(r.id), &r.name);
                        }
                    })
                    .response
                    .labelled_by(label.id);
                let label = ui.label(i18n.tr("sft-checkpoint"));
                ui.add(egui::TextEdit::singleline(&mut form.checkpoint).desired_width(60.0))
                    .labelled_by(label.id)
                    .on_hover_text(i18n.tr("sft-checkpoint-hint"));
                let label = ui.label(i18n.tr("sft-temperature"));
                ui.add(crate::panels::localized(
                    egui::DragValue::new(&mut form.temperature)
                        .range(0.0..=2.0)
                        .speed(0.05),
                    i18n,
                    2,
                ))
                .labelled_by(label.id);
                let label = ui.label(i18n.tr("sft-max-tokens"));
                ui.add(egui::DragValue::new(&mut form.max_tokens).range(1..=4096))
                    .labelled_by(label.id);
                let label = ui.label(i18n.tr("sft-seed"));
                ui.add(egui::DragValue::new(&mut form.seed))
                    .labelled_by(label.id);
            });
            if sft.draft.is_some() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(i18n.tr("sft-drafting"));
                });
            }
            if let Some(e) = &sft.draft_error {
                ui.colored_label(theme::error_color(ui), e);
            }
        });
    if form != sft.assist {
        out.push(Command::Sft(SftCommand::SetAssist(Box::new(form))));
    }
}
