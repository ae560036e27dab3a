//! Draws the Playground: chat with a checkpoint (streamed, with retrieval from a corpus index), two
//! checkpoints side by side whose answers go to the rating queue, batches of prompts, and the
//! search indexes. Until a run has saved a checkpoint there is no model to talk to, and the
//! area says so (the Index tab still works).

use crate::app::areas::ViewContext;
use crate::app::areas::playground::{
    BatchForm, CompareForm, ModelChoice, PlayTab, PlaygroundArea, Streaming, Turn,
};
use crate::app::command::{Command, PlaygroundCommand};
use crate::app::theme;
use crate::core::chat::{BatchMode, ChatSettings, TurnMeta, UsedPassage};
use crate::core::rag::Hit;
use crate::core::workspace::{Folder, Snapshot, Workspace};
use crate::i18n::I18n;
use crate::panels::{about_ui, empty_state_ui, labelled};

/// What the drawing reads: the shared view and this area's state.
struct View<'a> {
    i18n: &'a I18n,
    workspace: &'a Workspace,
    snapshot: &'a Snapshot,
    playground: &'a PlaygroundArea,
}

pub(super) fn playground_ui(
    ui: &mut egui::Ui,
    playground: &PlaygroundArea,
    cx: &ViewContext<'_>,
    out: &mut Vec<Command>,
) {
    let view = &View {
        i18n: cx.i18n,
        workspace: cx.workspace,
        snapshot: cx.snapshot,
        playground,
    };
    let i18n = view.i18n;
    let play = view.playground;
    about_ui(ui, i18n, "playground-about");
    ui.horizontal(|ui| {
        for (tab, key) in [
            (PlayTab::Chat, "play-tab-chat"),
            (PlayTab::Compare, "play-tab-compare"),
            (PlayTab::Batch, "play-tab-batch"),
            (PlayTab::Index, "play-tab-index"),
        ] {
            if ui.selectable_label(play.tab == tab, i18n.tr(key)).clicked() {
                out.push(Command::Playground(PlaygroundCommand::Tab(tab)));
            }
        }
    });
    if let Some(error) = &play.error {
        ui.colored_label(theme::error_color(ui), error);
    }
    ui.separator();
    let has_models = view.snapshot.trained_runs().next().is_some();
    if !has_models && play.tab != PlayTab::Index {
        egui::ScrollArea::vertical().show(ui, |ui| {
            empty_state_ui(
                ui,
                view.i18n,
                view.workspace,
                "playground-empty-title",
                "playground-empty-body",
                Folder::Runs,
                out,
            );
        });
        return;
    }
    match play.tab {
        PlayTab::Chat => chat_ui(ui, view, out),
        PlayTab::Compare => {
            egui::ScrollArea::vertical()
                .id_salt("play_compare")
                .auto_shrink([false, false])
                .show(ui, |ui| compare_ui(ui, view, out));
        }
        PlayTab::Batch => {
            egui::ScrollArea::vertical()
                .id_salt("play_batch")
                .auto_shrink([false, false])
                .show(ui, |ui| batch_ui(ui, view, out));
        }
        PlayTab::Index => {
            egui::ScrollArea::vertical()
                .id_salt("play_index")
                .auto_shrink([false, false])
                .show(ui, |ui| index_ui(ui, view, out));
        }
    }
}

/// A run picker and a checkpoint picker (best, last, each saved step).
fn model_picker_ui(
    ui: &mut egui::Ui,
    view: &View<'_>,
    id: &str,
    label_key: &str,
    choice: &mut ModelChoice,
) {
    let i18n = view.i18n;
    let runs: Vec<_> = view.snapshot.trained_runs().collect();
    let label = ui.label(i18n.tr(label_key));
    let name = choice
        .run
        .and_then(|id| runs.iter().find(|r| r.id == id))
        .map_or_else(|| i18n.tr("sft-model-none"), |r| r.name.clone());
    egui::ComboBox::from_id_salt(format!("{id}_run"))
        .selected_text(name)
        .show_ui(ui, |ui| {
            for r in &runs {
                ui.selectable_value(&mut choice.run, Some(r.id), &r.name);
            }
        })
        .response
        .labelled_by(label.id);
    let dir = choice
        .run
        .and_then(|id| runs.iter().find(|r| r.id == id))
        .map(|r| r.dir.as_str());
    checkpoint_picker_ui(ui, view.playground, i18n, id, dir, &mut choice.checkpoint);
}

