//! Corpus area: import files into the workspace, list its corpora, and show what is in one.

use crate::app::command::{Command, CorpusCommand, SftCommand};
use crate::app::corpus::{Browser, CorpusTab};
use crate::app::picker::PathMode;
use crate::app::theme;
use crate::core::corpus::browse::{DupFilter, Filters, Mark, QualityFilter, Query, anomaly_marks};
use crate::core::corpus::index::SCRIPTS;
use crate::core::corpus::quality::Flag;
use crate::core::corpus::read::TextUnit;
use crate::core::corpus::stats::{CorpusStats, format_counts};
use crate::core::workspace::Folder;
use crate::i18n::I18n;
use crate::panels::{AreaView, about_ui, empty_state_ui, folder_link_ui, table_ui};
use crate::widgets::path_field::{PathField, typed_path_ui};

/// Room the import controls and the corpus table take above a selected corpus at first; the
/// split can be dragged, and the list folded away to give the details the window.
const LIST_HEIGHT: f32 = 150.0;

pub fn corpus_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let corpora = &view.snapshot.corpora;
    let selected = view
        .corpus
        .selected
        .and_then(|id| corpora.iter().find(|c| c.id == id));
    let Some(selected) = selected else {
        // Nothing to show below: the list has the whole area.
        egui::ScrollArea::vertical()
            .id_salt("corpus_list")
            .auto_shrink([false, false])
            .show(ui, |ui| list_ui(ui, view, false, out));
        return;
    };
    let mut open = view.corpus.list_open;
    let max = (ui.available_height() - 160.0).max(LIST_HEIGHT);
    egui::Panel::top("corpus_list_panel")
        .resizable(true)
        .default_size(LIST_HEIGHT)
        .size_range(80.0..=max)
        .show_collapsible(ui, &mut open, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("corpus_list")
                .auto_shrink([false, false])
                .show(ui, |ui| list_ui(ui, view, true, out));
        });
    if open != view.corpus.list_open {
        out.push(Command::Corpus(CorpusCommand::SetListOpen(open)));
    }
    egui::CentralPanel::default().show(ui, |ui| detail_ui(ui, view, selected, out));
}

/// What the area shows above a corpus's details: import, the table of corpora, their folder.
/// Above a selected corpus the table comes first: in the short strip it is what one needs
/// (to switch corpora), and the import controls are a scroll away.
fn list_ui(ui: &mut egui::Ui, view: &AreaView<'_>, table_first: bool, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    if table_first {
        corpora_table_ui(ui, view, out);
        ui.add_space(8.0);
        about_ui(ui, i18n, "corpus-about");
        import_ui(ui, view, out);
        return;
    }
    about_ui(ui, i18n, "corpus-about");
    import_ui(ui, view, out);
    ui.add_space(8.0);
    corpora_table_ui(ui, view, out);
}

fn corpora_table_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let corpora = &view.snapshot.corpora;
    if corpora.is_empty() {
        empty_state_ui(
            ui,
            view.i18n,
            view.workspace,
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
                    out.push(Command::Corpus(CorpusCommand::Select(corpus.id)));
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
}

/// The selected corpus: its name, the list toggle and the tabs, then the open tab, which gets
/// the rest of the area (the document reader and the duplicate review fill it).
fn detail_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    selected: &crate::core::store::CorpusRow,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    ui.horizontal_wrapped(|ui| {
        let (key, open) = if view.corpus.list_open {
            ("corpus-list-hide", false)
        } else {
            ("corpus-list-show", true)
        };
        let count = view.snapshot.corpora.len();
        if ui
            .button(i18n.tr_args(key, &[("count", count.into())]))
            .on_hover_text(i18n.tr("corpus-list-hint"))
            .clicked()
        {
            out.push(Command::Corpus(CorpusCommand::SetListOpen(open)));
        }
        ui.heading(&selected.name);
        ui.add_space(16.0);
        for tab in CorpusTab::ALL {
            if ui
                .selectable_label(view.corpus.tab == tab, i18n.tr(tab.title_key()))
                .clicked()
            {
                out.push(Command::Corpus(CorpusCommand::SetTab(tab)));
            }
        }
    });
    crate::panels::training::used_by_runs_ui(
        ui,
        view.i18n,
        view.snapshot,
        |r| r.corpus_id == Some(selected.id),
        out,
    );
    crate::panels::corpus_source::source_ui(ui, view, selected, out);
    ui.add_space(6.0);
    match view.corpus.tab {
        CorpusTab::Documents => browse_ui(ui, view, out),
        CorpusTab::Duplicates => {
            crate::panels::corpus_steps::duplicates_ui(ui, view, selected, out);
        }
        tab => {
            egui::ScrollArea::vertical()
                .id_salt(("corpus_tab", tab.title_key()))
                .auto_shrink([false, false])
                .show(ui, |ui| match tab {
                    CorpusTab::Clean => {
                        crate::panels::corpus_steps::clean_ui(ui, view, selected, out);
                    }
                    CorpusTab::Filter => {
                        crate::panels::corpus_steps::filter_ui(ui, view, selected, out);
                    }
                    CorpusTab::Export => crate::panels::corpus_steps::export_ui(ui, view, out),
                    CorpusTab::Overview | CorpusTab::Documents | CorpusTab::Duplicates => {
                        overview_ui(ui, view, out);
                    }
                });
        }
    }
}

