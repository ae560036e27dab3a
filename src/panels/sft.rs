//! SFT area: the searchable list of examples on the left, the editor on the right, the
//! keyboard shortcuts and their overlay (`?`). Everything typed is sent as commands; the app
//! saves it within a second.

use crate::app::picker::PathMode;
use crate::widgets::path_field::{PathField, typed_path_ui};
use egui::{Key, KeyboardShortcut, Modifiers};

use crate::app::command::Command;
use crate::app::sft::{AssistForm, Focus, SftView, Sort};
use crate::app::theme;
use crate::core::domain::{Role, SftStatus};
use crate::core::sft::{self, DraftKind, Problem, ProblemKind};
use crate::core::sft_io::Format;
use crate::core::store::SftExample;
use crate::i18n::I18n;
use crate::panels::{AreaView, about_ui, preview};

const fn key(modifiers: Modifiers, key: Key) -> KeyboardShortcut {
    KeyboardShortcut::new(modifiers, key)
}

const CTRL_SHIFT: Modifiers = Modifiers {
    alt: false,
    ctrl: false,
    shift: true,
    mac_cmd: false,
    command: true,
};

pub const NEW: KeyboardShortcut = key(Modifiers::COMMAND, Key::N);
pub const NEXT: KeyboardShortcut = key(Modifiers::ALT, Key::ArrowDown);
pub const PREVIOUS: KeyboardShortcut = key(Modifiers::ALT, Key::ArrowUp);
pub const NEXT_TURN: KeyboardShortcut = key(Modifiers::COMMAND, Key::Enter);
pub const READY: KeyboardShortcut = key(Modifiers::COMMAND, Key::R);
pub const REJECTED: KeyboardShortcut = key(Modifiers::COMMAND, Key::E);
pub const DRAFT: KeyboardShortcut = key(Modifiers::COMMAND, Key::D);
pub const SEARCH: KeyboardShortcut = key(Modifiers::COMMAND, Key::F);
pub const UNDO: KeyboardShortcut = key(Modifiers::COMMAND, Key::Z);
pub const REDO: KeyboardShortcut = key(CTRL_SHIFT, Key::Z);
pub const REDO_Y: KeyboardShortcut = key(Modifiers::COMMAND, Key::Y);
pub const DELETE: KeyboardShortcut = key(Modifiers::COMMAND, Key::Delete);
pub const HELP: KeyboardShortcut = key(Modifiers::NONE, Key::F1);

/// Every shortcut with what it does, as the overlay lists them.
pub const SHORTCUTS: [(KeyboardShortcut, &str); 12] = [
    (NEW, "sft-key-new"),
    (NEXT, "sft-key-next"),
    (PREVIOUS, "sft-key-previous"),
    (NEXT_TURN, "sft-key-next-turn"),
    (READY, "sft-key-ready"),
    (REJECTED, "sft-key-rejected"),
    (DRAFT, "sft-key-draft"),
    (SEARCH, "sft-key-search"),
    (UNDO, "sft-key-undo"),
    (REDO, "sft-key-redo"),
    (DELETE, "sft-key-delete"),
    (HELP, "sft-key-help"),
];

fn turn_id(example: i64, turn: usize) -> egui::Id {
    egui::Id::unique(("sft_turn", example, turn))
}

fn search_id() -> egui::Id {
    egui::Id::unique("sft_search")
}

fn system_id(example: i64) -> egui::Id {
    egui::Id::unique(("sft_system", example))
}

pub fn sft_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let sft = view.sft;
    keys(ui, sft, out);
    about_ui(ui, i18n, "sft-about");
    if let Some(error) = &sft.load_error {
        ui.colored_label(theme::error_color(ui), error);
    }
    toolbar_ui(ui, view, out);
    ui.add_space(4.0);
    egui::Panel::left("sft_list")
        .resizable(true)
        .default_size(360.0)
        .min_size(240.0)
        .show(ui, |ui| list_ui(ui, i18n, sft, out));
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt("sft_editor")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(example) = sft.current() {
                    editor_ui(ui, view, example, out);
                } else {
                    empty_editor_ui(ui, i18n, sft);
                }
            });
    });
    if sft.show_keys {
        keys_overlay_ui(ui, i18n, out);
    }
    if let Some(id) = sft.confirm_delete {
        confirm_delete_ui(ui, i18n, id, out);
    }
}

