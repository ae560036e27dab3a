//! Draws the Tokenizer area: train a tokenizer on workspace corpora, list the workspace's
//! tokenizers (and add one from disk), and inspect how a tokenizer splits pasted text.

use crate::app::areas::ViewContext;
use crate::app::areas::tokenizer::{TokenizerArea, TrainForm, visible_whitespace};
use crate::app::command::{Command, TokenizerCommand};
use crate::app::theme;
use crate::core::tokenizer::{Inspection, Kind};
use crate::core::workspace::Folder;
use crate::i18n::I18n;
use crate::panels::{about_ui, folder_link_ui, table_ui};

pub(super) fn tokenizer_ui(
    ui: &mut egui::Ui,
    area: &TokenizerArea,
    view: &ViewContext<'_>,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    about_ui(ui, i18n, "tokenizer-about");
    train_ui(ui, area, view, out);
    ui.add_space(10.0);
    ui.separator();
    list_ui(ui, area, view, out);
    ui.add_space(10.0);
    ui.separator();
    inspect_ui(ui, area, view, out);
    ui.add_space(10.0);
    ui.separator();
    compare_ui(ui, area, view, out);
}

#[expect(
    clippy::too_many_lines,
    reason = "one function draws one panel top to bottom, the egui idiom"
)]
fn compare_ui(
    ui: &mut egui::Ui,
    area: &TokenizerArea,
    view: &ViewContext<'_>,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let state = area;
    ui.heading(i18n.tr("tokenizer-compare-title"));
    let tokenizers = &view.snapshot.tokenizers;
    if tokenizers.len() < 2 {
        ui.label(
            egui::RichText::new(i18n.tr("tokenizer-compare-two")).color(theme::weak_color(ui)),
        );
        return;
    }
    let mut ids = state.compare.clone();
    let mut corpus = state.compare_corpus;
    ui.horizontal_wrapped(|ui| {
        for t in tokenizers {
            let mut on = ids.contains(&t.id);
            if ui.checkbox(&mut on, &t.name).changed() {
                if on {
                    ids.push(t.id);
                } else {
                    ids.retain(|&i| i != t.id);
                }
            }
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(i18n.tr("tokenizer-compare-on"));
        ui.radio_value(&mut corpus, None, i18n.tr("tokenizer-compare-text"));
        for c in &view.snapshot.corpora {
            ui.radio_value(&mut corpus, Some(c.id), &c.name);
        }
    });
    if ids != state.compare || corpus != state.compare_corpus {
        out.push(Command::Tokenizer(TokenizerCommand::SetComparison(
            ids.clone(),
            corpus,
        )));
    }
    let running = state.compare_job.is_some();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !running && ids.len() >= 2,
                egui::Button::new(i18n.tr("tokenizer-compare")),
            )
            .clicked()
        {
            out.push(Command::Tokenizer(TokenizerCommand::Compare));
        }
        if running {
            ui.spinner();
        }
    });
    let comparison = match &state.comparison {
        None => return,
        Some(Err(e)) => {
            ui.colored_label(theme::error_color(ui), e);
            return;
        }
        Some(Ok(c)) => c,
    };
    egui::Grid::new("tokenizer_compare_table")
        .striped(true)
        .num_columns(7)
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            for key in [
                "col-name",
                "col-vocab",
                "tokenizer-col-tokens",
                "tokenizer-col-fertility",
                "tokenizer-col-chars-per-token",
                "tokenizer-col-split3",
                "tokenizer-col-unknown",
            ] {
                ui.strong(i18n.tr(key));
            }
            ui.end_row();
            for r in &comparison.rows {
                ui.label(&r.name);
                ui.label(r.vocab_size.to_string());
                ui.label(r.tokens.to_string());
                ui.label(i18n.decimal(r.fertility, 3));
                ui.label(i18n.decimal(r.characters_per_token, 2));
                ui.label(i18n.percent(r.split_3_plus, 1));
                ui.label(i18n.percent(r.unknown_or_fallback, 2));
                ui.end_row();
            }
        });
    let bars: Vec<egui_plot::Bar> = comparison
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            egui_plot::Bar::new(i as f64, r.fertility)
                .name(&r.name)
                .width(0.6)
        })
        .collect();
    let chart = egui_plot::BarChart::new(i18n.tr("tokenizer-col-fertility"), bars);
    let names: Vec<String> = comparison.rows.iter().map(|r| r.name.clone()).collect();
    let count = names.len();
    egui_plot::Plot::new("tokenizer_fertility")
        .height(160.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .y_axis_label(i18n.tr("tokenizer-col-fertility"))
        // One mark under each bar, named after its tokenizer (not 0, 1, …).
        .x_grid_spacer(move |_| {
            (0..count)
                .map(|i| egui_plot::GridMark {
                    value: i as f64,
                    step_size: 1.0,
                })
                .collect()
        })
        .x_axis_formatter(move |mark, _| bar_name(&names, mark.value))
        .y_axis_formatter(|mark, _| i18n.localize_number(&format!("{:.1}", mark.value)))
        .show(ui, |plot| plot.bar_chart(chart));
    ui.strong(i18n.tr("tokenizer-compare-overlap"));
    egui::Grid::new("tokenizer_overlap")
        .num_columns(comparison.rows.len() + 1)
        .show(ui, |ui| {
            ui.label("");
            for r in &comparison.rows {
                ui.strong(&r.name);
            }
            ui.end_row();
            for (i, row) in comparison.overlap.iter().enumerate() {
                ui.strong(&comparison.rows[i].name);
                for v in row {
                    ui.label(i18n.decimal(*v, 2));
                }
                ui.end_row();
            }
        });
    ui.strong(i18n.tr("tokenizer-compare-words"));
    egui::Grid::new("tokenizer_words")
        .striped(true)
        .num_columns(comparison.rows.len() + 2)
        .show(ui, |ui| {
            ui.strong(i18n.tr("tokenizer-col-word"));
            ui.strong(i18n.tr("tokenizer-col-count"));
            for r in &comparison.rows {
                ui.strong(&r.name);
            }
            ui.end_row();
            for (word, n, splits) in &comparison.words {
                ui.label(word);
                ui.label(n.to_string());
                for pieces in splits {
                    ui.label(egui::RichText::new(pieces.join(" | ")).monospace());
                }
                ui.end_row();
            }
        });
}