fn overview_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
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
    ui.add_space(8.0);
    tokens_ui(ui, view, out);
}

fn tokens_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let steps = &view.corpus.steps;
    ui.horizontal_wrapped(|ui| {
        ui.strong(i18n.tr("corpus-tokens"));
        for tokenizer in &view.snapshot.tokenizers {
            if ui
                .button(&tokenizer.name)
                .on_hover_text(i18n.tr("corpus-tokens-hint"))
                .clicked()
            {
                out.push(Command::Corpus(CorpusCommand::EstimateTokens(
                    view.workspace.root().join(&tokenizer.path),
                )));
            }
        }
        if ui.button(i18n.tr("corpus-tokens-choose")).clicked() {
            out.push(Command::Corpus(CorpusCommand::ChooseTokenizerForEstimate));
        }
        if steps.is_running(|p| matches!(p, crate::app::corpus::Pending::Tokens(_))) {
            ui.spinner();
        }
    });
    if let Some(path) = typed_path_ui(
        ui,
        i18n,
        view.dialogs,
        PathField::new(
            "corpus_tokens",
            i18n.tr("corpus-tokens-choose"),
            PathMode::OpenFile,
        ),
    ) {
        out.push(Command::Corpus(CorpusCommand::EstimateTokens(path)));
    }
    match &steps.tokens {
        None => {}
        Some(Err(e)) => {
            ui.colored_label(theme::error_color(ui), e);
        }
        Some(Ok(t)) => {
            ui.label(i18n.tr_args(
                "corpus-tokens-estimate",
                &[
                    ("tokens", t.estimated_tokens.into()),
                    ("tokenizer", t.tokenizer.as_str().into()),
                    ("per_token", i18n.decimal(t.characters_per_token, 2).into()),
                    ("sample", t.sample_documents.into()),
                ],
            ));
        }
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
            out.push(Command::Corpus(CorpusCommand::ChooseFiles));
        }
        if ui
            .button(i18n.tr("corpus-import-folder"))
            .on_hover_text(i18n.tr("corpus-import-folder-hint"))
            .clicked()
        {
            out.push(Command::Corpus(CorpusCommand::ChooseFolder));
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
                out.push(Command::Corpus(CorpusCommand::SetImportUnit(unit)));
            }
        }
    });
    if let Some(path) = typed_path_ui(
        ui,
        i18n,
        view.dialogs,
        PathField::new(
            "corpus_import",
            i18n.tr("corpus-import"),
            PathMode::OpenFileOrFolder,
        ),
    ) {
        out.push(Command::Corpus(CorpusCommand::Import(vec![path])));
    }
    let mut options = view.corpus.import.clone();
    ui.horizontal_wrapped(|ui| {
        let label = ui
            .label(i18n.tr("corpus-import-text-field"))
            .on_hover_text(i18n.tr("corpus-import-fields-hint"));
        ui.add(
            egui::TextEdit::singleline(&mut options.text_field)
                .id_salt("import_text_field")
                .desired_width(80.0),
        )
        .labelled_by(label.id);
        let label = ui
            .label(i18n.tr("corpus-import-id-field"))
            .on_hover_text(i18n.tr("corpus-import-fields-hint"));
        ui.add(
            egui::TextEdit::singleline(&mut options.id_field)
                .id_salt("import_id_field")
                .desired_width(80.0),
        )
        .labelled_by(label.id);
        ui.label(i18n.tr("corpus-import-bad-lines"));
        ui.radio_value(&mut options.repair, false, i18n.tr("corpus-import-skip"))
            .on_hover_text(i18n.tr("corpus-import-skip-hint"));
        ui.radio_value(&mut options.repair, true, i18n.tr("corpus-import-repair"))
            .on_hover_text(i18n.tr("corpus-import-repair-hint"));
    });
    if options != view.corpus.import {
        out.push(Command::Corpus(CorpusCommand::SetImportOptions(options)));
    }
    ui.label(egui::RichText::new(i18n.tr("corpus-drop-hint")).color(theme::weak_color(ui)));
}