fn checkpoint_picker_ui(
    ui: &mut egui::Ui,
    play: &PlaygroundArea,
    i18n: &I18n,
    id: &str,
    run_dir: Option<&str>,
    checkpoint: &mut String,
) {
    let label = ui.label(i18n.tr("sft-checkpoint"));
    let steps = run_dir.and_then(|d| play.steps.get(d));
    egui::ComboBox::from_id_salt(format!("{id}_checkpoint"))
        .selected_text(checkpoint.as_str())
        .show_ui(ui, |ui| {
            for name in ["best", "last"] {
                ui.selectable_value(checkpoint, name.to_owned(), name);
            }
            for step in steps.into_iter().flatten() {
                ui.selectable_value(checkpoint, step.to_string(), step.to_string());
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(i18n.tr("sft-checkpoint-hint"));
}

/// Model, sampling, system prompt and retrieval of the open conversation. `with_model` is false
/// where the form picks its own models (side by side).
fn settings_ui(ui: &mut egui::Ui, view: &View<'_>, with_model: bool, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let play = view.playground;
    let mut s: ChatSettings = play.settings.clone();
    ui.horizontal_wrapped(|ui| {
        if with_model {
            model_row_ui(ui, view, &mut s);
        }
        ui.checkbox(&mut s.completion, i18n.tr("play-completion"))
            .on_hover_text(i18n.tr("play-completion-hint"));
        if with_model && !s.completion && matches!(&play.model, Some(Ok(m)) if !m.chat) {
            ui.label(
                egui::RichText::new(i18n.tr("play-completion-suggested"))
                    .small()
                    .color(theme::warn_color(ui)),
            );
        }
        ui.separator();
        rag_row_ui(ui, play, i18n, &mut s, out);
    });
    sampling_ui(ui, i18n, &mut s);
    if s != play.settings {
        out.push(Command::Playground(PlaygroundCommand::Settings(Box::new(
            s,
        ))));
    }
}

fn model_row_ui(ui: &mut egui::Ui, view: &View<'_>, s: &mut ChatSettings) {
    let (play, i18n) = (view.playground, view.i18n);
    let runs: Vec<_> = view.snapshot.trained_runs().collect();
    let label = ui.label(i18n.tr("play-model"));
    let name = s
        .run
        .as_deref()
        .and_then(|d| runs.iter().find(|r| r.dir == d))
        .map_or_else(|| i18n.tr("sft-model-none"), |r| r.name.clone());
    egui::ComboBox::from_id_salt("play_run")
        .selected_text(name)
        .show_ui(ui, |ui| {
            for r in runs {
                ui.selectable_value(&mut s.run, Some(r.dir.clone()), &r.name);
            }
        })
        .response
        .labelled_by(label.id);
    let run = s.run.clone();
    checkpoint_picker_ui(ui, play, i18n, "play", run.as_deref(), &mut s.checkpoint);
}

fn rag_row_ui(
    ui: &mut egui::Ui,
    play: &PlaygroundArea,
    i18n: &I18n,
    s: &mut ChatSettings,
    out: &mut Vec<Command>,
) {
    ui.checkbox(&mut s.rag.enabled, i18n.tr("play-rag"))
        .on_hover_text(i18n.tr("play-rag-hint"));
    if s.rag.enabled {
        let label = ui.label(i18n.tr("play-rag-corpus"));
        let shown = if s.rag.corpus.is_empty() {
            i18n.tr("play-rag-none")
        } else {
            s.rag.corpus.clone()
        };
        egui::ComboBox::from_id_salt("play_rag_corpus")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for meta in &play.indexes {
                    ui.selectable_value(&mut s.rag.corpus, meta.corpus.clone(), &meta.corpus);
                }
            })
            .response
            .labelled_by(label.id);
        labelled(
            ui,
            i18n.tr("play-rag-k"),
            egui::DragValue::new(&mut s.rag.k).range(1..=20),
        );
        if play.indexes.is_empty() && ui.link(i18n.tr("play-rag-build")).clicked() {
            out.push(Command::Playground(PlaygroundCommand::Tab(PlayTab::Index)));
        }
    }
}

fn sampling_ui(ui: &mut egui::Ui, i18n: &I18n, s: &mut ChatSettings) {
    egui::CollapsingHeader::new(i18n.tr("play-sampling"))
        .id_salt("play_sampling")
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                let sp = &mut s.sampling;
                labelled(
                    ui,
                    i18n.tr("sft-temperature"),
                    crate::panels::localized(
                        egui::DragValue::new(&mut sp.temperature)
                            .range(0.0..=2.0)
                            .speed(0.05),
                        i18n,
                        2,
                    ),
                );
                labelled(
                    ui,
                    i18n.tr("play-top-k"),
                    egui::DragValue::new(&mut sp.top_k).range(0..=1000),
                );
                labelled(
                    ui,
                    i18n.tr("play-top-p"),
                    crate::panels::localized(
                        // Above 0, as SamplingConfig::validate asks: 0 would keep no token.
                        egui::DragValue::new(&mut sp.top_p)
                            .range(0.01..=1.0)
                            .speed(0.01),
                        i18n,
                        2,
                    ),
                );
                labelled(
                    ui,
                    i18n.tr("play-repetition"),
                    crate::panels::localized(
                        egui::DragValue::new(&mut sp.repetition_penalty)
                            .range(1.0..=2.0)
                            .speed(0.01),
                        i18n,
                        2,
                    ),
                );
                labelled(
                    ui,
                    i18n.tr("sft-max-tokens"),
                    egui::DragValue::new(&mut sp.max_tokens).range(1..=4096),
                );
                labelled(ui, i18n.tr("sft-seed"), egui::DragValue::new(&mut sp.seed));
            });
            labelled(
                ui,
                i18n.tr("play-system"),
                egui::TextEdit::multiline(&mut s.system)
                    .desired_rows(2)
                    .desired_width(f32::INFINITY),
            );
            if s.rag.enabled {
                labelled(
                    ui,
                    i18n.tr("play-template"),
                    egui::TextEdit::multiline(&mut s.rag.template)
                        .desired_rows(3)
                        .desired_width(f32::INFINITY)
                        .font(egui::TextStyle::Monospace),
                )
                .on_hover_text(i18n.tr("play-template-hint"));
            }
        });
}

