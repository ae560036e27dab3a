//! Training area: a launch form checked as it is filled, a live view of one run (curves, ETA,
//! samples, controls, lineage), and the workspace's run history with overlaid curves and a
//! config diff.

use std::time::Duration;

use crate::app::command::Command;
use crate::app::theme;
use crate::app::training::{ExportTarget, LaunchForm, LiveRun, PlotOptions, TrainingTab};
use crate::core::domain::RunStatus;
use crate::core::export::{Level, Precision};
use crate::core::model::Preset;
use crate::core::runs::Problem;
use crate::core::store::RunRow;
use crate::core::train::Stage;
use crate::i18n::I18n;
use crate::panels::status_bar::format_duration;
use crate::panels::{AreaView, about_ui, folder_link_ui};
use crate::widgets::loss_plot::{Marker, Series, curves_ui, dense_series, sparse_series};

pub fn training_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let state = view.training;
    about_ui(ui, i18n, "training-about");
    let selected_name = state
        .selected
        .and_then(|id| view.snapshot.runs.iter().find(|r| r.id == id))
        .map(|r| r.name.clone());
    ui.horizontal(|ui| {
        let mut tab = state.tab;
        ui.selectable_value(
            &mut tab,
            TrainingTab::Launch,
            i18n.tr("training-tab-launch"),
        );
        let monitor = match &selected_name {
            Some(name) => i18n.tr_args(
                "training-tab-monitor-named",
                &[("name", name.as_str().into())],
            ),
            None => i18n.tr("training-tab-monitor"),
        };
        ui.selectable_value(&mut tab, TrainingTab::Monitor, monitor);
        ui.selectable_value(
            &mut tab,
            TrainingTab::History,
            i18n.tr_args(
                "training-tab-history",
                &[("count", view.snapshot.runs.len().into())],
            ),
        );
        if tab != state.tab {
            out.push(Command::SetTrainingTab(tab));
        }
    });
    ui.separator();
    if let Some(error) = &state.error {
        ui.label(egui::RichText::new(error).color(theme::error_color(ui)));
        ui.add_space(4.0);
    }
    match state.tab {
        TrainingTab::Launch => launch_ui(ui, view, out),
        TrainingTab::Monitor => monitor_ui(ui, view, out),
        TrainingTab::History => history_ui(ui, view, out),
    }
}

fn stage_key(stage: Stage) -> &'static str {
    match stage {
        Stage::Pretrain => "training-stage-pretrain",
        Stage::Continue => "training-stage-continue",
        Stage::Sft => "training-stage-sft",
        Stage::Dpo => "training-stage-dpo",
    }
}

fn status_text(i18n: &I18n, status: RunStatus) -> String {
    match status {
        RunStatus::Running => i18n.tr("training-status-running"),
        RunStatus::Stopped => i18n.tr("training-status-stopped"),
        RunStatus::Finished => i18n.tr("training-status-finished"),
        RunStatus::Failed => i18n.tr("training-status-failed"),
        RunStatus::Created => status.name().to_owned(),
    }
}

fn status_color(ui: &egui::Ui, status: RunStatus) -> egui::Color32 {
    match status {
        RunStatus::Failed => theme::error_color(ui),
        RunStatus::Finished => theme::success_color(ui),
        RunStatus::Running => theme::series_color(ui, 0),
        RunStatus::Created | RunStatus::Stopped => theme::weak_color(ui),
    }
}

fn megabytes(i18n: &I18n, bytes: u64) -> String {
    let mb = bytes as f64 / 1e6;
    if mb >= 1000.0 {
        format!("{} GB", i18n.decimal(mb / 1000.0, 1))
    } else {
        format!("{mb:.0} MB")
    }
}

fn millions(i18n: &I18n, n: u64) -> String {
    if n >= 1_000_000 {
        format!("{}M", i18n.decimal(n as f64 / 1e6, 1))
    } else if n >= 1000 {
        format!("{:.0}k", n as f64 / 1e3)
    } else {
        n.to_string()
    }
}

/// A label with a tooltip, for the form's left column.
fn field_label(ui: &mut egui::Ui, i18n: &I18n, key: &str) -> egui::Response {
    let hint = format!("{key}-hint");
    ui.label(i18n.tr(key)).on_hover_text(i18n.tr(&hint))
}

/// A field with its label in the grid: the label names the widget for screen readers too.
fn labelled_ui(ui: &mut egui::Ui, i18n: &I18n, key: &str, widget: impl egui::Widget) {
    let label = field_label(ui, i18n, key);
    ui.add(widget).labelled_by(label.id);
}

fn problem_text(i18n: &I18n, problem: &Problem) -> String {
    match problem {
        Problem::NoName => i18n.tr("training-problem-name"),
        Problem::NameTaken => i18n.tr("training-problem-name-taken"),
        Problem::NoData => i18n.tr("training-problem-no-data"),
        Problem::NoTokenizer => i18n.tr("training-problem-no-tokenizer"),
        Problem::Tokenizer(e) => i18n.tr_args(
            "training-problem-tokenizer",
            &[("error", e.as_str().into())],
        ),
        Problem::NoBase => i18n.tr("training-problem-no-base"),
        Problem::Base(e) => i18n.tr_args("training-problem-base", &[("error", e.as_str().into())]),
        Problem::VocabMismatch { tokenizer, model } => i18n.tr_args(
            "training-problem-vocab",
            &[
                ("tokenizer", (*tokenizer).into()),
                ("model", (*model).into()),
            ],
        ),
        Problem::OtherTokenizer => i18n.tr("training-problem-other-tokenizer"),
        Problem::ContextTooLong { seq_len, context } => i18n.tr_args(
            "training-problem-context",
            &[("seq", (*seq_len).into()), ("context", (*context).into())],
        ),
        Problem::Model(e) => {
            i18n.tr_args("training-problem-model", &[("error", e.as_str().into())])
        }
        Problem::NoSteps => i18n.tr("training-problem-steps"),
        Problem::BadBatch => i18n.tr("training-problem-batch"),
        Problem::LoraWithoutBase => i18n.tr("training-problem-lora"),
    }
}

// ---------------------------------------------------------------- launch form

