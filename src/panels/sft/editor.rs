//! The SFT editor: an example's turns, its system prompt, and its metadata.

use egui::Key;

use crate::app::command::{Command, SftCommand};
use crate::app::sft::{Focus, SftView};
use crate::app::theme;
use crate::core::domain::{Role, SftStatus};
use crate::core::sft;
use crate::core::sft::{DraftKind, Problem};
use crate::core::store::SftExample;
use crate::i18n::I18n;
use crate::panels::AreaView;

use super::assist::assist_ui;
use super::{
    DELETE, DRAFT, NEXT_TURN, READY, REDO, REJECTED, UNDO, focus_end, problem_text, role_key,
    system_id, turn_id, turn_of,
};

#[expect(
    clippy::too_many_lines,
    reason = "one function draws one panel top to bottom, the egui idiom"
)]
pub(super) fn editor_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    current: &SftExample,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let sft = view.sft;
    let mut e = current.clone();
    let problems: &[Problem] = sft.problems.get(&e.id).map_or(&[], Vec::as_slice);
    let session = sft.session.as_ref();
    ui.horizontal_wrapped(|ui| {
        ui.heading(format!("#{}", e.id));
        for (status, shortcut) in [
            (SftStatus::Draft, DRAFT),
            (SftStatus::Ready, READY),
            (SftStatus::Rejected, REJECTED),
        ] {
            let response = ui
                .selectable_label(e.status == status, i18n.tr(&format!("status-{status}")))
                .on_hover_text(ui.ctx().format_shortcut(&shortcut));
            if response.clicked() && e.status != status {
                out.push(Command::Sft(SftCommand::SetStatus(status)));
            }
        }
        ui.separator();
        let label = ui.label(i18n.tr("sft-provenance"));
        egui::ComboBox::from_id_salt("sft_provenance")
            .selected_text(i18n.tr(&format!("provenance-{}", e.provenance)))
            .show_ui(ui, |ui| {
                for p in sft::PROVENANCES {
                    ui.selectable_value(
                        &mut e.provenance,
                        p.to_owned(),
                        i18n.tr(&format!("provenance-{p}")),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        ui.separator();
        if ui
            .add_enabled(
                session.is_some_and(crate::core::sft::EditSession::can_undo),
                egui::Button::new(i18n.tr("sft-undo")),
            )
            .on_hover_text(ui.ctx().format_shortcut(&UNDO))
            .clicked()
        {
            out.push(Command::Sft(SftCommand::Undo));
        }
        if ui
            .add_enabled(
                session.is_some_and(crate::core::sft::EditSession::can_redo),
                egui::Button::new(i18n.tr("sft-redo")),
            )
            .on_hover_text(ui.ctx().format_shortcut(&REDO))
            .clicked()
        {
            out.push(Command::Sft(SftCommand::Redo));
        }
        let saved = session.is_some_and(|s| !s.is_dirty());
        let updated: String = e.updated_at.replace('T', " ").chars().take(19).collect();
        ui.label(
            egui::RichText::new(i18n.tr(if saved { "sft-saved" } else { "sft-saving" }))
                .small()
                .color(theme::weak_color(ui)),
        )
        .on_hover_text(i18n.tr_args("sft-saved-at", &[("time", updated.into())]));
        if ui
            .button(i18n.tr("sft-delete"))
            .on_hover_text(ui.ctx().format_shortcut(&DELETE))
            .clicked()
        {
            out.push(Command::Sft(SftCommand::AskDelete(Some(e.id))));
        }
    });
    if let Some(error) = &sft.save_error {
        ui.colored_label(theme::error_color(ui), error);
    }
    let author = e.author.clone().unwrap_or_else(|| i18n.tr("sft-no-author"));
    ui.label(
        egui::RichText::new(i18n.tr_args("sft-meta", &[("author", author.into())]))
            .small()
            .color(theme::weak_color(ui)),
    );
    if session.is_some_and(crate::core::sft::EditSession::has_unedited_model_text) {
        ui.colored_label(theme::warn_color(ui), i18n.tr("sft-model-text"));
    }
    // Problems of the whole example; those of one turn are shown under it.
    for p in problems.iter().filter(|p| turn_of(p).is_none()) {
        ui.colored_label(
            theme::warn_color(ui),
            format!("! {}", problem_text(i18n, p)),
        );
    }
    ui.add_space(6.0);

    let label = ui.label(egui::RichText::new(i18n.tr("sft-system")).strong());
    let system = egui::TextEdit::multiline(&mut e.system_prompt)
        .id(system_id(e.id))
        .hint_text(i18n.tr("sft-system-hint"))
        .desired_rows(1)
        .desired_width(f32::INFINITY)
        .show(ui);
    let _ = egui::Response::clone(&system.response).labelled_by(label.id);
    if sft.focus == Some(Focus::System) {
        focus_end(
            ui,
            &system,
            system_id(e.id),
            current.system_prompt.chars().count(),
        );
        out.push(Command::Sft(SftCommand::Focus(None)));
    }
    for p in problems
        .iter()
        .filter(|p| matches!(p, Problem::CyrillicInLatin { turn: None, .. }))
    {
        ui.colored_label(
            theme::warn_color(ui),
            format!("! {}", problem_text(i18n, p)),
        );
    }
    ui.add_space(6.0);

    let mut remove = None;
    let mut swap = None;
    let count = e.messages.len();
    for (t, message) in e.messages.iter_mut().enumerate() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal(|ui| {
                let role_label = ui.label(i18n.tr_args("sft-turn", &[("n", (t + 1).into())]));
                egui::ComboBox::from_id_salt(("sft_role", t))
                    .selected_text(i18n.tr(role_key(message.role)))
                    .show_ui(ui, |ui| {
                        for role in [Role::User, Role::Assistant] {
                            ui.selectable_value(&mut message.role, role, i18n.tr(role_key(role)));
                        }
                    })
                    .response
                    .labelled_by(role_label.id);
                if let Some(n) = sft.counts.as_ref().and_then(|c| c.turns.get(t)) {
                    ui.label(
                        egui::RichText::new(i18n.tr_args("sft-tokens", &[("count", (*n).into())]))
                            .small()
                            .color(theme::weak_color(ui)),
                    );
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .small_button("×")
                        .on_hover_text(i18n.tr("sft-turn-remove"))
                        .clicked()
                    {
                        remove = Some(t);
                    }
                    if ui
                        .add_enabled(t + 1 < count, egui::Button::new("↓").small())
                        .on_hover_text(i18n.tr("sft-turn-down"))
                        .clicked()
                    {
                        swap = Some(t);
                    }
                    if ui
                        .add_enabled(t > 0, egui::Button::new("↑").small())
                        .on_hover_text(i18n.tr("sft-turn-up"))
                        .clicked()
                    {
                        swap = Some(t - 1);
                    }
                    if message.role == Role::Assistant
                        && ui
                            .add_enabled(
                                sft.assist.run.is_some() && sft.draft.is_none(),
                                egui::Button::new(i18n.tr("sft-draft-answer")).small(),
                            )
                            .on_hover_text(i18n.tr("sft-draft-answer-hint"))
                            .clicked()
                    {
                        out.push(Command::Sft(SftCommand::DraftWithModel(
                            DraftKind::Answer,
                            t,
                        )));
                    }
                    if ui
                        .add_enabled(
                            sft.assist.run.is_some()
                                && sft.draft.is_none()
                                && !message.content.trim().is_empty(),
                            egui::Button::new(i18n.tr("sft-draft-paraphrase")).small(),
                        )
                        .on_hover_text(i18n.tr("sft-draft-paraphrase-hint"))
                        .clicked()
                    {
                        out.push(Command::Sft(SftCommand::DraftWithModel(
                            DraftKind::Paraphrase,
                            t,
                        )));
                    }
                });
            });
            let id = turn_id(current.id, t);
            let output = egui::TextEdit::multiline(&mut message.content)
                .id(id)
                .hint_text(i18n.tr(if message.role == Role::Assistant {
                    "sft-answer-hint"
                } else {
                    "sft-prompt-hint"
                }))
                .desired_rows(3)
                .desired_width(f32::INFINITY)
                .show(ui);
            output.response.widget_info(|| {
                egui::WidgetInfo::labeled(
                    egui::Role::TextInput,
                    true,
                    i18n.tr_args("sft-turn-field", &[("n", (t + 1).into())]),
                )
            });
            if sft.focus == Some(Focus::Turn(t)) {
                let chars = current
                    .messages
                    .get(t)
                    .map_or(0, |m| m.content.chars().count());
                focus_end(ui, &output, id, chars);
                out.push(Command::Sft(SftCommand::Focus(None)));
            }
            for p in problems.iter().filter(|p| turn_of(p) == Some(t)) {
                ui.colored_label(
                    theme::warn_color(ui),
                    format!("! {}", problem_text(i18n, p)),
                );
            }
        });
    }
    if let Some(t) = remove {
        e.messages.remove(t);
    }
    if let Some(t) = swap {
        e.messages.swap(t, t + 1);
    }
    ui.horizontal(|ui| {
        let role = match e.messages.last().map(|m| m.role) {
            Some(Role::User) => Role::Assistant,
            _ => Role::User,
        };
        if ui
            .button(i18n.tr_args("sft-add-turn", &[("role", i18n.tr(role_key(role)).into())]))
            .on_hover_text(ui.ctx().format_shortcut(&NEXT_TURN))
            .clicked()
        {
            out.push(Command::Sft(SftCommand::NextTurn(
                e.messages.len().checked_sub(1),
            )));
        }
        if let Some(counts) = &sft.counts {
            let over = counts.total > sft.context;
            let text = i18n.tr_args(
                "sft-tokens-total",
                &[
                    ("count", counts.total.into()),
                    ("context", sft.context.into()),
                ],
            );
            if over {
                ui.colored_label(theme::error_color(ui), format!("! {text}"));
            } else {
                ui.label(egui::RichText::new(text).color(theme::weak_color(ui)));
            }
        }
    });
    ui.add_space(6.0);
    meta_ui(ui, i18n, sft, &mut e);
    if e != *current {
        out.push(Command::Sft(SftCommand::Edit(Box::new(e))));
    }
    ui.add_space(8.0);
    assist_ui(ui, view, out);
}