fn chat_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let play = view.playground;
    egui::Panel::left("play_conversations")
        .resizable(true)
        .default_size(220.0)
        .min_size(160.0)
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                if ui.button(i18n.tr("play-new")).clicked() {
                    out.push(Command::Playground(PlaygroundCommand::New));
                }
                if let Some(id) = play.current {
                    if play.confirm_delete == Some(id) {
                        if ui.button(i18n.tr("play-delete-yes")).clicked() {
                            out.push(Command::Playground(PlaygroundCommand::Delete(id)));
                        }
                        if ui.button(i18n.tr("play-delete-no")).clicked() {
                            out.push(Command::Playground(PlaygroundCommand::AskDelete(None)));
                        }
                    } else if ui
                        .add_enabled(
                            play.streaming.is_none(),
                            egui::Button::new(i18n.tr("play-delete")),
                        )
                        .clicked()
                    {
                        out.push(Command::Playground(PlaygroundCommand::AskDelete(Some(id))));
                    }
                }
            });
            ui.add_space(4.0);
            egui::ScrollArea::vertical()
                .id_salt("play_conversation_list")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if play.conversations.is_empty() {
                        ui.label(
                            egui::RichText::new(i18n.tr("play-no-conversations"))
                                .color(theme::weak_color(ui)),
                        );
                    }
                    for c in &play.conversations {
                        let title = if c.title.trim().is_empty() {
                            format!("#{}", c.id)
                        } else {
                            c.title.clone()
                        };
                        let text = format!("{title} ({})", c.messages);
                        if ui
                            .selectable_label(play.current == Some(c.id), text)
                            .clicked()
                        {
                            out.push(Command::Playground(PlaygroundCommand::Open(c.id)));
                        }
                    }
                });
        });
    egui::CentralPanel::default().show(ui, |ui| {
        settings_ui(ui, view, true, out);
        ui.separator();
        egui::Panel::bottom("play_input").show(ui, |ui| input_ui(ui, view, out));
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("play_messages")
                .auto_shrink([false, false])
                .stick_to_bottom(true)
                .show(ui, |ui| {
                    if play.turns.is_empty() && play.streaming_here().is_none() {
                        ui.label(
                            egui::RichText::new(i18n.tr("play-start-hint"))
                                .color(theme::weak_color(ui)),
                        );
                    }
                    for turn in &play.turns {
                        turn_ui(ui, i18n, turn);
                    }
                    if let Some(s) = play.streaming_here() {
                        streaming_ui(ui, i18n, s);
                    }
                });
        });
    });
}