#[allow(clippy::too_many_lines)]
fn launch_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let state = view.training;
    let snapshot = view.snapshot;
    let mut form: LaunchForm = state.form.clone();
    let check = &state.check;

    ui.heading(i18n.tr("training-launch-title"));
    egui::Grid::new("training_launch_what")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let label = field_label(ui, i18n, "training-field-name");
            ui.add(
                egui::TextEdit::singleline(&mut form.name)
                    .id_salt("training_run_name")
                    .desired_width(220.0),
            )
            .labelled_by(label.id);
            ui.end_row();

            field_label(ui, i18n, "training-field-stage");
            ui.horizontal(|ui| {
                let mut chosen = form.stage;
                for s in [Stage::Pretrain, Stage::Continue, Stage::Sft, Stage::Dpo] {
                    ui.selectable_value(&mut chosen, s, i18n.tr(stage_key(s)))
                        .on_hover_text(i18n.tr(&format!("{}-hint", stage_key(s))));
                }
                if chosen != form.stage {
                    form = form.clone().with_stage(chosen);
                }
            });
            ui.end_row();

            field_label(ui, i18n, "training-field-data");
            // One choice a line: wrapped choices in a grid cell spill into the rows below.
            ui.vertical(|ui| match form.stage {
                Stage::Pretrain | Stage::Continue => {
                    if snapshot.corpora.is_empty() {
                        ui.label(
                            egui::RichText::new(i18n.tr("training-no-corpus"))
                                .color(theme::weak_color(ui)),
                        );
                    }
                    for c in &snapshot.corpora {
                        ui.radio_value(
                            &mut form.corpus,
                            Some(c.id),
                            i18n.tr_args(
                                "training-corpus-choice",
                                &[
                                    ("name", c.name.as_str().into()),
                                    ("documents", c.doc_count.into()),
                                ],
                            ),
                        );
                    }
                }
                Stage::Sft => {
                    ui.label(i18n.tr_args(
                        "training-data-sft",
                        &[("count", check.facts.data_items.unwrap_or(0).into())],
                    ));
                }
                Stage::Dpo => {
                    ui.label(i18n.tr_args(
                        "training-data-dpo",
                        &[("count", check.facts.data_items.unwrap_or(0).into())],
                    ));
                }
            });
            ui.end_row();

            if form.stage.needs_base() {
                let label = field_label(ui, i18n, "training-field-base");
                ui.horizontal_wrapped(|ui| {
                    let name_of = |id: Option<i64>| {
                        id.and_then(|id| snapshot.runs.iter().find(|r| r.id == id))
                            .map_or_else(|| i18n.tr("training-none"), |r| r.name.clone())
                    };
                    egui::ComboBox::from_id_salt("training_base_run")
                        .selected_text(name_of(form.base_run))
                        .show_ui(ui, |ui| {
                            for r in snapshot
                                .runs
                                .iter()
                                .filter(|r| r.status != RunStatus::Running)
                            {
                                ui.selectable_value(
                                    &mut form.base_run,
                                    Some(r.id),
                                    format!("{} ({})", r.name, r.stage),
                                );
                            }
                        })
                        .response
                        .labelled_by(label.id);
                    let checkpoint = ui
                        .label(i18n.tr("training-field-checkpoint"))
                        .on_hover_text(i18n.tr("training-field-checkpoint-hint"));
                    ui.add(
                        egui::TextEdit::singleline(&mut form.base_checkpoint)
                            .id_salt("training_base_checkpoint")
                            .desired_width(60.0),
                    )
                    .labelled_by(checkpoint.id);
                });
                ui.end_row();
            }

            let label = field_label(ui, i18n, "training-field-tokenizer");
            ui.horizontal_wrapped(|ui| {
                let text = form
                    .tokenizer
                    .and_then(|id| snapshot.tokenizers.iter().find(|t| t.id == id))
                    .map_or_else(
                        || {
                            if form.stage.needs_base() {
                                i18n.tr("training-tokenizer-of-base")
                            } else {
                                i18n.tr("training-none")
                            }
                        },
                        |t| format!("{} ({})", t.name, t.vocab_size),
                    );
                egui::ComboBox::from_id_salt("training_tokenizer")
                    .selected_text(text)
                    .show_ui(ui, |ui| {
                        if form.stage.needs_base() {
                            ui.selectable_value(
                                &mut form.tokenizer,
                                None,
                                i18n.tr("training-tokenizer-of-base"),
                            );
                        }
                        for t in &snapshot.tokenizers {
                            ui.selectable_value(
                                &mut form.tokenizer,
                                Some(t.id),
                                format!("{} ({}, {})", t.name, t.kind, t.vocab_size),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if snapshot.tokenizers.is_empty() {
                    ui.label(
                        egui::RichText::new(i18n.tr("training-no-tokenizer"))
                            .color(theme::weak_color(ui)),
                    );
                    if ui.link(i18n.tr("area-tokenizer")).clicked() {
                        out.push(Command::Open(crate::app::state::Area::Tokenizer));
                    }
                }
            });
            ui.end_row();
        });

    ui.add_space(8.0);
    ui.strong(i18n.tr("training-model-title"));
    model_ui(ui, view, &mut form);

    ui.add_space(8.0);
    ui.strong(i18n.tr("training-hyper-title"));
    hyper_ui(ui, i18n, state, &mut form);

    ui.add_space(8.0);
    let label = ui
        .label(i18n.tr("training-field-prompts"))
        .on_hover_text(i18n.tr("training-field-prompts-hint"));
    ui.add(
        egui::TextEdit::multiline(&mut form.sample_prompts)
            .id_salt("training_prompts")
            .desired_rows(2)
            .desired_width(480.0),
    )
    .labelled_by(label.id);

    if form != state.form {
        out.push(Command::SetLaunchForm(Box::new(form)));
    }

    ui.add_space(8.0);
    for problem in &check.problems {
        ui.label(egui::RichText::new(problem_text(i18n, problem)).color(theme::error_color(ui)));
    }
    ui.horizontal(|ui| {
        let ok = check.problems.is_empty();
        if ui
            .add_enabled(
                ok,
                egui::Button::new(egui::RichText::new(i18n.tr("training-start")).strong()),
            )
            .on_hover_text(i18n.tr("training-start-hint"))
            .clicked()
        {
            out.push(Command::LaunchRun);
        }
        if ok {
            ui.label(
                egui::RichText::new(i18n.tr("training-ready")).color(theme::success_color(ui)),
            );
        }
    });

    ui.add_space(8.0);
    egui::CollapsingHeader::new(i18n.tr("training-preview-title"))
        .id_salt("training_preview")
        .show(ui, |ui| {
            ui.label(
                egui::RichText::new(i18n.tr("training-preview-hint")).color(theme::weak_color(ui)),
            );
            ui.horizontal(|ui| {
                ui.label(egui::RichText::new(&check.command).monospace());
                if ui.small_button(i18n.tr("training-copy")).clicked() {
                    out.push(Command::CopyText(check.command.clone()));
                }
            });
            ui.horizontal(|ui| {
                ui.label("run.toml");
                if ui.small_button(i18n.tr("training-copy")).clicked() {
                    out.push(Command::CopyText(check.config_toml.clone()));
                }
            });
            egui::ScrollArea::vertical()
                .id_salt("training_toml")
                .max_height(220.0)
                .show(ui, |ui| {
                    ui.label(egui::RichText::new(&check.config_toml).monospace().small());
                });
        });
}

fn model_ui(ui: &mut egui::Ui, view: &AreaView<'_>, form: &mut LaunchForm) {
    let i18n = view.i18n;
    let check = &view.training.check;
    let vocab = check.facts.tokenizer_vocab.unwrap_or(8000);
    if form.stage == Stage::Pretrain {
        ui.horizontal_wrapped(|ui| {
            field_label(ui, i18n, "training-field-preset");
            for p in Preset::ALL {
                let params = p.config(vocab).parameter_count();
                let on = !form.custom_model && form.config.preset == p.name();
                if ui
                    .selectable_label(on, format!("{} · {}", p.name(), millions(i18n, params)))
                    .clicked()
                {
                    form.custom_model = false;
                    p.name().clone_into(&mut form.config.preset);
                    if form.config.optim.seq_len > p.config(vocab).max_position_embeddings {
                        form.config.optim.seq_len = p.config(vocab).max_position_embeddings;
                    }
                }
            }
            ui.checkbox(&mut form.custom_model, i18n.tr("training-custom"))
                .on_hover_text(i18n.tr("training-custom-hint"));
        });
        if form.custom_model {
            let m = &mut form.custom;
            egui::Grid::new("training_custom_model")
                .num_columns(8)
                .spacing([8.0, 4.0])
                .show(ui, |ui| {
                    let field = |ui: &mut egui::Ui, key: &str, v: &mut usize, max: usize| {
                        labelled_ui(ui, i18n, key, egui::DragValue::new(v).range(1..=max));
                    };
                    field(ui, "training-field-hidden", &mut m.hidden_size, 8192);
                    field(ui, "training-field-layers", &mut m.num_hidden_layers, 96);
                    field(ui, "training-field-heads", &mut m.num_attention_heads, 128);
                    field(
                        ui,
                        "training-field-kv-heads",
                        &mut m.num_key_value_heads,
                        128,
                    );
                    ui.end_row();
                    field(
                        ui,
                        "training-field-intermediate",
                        &mut m.intermediate_size,
                        65_536,
                    );
                    field(
                        ui,
                        "training-field-context",
                        &mut m.max_position_embeddings,
                        32_768,
                    );
                    labelled_ui(
                        ui,
                        i18n,
                        "training-field-experts",
                        egui::DragValue::new(&mut m.num_local_experts).range(0..=64),
                    );
                    field(ui, "training-field-top-k", &mut m.num_experts_per_tok, 8);
                    ui.end_row();
                });
        }
    } else {
        ui.label(
            egui::RichText::new(i18n.tr("training-model-from-base")).color(theme::weak_color(ui)),
        );
    }
    if let Some(model) = &check.model {
        let o = &check.config.optim;
        let state = model.training_state_bytes();
        let act = crate::core::model::activation_bytes(model, o.batch_size, o.seq_len);
        ui.label(i18n.tr_args(
            "training-model-size",
            &[
                ("params", millions(i18n, model.parameter_count()).into()),
                ("layers", model.num_hidden_layers.into()),
                ("hidden", model.hidden_size.into()),
                ("context", model.max_position_embeddings.into()),
                ("vocab", model.vocab_size.into()),
                ("state", megabytes(i18n, state).into()),
                ("activations", megabytes(i18n, act).into()),
            ],
        ))
        .on_hover_text(i18n.tr("training-model-size-hint"));
        gpu_fit_ui(ui, i18n, &view.training.gpus, &check.config, state + act);
    }
}

/// The estimate against the chosen GPU's free memory, or, on a build without CUDA, the GPUs it
/// cannot use.
fn gpu_fit_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    gpus: &crate::app::training::GpuWatch,
    config: &crate::core::train::RunConfig,
    need: u64,
) {
    let list = gpus.list();
    if !cfg!(feature = "cuda") {
        if !list.is_empty() {
            let names: Vec<&str> = list.iter().map(|g| g.name.as_str()).collect();
            ui.label(
                egui::RichText::new(i18n.tr_args(
                    "training-gpu-no-cuda-build",
                    &[
                        ("count", list.len().into()),
                        ("names", names.join(", ").into()),
                    ],
                ))
                .color(theme::weak_color(ui)),
            );
        }
        return;
    }
    let Some(gpu) = crate::core::model::gpu::find(list, &config.device) else {
        if let Some(Err(e)) = &gpus.latest {
            ui.label(
                egui::RichText::new(
                    i18n.tr_args("training-gpu-unknown", &[("error", e.clone().into())]),
                )
                .color(theme::weak_color(ui)),
            );
        }
        return;
    };
    let args = [
        ("device", gpu.device.clone().into()),
        ("name", gpu.name.clone().into()),
        ("need", megabytes(i18n, need).into()),
        ("free", megabytes(i18n, gpu.free_bytes).into()),
        ("total", megabytes(i18n, gpu.total_bytes).into()),
    ];
    if need > gpu.free_bytes {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            i18n.tr_args("training-gpu-too-small", &args),
        );
    } else {
        ui.label(i18n.tr_args("training-gpu-fits", &args));
    }
}

