//! Draws the Rating area: the prompt and two responses side by side in the order this annotator sees
//! them, keys 1–4 to choose, Enter to submit, Backspace to skip, arrows to move; the guidelines
//! beside; agreement, disagreements for an adjudicator, import and export.

use crate::app::picker::PathMode;
use crate::widgets::path_field::{PathField, typed_path_ui};
use egui::Key;

use crate::app::areas::ViewContext;
use crate::app::areas::rating::{Draft, GenerateForm, PromptSource, RatingArea, RatingTab};
use crate::app::command::{Command, RatingCommand};
use crate::app::picker::DialogHealth;
use crate::app::state::Area;
use crate::app::theme;
use crate::core::domain::Choice;
use crate::core::prefs::{ExportFormat, Verdict};
use crate::core::store::PrefItem;
use crate::core::workspace::{Folder, Snapshot, Workspace};
use crate::i18n::I18n;
use crate::panels::{about_ui, empty_state_ui, preview, table_ui};

/// The four choices with their keys and labels.
const CHOICES: [(Choice, Key, &str); 4] = [
    (Choice::A, Key::Num1, "rating-choice-a"),
    (Choice::B, Key::Num2, "rating-choice-b"),
    (Choice::Tie, Key::Num3, "rating-choice-tie"),
    (Choice::BothBad, Key::Num4, "rating-choice-both-bad"),
];

/// Disagreements listed at a time: thousands of groups would not fit a frame, nor an
/// adjudicator's day; settling some shows the next.
const DISAGREEMENT_PAGE: usize = 50;

const DIGITS: [Key; 9] = [
    Key::Num1,
    Key::Num2,
    Key::Num3,
    Key::Num4,
    Key::Num5,
    Key::Num6,
    Key::Num7,
    Key::Num8,
    Key::Num9,
];

/// Screen labels of responses: A, B, C …
fn letter(position: usize) -> char {
    char::from(b'A' + (position % 26) as u8)
}

/// What the drawing reads: the shared view and this area's state.
struct View<'a> {
    i18n: &'a I18n,
    workspace: &'a Workspace,
    snapshot: &'a Snapshot,
    annotator: &'a str,
    dialogs: DialogHealth,
    rating: &'a RatingArea,
}

pub(super) fn rating_ui(
    ui: &mut egui::Ui,
    rating: &RatingArea,
    cx: &ViewContext<'_>,
    out: &mut Vec<Command>,
) {
    let view = &View {
        i18n: cx.i18n,
        workspace: cx.workspace,
        snapshot: cx.snapshot,
        annotator: cx.annotator,
        dialogs: cx.dialogs,
        rating,
    };
    let i18n = view.i18n;
    let rating = view.rating;
    about_ui(ui, i18n, "rating-about");
    if let Some(e) = &rating.error {
        ui.colored_label(theme::error_color(ui), e);
    }
    toolbar_ui(ui, view, out);
    generate_ui(ui, view, out);
    if rating.items.is_empty() {
        empty_state_ui(
            ui,
            view.i18n,
            view.workspace,
            "rating-empty-title",
            "rating-empty-body",
            Folder::Exports,
            out,
        );
        return;
    }
    crate::panels::training::used_by_runs_ui(
        ui,
        view.i18n,
        view.snapshot,
        |r| r.data == "preferences",
        out,
    );
    ui.separator();
    match rating.tab {
        RatingTab::Rate => {
            keys(ui, rating, out);
            egui::Panel::right("rating_guidelines")
                .resizable(true)
                .default_size(300.0)
                .show(ui, |ui| guidelines_ui(ui, i18n, rating, out));
            egui::CentralPanel::default().show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("rating_task")
                    .auto_shrink([false, false])
                    .show(ui, |ui| task_ui(ui, view, out));
            });
        }
        RatingTab::Agreement => {
            egui::ScrollArea::vertical()
                .id_salt("rating_agreement")
                .auto_shrink([false, false])
                .show(ui, |ui| agreement_ui(ui, view, out));
        }
    }
}