fn input_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let play = view.playground;
    ui.add_space(4.0);
    fit_ui(ui, play, i18n, out);
    let mut input = play.input.clone();
    let response = labelled(
        ui,
        i18n.tr("play-input"),
        egui::TextEdit::multiline(&mut input)
            .desired_rows(2)
            .desired_width(f32::INFINITY)
            .hint_text(i18n.tr("play-input-hint")),
    );
    // Enter sends; Shift+Enter is a new line.
    let enter = response.has_focus()
        && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Enter));
    if enter {
        // The key already added a line break to the text this frame.
        while input.ends_with('\n') {
            input.pop();
        }
    }
    if input != play.input {
        out.push(Command::Playground(PlaygroundCommand::Input(input.clone())));
    }
    let streaming = play.streaming.is_some();
    if streaming && ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        out.push(Command::Playground(PlaygroundCommand::Stop));
    }
    ui.horizontal(|ui| {
        let can_send = !streaming && !input.trim().is_empty();
        let clicked = ui
            .add_enabled(can_send, egui::Button::new(i18n.tr("play-send")))
            .clicked();
        if can_send && (clicked || enter) {
            out.push(Command::Playground(PlaygroundCommand::Send));
        }
        if streaming {
            if ui.button(i18n.tr("play-stop")).clicked() {
                out.push(Command::Playground(PlaygroundCommand::Stop));
            }
            ui.spinner();
        } else if play.turns.last().is_some()
            && ui
                .button(i18n.tr("play-regenerate"))
                .on_hover_text(i18n.tr("play-regenerate-hint"))
                .clicked()
        {
            out.push(Command::Playground(PlaygroundCommand::Regenerate));
        }
        ui.label(
            egui::RichText::new(i18n.tr("play-keys"))
                .small()
                .color(theme::weak_color(ui)),
        );
    });
    ui.add_space(4.0);
}

/// What the next question takes of the model's window, and a warning before asking when the
/// prompt, the passages and the answer do not all fit.
fn fit_ui(ui: &mut egui::Ui, play: &PlaygroundArea, i18n: &I18n, out: &mut Vec<Command>) {
    let Some(fit) = &play.fit else {
        return;
    };
    let args = [
        ("prompt", fit.prompt.into()),
        ("passages", fit.passages.into()),
        ("answer", fit.answer.into()),
        ("context", fit.context.into()),
        ("dropped", fit.dropped().into()),
        ("found", fit.found.into()),
    ];
    let warning = if fit.overflows() {
        Some("play-fit-overflow")
    } else if fit.dropped() > 0 {
        Some("play-fit-dropped")
    } else {
        None
    };
    ui.horizontal_wrapped(|ui| {
        if let Some(key) = warning {
            ui.label(
                egui::RichText::new(i18n.tr_args(key, &args))
                    .small()
                    .color(theme::warn_color(ui)),
            );
            if ui
                .small_button(i18n.tr("play-fit-to-model"))
                .on_hover_text(i18n.tr("play-fit-to-model-hint"))
                .clicked()
            {
                out.push(Command::Playground(PlaygroundCommand::FitToModel));
            }
        } else {
            ui.label(
                egui::RichText::new(i18n.tr_args("play-fit-tokens", &args))
                    .small()
                    .color(theme::weak_color(ui)),
            );
        }
    });
}