fn empty_editor_ui(ui: &mut egui::Ui, i18n: &I18n, sft: &SftView) {
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        ui.label(
            egui::RichText::new(i18n.tr(if sft.examples.is_empty() {
                "sft-empty-title"
            } else {
                "sft-pick"
            }))
            .strong(),
        );
        if sft.examples.is_empty() {
            ui.label(i18n.tr("sft-empty-body"));
        }
        ui.label(i18n.tr_args(
            "sft-start-hint",
            &[("keys", ui.ctx().format_shortcut(&NEW).into())],
        ));
    });
}

/// Shortcuts are taken before any text field sees them, so Ctrl+Z is the example's undo and
/// Ctrl+Enter moves on instead of breaking the line.
fn keys(ui: &egui::Ui, sft: &SftView, out: &mut Vec<Command>) {
    let focused = ui.ctx().memory(egui::Memory::focused);
    let current = sft.current();
    let focused_turn =
        current.and_then(|e| (0..e.messages.len()).find(|&t| Some(turn_id(e.id, t)) == focused));
    ui.input_mut(|i| {
        if sft.show_keys
            && (i.consume_key(Modifiers::NONE, Key::Escape) || i.consume_shortcut(&HELP))
        {
            out.push(Command::SftShowKeys(false));
            return;
        }
        if i.consume_shortcut(&HELP) {
            out.push(Command::SftShowKeys(true));
        }
        // `?` opens the overlay only when it is not being typed into a field.
        if focused.is_none()
            && i.events
                .iter()
                .any(|e| matches!(e, egui::Event::Text(t) if t == "?"))
        {
            out.push(Command::SftShowKeys(true));
        }
        if i.consume_shortcut(&NEW) {
            out.push(Command::SftNew);
        }
        if i.consume_shortcut(&SEARCH) {
            out.push(Command::SftFocus(Some(Focus::Search)));
        }
        if i.consume_shortcut(&NEXT) {
            out.push(Command::SftStep(1));
        }
        if i.consume_shortcut(&PREVIOUS) {
            out.push(Command::SftStep(-1));
        }
        if current.is_none() {
            return;
        }
        // Redo first: Ctrl+Z would also match Ctrl+Shift+Z.
        if i.consume_shortcut(&REDO) || i.consume_shortcut(&REDO_Y) {
            out.push(Command::SftRedo);
        }
        if i.consume_shortcut(&UNDO) {
            out.push(Command::SftUndo);
        }
        if i.consume_shortcut(&NEXT_TURN) {
            out.push(Command::SftNextTurn(focused_turn));
        }
        for (shortcut, status) in [
            (READY, SftStatus::Ready),
            (REJECTED, SftStatus::Rejected),
            (DRAFT, SftStatus::Draft),
        ] {
            if i.consume_shortcut(&shortcut) {
                out.push(Command::SftSetStatus(status));
            }
        }
        if i.consume_shortcut(&DELETE) {
            out.push(Command::SftAskDelete(current.map(|e| e.id)));
        }
    });
}