/// 1–4 choose, Enter submits, Backspace skips, arrows move — unless a text field has the
/// keyboard (then they are text).
fn keys(ui: &egui::Ui, rating: &RatingArea, out: &mut Vec<Command>) {
    if ui.ctx().memory(egui::Memory::focused).is_some() {
        return;
    }
    let responses = rating.current().map_or(0, |i| i.responses.len());
    ui.input_mut(|i| {
        if responses > 2 {
            // Ranking: each digit puts that response next; 0 starts over.
            for (k, key) in DIGITS.iter().enumerate().take(responses) {
                if i.consume_key(egui::Modifiers::NONE, *key) && !rating.draft.ranking.contains(&k)
                {
                    let mut draft = rating.draft.clone();
                    draft.ranking.push(k);
                    out.push(Command::Rating(RatingCommand::Draft(Box::new(draft))));
                }
            }
            if i.consume_key(egui::Modifiers::NONE, Key::Num0) {
                let mut draft = rating.draft.clone();
                draft.ranking.clear();
                out.push(Command::Rating(RatingCommand::Draft(Box::new(draft))));
            }
        } else {
            for (choice, key, _) in CHOICES {
                if i.consume_key(egui::Modifiers::NONE, key) {
                    let mut draft = rating.draft.clone();
                    draft.choice = Some(choice);
                    out.push(Command::Rating(RatingCommand::Draft(Box::new(draft))));
                }
            }
        }
        if i.consume_key(egui::Modifiers::NONE, Key::Enter) {
            out.push(Command::Rating(RatingCommand::Submit));
        }
        if i.consume_key(egui::Modifiers::NONE, Key::Backspace) {
            out.push(Command::Rating(RatingCommand::Skip));
        }
        if i.consume_key(egui::Modifiers::NONE, Key::ArrowRight) {
            out.push(Command::Rating(RatingCommand::Move(1)));
        }
        if i.consume_key(egui::Modifiers::NONE, Key::ArrowLeft) {
            out.push(Command::Rating(RatingCommand::Move(-1)));
        }
    });
}

fn toolbar_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let rating = view.rating;
    ui.horizontal_wrapped(|ui| {
        for (tab, key) in [
            (RatingTab::Rate, "rating-tab-rate"),
            (RatingTab::Agreement, "rating-tab-agreement"),
        ] {
            if ui
                .selectable_label(rating.tab == tab, i18n.tr(key))
                .clicked()
            {
                out.push(Command::Rating(RatingCommand::Tab(tab)));
            }
        }
        ui.separator();
        if view.annotator.trim().is_empty() {
            ui.colored_label(theme::error_color(ui), i18n.tr("rating-need-annotator"));
            if ui.button(i18n.tr("rating-go-settings")).clicked() {
                out.push(Command::Open(Area::Settings));
            }
        } else {
            let (done, total) = rating.progress(view.annotator);
            ui.label(i18n.tr_args(
                "rating-progress",
                &[
                    ("name", view.annotator.into()),
                    ("done", done.into()),
                    ("total", total.into()),
                ],
            ));
            ui.add(
                egui::ProgressBar::new(if total == 0 {
                    1.0
                } else {
                    done as f32 / total as f32
                })
                .desired_width(120.0),
            );
        }
        ui.separator();
        let k_id = egui::Id::unique("rating_import_k");
        let mut k: u32 = ui.data(|d| d.get_temp(k_id)).unwrap_or(1);
        if ui
            .button(i18n.tr("rating-import"))
            .on_hover_text(i18n.tr("rating-import-hint"))
            .clicked()
        {
            out.push(Command::Rating(RatingCommand::ChooseImport(k)));
        }
        let label = ui.label(i18n.tr("rating-judgements"));
        ui.add(egui::DragValue::new(&mut k).range(1..=9))
            .labelled_by(label.id)
            .on_hover_text(i18n.tr("rating-judgements-hint"));
        ui.data_mut(|d| d.insert_temp(k_id, k));
    });
    if let Some(path) = typed_path_ui(
        ui,
        i18n,
        view.dialogs,
        PathField::new(
            "rating_import",
            i18n.tr("rating-import"),
            PathMode::OpenFile,
        ),
    ) {
        let k = ui
            .data(|d| d.get_temp(egui::Id::unique("rating_import_k")))
            .unwrap_or(1);
        out.push(Command::Rating(RatingCommand::Import(path, k)));
    }
}

