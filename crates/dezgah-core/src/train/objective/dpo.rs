//! Direct preference optimisation: each pair's chosen and rejected answers scored by the
//! policy against a frozen copy of the starting model, read from the run folder's
//! `data/dpo.jsonl`.

use candle_core::{D, DType, Tensor};

use super::{Ctx, MicroBatch, Objective, Prepare, next_indices, token_count};
use crate::domain::{Message, Role};
use crate::model::{Llama, Weights, ops};
use crate::train::checkpoint::LoopState;
use crate::train::data::{self, Sequence};
use crate::train::{TrainError, model_err};

pub struct Dpo {
    train: Vec<(Sequence, Sequence)>,
    val: Vec<(Sequence, Sequence)>,
    /// The starting model, frozen.
    reference: Llama,
}

impl Dpo {
    pub fn prepare(p: &Prepare<'_>) -> Result<Self, TrainError> {
        let cfg = p.cfg;
        let base = p
            .init_tensors
            .ok_or_else(|| TrainError::Invalid("DPO needs a reference model".into()))?;
        let reference = Llama::new(
            p.model_cfg,
            &Weights { maps: vec![base] },
            None,
            p.dtype,
            p.device,
        )
        .map_err(model_err("reference model"))?;
        let max_len = cfg.optim.seq_len;
        let pairs = data::run_pairs(p.run_dir, cfg)?;
        let mut seqs = Vec::with_capacity(pairs.len());
        for pair in &pairs {
            let answer = |text: &str| {
                let mut conv = pair.prompt.clone();
                conv.push(Message {
                    role: Role::Assistant,
                    content: text.to_owned(),
                });
                data::encode_chat(p.tokenizer, &conv, max_len)
            };
            let (c, r) = (answer(&pair.chosen)?, answer(&pair.rejected)?);
            if c.trained_tokens() > 0 && r.trained_tokens() > 0 {
                seqs.push((c, r));
            }
        }
        if seqs.is_empty() {
            return Err(TrainError::NoData(
                "no preference pair with both answers within the sequence length".into(),
            ));
        }
        let (train, val) = data::split_examples(seqs, cfg.val_fraction, cfg.seed);
        Ok(Self {
            train,
            val,
            reference,
        })
    }

    /// Summed log-probabilities of each sequence's trained tokens: (rows) f32.
    fn sequence_logps(
        model: &Llama,
        input: &Tensor,
        targets: &Tensor,
        b: usize,
        t: usize,
    ) -> Result<Tensor, candle_core::Error> {
        let out = model.forward(input, None)?;
        ops::token_logprobs(&out.logits, targets)?
            .reshape((b, t))?
            .sum(D::Minus1)
    }

    /// DPO on 2·B rows (chosen first): the loss and the reward statistics.
    fn dpo_loss(&self, ctx: &Ctx<'_>, seqs: &[Sequence]) -> Result<(Tensor, [f64; 4]), TrainError> {
        let refs: Vec<&Sequence> = seqs.iter().collect();
        let (ids, targets, t) = data::pad_batch(&refs, ctx.pad);
        let rows = seqs.len();
        let half = rows / 2;
        let input = ctx.ids_tensor(ids, rows, t)?;
        let targets =
            Tensor::from_vec(targets, rows * t, ctx.device).map_err(model_err("batch"))?;
        let policy = Self::sequence_logps(ctx.model, &input, &targets, rows, t)
            .map_err(model_err("policy forward pass"))?;
        let reference = Self::sequence_logps(&self.reference, &input, &targets, rows, t)
            .and_then(|r| r.detach().to_dtype(DType::F32))
            .map_err(model_err("reference forward pass"))?;
        let beta = ctx.cfg.dpo_beta;
        let compute = || -> Result<(Tensor, [f64; 4]), candle_core::Error> {
            let ratio = (policy - reference)?;
            let chosen = (ratio.narrow(0, 0, half)? * beta)?;
            let rejected = (ratio.narrow(0, half, half)? * beta)?;
            let z = (&chosen - &rejected)?;
            // -log σ(z) = softplus(-z) = relu(-z) + log(1 + exp(-|z|)).
            let neg = z.neg()?;
            let loss = (neg.relu()? + ((z.abs()?.neg()?.exp()? + 1.0)?.log()?))?.mean_all()?;
            let c: Vec<f32> = chosen.to_vec1()?;
            let r: Vec<f32> = rejected.to_vec1()?;
            let n = c.len().max(1) as f64;
            let mean = |v: &[f32]| v.iter().map(|x| f64::from(*x)).sum::<f64>() / n;
            let accuracy = c.iter().zip(&r).filter(|(a, b)| a > b).count() as f64 / n;
            let (mc, mr) = (mean(&c), mean(&r));
            Ok((loss, [mc, mr, mc - mr, accuracy]))
        };
        compute().map_err(model_err("DPO loss"))
    }
}

impl Objective for Dpo {
    fn counts(&self) -> (u64, u64) {
        (self.train.len() as u64, self.val.len() as u64)
    }

    fn unit(&self) -> &'static str {
        "examples"
    }

    /// The chosen answers of the next pairs, then the rejected ones, pair by pair.
    fn micro_batch(&self, ctx: &Ctx<'_>, state: &mut LoopState) -> Result<MicroBatch, TrainError> {
        let picked = next_indices(self.train.len(), ctx.cfg, state);
        let mut seqs = Vec::with_capacity(picked.len() * 2);
        seqs.extend(picked.iter().map(|&i| self.train[i].0.clone()));
        seqs.extend(picked.iter().map(|&i| self.train[i].1.clone()));
        let tokens = token_count(&seqs);
        let (loss, rewards) = self.dpo_loss(ctx, &seqs)?;
        Ok(MicroBatch {
            loss,
            aux: None,
            tokens,
            rewards: Some(rewards),
        })
    }

    fn val_loss(&self, ctx: &Ctx<'_>) -> Result<Option<f64>, TrainError> {
        if self.val.is_empty() {
            return Ok(None);
        }
        let mut total = 0.0;
        let mut batches = 0usize;
        for chunk in self.val.chunks(ctx.cfg.optim.batch_size) {
            let seqs: Vec<Sequence> = chunk
                .iter()
                .map(|p| p.0.clone())
                .chain(chunk.iter().map(|p| p.1.clone()))
                .collect();
            let (loss, _) = self.dpo_loss(ctx, &seqs)?;
            total += f64::from(loss.to_scalar::<f32>().map_err(model_err("loss"))?);
            batches += 1;
        }
        Ok(Some(total / batches.max(1) as f64))
    }
}