fn bubble(ui: &mut egui::Ui, user: bool, add: impl FnOnce(&mut egui::Ui)) {
    let fill = if user {
        ui.visuals().faint_bg_color
    } else {
        ui.visuals().extreme_bg_color
    };
    egui::Frame::group(ui.style())
        .fill(fill)
        .inner_margin(8.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            add(ui);
        });
    ui.add_space(4.0);
}

fn turn_ui(ui: &mut egui::Ui, i18n: &I18n, turn: &Turn) {
    if turn.row.role == crate::core::domain::Role::User {
        bubble(ui, true, |ui| {
            ui.label(egui::RichText::new(i18n.tr("play-you")).small().strong());
            ui.label(&turn.row.content);
        });
    } else {
        answer_ui(ui, i18n, turn.row.id, &turn.row.content, &turn.meta);
    }
}

/// An answer with its record: model, speed, seed, why it ended, the passages it was given.
/// `id` keeps each answer's passage list apart.
fn answer_ui(ui: &mut egui::Ui, i18n: &I18n, id: i64, text: &str, m: &TurnMeta) {
    bubble(ui, false, |ui| {
        ui.label(egui::RichText::new(i18n.tr("play-model")).small().strong());
        ui.label(text);
        let finish = m.finish.map(|f| i18n.tr(finish_key(f))).unwrap_or_default();
        ui.label(
            egui::RichText::new(i18n.tr_args(
                "play-answer-meta",
                &[
                    ("model", m.model.as_str().into()),
                    ("tokens", m.tokens.into()),
                    ("speed", i18n.decimal(m.tokens_per_sec, 1).into()),
                    ("seed", m.seed.into()),
                    ("finish", finish.into()),
                ],
            ))
            .small()
            .color(theme::weak_color(ui)),
        );
        if m.retrieved > m.passages.len() {
            ui.label(
                egui::RichText::new(i18n.tr_args(
                    "play-passages-dropped",
                    &[
                        ("dropped", (m.retrieved - m.passages.len()).into()),
                        ("found", m.retrieved.into()),
                        ("context", m.context.into()),
                    ],
                ))
                .small()
                .color(theme::warn_color(ui)),
            );
        }
        if !m.passages.is_empty() {
            passages_ui(ui, i18n, id, &m.passages);
        }
    });
}

/// Why an answer ended, in the user's words.
fn finish_key(finish: crate::core::model::generate::Finish) -> &'static str {
    use crate::core::model::generate::Finish;
    match finish {
        Finish::MaxTokens => "play-finish-max-tokens",
        Finish::EndToken => "play-finish-end",
        Finish::StopString => "play-finish-stop-string",
        Finish::ContextFull => "play-finish-context-full",
        Finish::Cancelled => "play-finish-cancelled",
    }
}

fn streaming_ui(ui: &mut egui::Ui, i18n: &I18n, s: &Streaming) {
    bubble(ui, false, |ui| {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(i18n.tr("play-model")).small().strong());
            ui.spinner();
            ui.label(
                egui::RichText::new(i18n.tr_args(
                    "play-speed",
                    &[("speed", i18n.decimal(s.tokens_per_sec(), 1).into())],
                ))
                .small()
                .color(theme::weak_color(ui)),
            );
        });
        ui.label(&s.text);
        if !s.passages.is_empty() {
            hits_ui(ui, i18n, "play_stream_hits", &s.passages);
        }
    });
}

