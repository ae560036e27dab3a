//! The training engine, headless: pretraining, continued pretraining, SFT (full or LoRA) and
//! DPO share one loop. A run lives in its folder (`config.toml`, `metrics.jsonl`,
//! `samples.jsonl`, `log.txt`, `checkpoints/`), and every event also goes to a sink — the CLI
//! prints them as JSON lines for the GUI's reader thread.

// Tensor code reads best with the papers' names (b, t, h, d for batch, time, heads, width),
// and weight maps are always `HashMap<String, Tensor>` from safetensors.
#![allow(
    clippy::many_single_char_names,
    clippy::similar_names,
    clippy::implicit_hasher
)]

pub mod checkpoint;
pub mod config;
pub mod data;
pub mod folder;
pub mod lock;
pub mod objective;
pub mod optim;

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use serde::{Deserialize, Serialize};
use tokenizers::Tokenizer;

pub use config::{OptimConfig, RunConfig, Stage};

type TensorMap = HashMap<String, Tensor>;

use self::checkpoint::{LoopState, Snapshot};
use self::data::{Message, Role, SpecialIds, TokenShard};
use self::objective::{Ctx, Objective};
use self::optim::AdamW;
use crate::domain::DataKind;
use crate::model::generate::{self, SamplingConfig};
use crate::model::llama::{self, merge_lora, var_tensors};
use crate::model::rng::Rng;
use crate::model::{Llama, ModelConfig, Weights, device_from_name, dtype_from_name, ops};

#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    #[error("{}:{line}: {message}", path.display())]
    Data {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{0}")]
    Read(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("no training data: {0}")]
    NoData(String),
    #[error("{0}")]
    Invalid(String),
    /// Shown without candle's backtrace; [`TrainError::detail`] has it for the run's log.
    #[error("{context}: {}", crate::model::error_text(error))]
    Model {
        context: String,
        error: candle_core::Error,
    },
    #[error("checkpoint {path}: {message}")]
    Checkpoint { path: PathBuf, message: String },
    #[error(
        "the loss became {value} at step {step}; training stopped. {}",
        last_good(checkpoint.as_deref())
    )]
    NonFinite {
        step: u64,
        value: f64,
        /// The newest checkpoint with finite weights, if the run has one.
        checkpoint: Option<PathBuf>,
    },
    #[error(
        "the weights became NaN or infinite at step {step} ({tensor}); training stopped. {}",
        last_good(checkpoint.as_deref())
    )]
    NonFiniteWeights {
        step: u64,
        tensor: String,
        checkpoint: Option<PathBuf>,
    },
    #[error("{}: tensor {tensor} holds NaN or infinite values", path.display())]
    NonFiniteTensor { path: PathBuf, tensor: String },
    #[error("stopped")]
    Stopped,
}

impl TrainError {
    /// The full text of a model error with its backtrace, for the run's log only.
    pub fn detail(&self) -> Option<String> {
        match self {
            Self::Model { context, error } if crate::model::has_backtrace(error) => {
                Some(format!("{context}: {error}"))
            }
            _ => None,
        }
    }
}

/// Where a run that went non-finite can be resumed from, in a sentence.
fn last_good(checkpoint: Option<&Path>) -> String {
    match checkpoint {
        Some(dir) => format!("The last good weights are in {}", dir.display()),
        None => "No checkpoint of this run has finite weights: start it again with a lower \
                 learning rate"
            .to_owned(),
    }
}

fn model_err(context: &str) -> impl FnOnce(candle_core::Error) -> TrainError + '_ {
    move |error| TrainError::Model {
        context: context.to_owned(),
        error,
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_owned(),
        source,
    }
}

/// One logged step: a line of `metrics.jsonl`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub step: u64,
    pub tokens: u64,
    pub loss: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
    pub lr: f64,
    pub grad_norm: f64,
    pub tokens_per_sec: f64,
    pub elapsed_secs: f64,
    pub eta_secs: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aux_loss: Option<f64>,
    #[serde(
        default,
        rename = "rewards/chosen",
        skip_serializing_if = "Option::is_none"
    )]
    pub rewards_chosen: Option<f64>,
    #[serde(
        default,
        rename = "rewards/rejected",
        skip_serializing_if = "Option::is_none"
    )]
    pub rewards_rejected: Option<f64>,
    #[serde(
        default,
        rename = "rewards/margin",
        skip_serializing_if = "Option::is_none"
    )]
    pub reward_margin: Option<f64>,
    #[serde(
        default,
        rename = "rewards/accuracy",
        skip_serializing_if = "Option::is_none"
    )]
    pub reward_accuracy: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Finished,
    Stopped,
    Failed,
}

