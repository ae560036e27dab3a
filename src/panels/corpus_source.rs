//! The selected corpus's script: what it is written in, which decides what transliteration in
//! the Clean tab converts (detection misses short Cyrillic names without ә ғ ҝ ө ү һ ҹ ј).

use crate::app::command::{Command, CorpusCommand};
use crate::app::theme;
use crate::core::corpus::text::Source;
use crate::core::store::CorpusRow;
use crate::panels::AreaView;

/// The message naming a script in the picker.
pub fn source_key(source: Source) -> &'static str {
    match source {
        Source::Auto => "corpus-source-auto",
        Source::AzLatn => "corpus-source-az-latn",
        Source::AzCyrl => "corpus-source-az-cyrl",
    }
}

/// One labelled combo box; a change is recorded at once.
pub fn source_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    corpus: &CorpusRow,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(i18n.tr("corpus-source"));
        let mut chosen = corpus.source;
        egui::ComboBox::from_id_salt(("corpus_source", corpus.id))
            .selected_text(i18n.tr(source_key(chosen)))
            .show_ui(ui, |ui| {
                for source in Source::ALL {
                    ui.selectable_value(&mut chosen, source, i18n.tr(source_key(source)));
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text(i18n.tr("corpus-source-hint"));
        if chosen != corpus.source {
            out.push(Command::Corpus(CorpusCommand::SetSource(corpus.id, chosen)));
        }
        if let Some(e) = &view.corpus.source_error {
            ui.colored_label(theme::error_color(ui), e);
        }
    });
}