/// The passages an answer was given, with their scores and whether the answer used them.
fn passages_ui(ui: &mut egui::Ui, i18n: &I18n, id: i64, passages: &[UsedPassage]) {
    let used = passages.iter().filter(|p| p.used).count();
    egui::CollapsingHeader::new(i18n.tr_args(
        "play-passages",
        &[("count", passages.len().into()), ("used", used.into())],
    ))
    .id_salt(("play_passages", id))
    .show(ui, |ui| {
        for (i, p) in passages.iter().enumerate() {
            ui.horizontal_wrapped(|ui| {
                ui.strong(format!("[{}] {}", i + 1, p.label));
                ui.label(
                    egui::RichText::new(i18n.tr_args(
                        "play-passage-score",
                        &[
                            ("score", i18n.decimal(p.score, 2).into()),
                            ("overlap", format!("{:.0}", p.overlap * 100.0).into()),
                        ],
                    ))
                    .small()
                    .color(theme::weak_color(ui)),
                );
                if p.used {
                    ui.label(
                        egui::RichText::new(i18n.tr("play-passage-used"))
                            .small()
                            .strong()
                            .color(theme::success_color(ui)),
                    );
                }
            });
            ui.label(egui::RichText::new(&p.text).small());
            ui.add_space(4.0);
        }
    });
}

fn hits_ui(ui: &mut egui::Ui, i18n: &I18n, id: &str, hits: &[Hit]) {
    egui::CollapsingHeader::new(i18n.tr_args("play-retrieved", &[("count", hits.len().into())]))
        .id_salt(id)
        .default_open(true)
        .show(ui, |ui| {
            for (i, h) in hits.iter().enumerate() {
                ui.horizontal_wrapped(|ui| {
                    ui.strong(format!("[{}] {}", i + 1, h.label));
                    ui.label(
                        egui::RichText::new(i18n.decimal(h.score, 2))
                            .small()
                            .color(theme::weak_color(ui)),
                    );
                });
                ui.label(egui::RichText::new(&h.text).small());
                ui.add_space(4.0);
            }
        });
}

fn compare_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let play = view.playground;
    let compare = &play.compare;
    ui.label(egui::RichText::new(i18n.tr("play-compare-about")).color(theme::weak_color(ui)));
    let mut form: CompareForm = compare.form.clone();
    ui.horizontal_wrapped(|ui| {
        model_picker_ui(ui, view, "play_a", "rating-model-a", &mut form.a);
        ui.separator();
        model_picker_ui(ui, view, "play_b", "rating-model-b", &mut form.b);
    });
    settings_ui(ui, view, false, out);
    labelled(
        ui,
        i18n.tr("play-prompt"),
        egui::TextEdit::multiline(&mut form.prompt)
            .desired_rows(3)
            .desired_width(f32::INFINITY),
    );
    if form != compare.form {
        out.push(Command::Playground(PlaygroundCommand::CompareForm(
            Box::new(form.clone()),
        )));
    }
    ui.horizontal(|ui| {
        let busy = compare.busy();
        if ui
            .add_enabled(
                !busy && !form.prompt.trim().is_empty(),
                egui::Button::new(i18n.tr("play-compare-run")),
            )
            .clicked()
        {
            out.push(Command::Playground(PlaygroundCommand::Compare));
        }
        if busy {
            if ui.button(i18n.tr("play-stop")).clicked() {
                out.push(Command::Playground(PlaygroundCommand::Stop));
            }
            ui.spinner();
        }
        let ready = matches!(
            (&compare.replies[0], &compare.replies[1]),
            (Some(Ok(_)), Some(Ok(_)))
        );
        if ready
            && compare.sent.is_none()
            && ui
                .button(i18n.tr("play-to-rating"))
                .on_hover_text(i18n.tr("play-to-rating-hint"))
                .clicked()
        {
            out.push(Command::Playground(PlaygroundCommand::CompareToRating));
        }
        if let Some(item) = compare.sent {
            ui.label(
                egui::RichText::new(i18n.tr_args("play-sent", &[("item", item.into())]))
                    .color(theme::success_color(ui)),
            );
        }
    });
    ui.add_space(6.0);
    ui.columns(2, |cols| {
        for (slot, col) in cols.iter_mut().enumerate() {
            col.strong(i18n.tr(if slot == 0 {
                "rating-model-a"
            } else {
                "rating-model-b"
            }));
            if let Some(s) = &compare.running[slot] {
                streaming_ui(col, i18n, s);
            }
            match &compare.replies[slot] {
                Some(Ok(reply)) => {
                    answer_ui(col, i18n, -1 - slot as i64, &reply.text, &reply.meta);
                }
                Some(Err(e)) => {
                    col.colored_label(theme::error_color(col), e);
                }
                None => {}
            }
        }
    });
}

