//! Supervised finetuning: conversations whose loss covers the assistant's tokens only, read
//! from the run folder's `data/sft.jsonl`.

use super::{Ctx, MicroBatch, Objective, Prepare, next_indices, token_count};
use crate::train::checkpoint::LoopState;
use crate::train::data::{self, Sequence};
use crate::train::{TrainError, model_err};

pub struct Sft {
    train: Vec<Sequence>,
    val: Vec<Sequence>,
}

impl Sft {
    pub fn prepare(p: &Prepare<'_>) -> Result<Self, TrainError> {
        let cfg = p.cfg;
        let max_len = cfg.optim.seq_len;
        let convs = data::run_conversations(p.run_dir, cfg)?;
        let mut seqs = Vec::with_capacity(convs.len());
        for conv in &convs {
            let seq = data::encode_chat(p.tokenizer, conv, max_len)?;
            if seq.trained_tokens() > 0 {
                seqs.push(seq);
            }
        }
        if seqs.is_empty() {
            return Err(TrainError::NoData(
                "no SFT example with an assistant answer within the sequence length".into(),
            ));
        }
        let (train, val) = data::split_examples(seqs, cfg.val_fraction, cfg.seed);
        Ok(Self { train, val })
    }
}

impl Objective for Sft {
    fn counts(&self) -> (u64, u64) {
        (self.train.len() as u64, self.val.len() as u64)
    }

    fn unit(&self) -> &'static str {
        "examples"
    }

    fn micro_batch(&self, ctx: &Ctx<'_>, state: &mut LoopState) -> Result<MicroBatch, TrainError> {
        let seqs: Vec<Sequence> = next_indices(self.train.len(), ctx.cfg, state)
            .into_iter()
            .map(|i| self.train[i].clone())
            .collect();
        let refs: Vec<&Sequence> = seqs.iter().collect();
        let (ids, targets, t) = data::pad_batch(&refs, ctx.pad);
        let tokens = token_count(&seqs);
        let (loss, aux) = ctx.lm_loss(ids, &targets, seqs.len(), t, true)?;
        Ok(MicroBatch {
            loss,
            aux,
            tokens,
            rewards: None,
        })
    }

    fn val_loss(&self, ctx: &Ctx<'_>) -> Result<Option<f64>, TrainError> {
        if self.val.is_empty() {
            return Ok(None);
        }
        let b = ctx.cfg.optim.batch_size;
        let (mut weighted, mut count) = (0.0, 0usize);
        for chunk in self.val.chunks(b) {
            let refs: Vec<&Sequence> = chunk.iter().collect();
            let n: usize = chunk.iter().map(Sequence::trained_tokens).sum();
            let (ids, targets, t) = data::pad_batch(&refs, ctx.pad);
            let (loss, _) = ctx.lm_loss(ids, &targets, chunk.len(), t, false)?;
            weighted += f64::from(loss.to_scalar::<f32>().map_err(model_err("loss"))?) * n as f64;
            count += n;
        }
        Ok(Some(weighted / count.max(1) as f64))
    }
}
