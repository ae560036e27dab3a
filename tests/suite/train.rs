//! The training engine on a tiny model on the CPU: each test runs in seconds and checks what the
//! engine promises (loss falls, checkpoints reload exactly, resume continues the same curve, SFT
//! and DPO and MoE train, generation is repeatable, bad states stop cleanly).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use candle_core::{DType, Device, Tensor};
use dezgah::core::corpus::read::ReadOptions;
use dezgah::core::model::generate::{self, SamplingConfig};
use dezgah::core::model::llama::{init_parameters, var_tensors};
use dezgah::core::model::{Llama, ModelConfig, Preset, Weights};
use dezgah::core::tokenizer::{Kind, TrainConfig};
use dezgah::core::train::{self, Event, Metrics, RunConfig, Stage, Status, TrainError, checkpoint};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora");
    vec![dir.join("nesr.txt"), dir.join("elm.txt")]
}

fn tokenizer(dir: &Path, vocab: usize) -> PathBuf {
    let out = dir.join(format!("tok{vocab}.json"));
    let cfg = TrainConfig {
        kind: Kind::Bpe,
        vocab_size: vocab,
        ..TrainConfig::default()
    };
    dezgah::core::tokenizer::train(&corpus(), &ReadOptions::default(), &cfg, &out, None)
        .expect("train tokenizer");
    out
}

fn small_model() -> ModelConfig {
    ModelConfig {
        vocab_size: 0,
        hidden_size: 32,
        intermediate_size: 64,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 64,
        ..Preset::Tiny.config(0)
    }
}

fn pretrain_config(tok: &Path, steps: usize) -> RunConfig {
    let mut cfg = RunConfig::for_stage(Stage::Pretrain);
    cfg.data = corpus();
    tok.clone_into(&mut cfg.tokenizer);
    cfg.model = Some(small_model());
    cfg.optim.max_steps = steps;
    cfg.optim.batch_size = 4;
    cfg.optim.seq_len = 32;
    cfg.optim.lr = 3e-3;
    cfg.optim.warmup_steps = 5;
    cfg.eval_every = 10;
    cfg.eval_batches = 2;
    cfg.sample_every = 0;
    cfg.checkpoint_every = 100;
    cfg
}

/// Runs to the end and returns the metrics lines.
fn run(dir: &Path, cfg: &RunConfig) -> (train::Summary, Vec<Metrics>) {
    let mut metrics = Vec::new();
    let stop = AtomicBool::new(false);
    let summary = train::start(
        dir,
        cfg,
        &mut |e| {
            if let Event::Metrics(m) = e {
                metrics.push(m.clone());
            }
        },
        &stop,
    )
    .expect("run");
    (summary, metrics)
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

#[test]
fn pretraining_loss_falls_and_the_run_folder_is_complete() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let dir = tmp.path().join("run");
    let (summary, metrics) = run(&dir, &pretrain_config(&tok, 60));
    assert_eq!(summary.status, Status::Finished);
    let losses: Vec<f64> = metrics.iter().map(|m| m.loss).collect();
    let (first, last) = (mean(&losses[..5]), mean(&losses[losses.len() - 5..]));
    assert!(last < first - 0.7, "loss {first:.3} -> {last:.3}");
    let vals: Vec<f64> = metrics.iter().filter_map(|m| m.val_loss).collect();
    assert!(
        vals.len() >= 6 && vals[vals.len() - 1] < vals[0],
        "{vals:?}"
    );
    for name in [
        "config.toml",
        "metrics.jsonl",
        "samples.jsonl",
        "log.txt",
        "tokenizer.json",
    ] {
        assert!(dir.join(name).is_file(), "{name}");
    }
    let lines = std::fs::read_to_string(dir.join("metrics.jsonl")).expect("metrics");
    let first_line: serde_json::Value =
        serde_json::from_str(lines.lines().next().expect("a line")).expect("json");
    for key in [
        "step",
        "tokens",
        "loss",
        "lr",
        "grad_norm",
        "tokens_per_sec",
        "elapsed_secs",
        "eta_secs",
    ] {
        assert!(first_line.get(key).is_some(), "metrics.jsonl lacks {key}");
    }
    let best = dir.join("checkpoints/best");
    assert!(best.join("model.safetensors").is_file());
    let state = checkpoint::read_state(&best).expect("state");
    assert_eq!(state.best_val_loss, summary.best_val_loss);
}

