//! `dezgah train`, `dezgah generate` and `dezgah eval`: the training engine headless. Events go
//! to stdout as JSON lines (what the GUI's reader thread parses); errors go to stderr once.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context as _;

use crate::core::model::generate::{self, SamplingConfig};
use crate::core::model::{LoraConfig, Preset, device_from_name, dtype_from_name, is_cpu_name};
use crate::core::train::{self, Event, RunConfig, Stage, Status, checkpoint, data};

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TrainArgs {
    #[command(subcommand)]
    pub stage: Option<TrainStage>,
    /// A run configuration file (the `config.toml` a run folder holds)
    #[arg(long, value_name = "run.toml", conflicts_with = "resume")]
    pub config: Option<PathBuf>,
    /// With --config: the run folder to create
    #[arg(long, value_name = "RUN_DIR", requires = "config")]
    pub out: Option<PathBuf>,
    /// Continue a stopped run from its latest checkpoint
    #[arg(long, value_name = "RUN_DIR")]
    pub resume: Option<PathBuf>,
    /// With --resume: the checkpoint to continue from (last, best or a step number); later
    /// steps are dropped
    #[arg(long, value_name = "CHECKPOINT", requires = "resume")]
    pub from: Option<String>,
    /// With --config: start again in a run folder that holds no checkpoint yet (a run killed or
    /// refused before its first one); a folder with checkpoints is refused, never wiped
    #[arg(long, requires = "config")]
    pub restart: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum TrainStage {
    /// Train a model from random weights on plain text
    Pretrain(StageArgs),
    /// Continue pretraining a checkpoint on more text
    Continue(StageArgs),
    /// Finetune on chat examples (TRL messages JSONL or a workspace's ready examples)
    Sft(StageArgs),
    /// Preference-tune with DPO (TRL prompt/chosen/rejected JSONL or a workspace's ratings)
    Dpo(StageArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct StageArgs {
    /// Training data: corpus files for (continued) pretraining, JSONL or a workspace folder for
    /// SFT and DPO
    #[arg(long, required = true, num_args = 1.., value_name = "PATH")]
    pub data: Vec<PathBuf>,
    #[arg(long, required = true, value_name = "tokenizer.json")]
    pub tokenizer: PathBuf,
    /// Run folder or checkpoint folder to start from
    #[arg(long, value_name = "RUN_OR_CKPT")]
    pub init: Option<PathBuf>,
    /// Model size: tiny, mini, small, base or medium
    #[arg(long, default_value = "tiny")]
    pub preset: String,
    #[arg(long)]
    pub max_steps: Option<usize>,
    /// The run folder to create
    #[arg(long, value_name = "RUN_DIR")]
    pub out: PathBuf,
    /// Start again in a run folder that holds no checkpoint yet (a run killed or refused before
    /// its first one); a folder with checkpoints is refused, never wiped
    #[arg(long)]
    pub restart: bool,
    /// cpu, cuda, cuda:N or metal
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Compute precision: f32, bf16 or f16
    #[arg(long, default_value = "f32")]
    pub dtype: String,
    #[arg(long)]
    pub batch_size: Option<usize>,
    #[arg(long)]
    pub seq_len: Option<usize>,
    #[arg(long)]
    pub lr: Option<f64>,
    #[arg(long)]
    pub grad_accum: Option<usize>,
    #[arg(long)]
    pub warmup_steps: Option<usize>,
    #[arg(long)]
    pub eval_every: Option<usize>,
    #[arg(long)]
    pub sample_every: Option<usize>,
    #[arg(long)]
    pub checkpoint_every: Option<usize>,
    /// Fixed prompts sampled every --sample-every steps (repeatable)
    #[arg(long = "sample-prompt")]
    pub sample_prompts: Vec<String>,
    /// SFT: train LoRA adapters of this rank instead of all weights
    #[arg(long)]
    pub lora_rank: Option<usize>,
    /// DPO: how far the policy may move from the reference
    #[arg(long)]
    pub beta: Option<f64>,
    /// Mixture of experts: number of experts per layer (0 = dense)
    #[arg(long)]
    pub experts: Option<usize>,
    /// Mixture of experts: experts each token is routed to
    #[arg(long)]
    pub top_k: Option<usize>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Pretraining: what to do with unreadable lines of the data
    #[command(flatten)]
    pub bad_lines: super::BadLinesOpt,
}

impl StageArgs {
    fn config(&self, stage: Stage) -> anyhow::Result<RunConfig> {
        let mut cfg = RunConfig::for_stage(stage);
        cfg.data.clone_from(&self.data);
        cfg.tokenizer.clone_from(&self.tokenizer);
        cfg.init.clone_from(&self.init);
        cfg.bad_lines = self.bad_lines.mode();
        anyhow::ensure!(
            Preset::from_name(&self.preset).is_some(),
            "unknown preset {:?}; presets: {}",
            self.preset,
            Preset::ALL.map(Preset::name).join(", ")
        );
        cfg.preset.clone_from(&self.preset);
        cfg.device.clone_from(&self.device);
        cfg.dtype.clone_from(&self.dtype);
        let o = &mut cfg.optim;
        macro_rules! set {
            ($field:ident, $target:expr) => {
                if let Some(v) = self.$field {
                    $target = v;
                }
            };
        }
        set!(max_steps, o.max_steps);
        set!(batch_size, o.batch_size);
        set!(seq_len, o.seq_len);
        set!(lr, o.lr);
        set!(grad_accum, o.grad_accum);
        set!(warmup_steps, o.warmup_steps);
        set!(eval_every, cfg.eval_every);
        set!(sample_every, cfg.sample_every);
        set!(checkpoint_every, cfg.checkpoint_every);
        set!(beta, cfg.dpo_beta);
        set!(seed, cfg.seed);
        if !self.sample_prompts.is_empty() {
            cfg.sample_prompts.clone_from(&self.sample_prompts);
        }
        if let Some(rank) = self.lora_rank {
            anyhow::ensure!(stage == Stage::Sft, "--lora-rank is for the sft stage");
            cfg.lora = Some(LoraConfig {
                rank,
                alpha: 2.0 * rank as f64,
                ..LoraConfig::default()
            });
        }
        if self.experts.is_some() || self.top_k.is_some() {
            let preset = Preset::from_name(&self.preset).unwrap_or(Preset::Tiny);
            let mut model = preset.config(0);
            model.num_local_experts = self.experts.unwrap_or(4);
            model.num_experts_per_tok = self.top_k.unwrap_or(2);
            cfg.model = Some(model);
        }
        // The defaults are in range, so a value out of range came from its flag.
        cfg.validate().map_err(|e| anyhow::anyhow!(e.as_flag()))?;
        Ok(cfg)
    }
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// A run folder (or a checkpoint folder)
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// best, last or a step number
    #[arg(long, default_value = "best")]
    pub checkpoint: String,
    #[arg(long)]
    pub prompt: String,
    /// Wrap the prompt in the chat template as a user turn (for SFT/DPO models)
    #[arg(long)]
    pub chat: bool,
    /// System prompt, with --chat
    #[arg(long)]
    pub system: Option<String>,
    #[arg(long, default_value_t = 128)]
    pub max_tokens: usize,
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f64,
    #[arg(long, default_value_t = 40)]
    pub top_k: usize,
    #[arg(long, default_value_t = 0.95)]
    pub top_p: f64,
    #[arg(long, default_value_t = 1.1)]
    pub repetition_penalty: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Stop when this text appears (repeatable)
    #[arg(long)]
    pub stop: Vec<String>,
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    #[arg(long, default_value = "best")]
    pub checkpoint: String,
    /// Text to measure perplexity on: any corpus file
    #[arg(long, required = true, num_args = 1..)]
    pub data: Vec<PathBuf>,
    #[arg(long, default_value = "text")]
    pub text_field: String,
    #[command(flatten)]
    pub bad_lines: super::BadLinesOpt,
    #[arg(long, default_value = "cpu")]
    pub device: String,
    #[arg(long)]
    pub json: bool,
}

/// Ctrl-C / SIGTERM set the flag, so the run saves a checkpoint and stops; a second Ctrl-C
/// ends the process at once.
fn stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag))
            .context("cannot install the signal handler")?;
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .context("cannot install the signal handler")?;
    }
    Ok(flag)
}