fn task_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let rating = view.rating;
    let Some(item) = rating.current() else {
        return;
    };
    let annotator = view.annotator.trim();
    let order = rating.order(annotator, item);
    let earlier = rating.rating_of(annotator, item.id);
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(rating.position > 0, egui::Button::new("←"))
            .on_hover_text(i18n.tr("rating-previous"))
            .clicked()
        {
            out.push(Command::Rating(RatingCommand::Move(-1)));
        }
        ui.strong(i18n.tr_args(
            "rating-item",
            &[
                ("id", item.id.into()),
                ("n", (rating.position + 1).into()),
                ("count", rating.items.len().into()),
            ],
        ));
        if ui
            .add_enabled(
                rating.position + 1 < rating.items.len(),
                egui::Button::new("→"),
            )
            .on_hover_text(i18n.tr("rating-next"))
            .clicked()
        {
            out.push(Command::Rating(RatingCommand::Move(1)));
        }
        if let Some(r) = earlier {
            ui.label(
                egui::RichText::new(i18n.tr_args(
                    "rating-earlier",
                    &[("choice", i18n.tr(&choice_key(r.choice)).into())],
                ))
                .color(theme::weak_color(ui)),
            );
        }
    });
    ui.add_space(4.0);
    ui.label(egui::RichText::new(i18n.tr("rating-prompt")).strong());
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.label(&item.prompt);
    });
    ui.add_space(6.0);
    let mut draft: Draft = rating.draft.clone();
    if order.len() > 2 {
        ranking_ui(ui, i18n, item, &order, &mut draft);
    } else {
        pair_ui(ui, i18n, item, &order, &mut draft);
    }
    let label = ui.label(i18n.tr("rating-comment"));
    ui.add(
        egui::TextEdit::singleline(&mut draft.comment)
            .hint_text(i18n.tr("rating-comment-hint"))
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                draft.choice.is_some() && !annotator.is_empty(),
                egui::Button::new(i18n.tr("rating-submit")),
            )
            .on_hover_text(i18n.tr("rating-submit-hint"))
            .clicked()
        {
            out.push(Command::Rating(RatingCommand::Submit));
        }
        if ui
            .add_enabled(
                !annotator.is_empty(),
                egui::Button::new(i18n.tr("rating-skip")),
            )
            .on_hover_text(i18n.tr("rating-skip-hint"))
            .clicked()
        {
            out.push(Command::Rating(RatingCommand::Skip));
        }
        ui.label(
            egui::RichText::new(i18n.tr("rating-keys"))
                .small()
                .color(theme::weak_color(ui)),
        );
    });
    ui.add_space(6.0);
    egui::CollapsingHeader::new(i18n.tr("rating-better"))
        .id_salt("rating_better")
        .show(ui, |ui| {
            ui.label(
                egui::RichText::new(i18n.tr("rating-better-about")).color(theme::weak_color(ui)),
            );
            let label = ui.label(i18n.tr("rating-better-answer"));
            ui.add(
                egui::TextEdit::multiline(&mut draft.better)
                    .desired_rows(4)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(
                        !draft.better.trim().is_empty(),
                        egui::Button::new(i18n.tr("rating-better-save")),
                    )
                    .clicked()
                {
                    out.push(Command::Rating(RatingCommand::SaveBetter));
                }
                if let Some(id) = rating.better_saved {
                    ui.label(i18n.tr_args("rating-better-saved", &[("id", id.into())]));
                }
            });
        });
    if draft != rating.draft {
        out.push(Command::Rating(RatingCommand::Draft(Box::new(draft))));
    }
}