/// tokens/s is training throughput: evaluation (here several times a step's work) stays out of it.
#[test]
fn tokens_per_sec_leaves_out_evaluation() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let mut cfg = pretrain_config(&tok, 12);
    cfg.eval_every = 1;
    cfg.eval_batches = 24;
    let (_, metrics) = run(&tmp.path().join("run"), &cfg);
    assert_eq!(metrics.len(), 12);
    let mut prev_tokens = 0;
    let train_secs: f64 = metrics
        .iter()
        .map(|m| {
            let window = (m.tokens - prev_tokens) as f64 / m.tokens_per_sec;
            prev_tokens = m.tokens;
            window
        })
        .sum();
    let elapsed = metrics.last().expect("metrics").elapsed_secs;
    assert!(
        train_secs < 0.5 * elapsed,
        "training {train_secs:.3} s of {elapsed:.3} s"
    );
}

/// Half precision skips the fused CPU f32 kernels of the model (attention softmax, RMSNorm,
/// rotary, SwiGLU, the LM head with its loss) for candle's own ops: the path every GPU run takes
/// (there AdamW's composed update too, checked against the fused one in `optim`), so it must learn.
#[test]
fn half_precision_training_takes_the_generic_path_and_learns() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    for dtype in ["bf16", "f16"] {
        let dir = tmp.path().join(dtype);
        let mut cfg = pretrain_config(&tok, 60);
        cfg.dtype = dtype.into();
        let (summary, metrics) = run(&dir, &cfg);
        assert_eq!(summary.status, Status::Finished, "{dtype}");
        let losses: Vec<f64> = metrics.iter().map(|m| m.loss).collect();
        assert!(losses.iter().all(|l| l.is_finite()), "{dtype}: {losses:?}");
        let (first, last) = (mean(&losses[..5]), mean(&losses[losses.len() - 5..]));
        assert!(last < first - 0.5, "{dtype}: loss {first:.3} -> {last:.3}");
    }
}

#[test]
fn a_saved_checkpoint_loads_to_identical_logits() {
    let tmp = tempfile::tempdir().expect("tmp");
    let device = Device::Cpu;
    let mut cfg = small_model();
    cfg.vocab_size = 300;
    cfg.tie_word_embeddings = false;
    let vars = init_parameters(&cfg, 5, &device).expect("init");
    let tensors = var_tensors(&vars);
    let model = Llama::new(
        &cfg,
        &Weights {
            maps: vec![&tensors],
        },
        None,
        DType::F32,
        &device,
    )
    .expect("model");
    let ids = Tensor::new(&[[1u32, 7, 42, 299, 3, 3]], &device).expect("ids");
    let before: Vec<Vec<f32>> = model
        .forward(&ids, None)
        .expect("fwd")
        .logits
        .to_vec2()
        .expect("vec");
    let state = checkpoint::LoopState {
        step: 3,
        tokens: 0,
        rng: dezgah::core::model::rng::Rng::new(1),
        epoch: 0,
        cursor: 0,
        best_val_loss: None,
        elapsed_secs: 0.0,
        stage: "pretrain".into(),
        val_loss: None,
    };
    let ckpt = tmp.path().join("checkpoints/step-0000003");
    checkpoint::save(
        &ckpt,
        &checkpoint::Snapshot {
            model: &tensors,
            config: &cfg,
            adapters: None,
            optimizer: &std::collections::HashMap::new(),
            state: &state,
        },
    )
    .expect("save");
    let (loaded, _) = checkpoint::load_model(&ckpt, &device, DType::F32).expect("load");
    let after: Vec<Vec<f32>> = loaded
        .forward(&ids, None)
        .expect("fwd")
        .logits
        .to_vec2()
        .expect("vec");
    assert_eq!(before, after);
    // A damaged file is named, not a panic.
    let model_file = ckpt.join("model.safetensors");
    let bytes = std::fs::read(&model_file).expect("read");
    std::fs::write(&model_file, &bytes[..bytes.len() / 2]).expect("truncate");
    let err = checkpoint::load_model(&ckpt, &device, DType::F32)
        .err()
        .expect("damaged");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
}