/// What the loop reports, in order. Serialised with an `event` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    Started {
        run_dir: PathBuf,
        stage: Stage,
        parameters: u64,
        trainable_parameters: u64,
        train_items: u64,
        val_items: u64,
        max_steps: u64,
        resumed_from: Option<u64>,
        device: String,
    },
    /// Data preparation (tokenising a corpus).
    Preparing {
        done_bytes: u64,
        total_bytes: u64,
    },
    Metrics(Metrics),
    Sample {
        step: u64,
        prompt: String,
        text: String,
    },
    Checkpoint {
        step: u64,
        path: PathBuf,
        val_loss: Option<f64>,
        best: bool,
    },
    Log {
        message: String,
    },
    /// Lines of the pretraining data that could not be read and were left out: how many, and
    /// the first as `file:line: reason`.
    BadLines {
        count: u64,
        first: Vec<String>,
    },
    Finished {
        status: Status,
        step: u64,
        best_val_loss: Option<f64>,
        message: String,
    },
}

/// The outcome of a run that ended without an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub status: Status,
    pub step: u64,
    pub best_val_loss: Option<f64>,
    pub last_loss: Option<f64>,
}

/// The file that asks a running run to stop (after saving a checkpoint).
pub const STOP_FILE: &str = "STOP";

/// Starts a new run in `run_dir` (which must not hold a run yet).
pub fn start(
    run_dir: &Path,
    cfg: &RunConfig,
    sink: &mut dyn FnMut(&Event),
    stop: &AtomicBool,
) -> Result<Summary, TrainError> {
    if run_dir.join("config.toml").exists() {
        // A live run is the more useful thing to say.
        let _lock = lock::acquire(run_dir)?;
        return Err(folder::already_holds(run_dir));
    }
    // Everything that can be refused without reading the data, before the folder is made.
    folder::preflight(cfg)?;
    std::fs::create_dir_all(run_dir).map_err(io_err(run_dir))?;
    // Held until this function returns, the whole run.
    let _lock = lock::acquire(run_dir)?;
    if run_dir.join("config.toml").exists() {
        return Err(folder::already_holds(run_dir));
    }
    let tokenizer_copy = run_dir.join("tokenizer.json");
    let tokenizer =
        crate::tokenizer::load(&cfg.tokenizer).map_err(|e| TrainError::Tokenizer(e.to_string()))?;
    crate::tokenizer::save(&tokenizer, &tokenizer_copy)
        .map_err(|e| TrainError::Tokenizer(e.to_string()))?;
    let text = cfg
        .to_toml()
        .map_err(|e| TrainError::Invalid(e.to_string()))?;
    let cfg_path = run_dir.join("config.toml");
    crate::write_atomic(&cfg_path, text.as_bytes()).map_err(io_err(&cfg_path))?;
    // Before the data is tokenised (minutes on a big corpus): a window that reopens meanwhile
    // must see a live run.
    write_status(
        run_dir,
        &RunStatus {
            state: RunState::Running,
            pid: std::process::id(),
            step: 0,
            max_steps: cfg.optim.max_steps as u64,
            best_val_loss: None,
            message: String::new(),
        },
    );
    let max_steps = cfg.optim.max_steps as u64;
    let trainer = Trainer::new(run_dir, cfg.clone(), None, sink);
    failed_before_training(run_dir, max_steps, 0, trainer)?.run(sink, stop)
}

/// Continues a stopped run from one of its checkpoints: `last` (the default), `best` or a step.
/// Resuming from an earlier checkpoint abandons the steps after it: their step checkpoints are
/// removed and their metrics dropped, so the run's history stays one line.
pub fn resume(
    run_dir: &Path,
    from: Option<&str>,
    sink: &mut dyn FnMut(&Event),
    stop: &AtomicBool,
) -> Result<Summary, TrainError> {
    let cfg_path = run_dir.join("config.toml");
    let text = std::fs::read_to_string(&cfg_path).map_err(io_err(&cfg_path))?;
    let cfg = RunConfig::from_toml(&text, &cfg_path)?;
    // Held until this function returns, the whole run: a resume of a live run is refused.
    let _lock = lock::acquire(run_dir)?;
    let from = match from {
        None | Some("last") => checkpoint::list(run_dir).last().map(|(_, p)| p.clone()),
        Some(which) => Some(checkpoint::resolve(run_dir, which)?),
    };
    let Some(from) = from else {
        // Killed (or refused) before its first checkpoint: not a dead end, the same run again.
        sink(&Event::Log {
            message: format!(
                "{} has no checkpoint yet: starting the run again from step 0",
                run_dir.display()
            ),
        });
        folder::clear_logs(run_dir)?;
        let max_steps = cfg.optim.max_steps as u64;
        write_status(
            run_dir,
            &RunStatus {
                state: RunState::Running,
                pid: std::process::id(),
                step: 0,
                max_steps,
                best_val_loss: None,
                message: String::new(),
            },
        );
        let trainer = Trainer::new(run_dir, cfg, None, sink);
        return failed_before_training(run_dir, max_steps, 0, trainer)?.run(sink, stop);
    };
    let state = checkpoint::read_state(&from)?;
    let step = state.step;
    write_status(
        run_dir,
        &RunStatus {
            state: RunState::Running,
            pid: std::process::id(),
            step,
            max_steps: cfg.optim.max_steps as u64,
            best_val_loss: state.best_val_loss,
            message: String::new(),
        },
    );
    for (later, dir) in checkpoint::list(run_dir) {
        if later > step {
            std::fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
        }
    }
    let _ = std::fs::remove_file(run_dir.join(STOP_FILE));
    let max_steps = cfg.optim.max_steps as u64;
    let trainer = Trainer::new(run_dir, cfg, Some(&from), sink);
    failed_before_training(run_dir, max_steps, step, trainer)?.run(sink, stop)
}