/// Two responses side by side with their scores, and the four choices.
fn pair_ui(ui: &mut egui::Ui, i18n: &I18n, item: &PrefItem, order: &[i64], draft: &mut Draft) {
    ui.columns(2, |columns| {
        for (side, ui) in columns.iter_mut().enumerate() {
            let Some(response) = order
                .get(side)
                .and_then(|id| item.responses.iter().find(|r| r.id == *id))
            else {
                continue;
            };
            let chosen = match draft.choice {
                Some(Choice::A) => side == 0,
                Some(Choice::B) => side == 1,
                _ => false,
            };
            let mut frame = egui::Frame::group(ui.style());
            if chosen {
                frame = frame.stroke(egui::Stroke::new(2.0, ui.visuals().selection.bg_fill));
            }
            frame.show(ui, |ui| {
                ui.set_width(ui.available_width());
                // Left-aligned, not justified, text.
                ui.with_layout(egui::Layout::top_down(egui::Align::LEFT), |ui| {
                    ui.strong(i18n.tr(if side == 0 {
                        "rating-response-a"
                    } else {
                        "rating-response-b"
                    }));
                    ui.label(&response.text);
                    ui.add_space(4.0);
                    ui.horizontal(|ui| {
                        ui.label(
                            egui::RichText::new(i18n.tr("rating-score"))
                                .small()
                                .color(theme::weak_color(ui)),
                        );
                        for score in 1..=5u8 {
                            let on = draft.scores[side] == Some(score);
                            if ui
                                .selectable_label(on, score.to_string())
                                .on_hover_text(i18n.tr("rating-score-hint"))
                                .clicked()
                            {
                                draft.scores[side] = if on { None } else { Some(score) };
                            }
                        }
                    });
                });
            });
        }
    });
    ui.add_space(6.0);
    ui.horizontal_wrapped(|ui| {
        for (choice, key, label) in CHOICES {
            let on = draft.choice == Some(choice);
            if ui
                .selectable_label(on, i18n.tr(label))
                .on_hover_text(
                    ui.ctx()
                        .format_shortcut(&egui::KeyboardShortcut::new(egui::Modifiers::NONE, key)),
                )
                .clicked()
            {
                draft.choice = Some(choice);
            }
        }
    });
}

/// Three or more responses: each digit (or click) puts that response next in the ranking.
fn ranking_ui(ui: &mut egui::Ui, i18n: &I18n, item: &PrefItem, order: &[i64], draft: &mut Draft) {
    ui.label(egui::RichText::new(i18n.tr("rating-rank-about")).color(theme::weak_color(ui)));
    for (position, id) in order.iter().enumerate() {
        let Some(response) = item.responses.iter().find(|r| r.id == *id) else {
            continue;
        };
        let rank = draft.ranking.iter().position(|p| *p == position);
        let mut frame = egui::Frame::group(ui.style());
        if rank == Some(0) {
            frame = frame.stroke(egui::Stroke::new(2.0, ui.visuals().selection.bg_fill));
        }
        frame.show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                let title = i18n.tr_args(
                    "rating-response-n",
                    &[
                        ("letter", letter(position).to_string().into()),
                        ("key", (position + 1).into()),
                    ],
                );
                if ui
                    .selectable_label(rank.is_some(), title)
                    .on_hover_text(i18n.tr("rating-rank-hint"))
                    .clicked()
                    && rank.is_none()
                {
                    draft.ranking.push(position);
                }
                if let Some(r) = rank {
                    ui.strong(i18n.tr_args("rating-rank", &[("n", (r + 1).into())]));
                }
            });
            ui.label(&response.text);
        });
    }
    ui.horizontal_wrapped(|ui| {
        let ranked: Vec<String> = draft
            .ranking
            .iter()
            .map(|p| letter(*p).to_string())
            .collect();
        ui.label(i18n.tr_args("rating-ranking", &[("order", ranked.join(" > ").into())]));
        if ui
            .add_enabled(
                !draft.ranking.is_empty(),
                egui::Button::new(i18n.tr("rating-rank-clear")),
            )
            .on_hover_text("0")
            .clicked()
        {
            draft.ranking.clear();
        }
    });
    // Submitting a complete ranking needs a choice recorded; the app fills in "ranked".
    if draft.ranking.len() + 1 >= order.len() {
        draft.choice = Some(Choice::Ranked);
    } else {
        draft.choice = None;
    }
}

fn choice_key(choice: Choice) -> String {
    match choice {
        Choice::Skipped => "rating-skipped".to_owned(),
        other => format!("rating-choice-{other}"),
    }
}

