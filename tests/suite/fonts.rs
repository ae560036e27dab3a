//! Every letter of the Azerbaijani Latin and Cyrillic alphabets has a glyph in the fonts egui
//! draws with, in both the proportional and the monospace family.

use egui::{FontFamily, FontId};

const LATIN: &str = "AaBbCcÇçDdEeƏəFfGgĞğHhXxIıİiJjKkQqLlMmNnOoÖöPpRrSsŞşTtUuÜüVvYyZz";
const CYRILLIC: &str =
    "АаБбВвГгҒғДдЕеӘәЖжЗзИиЫыЈјКкҜҝЛлМмНнОоӨөПпРрСсТтУуҮүФфХхҺһЧчҸҹШшЪъЬьЙйЭэЮюЯя";

fn missing(ctx: &egui::Context, family: &FontFamily) -> Vec<char> {
    // Fonts are built at the start of a pass.
    let mut output = ctx.run_ui(egui::RawInput::default(), |_| {});
    output.textures_delta.clear();
    let font = FontId::new(14.0, family.clone());
    ctx.fonts_mut(|fonts| {
        LATIN
            .chars()
            .chain(CYRILLIC.chars())
            .filter(|&c| !fonts.has_glyph(&font, c))
            .collect()
    })
}

#[test]
fn app_fonts_cover_both_azerbaijani_alphabets() {
    let ctx = egui::Context::default();
    dezgah::app::theme::install_fonts(&ctx);
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        let gaps = missing(&ctx, &family);
        assert!(gaps.is_empty(), "{family:?} lacks {gaps:?}");
    }
}

#[test]
fn egui_default_fonts_lack_schwa_so_the_check_above_means_something() {
    let ctx = egui::Context::default();
    let gaps = missing(&ctx, &FontFamily::Proportional);
    assert!(gaps.contains(&'ə'), "egui's own fonts now have ə: {gaps:?}");
}
