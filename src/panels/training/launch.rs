//! The Launch tab: the run form, checked as it is filled, with the memory estimate.

use crate::app::command::{Command, TrainingCommand};
use crate::app::theme;
use crate::app::training::LaunchForm;
use crate::core::domain::RunStatus;
use crate::core::model::Preset;
use crate::core::train::Stage;
use crate::i18n::I18n;
use crate::panels::AreaView;

use super::{field_label, labelled_ui, megabytes, millions, problem_text, stage_key};

#[allow(clippy::too_many_lines)]
pub(super) fn launch_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
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
        out.push(Command::Training(TrainingCommand::SetLaunchForm(Box::new(
            form,
        ))));
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
            out.push(Command::Training(TrainingCommand::Launch));
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

pub(super) fn model_ui(ui: &mut egui::Ui, view: &AreaView<'_>, form: &mut LaunchForm) {
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
pub(super) fn gpu_fit_ui(
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
pub(super) fn device_label(
    i18n: &I18n,
    gpus: &[crate::core::model::gpu::GpuInfo],
    device: &str,
) -> String {
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

pub(super) fn hyper_ui(
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
                    .custom_parser(crate::panels::parse_decimal),
            );
            labelled_ui(
                ui,
                i18n,
                "training-field-clip",
                egui::DragValue::new(&mut c.optim.grad_clip)
                    .range(0.0..=100.0)
                    .speed(0.1)
                    .custom_formatter(|v, _| i18n.decimal(v, 1))
                    .custom_parser(crate::panels::parse_decimal),
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
                            .custom_parser(crate::panels::parse_decimal),
                    );
                }
                Stage::Pretrain | Stage::Continue => {}
            }
            ui.end_row();
        });
}