/// What `status.json` in a run folder says: written when a run starts and when it ends, so
/// anyone (a reopened window, a script) can tell a live run from a finished one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStatus {
    pub state: RunState,
    /// The training process, while it runs.
    pub pid: u32,
    pub step: u64,
    pub max_steps: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_val_loss: Option<f64>,
    #[serde(default)]
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    Running,
    Finished,
    Stopped,
    Failed,
}

impl From<Status> for RunState {
    fn from(status: Status) -> Self {
        match status {
            Status::Finished => Self::Finished,
            Status::Stopped => Self::Stopped,
            Status::Failed => Self::Failed,
        }
    }
}

pub const STATUS_FILE: &str = "status.json";

/// Records a run that could not start (bad data, a wrong tokenizer) as failed, with why.
fn failed_before_training(
    run_dir: &Path,
    max_steps: u64,
    step: u64,
    trainer: Result<Trainer, TrainError>,
) -> Result<Trainer, TrainError> {
    if let Err(e) = &trainer {
        write_status(
            run_dir,
            &RunStatus {
                state: RunState::Failed,
                pid: std::process::id(),
                step,
                max_steps,
                best_val_loss: None,
                message: e.to_string(),
            },
        );
    }
    trainer
}

/// The run's `status.json`, when it has a readable one.
pub fn read_status(run_dir: &Path) -> Option<RunStatus> {
    let text = std::fs::read_to_string(run_dir.join(STATUS_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_status(run_dir: &Path, status: &RunStatus) {
    let path = run_dir.join(STATUS_FILE);
    let written = serde_json::to_vec_pretty(status)
        .map_err(std::io::Error::other)
        .and_then(|json| crate::write_atomic(&path, &json));
    if let Err(e) = written {
        log::warn!("{}: {e}", path.display());
    }
}

struct Trainer {
    run_dir: PathBuf,
    cfg: RunConfig,
    model_cfg: ModelConfig,
    tokenizer: Tokenizer,
    special: SpecialIds,
    device: Device,
    model: Llama,
    trainable: HashMap<String, Var>,
    frozen: HashMap<String, Tensor>,
    optimizer: AdamW,
    objective: Box<dyn Objective>,
    state: LoopState,
    resumed_from: Option<u64>,
    metrics: std::fs::File,
    samples: std::fs::File,
    log: std::fs::File,
}

/// The run folder that holds a checkpoint folder (`RUN/checkpoints/step-N`), or the folder
/// itself when it is a run.
fn run_of(checkpoint_dir: &Path) -> Option<PathBuf> {
    checkpoint_dir
        .ancestors()
        .take(3)
        .find(|p| p.join("config.toml").is_file())
        .map(Path::to_path_buf)
}

fn vars_from(tensors: HashMap<String, Tensor>) -> Result<HashMap<String, Var>, TrainError> {
    tensors
        .into_iter()
        .map(|(k, t)| Ok((k, Var::from_tensor(&t).map_err(model_err("weights"))?)))
        .collect()
}

/// Keeps the lines of a JSON-lines file whose `step` is at most `step` (resume drops what the
/// interrupted run logged after its last checkpoint), and opens it for appending.
fn reopen_jsonl(path: &Path, keep_to_step: Option<u64>) -> Result<std::fs::File, TrainError> {
    if let Some(step) = keep_to_step
        && let Ok(text) = std::fs::read_to_string(path)
    {
        let kept: String = text
            .lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l)
                    .ok()
                    .and_then(|v| v.get("step").and_then(serde_json::Value::as_u64))
                    .is_some_and(|s| s <= step)
            })
            .flat_map(|l| [l, "\n"])
            .collect();
        crate::write_atomic(path, kept.as_bytes()).map_err(io_err(path))?;
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io_err(path))
}