#[test]
fn the_blockwise_loss_equals_the_loss_over_whole_logits() {
    let device = Device::Cpu;
    let mut cfg = small_model();
    cfg.vocab_size = 300;
    let vars = init_parameters(&cfg, 9, &device).expect("init");
    let tensors = var_tensors(&vars);
    let model = Llama::new(
        &cfg,
        &Weights {
            maps: vec![&tensors],
        },
        None,
        DType::F32,
        &device,
    )
    .expect("model");
    // 128 × 60 rows: more than one block of 2M logits at a vocabulary of 300.
    let (b, t) = (128, 60);
    let ids: Vec<u32> = (0..b * t).map(|i| (i * 7 % 300) as u32).collect();
    let targets: Vec<u32> = (0..b * t)
        .map(|i| {
            if i % 5 == 0 {
                dezgah::core::model::ops::IGNORE
            } else {
                (i * 11 % 300) as u32
            }
        })
        .collect();
    let ids = Tensor::from_vec(ids, (b, t), &device).expect("ids");
    let (blockwise, _) = model.loss(&ids, &targets).expect("loss");
    let whole = dezgah::core::model::ops::cross_entropy(
        &model.forward(&ids, None).expect("fwd").logits,
        &Tensor::from_vec(targets, b * t, &device).expect("targets"),
    )
    .expect("ce");
    let (by_block, at_once) = (
        blockwise.to_scalar::<f32>().expect("blockwise"),
        whole.to_scalar::<f32>().expect("whole"),
    );
    assert!((by_block - at_once).abs() < 1e-5, "{by_block} vs {at_once}");
    let grads = blockwise.backward().expect("backward");
    let whole_grads = whole.backward().expect("backward");
    for (name, var) in &vars {
        let mine = grads.get(var.as_tensor()).expect("grad");
        let theirs = whole_grads.get(var.as_tensor()).expect("grad");
        let diff = (mine - theirs)
            .and_then(|d| d.abs())
            .and_then(|d| d.max_all())
            .and_then(|d| d.to_scalar::<f32>())
            .expect("diff");
        assert!(diff < 1e-5, "{name}: {diff}");
    }
}

#[test]
fn stop_and_resume_continue_the_same_curve() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let cfg = pretrain_config(&tok, 14);
    let (_, straight) = run(&tmp.path().join("straight"), &cfg);

    let dir = tmp.path().join("stopped");
    let stop = AtomicBool::new(false);
    let mut first = Vec::new();
    let summary = train::start(
        &dir,
        &cfg,
        &mut |e| {
            if let Event::Metrics(m) = e {
                first.push(m.clone());
                if m.step == 7 {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        },
        &stop,
    )
    .expect("first half");
    assert_eq!((summary.status, summary.step), (Status::Stopped, 7));
    let mut second = Vec::new();
    let resumed = train::resume(
        &dir,
        None,
        &mut |e| {
            if let Event::Metrics(m) = e {
                second.push(m.clone());
            }
        },
        &AtomicBool::new(false),
    )
    .expect("resume");
    assert_eq!(resumed.status, Status::Finished);
    assert_eq!(second.first().map(|m| m.step), Some(8));
    for (a, b) in straight.iter().filter(|m| m.step > 7).zip(&second) {
        assert_eq!(a.step, b.step);
        assert!(
            (a.loss - b.loss).abs() < 1e-4,
            "step {}: {} vs {}",
            a.step,
            a.loss,
            b.loss
        );
        if let (Some(x), Some(y)) = (a.val_loss, b.val_loss) {
            assert!((x - y).abs() < 1e-4, "val at {}: {x} vs {y}", a.step);
        }
    }
    // metrics.jsonl holds one line per step, with no duplicate from before the stop.
    let steps: Vec<u64> = std::fs::read_to_string(dir.join("metrics.jsonl"))
        .expect("metrics")
        .lines()
        .map(|l| serde_json::from_str::<Metrics>(l).expect("line").step)
        .collect();
    assert_eq!(steps, (1..=14).collect::<Vec<_>>());
}

#[test]
fn resuming_from_an_earlier_checkpoint_replays_the_same_steps_and_status_json_tracks_the_run() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let mut cfg = pretrain_config(&tok, 12);
    cfg.checkpoint_every = 4;
    cfg.keep_checkpoints = 5;
    let dir = tmp.path().join("run");
    let (_, straight) = run(&dir, &cfg);
    let status = train::read_status(&dir).expect("status.json");
    assert_eq!(status.state, train::RunState::Finished);
    assert_eq!((status.step, status.max_steps), (12, 12));
    assert_eq!(status.pid, std::process::id());

    let mut again = Vec::new();
    train::resume(
        &dir,
        Some("4"),
        &mut |e| {
            if let Event::Metrics(m) = e {
                again.push(m.clone());
            }
        },
        &AtomicBool::new(false),
    )
    .expect("resume from step 4");
    assert_eq!(again.first().map(|m| m.step), Some(5));
    for (a, b) in straight.iter().filter(|m| m.step > 4).zip(&again) {
        assert_eq!(a.step, b.step);
        assert!((a.loss - b.loss).abs() < 1e-4, "step {}", a.step);
    }
    let steps: Vec<u64> = std::fs::read_to_string(dir.join("metrics.jsonl"))
        .expect("metrics")
        .lines()
        .map(|l| serde_json::from_str::<Metrics>(l).expect("line").step)
        .collect();
    assert_eq!(steps, (1..=12).collect::<Vec<_>>());
    let kept: Vec<u64> = checkpoint::list(&dir).into_iter().map(|(s, _)| s).collect();
    assert_eq!(kept, vec![4, 8, 12]);
    let missing = train::resume(&dir, Some("7"), &mut |_| {}, &AtomicBool::new(false))
        .expect_err("no checkpoint at step 7");
    assert!(missing.to_string().contains('7'), "{missing}");
}

