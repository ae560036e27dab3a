//! The work areas. Each `*_ui` function draws from plain state and pushes [`Command`]s; none
//! of them touches the database or starts work itself.

pub mod corpus;
pub mod corpus_source;
pub mod corpus_steps;
pub mod settings;
pub mod sft;
pub mod status_bar;
pub mod training;

use std::path::Path;

use crate::app::command::Command;
use crate::app::state::Area;
use crate::app::{DezgahApp, WorkspaceSlot, theme};
use crate::core::workspace::{Folder, Snapshot, Workspace};
use crate::i18n::I18n;

/// Draws the open area.
pub fn area_ui(ui: &mut egui::Ui, app: &mut DezgahApp, out: &mut Vec<Command>) {
    let DezgahApp {
        state,
        i18n,
        workspace,
        settings_form,
        corpus,
        areas,
        training,
        sft,
        dialogs,
        ..
    } = app;
    let area = state.area;
    ui.heading(i18n.tr(area.title_key()));
    ui.add_space(4.0);
    if area == Area::Settings {
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                settings::settings_ui(ui, i18n, state, settings_form, workspace, out);
            });
        return;
    }
    let (ws, snapshot) = match workspace {
        WorkspaceSlot::Open {
            workspace,
            snapshot,
        } => (&*workspace, &*snapshot),
        WorkspaceSlot::Failed { path, error, known } => {
            let error = known
                .as_ref()
                .map_or_else(|| error.clone(), |k| k.text(i18n));
            workspace_failed_ui(ui, i18n, path, &error, out);
            return;
        }
    };
    let cx = crate::app::areas::ViewContext {
        i18n,
        workspace: ws,
        snapshot,
        annotator: &state.annotator,
        dialogs: dialogs.health,
    };
    if areas.ui(area, ui, &cx, out) {
        return;
    }
    let view = AreaView {
        i18n,
        workspace: ws,
        snapshot,
        corpus,
        training,
        sft,
        annotator: &state.annotator,
        dialogs: dialogs.health,
    };
    // These lay out side panels that scroll on their own.
    if area == Area::Corpus {
        corpus::corpus_ui(ui, &view, out);
        return;
    }
    if area == Area::Sft {
        sft::sft_ui(ui, &view, out);
        return;
    }
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| match area {
            Area::Training => training::training_ui(ui, &view, out),
            Area::Corpus
            | Area::Tokenizer
            | Area::Sft
            | Area::Rating
            | Area::Playground
            | Area::Settings => {}
        });
}

/// What an area reads: the language and the open workspace as last read.
pub struct AreaView<'a> {
    pub i18n: &'a I18n,
    pub workspace: &'a Workspace,
    pub snapshot: &'a Snapshot,
    pub corpus: &'a crate::app::CorpusView,
    pub training: &'a crate::app::training::TrainingView,
    pub sft: &'a crate::app::sft::SftView,
    /// The annotator name from Settings (signs ratings and examples).
    pub annotator: &'a str,
    /// Whether picker buttons open a dialog, or need the typed-path field beside them.
    pub dialogs: crate::app::picker::DialogHealth,
}

/// A setting out of its range, in the interface's language (numbers with its decimal mark).
pub fn out_of_range_text(i18n: &I18n, e: &crate::core::settings::OutOfRange) -> String {
    use crate::core::settings::Bound;
    let num = |v: f64| i18n.localize_number(&v.to_string());
    let (key, a, b) = match (e.range.min, e.range.max) {
        (Bound::Incl(a), Bound::Incl(b)) => ("range-from-to", num(a), num(b)),
        (Bound::Excl(a), Bound::Incl(b)) => ("range-above-at-most", num(a), num(b)),
        (Bound::Incl(a), Bound::Excl(b)) => ("range-at-least-below", num(a), num(b)),
        (Bound::Excl(a), Bound::Excl(b)) => ("range-above-below", num(a), num(b)),
        (Bound::Incl(a), Bound::Open) => ("range-at-least", num(a), String::new()),
        (Bound::Excl(a), Bound::Open) => ("range-above", num(a), String::new()),
        (Bound::Open, Bound::Incl(b)) => ("range-at-most", num(b), String::new()),
        (Bound::Open, Bound::Excl(b)) => ("range-below", num(b), String::new()),
        (Bound::Open, Bound::Open) => ("range-finite", String::new(), String::new()),
    };
    let range = i18n.tr_args(key, &[("a", a.into()), ("b", b.into())]);
    i18n.tr_args(
        "setting-out-of-range",
        &[
            ("field", e.field.into()),
            ("value", i18n.localize_number(&e.value).into()),
            ("range", range.into()),
        ],
    )
}

/// A label and its widget, the label naming the widget for screen readers and kittest.
/// Makes a number field show `places` decimals as the UI language writes them (a decimal
/// comma in Azerbaijani) and take either separator when typed.
pub fn localized<'a>(
    drag: egui::DragValue<'a>,
    i18n: &'a I18n,
    places: usize,
) -> egui::DragValue<'a> {
    drag.custom_formatter(move |v, _| i18n.decimal(v, places))
        .custom_parser(parse_decimal)
}

/// A typed number with a decimal comma or point.
pub fn parse_decimal(text: &str) -> Option<f64> {
    text.trim().replace(',', ".").parse().ok()
}