fn stats_ui(ui: &mut egui::Ui, i18n: &I18n, stats: &CorpusStats) {
    if stats.bad_lines > 0 {
        ui.colored_label(
            theme::error_color(ui),
            i18n.tr_args("corpus-bad-lines", &[("count", stats.bad_lines.into())]),
        );
        for line in &stats.bad_line_examples {
            ui.label(
                egui::RichText::new(line)
                    .monospace()
                    .color(theme::weak_color(ui)),
            );
        }
        let more = stats
            .bad_lines
            .saturating_sub(stats.bad_line_examples.len() as u64);
        if more > 0 {
            ui.label(
                egui::RichText::new(
                    i18n.tr_args("corpus-bad-lines-more", &[("count", more.into())]),
                )
                .color(theme::weak_color(ui)),
            );
        }
    }
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

/// The i18n id of a quality filter's name.
pub fn flag_key(flag: Flag) -> &'static str {
    match flag {
        Flag::TooShort => "flag-too-short",
        Flag::TooLong => "flag-too-long",
        Flag::WordLength => "flag-word-length",
        Flag::Symbols => "flag-symbols",
        Flag::Digits => "flag-digits",
        Flag::NonAlphabetic => "flag-non-alphabetic",
        Flag::Bullets => "flag-bullets",
        Flag::Ellipses => "flag-ellipses",
        Flag::DuplicateLines => "flag-duplicate-lines",
        Flag::TopBigram => "flag-top-bigram",
        Flag::RepeatedNgrams => "flag-repeated-ngrams",
        Flag::Boilerplate => "flag-boilerplate",
    }
}

fn mark_key(mark: Mark) -> &'static str {
    match mark {
        Mark::Hit => "mark-hit",
        Mark::MixedScript => "mark-mixed-script",
        Mark::SchwaLookAlike => "mark-schwa",
        Mark::Replacement => "mark-replacement",
        Mark::Control => "mark-control",
        Mark::SplitWord => "mark-split-word",
    }
}

fn script_key(script: &str) -> &'static str {
    match script {
        "latin" => "script-latin",
        "cyrillic" => "script-cyrillic",
        "mixed" => "script-mixed",
        "none" => "script-none",
        _ => "script-other",
    }
}

fn browse_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let Some(browser) = &view.corpus.browser else {
        if let Some(error) = &view.corpus.browser_error {
            ui.colored_label(theme::error_color(ui), error);
        } else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(i18n.tr("corpus-index-loading"));
            });
        }
        return;
    };
    search_bar_ui(ui, i18n, browser, out);
    filters_ui(ui, i18n, browser, out);
    ui.label(i18n.tr_args(
        "corpus-browse-count",
        &[
            ("shown", browser.visible.len().into()),
            ("total", browser.index.docs.len().into()),
        ],
    ));
    ui.add_space(4.0);
    // The list and the reader split the rest of the area; the split can be dragged.
    egui::Panel::left("corpus_doc_list_panel")
        .resizable(true)
        .default_size(ui.available_width() * 0.4)
        .size_range(160.0..=(ui.available_width() - 200.0).max(160.0))
        .show(ui, |ui| doc_list_ui(ui, i18n, browser, out));
    egui::CentralPanel::default().show(ui, |ui| doc_view_ui(ui, i18n, browser, out));
}