fn sft_file(dir: &Path) -> PathBuf {
    let path = dir.join("sft.jsonl");
    let lines: Vec<String> = (0..12)
        .map(|i| {
            serde_json::json!({"messages": [
                {"role": "user", "content": format!("Sual {i}: Bakı haradadır?")},
                {"role": "assistant", "content": "Bakı Xəzər dənizinin sahilindədir."}
            ]})
            .to_string()
        })
        .collect();
    std::fs::write(&path, lines.join("\n")).expect("write");
    path
}

#[test]
fn sft_full_and_lora_learn_the_answer() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let base = tmp.path().join("base");
    run(&base, &pretrain_config(&tok, 10));
    let data = sft_file(tmp.path());

    let mut cfg = RunConfig::for_stage(Stage::Sft);
    cfg.data = vec![data];
    cfg.tokenizer = tok.clone();
    cfg.init = Some(base.clone());
    cfg.optim.max_steps = 30;
    cfg.optim.batch_size = 4;
    cfg.optim.seq_len = 64;
    cfg.optim.lr = 3e-3;
    cfg.eval_every = 10;
    cfg.sample_every = 0;
    let (summary, metrics) = run(&tmp.path().join("sft"), &cfg);
    assert_eq!(summary.status, Status::Finished);
    let losses: Vec<f64> = metrics.iter().map(|m| m.loss).collect();
    assert!(losses[losses.len() - 1] < losses[0] * 0.65, "{losses:?}");

    let mut lora = cfg.clone();
    lora.lora = Some(dezgah::core::model::LoraConfig {
        rank: 4,
        alpha: 8.0,
        ..Default::default()
    });
    let dir = tmp.path().join("lora");
    let mut trainable = 0;
    let mut lora_metrics = Vec::new();
    train::start(
        &dir,
        &lora,
        &mut |e| match e {
            Event::Started {
                trainable_parameters,
                ..
            } => trainable = *trainable_parameters,
            Event::Metrics(m) => lora_metrics.push(m.loss),
            _ => {}
        },
        &AtomicBool::new(false),
    )
    .expect("lora run");
    // 2 layers × 4 projections × (A + B) of rank 4 on width 32 (k/v 16 wide).
    assert_eq!(trainable, 2 * 4 * (4 * 32) + 2 * (2 * 4 * 32 + 2 * 4 * 16));
    assert!(
        lora_metrics[lora_metrics.len() - 1] < lora_metrics[0],
        "{lora_metrics:?}"
    );
    let best = dir.join("checkpoints/best");
    assert!(best.join("adapter.safetensors").is_file());
    // The merged model loads on its own, like any checkpoint.
    checkpoint::load_model(&best, &Device::Cpu, DType::F32).expect("merged model loads");
}