fn batch_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let play = view.playground;
    let batch = &play.batch;
    ui.label(egui::RichText::new(i18n.tr("play-batch-about")).color(theme::weak_color(ui)));
    let mut form: BatchForm = batch.form.clone();
    ui.horizontal_wrapped(|ui| {
        model_picker_ui(ui, view, "play_batch", "play-model", &mut form.model);
        ui.separator();
        for (mode, key) in [
            (BatchMode::Plain, "play-batch-plain"),
            (BatchMode::Rag, "play-batch-rag"),
            (BatchMode::Both, "play-batch-both"),
        ] {
            ui.radio_value(&mut form.mode, mode, i18n.tr(key));
        }
    });
    if form.mode != BatchMode::Plain {
        let corpus = &play.settings.rag.corpus;
        ui.label(
            egui::RichText::new(if corpus.is_empty() {
                i18n.tr("play-rag-needs-index")
            } else {
                i18n.tr_args("play-batch-rag-from", &[("corpus", corpus.as_str().into())])
            })
            .small()
            .color(theme::weak_color(ui)),
        );
    }
    // The chat's sampling settings (and its retrieval corpus) answer the batch too.
    let mut settings = play.settings.clone();
    sampling_ui(ui, i18n, &mut settings);
    if settings != play.settings {
        out.push(Command::Playground(PlaygroundCommand::Settings(Box::new(
            settings,
        ))));
    }
    labelled(
        ui,
        i18n.tr("play-batch-prompts"),
        egui::TextEdit::multiline(&mut form.prompts)
            .desired_rows(6)
            .desired_width(f32::INFINITY),
    );
    if form != batch.form {
        out.push(Command::Playground(PlaygroundCommand::BatchForm(Box::new(
            form.clone(),
        ))));
    }
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                batch.job.is_none() && !form.prompts.trim().is_empty() && form.model.run.is_some(),
                egui::Button::new(i18n.tr("play-batch-run")),
            )
            .clicked()
        {
            out.push(Command::Playground(PlaygroundCommand::Batch));
        }
        if batch.job.is_some() {
            ui.spinner();
        }
    });
    if let Some(path) = &batch.out {
        ui.label(i18n.tr_args(
            "play-batch-saved",
            &[
                ("count", batch.rows.len().into()),
                ("path", path.display().to_string().into()),
            ],
        ));
        ui.horizontal(|ui| {
            if batch.rows.iter().any(|r| r.mode == "rag")
                && batch.rows.iter().any(|r| r.mode == "plain")
                && ui
                    .add_enabled(
                        batch.sent_rating.is_none(),
                        egui::Button::new(i18n.tr("play-batch-to-rating")),
                    )
                    .clicked()
            {
                out.push(Command::Playground(PlaygroundCommand::BatchToRating));
            }
            if ui
                .add_enabled(
                    batch.sent_sft.is_none(),
                    egui::Button::new(i18n.tr("play-batch-to-sft")),
                )
                .clicked()
            {
                out.push(Command::Playground(PlaygroundCommand::BatchToSft));
            }
            if let Some(n) = batch.sent_rating {
                ui.label(i18n.tr_args("play-batch-sent-rating", &[("count", n.into())]));
            }
            if let Some(n) = batch.sent_sft {
                ui.label(i18n.tr_args("play-batch-sent-sft", &[("count", n.into())]));
            }
        });
        crate::panels::table_ui(
            ui,
            "play_batch_rows",
            i18n,
            &[
                "play-batch-col-prompt",
                "play-batch-col-mode",
                "play-batch-col-output",
            ],
            |ui| {
                for row in &batch.rows {
                    ui.label(crate::panels::preview(&row.prompt, 40));
                    ui.label(i18n.tr(if row.mode == "rag" {
                        "play-batch-rag"
                    } else {
                        "play-batch-plain"
                    }));
                    ui.add(egui::Label::new(&row.output).wrap());
                    ui.end_row();
                }
            },
        );
    }
}