/// The guidelines as simple markdown (headings, bullets, paragraphs), or its text to edit.
fn guidelines_ui(ui: &mut egui::Ui, i18n: &I18n, rating: &RatingArea, out: &mut Vec<Command>) {
    ui.horizontal(|ui| {
        ui.strong(i18n.tr("rating-guidelines"));
        let key = if rating.editing_guidelines {
            "rating-guidelines-done"
        } else {
            "rating-guidelines-edit"
        };
        if ui.small_button(i18n.tr(key)).clicked() {
            out.push(Command::Rating(RatingCommand::EditGuidelines(
                !rating.editing_guidelines,
            )));
        }
    });
    egui::ScrollArea::vertical()
        .id_salt("rating_guidelines_text")
        .show(ui, |ui| {
            if rating.editing_guidelines {
                let mut text = rating.guidelines.clone();
                let response = ui.add(
                    egui::TextEdit::multiline(&mut text)
                        .code_editor()
                        .desired_rows(20)
                        .desired_width(f32::INFINITY),
                );
                response.widget_info(|| {
                    egui::WidgetInfo::labeled(
                        egui::Role::TextInput,
                        true,
                        i18n.tr("rating-guidelines"),
                    )
                });
                if text != rating.guidelines {
                    out.push(Command::Rating(RatingCommand::Guidelines(text)));
                }
            } else if rating.guidelines.trim().is_empty() {
                ui.label(
                    egui::RichText::new(i18n.tr("rating-guidelines-empty"))
                        .color(theme::weak_color(ui)),
                );
            } else {
                markdown_ui(ui, &rating.guidelines);
            }
        });
}

fn markdown_ui(ui: &mut egui::Ui, text: &str) {
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(h) = trimmed.strip_prefix("# ") {
            ui.label(egui::RichText::new(h).heading());
        } else if let Some(h) = trimmed.strip_prefix("## ") {
            ui.label(egui::RichText::new(h).strong().size(15.0));
        } else if let Some(item) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            ui.horizontal_wrapped(|ui| {
                ui.label("•");
                ui.label(item);
            });
        } else if trimmed.is_empty() {
            ui.add_space(4.0);
        } else {
            ui.label(trimmed);
        }
    }
}

fn verdict_text(i18n: &I18n, item: &PrefItem, verdict: Verdict) -> String {
    match verdict {
        Verdict::Won(id) => {
            let n = item
                .responses
                .iter()
                .position(|r| r.id == id)
                .map_or(0, |p| p + 1);
            i18n.tr_args("rating-verdict-won", &[("n", n.into())])
        }
        Verdict::Tie => i18n.tr("rating-choice-tie"),
        Verdict::BothBad => i18n.tr("rating-choice-both-bad"),
    }
}