/// The tokenizer whose bar stands at `x`; nothing between bars.
fn bar_name(names: &[String], x: f64) -> String {
    let i = x.round();
    if (x - i).abs() > 1e-6 || i < 0.0 {
        return String::new();
    }
    names.get(i as usize).cloned().unwrap_or_default()
}

fn train_ui(
    ui: &mut egui::Ui,
    area: &TokenizerArea,
    view: &ViewContext<'_>,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let state = area;
    let mut form: TrainForm = state.form.clone();
    ui.heading(i18n.tr("tokenizer-train-title"));
    if view.snapshot.corpora.is_empty() {
        ui.label(
            egui::RichText::new(i18n.tr("tokenizer-train-no-corpus")).color(theme::weak_color(ui)),
        );
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(i18n.tr("tokenizer-train-corpora"));
        for corpus in &view.snapshot.corpora {
            let mut on = form.corpora.contains(&corpus.id);
            if ui
                .checkbox(&mut on, format!("{} ({})", corpus.name, corpus.doc_count))
                .changed()
            {
                if on {
                    form.corpora.push(corpus.id);
                } else {
                    form.corpora.retain(|&c| c != corpus.id);
                }
            }
        }
    });
    egui::Grid::new("tokenizer_train_form")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            let label = ui.label(i18n.tr("tokenizer-train-name"));
            ui.add(
                egui::TextEdit::singleline(&mut form.name)
                    .id_salt("tokenizer_name")
                    .desired_width(160.0),
            )
            .labelled_by(label.id);
            ui.end_row();
            ui.label(i18n.tr("tokenizer-train-kind"));
            ui.horizontal(|ui| {
                ui.radio_value(&mut form.config.kind, Kind::Unigram, "Unigram")
                    .on_hover_text(i18n.tr("tokenizer-kind-unigram-hint"));
                ui.radio_value(&mut form.config.kind, Kind::Bpe, "BPE")
                    .on_hover_text(i18n.tr("tokenizer-kind-bpe-hint"));
            });
            ui.end_row();
            ui.label(i18n.tr("tokenizer-train-vocab"));
            // The trainer's own minimum (every byte and special token), so the form and the
            // CLI refuse the same sizes.
            let min_vocab = form.config.min_vocab();
            ui.add(
                egui::DragValue::new(&mut form.config.vocab_size)
                    .range(min_vocab..=262_144)
                    .speed(100.0),
            );
            ui.end_row();
            if form.config.kind == Kind::Bpe {
                ui.label(i18n.tr("tokenizer-train-min-frequency"));
                ui.add(egui::DragValue::new(&mut form.config.min_frequency).range(1..=1000));
                ui.end_row();
            } else {
                ui.label(i18n.tr("tokenizer-train-max-piece"));
                ui.add(egui::DragValue::new(&mut form.config.max_piece_length).range(2..=64));
                ui.end_row();
                ui.label("");
                ui.checkbox(
                    &mut form.config.byte_fallback,
                    i18n.tr("tokenizer-train-byte-fallback"),
                )
                .on_hover_text(i18n.tr("tokenizer-train-byte-fallback-hint"));
                ui.end_row();
            }
            ui.label("");
            ui.checkbox(
                &mut form.config.normalize_az,
                i18n.tr("tokenizer-train-normalize"),
            )
            .on_hover_text(i18n.tr("tokenizer-train-normalize-hint"));
            ui.end_row();
            ui.label("");
            ui.add_enabled(
                form.config.normalize_az,
                egui::Checkbox::new(
                    &mut form.config.lowercase,
                    i18n.tr("tokenizer-train-lowercase"),
                ),
            )
            .on_hover_text(i18n.tr("tokenizer-train-lowercase-hint"));
            ui.end_row();
            ui.label(i18n.tr("tokenizer-train-special"));
            ui.label(
                egui::RichText::new(form.config.special_tokens.join(" "))
                    .monospace()
                    .color(theme::weak_color(ui)),
            );
            ui.end_row();
        });
    if !form.config.normalize_az {
        form.config.lowercase = false;
    }
    let running = state.train_job.is_some();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !running && !form.corpora.is_empty(),
                egui::Button::new(i18n.tr("tokenizer-train")),
            )
            .clicked()
        {
            out.push(Command::Tokenizer(TokenizerCommand::Train));
        }
        if running {
            ui.spinner();
            ui.label(
                egui::RichText::new(i18n.tr("tokenizer-training")).color(theme::weak_color(ui)),
            );
        }
    });
    match &state.trained {
        Some(Ok((name, report))) => {
            ui.colored_label(
                theme::success_color(ui),
                i18n.tr_args(
                    "tokenizer-trained",
                    &[
                        ("name", name.as_str().into()),
                        ("vocab", report.vocab_size.into()),
                        ("documents", report.documents.into()),
                        ("seconds", i18n.decimal(report.seconds, 1).into()),
                    ],
                ),
            );
        }
        Some(Err(e)) => {
            ui.colored_label(theme::error_color(ui), e);
        }
        None => {}
    }
    form.follow_vocab_size(&state.form);
    if form != state.form {
        out.push(Command::Tokenizer(TokenizerCommand::SetTrainForm(
            Box::new(form),
        )));
    }
}