pub fn labelled(ui: &mut egui::Ui, text: String, widget: impl egui::Widget) -> egui::Response {
    let label = ui.label(text);
    ui.add(widget).labelled_by(label.id)
}

/// One line under the heading: what this area is for.
pub fn about_ui(ui: &mut egui::Ui, i18n: &I18n, key: &str) {
    ui.label(egui::RichText::new(i18n.tr(key)).color(theme::weak_color(ui)));
    ui.add_space(8.0);
}

/// What an area shows while it holds nothing: what it will hold, and where that lives.
pub fn empty_state_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    workspace: &Workspace,
    title_key: &str,
    body_key: &str,
    folder: Folder,
    out: &mut Vec<Command>,
) {
    egui::Frame::group(ui.style())
        .inner_margin(16.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width().min(640.0));
            ui.label(egui::RichText::new(i18n.tr(title_key)).strong().size(16.0));
            ui.add_space(4.0);
            ui.label(i18n.tr(body_key));
            ui.add_space(8.0);
            folder_link_ui(ui, i18n, &workspace.folder(folder), out);
        });
}

/// The path of a workspace folder, with a button that shows it in the file manager.
pub fn folder_link_ui(ui: &mut egui::Ui, i18n: &I18n, dir: &Path, out: &mut Vec<Command>) {
    ui.horizontal_wrapped(|ui| {
        ui.label(
            egui::RichText::new(dir.display().to_string())
                .monospace()
                .color(theme::weak_color(ui)),
        );
        if ui
            .button(i18n.tr("action-reveal-folder"))
            .on_hover_text(i18n.tr("action-reveal-folder-hint"))
            .clicked()
        {
            out.push(Command::RevealFolder(dir.to_owned()));
        }
    });
}

fn workspace_failed_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    path: &Path,
    error: &str,
    out: &mut Vec<Command>,
) {
    egui::Frame::group(ui.style())
        .inner_margin(16.0)
        .show(ui, |ui| {
            ui.label(
                egui::RichText::new(i18n.tr("workspace-failed-title"))
                    .strong()
                    .color(theme::error_color(ui)),
            );
            ui.label(egui::RichText::new(path.display().to_string()).monospace());
            ui.label(error);
            ui.add_space(8.0);
            if ui.button(i18n.tr("workspace-go-settings")).clicked() {
                out.push(Command::Open(Area::Settings));
            }
        });
}

/// A striped table: a header row of message ids, then whatever `rows` draws (one `end_row`
/// per row).
pub fn table_ui(
    ui: &mut egui::Ui,
    id: &str,
    i18n: &I18n,
    header_keys: &[&str],
    rows: impl FnOnce(&mut egui::Ui),
) {
    egui::Grid::new(id)
        .striped(true)
        .num_columns(header_keys.len())
        .spacing([24.0, 6.0])
        .show(ui, |ui| {
            for key in header_keys {
                // An empty key is a column without a heading (a row's buttons).
                if key.is_empty() {
                    ui.label("");
                } else {
                    ui.strong(i18n.tr(key));
                }
            }
            ui.end_row();
            rows(ui);
        });
}

/// Shortens `text` to its first line and at most `max_chars` characters.
pub fn preview(text: &str, max_chars: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut short: String = line.chars().take(max_chars).collect();
    if short.len() < text.trim_end().len() {
        short.push('…');
    }
    short
}

#[cfg(test)]
mod tests {
    #[test]
    fn preview_cuts_on_characters_not_bytes() {
        assert_eq!(super::preview("Əliyev ğ", 3), "Əli…");
        assert_eq!(super::preview("qısa", 10), "qısa");
        assert_eq!(super::preview("bir\niki", 10), "bir…");
    }

    /// The Playground's, Rating's and SFT's sampling fields and the quality filter's take a
    /// decimal comma or point back from what the user typed.
    #[test]
    fn typed_decimals_take_either_separator() {
        assert_eq!(super::parse_decimal(" 0,95 "), Some(0.95));
        assert_eq!(super::parse_decimal("1.1"), Some(1.1));
        assert_eq!(super::parse_decimal("x"), None);
    }

    /// The training form's range message in both languages, with Azerbaijani's decimal comma.
    #[test]
    fn a_setting_out_of_range_is_worded_in_the_interface_language() {
        use crate::i18n::{I18n, Lang};
        let mut cfg = crate::core::train::RunConfig::default();
        cfg.optim.min_lr_ratio = 1.5;
        let err = cfg.validate().expect_err("out of range");
        let en = super::out_of_range_text(&I18n::new(Lang::En), &err);
        assert!(en.contains("optim.min_lr_ratio"), "{en}");
        assert!(en.contains("1.5") && en.contains("from 0 to 1"), "{en}");
        let az = super::out_of_range_text(&I18n::new(Lang::Az), &err);
        assert!(az.contains("1,5") && az.contains("arasında"), "{az}");
        let full = crate::app::OpenFailure::DiskFull {
            folder: "/data/ws".into(),
            free: Some(0),
        };
        let az = full.text(&I18n::new(Lang::Az));
        assert!(az.contains("/data/ws") && az.contains("doludur"), "{az}");
    }
}