/// Tags as removable chips plus a field for a new one; domain with suggestions.
pub(super) fn meta_ui(ui: &mut egui::Ui, i18n: &I18n, sft: &SftView, e: &mut SftExample) {
    ui.horizontal_wrapped(|ui| {
        ui.label(i18n.tr("sft-tags"));
        let mut drop = None;
        for (i, tag) in e.tags.iter().enumerate() {
            if ui
                .small_button(format!("{tag} ×"))
                .on_hover_text(i18n.tr("sft-tag-remove"))
                .clicked()
            {
                drop = Some(i);
            }
        }
        if let Some(i) = drop {
            e.tags.remove(i);
        }
        let buffer_id = egui::Id::unique(("sft_new_tag", e.id));
        let mut new_tag: String = ui.data(|d| d.get_temp(buffer_id)).unwrap_or_default();
        let response = ui.add(
            egui::TextEdit::singleline(&mut new_tag)
                .hint_text(i18n.tr("sft-tag-hint"))
                .desired_width(140.0),
        );
        response.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::TextInput, true, i18n.tr("sft-tag-new"))
        });
        let entered = response.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
        if (entered || new_tag.ends_with(',')) && !new_tag.trim_matches([',', ' ']).is_empty() {
            let tag = new_tag.trim_matches([',', ' ']).to_owned();
            if !e.tags.contains(&tag) {
                e.tags.push(tag);
            }
            new_tag.clear();
            if entered {
                response.request_focus();
            }
        }
        ui.data_mut(|d| d.insert_temp(buffer_id, new_tag));
    });
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(i18n.tr("sft-domain"));
        ui.add(
            egui::TextEdit::singleline(&mut e.domain)
                .hint_text(i18n.tr("sft-domain-hint"))
                .desired_width(160.0),
        )
        .labelled_by(label.id);
        let mut picked = None;
        for d in sft.domains.iter().filter(|d| **d != e.domain).take(8) {
            if ui.small_button(d).clicked() {
                picked = Some(d.clone());
            }
        }
        if let Some(d) = picked {
            e.domain = d;
        }
    });
}