fn toolbar_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let sft = view.sft;
    ui.horizontal_wrapped(|ui| {
        if ui
            .button(i18n.tr("sft-new"))
            .on_hover_text(ui.ctx().format_shortcut(&NEW))
            .clicked()
        {
            out.push(Command::SftNew);
        }
        ui.separator();
        let format_id = egui::Id::unique("sft_io_format");
        let mut format: Format = ui
            .data(|d| d.get_temp(format_id))
            .unwrap_or(Format::Messages);
        let label = ui.label(i18n.tr("sft-format"));
        egui::ComboBox::from_id_salt("sft_format")
            .selected_text(format.name())
            .show_ui(ui, |ui| {
                for f in Format::ALL {
                    ui.selectable_value(&mut format, f, f.name());
                }
            })
            .response
            .labelled_by(label.id);
        ui.data_mut(|d| d.insert_temp(format_id, format));
        if ui
            .button(i18n.tr("sft-import"))
            .on_hover_text(i18n.tr("sft-import-hint"))
            .clicked()
        {
            out.push(Command::SftChooseImport(format));
        }
        if ui
            .button(i18n.tr("sft-export"))
            .on_hover_text(i18n.tr("sft-export-hint"))
            .clicked()
        {
            out.push(Command::SftChooseExport(format, 0.1));
        }
        ui.separator();
        let label = ui.label(i18n.tr("sft-tokenizer"));
        let name = sft
            .tokenizer
            .and_then(|id| view.snapshot.tokenizers.iter().find(|t| t.id == id))
            .map_or_else(|| i18n.tr("sft-tokenizer-none"), |t| t.name.clone());
        let mut chosen = sft.tokenizer;
        egui::ComboBox::from_id_salt("sft_tokenizer")
            .selected_text(name)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut chosen, None, i18n.tr("sft-tokenizer-none"));
                for t in &view.snapshot.tokenizers {
                    ui.selectable_value(&mut chosen, Some(t.id), &t.name);
                }
            })
            .response
            .labelled_by(label.id);
        if chosen != sft.tokenizer {
            out.push(Command::SftSetTokenizer(chosen));
        }
        let label = ui.label(i18n.tr("sft-context"));
        let mut context = sft.context;
        if ui
            .add(egui::DragValue::new(&mut context).range(16..=1_048_576))
            .labelled_by(label.id)
            .on_hover_text(i18n.tr("sft-context-hint"))
            .changed()
        {
            out.push(Command::SftSetContext(context));
        }
        ui.separator();
        if ui
            .button(i18n.tr("sft-keys"))
            .on_hover_text(i18n.tr("sft-keys-hint"))
            .clicked()
        {
            out.push(Command::SftShowKeys(true));
        }
    });
    let format: Format = ui
        .data(|d| d.get_temp(egui::Id::unique("sft_io_format")))
        .unwrap_or(Format::Messages);
    if let Some(path) = typed_path_ui(
        ui,
        i18n,
        view.dialogs,
        PathField::new("sft_import", i18n.tr("sft-import"), PathMode::OpenFile),
    ) {
        out.push(Command::SftImport(format, path));
    }
    let default = view
        .workspace
        .root()
        .join("exports")
        .join(format!("sft-{}.jsonl", format.name()));
    if let Some(path) = typed_path_ui(
        ui,
        i18n,
        view.dialogs,
        PathField::new("sft_export", i18n.tr("sft-export"), PathMode::SaveFile)
            .with_default(default),
    ) {
        out.push(Command::SftExport(format, 0.1, path));
    }
    if let Some(e) = &sft.tokenizer_error {
        ui.colored_label(theme::error_color(ui), e);
    }
    crate::panels::training::used_by_runs_ui(ui, view, |r| r.data == "sft", out);
}

