//! Differentiable building blocks of the model. Placeholder compositions of plain candle ops;
//! replaced by fused CPU kernels with backward passes.

use candle_core::{D, DType, Result, Tensor};

/// Target id that the loss skips (prompt tokens in SFT, padding).
pub const IGNORE: u32 = u32::MAX;

pub fn causal_softmax(scores: &Tensor, scale: f64) -> Result<Tensor> {
    let (_, _, t, s) = scores.dims4()?;
    let mask: Vec<f32> = (0..t)
        .flat_map(|i| {
            (0..s).map(move |j| {
                if j <= s - t + i {
                    0.0
                } else {
                    f32::NEG_INFINITY
                }
            })
        })
        .collect();
    let mask = Tensor::from_vec(mask, (t, s), scores.device())?.to_dtype(scores.dtype())?;
    let x = (scores * scale)?.broadcast_add(&mask)?;
    let max = x.max_keepdim(D::Minus1)?;
    let e = x.broadcast_sub(&max)?.exp()?;
    e.broadcast_div(&e.sum_keepdim(D::Minus1)?)
}

pub fn rms_norm(x: &Tensor, weight: &Tensor, eps: f64) -> Result<Tensor> {
    let dtype = x.dtype();
    let xf = x.to_dtype(DType::F32)?;
    let norm = (xf.sqr()?.mean_keepdim(D::Minus1)? + eps)?.sqrt()?;
    xf.broadcast_div(&norm)?
        .to_dtype(dtype)?
        .broadcast_mul(weight)
}

pub fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    let d = x.dim(D::Minus1)?;
    let cos = Tensor::cat(&[cos, cos], D::Minus1)?.to_dtype(x.dtype())?;
    let sin = Tensor::cat(&[sin, sin], D::Minus1)?.to_dtype(x.dtype())?;
    let x1 = x.narrow(D::Minus1, 0, d / 2)?;
    let x2 = x.narrow(D::Minus1, d / 2, d / 2)?;
    let rotated = Tensor::cat(&[&x2.neg()?, &x1], D::Minus1)?;
    x.broadcast_mul(&cos)? + rotated.broadcast_mul(&sin)?
}

pub fn silu_mul(gate: &Tensor, up: &Tensor) -> Result<Tensor> {
    gate.silu()? * up
}

fn masked_logprobs(logits: &Tensor, targets: &Tensor) -> Result<(Tensor, Tensor)> {
    let logits = logits.to_dtype(DType::F32)?;
    let keep = targets.ne(IGNORE)?;
    let safe = keep.where_cond(targets, &targets.zeros_like()?)?;
    let logp = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
    let picked = logp.gather(&safe.unsqueeze(1)?, 1)?.squeeze(1)?;
    let keep = keep.to_dtype(DType::F32)?;
    Ok(((picked * &keep)?, keep))
}

pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let (picked, keep) = masked_logprobs(logits, targets)?;
    let count = keep.sum_all()?.to_scalar::<f32>()?.max(1.0);
    picked.sum_all()?.neg()? / f64::from(count)
}

pub fn token_logprobs(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    Ok(masked_logprobs(logits, targets)?.0)
}
