//! SFT area: the searchable list of examples on the left, the editor on the right, the
//! keyboard shortcuts and their overlay (`?`). Everything typed is sent as commands; the app
//! saves it within a second.

mod assist;
mod editor;

use crate::app::picker::PathMode;
use crate::core::domain::{Role, SftStatus};
use crate::widgets::path_field::{PathField, typed_path_ui};
use egui::{Key, KeyboardShortcut, Modifiers};

use crate::app::command::{Command, SftCommand};
use crate::app::sft::{Focus, SftView, Sort};
use crate::app::theme;
use crate::core::sft::{self, Problem, ProblemKind};
use crate::core::sft_io::Format;
use crate::i18n::I18n;
use crate::panels::{AreaView, about_ui, preview};
use editor::editor_ui;

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
            out.push(Command::Sft(SftCommand::ShowKeys(false)));
            return;
        }
        if i.consume_shortcut(&HELP) {
            out.push(Command::Sft(SftCommand::ShowKeys(true)));
        }
        // `?` opens the overlay only when it is not being typed into a field.
        if focused.is_none()
            && i.events
                .iter()
                .any(|e| matches!(e, egui::Event::Text(t) if t == "?"))
        {
            out.push(Command::Sft(SftCommand::ShowKeys(true)));
        }
        if i.consume_shortcut(&NEW) {
            out.push(Command::Sft(SftCommand::New));
        }
        if i.consume_shortcut(&SEARCH) {
            out.push(Command::Sft(SftCommand::Focus(Some(Focus::Search))));
        }
        if i.consume_shortcut(&NEXT) {
            out.push(Command::Sft(SftCommand::Step(1)));
        }
        if i.consume_shortcut(&PREVIOUS) {
            out.push(Command::Sft(SftCommand::Step(-1)));
        }
        if current.is_none() {
            return;
        }
        // Redo first: Ctrl+Z would also match Ctrl+Shift+Z.
        if i.consume_shortcut(&REDO) || i.consume_shortcut(&REDO_Y) {
            out.push(Command::Sft(SftCommand::Redo));
        }
        if i.consume_shortcut(&UNDO) {
            out.push(Command::Sft(SftCommand::Undo));
        }
        if i.consume_shortcut(&NEXT_TURN) {
            out.push(Command::Sft(SftCommand::NextTurn(focused_turn)));
        }
        for (shortcut, status) in [
            (READY, SftStatus::Ready),
            (REJECTED, SftStatus::Rejected),
            (DRAFT, SftStatus::Draft),
        ] {
            if i.consume_shortcut(&shortcut) {
                out.push(Command::Sft(SftCommand::SetStatus(status)));
            }
        }
        if i.consume_shortcut(&DELETE) {
            out.push(Command::Sft(SftCommand::AskDelete(current.map(|e| e.id))));
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
            out.push(Command::Sft(SftCommand::New));
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
            out.push(Command::Sft(SftCommand::ChooseImport(format)));
        }
        if ui
            .button(i18n.tr("sft-export"))
            .on_hover_text(i18n.tr("sft-export-hint"))
            .clicked()
        {
            out.push(Command::Sft(SftCommand::ChooseExport(format, 0.1)));
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
            out.push(Command::Sft(SftCommand::SetTokenizer(chosen)));
        }
        let label = ui.label(i18n.tr("sft-context"));
        let mut context = sft.context;
        if ui
            .add(egui::DragValue::new(&mut context).range(16..=1_048_576))
            .labelled_by(label.id)
            .on_hover_text(i18n.tr("sft-context-hint"))
            .changed()
        {
            out.push(Command::Sft(SftCommand::SetContext(context)));
        }
        ui.separator();
        if ui
            .button(i18n.tr("sft-keys"))
            .on_hover_text(i18n.tr("sft-keys-hint"))
            .clicked()
        {
            out.push(Command::Sft(SftCommand::ShowKeys(true)));
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
        out.push(Command::Sft(SftCommand::Import(format, path)));
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
        out.push(Command::Sft(SftCommand::Export(format, 0.1, path)));
    }
    if let Some(e) = &sft.tokenizer_error {
        ui.colored_label(theme::error_color(ui), e);
    }
    crate::panels::training::used_by_runs_ui(
        ui,
        view.i18n,
        view.snapshot,
        |r| r.data == "sft",
        out,
    );
}

#[expect(
    clippy::too_many_lines,
    reason = "one function draws one panel top to bottom, the egui idiom"
)]
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
        out.push(Command::Sft(SftCommand::Focus(None)));
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
        out.push(Command::Sft(SftCommand::Filter(Box::new(filter))));
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
                    out.push(Command::Sft(SftCommand::Select(e.id)));
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
            out.push(Command::Sft(SftCommand::ShowKeys(false)));
        }
    });
    if modal.should_close() {
        out.push(Command::Sft(SftCommand::ShowKeys(false)));
    }
}

fn confirm_delete_ui(ui: &egui::Ui, i18n: &I18n, id: i64, out: &mut Vec<Command>) {
    let modal = egui::Modal::new(egui::Id::unique("sft_delete")).show(ui.ctx(), |ui| {
        ui.label(i18n.tr_args("sft-delete-confirm", &[("id", id.into())]));
        ui.horizontal(|ui| {
            if ui.button(i18n.tr("sft-delete")).clicked() {
                out.push(Command::Sft(SftCommand::Delete(id)));
            }
            if ui.button(i18n.tr("action-cancel")).clicked() {
                out.push(Command::Sft(SftCommand::AskDelete(None)));
            }
        });
    });
    if modal.should_close() {
        out.push(Command::Sft(SftCommand::AskDelete(None)));
    }
}