fn list_ui(ui: &mut egui::Ui, i18n: &I18n, sft: &SftView, out: &mut Vec<Command>) {
    let mut filter = sft.filter.clone();
    let search = egui::TextEdit::singleline(&mut filter.search)
        .id(search_id())
        .hint_text(i18n.tr_args(
            "sft-search-hint",
            &[("keys", ui.ctx().format_shortcut(&SEARCH).into())],
        ))
        .desired_width(f32::INFINITY)
        .show(ui);
    search.response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::TextInput, true, i18n.tr("sft-search"))
    });
    if sft.focus == Some(Focus::Search) {
        search.response.request_focus();
        out.push(Command::SftFocus(None));
    }
    ui.horizontal_wrapped(|ui| {
        let statuses: Vec<(String, String)> = sft::STATUSES
            .iter()
            .map(|s| ((*s).to_owned(), i18n.tr(&format!("status-{s}"))))
            .collect();
        choice_ui(ui, i18n, "sft-filter-status", &mut filter.status, &statuses);
        let plain = |v: &[String]| -> Vec<(String, String)> {
            v.iter().map(|x| (x.clone(), x.clone())).collect()
        };
        choice_ui(
            ui,
            i18n,
            "sft-filter-domain",
            &mut filter.domain,
            &plain(&sft.domains),
        );
        choice_ui(
            ui,
            i18n,
            "sft-filter-tag",
            &mut filter.tag,
            &plain(&sft.tags),
        );
        choice_ui(
            ui,
            i18n,
            "sft-filter-author",
            &mut filter.author,
            &plain(&sft.authors),
        );
        let provenances: Vec<(String, String)> = sft::PROVENANCES
            .iter()
            .map(|p| ((*p).to_owned(), i18n.tr(&format!("provenance-{p}"))))
            .collect();
        choice_ui(
            ui,
            i18n,
            "sft-filter-provenance",
            &mut filter.provenance,
            &provenances,
        );
        let label = ui.label(i18n.tr("sft-filter-problem"));
        let any = i18n.tr("sft-filter-any");
        egui::ComboBox::from_id_salt("sft-filter-problem")
            .selected_text(filter.problem.map_or(any.clone(), |k| i18n.tr(k.key())))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut filter.problem, None, any);
                for kind in ProblemKind::ALL {
                    ui.selectable_value(&mut filter.problem, Some(kind), i18n.tr(kind.key()));
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label(i18n.tr("sft-sort"));
        egui::ComboBox::from_id_salt("sft-sort")
            .selected_text(i18n.tr(filter.sort.key()))
            .show_ui(ui, |ui| {
                for sort in Sort::ALL {
                    ui.selectable_value(&mut filter.sort, sort, i18n.tr(sort.key()));
                }
            })
            .response
            .labelled_by(label.id);
    });
    if filter != sft.filter {
        out.push(Command::SftFilter(Box::new(filter)));
    }
    let checking = sft
        .checker
        .as_ref()
        .is_some_and(crate::app::sft::Checker::busy);
    ui.horizontal(|ui| {
        ui.label(
            egui::RichText::new(i18n.tr_args(
                "sft-shown",
                &[
                    ("shown", sft.visible.len().into()),
                    ("count", sft.examples.len().into()),
                ],
            ))
            .color(theme::weak_color(ui)),
        );
        if checking {
            ui.spinner();
            ui.label(egui::RichText::new(i18n.tr("sft-checking")).small());
        }
    });
    ui.separator();
    let current = sft.current().map(|e| e.id);
    let row_height =
        ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y + 4.0;
    egui::ScrollArea::vertical()
        .id_salt("sft_rows")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, sft.visible.len(), |ui, rows| {
            for &i in &sft.visible[rows] {
                let e = &sft.examples[i];
                let first = e
                    .messages
                    .iter()
                    .find(|m| m.role == Role::User)
                    .map_or("", |m| m.content.as_str());
                let problems = sft.problems.get(&e.id).map_or(0, Vec::len);
                let mark = match e.status {
                    SftStatus::Ready => "+",
                    SftStatus::Rejected => "×",
                    SftStatus::Draft => "·",
                };
                let text = if first.trim().is_empty() {
                    i18n.tr("sft-untitled")
                } else {
                    preview(first, 60)
                };
                let selected = current == Some(e.id);
                let mut clicked = false;
                ui.horizontal(|ui| {
                    ui.set_height(row_height - ui.spacing().item_spacing.y);
                    clicked |= ui
                        .add(
                            egui::Button::selectable(selected, format!("{mark} #{}", e.id))
                                .min_size(egui::vec2(56.0, 0.0)),
                        )
                        .on_hover_text(i18n.tr(&format!("status-{}", e.status)))
                        .clicked();
                    if problems > 0 {
                        ui.label(
                            egui::RichText::new(format!("!{problems}"))
                                .strong()
                                .color(theme::warn_color(ui)),
                        )
                        .on_hover_text(i18n.tr("sft-row-problems"));
                    }
                    let mut label = egui::RichText::new(text);
                    if selected {
                        label = label.strong();
                    }
                    clicked |= ui
                        .add(
                            egui::Label::new(label)
                                .truncate()
                                .sense(egui::Sense::click()),
                        )
                        .clicked();
                });
                if clicked {
                    out.push(Command::SftSelect(e.id));
                }
            }
        });
}