#[test]
fn dpo_raises_reward_accuracy() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let base = tmp.path().join("base");
    run(&base, &pretrain_config(&tok, 10));
    let path = tmp.path().join("prefs.jsonl");
    let lines: Vec<String> = (0..8)
        .map(|i| {
            serde_json::json!({
                "prompt": format!("Sual {i}: paytaxt hansıdır?"),
                "chosen": "Azərbaycanın paytaxtı Bakıdır.",
                "rejected": "Bilmirəm, tamam."
            })
            .to_string()
        })
        .collect();
    std::fs::write(&path, lines.join("\n")).expect("write");
    let mut cfg = RunConfig::for_stage(Stage::Dpo);
    cfg.data = vec![path];
    cfg.tokenizer = tok;
    cfg.init = Some(base);
    cfg.optim.max_steps = 25;
    cfg.optim.lr = 2e-3;
    cfg.optim.seq_len = 64;
    cfg.eval_every = 0;
    cfg.sample_every = 0;
    let (_, metrics) = run(&tmp.path().join("dpo"), &cfg);
    let first = &metrics[0];
    let last = &metrics[metrics.len() - 1];
    assert!(first.reward_accuracy.is_some() && first.reward_margin.is_some());
    assert_eq!(last.reward_accuracy, Some(1.0), "{last:?}");
    assert!(
        last.reward_margin > first.reward_margin,
        "{first:?} -> {last:?}"
    );
    assert!(last.rewards_chosen > last.rewards_rejected);
    let line = std::fs::read_to_string(tmp.path().join("dpo/metrics.jsonl")).expect("metrics");
    assert!(line.contains("\"rewards/margin\"") && line.contains("\"rewards/accuracy\""));
}

#[test]
fn a_mixture_of_experts_trains() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let mut cfg = pretrain_config(&tok, 40);
    let mut model = small_model();
    model.num_local_experts = 4;
    model.num_experts_per_tok = 2;
    cfg.model = Some(model);
    let (_, metrics) = run(&tmp.path().join("moe"), &cfg);
    let losses: Vec<f64> = metrics.iter().map(|m| m.loss).collect();
    assert!(
        mean(&losses[losses.len() - 5..]) < mean(&losses[..5]) - 0.5,
        "{losses:?}"
    );
    let aux: Vec<f64> = metrics.iter().filter_map(|m| m.aux_loss).collect();
    assert_eq!(aux.len(), metrics.len());
    // Balanced routing gives coef · layers · 1 (E · Σ 1/E · 1/E · E); far from it means collapse.
    assert!(
        aux.iter().all(|a| *a > 0.0 && *a < 0.01 * 2.0 * 2.0),
        "{aux:?}"
    );
}

#[test]
fn generation_with_a_seed_repeats() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok_path = tokenizer(tmp.path(), 400);
    let dir = tmp.path().join("run");
    run(&dir, &pretrain_config(&tok_path, 10));
    let ckpt = checkpoint::resolve(&dir, "best").expect("best");
    let (model, _) = checkpoint::load_model(&ckpt, &Device::Cpu, DType::F32).expect("load");
    let tok = dezgah::core::tokenizer::load(&tok_path).expect("tok");
    let prompt = dezgah::core::train::data::plain_prompt(&tok, "Azərbaycan").expect("prompt");
    let decode = |ids: &[u32]| tok.decode(ids, true).unwrap_or_default();
    let sample = |seed| {
        let cfg = SamplingConfig {
            max_tokens: 20,
            seed,
            ..SamplingConfig::default()
        };
        let mut streamed = String::new();
        let g = generate::generate(
            &model,
            &Device::Cpu,
            &prompt,
            &cfg,
            &[],
            &decode,
            &mut |s| streamed.push_str(s),
            &|| false,
        )
        .expect("generate");
        assert_eq!(streamed, g.text, "the stream adds up to the text");
        g.ids
    };
    assert_eq!(sample(7), sample(7));
    assert_ne!(sample(7), sample(8));
}