/// A device as the picker shows it: a GPU with its name and free memory.
fn device_label(i18n: &I18n, gpus: &[crate::core::model::gpu::GpuInfo], device: &str) -> String {
    match crate::core::model::gpu::find(gpus, device) {
        Some(g) => i18n.tr_args(
            "training-device-gpu",
            &[
                ("device", device.to_owned().into()),
                ("name", g.name.clone().into()),
                ("free", megabytes(i18n, g.free_bytes).into()),
            ],
        ),
        None => device.to_owned(),
    }
}

fn hyper_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    state: &crate::app::training::TrainingView,
    form: &mut LaunchForm,
) {
    let form_stage = form.stage;
    let c = &mut form.config;
    egui::Grid::new("training_hyper")
        .num_columns(6)
        .spacing([10.0, 4.0])
        .show(ui, |ui| {
            labelled_ui(
                ui,
                i18n,
                "training-field-steps",
                egui::DragValue::new(&mut c.optim.max_steps).range(1..=10_000_000),
            );
            labelled_ui(
                ui,
                i18n,
                "training-field-lr",
                egui::DragValue::new(&mut c.optim.lr)
                    .range(1e-7..=1.0)
                    .speed(1e-5)
                    .custom_formatter(|v, _| i18n.localize_number(&format!("{v:.1e}")))
                    .custom_parser(|s| s.trim().replace(',', ".").parse().ok()),
            );
            labelled_ui(
                ui,
                i18n,
                "training-field-warmup",
                egui::DragValue::new(&mut c.optim.warmup_steps).range(0..=1_000_000),
            );
            ui.end_row();

            labelled_ui(
                ui,
                i18n,
                "training-field-batch",
                egui::DragValue::new(&mut c.optim.batch_size).range(1..=4096),
            );
            labelled_ui(
                ui,
                i18n,
                "training-field-accum",
                egui::DragValue::new(&mut c.optim.grad_accum).range(1..=1024),
            );
            labelled_ui(
                ui,
                i18n,
                "training-field-seq",
                egui::DragValue::new(&mut c.optim.seq_len).range(2..=32_768),
            );
            ui.end_row();

            labelled_ui(
                ui,
                i18n,
                "training-field-wd",
                egui::DragValue::new(&mut c.optim.weight_decay)
                    .range(0.0..=1.0)
                    .speed(0.01)
                    .custom_formatter(|v, _| i18n.decimal(v, 2))
                    .custom_parser(super::parse_decimal),
            );
            labelled_ui(
                ui,
                i18n,
                "training-field-clip",
                egui::DragValue::new(&mut c.optim.grad_clip)
                    .range(0.0..=100.0)
                    .speed(0.1)
                    .custom_formatter(|v, _| i18n.decimal(v, 1))
                    .custom_parser(super::parse_decimal),
            );
            labelled_ui(
                ui,
                i18n,
                "training-field-seed",
                egui::DragValue::new(&mut c.seed),
            );
            ui.end_row();

            labelled_ui(
                ui,
                i18n,
                "training-field-eval-every",
                egui::DragValue::new(&mut c.eval_every).range(0..=1_000_000),
            );
            labelled_ui(
                ui,
                i18n,
                "training-field-sample-every",
                egui::DragValue::new(&mut c.sample_every).range(0..=1_000_000),
            );
            labelled_ui(
                ui,
                i18n,
                "training-field-checkpoint-every",
                egui::DragValue::new(&mut c.checkpoint_every).range(0..=1_000_000),
            );
            ui.end_row();

            let label = field_label(ui, i18n, "training-field-device");
            let gpus = state.gpus.list();
            egui::ComboBox::from_id_salt("training_device")
                .selected_text(device_label(i18n, gpus, &c.device))
                .show_ui(ui, |ui| {
                    for d in &state.devices {
                        ui.selectable_value(&mut c.device, d.clone(), device_label(i18n, gpus, d));
                    }
                })
                .response
                .labelled_by(label.id);
            let label = field_label(ui, i18n, "training-field-dtype");
            egui::ComboBox::from_id_salt("training_dtype")
                .selected_text(c.dtype.clone())
                .show_ui(ui, |ui| {
                    for d in ["f32", "bf16", "f16"] {
                        ui.selectable_value(&mut c.dtype, d.to_owned(), d);
                    }
                })
                .response
                .labelled_by(label.id);
            match form_stage {
                Stage::Sft => {
                    let label = field_label(ui, i18n, "training-field-lora");
                    ui.horizontal(|ui| {
                        ui.checkbox(&mut form.use_lora, "").labelled_by(label.id);
                        if form.use_lora {
                            let lora = c.lora.get_or_insert_with(Default::default);
                            ui.add(
                                egui::DragValue::new(&mut lora.rank)
                                    .range(1..=256)
                                    .prefix("r = "),
                            )
                            .labelled_by(label.id);
                        }
                    });
                }
                Stage::Dpo => {
                    labelled_ui(
                        ui,
                        i18n,
                        "training-field-beta",
                        egui::DragValue::new(&mut c.dpo_beta)
                            .range(0.001..=10.0)
                            .speed(0.01)
                            .custom_formatter(|v, _| i18n.decimal(v, 2))
                            .custom_parser(super::parse_decimal),
                    );
                }
                Stage::Pretrain | Stage::Continue => {}
            }
            ui.end_row();
        });
}