/// A filter menu: any, or one of `choices` (value, label).
fn choice_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    key: &str,
    value: &mut Option<String>,
    choices: &[(String, String)],
) {
    if choices.is_empty() && value.is_none() {
        return;
    }
    let label = ui.label(i18n.tr(key));
    let any = i18n.tr("sft-filter-any");
    let shown = value
        .as_ref()
        .and_then(|v| choices.iter().find(|(c, _)| c == v).map(|(_, l)| l.clone()))
        .or_else(|| value.clone())
        .unwrap_or_else(|| any.clone());
    egui::ComboBox::from_id_salt(key)
        .selected_text(shown)
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, any);
            for (v, l) in choices {
                ui.selectable_value(value, Some(v.clone()), l);
            }
        })
        .response
        .labelled_by(label.id);
}

fn editor_ui(ui: &mut egui::Ui, view: &AreaView<'_>, current: &SftExample, out: &mut Vec<Command>) {
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
                out.push(Command::SftSetStatus(status));
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
            out.push(Command::SftUndo);
        }
        if ui
            .add_enabled(
                session.is_some_and(crate::core::sft::EditSession::can_redo),
                egui::Button::new(i18n.tr("sft-redo")),
            )
            .on_hover_text(ui.ctx().format_shortcut(&REDO))
            .clicked()
        {
            out.push(Command::SftRedo);
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
            out.push(Command::SftAskDelete(Some(e.id)));
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
        out.push(Command::SftFocus(None));
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
                        out.push(Command::SftDraftWithModel(DraftKind::Answer, t));
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
                        out.push(Command::SftDraftWithModel(DraftKind::Paraphrase, t));
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
                out.push(Command::SftFocus(None));
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
            out.push(Command::SftNextTurn(e.messages.len().checked_sub(1)));
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
        out.push(Command::SftEdit(Box::new(e)));
    }
    ui.add_space(8.0);
    assist_ui(ui, view, out);
}

/// Tags as removable chips plus a field for a new one; domain with suggestions.
fn meta_ui(ui: &mut egui::Ui, i18n: &I18n, sft: &SftView, e: &mut SftExample) {
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

fn assist_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
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
                    out.push(Command::SftPassageFromCorpus);
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
                out.push(Command::SftDraftFromPassage(
                    selected.unwrap_or_else(|| form.passage.clone()),
                ));
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
                ui.add(super::localized(
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
        out.push(Command::SftSetAssist(Box::new(form)));
    }
}

/// Gives a field the keyboard with the cursor at its end.
fn focus_end(ui: &egui::Ui, output: &egui::text_edit::TextEditOutput, id: egui::Id, chars: usize) {
    output.response.request_focus();
    let mut state = output.state.clone();
    state
        .cursor
        .set_char_range(Some(egui::text::CCursorRange::one(
            egui::text::CCursor::new(chars),
        )));
    state.store(ui.ctx(), id);
}

fn role_key(role: Role) -> &'static str {
    if role == Role::Assistant {
        "role-assistant"
    } else {
        "role-user"
    }
}

fn turn_of(p: &Problem) -> Option<usize> {
    match p {
        Problem::EmptyTurn { turn } | Problem::NotAzerbaijani { turn, .. } => Some(*turn),
        Problem::CyrillicInLatin { turn, .. } => *turn,
        _ => None,
    }
}

