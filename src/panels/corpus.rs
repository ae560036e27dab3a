//! Corpus area: import files into the workspace, list its corpora, and show what is in one.

use crate::app::command::Command;
use crate::app::theme;
use crate::core::corpus::read::TextUnit;
use crate::core::corpus::stats::{CorpusStats, format_counts};
use crate::core::workspace::Folder;
use crate::i18n::I18n;
use crate::panels::{AreaView, about_ui, empty_state_ui, folder_link_ui, table_ui};

pub fn corpus_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    about_ui(ui, i18n, "corpus-about");
    import_ui(ui, view, out);
    ui.add_space(8.0);
    let corpora = &view.snapshot.corpora;
    if corpora.is_empty() {
        empty_state_ui(
            ui,
            view,
            "corpus-empty-title",
            "corpus-empty-body",
            Folder::Corpora,
            out,
        );
        return;
    }
    ui.label(i18n.tr_args("count-corpora", &[("count", corpora.len().into())]));
    ui.add_space(4.0);
    table_ui(
        ui,
        "corpora",
        i18n,
        &["col-name", "col-documents", "col-characters", "col-file"],
        |ui| {
            for corpus in corpora {
                let selected = view.corpus.selected == Some(corpus.id);
                if ui
                    .selectable_label(selected, &corpus.name)
                    .on_hover_text(i18n.tr("corpus-select-hint"))
                    .clicked()
                {
                    out.push(Command::SelectCorpus(corpus.id));
                }
                ui.label(corpus.doc_count.to_string());
                ui.label(corpus.char_count.to_string());
                ui.monospace(&corpus.path);
                ui.end_row();
            }
        },
    );
    ui.add_space(8.0);
    folder_link_ui(ui, i18n, &view.workspace.folder(Folder::Corpora), out);

    let Some(selected) = view
        .corpus
        .selected
        .and_then(|id| corpora.iter().find(|c| c.id == id))
    else {
        return;
    };
    ui.add_space(12.0);
    ui.separator();
    ui.heading(&selected.name);
    match &view.corpus.stats {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(i18n.tr("corpus-stats-computing"));
            });
        }
        Some(Err(e)) => {
            ui.label(
                egui::RichText::new(
                    i18n.tr_args("corpus-stats-failed", &[("error", e.as_str().into())]),
                )
                .color(theme::error_color(ui)),
            );
        }
        Some(Ok(stats)) => stats_ui(ui, i18n, stats),
    }
}

fn import_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    ui.horizontal_wrapped(|ui| {
        if ui
            .button(i18n.tr("corpus-import"))
            .on_hover_text(i18n.tr("corpus-import-hint"))
            .clicked()
        {
            out.push(Command::ChooseCorpusFiles);
        }
        if ui
            .button(i18n.tr("corpus-import-folder"))
            .on_hover_text(i18n.tr("corpus-import-folder-hint"))
            .clicked()
        {
            out.push(Command::ChooseCorpusFolder);
        }
        ui.label(i18n.tr("corpus-unit"));
        for (unit, key) in [
            (TextUnit::Line, "corpus-unit-line"),
            (TextUnit::Paragraph, "corpus-unit-paragraph"),
            (TextUnit::File, "corpus-unit-file"),
        ] {
            if ui
                .selectable_label(view.corpus.unit == unit, i18n.tr(key))
                .clicked()
            {
                out.push(Command::SetImportUnit(unit));
            }
        }
    });
    ui.label(egui::RichText::new(i18n.tr("corpus-drop-hint")).color(theme::weak_color(ui)));
}

fn stats_ui(ui: &mut egui::Ui, i18n: &I18n, stats: &CorpusStats) {
    ui.label(i18n.tr_args(
        "corpus-stats-summary",
        &[
            ("documents", stats.documents.into()),
            ("characters", stats.characters.into()),
            ("words", stats.words.into()),
        ],
    ));
    egui::Grid::new("corpus_stats_grid")
        .num_columns(2)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            ui.strong(i18n.tr("corpus-stats-scripts"));
            ui.label(format_counts(&stats.scripts, " · "));
            ui.end_row();
            ui.strong(i18n.tr("corpus-stats-languages"));
            ui.label(format_counts(&stats.languages, " · "));
            ui.end_row();
            let a = &stats.anomalies;
            ui.strong(i18n.tr("corpus-stats-anomalies"));
            ui.label(i18n.tr_args(
                "corpus-stats-anomaly-counts",
                &[
                    ("mixed", a.mixed_script_words.into()),
                    ("split", a.split_word_fragments.into()),
                    ("schwa", a.schwa_look_alikes.into()),
                    ("replacement", a.replacement_chars.into()),
                    ("control", a.control_chars.into()),
                ],
            ));
            ui.end_row();
            ui.strong(i18n.tr("corpus-stats-top-words"));
            let words: Vec<String> = stats
                .top_words
                .iter()
                .take(12)
                .map(|(w, n)| format!("{w} {n}"))
                .collect();
            ui.add(egui::Label::new(words.join(" · ")).wrap());
            ui.end_row();
        });
    ui.add_space(6.0);
    ui.strong(i18n.tr("corpus-stats-length"));
    let bars: Vec<egui_plot::Bar> = stats
        .length_histogram
        .iter()
        .map(|&(at_least, n)| {
            egui_plot::Bar::new((at_least as f64).log2(), n as f64)
                .width(0.8)
                .name(format!("≥ {at_least}"))
        })
        .collect();
    let chart = egui_plot::BarChart::new(i18n.tr("corpus-stats-documents"), bars);
    egui_plot::Plot::new("corpus_length_histogram")
        .height(180.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .x_axis_label(i18n.tr("corpus-stats-length-axis"))
        .y_axis_label(i18n.tr("corpus-stats-documents"))
        .show(ui, |plot| plot.bar_chart(chart));
}
