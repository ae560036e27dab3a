//! "Pick or type a path". Every area draws its picker buttons as usual and calls
//! [`typed_path_ui`] under them: where this session learned that the native dialog cannot
//! open, it says so and offers a field that takes a typed or pasted path (Enter uses it).
//! The text lives in egui's memory, so an area needs no state of its own for it.

use std::path::PathBuf;

use crate::app::picker::{DialogHealth, PathMode, PathProblem, check_typed_path};
use crate::app::theme;
use crate::i18n::I18n;

/// One field: where it lives, what it stands in for and what its path must be.
#[derive(Debug, Clone)]
pub struct PathField<'a> {
    /// Unique within the area.
    pub id_salt: &'a str,
    /// The text of the button the field stands in for; it names the field.
    pub action: String,
    pub mode: PathMode,
    /// What the field starts with (where an export would be saved).
    pub default: Option<PathBuf>,
}

impl<'a> PathField<'a> {
    pub fn new(id_salt: &'a str, action: String, mode: PathMode) -> Self {
        Self {
            id_salt,
            action,
            mode,
            default: None,
        }
    }

    #[must_use]
    pub fn with_default(mut self, path: PathBuf) -> Self {
        self.default = Some(path);
        self
    }
}

#[derive(Debug, Clone, Default)]
struct Typed {
    text: String,
    problem: Option<PathProblem>,
}

/// The field's accessible name: the action without its trailing ellipsis.
pub fn field_label(i18n: &I18n, action: &str) -> String {
    let action = action.trim_end_matches(['…', '.', ' ']);
    i18n.tr_args("path-field-for", &[("action", action.into())])
}

/// Draws the stand-in for a dialog that cannot open; the checked path once the user enters it.
pub fn typed_path_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    health: DialogHealth,
    field: PathField<'_>,
) -> Option<PathBuf> {
    if health != DialogHealth::Unavailable {
        return None;
    }
    let PathField {
        id_salt,
        action,
        mode,
        default,
    } = field;
    let id = egui::Id::unique(("typed_path", id_salt));
    let mut typed: Typed = ui.data(|d| d.get_temp(id)).unwrap_or_else(|| Typed {
        text: default.map(|p| p.display().to_string()).unwrap_or_default(),
        problem: None,
    });
    let mut picked = None;
    // Why the fields are there is said once, above the first of them.
    let pass = ui.ctx().cumulative_pass_nr();
    let said_id = egui::Id::unique("typed_path_said");
    if ui.data(|d| d.get_temp::<u64>(said_id)) != Some(pass) {
        ui.data_mut(|d| d.insert_temp(said_id, pass));
        ui.label(
            egui::RichText::new(i18n.tr("path-dialog-unavailable"))
                .small()
                .color(theme::weak_color(ui)),
        )
        .on_hover_text(i18n.tr("path-dialog-unavailable-hint"));
    }
    ui.horizontal(|ui| {
        let label = ui.label(field_label(i18n, &action));
        let width = (ui.available_width() - 90.0).clamp(120.0, 460.0);
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut typed.text)
                    .id_salt(("typed_path_edit", id_salt))
                    .desired_width(width)
                    .hint_text(i18n.tr("path-field-hint")),
            )
            .labelled_by(label.id);
        if edit.changed() {
            typed.problem = None;
        }
        let entered = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if entered || ui.button(i18n.tr("path-use")).clicked() {
            match check_typed_path(&typed.text, mode) {
                Ok(path) => picked = Some(path),
                Err(problem) => typed.problem = Some(problem),
            }
        }
    });
    if let Some(problem) = &typed.problem {
        let (key, path) = problem.message();
        let text = match path {
            Some(p) => i18n.tr_args(key, &[("path", p.display().to_string().into())]),
            None => i18n.tr(key),
        };
        ui.colored_label(theme::error_color(ui), text);
    }
    ui.data_mut(|d| d.insert_temp(id, typed));
    picked
}
