//! Fonts and colours: the only place either is made.

use std::sync::Arc;

use egui::{Color32, FontData, FontDefinitions, FontFamily};

use crate::app::state::ThemeChoice;

const NOTO_SANS: &str = "noto-sans";

/// egui's bundled fonts have no ə (U+0259); Noto Sans covers the Azerbaijani Latin and Cyrillic
/// alphabets. It leads the proportional family and backs up the monospace one.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = FontDefinitions::default();
    fonts.font_data.insert(
        NOTO_SANS.to_owned(),
        Arc::new(FontData::from_static(notosans::REGULAR_TTF)),
    );
    fonts
        .families
        .entry(FontFamily::Proportional)
        .or_default()
        .insert(0, NOTO_SANS.to_owned());
    fonts
        .families
        .entry(FontFamily::Monospace)
        .or_default()
        .push(NOTO_SANS.to_owned());
    ctx.set_fonts(fonts);
}

pub fn apply_theme(ctx: &egui::Context, theme: ThemeChoice) {
    ctx.set_theme(match theme {
        ThemeChoice::Light => egui::ThemePreference::Light,
        ThemeChoice::Dark => egui::ThemePreference::Dark,
    });
}

/// Text for a failure the user must read.
pub fn error_color(ui: &egui::Ui) -> Color32 {
    ui.visuals().error_fg_color
}

/// Text for something that went well.
pub fn success_color(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0x7c, 0xd9, 0x92)
    } else {
        Color32::from_rgb(0x1a, 0x7f, 0x37)
    }
}

/// Secondary text: hints, paths, counts.
pub fn weak_color(ui: &egui::Ui) -> Color32 {
    ui.visuals().weak_text_color()
}