fn list_ui(
    ui: &mut egui::Ui,
    area: &TokenizerArea,
    view: &ViewContext<'_>,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    ui.horizontal(|ui| {
        ui.heading(i18n.tr("tokenizer-list-title"));
        if ui
            .button(i18n.tr("tokenizer-add-file"))
            .on_hover_text(i18n.tr("tokenizer-add-file-hint"))
            .clicked()
        {
            out.push(Command::Tokenizer(TokenizerCommand::ChooseFile));
        }
    });
    if let Some(path) = crate::widgets::path_field::typed_path_ui(
        ui,
        i18n,
        view.dialogs,
        crate::widgets::path_field::PathField::new(
            "tokenizer_add",
            i18n.tr("tokenizer-add-file"),
            crate::app::picker::PathMode::OpenFile,
        ),
    ) {
        out.push(Command::Tokenizer(TokenizerCommand::AddFile(path)));
    }
    if let Some(Err(e)) = &area.added {
        ui.colored_label(theme::error_color(ui), e);
    }
    let tokenizers = &view.snapshot.tokenizers;
    if tokenizers.is_empty() {
        ui.label(egui::RichText::new(i18n.tr("tokenizer-empty-body")).color(theme::weak_color(ui)));
        folder_link_ui(ui, i18n, &view.workspace.folder(Folder::Tokenizers), out);
        return;
    }
    table_ui(
        ui,
        "tokenizers",
        i18n,
        &["col-name", "col-kind", "col-vocab", "training-col-runs"],
        |ui| {
            for t in tokenizers {
                if ui
                    .selectable_label(area.selected == Some(t.id), &t.name)
                    .on_hover_text(i18n.tr("tokenizer-select-hint"))
                    .clicked()
                {
                    out.push(Command::Tokenizer(TokenizerCommand::Select(t.id)));
                }
                ui.label(&t.kind);
                ui.label(t.vocab_size.to_string());
                ui.horizontal_wrapped(|ui| {
                    for r in view
                        .snapshot
                        .runs
                        .iter()
                        .filter(|r| r.tokenizer_id == Some(t.id))
                    {
                        if ui.link(&r.name).clicked() {
                            out.push(Command::ShowRun(r.id));
                        }
                    }
                });
                ui.end_row();
            }
        },
    );
}