fn search_bar_ui(ui: &mut egui::Ui, i18n: &I18n, browser: &Browser, out: &mut Vec<Command>) {
    // The query being typed lives in egui's memory until it is run.
    let id = ui.make_persistent_id("corpus_search_draft");
    let mut draft: Query = ui
        .data_mut(|d| d.get_temp::<QueryDraft>(id))
        .map_or_else(|| browser.query.clone(), |d| d.0);
    ui.horizontal(|ui| {
        let edit = ui.add(
            egui::TextEdit::singleline(&mut draft.pattern)
                .id_salt("corpus_search")
                .hint_text(i18n.tr("corpus-search-hint"))
                .desired_width(320.0),
        );
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.checkbox(&mut draft.regex, i18n.tr("corpus-search-regex"));
        ui.checkbox(&mut draft.ignore_case, i18n.tr("corpus-search-ignore-case"))
            .on_hover_text(i18n.tr("corpus-search-ignore-case-hint"));
        if ui.button(i18n.tr("corpus-search")).clicked() || enter {
            out.push(Command::Corpus(CorpusCommand::Search(draft.clone())));
        }
        if browser.searched.is_some() && ui.button(i18n.tr("corpus-search-clear")).clicked() {
            draft.pattern.clear();
            out.push(Command::Corpus(CorpusCommand::Search(draft.clone())));
        }
    });
    if let Some(error) = &browser.search_error {
        ui.colored_label(theme::error_color(ui), error);
    } else if let Some((query, hits)) = &browser.searched {
        ui.label(i18n.tr_args(
            "corpus-search-found",
            &[
                ("query", query.pattern.as_str().into()),
                ("count", hits.len().into()),
            ],
        ));
    }
    ui.data_mut(|d| d.insert_temp(id, QueryDraft(draft)));
}

#[derive(Clone)]
struct QueryDraft(Query);

fn filters_ui(ui: &mut egui::Ui, i18n: &I18n, browser: &Browser, out: &mut Vec<Command>) {
    let mut f: Filters = browser.filters.clone();
    let any = i18n.tr("filter-any");
    ui.horizontal_wrapped(|ui| {
        ui.label(i18n.tr("filter-length"));
        ui.add(
            egui::DragValue::new(&mut f.min_chars)
                .speed(10.0)
                .prefix("≥ "),
        );
        ui.add(
            egui::DragValue::new(&mut f.max_chars)
                .speed(10.0)
                .prefix("≤ ")
                .custom_formatter(|v, _| {
                    if v == 0.0 {
                        "∞".to_owned()
                    } else {
                        format!("{v}")
                    }
                }),
        );
        let index = &browser.index;
        combo(
            ui,
            "filter_language",
            &i18n.tr("filter-language"),
            &any,
            &mut f.language,
            index
                .languages
                .iter()
                .enumerate()
                .map(|(i, l)| (i as u8, l.clone())),
        );
        combo(
            ui,
            "filter_script",
            &i18n.tr("filter-script"),
            &any,
            &mut f.script,
            SCRIPTS
                .iter()
                .enumerate()
                .map(|(i, s)| (i as u8, i18n.tr(script_key(s)))),
        );
        combo(
            ui,
            "filter_source",
            &i18n.tr("filter-source"),
            &any,
            &mut f.source,
            index
                .sources
                .iter()
                .enumerate()
                .map(|(i, s)| (i as u16, s.clone())),
        );
        let mut quality = match f.quality {
            QualityFilter::Any => None,
            q => Some(q),
        };
        let qualities = [
            (QualityFilter::Clean, i18n.tr("filter-quality-clean")),
            (QualityFilter::Flagged, i18n.tr("filter-quality-flagged")),
        ]
        .into_iter()
        .chain(
            Flag::ALL
                .iter()
                .enumerate()
                .map(|(i, flag)| (QualityFilter::Fails(i as u8), i18n.tr(flag_key(*flag)))),
        );
        combo(
            ui,
            "filter_quality",
            &i18n.tr("filter-quality"),
            &any,
            &mut quality,
            qualities,
        );
        f.quality = quality.unwrap_or_default();
        let mut dup = match f.dup {
            DupFilter::Any => None,
            d => Some(d),
        };
        combo(
            ui,
            "filter_dup",
            &i18n.tr("filter-duplicates"),
            &any,
            &mut dup,
            [
                (DupFilter::Unique, i18n.tr("filter-dup-unique")),
                (DupFilter::InCluster, i18n.tr("filter-dup-in-cluster")),
                (DupFilter::Removed, i18n.tr("filter-dup-removed")),
            ],
        );
        f.dup = dup.unwrap_or_default();
        let mut anomalies = (f.anomalies != 0).then_some(f.anomalies);
        combo(
            ui,
            "filter_anomaly",
            &i18n.tr("filter-anomaly"),
            &any,
            &mut anomalies,
            [
                (u8::MAX, i18n.tr("filter-anomaly-any")),
                (
                    crate::core::corpus::index::anomaly::MIXED_SCRIPT,
                    i18n.tr("mark-mixed-script"),
                ),
                (
                    crate::core::corpus::index::anomaly::SPLIT_WORDS,
                    i18n.tr("mark-split-word"),
                ),
                (
                    crate::core::corpus::index::anomaly::SCHWA_LOOK_ALIKE,
                    i18n.tr("mark-schwa"),
                ),
                (
                    crate::core::corpus::index::anomaly::REPLACEMENT,
                    i18n.tr("mark-replacement"),
                ),
                (
                    crate::core::corpus::index::anomaly::CONTROL,
                    i18n.tr("mark-control"),
                ),
            ],
        );
        f.anomalies = anomalies.unwrap_or(0);
        if f != Filters::default() && ui.button(i18n.tr("filter-reset")).clicked() {
            f = Filters::default();
        }
    });
    if f != browser.filters {
        out.push(Command::Corpus(CorpusCommand::SetBrowseFilters(Box::new(
            f,
        ))));
    }
}