#[test]
fn a_nan_loss_stops_with_the_last_good_checkpoint() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let mut cfg = pretrain_config(&tok, 30);
    cfg.optim.lr = 1e12;
    cfg.optim.warmup_steps = 0;
    cfg.optim.grad_clip = 0.0;
    cfg.optim.weight_decay = 0.0;
    let err = train::start(
        &tmp.path().join("nan"),
        &cfg,
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .expect_err("diverges");
    let (TrainError::NonFinite {
        checkpoint: ckpt,
        step,
        ..
    }
    | TrainError::NonFiniteWeights {
        checkpoint: ckpt,
        step,
        ..
    }) = &err
    else {
        panic!("expected a NaN stop, got {err}");
    };
    assert!(err.to_string().contains("step"), "{err}");
    assert!(*step >= 1);
    if let Some(ckpt) = ckpt {
        checkpoint::load_model(ckpt, &Device::Cpu, DType::F32).expect("last good weights load");
    }
}

/// An infinite or NaN learning rate makes the weights NaN in the first update, while that
/// step's loss was still finite: no checkpoint may be written from them, the run must not name
/// one as good, and every loader refuses NaN weights naming the tensor.
#[test]
fn a_non_finite_learning_rate_leaves_no_bad_checkpoint_and_names_no_good_one() {
    for lr in [f64::INFINITY, f64::NAN] {
        let tmp = tempfile::tempdir().expect("tmp");
        let tok = tokenizer(tmp.path(), 400);
        let mut cfg = pretrain_config(&tok, 6);
        cfg.optim.lr = lr;
        cfg.optim.warmup_steps = 0;
        cfg.checkpoint_every = 1;
        cfg.eval_every = 1;
        let dir = tmp.path().join("bad-lr");
        let err =
            train::start(&dir, &cfg, &mut |_| {}, &AtomicBool::new(false)).expect_err("diverges");
        let message = err.to_string();
        assert!(
            matches!(
                err,
                TrainError::NonFinite {
                    checkpoint: None,
                    ..
                } | TrainError::NonFiniteWeights {
                    checkpoint: None,
                    ..
                }
            ),
            "lr {lr}: {message}"
        );
        assert!(
            message.contains("No checkpoint of this run has finite weights"),
            "{message}"
        );
        assert!(!message.contains("last good weights are in"), "{message}");
        let status = train::read_status(&dir).expect("status.json");
        assert_eq!(status.state, train::RunState::Failed);
        assert_eq!(status.message, message);
        // Nothing with NaN in it was left for export or generation to pick up.
        for (_, ckpt) in checkpoint::list(&dir) {
            checkpoint::read_tensors(&ckpt.join(checkpoint::MODEL_FILE), &Device::Cpu)
                .expect("a checkpoint on disk is finite");
        }
        assert!(checkpoint::last_finite(&dir).is_none());
    }
}

#[test]
fn loaders_refuse_non_finite_weights_naming_the_tensor() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let run_dir = tmp.path().join("good");
    run(&run_dir, &pretrain_config(&tok, 2));
    let ckpt = checkpoint::resolve(&run_dir, "last").expect("checkpoint");
    let model = ckpt.join(checkpoint::MODEL_FILE);
    let mut tensors = candle_core::safetensors::load(&model, &Device::Cpu).expect("load");
    let name = "model.norm.weight";
    let dims = tensors[name].dims().to_vec();
    let mut values = vec![1f32; dims.iter().product()];
    values[3] = f32::NAN;
    tensors.insert(
        name.to_owned(),
        candle_core::Tensor::from_vec(values, dims, &Device::Cpu).expect("tensor"),
    );
    candle_core::safetensors::save(&tensors, &model).expect("save");
    for e in [
        checkpoint::load_model(&ckpt, &Device::Cpu, DType::F32)
            .err()
            .map(|e| e.to_string()),
        checkpoint::read_tensors(&model, &Device::Cpu)
            .err()
            .map(|e| e.to_string()),
    ] {
        let e = e.expect("refused");
        assert!(e.contains(name) && e.contains("NaN or infinite"), "{e}");
        assert!(e.contains("model.safetensors"), "{e}");
    }
    assert!(checkpoint::last_finite(&run_dir).is_none());
    // And the CLI says it in a sentence, with a failing exit code.
    let out = crate::cli::dezgah()
        .args(["generate", "--run"])
        .arg(&ckpt)
        .arg("--workspace")
        .arg(tmp.path().join("ws"))
        .args(["--prompt", "Bu gün", "--max-tokens", "4"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(name) && stderr.contains("NaN or infinite"),
        "{stderr}"
    );
    let out = crate::cli::dezgah()
        .args(["export", "check", "--run"])
        .arg(&ckpt)
        .arg("--workspace")
        .arg(tmp.path().join("ws"))
        .output()
        .expect("run");
    assert!(!out.status.success(), "export check passed NaN weights");
}