fn print_event(event: &Event) {
    if let Event::BadLines { count, first } = event {
        super::report_bad_lines(*count, first);
    }
    if let Ok(line) = serde_json::to_string(event) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// Whether the run these arguments start or resume computes in f32 on the CPU, the case the
/// process-wide CPU settings of [`crate::core::model::set_cpu_defaults`] were measured for (in
/// bf16 on a CPU without bf16 they cost time). Unreadable configurations say no; the run itself
/// reports them.
pub fn is_cpu_f32(args: &TrainArgs) -> bool {
    let from_file = |path: &std::path::Path| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|text| RunConfig::from_toml(&text, path).ok())
            .map(|cfg| (cfg.device, cfg.dtype))
    };
    let setting = if let Some(dir) = &args.resume {
        from_file(&dir.join("config.toml"))
    } else if let Some(path) = &args.config {
        from_file(path)
    } else {
        args.stage.as_ref().map(|stage| match stage {
            TrainStage::Pretrain(a)
            | TrainStage::Continue(a)
            | TrainStage::Sft(a)
            | TrainStage::Dpo(a) => (a.device.clone(), a.dtype.clone()),
        })
    };
    setting.is_some_and(|(device, dtype)| {
        is_cpu_name(&device) && dtype_from_name(&dtype).is_ok_and(|d| d == candle_core::DType::F32)
    })
}

