//! A run's whole configuration: what `config.toml` in the run folder holds, what the GUI's form
//! fills in and what `dezgah train --config` reads. Every field has a default, so a config file
//! names only what differs.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::generate::SamplingConfig;
use crate::model::{LoraConfig, ModelConfig, Preset};

pub use crate::domain::Stage;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptimConfig {
    pub lr: f64,
    /// The cosine schedule ends at `lr · min_lr_ratio`.
    pub min_lr_ratio: f64,
    pub warmup_steps: usize,
    pub max_steps: usize,
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Global gradient-norm clip; 0 turns it off.
    pub grad_clip: f64,
    /// Sequences per micro-batch.
    pub batch_size: usize,
    /// Micro-batches summed into one optimizer step.
    pub grad_accum: usize,
    /// Tokens per sequence (at most the model's context).
    pub seq_len: usize,
}

impl Default for OptimConfig {
    fn default() -> Self {
        Self {
            lr: 6e-4,
            min_lr_ratio: 0.1,
            warmup_steps: 20,
            max_steps: 200,
            weight_decay: 0.1,
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            grad_clip: 1.0,
            batch_size: 16,
            grad_accum: 1,
            seq_len: 128,
        }
    }
}

impl OptimConfig {
    /// Per-stage defaults: finetunes take smaller steps than pretraining.
    pub fn for_stage(stage: Stage) -> Self {
        let base = Self::default();
        match stage {
            Stage::Pretrain => base,
            Stage::Continue => Self { lr: 3e-4, ..base },
            Stage::Sft => Self {
                lr: 1e-4,
                warmup_steps: 10,
                weight_decay: 0.0,
                batch_size: 8,
                ..base
            },
            Stage::Dpo => Self {
                lr: 5e-6,
                warmup_steps: 5,
                weight_decay: 0.0,
                batch_size: 4,
                min_lr_ratio: 1.0,
                ..base
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunConfig {
    pub stage: Stage,
    /// Pretraining text (any corpus file), TRL `messages` JSONL for SFT, TRL
    /// `prompt/chosen/rejected` JSONL for DPO, or a workspace folder (its ready SFT examples, or
    /// its rated preference pairs).
    pub data: Vec<PathBuf>,
    pub tokenizer: PathBuf,
    /// A run folder or a checkpoint folder to start from (continue, SFT, DPO).
    pub init: Option<PathBuf>,
    /// A preset name; ignored when `model` is given.
    pub preset: String,
    /// Fully custom sizes; `vocab_size` follows the tokenizer when 0.
    pub model: Option<ModelConfig>,
    pub device: String,
    /// Compute precision: f32, bf16 or f16 (weights and optimizer stay f32).
    pub dtype: String,
    pub seed: u64,
    pub optim: OptimConfig,
    /// Share of pretraining documents held out for validation.
    pub val_fraction: f64,
    /// JSONL field with the text, for pretraining data.
    pub text_field: String,
    /// What to do with pretraining lines that cannot be read (skip, repair or fail).
    pub bad_lines: crate::corpus::read::BadLines,
    pub log_every: usize,
    pub eval_every: usize,
    pub eval_batches: usize,
    pub sample_every: usize,
    pub checkpoint_every: usize,
    /// Step checkpoints kept besides `best`.
    pub keep_checkpoints: usize,
    pub sample_prompts: Vec<String>,
    pub sampling: SamplingConfig,
    /// SFT only: train adapters instead of all weights.
    pub lora: Option<LoraConfig>,
    /// DPO's β: how far the policy may move from the reference.
    pub dpo_beta: f64,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            stage: Stage::Pretrain,
            data: Vec::new(),
            tokenizer: PathBuf::new(),
            init: None,
            preset: Preset::Tiny.name().to_owned(),
            model: None,
            device: "cpu".into(),
            dtype: "f32".into(),
            seed: 1234,
            optim: OptimConfig::default(),
            val_fraction: 0.05,
            text_field: "text".into(),
            bad_lines: crate::corpus::read::BadLines::Skip,
            log_every: 1,
            eval_every: 50,
            eval_batches: 8,
            sample_every: 100,
            checkpoint_every: 100,
            keep_checkpoints: 2,
            sample_prompts: vec!["Azərbaycan Respublikası".into(), "Bu gün".into()],
            sampling: SamplingConfig {
                max_tokens: 40,
                ..SamplingConfig::default()
            },
            lora: None,
            dpo_beta: 0.1,
        }
    }
}

impl RunConfig {
    pub fn for_stage(stage: Stage) -> Self {
        Self {
            stage,
            optim: OptimConfig::for_stage(stage),
            ..Self::default()
        }
    }

    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string_pretty(self)
    }

    /// Parses a config file, refusing an unknown key (a misspelt setting would otherwise be
    /// ignored) and a value out of its range, naming the file and line.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, super::TrainError> {
        let config = |message| super::TrainError::Config {
            path: path.to_owned(),
            message,
        };
        let cfg: Self = toml::from_str(text)
            .map_err(|e| config(crate::toml_text::toml_message(text, e.message(), e.span())))?;
        if let Some(message) = unknown_run_key(text) {
            return Err(config(message));
        }
        cfg.validate().map_err(|e| config(e.in_text(text)))?;
        Ok(cfg)
    }

    /// The model shape: the custom one, else the preset's, with the tokenizer's vocabulary.
    pub fn model_config(&self, vocab_size: usize) -> Result<ModelConfig, String> {
        let mut cfg = match &self.model {
            Some(m) => m.clone(),
            None => Preset::from_name(&self.preset)
                .ok_or_else(|| {
                    format!(
                        "unknown preset {:?}; presets: {}",
                        self.preset,
                        Preset::ALL.map(Preset::name).join(", ")
                    )
                })?
                .config(vocab_size),
        };
        if cfg.vocab_size == 0 {
            cfg.vocab_size = vocab_size;
        }
        cfg.validate()?;
        Ok(cfg)
    }
}

/// The first key of a run config file that [`RunConfig`] does not know, as a message naming it,
/// its line and the keys its table knows; `None` when all are known (or the text is not TOML,
/// which the parse reports).
pub fn unknown_run_key(text: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(text).ok()?;
    // Every optional table filled in, so that its keys are known too.
    let full = RunConfig {
        init: Some(std::path::PathBuf::new()),
        model: Some(crate::model::Preset::Tiny.config(0)),
        lora: Some(crate::model::LoraConfig::default()),
        ..RunConfig::default()
    };
    let known = serde_json::to_value(&full).ok()?;
    crate::toml_text::unknown_in(&table, &known, "", text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_round_trips_through_toml_and_fills_defaults() {
        let mut cfg = RunConfig::for_stage(Stage::Sft);
        cfg.data = vec!["a.jsonl".into()];
        cfg.lora = Some(LoraConfig::default());
        let text = cfg.to_toml().expect("toml");
        let back = RunConfig::from_toml(&text, Path::new("run.toml")).expect("parse");
        assert_eq!(back, cfg);
        let short =
            RunConfig::from_toml("stage = \"dpo\"\n[optim]\nmax_steps = 3\n", Path::new("x"))
                .expect("short");
        assert_eq!(short.stage, Stage::Dpo);
        assert_eq!(short.optim.max_steps, 3);
        assert_eq!(short.optim.batch_size, 16);
        let bad =
            RunConfig::from_toml("stage = \"fly\"", Path::new("bad.toml")).expect_err("bad stage");
        assert!(bad.to_string().contains("bad.toml"), "{bad}");
    }
}