fn problem_text(i18n: &I18n, p: &Problem) -> String {
    match p {
        Problem::MissingTurn { role } => i18n.tr_args(
            "sft-problem-missing-turn",
            &[("role", i18n.tr(role_key(*role)).into())],
        ),
        Problem::EmptyTurn { turn } => {
            i18n.tr_args("sft-problem-empty-turn", &[("n", (turn + 1).into())])
        }
        Problem::ExactDuplicate { of } => {
            i18n.tr_args("sft-problem-exact-duplicate", &[("id", (*of).into())])
        }
        Problem::NearDuplicate { of, similarity } => i18n.tr_args(
            "sft-problem-near-duplicate",
            &[
                ("id", (*of).into()),
                ("percent", ((similarity * 100.0).round() as i64).into()),
            ],
        ),
        Problem::CyrillicInLatin { turn, words } => i18n.tr_args(
            "sft-problem-cyrillic",
            &[
                (
                    "where",
                    turn.map_or_else(
                        || i18n.tr("sft-system"),
                        |t| i18n.tr_args("sft-turn", &[("n", (t + 1).into())]),
                    )
                    .into(),
                ),
                ("words", words.join(", ").into()),
            ],
        ),
        Problem::NotAzerbaijani { turn, lang } => i18n.tr_args(
            "sft-problem-language",
            &[
                ("n", (turn + 1).into()),
                (
                    "lang",
                    i18n.tr_args("language-name", &[("code", lang.as_str().into())])
                        .into(),
                ),
            ],
        ),
        Problem::TooLong { tokens, context } => i18n.tr_args(
            "sft-problem-too-long",
            &[("count", (*tokens).into()), ("context", (*context).into())],
        ),
    }
}

fn keys_overlay_ui(ui: &egui::Ui, i18n: &I18n, out: &mut Vec<Command>) {
    let modal = egui::Modal::new(egui::Id::unique("sft_keys")).show(ui.ctx(), |ui| {
        ui.set_width(420.0);
        ui.heading(i18n.tr("sft-keys-title"));
        ui.add_space(6.0);
        egui::Grid::new("sft_keys_grid")
            .striped(true)
            .spacing([24.0, 6.0])
            .show(ui, |ui| {
                for (shortcut, key) in SHORTCUTS {
                    ui.label(egui::RichText::new(ui.ctx().format_shortcut(&shortcut)).monospace());
                    ui.label(i18n.tr(key));
                    ui.end_row();
                }
                ui.label(egui::RichText::new("?").monospace());
                ui.label(i18n.tr("sft-key-help"));
                ui.end_row();
                for area_key in ["sft-key-areas", "sft-key-quit"] {
                    let keys = if area_key == "sft-key-areas" {
                        "Ctrl+1…7"
                    } else {
                        "Ctrl+Q"
                    };
                    ui.label(egui::RichText::new(keys).monospace());
                    ui.label(i18n.tr(area_key));
                    ui.end_row();
                }
            });
        ui.add_space(8.0);
        if ui.button(i18n.tr("sft-keys-close")).clicked() {
            out.push(Command::SftShowKeys(false));
        }
    });
    if modal.should_close() {
        out.push(Command::SftShowKeys(false));
    }
}

fn confirm_delete_ui(ui: &egui::Ui, i18n: &I18n, id: i64, out: &mut Vec<Command>) {
    let modal = egui::Modal::new(egui::Id::unique("sft_delete")).show(ui.ctx(), |ui| {
        ui.label(i18n.tr_args("sft-delete-confirm", &[("id", id.into())]));
        ui.horizontal(|ui| {
            if ui.button(i18n.tr("sft-delete")).clicked() {
                out.push(Command::SftDelete(id));
            }
            if ui.button(i18n.tr("action-cancel")).clicked() {
                out.push(Command::SftAskDelete(None));
            }
        });
    });
    if modal.should_close() {
        out.push(Command::SftAskDelete(None));
    }
}