// ---------------------------------------------------------------- monitor

fn run_row<'a>(view: &'a AreaView<'_>, id: i64) -> Option<&'a RunRow> {
    view.snapshot.runs.iter().find(|r| r.id == id)
}

#[allow(clippy::too_many_lines)]
fn monitor_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let state = view.training;
    let Some((id, row)) = state
        .selected
        .and_then(|id| run_row(view, id).map(|r| (id, r)))
    else {
        ui.label(
            egui::RichText::new(i18n.tr("training-monitor-empty")).color(theme::weak_color(ui)),
        );
        return;
    };
    let Some(live) = state.live.get(&id) else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.heading(&row.name);
        ui.label(i18n.tr(stage_key(row.stage)));
        ui.label(
            egui::RichText::new(status_text(i18n, live.status))
                .strong()
                .color(status_color(ui, live.status)),
        );
    });
    lineage_ui(ui, view, row, out);

    // Controls
    ui.horizontal_wrapped(|ui| {
        let running = live.is_running() || live.channel.is_some();
        if running {
            let label = if live.stopping {
                i18n.tr("training-stopping")
            } else {
                i18n.tr("training-stop")
            };
            if ui
                .add_enabled(!live.stopping, egui::Button::new(label))
                .on_hover_text(i18n.tr("training-stop-hint"))
                .clicked()
            {
                out.push(Command::StopRun(id));
            }
        } else if !live.history.checkpoints.is_empty() || live.history.best_step.is_some() {
            let mut from = state.resume_from.clone();
            // A finished run resumed from its last checkpoint would stop at once.
            let last = live.history.checkpoints.last().copied();
            let nothing_left = live.status == RunStatus::Finished
                && (from == "last" || from.parse::<u64>().ok() == last);
            if ui
                .add_enabled(!nothing_left, egui::Button::new(i18n.tr("training-resume")))
                .on_hover_text(i18n.tr("training-resume-hint"))
                .on_disabled_hover_text(i18n.tr("training-resume-finished-hint"))
                .clicked()
            {
                out.push(Command::ResumeRun(id));
            }
            let label = ui.label(i18n.tr("training-resume-from"));
            egui::ComboBox::from_id_salt("training_resume_from")
                .selected_text(checkpoint_label(i18n, &from))
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut from,
                        "last".to_owned(),
                        i18n.tr("training-ckpt-last"),
                    );
                    if live.history.best_step.is_some() {
                        ui.selectable_value(
                            &mut from,
                            "best".to_owned(),
                            i18n.tr("training-ckpt-best"),
                        );
                    }
                    for step in &live.history.checkpoints {
                        let s = step.to_string();
                        let text = checkpoint_label(i18n, &s);
                        ui.selectable_value(&mut from, s, text);
                    }
                })
                .response
                .labelled_by(label.id);
            if from != state.resume_from {
                out.push(Command::SetResumeFrom(from));
            }
        }
        if ui
            .button(i18n.tr("training-clone"))
            .on_hover_text(i18n.tr("training-clone-hint"))
            .clicked()
        {
            out.push(Command::CloneRun(id));
        }
        if !running
            && ui
                .button(i18n.tr("training-delete"))
                .on_hover_text(i18n.tr("training-delete-hint"))
                .clicked()
        {
            out.push(Command::AskDeleteRun(Some(id)));
        }
    });
    folder_link_ui(ui, i18n, &view.workspace.root().join(&row.dir), out);
    if let Some(error) = &live.error {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                egui::RichText::new(i18n.tr("training-failed-title"))
                    .strong()
                    .color(theme::error_color(ui)),
            );
            ui.label(egui::RichText::new(error).monospace().small());
        });
    }
    confirm_delete_ui(ui, view, out);
    if !live.is_running()
        && (!live.history.checkpoints.is_empty() || live.history.best_step.is_some())
    {
        export_ui(ui, view, id, row, out);
    }
    ui.add_space(6.0);
    progress_ui(ui, i18n, live);
    ui.add_space(6.0);

    let mut plot = state.plot;
    ui.horizontal(|ui| {
        ui.label(i18n.tr("training-smoothing"));
        ui.add(egui::Slider::new(&mut plot.smoothing, 0.0..=0.99).fixed_decimals(2));
        ui.checkbox(&mut plot.log_scale, i18n.tr("training-log-scale"));
    });
    if plot != state.plot {
        out.push(Command::SetPlotOptions(plot));
    }
    loss_plot_ui(ui, i18n, live, plot, &format!("training_loss_{id}"));
    small_plots_ui(ui, i18n, live, id, row.stage == Stage::Dpo);
    samples_ui(ui, i18n, live);
    egui::CollapsingHeader::new(i18n.tr("training-log-title"))
        .id_salt("training_log")
        .show(ui, |ui| {
            for line in &live.log {
                ui.label(egui::RichText::new(line).monospace().small());
            }
        });
    // Runs started from this one.
    let children: Vec<&RunRow> = view
        .snapshot
        .runs
        .iter()
        .filter(|r| r.base_run_id == Some(id))
        .collect();
    if !children.is_empty() {
        ui.horizontal_wrapped(|ui| {
            ui.label(i18n.tr("training-children"));
            for child in children {
                if ui.link(&child.name).clicked() {
                    out.push(Command::ShowRun(child.id));
                }
            }
        });
    }
}