/// A labelled combo box choosing one of `options`, or none (`any`).
fn combo<T: Copy + PartialEq>(
    ui: &mut egui::Ui,
    id: &str,
    label: &str,
    any: &str,
    value: &mut Option<T>,
    options: impl IntoIterator<Item = (T, String)>,
) {
    let options: Vec<(T, String)> = options.into_iter().collect();
    let current = value
        .and_then(|v| options.iter().find(|(o, _)| *o == v))
        .map_or(any, |(_, name)| name.as_str())
        .to_owned();
    ui.label(label);
    egui::ComboBox::from_id_salt(id)
        .selected_text(current)
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, any);
            for (option, name) in options {
                ui.selectable_value(value, Some(option), name);
            }
        });
}

fn doc_list_ui(ui: &mut egui::Ui, i18n: &I18n, browser: &Browser, out: &mut Vec<Command>) {
    if browser.visible.is_empty() {
        ui.label(egui::RichText::new(i18n.tr("corpus-browse-none")).color(theme::weak_color(ui)));
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    let open = browser.open_doc.as_ref().map(|d| d.number);
    egui::ScrollArea::vertical()
        .id_salt("corpus_doc_list")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, browser.visible.len(), |ui, rows| {
            for row in rows {
                let number = browser.visible[row];
                let Some(doc) = browser.index.docs.get(number as usize) else {
                    continue;
                };
                ui.horizontal(|ui| {
                    ui.set_height(row_height - ui.spacing().item_spacing.y);
                    let label = format!("#{}", number + 1);
                    let response = ui.selectable_label(open == Some(number), label);
                    if response.clicked() {
                        out.push(Command::Corpus(CorpusCommand::OpenDocument(number)));
                    }
                    ui.label(
                        egui::RichText::new(format!(
                            "{} · {}",
                            doc.chars,
                            browser.index.language(doc)
                        ))
                        .color(theme::weak_color(ui)),
                    );
                    for mark in anomaly_marks(doc) {
                        ui.label(egui::RichText::new("•").color(theme::mark_color(ui, mark)))
                            .on_hover_text(i18n.tr(mark_key(mark)));
                    }
                    if doc.quality != 0 {
                        let flags: Vec<String> =
                            doc.flags().map(|f| i18n.tr(flag_key(f))).collect();
                        ui.label(
                            egui::RichText::new("!")
                                .strong()
                                .color(theme::error_color(ui)),
                        )
                        .on_hover_text(flags.join(", "));
                    }
                    let text = browser.preview(number);
                    if ui
                        .add(
                            egui::Label::new(text)
                                .truncate()
                                .sense(egui::Sense::click()),
                        )
                        .clicked()
                    {
                        out.push(Command::Corpus(CorpusCommand::OpenDocument(number)));
                    }
                });
            }
        });
}

