//! Checkpoints: a folder per step with the model (safetensors + config JSON), the optimizer's
//! moments and the loop's state. A checkpoint is written beside its final name and renamed into
//! place, so a killed process leaves either the old one or the new one, never half of one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use serde::{Deserialize, Serialize};

use super::TrainError;
use crate::model::rng::Rng;
use crate::model::{Llama, ModelConfig, Weights};

pub const MODEL_FILE: &str = "model.safetensors";
pub const CONFIG_FILE: &str = "config.json";
pub const OPTIMIZER_FILE: &str = "optimizer.safetensors";
pub const ADAPTER_FILE: &str = "adapter.safetensors";
pub const STATE_FILE: &str = "state.json";

/// Where the loop was: enough to continue exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopState {
    pub step: u64,
    pub tokens: u64,
    /// The data sampler's generator (pretraining windows).
    pub rng: Rng,
    /// Example order position (SFT/DPO): epoch and index within it.
    pub epoch: u64,
    pub cursor: u64,
    pub best_val_loss: Option<f64>,
    pub elapsed_secs: f64,
    pub stage: String,
    pub val_loss: Option<f64>,
}

/// Everything one checkpoint holds.
pub struct Snapshot<'a> {
    pub model: &'a HashMap<String, Tensor>,
    pub config: &'a ModelConfig,
    pub adapters: Option<&'a HashMap<String, Tensor>>,
    pub optimizer: &'a HashMap<String, Tensor>,
    pub state: &'a LoopState,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_owned(),
        source,
    }
}

fn ckpt_err(path: &Path, e: impl std::fmt::Display) -> TrainError {
    TrainError::Checkpoint {
        path: path.to_owned(),
        message: e.to_string(),
    }
}

pub fn step_name(step: u64) -> String {
    format!("step-{step:07}")
}

/// The first tensor (in name order) that holds a NaN or an infinity, if any. `x - x` is zero for
/// every finite value and NaN otherwise, so one subtraction and one sum per tensor say it on any
/// device and in any precision.
pub fn first_non_finite(
    tensors: &HashMap<String, Tensor>,
) -> Result<Option<String>, candle_core::Error> {
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    for name in names {
        let t = &tensors[name];
        if !t.dtype().is_float() {
            continue;
        }
        let probe = t
            .sub(t)?
            .to_dtype(candle_core::DType::F32)?
            .sum_all()?
            .to_scalar::<f32>()?;
        if !probe.is_finite() {
            return Ok(Some(name.clone()));
        }
    }
    Ok(None)
}

/// Refuses weights with a NaN or an infinity in them, naming the file and the first tensor.
fn check_finite(path: &Path, tensors: &HashMap<String, Tensor>) -> Result<(), TrainError> {
    match first_non_finite(tensors).map_err(|e| ckpt_err(path, e))? {
        None => Ok(()),
        Some(tensor) => Err(TrainError::NonFiniteTensor {
            path: path.to_owned(),
            tensor,
        }),
    }
}

/// Writes the checkpoint to `dir` (replacing one already there) atomically. Weights, adapters
/// and optimizer moments with a NaN or an infinity are refused before anything is written: a
/// checkpoint on disk always holds finite numbers.
pub fn save(dir: &Path, snap: &Snapshot) -> Result<(), TrainError> {
    check_finite(&dir.join(MODEL_FILE), snap.model)?;
    if let Some(adapters) = snap.adapters {
        check_finite(&dir.join(ADAPTER_FILE), adapters)?;
    }
    check_finite(&dir.join(OPTIMIZER_FILE), snap.optimizer)?;
    let parent = dir.parent().unwrap_or_else(|| Path::new("."));
    // Sweeps the temps of killed runs from `checkpoints/` too.
    let tmp_dir = crate::tmpfile::TempDir::create(dir).map_err(io(parent))?;
    let tmp = tmp_dir.path();
    let write = || -> Result<(), TrainError> {
        let model = tmp.join(MODEL_FILE);
        candle_core::safetensors::save(snap.model, &model).map_err(|e| ckpt_err(&model, e))?;
        if let Some(adapters) = snap.adapters {
            let path = tmp.join(ADAPTER_FILE);
            candle_core::safetensors::save(adapters, &path).map_err(|e| ckpt_err(&path, e))?;
        }
        let opt = tmp.join(OPTIMIZER_FILE);
        candle_core::safetensors::save(snap.optimizer, &opt).map_err(|e| ckpt_err(&opt, e))?;
        let cfg = tmp.join(CONFIG_FILE);
        let json = serde_json::to_vec_pretty(snap.config).map_err(|e| ckpt_err(&cfg, e))?;
        crate::write_atomic(&cfg, &json).map_err(io(&cfg))?;
        let state = tmp.join(STATE_FILE);
        let json = serde_json::to_vec_pretty(snap.state).map_err(|e| ckpt_err(&state, e))?;
        crate::write_atomic(&state, &json).map_err(io(&state))?;
        for file in [MODEL_FILE, OPTIMIZER_FILE] {
            let p = tmp.join(file);
            std::fs::File::open(&p)
                .and_then(|f| f.sync_all())
                .map_err(io(&p))?;
        }
        Ok(())
    };
    write()?;
    tmp_dir.persist(dir).map_err(io(dir))
}

