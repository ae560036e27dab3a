//! Next-token prediction on plain text (pretraining and continued pretraining): random
//! windows of the tokenised corpus, which is tokenised once into the run folder.

use super::{Ctx, MicroBatch, Objective, Prepare};
use crate::model::rng::Rng;
use crate::train::checkpoint::LoopState;
use crate::train::data::{self, TokenShard};
use crate::train::{Event, TrainError, model_err};

pub struct Lm {
    train: TokenShard,
    val: TokenShard,
}

impl Lm {
    /// Tokenises the data into `RUN/data/{train,val}.tok` unless an earlier start did.
    pub fn prepare(p: &Prepare<'_>, sink: &mut dyn FnMut(&Event)) -> Result<Self, TrainError> {
        let cfg = p.cfg;
        let dir = p.run_dir.join("data");
        let (train_path, val_path) = (dir.join("train.tok"), dir.join("val.tok"));
        if !(train_path.is_file() && val_path.is_file()) {
            let report = data::build_shards(
                &cfg.data,
                p.tokenizer,
                &data::read_options(cfg),
                cfg.val_fraction,
                &dir,
                &mut |done, total| {
                    sink(&Event::Preparing {
                        done_bytes: done,
                        total_bytes: total,
                    });
                },
                &|| false,
            )?;
            if report.bad_lines > 0 {
                sink(&Event::BadLines {
                    count: report.bad_lines,
                    first: report.bad_line_examples,
                });
            }
        }
        let train = TokenShard::open(&train_path)?;
        let val = TokenShard::open(&val_path)?;
        if train.len() < 2 {
            return Err(TrainError::NoData(format!(
                "{} tokenised to {} tokens",
                cfg.data[0].display(),
                train.len()
            )));
        }
        Ok(Self { train, val })
    }
}

impl Objective for Lm {
    fn counts(&self) -> (u64, u64) {
        (self.train.len() as u64, self.val.len() as u64)
    }

    fn unit(&self) -> &'static str {
        "tokens"
    }

    fn micro_batch(&self, ctx: &Ctx<'_>, state: &mut LoopState) -> Result<MicroBatch, TrainError> {
        let (b, t) = (ctx.cfg.optim.batch_size, ctx.cfg.optim.seq_len);
        let (ids, targets) = data::window_batch(&self.train, b, t, &mut state.rng)?;
        let (loss, aux) = ctx.lm_loss(ids, &targets, b, t, true)?;
        Ok(MicroBatch {
            loss,
            aux,
            tokens: (b * t) as u64,
            rewards: None,
        })
    }

    fn val_loss(&self, ctx: &Ctx<'_>) -> Result<Option<f64>, TrainError> {
        let cfg = ctx.cfg;
        let (b, t) = (cfg.optim.batch_size, cfg.optim.seq_len);
        if self.val.len() < 2 {
            return Ok(None);
        }
        let mut rng = Rng::new(cfg.seed ^ 0xE7A1);
        let mut total = 0.0;
        for _ in 0..cfg.eval_batches.max(1) {
            let (ids, targets) = data::window_batch(&self.val, b, t, &mut rng)?;
            let (loss, _) = ctx.lm_loss(ids, &targets, b, t, false)?;
            total += f64::from(loss.to_scalar::<f32>().map_err(model_err("loss"))?);
        }
        Ok(Some(total / cfg.eval_batches.max(1) as f64))
    }
}