impl Trainer {
    #[expect(
        clippy::too_many_lines,
        reason = "the run's set-up in the order the engine refuses things; split, the refusals would scatter"
    )]
    fn new(
        run_dir: &Path,
        cfg: RunConfig,
        resume_from: Option<&Path>,
        sink: &mut dyn FnMut(&Event),
    ) -> Result<Self, TrainError> {
        let tokenizer = crate::tokenizer::load(&run_dir.join("tokenizer.json"))
            .map_err(|e| TrainError::Tokenizer(e.to_string()))?;
        let special = SpecialIds::of(&tokenizer);
        let device = device_from_name(&cfg.device).map_err(model_err("device"))?;
        let dtype = dtype_from_name(&cfg.dtype).map_err(model_err("precision"))?;
        let vocab = tokenizer.get_vocab_size(true);
        if cfg.data.is_empty() {
            return Err(TrainError::NoData("no --data given".into()));
        }
        if cfg.stage.needs_base() && cfg.init.is_none() {
            return Err(TrainError::Invalid(format!(
                "the {} stage starts from a checkpoint: give --init RUN_OR_CHECKPOINT",
                cfg.stage.name()
            )));
        }
        if cfg.lora.is_some() && cfg.init.is_none() {
            return Err(TrainError::Invalid(
                "LoRA adapts an existing model: give --init RUN_OR_CHECKPOINT".into(),
            ));
        }
        // The starting checkpoint, when there is one: its shape wins over the preset.
        let init_dir = cfg
            .init
            .as_deref()
            .map(|p| checkpoint::resolve(p, "best"))
            .transpose()?;
        let model_cfg = match &init_dir {
            Some(dir) => checkpoint::read_config(dir)?,
            None => cfg.model_config(vocab).map_err(TrainError::Invalid)?,
        };
        if vocab > model_cfg.vocab_size {
            return Err(TrainError::Invalid(format!(
                "wrong tokenizer/model pair: the tokenizer has {vocab} tokens but the model has {} embedding rows",
                model_cfg.vocab_size
            )));
        }
        if let Some(dir) = &init_dir
            && let Some(run) = run_of(dir)
            && let Ok(theirs) = crate::tokenizer::load(&run.join("tokenizer.json"))
            && theirs.get_vocab(true) != tokenizer.get_vocab(true)
        {
            return Err(TrainError::Invalid(format!(
                "wrong tokenizer/model pair: {} was trained with a different tokenizer ({})",
                dir.display(),
                run.join("tokenizer.json").display()
            )));
        }
        if cfg.optim.seq_len > model_cfg.max_position_embeddings {
            return Err(TrainError::Invalid(format!(
                "sequence length {} is longer than the model's context of {}",
                cfg.optim.seq_len, model_cfg.max_position_embeddings
            )));
        }
        if cfg.optim.batch_size == 0 || cfg.optim.grad_accum == 0 || cfg.optim.seq_len < 2 {
            return Err(TrainError::Invalid(
                "batch size and accumulation must be at least 1, sequence length at least 2".into(),
            ));
        }

        // Weights: trainable Vars, and frozen tensors (LoRA's base).
        let init_tensors = match &init_dir {
            Some(dir) => Some(checkpoint::read_tensors(
                &dir.join(checkpoint::MODEL_FILE),
                &device,
            )?),
            None => None,
        };
        let mut resume_state = resume_from.map(checkpoint::read_state).transpose()?;
        // Resuming from an earlier checkpoint: `best` may come from the abandoned steps and
        // still holds the lowest validation loss this run has seen.
        if let Some(state) = &mut resume_state
            && let Ok(best) = checkpoint::read_state(&run_dir.join("checkpoints").join("best"))
            && let Some(theirs) = best.best_val_loss
            && state.best_val_loss.is_none_or(|ours| theirs < ours)
        {
            state.best_val_loss = Some(theirs);
        }
        let (trainable, frozen) = match (&cfg.lora, &init_tensors, &resume_from) {
            (Some(lora), Some(base), from) => {
                let adapters = match from {
                    Some(dir) => vars_from(checkpoint::read_tensors(
                        &dir.join(checkpoint::ADAPTER_FILE),
                        &device,
                    )?)?,
                    None => lora
                        .init_parameters(&model_cfg, cfg.seed, &device)
                        .map_err(model_err("LoRA adapters"))?,
                };
                (adapters, base.clone())
            }
            (None, _, Some(dir)) => (
                vars_from(checkpoint::read_tensors(
                    &dir.join(checkpoint::MODEL_FILE),
                    &device,
                )?)?,
                HashMap::new(),
            ),
            (None, Some(base), None) => (vars_from(base.clone())?, HashMap::new()),
            (None, None, None) => (
                llama::init_parameters(&model_cfg, cfg.seed, &device)
                    .map_err(model_err("initial weights"))?,
                HashMap::new(),
            ),
            (Some(_), None, _) => {
                return Err(TrainError::Invalid(
                    "LoRA adapts an existing model: give --init RUN_OR_CHECKPOINT".into(),
                ));
            }
        };
        let trainable_tensors = var_tensors(&trainable);
        let model = Llama::new(
            &model_cfg,
            &Weights {
                maps: vec![&trainable_tensors, &frozen],
            },
            cfg.lora.as_ref(),
            dtype,
            &device,
        )
        .map_err(|error| TrainError::Model {
            context: "building the model (does the checkpoint match its config?)".into(),
            error,
        })?;
        let mut optimizer = AdamW::new(&trainable).map_err(model_err("optimizer"))?;
        if let (Some(dir), Some(state)) = (&resume_from, &resume_state) {
            optimizer
                .load_state(&dir.join(checkpoint::OPTIMIZER_FILE), state.step, &device)
                .map_err(|e| TrainError::Checkpoint {
                    path: dir.join(checkpoint::OPTIMIZER_FILE),
                    message: e.to_string(),
                })?;
        }

        let objective = objective::prepare(
            &objective::Prepare {
                run_dir,
                cfg: &cfg,
                tokenizer: &tokenizer,
                model_cfg: &model_cfg,
                init_tensors: init_tensors.as_ref(),
                dtype,
                device: &device,
            },
            sink,
        )?;
        let state = resume_state.unwrap_or_else(|| LoopState {
            step: 0,
            tokens: 0,
            rng: Rng::new(cfg.seed),
            epoch: 0,
            cursor: 0,
            best_val_loss: None,
            elapsed_secs: 0.0,
            stage: cfg.stage.name().to_owned(),
            val_loss: None,
        });
        let resumed_from = resume_from.as_ref().map(|_| state.step);
        let keep = resumed_from;
        let metrics = reopen_jsonl(&run_dir.join("metrics.jsonl"), keep)?;
        let samples = reopen_jsonl(&run_dir.join("samples.jsonl"), keep)?;
        let log = reopen_jsonl(&run_dir.join("log.txt"), None)?;
        Ok(Self {
            run_dir: run_dir.to_owned(),
            cfg,
            model_cfg,
            tokenizer,
            special,
            device,
            model,
            trainable,
            frozen,
            optimizer,
            objective,
            state,
            resumed_from,
            metrics,
            samples,
            log,
        })
    }

    fn log_line(&mut self, sink: &mut dyn FnMut(&Event), message: String) {
        let _ = writeln!(self.log, "[{:.1}s] {message}", self.state.elapsed_secs);
        sink(&Event::Log { message });
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            model: &self.model,
            device: &self.device,
            cfg: &self.cfg,
            pad: self.special.pad,
        }
    }

    fn val_loss(&self) -> Result<Option<f64>, TrainError> {
        self.objective.val_loss(&self.ctx())
    }

    fn sample(&mut self, sink: &mut dyn FnMut(&Event)) -> Result<(), TrainError> {
        let chat = self.cfg.stage.data_kind() != DataKind::Text;
        let prompts = self.cfg.sample_prompts.clone();
        for prompt in prompts {
            let ids = if chat {
                data::encode_prompt(
                    &self.tokenizer,
                    &[Message {
                        role: Role::User,
                        content: prompt.clone(),
                    }],
                )?
            } else {
                data::plain_prompt(&self.tokenizer, &prompt)?
            };
            let tokenizer = &self.tokenizer;
            let decode = |ids: &[u32]| tokenizer.decode(ids, true).unwrap_or_default();
            let sampling = SamplingConfig {
                stop: vec!["<|end|>".into()],
                ..self.cfg.sampling.clone()
            };
            let generation = generate::generate(
                &self.model,
                &self.device,
                &ids,
                &sampling,
                &self.special.end_ids(),
                &decode,
                &mut |_| {},
                &|| false,
            )
            .map_err(model_err("sampling"))?;
            let event = Event::Sample {
                step: self.state.step,
                prompt,
                text: generation.text,
            };
            if let Ok(line) = serde_json::to_string(&event) {
                let _ = writeln!(self.samples, "{line}");
            }
            sink(&event);
        }
        Ok(())
    }

    /// The full model to save (LoRA merged in) and, for LoRA, the adapters alone.
    fn snapshot_tensors(&self) -> Result<(TensorMap, Option<TensorMap>), TrainError> {
        let trained = var_tensors(&self.trainable);
        match &self.cfg.lora {
            Some(lora) => Ok((
                merge_lora(&self.frozen, &trained, lora).map_err(model_err("merging LoRA"))?,
                Some(trained),
            )),
            None => Ok((trained, None)),
        }
    }

    fn save_checkpoint(
        &mut self,
        sink: &mut dyn FnMut(&Event),
        best: bool,
    ) -> Result<PathBuf, TrainError> {
        let (model, adapters) = self.snapshot_tensors()?;
        let optimizer = self.optimizer.state_tensors();
        let dir = self
            .run_dir
            .join("checkpoints")
            .join(checkpoint::step_name(self.state.step));
        let snap = Snapshot {
            model: &model,
            config: &self.model_cfg,
            adapters: adapters.as_ref(),
            optimizer: &optimizer,
            state: &self.state,
        };
        match checkpoint::save(&dir, &snap) {
            Err(TrainError::NonFiniteTensor { tensor, .. }) => {
                return Err(TrainError::NonFiniteWeights {
                    step: self.state.step,
                    tensor,
                    checkpoint: checkpoint::last_finite(&self.run_dir),
                });
            }
            other => other?,
        }
        if best {
            checkpoint::save(&self.run_dir.join("checkpoints").join("best"), &snap)?;
        }
        // Keep the newest few step checkpoints; `best` is separate.
        let steps = checkpoint::list(&self.run_dir);
        let keep = self.cfg.keep_checkpoints.max(1);
        if steps.len() > keep {
            for (_, old) in &steps[..steps.len() - keep] {
                let _ = std::fs::remove_dir_all(old);
            }
        }
        sink(&Event::Checkpoint {
            step: self.state.step,
            path: dir.clone(),
            val_loss: self.state.val_loss,
            best,
        });
        Ok(dir)
    }

    fn run(
        mut self,
        sink: &mut dyn FnMut(&Event),
        stop: &AtomicBool,
    ) -> Result<Summary, TrainError> {
        let (train_items, val_items) = self.objective.counts();
        let parameters = self.model_cfg.parameter_count();
        let trainable_parameters: u64 =
            self.trainable.values().map(|v| v.elem_count() as u64).sum();
        sink(&Event::Started {
            run_dir: self.run_dir.clone(),
            stage: self.cfg.stage,
            parameters,
            trainable_parameters,
            train_items,
            val_items,
            max_steps: self.cfg.optim.max_steps as u64,
            resumed_from: self.resumed_from,
            device: self.cfg.device.clone(),
        });
        let started_msg = match self.resumed_from {
            Some(step) => format!("resumed at step {step}"),
            None => format!(
                "{} run: {parameters} parameters ({trainable_parameters} trainable), {train_items} training and {val_items} validation {}",
                self.cfg.stage.name(),
                self.objective.unit()
            ),
        };
        self.log_line(sink, started_msg);
        let max_steps = self.cfg.optim.max_steps as u64;
        write_status(
            &self.run_dir,
            &RunStatus {
                state: RunState::Running,
                pid: std::process::id(),
                step: self.state.step,
                max_steps,
                best_val_loss: self.state.best_val_loss,
                message: String::new(),
            },
        );
        let result = self.train_loop(sink, stop);
        let (state, step, best_val_loss, message) = match &result {
            Ok(summary) => (
                summary.status.into(),
                summary.step,
                summary.best_val_loss,
                String::new(),
            ),
            Err(e) => (
                RunState::Failed,
                self.state.step,
                self.state.best_val_loss,
                e.to_string(),
            ),
        };
        write_status(
            &self.run_dir,
            &RunStatus {
                state,
                pid: std::process::id(),
                step,
                max_steps,
                best_val_loss,
                message,
            },
        );
        match &result {
            Ok(summary) => {
                let message = match summary.status {
                    Status::Stopped => {
                        format!("stopped at step {}; resume with --resume", summary.step)
                    }
                    _ => format!("finished at step {}", summary.step),
                };
                self.log_line(sink, message.clone());
                sink(&Event::Finished {
                    status: summary.status,
                    step: summary.step,
                    best_val_loss: summary.best_val_loss,
                    message,
                });
            }
            Err(e) => {
                let message = e.to_string();
                self.log_line(sink, format!("failed: {message}"));
                // The backtrace goes to the log file alone: not to the window or terminal.
                if let Some(detail) = e.detail() {
                    let _ = writeln!(self.log, "{detail}");
                }
                sink(&Event::Finished {
                    status: Status::Failed,
                    step: self.state.step,
                    best_val_loss: self.state.best_val_loss,
                    message,
                });
            }
        }
        result
    }

    fn train_loop(
        &mut self,
        sink: &mut dyn FnMut(&Event),
        stop: &AtomicBool,
    ) -> Result<Summary, TrainError> {
        let cfg = self.cfg.clone();
        let max_steps = cfg.optim.max_steps as u64;
        let session_start = Instant::now();
        let elapsed_before = self.state.elapsed_secs;
        let start_step = self.state.step;
        // Training throughput: the window counts the steps' own time, not evaluation, samples
        // or checkpoints, so tokens/s does not dip at every eval step.
        let mut window_secs = 0.0f64;
        let mut window_tokens = 0u64;
        let mut last_loss = None;
        let mut last_saved = self.resumed_from;
        while self.state.step < max_steps {
            if stop.load(Ordering::Relaxed) || self.run_dir.join(STOP_FILE).exists() {
                let _ = std::fs::remove_file(self.run_dir.join(STOP_FILE));
                if last_saved != Some(self.state.step) {
                    self.save_checkpoint(sink, false)?;
                }
                return Ok(Summary {
                    status: Status::Stopped,
                    step: self.state.step,
                    best_val_loss: self.state.best_val_loss,
                    last_loss,
                });
            }
            let step_start = Instant::now();
            let lr = optim::learning_rate(&cfg.optim, self.state.step as usize);
            let accum = cfg.optim.grad_accum;
            let mut grads: HashMap<String, Tensor> = HashMap::new();
            let (mut loss_sum, mut aux_sum, mut step_tokens) = (0.0f64, None::<f64>, 0u64);
            let mut rewards = None;
            for _ in 0..accum {
                let (loss, aux, tokens, stats) = self.micro_batch()?;
                let value = f64::from(loss.to_scalar::<f32>().map_err(model_err("loss"))?);
                let aux_value = match &aux {
                    Some(a) => Some(f64::from(a.to_scalar::<f32>().map_err(model_err("loss"))?)),
                    None => None,
                };
                if !value.is_finite() || aux_value.is_some_and(|a| !a.is_finite()) {
                    return Err(self.non_finite(sink, value));
                }
                let total = match aux {
                    Some(a) => (loss + a).map_err(model_err("loss"))?,
                    None => loss,
                };
                let store = (total / accum as f64)
                    .and_then(|l| l.backward())
                    .map_err(model_err("backward pass"))?;
                optim::accumulate(&mut grads, &self.trainable, &store, 1.0)
                    .map_err(model_err("gradients"))?;
                loss_sum += value;
                aux_sum = aux_value.map(|a| aux_sum.unwrap_or(0.0) + a);
                step_tokens += tokens;
                if stats.is_some() {
                    rewards = stats;
                }
            }
            let grad_norm = AdamW::clip_gradients(&mut grads, cfg.optim.grad_clip)
                .map_err(model_err("gradient norm"))?;
            if !grad_norm.is_finite() {
                return Err(self.non_finite(sink, grad_norm));
            }
            self.optimizer
                .update(&grads, lr, &cfg.optim)
                .map_err(model_err("optimizer step"))?;
            drop(grads);
            window_secs += step_start.elapsed().as_secs_f64();
            self.state.step += 1;
            self.state.tokens += step_tokens;
            window_tokens += step_tokens;
            let loss = loss_sum / accum as f64;
            last_loss = Some(loss);
            self.state.elapsed_secs = elapsed_before + session_start.elapsed().as_secs_f64();
            let step = self.state.step;
            let done = step == max_steps;
            let mut val_loss = None;
            if (cfg.eval_every > 0 && step.is_multiple_of(cfg.eval_every as u64)) || done {
                val_loss = self.val_loss()?;
                self.state.val_loss = val_loss;
            }
            let is_best = match (val_loss, self.state.best_val_loss) {
                (Some(v), Some(b)) => v < b,
                (Some(_), None) => true,
                _ => false,
            };
            if is_best {
                self.state.best_val_loss = val_loss;
            }
            if cfg.log_every > 0
                && (step.is_multiple_of(cfg.log_every as u64) || done || val_loss.is_some())
            {
                let secs = window_secs.max(1e-9);
                let per_step =
                    session_start.elapsed().as_secs_f64() / (step - start_step).max(1) as f64;
                let metrics = Metrics {
                    step,
                    tokens: self.state.tokens,
                    loss,
                    val_loss,
                    lr,
                    grad_norm,
                    tokens_per_sec: window_tokens as f64 / secs,
                    elapsed_secs: self.state.elapsed_secs,
                    eta_secs: per_step * (max_steps - step) as f64,
                    aux_loss: aux_sum.map(|a| a / accum as f64),
                    rewards_chosen: rewards.map(|r: [f64; 4]| r[0]),
                    rewards_rejected: rewards.map(|r| r[1]),
                    reward_margin: rewards.map(|r| r[2]),
                    reward_accuracy: rewards.map(|r| r[3]),
                };
                if let Ok(line) = serde_json::to_string(&metrics) {
                    let _ = writeln!(self.metrics, "{line}");
                }
                sink(&Event::Metrics(metrics));
                window_secs = 0.0;
                window_tokens = 0;
            }
            if cfg.sample_every > 0
                && (step.is_multiple_of(cfg.sample_every as u64) || done)
                && !cfg.sample_prompts.is_empty()
            {
                self.sample(sink)?;
            }
            if is_best
                || done
                || (cfg.checkpoint_every > 0 && step.is_multiple_of(cfg.checkpoint_every as u64))
            {
                self.save_checkpoint(sink, is_best)?;
                last_saved = Some(step);
            }
        }
        Ok(Summary {
            status: Status::Finished,
            step: self.state.step,
            best_val_loss: self.state.best_val_loss,
            last_loss,
        })
    }

    /// One forward + loss on the next micro-batch: (loss, MoE aux loss, tokens, DPO stats).
    #[allow(clippy::type_complexity)]
    fn micro_batch(
        &mut self,
    ) -> Result<(Tensor, Option<Tensor>, u64, Option<[f64; 4]>), TrainError> {
        let ctx = Ctx {
            model: &self.model,
            device: &self.device,
            cfg: &self.cfg,
            pad: self.special.pad,
        };
        let batch = self.objective.micro_batch(&ctx, &mut self.state)?;
        Ok((batch.loss, batch.aux, batch.tokens, batch.rewards))
    }

    /// The loss went NaN/inf: keep the weights from before this step and say where they are.
    fn non_finite(&mut self, sink: &mut dyn FnMut(&Event), value: f64) -> TrainError {
        let step = self.state.step;
        // The update before this step may already have made the weights NaN (an infinite
        // learning rate does): then the newest finite checkpoint is the last good one.
        let checkpoint = match self.save_checkpoint(sink, false) {
            Ok(dir) => Some(dir),
            Err(TrainError::NonFiniteWeights { checkpoint, .. }) => checkpoint,
            Err(e) => return e,
        };
        TrainError::NonFinite {
            step,
            value,
            checkpoint,
        }
    }
}

