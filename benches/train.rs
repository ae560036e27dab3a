//! Pretraining throughput, side by side with the PyTorch reference
//! (`../shared/bench/bench_torch_gpt.py --arch llama`): the same llama layout — 4 layers, 4 heads,
//! width 256, context 128, batch 16, vocabulary 8192, tied embeddings, AdamW(6e-4, 0.9/0.95,
//! weight decay 0.1), no clipping — through the engine's own loop (`train::start`: data windows,
//! forward, backward, optimizer, logging), on the CPU threads rayon is given.
//!
//!     RAYON_NUM_THREADS=2 cargo bench --bench train -- [--dtype bf16] [--steps 30] [--data FILE]
//!
//! On a GPU build: `cargo bench --features cuda --bench train -- --device cuda:0 [--dtype bf16]`.
//!
//! Prints tokens/s over the timed steps (after 3 warm-up steps), ms/step and peak RSS. Goal
//! (training engine issue): tokens/s ≥ 1.0× PyTorch fp32 on the same threads.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use dezgah::core::corpus::read::ReadOptions;
use dezgah::core::model::Preset;
use dezgah::core::tokenizer::{Kind, TrainConfig};
use dezgah::core::train::{self, Event, RunConfig, Stage};

/// The same allocator as the `dezgah` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

#[allow(unsafe_code)]
fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dtype = arg(&args, "--dtype").unwrap_or_else(|| "f32".into());
    let device = arg(&args, "--device").unwrap_or_else(|| "cpu".into());
    // As the binary does for a CPU f32 run.
    if dtype == "f32" && device == "cpu" {
        // SAFETY: no other thread exists yet.
        unsafe { dezgah::core::model::set_cpu_defaults() };
        dezgah::core::model::join_compute_pool();
    }
    if args.iter().any(|a| a == "--split") {
        return split();
    }
    // `cargo bench` passes --bench; `cargo test --all-targets` runs a two-step smoke test.
    let benching = args.iter().any(|a| a == "--bench");
    let steps: usize =
        arg(&args, "--steps").map_or(Ok(if benching { 30 } else { 2 }), |s| s.parse())?;
    let warmup = if benching { 3 } else { 1 };
    let (preset, batch) = if benching {
        (Preset::Mini, 16)
    } else {
        (Preset::Tiny, 2)
    };
    let data = arg(&args, "--data").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora/nesr.txt"),
        PathBuf::from,
    );
    let tmp = tempfile::tempdir()?;
    let tokenizer = tmp.path().join("tokenizer.json");
    let tok_cfg = TrainConfig {
        kind: Kind::Bpe,
        vocab_size: 8192,
        ..TrainConfig::default()
    };
    dezgah::core::tokenizer::train(
        std::slice::from_ref(&data),
        &ReadOptions::default(),
        &tok_cfg,
        &tokenizer,
        None,
    )?;
    let mut cfg = RunConfig::for_stage(Stage::Pretrain);
    cfg.data = vec![data];
    cfg.tokenizer = tokenizer;
    cfg.model = Some(preset.config(8192));
    cfg.dtype.clone_from(&dtype);
    cfg.device.clone_from(&device);
    cfg.optim.max_steps = warmup + steps;
    cfg.optim.batch_size = batch;
    cfg.optim.seq_len = 128;
    cfg.optim.lr = 6e-4;
    cfg.optim.grad_clip = 0.0;
    cfg.optim.warmup_steps = 0;
    cfg.eval_every = 0;
    cfg.sample_every = 0;
    cfg.checkpoint_every = 0;
    cfg.val_fraction = 0.0;
    let mut marks: Vec<(u64, f64, f64)> = Vec::new();
    train::start(
        &tmp.path().join("run"),
        &cfg,
        &mut |e| {
            if let Event::Metrics(m) = e {
                marks.push((m.step, m.elapsed_secs, m.loss));
            }
        },
        &AtomicBool::new(false),
    )?;
    let start = marks
        .iter()
        .find(|m| m.0 == warmup as u64)
        .ok_or_else(|| anyhow::anyhow!("no warm-up mark"))?;
    let end = marks.last().ok_or_else(|| anyhow::anyhow!("no steps"))?;
    let secs = end.1 - start.1;
    let tokens = (steps * batch * 128) as f64;
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    println!(
        "dezgah llama {dtype} {device} threads={threads}: {:.0} tokens/s, {:.0} ms/step, loss {:.2}->{:.2}, peak RSS {:.0} MB ({} params)",
        tokens / secs,
        secs * 1000.0 / steps as f64,
        marks[0].2,
        end.2,
        peak_rss_mb(),
        preset.config(8192).parameter_count()
    );
    Ok(())
}

/// Forward, backward and optimizer timed apart on random tokens (no data loading), like the
/// reference's `--split`.
fn split() -> anyhow::Result<()> {
    use std::collections::HashMap;
    use std::time::Instant;

    use candle_core::{DType, Device, Tensor};
    use dezgah::core::model::llama::{init_parameters, var_tensors};
    use dezgah::core::model::rng::Rng;
    use dezgah::core::model::{Llama, Weights, ops};
    use dezgah::core::train::OptimConfig;
    use dezgah::core::train::optim::{AdamW, accumulate};

    let device = Device::Cpu;
    let cfg = Preset::Mini.config(8192);
    let vars = init_parameters(&cfg, 1, &device)?;
    let tensors = var_tensors(&vars);
    let model = Llama::new(
        &cfg,
        &Weights {
            maps: vec![&tensors],
        },
        None,
        DType::F32,
        &device,
    )?;
    let mut opt = AdamW::new(&vars)?;
    let optim = OptimConfig::default();
    let mut rng = Rng::new(3);
    let (b, t) = (16, 128);
    let (mut fwd, mut bwd, mut step) = (0.0, 0.0, 0.0);
    let steps = 10;
    for i in 0..steps + 2 {
        let ids: Vec<u32> = (0..b * t).map(|_| rng.below(8192) as u32).collect();
        let targets: Vec<u32> = (0..b * t).map(|_| rng.below(8192) as u32).collect();
        let ids = Tensor::from_vec(ids, (b, t), &device)?;
        let targets = Tensor::from_vec(targets, b * t, &device)?;
        let t0 = Instant::now();
        let out = model.forward(&ids, None)?;
        let loss = ops::cross_entropy(&out.logits, &targets)?;
        let _ = loss.to_scalar::<f32>()?;
        let t1 = Instant::now();
        let store = loss.backward()?;
        let mut grads = HashMap::new();
        accumulate(&mut grads, &vars, &store, 1.0)?;
        drop(store);
        let t2 = Instant::now();
        opt.update(&grads, 6e-4, &optim)?;
        let t3 = Instant::now();
        if i >= 2 {
            fwd += (t1 - t0).as_secs_f64();
            bwd += (t2 - t1).as_secs_f64();
            step += (t3 - t2).as_secs_f64();
        }
    }
    let n = f64::from(steps);
    println!(
        "forward {:.0} ms, backward {:.0} ms, optimizer {:.0} ms per step; forward only {:.0} tokens/s",
        fwd * 1000.0 / n,
        bwd * 1000.0 / n,
        step * 1000.0 / n,
        (b * t) as f64 * n / fwd
    );
    Ok(())
}