fn doc_view_ui(ui: &mut egui::Ui, i18n: &I18n, browser: &Browser, out: &mut Vec<Command>) {
    let Some(open) = &browser.open_doc else {
        ui.label(egui::RichText::new(i18n.tr("corpus-doc-pick")).color(theme::weak_color(ui)));
        return;
    };
    let (id, text) = match &open.content {
        Ok(content) => content,
        Err(e) => {
            ui.colored_label(theme::error_color(ui), e);
            return;
        }
    };
    let Some(doc) = browser.index.docs.get(open.number as usize) else {
        return;
    };
    let id_text = match id {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    ui.horizontal_wrapped(|ui| {
        ui.strong(format!("#{} · {id_text}", open.number + 1));
        if ui
            .small_button(i18n.tr("corpus-doc-to-sft"))
            .on_hover_text(i18n.tr("corpus-doc-to-sft-hint"))
            .clicked()
        {
            out.push(Command::Sft(SftCommand::PassageFromCorpus));
        }
    });
    ui.label(
        egui::RichText::new(
            i18n.tr_args(
                "corpus-doc-facts",
                &[
                    ("source", browser.index.source(doc).into()),
                    ("language", browser.index.language(doc).into()),
                    (
                        "script",
                        i18n.tr(script_key(
                            SCRIPTS
                                .get(usize::from(doc.script))
                                .copied()
                                .unwrap_or("other"),
                        ))
                        .into(),
                    ),
                    ("characters", doc.chars.into()),
                    ("words", doc.words.into()),
                ],
            ),
        )
        .color(theme::weak_color(ui)),
    );
    if doc.quality != 0 {
        let flags: Vec<String> = doc.flags().map(|f| i18n.tr(flag_key(f))).collect();
        ui.colored_label(
            theme::error_color(ui),
            i18n.tr_args("corpus-doc-flags", &[("flags", flags.join(", ").into())]),
        );
    }
    let shown = text.get(..open.shown).unwrap_or(text.as_str());
    let marks = &open.marks;
    // The legend names only the kinds present.
    let mut kinds: Vec<Mark> = marks.iter().map(|(_, m)| *m).collect();
    kinds.sort_by_key(|m| *m as u8);
    kinds.dedup();
    if !kinds.is_empty() {
        ui.horizontal_wrapped(|ui| {
            for mark in kinds {
                let n = marks.iter().filter(|(_, m)| *m == mark).count();
                ui.label(
                    egui::RichText::new(format!(" {} {n} ", i18n.tr(mark_key(mark))))
                        .background_color(theme::mark_color(ui, mark)),
                );
            }
        });
    }
    ui.separator();
    let job = highlighted(ui, shown, marks);
    egui::ScrollArea::vertical()
        .id_salt("corpus_doc_view")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.add(egui::Label::new(job).wrap());
            if shown.len() < text.len() {
                ui.add_space(6.0);
                ui.label(i18n.tr_args(
                    "corpus-doc-cut",
                    &[
                        ("shown", shown.chars().count().into()),
                        ("total", doc.chars.into()),
                    ],
                ));
                if ui.button(i18n.tr("corpus-doc-show-all")).clicked() {
                    out.push(Command::Corpus(CorpusCommand::ShowWholeDocument));
                }
            }
        });
}

/// The text with its marks as background colours; invisible characters are spelled out.
fn highlighted(
    ui: &egui::Ui,
    text: &str,
    marks: &[(std::ops::Range<usize>, Mark)],
) -> egui::text::LayoutJob {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let plain = egui::TextFormat {
        font_id: font.clone(),
        color: ui.visuals().text_color(),
        ..egui::TextFormat::default()
    };
    let mut job = egui::text::LayoutJob::default();
    let mut at = 0;
    for (range, mark) in marks {
        if range.start < at || range.end > text.len() {
            continue;
        }
        job.append(&text[at..range.start], 0.0, plain.clone());
        let format = egui::TextFormat {
            background: theme::mark_color(ui, *mark),
            ..plain.clone()
        };
        let span = &text[range.clone()];
        if *mark == Mark::Control {
            let spelled = span.chars().fold(String::new(), |mut out, c| {
                use std::fmt::Write as _;
                // Writing to a String cannot fail.
                let _ = write!(out, "[U+{:04X}]", c as u32);
                out
            });
            job.append(&spelled, 0.0, format);
        } else {
            job.append(span, 0.0, format);
        }
        at = range.end;
    }
    job.append(&text[at..], 0.0, plain);
    job
}