fn agreement_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let rating = view.rating;
    let Some(summary) = &rating.summary else {
        return;
    };
    let fmt = |v: Option<f64>| v.map_or_else(|| "—".to_owned(), |v| i18n.decimal(v, 3));
    ui.label(i18n.tr_args(
        "rating-summary",
        &[
            ("items", summary.items.into()),
            ("judged", summary.judged_items.into()),
            ("judgements", summary.judgements.into()),
            ("skipped", summary.skipped.into()),
            ("decided", summary.decided.into()),
            ("adjudicated", summary.adjudicated.into()),
        ],
    ));
    ui.label(i18n.tr_args(
        "rating-alpha",
        &[("alpha", fmt(summary.agreement.alpha).into())],
    ));
    ui.label(
        i18n.tr_args(
            "rating-position-bias",
            &[(
                "share",
                summary
                    .left_won_share
                    .map_or_else(|| "—".to_owned(), |s| i18n.percent(s, 0))
                    .into(),
            )],
        ),
    );
    ui.add_space(6.0);
    if !summary.agreement.pairs.is_empty() {
        table_ui(
            ui,
            "rating_kappa",
            i18n,
            &[
                "rating-col-annotators",
                "rating-col-items",
                "rating-col-kappa",
            ],
            |ui| {
                for pair in &summary.agreement.pairs {
                    ui.label(format!("{} · {}", pair.first, pair.second));
                    ui.label(pair.items.to_string());
                    ui.label(fmt(pair.kappa));
                    ui.end_row();
                }
            },
        );
    }
    if !summary.per_annotator.is_empty() {
        ui.add_space(6.0);
        table_ui(
            ui,
            "rating_annotators",
            i18n,
            &["rating-col-annotator", "rating-col-judgements"],
            |ui| {
                for (name, n) in &summary.per_annotator {
                    ui.label(name);
                    ui.label(n.to_string());
                    ui.end_row();
                }
            },
        );
    }
    ui.add_space(10.0);
    ui.heading(i18n.tr_args(
        "rating-disagreements",
        &[("count", summary.agreement.disagreements.len().into())],
    ));
    if summary.agreement.disagreements.is_empty() {
        ui.label(
            egui::RichText::new(i18n.tr("rating-no-disagreements")).color(theme::weak_color(ui)),
        );
    }
    for item_id in summary
        .agreement
        .disagreements
        .iter()
        .take(DISAGREEMENT_PAGE)
    {
        let Some(item) = rating.items.iter().find(|i| i.id == *item_id) else {
            continue;
        };
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.strong(format!("#{}", item.id));
                ui.label(preview(&item.prompt, 100));
                if ui.small_button(i18n.tr("rating-open")).clicked() {
                    out.push(Command::Rating(RatingCommand::Show(item.id)));
                }
            });
            for (n, r) in item.responses.iter().enumerate() {
                ui.label(
                    egui::RichText::new(format!("{}. {}", n + 1, preview(&r.text, 140)))
                        .color(theme::weak_color(ui)),
                );
            }
            for r in rating.ratings.iter().filter(|r| r.item_id == item.id) {
                if let Some(v) = Verdict::of_rating(r) {
                    ui.label(format!("{}: {}", r.annotator, verdict_text(i18n, item, v)));
                }
            }
            ui.horizontal_wrapped(|ui| {
                ui.label(i18n.tr("rating-adjudicate"));
                let mut verdicts: Vec<Verdict> =
                    item.responses.iter().map(|r| Verdict::Won(r.id)).collect();
                verdicts.extend([Verdict::Tie, Verdict::BothBad]);
                for v in verdicts {
                    if ui.button(verdict_text(i18n, item, v)).clicked() {
                        out.push(Command::Rating(RatingCommand::Adjudicate(item.id, v)));
                    }
                }
            });
        });
    }
    if summary.agreement.disagreements.len() > DISAGREEMENT_PAGE {
        ui.label(
            egui::RichText::new(i18n.tr_args(
                "rating-more-disagreements",
                &[(
                    "count",
                    (summary.agreement.disagreements.len() - DISAGREEMENT_PAGE).into(),
                )],
            ))
            .color(theme::weak_color(ui)),
        );
    }
    ui.add_space(10.0);
    export_ui(ui, view, out);
}

fn export_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let rating = view.rating;
    ui.heading(i18n.tr("rating-export"));
    let mut options = rating.export.clone();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(i18n.tr("rating-export-format"));
        egui::ComboBox::from_id_salt("rating_export_format")
            .selected_text(i18n.tr(&format!("rating-format-{}", options.format.name())))
            .show_ui(ui, |ui| {
                for f in ExportFormat::ALL {
                    ui.selectable_value(
                        &mut options.format,
                        f,
                        i18n.tr(&format!("rating-format-{}", f.name())),
                    );
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label(i18n.tr("rating-min-agreement"));
        ui.add(crate::panels::localized(
            egui::DragValue::new(&mut options.min_agreement)
                .range(0.0..=1.0)
                .speed(0.05),
            i18n,
            2,
        ))
        .labelled_by(label.id)
        .on_hover_text(i18n.tr("rating-min-agreement-hint"));
        ui.checkbox(
            &mut options.include_imported,
            i18n.tr("rating-include-imported"),
        );
        if options.format == ExportFormat::Kto {
            ui.checkbox(&mut options.ties_as_good, i18n.tr("rating-ties-as-good"));
            ui.checkbox(
                &mut options.both_bad_as_bad,
                i18n.tr("rating-both-bad-as-bad"),
            );
        }
        if ui
            .button(i18n.tr("rating-export-button"))
            .on_hover_text(i18n.tr("rating-export-hint"))
            .clicked()
        {
            out.push(Command::Rating(RatingCommand::ChooseExport));
        }
    });
    let default = view
        .workspace
        .root()
        .join("exports")
        .join(format!("preferences-{}.jsonl", options.format.name()));
    if let Some(path) = typed_path_ui(
        ui,
        i18n,
        view.dialogs,
        PathField::new(
            "rating_export",
            i18n.tr("rating-export-button"),
            PathMode::SaveFile,
        )
        .with_default(default),
    ) {
        out.push(Command::Rating(RatingCommand::Export(path)));
    }
    if options != rating.export {
        out.push(Command::Rating(RatingCommand::SetExport(Box::new(options))));
    }
}

