//! Pretraining throughput, side by side with the PyTorch reference
//! (`../shared/bench/bench_torch_gpt.py --arch llama`): the same llama layout — 4 layers, 4 heads,
//! width 256, context 128, batch 16, vocabulary 8192, tied embeddings, AdamW(6e-4, 0.9/0.95,
//! weight decay 0.1), no clipping — through the engine's own loop (`train::start`: data windows,
//! forward, backward, optimizer, logging), on the CPU threads rayon is given.
//!
//!     RAYON_NUM_THREADS=2 cargo bench --bench train -- [--dtype bf16] [--steps 30] [--data FILE]
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

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let dtype = arg(&args, "--dtype").unwrap_or_else(|| "f32".into());
    let steps: usize = arg(&args, "--steps").map_or(Ok(30), |s| s.parse())?;
    let warmup = 3;
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
    cfg.model = Some(Preset::Mini.config(8192));
    cfg.dtype.clone_from(&dtype);
    cfg.optim.max_steps = warmup + steps;
    cfg.optim.batch_size = 16;
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
    let tokens = (steps * 16 * 128) as f64;
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all".into());
    println!(
        "dezgah llama {dtype} threads={threads}: {:.0} tokens/s, {:.0} ms/step, loss {:.2}->{:.2}, peak RSS {:.0} MB ({} params)",
        tokens / secs,
        secs * 1000.0 / steps as f64,
        marks[0].2,
        end.2,
        peak_rss_mb(),
        Preset::Mini.config(8192).parameter_count()
    );
    Ok(())
}