fn checkpoint_label(i18n: &I18n, which: &str) -> String {
    match which {
        "last" => i18n.tr("training-ckpt-last"),
        "best" => i18n.tr("training-ckpt-best"),
        step => i18n.tr_args("training-ckpt-step", &[("step", step.into())]),
    }
}

/// corpus → tokenizer → base run → data → this run, each a link.
fn lineage_ui(ui: &mut egui::Ui, view: &AreaView<'_>, row: &RunRow, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let snapshot = view.snapshot;
    // The chain of base runs, oldest first (bounded: a cycle cannot come from the form).
    let mut chain = vec![row];
    while let Some(base) = chain
        .last()
        .and_then(|r| r.base_run_id)
        .and_then(|id| snapshot.runs.iter().find(|r| r.id == id))
        .filter(|_| chain.len() < 16)
    {
        chain.push(base);
    }
    chain.reverse();
    ui.horizontal_wrapped(|ui| {
        ui.label(egui::RichText::new(i18n.tr("training-lineage")).color(theme::weak_color(ui)));
        let arrow = |ui: &mut egui::Ui| {
            ui.label(egui::RichText::new("→").color(theme::weak_color(ui)));
        };
        let mut first = true;
        for (i, run) in chain.iter().enumerate() {
            if i == 0 {
                if let Some(c) = run
                    .corpus_id
                    .and_then(|id| snapshot.corpora.iter().find(|c| c.id == id))
                {
                    if ui
                        .link(&c.name)
                        .on_hover_text(i18n.tr("training-lineage-corpus"))
                        .clicked()
                    {
                        out.push(Command::ShowCorpus(c.id));
                    }
                    first = false;
                }
                if let Some(t) = run
                    .tokenizer_id
                    .and_then(|id| snapshot.tokenizers.iter().find(|t| t.id == id))
                {
                    if !first {
                        arrow(ui);
                    }
                    if ui
                        .link(&t.name)
                        .on_hover_text(i18n.tr("training-lineage-tokenizer"))
                        .clicked()
                    {
                        out.push(Command::ShowTokenizer(t.id));
                    }
                    first = false;
                }
            } else {
                match run.data.as_str() {
                    "sft" => {
                        arrow(ui);
                        if ui.link(i18n.tr("training-lineage-sft")).clicked() {
                            out.push(Command::Open(crate::app::state::Area::Sft));
                        }
                    }
                    "preferences" => {
                        arrow(ui);
                        if ui.link(i18n.tr("training-lineage-prefs")).clicked() {
                            out.push(Command::Open(crate::app::state::Area::Rating));
                        }
                    }
                    _ => {
                        if let Some(c) = run
                            .corpus_id
                            .and_then(|id| snapshot.corpora.iter().find(|c| c.id == id))
                        {
                            arrow(ui);
                            if ui.link(&c.name).clicked() {
                                out.push(Command::ShowCorpus(c.id));
                            }
                        }
                    }
                }
            }
            if !first {
                arrow(ui);
            }
            first = false;
            let text = format!("{} ({})", run.name, run.stage);
            if run.id == row.id {
                ui.strong(text);
            } else if ui.link(text).clicked() {
                out.push(Command::ShowRun(run.id));
            }
        }
    });
}