pub fn train(args: &TrainArgs) -> anyhow::Result<()> {
    let stop = stop_flag()?;
    let mut sink = |e: &Event| print_event(e);
    let summary = if let Some(dir) = &args.resume {
        let cfg_path = dir.join("config.toml");
        if let Ok(text) = std::fs::read_to_string(&cfg_path) {
            // The engine reads only files: a run started before runs held their data gets it.
            crate::core::runs::ensure_run_data(dir, &RunConfig::from_toml(&text, &cfg_path)?)?;
        }
        train::resume(dir, args.from.as_deref(), &mut sink, &stop)?
    } else if let Some(path) = &args.config {
        let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
        let cfg = RunConfig::from_toml(&text, path)?;
        let out = args
            .out
            .clone()
            .context("--config needs --out RUN_DIR: the run folder to create")?;
        // Refusals first, so a refused run leaves no folder behind; then the run's own copy of
        // its data, written into the (emptied, with --restart) folder the engine will read.
        train::folder::preflight(&cfg)?;
        if args.restart {
            train::folder::prepare_restart(&out)?;
        }
        crate::core::runs::write_run_data(&out, &cfg)?;
        train::start(&out, &cfg, &mut sink, &stop)?
    } else if let Some(stage) = &args.stage {
        let (stage, a) = match stage {
            TrainStage::Pretrain(a) => (Stage::Pretrain, a),
            TrainStage::Continue(a) => (Stage::Continue, a),
            TrainStage::Sft(a) => (Stage::Sft, a),
            TrainStage::Dpo(a) => (Stage::Dpo, a),
        };
        let cfg = a.config(stage)?;
        // Refusals first, so a refused run leaves no folder behind; then the run's own copy of
        // its data, written into the (emptied, with --restart) folder the engine will read.
        train::folder::preflight(&cfg)?;
        if a.restart {
            train::folder::prepare_restart(&a.out)?;
        }
        crate::core::runs::write_run_data(&a.out, &cfg)?;
        train::start(&a.out, &cfg, &mut sink, &stop)?
    } else {
        anyhow::bail!(
            "say what to train: `dezgah train pretrain|continue|sft|dpo ...`, `--config run.toml --out RUN_DIR` or `--resume RUN_DIR`"
        );
    };
    if summary.status == Status::Stopped {
        eprintln!("stopped at step {}; continue with --resume", summary.step);
    }
    Ok(())
}