/// Step checkpoints of a run, oldest first.
pub fn list(run_dir: &Path) -> Vec<(u64, PathBuf)> {
    let dir = run_dir.join("checkpoints");
    let mut out: Vec<(u64, PathBuf)> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let step = name.strip_prefix("step-")?.parse().ok()?;
            e.path()
                .join(STATE_FILE)
                .is_file()
                .then(|| (step, e.path()))
        })
        .collect();
    out.sort();
    out
}

/// A checkpoint folder from what a user typed: a checkpoint folder itself, or a run folder with
/// `best`, `last` or a step number.
pub fn resolve(path: &Path, which: &str) -> Result<PathBuf, TrainError> {
    if path.join(MODEL_FILE).is_file() && path.join(CONFIG_FILE).is_file() {
        return Ok(path.to_owned());
    }
    let steps = list(path);
    let best = path.join("checkpoints").join("best");
    let found = match which {
        "best" => Some(best.clone())
            .filter(|b| b.join(MODEL_FILE).is_file())
            .or_else(|| steps.last().map(|(_, p)| p.clone())),
        "last" | "" => steps.last().map(|(_, p)| p.clone()),
        n => n
            .parse::<u64>()
            .ok()
            .and_then(|n| steps.iter().find(|(s, _)| *s == n).map(|(_, p)| p.clone())),
    };
    found.ok_or_else(|| {
        ckpt_err(
            path,
            format!(
                "no checkpoint {which:?} (found: {})",
                if steps.is_empty() {
                    "none".to_owned()
                } else {
                    steps
                        .iter()
                        .map(|(s, _)| s.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        )
    })
}

pub fn read_config(dir: &Path) -> Result<ModelConfig, TrainError> {
    let path = dir.join(CONFIG_FILE);
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    let cfg: ModelConfig = serde_json::from_str(&text).map_err(|e| ckpt_err(&path, e))?;
    cfg.validate().map_err(|e| ckpt_err(&path, e))?;
    Ok(cfg)
}

pub fn read_state(dir: &Path) -> Result<LoopState, TrainError> {
    let path = dir.join(STATE_FILE);
    let text = std::fs::read_to_string(&path).map_err(io(&path))?;
    serde_json::from_str(&text).map_err(|e| ckpt_err(&path, e))
}

/// Loads tensors from a safetensors file, naming it when it is damaged or holds a NaN or an
/// infinity (such weights generate garbage and export as garbage).
pub fn read_tensors(path: &Path, device: &Device) -> Result<HashMap<String, Tensor>, TrainError> {
    if !path.is_file() {
        return Err(ckpt_err(path, "missing"));
    }
    let tensors = candle_core::safetensors::load(path, device)
        .map_err(|e| ckpt_err(path, format!("not a readable safetensors file: {e}")))?;
    check_finite(path, &tensors)?;
    Ok(tensors)
}

/// The newest step checkpoint of a run whose weights are all finite: where a run that went
/// NaN or infinite can go on from.
pub fn last_finite(run_dir: &Path) -> Option<PathBuf> {
    list(run_dir).into_iter().rev().find_map(|(_, dir)| {
        read_tensors(&dir.join(MODEL_FILE), &Device::Cpu)
            .is_ok()
            .then_some(dir)
    })
}

/// A ready model from a checkpoint folder, for generation and evaluation.
pub fn load_model(
    dir: &Path,
    device: &Device,
    dtype: candle_core::DType,
) -> Result<(Llama, ModelConfig), TrainError> {
    let cfg = read_config(dir)?;
    let model_path = dir.join(MODEL_FILE);
    let tensors = read_tensors(&model_path, device)?;
    let model = Llama::new(
        &cfg,
        &Weights {
            maps: vec![&tensors],
        },
        None,
        dtype,
        device,
    )
    .map_err(|e| ckpt_err(&model_path, e))?;
    Ok((model, cfg))
}

/// The `tokenizer.json` a checkpoint was trained with: the run folder's copy, found in or up to
/// two levels above the checkpoint folder.
pub fn tokenizer_path(dir: &Path) -> Result<PathBuf, TrainError> {
    dir.ancestors()
        .take(3)
        .map(|p| p.join("tokenizer.json"))
        .find(|p| p.is_file())
        .ok_or_else(|| ckpt_err(dir, "no tokenizer.json in or above it"))
}