fn progress_ui(ui: &mut egui::Ui, i18n: &I18n, live: &LiveRun) {
    if let Some((done, total)) = live.preparing {
        let fraction = done as f32 / total.max(1) as f32;
        ui.add(
            egui::ProgressBar::new(fraction)
                .text(i18n.tr_args(
                    "training-preparing",
                    &[("percent", format!("{:.0}", fraction * 100.0).into())],
                ))
                .desired_width(480.0),
        );
        return;
    }
    let step = live.last().map_or(0, |m| m.step);
    let max = live.max_steps.max(1);
    let fraction = step as f32 / max as f32;
    let elapsed = live.last().map_or(0.0, |m| m.elapsed_secs);
    let eta = live.last().filter(|_| live.is_running()).map_or_else(
        || "—".to_owned(),
        |m| format_duration(Duration::from_secs_f64(m.eta_secs.max(0.0))),
    );
    ui.add(
        egui::ProgressBar::new(fraction)
            .text(i18n.tr_args(
                "training-progress",
                &[
                    ("step", step.into()),
                    ("max", max.into()),
                    ("percent", format!("{:.0}", fraction * 100.0).into()),
                    (
                        "elapsed",
                        format_duration(Duration::from_secs_f64(elapsed.max(0.0))).into(),
                    ),
                    ("eta", eta.into()),
                ],
            ))
            .desired_width(560.0),
    );
    let Some(m) = live.last() else {
        if live.is_running() {
            ui.label(egui::RichText::new(i18n.tr("training-waiting")).color(theme::weak_color(ui)));
        }
        return;
    };
    let val = live
        .curves
        .val_loss
        .last()
        .map_or_else(|| "—".to_owned(), |p| i18n.decimal(p[1], 4));
    let best = live.best().map_or_else(
        || "—".to_owned(),
        |(s, v)| format!("{} @ {s}", i18n.decimal(v, 4)),
    );
    ui.label(i18n.tr_args(
        "training-stats",
        &[
            ("loss", i18n.decimal(m.loss, 4).into()),
            ("val", val.into()),
            ("best", best.into()),
            ("lr", i18n.localize_number(&format!("{:.2e}", m.lr)).into()),
            ("grad", i18n.decimal(m.grad_norm, 3).into()),
            ("speed", format!("{:.0}", m.tokens_per_sec).into()),
            ("tokens", millions(i18n, m.tokens).into()),
        ],
    ));
    if let Some((params, trainable)) = live.parameters {
        ui.label(
            egui::RichText::new(i18n.tr_args(
                "training-params",
                &[
                    ("params", millions(i18n, params).into()),
                    ("trainable", millions(i18n, trainable).into()),
                ],
            ))
            .color(theme::weak_color(ui)),
        );
    }
}

fn loss_plot_ui(ui: &mut egui::Ui, i18n: &I18n, live: &LiveRun, plot: PlotOptions, id: &str) {
    let c = &live.curves;
    let (train, smoothed) = dense_series(&c.step, &c.loss, plot.smoothing);
    let val = sparse_series(&c.val_loss);
    let markers = live
        .best()
        .map(|(step, v)| Marker {
            name: i18n.tr("training-best-checkpoint"),
            step: step as f64,
            value: v,
            color: theme::success_color(ui),
        })
        .into_iter()
        .collect();
    curves_ui(
        ui,
        id,
        vec![
            Series {
                name: i18n.tr("training-train-loss"),
                points: train,
                smoothed,
                color: theme::series_color(ui, 0),
                dots: false,
            },
            Series {
                name: i18n.tr("training-val-loss"),
                points: val,
                smoothed: None,
                color: theme::series_color(ui, 1),
                dots: true,
            },
        ],
        markers,
        plot,
        i18n,
        240.0,
        true,
    );
}

fn small_plots_ui(ui: &mut egui::Ui, i18n: &I18n, live: &LiveRun, id: i64, dpo: bool) {
    let c = &live.curves;
    let mut plots: Vec<(&str, Vec<[f64; 2]>)> = vec![
        ("training-lr", dense_series(&c.step, &c.lr, 0.0).0),
        (
            "training-grad-norm",
            dense_series(&c.step, &c.grad_norm, 0.0).0,
        ),
        (
            "training-speed",
            dense_series(&c.step, &c.tokens_per_sec, 0.0).0,
        ),
    ];
    if dpo {
        plots.push(("training-margin", sparse_series(&c.reward_margin)));
        plots.push(("training-accuracy", sparse_series(&c.reward_accuracy)));
    }
    let raw = PlotOptions {
        smoothing: 0.0,
        log_scale: false,
    };
    let width = (ui.available_width() / plots.len() as f32 - 8.0).max(160.0);
    ui.horizontal_wrapped(|ui| {
        for (i, (key, points)) in plots.into_iter().enumerate() {
            ui.vertical(|ui| {
                ui.set_width(width);
                ui.label(egui::RichText::new(i18n.tr(key)).small());
                curves_ui(
                    ui,
                    &format!("training_small_{id}_{key}"),
                    vec![Series {
                        name: i18n.tr(key),
                        points,
                        smoothed: None,
                        color: theme::series_color(ui, i + 2),
                        dots: false,
                    }],
                    Vec::new(),
                    raw,
                    i18n,
                    110.0,
                    false,
                );
            });
        }
    });
}