pub fn generate(args: &GenerateArgs) -> anyhow::Result<()> {
    // Refused before the model loads: NaN or a top-p of 2 would sample nonsense quietly.
    anyhow::ensure!(
        args.top_k > 0,
        "--top-k 0: must be at least 1 (the number of most likely tokens sampled from)"
    );
    anyhow::ensure!(args.max_tokens > 0, "--max-tokens 0: must be at least 1");
    SamplingConfig {
        temperature: args.temperature,
        top_k: args.top_k,
        top_p: args.top_p,
        repetition_penalty: args.repetition_penalty,
        ..SamplingConfig::default()
    }
    .validate()
    .map_err(|e| anyhow::anyhow!(e.as_flag()))?;
    let device = device_from_name(&args.device)?;
    let dir = checkpoint::resolve(&args.run, &args.checkpoint)?;
    let (model, cfg) = checkpoint::load_model(&dir, &device, candle_core::DType::F32)?;
    let tok_path = checkpoint::tokenizer_path(&dir)?;
    let tokenizer = crate::core::tokenizer::load(&tok_path)?;
    anyhow::ensure!(
        tokenizer.get_vocab_size(true) <= cfg.vocab_size,
        "wrong tokenizer/model pair: {} has {} tokens, the model {} embedding rows",
        tok_path.display(),
        tokenizer.get_vocab_size(true),
        cfg.vocab_size
    );
    let ids = if args.chat {
        let mut messages = Vec::new();
        if let Some(system) = &args.system {
            messages.push(data::Message {
                role: data::Role::System,
                content: system.clone(),
            });
        }
        messages.push(data::Message {
            role: data::Role::User,
            content: args.prompt.clone(),
        });
        data::encode_prompt(&tokenizer, &messages)?
    } else {
        data::plain_prompt(&tokenizer, &args.prompt)?
    };
    let mut stop = args.stop.clone();
    if args.chat {
        stop.push("<|end|>".into());
    }
    let sampling = SamplingConfig {
        max_tokens: args.max_tokens,
        temperature: args.temperature,
        top_k: args.top_k,
        top_p: args.top_p,
        repetition_penalty: args.repetition_penalty,
        seed: args.seed,
        stop,
    };
    let special = data::SpecialIds::of(&tokenizer);
    let decode = |ids: &[u32]| tokenizer.decode(ids, true).unwrap_or_default();
    let mut out = std::io::stdout().lock();
    if !args.chat {
        let _ = write!(out, "{}", args.prompt);
    }
    let result = generate::generate(
        &model,
        &device,
        &ids,
        &sampling,
        &special.end_ids(),
        &decode,
        &mut |piece| {
            let _ = write!(out, "{piece}");
            let _ = out.flush();
        },
        &|| false,
    )?;
    let _ = writeln!(out);
    eprintln!(
        "{} tokens, {:.1} tokens/s, ended by {:?}",
        result.ids.len(),
        result.tokens_per_sec,
        result.finish
    );
    Ok(())
}

pub fn eval(args: &EvalArgs) -> anyhow::Result<()> {
    let device = device_from_name(&args.device)?;
    let dir = checkpoint::resolve(&args.run, &args.checkpoint)?;
    let tok_path = checkpoint::tokenizer_path(&dir)?;
    let tokenizer = crate::core::tokenizer::load(&tok_path)?;
    let read = crate::core::corpus::read::ReadOptions {
        text_field: args.text_field.clone(),
        bad_lines: args.bad_lines.mode(),
        ..crate::core::corpus::read::ReadOptions::default()
    };
    let e = train::evaluate(&dir, &tokenizer, &args.data, &device, &read)?;
    let (perplexity, tokens) = (e.perplexity, e.tokens);
    if e.bad_lines > 0 {
        super::report_bad_lines(e.bad_lines, &e.bad_line_examples);
    }
    if args.json {
        println!(
            "{}",
            serde_json::json!({"checkpoint": dir, "tokens": tokens, "loss": perplexity.ln(), "perplexity": perplexity, "bad_lines": e.bad_lines, "bad_line_examples": e.bad_line_examples})
        );
    } else {
        println!(
            "checkpoint {}\ntokens {tokens}\nloss {:.4}\nperplexity {perplexity:.2}",
            dir.display(),
            perplexity.ln()
        );
    }
    Ok(())
}
