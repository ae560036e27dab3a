//! What a stage learns, behind one trait: each objective prepares its data from the run folder,
//! computes the loss of its next micro-batch and its validation loss, so the loop in
//! `train/mod.rs` knows no stage. A new objective (an embedding-only stage, an evaluation-only
//! pass) is one file here and one arm in [`prepare`].

mod dpo;
mod lm;
mod sft;

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use tokenizers::Tokenizer;

use super::checkpoint::LoopState;
use super::data::{self, Sequence};
use super::{Event, RunConfig, TensorMap, TrainError, model_err};
use crate::domain::DataKind;
use crate::model::{Llama, ModelConfig};

pub use self::dpo::Dpo;
pub use self::lm::Lm;
pub use self::sft::Sft;

/// One micro-batch's result.
pub struct MicroBatch {
    pub loss: Tensor,
    /// The mixture-of-experts balance loss, added to `loss` for the backward pass.
    pub aux: Option<Tensor>,
    pub tokens: u64,
    /// DPO's rewards: chosen, rejected, margin, accuracy.
    pub rewards: Option<[f64; 4]>,
}

/// What an objective sees of the trainer on each call.
pub struct Ctx<'a> {
    pub model: &'a Llama,
    pub device: &'a Device,
    pub cfg: &'a RunConfig,
    pub pad: u32,
}

impl Ctx<'_> {
    fn ids_tensor(&self, ids: Vec<u32>, b: usize, t: usize) -> Result<Tensor, TrainError> {
        Tensor::from_vec(ids, (b, t), self.device).map_err(model_err("batch"))
    }

    /// Loss of one batch of sequences through the model (+ the MoE balance loss); `train`: a
    /// backward pass follows (the head then computes its gradients as it goes).
    fn lm_loss(
        &self,
        ids: Vec<u32>,
        targets: &[u32],
        b: usize,
        t: usize,
        train: bool,
    ) -> Result<(Tensor, Option<Tensor>), TrainError> {
        let input = self.ids_tensor(ids, b, t)?;
        if train {
            self.model.train_loss(&input, targets)
        } else {
            self.model.loss(&input, targets)
        }
        .map_err(model_err("forward pass"))
    }
}

/// A training objective: its prepared data and its losses.
pub trait Objective {
    /// Training and validation items (tokens for text, examples otherwise).
    fn counts(&self) -> (u64, u64);
    /// What [`Objective::counts`] counts, for the run's first log line.
    fn unit(&self) -> &'static str;
    /// The loss of the next micro-batch, advancing the data position in `state`.
    fn micro_batch(&self, ctx: &Ctx<'_>, state: &mut LoopState) -> Result<MicroBatch, TrainError>;
    /// The validation loss, or `None` when there is no validation data.
    fn val_loss(&self, ctx: &Ctx<'_>) -> Result<Option<f64>, TrainError>;
}

/// What preparing an objective may use: the run folder, the configuration, the starting
/// weights (DPO's frozen reference) and the sink for progress.
pub struct Prepare<'a> {
    pub run_dir: &'a Path,
    pub cfg: &'a RunConfig,
    pub tokenizer: &'a Tokenizer,
    pub model_cfg: &'a ModelConfig,
    pub init_tensors: Option<&'a TensorMap>,
    pub dtype: DType,
    pub device: &'a Device,
}

/// The objective of the run's stage, its data read from the run folder.
pub fn prepare(
    p: &Prepare<'_>,
    sink: &mut dyn FnMut(&Event),
) -> Result<Box<dyn Objective>, TrainError> {
    Ok(match p.cfg.stage.data_kind() {
        DataKind::Text => Box::new(Lm::prepare(p, sink)?),
        DataKind::Conversations => Box::new(Sft::prepare(p)?),
        DataKind::Pairs => Box::new(Dpo::prepare(p)?),
    })
}

/// The indices of the next `b` examples of `n` in this epoch's seeded order, moving the
/// position in `state` (a resumed run whose data shrank starts the epoch over rather than index
/// past the end).
fn next_indices(n: usize, cfg: &RunConfig, state: &mut LoopState) -> Vec<usize> {
    let b = cfg.optim.batch_size;
    let mut picked = Vec::with_capacity(b);
    if n == 0 {
        return picked;
    }
    if state.cursor as usize >= n {
        state.cursor = 0;
    }
    let mut order = data::epoch_order(n, cfg.seed, state.epoch);
    for _ in 0..b {
        picked.push(order[state.cursor as usize]);
        state.cursor += 1;
        if state.cursor as usize >= n {
            state.cursor = 0;
            state.epoch += 1;
            order = data::epoch_order(n, cfg.seed, state.epoch);
        }
    }
    picked
}

/// Input tokens of a batch of sequences.
fn token_count(seqs: &[Sequence]) -> u64 {
    seqs.iter().map(|s| s.ids.len() as u64).sum()
}