fn samples_ui(ui: &mut egui::Ui, i18n: &I18n, live: &LiveRun) {
    let samples = &live.history.samples;
    let Some(last_step) = samples.last().map(|s| s.step) else {
        return;
    };
    ui.add_space(4.0);
    ui.strong(i18n.tr_args("training-samples", &[("step", last_step.into())]));
    for s in samples.iter().filter(|s| s.step == last_step) {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width().min(720.0));
            ui.label(egui::RichText::new(&s.prompt).strong());
            ui.label(&s.text);
        });
    }
    egui::CollapsingHeader::new(
        i18n.tr_args("training-samples-all", &[("count", samples.len().into())]),
    )
    .id_salt("training_samples_all")
    .show(ui, |ui| {
        for s in samples.iter().rev() {
            ui.label(
                egui::RichText::new(format!("[{}] {}", s.step, s.prompt))
                    .small()
                    .color(theme::weak_color(ui)),
            );
            ui.label(&s.text);
        }
    });
}

fn confirm_delete_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let Some(id) = view.training.confirm_delete else {
        return;
    };
    let Some(row) = run_row(view, id) else {
        return;
    };
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(
            egui::RichText::new(i18n.tr_args(
                "training-delete-confirm",
                &[("name", row.name.as_str().into())],
            ))
            .strong()
            .color(theme::error_color(ui)),
        );
        ui.horizontal(|ui| {
            if ui.button(i18n.tr("training-delete-yes")).clicked() {
                out.push(Command::DeleteRun(id));
            }
            if ui.button(i18n.tr("action-cancel")).clicked() {
                out.push(Command::AskDeleteRun(None));
            }
        });
    });
}

// ---------------------------------------------------------------- history

#[allow(clippy::too_many_lines)]
fn history_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let state = view.training;
    let runs = &view.snapshot.runs;
    if runs.is_empty() {
        egui::Frame::group(ui.style())
            .inner_margin(16.0)
            .show(ui, |ui| {
                ui.set_width(ui.available_width().min(640.0));
                ui.label(
                    egui::RichText::new(i18n.tr("training-empty-title"))
                        .strong()
                        .size(16.0),
                );
                ui.label(i18n.tr("training-empty-body"));
                ui.add_space(6.0);
                if ui.button(i18n.tr("training-empty-start")).clicked() {
                    out.push(Command::SetTrainingTab(TrainingTab::Launch));
                }
                folder_link_ui(
                    ui,
                    i18n,
                    &view.workspace.folder(crate::core::workspace::Folder::Runs),
                    out,
                );
            });
        return;
    }
    confirm_delete_ui(ui, view, out);
    let mut compare = state.compare.clone();
    egui::Grid::new("training_history")
        .striped(true)
        .num_columns(9)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            for key in [
                "training-col-compare",
                "col-name",
                "col-stage",
                "col-status",
                "training-col-data",
                "training-col-best",
                "training-col-steps",
                "training-col-duration",
                "training-col-actions",
            ] {
                ui.strong(i18n.tr(key));
            }
            ui.end_row();
            for r in runs {
                let mut on = compare.contains(&r.id);
                let tick = ui
                    .checkbox(&mut on, "")
                    .on_hover_text(i18n.tr("training-col-compare-hint"));
                if tick.changed() {
                    if on {
                        compare.push(r.id);
                    } else {
                        compare.retain(|&c| c != r.id);
                    }
                }
                let link = ui.link(&r.name);
                tick.labelled_by(link.id);
                if link.clicked() {
                    out.push(Command::ShowRun(r.id));
                }
                ui.label(i18n.tr(stage_key(r.stage)));
                ui.label(
                    egui::RichText::new(status_text(i18n, r.status))
                        .color(status_color(ui, r.status)),
                );
                ui.label(data_text(view, r));
                ui.label(
                    r.best_val_loss
                        .map_or_else(|| "—".to_owned(), |v| i18n.decimal(v, 4)),
                );
                ui.label(format!("{} / {}", r.last_step, r.max_steps));
                ui.label(format_duration(Duration::from_secs_f64(
                    r.duration_secs.max(0.0),
                )));
                ui.horizontal(|ui| {
                    if ui.small_button(i18n.tr("training-clone")).clicked() {
                        out.push(Command::CloneRun(r.id));
                    }
                    if r.status != RunStatus::Running
                        && ui.small_button(i18n.tr("training-delete")).clicked()
                    {
                        out.push(Command::AskDeleteRun(Some(r.id)));
                    }
                });
                ui.end_row();
            }
        });
    if compare != state.compare {
        out.push(Command::SetCompare(compare.clone()));
    }
    let chosen: Vec<(&RunRow, &LiveRun)> = state
        .compare
        .iter()
        .filter_map(|id| Some((run_row(view, *id)?, state.live.get(id)?)))
        .collect();
    if chosen.is_empty() {
        ui.label(
            egui::RichText::new(i18n.tr("training-compare-hint")).color(theme::weak_color(ui)),
        );
        return;
    }
    ui.add_space(8.0);
    ui.strong(i18n.tr("training-overlay-title"));
    let mut plot = state.plot;
    ui.horizontal(|ui| {
        ui.label(i18n.tr("training-smoothing"));
        ui.add(egui::Slider::new(&mut plot.smoothing, 0.0..=0.99).fixed_decimals(2));
        ui.checkbox(&mut plot.log_scale, i18n.tr("training-log-scale"));
    });
    if plot != state.plot {
        out.push(Command::SetPlotOptions(plot));
    }
    let mut series = Vec::new();
    for (i, (row, live)) in chosen.iter().enumerate() {
        let color = theme::series_color(ui, i);
        let c = &live.curves;
        let (points, smoothed) = dense_series(&c.step, &c.loss, plot.smoothing);
        series.push(Series {
            name: format!("{} · {}", row.name, i18n.tr("training-train-loss")),
            points,
            smoothed,
            color,
            dots: false,
        });
        series.push(Series {
            name: format!("{} · {}", row.name, i18n.tr("training-val-loss")),
            points: sparse_series(&c.val_loss),
            smoothed: None,
            color,
            dots: true,
        });
    }
    curves_ui(
        ui,
        "training_overlay",
        series,
        Vec::new(),
        plot,
        i18n,
        260.0,
        true,
    );
    if chosen.len() >= 2 {
        ui.add_space(8.0);
        ui.strong(i18n.tr("training-diff-title"));
        let diff = &state.compare_diff;
        if diff.is_empty() {
            ui.label(i18n.tr("training-diff-same"));
        } else {
            egui::Grid::new("training_diff")
                .striped(true)
                .num_columns(chosen.len() + 1)
                .spacing([16.0, 4.0])
                .show(ui, |ui| {
                    ui.strong(i18n.tr("training-diff-key"));
                    for (r, _) in &chosen {
                        ui.strong(&r.name);
                    }
                    ui.end_row();
                    for (key, values) in diff {
                        ui.label(egui::RichText::new(key).monospace());
                        for v in values {
                            ui.label(
                                egui::RichText::new(crate::panels::preview(v, 48)).monospace(),
                            );
                        }
                        ui.end_row();
                    }
                });
        }
    }
}