fn inspect_ui(
    ui: &mut egui::Ui,
    area: &TokenizerArea,
    view: &ViewContext<'_>,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let state = area;
    ui.heading(i18n.tr("tokenizer-inspect-title"));
    let loaded = match &state.loaded {
        None => {
            ui.label(
                egui::RichText::new(i18n.tr("tokenizer-inspect-pick")).color(theme::weak_color(ui)),
            );
            return;
        }
        Some(Err(e)) => {
            ui.colored_label(theme::error_color(ui), e);
            return;
        }
        Some(Ok(loaded)) => loaded,
    };
    ui.label(
        egui::RichText::new(i18n.tr_args(
            "tokenizer-inspect-loaded",
            &[
                ("kind", loaded.kind.as_str().into()),
                ("vocab", loaded.vocab_size().into()),
            ],
        ))
        .color(theme::weak_color(ui)),
    );
    let mut text = state.text.clone();
    let label = ui.label(i18n.tr("tokenizer-inspect-text"));
    ui.add(
        egui::TextEdit::multiline(&mut text)
            .id_salt("tokenizer_inspect_text")
            .desired_rows(3)
            .desired_width(f32::INFINITY)
            .hint_text(i18n.tr("tokenizer-inspect-hint")),
    )
    .labelled_by(label.id);
    if text != state.text {
        out.push(Command::Tokenizer(TokenizerCommand::SetInspectText(text)));
    }
    match &state.inspection {
        None => {}
        Some(Err(e)) => {
            ui.colored_label(theme::error_color(ui), e);
        }
        Some(Ok(inspection)) => inspection_ui(ui, i18n, inspection),
    }
}

fn inspection_ui(ui: &mut egui::Ui, i18n: &I18n, inspection: &Inspection) {
    ui.label(i18n.tr_args(
        "tokenizer-inspect-counts",
        &[
            ("tokens", inspection.pieces.len().into()),
            ("characters", inspection.characters.into()),
            ("words", inspection.words.into()),
            (
                "per_token",
                i18n.decimal(inspection.characters_per_token, 2).into(),
            ),
            (
                "per_word",
                i18n.decimal(inspection.tokens_per_word, 2).into(),
            ),
        ],
    ));
    let fallback = inspection.pieces.iter().filter(|p| p.byte_fallback).count();
    let unknown = inspection.pieces.iter().filter(|p| p.unknown).count();
    if fallback + unknown > 0 {
        ui.colored_label(
            theme::error_color(ui),
            i18n.tr_args(
                "tokenizer-inspect-flags",
                &[("fallback", fallback.into()), ("unknown", unknown.into())],
            ),
        );
    }
    if !inspection.round_trip {
        ui.colored_label(
            theme::error_color(ui),
            i18n.tr_args(
                "tokenizer-inspect-round-trip",
                &[("decoded", inspection.decoded.as_str().into())],
            ),
        );
    }
    ui.add_space(4.0);
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing = egui::vec2(3.0, 3.0);
        for (i, piece) in inspection.pieces.iter().enumerate() {
            let fill = theme::chip_color(ui, i, piece.byte_fallback, piece.unknown);
            let shown = if piece.byte_fallback || piece.unknown {
                piece.token.clone()
            } else {
                visible_whitespace(&piece.text)
            };
            let response = egui::Frame::new()
                .fill(fill)
                .corner_radius(4.0)
                .inner_margin(egui::Margin::symmetric(4, 1))
                .show(ui, |ui| {
                    ui.vertical(|ui| {
                        ui.label(egui::RichText::new(shown).monospace());
                        ui.label(egui::RichText::new(piece.id.to_string()).small().weak());
                    });
                })
                .response;
            let bytes: Vec<String> = piece.text.bytes().map(|b| format!("{b:02X}")).collect();
            let mut hover = i18n.tr_args(
                "tokenizer-piece-hover",
                &[
                    ("id", piece.id.into()),
                    ("decoded", visible_whitespace(&piece.decoded).into()),
                    ("token", piece.token.as_str().into()),
                    ("bytes", bytes.join(" ").into()),
                ],
            );
            let mut lines = vec![hover];
            if let Some(score) = piece.score {
                lines.push(i18n.tr_args(
                    "tokenizer-piece-score",
                    &[("score", i18n.decimal(score, 3).into())],
                ));
            }
            if piece.byte_fallback {
                lines.push(i18n.tr("tokenizer-piece-fallback"));
            }
            if piece.unknown {
                lines.push(i18n.tr("tokenizer-piece-unknown"));
            }
            hover = lines.join("\n");
            response.on_hover_text(hover);
        }
    });
}