#[test]
fn a_wrong_tokenizer_for_the_base_model_is_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let other = tokenizer(tmp.path(), 350);
    let base = tmp.path().join("base");
    run(&base, &pretrain_config(&tok, 3));
    let mut cfg = RunConfig::for_stage(Stage::Sft);
    cfg.data = vec![sft_file(tmp.path())];
    cfg.tokenizer = other;
    cfg.init = Some(base);
    let err = train::start(
        &tmp.path().join("sft"),
        &cfg,
        &mut |_| {},
        &AtomicBool::new(false),
    )
    .expect_err("mismatch");
    assert!(
        err.to_string().contains("wrong tokenizer/model pair"),
        "{err}"
    );
}

#[test]
fn a_run_that_cannot_start_says_why_in_status_json() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    // Refused before the folder is made: nothing to record, nothing left behind.
    let mut cfg = pretrain_config(&tok, 5);
    cfg.optim.seq_len = 100_000;
    let dir = tmp.path().join("too-long");
    let err = train::start(&dir, &cfg, &mut |_| {}, &AtomicBool::new(false))
        .expect_err("longer than the context");
    assert!(err.to_string().contains("context"), "{err}");
    assert!(!dir.exists(), "a refused run made its folder");
    // Refused once the data is read: the folder says why.
    let empty = tmp.path().join("empty.txt");
    std::fs::write(&empty, "").expect("write");
    let mut cfg = pretrain_config(&tok, 5);
    cfg.data = vec![empty];
    let dir = tmp.path().join("no-data");
    let err = train::start(&dir, &cfg, &mut |_| {}, &AtomicBool::new(false)).expect_err("no data");
    let status = train::read_status(&dir).expect("status.json");
    assert_eq!(status.state, train::RunState::Failed);
    assert_eq!(status.message, err.to_string());
}

/// One writer per run folder: while a run trains, a second `train --config … --out` into the same
/// folder and a `--resume` of it are refused naming the process; once the writer is killed, the
/// lock is gone with it and the folder is seen as not running (a reused process id in
/// `status.json` cannot say otherwise).
#[test]
fn a_second_writer_of_a_live_run_is_refused_naming_the_process() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), 400);
    let cfg = pretrain_config(&tok, 1_000_000);
    let config = tmp.path().join("run.toml");
    std::fs::write(&config, cfg.to_toml().expect("toml")).expect("write");
    let dir = tmp.path().join("live");
    let mut first = crate::cli::dezgah()
        .args(["train", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(2);
    while !std::fs::read_to_string(dir.join("metrics.jsonl")).is_ok_and(|m| !m.is_empty()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the first run never logged a step"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let pid = first.id();
    assert!(dezgah::core::runs::writer_alive(&dir, pid));
    for args in [
        vec![
            "train".to_owned(),
            "--config".into(),
            config.display().to_string(),
            "--out".into(),
            dir.display().to_string(),
        ],
        vec!["train".into(), "--resume".into(), dir.display().to_string()],
    ] {
        let out = crate::cli::dezgah().args(&args).output().expect("run");
        assert!(!out.status.success(), "{args:?} ran beside a live run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("being written by another training run")
                && stderr.contains(&format!("process {pid}")),
            "{args:?}: {stderr}"
        );
    }
    // The refused writers touched nothing: the live run's status is its own.
    let status = train::read_status(&dir).expect("status");
    assert_eq!((status.state, status.pid), (train::RunState::Running, pid));
    first.kill().expect("kill");
    first.wait().expect("wait");
    assert_eq!(train::lock::holder(&dir), train::lock::Holder::Free);
    assert!(!dezgah::core::runs::writer_alive(&dir, pid));
    // Even if another process now had that id, the folder is not being written.
    assert!(!dezgah::core::runs::writer_alive(&dir, std::process::id()));
}
