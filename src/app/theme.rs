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

/// Text for a problem to look at, not a failure (a check's finding).
pub fn warn_color(ui: &egui::Ui) -> Color32 {
    ui.visuals().warn_fg_color
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

/// The background of a highlighted span in a document view.
pub fn mark_color(ui: &egui::Ui, mark: crate::core::corpus::browse::Mark) -> Color32 {
    use crate::core::corpus::browse::Mark;
    let dark = ui.visuals().dark_mode;
    let (r, g, b) = match mark {
        Mark::Hit => (0xf5, 0xd0, 0x3b),
        Mark::MixedScript => (0xf0, 0x8c, 0x3c),
        Mark::SchwaLookAlike => (0xe0, 0x4f, 0x5f),
        Mark::Replacement => (0xc0, 0x5c, 0xd6),
        Mark::Control => (0x8a, 0x8a, 0x8a),
        Mark::SplitWord => (0x4f, 0x9d, 0xe0),
    };
    Color32::from_rgba_unmultiplied(r, g, b, if dark { 110 } else { 140 })
}

/// Background of text a step or the other document adds.
pub fn added_color(ui: &egui::Ui) -> Color32 {
    Color32::from_rgba_unmultiplied(
        0x3c,
        0xb3,
        0x71,
        if ui.visuals().dark_mode { 90 } else { 110 },
    )
}

/// Background of text a step or the other document removes.
pub fn removed_color(ui: &egui::Ui) -> Color32 {
    Color32::from_rgba_unmultiplied(
        0xe0,
        0x4f,
        0x5f,
        if ui.visuals().dark_mode { 90 } else { 110 },
    )
}

/// The background of the `i`-th token chip: alternating soft colours, and warnings for byte
/// pieces (orange) and unknown tokens (red).
pub fn chip_color(ui: &egui::Ui, i: usize, byte_fallback: bool, unknown: bool) -> Color32 {
    let alpha = if ui.visuals().dark_mode { 90 } else { 120 };
    if unknown {
        return Color32::from_rgba_unmultiplied(0xe0, 0x4f, 0x5f, alpha + 40);
    }
    if byte_fallback {
        return Color32::from_rgba_unmultiplied(0xf0, 0x8c, 0x3c, alpha + 40);
    }
    let palette = [
        (0x4f, 0x9d, 0xe0),
        (0x3c, 0xb3, 0x71),
        (0xb0, 0x7c, 0xd6),
        (0xd6, 0xb0, 0x3c),
        (0x3c, 0xb0, 0xb0),
    ];
    let (r, g, b) = palette[i % palette.len()];
    Color32::from_rgba_unmultiplied(r, g, b, alpha)
}

/// The `i`-th curve of a plot: distinct hues that read on both backgrounds.
pub fn series_color(ui: &egui::Ui, i: usize) -> Color32 {
    let palette: [(u8, u8, u8); 6] = if ui.visuals().dark_mode {
        [
            (0x5f, 0xa8, 0xf0),
            (0xf0, 0x9a, 0x4a),
            (0x7c, 0xd9, 0x92),
            (0xd0, 0x8c, 0xf0),
            (0xf0, 0xd0, 0x50),
            (0x50, 0xd0, 0xd0),
        ]
    } else {
        [
            (0x1f, 0x6f, 0xc0),
            (0xc0, 0x60, 0x10),
            (0x1a, 0x7f, 0x37),
            (0x8a, 0x3c, 0xb0),
            (0x9a, 0x7a, 0x00),
            (0x10, 0x80, 0x80),
        ]
    };
    let (r, g, b) = palette[i % palette.len()];
    Color32::from_rgb(r, g, b)
}

/// The same colour, faint: the raw curve behind a smoothed one.
pub fn faint(color: Color32) -> Color32 {
    color.gamma_multiply(0.3)
}