fn data_text(view: &AreaView<'_>, r: &RunRow) -> String {
    let i18n = view.i18n;
    let count = r.data_items.unwrap_or(0);
    match r.data.as_str() {
        "sft" => i18n.tr_args("training-data-sft-short", &[("count", count.into())]),
        "preferences" => i18n.tr_args("training-data-dpo-short", &[("count", count.into())]),
        _ => r
            .corpus_id
            .and_then(|id| view.snapshot.corpora.iter().find(|c| c.id == id))
            .map_or_else(|| "—".to_owned(), |c| c.name.clone()),
    }
}

/// "Used by runs: a, b" — links from an artefact (a corpus, a tokenizer, the SFT examples, the
/// preference pairs) to the runs trained on it. Draws nothing when no run used it.
pub fn used_by_runs_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    used: impl Fn(&RunRow) -> bool,
    out: &mut Vec<Command>,
) {
    let runs: Vec<&RunRow> = view.snapshot.runs.iter().filter(|r| used(r)).collect();
    if runs.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.label(
            egui::RichText::new(view.i18n.tr("training-used-by")).color(theme::weak_color(ui)),
        );
        for r in runs {
            if ui
                .link(&r.name)
                .on_hover_text(status_text(view.i18n, r.status))
                .clicked()
            {
                out.push(Command::ShowRun(r.id));
            }
        }
    });
}

fn export_target_key(target: ExportTarget) -> &'static str {
    match target {
        ExportTarget::Hf => "model-export-target-hf",
        ExportTarget::Gguf => "model-export-target-gguf",
        ExportTarget::Ollama => "model-export-target-ollama",
    }
}

/// Export to Ollama, GGUF or a Hugging Face folder: the choices, the check's findings, the
/// outcome with the commands to run it.
fn export_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    id: i64,
    row: &RunRow,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let export = &view.training.export;
    egui::CollapsingHeader::new(i18n.tr("model-export-title"))
        .id_salt("training_export")
        .show(ui, |ui| {
            let mut form = export.form.clone();
            ui.horizontal_wrapped(|ui| {
                for target in ExportTarget::ALL {
                    ui.radio_value(&mut form.target, target, i18n.tr(export_target_key(target)))
                        .on_hover_text(i18n.tr(&format!("{}-hint", export_target_key(target))));
                }
            });
            ui.horizontal_wrapped(|ui| {
                let label = ui.label(i18n.tr("model-export-precision"));
                egui::ComboBox::from_id_salt("export_precision")
                    .selected_text(form.precision.name())
                    .show_ui(ui, |ui| {
                        for p in Precision::ALL {
                            if p.fits(form.target.check_target()) {
                                ui.selectable_value(&mut form.precision, p, p.name());
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                let label = ui.label(i18n.tr("training-field-checkpoint"));
                ui.add(
                    egui::TextEdit::singleline(&mut form.checkpoint)
                        .id_salt("export_checkpoint")
                        .desired_width(60.0),
                )
                .labelled_by(label.id);
            });
            if !form.precision.fits(form.target.check_target()) {
                form.precision = Precision::F16;
            }
            if form != export.form {
                out.push(Command::SetExportForm(form.clone()));
            }
            let this_run = export.run == Some(id);
            let busy = export.busy();
            let passed = this_run
                && matches!(&export.findings, Some(Ok(f)) if crate::core::export::passes(f));
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!busy, egui::Button::new(i18n.tr("model-export-check")))
                    .on_hover_text(i18n.tr("model-export-check-hint"))
                    .clicked()
                {
                    out.push(Command::CheckExport(id));
                }
                if ui
                    .add_enabled(
                        !busy && passed,
                        egui::Button::new(i18n.tr("model-export-run")),
                    )
                    .on_hover_text(i18n.tr("model-export-run-hint"))
                    .clicked()
                {
                    out.push(Command::ExportRun(id));
                }
                if busy {
                    ui.spinner();
                }
            });
            if !this_run {
                return;
            }
            match &export.findings {
                Some(Ok(findings)) => {
                    for f in findings {
                        let (mark, color) = match f.level {
                            Level::Ok => ("+", theme::success_color(ui)),
                            Level::Warn => ("!", theme::series_color(ui, 1)),
                            Level::Fail => ("×", theme::error_color(ui)),
                        };
                        let args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = f
                            .args
                            .iter()
                            .map(|(k, v)| (*k, v.as_str().into()))
                            .collect();
                        ui.label(
                            egui::RichText::new(format!("{mark} {}", i18n.tr_args(f.key, &args)))
                                .color(color),
                        );
                    }
                }
                Some(Err(e)) => {
                    ui.label(egui::RichText::new(e).color(theme::error_color(ui)));
                }
                None => {}
            }
            match &export.done {
                Some(Ok(path)) => {
                    ui.label(
                        egui::RichText::new(i18n.tr_args(
                            "model-export-done",
                            &[("path", path.display().to_string().into())],
                        ))
                        .color(theme::success_color(ui)),
                    );
                    if form.target == ExportTarget::Ollama {
                        let dir = path.parent().unwrap_or(path);
                        let commands = format!(
                            "cd {} && ollama create {name} -f Modelfile\nollama run {name}",
                            crate::core::runs::shell_line(&dir.display().to_string(), &[]),
                            name = row.name
                        );
                        ui.horizontal(|ui| {
                            ui.label(egui::RichText::new(&commands).monospace());
                            if ui.small_button(i18n.tr("training-copy")).clicked() {
                                out.push(Command::CopyText(commands.clone()));
                            }
                        });
                    }
                    let dir = if path.is_dir() {
                        path.clone()
                    } else {
                        path.parent()
                            .map_or_else(|| path.clone(), std::path::Path::to_path_buf)
                    };
                    folder_link_ui(ui, i18n, &dir, out);
                }
                Some(Err(e)) => {
                    ui.label(egui::RichText::new(e).color(theme::error_color(ui)));
                }
                None => {}
            }
        });
}