fn index_ui(ui: &mut egui::Ui, view: &View<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let play = view.playground;
    ui.label(egui::RichText::new(i18n.tr("play-index-about")).color(theme::weak_color(ui)));
    let mut form = play.index_form.clone();
    ui.horizontal_wrapped(|ui| {
        labelled(
            ui,
            i18n.tr("play-index-chunk"),
            egui::DragValue::new(&mut form.chunk_words).range(20..=2000),
        );
        labelled(
            ui,
            i18n.tr("play-index-overlap"),
            egui::DragValue::new(&mut form.overlap_words).range(0..=500),
        );
        ui.checkbox(&mut form.stem, i18n.tr("play-index-stem"))
            .on_hover_text(i18n.tr("play-index-stem-hint"));
    });
    if form != play.index_form {
        out.push(Command::Playground(PlaygroundCommand::IndexForm(form)));
    }
    ui.add_space(4.0);
    crate::panels::table_ui(
        ui,
        "play_indexes",
        i18n,
        &["play-index-col-corpus", "play-index-col-state", ""],
        |ui| {
            for corpus in &view.snapshot.corpora {
                ui.label(&corpus.name);
                let meta = play.indexes.iter().find(|m| m.corpus == corpus.name);
                match meta {
                    Some(m) => ui.label(i18n.tr_args(
                        "play-index-state",
                        &[
                            ("passages", m.passages.into()),
                            ("articles", m.articles.into()),
                            ("docs", m.documents.into()),
                            ("secs", i18n.decimal(m.build_secs, 1).into()),
                        ],
                    )),
                    None => ui.label(
                        egui::RichText::new(i18n.tr("play-index-none"))
                            .color(theme::weak_color(ui)),
                    ),
                };
                let building = play
                    .index_job
                    .as_ref()
                    .is_some_and(|(_, c)| *c == corpus.name);
                ui.horizontal(|ui| {
                    let key = if meta.is_some() {
                        "play-index-rebuild"
                    } else {
                        "play-index-build"
                    };
                    if ui
                        .add_enabled(play.index_job.is_none(), egui::Button::new(i18n.tr(key)))
                        .on_hover_text(corpus.name.as_str())
                        .clicked()
                    {
                        out.push(Command::Playground(PlaygroundCommand::BuildIndex(
                            corpus.name.clone(),
                        )));
                    }
                    if building {
                        ui.spinner();
                    }
                });
                ui.end_row();
            }
        },
    );
    if play.indexes.is_empty() {
        return;
    }
    ui.separator();
    ui.strong(i18n.tr("play-search-title"));
    let mut corpus = play.search_corpus.clone();
    let mut text = play.search.clone();
    ui.horizontal(|ui| {
        let label = ui.label(i18n.tr("play-rag-corpus"));
        egui::ComboBox::from_id_salt("play_search_corpus")
            .selected_text(corpus.clone())
            .show_ui(ui, |ui| {
                for meta in &play.indexes {
                    ui.selectable_value(&mut corpus, meta.corpus.clone(), &meta.corpus);
                }
            })
            .response
            .labelled_by(label.id);
        labelled(
            ui,
            i18n.tr("play-search"),
            egui::TextEdit::singleline(&mut text)
                .desired_width(f32::INFINITY)
                .hint_text(i18n.tr("play-search-hint")),
        );
    });
    if text != play.search || corpus != play.search_corpus {
        out.push(Command::Playground(PlaygroundCommand::Search(corpus, text)));
    }
    if let Some(e) = &play.search_error {
        ui.colored_label(theme::error_color(ui), e);
    }
    if !play.search_hits.is_empty() {
        hits_ui(ui, i18n, "play_search_hits", &play.search_hits);
    }
}