/// Candidate answers sampled from one or two checkpoints for prompts from the SFT examples, a
/// text file, or typed in.
fn generate_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let rating = view.rating;
    let mut form: GenerateForm = rating.generate.clone();
    egui::CollapsingHeader::new(i18n.tr("rating-generate"))
        .id_salt("rating_generate")
        .show(ui, |ui| {
            ui.label(
                egui::RichText::new(i18n.tr("rating-generate-about")).color(theme::weak_color(ui)),
            );
            ui.horizontal_wrapped(|ui| {
                ui.label(i18n.tr("rating-generate-prompts"));
                for (source, key) in [
                    (PromptSource::SftReady, "rating-source-sft-ready"),
                    (PromptSource::SftAll, "rating-source-sft-all"),
                    (PromptSource::Typed, "rating-source-typed"),
                ] {
                    ui.selectable_value(&mut form.source, source, i18n.tr(key));
                }
                if ui.button(i18n.tr("rating-prompts-file")).clicked() {
                    out.push(Command::Rating(RatingCommand::ChoosePromptFile));
                }
            });
            if let Some(path) = typed_path_ui(
                ui,
                i18n,
                view.dialogs,
                PathField::new(
                    "rating_prompts",
                    i18n.tr("rating-prompts-file"),
                    PathMode::OpenFile,
                ),
            ) {
                out.push(Command::Rating(RatingCommand::PromptFile(path)));
            }
            if form.source == PromptSource::Typed {
                let label = ui.label(i18n.tr("rating-prompts-typed"));
                ui.add(
                    egui::TextEdit::multiline(&mut form.typed)
                        .desired_rows(3)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            }
            let runs: Vec<_> = view.snapshot.trained_runs().collect();
            ui.horizontal_wrapped(|ui| {
                for (slot, key, temp) in [
                    (&mut form.model_a, "rating-model-a", &mut form.temperature_a),
                    (&mut form.model_b, "rating-model-b", &mut form.temperature_b),
                ] {
                    let label = ui.label(i18n.tr(key));
                    let name = slot
                        .and_then(|id| runs.iter().find(|r| r.id == id))
                        .map_or_else(|| i18n.tr("sft-model-none"), |r| r.name.clone());
                    egui::ComboBox::from_id_salt(key)
                        .selected_text(name)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(slot, None, i18n.tr("sft-model-none"));
                            for r in &runs {
                                ui.selectable_value(slot, Some(r.id), &r.name);
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    let label = ui.label(i18n.tr("sft-temperature"));
                    ui.add(crate::panels::localized(
                        egui::DragValue::new(temp).range(0.0..=2.0).speed(0.05),
                        i18n,
                        2,
                    ))
                    .labelled_by(label.id);
                    ui.separator();
                }
            });
            ui.horizontal_wrapped(|ui| {
                let label = ui.label(i18n.tr("sft-checkpoint"));
                ui.add(egui::TextEdit::singleline(&mut form.checkpoint).desired_width(60.0))
                    .labelled_by(label.id)
                    .on_hover_text(i18n.tr("sft-checkpoint-hint"));
                let label = ui.label(i18n.tr("rating-per-model"));
                ui.add(egui::DragValue::new(&mut form.per_model).range(1..=8))
                    .labelled_by(label.id);
                let label = ui.label(i18n.tr("sft-max-tokens"));
                ui.add(egui::DragValue::new(&mut form.max_tokens).range(1..=4096))
                    .labelled_by(label.id);
                let label = ui.label(i18n.tr("sft-seed"));
                ui.add(egui::DragValue::new(&mut form.seed))
                    .labelled_by(label.id);
                let label = ui.label(i18n.tr("rating-judgements"));
                ui.add(egui::DragValue::new(&mut form.judgements).range(1..=9))
                    .labelled_by(label.id);
                if ui
                    .add_enabled(
                        rating.generate_job.is_none()
                            && (form.model_a.is_some() || form.model_b.is_some()),
                        egui::Button::new(i18n.tr("rating-generate-start")),
                    )
                    .clicked()
                {
                    out.push(Command::Rating(RatingCommand::Generate));
                }
                if rating.generate_job.is_some() {
                    ui.spinner();
                }
            });
        });
    if form != rating.generate {
        out.push(Command::Rating(RatingCommand::SetGenerate(Box::new(form))));
    }
}