/// Perplexity of a checkpoint on a text file: the mean next-token loss over the whole text in
/// context-sized windows.
pub fn evaluate(
    checkpoint_dir: &Path,
    tokenizer: &Tokenizer,
    data: &[PathBuf],
    device: &Device,
    read: &crate::corpus::read::ReadOptions,
) -> Result<Evaluation, TrainError> {
    let (model, cfg) = checkpoint::load_model(checkpoint_dir, device, DType::F32)?;
    if tokenizer.get_vocab_size(true) > cfg.vocab_size {
        return Err(TrainError::Invalid(format!(
            "wrong tokenizer/model pair: the tokenizer has {} tokens but the model has {} embedding rows",
            tokenizer.get_vocab_size(true),
            cfg.vocab_size
        )));
    }
    let tmp = tempfile::tempdir().map_err(io_err(Path::new("temporary folder")))?;
    let report = data::build_shards(
        data,
        tokenizer,
        read,
        0.0,
        tmp.path(),
        &mut |_, _| {},
        &|| false,
    )?;
    let shard = TokenShard::open(&tmp.path().join("train.tok"))?;
    let t = cfg
        .max_position_embeddings
        .min(shard.len().saturating_sub(1))
        .max(1);
    let mut total = 0.0;
    let mut count = 0u64;
    let mut start = 0;
    let mut window = Vec::with_capacity(t + 1);
    while start + 1 < shard.len() {
        let n = (t + 1).min(shard.len() - start);
        window.clear();
        shard.extend(start, n, &mut window);
        let input =
            Tensor::from_slice(&window[..n - 1], (1, n - 1), device).map_err(model_err("batch"))?;
        let targets =
            Tensor::from_slice(&window[1..], n - 1, device).map_err(model_err("batch"))?;
        let out = model
            .forward(&input, None)
            .map_err(model_err("forward pass"))?;
        let loss = ops::cross_entropy(&out.logits, &targets)
            .and_then(|l| l.to_scalar::<f32>())
            .map_err(model_err("loss"))?;
        total += f64::from(loss) * (n - 1) as f64;
        count += (n - 1) as u64;
        start += n - 1;
    }
    if count == 0 {
        return Err(TrainError::NoData(
            "the evaluation text tokenised to nothing".into(),
        ));
    }
    Ok(Evaluation {
        perplexity: (total / count as f64).exp(),
        tokens: count,
        bad_lines: report.bad_lines,
        bad_line_examples: report.bad_line_examples,
    })
}

/// What [`evaluate`] measured, with the unreadable lines it left out (reported as every
/// reader reports them).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub perplexity: f64,
    pub tokens: u64,
    pub bad_lines: u64,
    /// The first unreadable lines as `file:line: reason`.
    pub bad_line_examples: Vec<String>,
}
