//! Fused, differentiable tensor ops for training.
//!
//! candle's own fused CPU kernels (softmax, rms-norm, rope) have no backward pass, and building
//! the same maths from elementwise ops walks memory many times per step. On CPU with `f32` these
//! functions run single-pass kernels (rows in parallel with rayon) wrapped in `CustomOp`s that
//! carry their own backward. On any other device or dtype they fall back to an equivalent
//! composition of ordinary candle ops, which candle differentiates itself.
#![allow(
    clippy::many_single_char_names,
    clippy::similar_names,
    reason = "kernels use the maths' own names: x, g, w, t, d, sin/sign"
)]

use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, CustomOp3, D, DType, Layout, Result, Shape, Tensor, bail,
};
use rayon::prelude::*;
use std::sync::OnceLock;

/// Target id that [`cross_entropy`] and [`token_logprobs`] skip (padding, prompt tokens).
pub const IGNORE: u32 = u32::MAX;

/// Accumulator width of the row reductions: several independent sums let LLVM use SIMD.
const LANES: usize = 8;
/// Elements per rayon task for purely elementwise kernels.
const ELEM_CHUNK: usize = 8192;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Causal-masked, scaled softmax over the last dim of `scores` (B, H, T, S), S >= T.
///
/// Query row `t` sees keys `0..=S-T+t` (so a KV cache prefix of `S-T` is fully visible); the
/// masked tail gets probability 0. Fusing mask, scale and softmax avoids three (B, H, T, S)
/// temporaries per layer.
pub fn causal_softmax(scores: &Tensor, scale: f64) -> Result<Tensor> {
    if !is_fast(scores) {
        return causal_softmax_composed(scores, scale);
    }
    let (_, _, t, s) = scores.dims4()?;
    if s < t {
        bail!("causal_softmax: key length {s} is shorter than query length {t}");
    }
    scores.contiguous()?.apply_op1(CausalSoftmax {
        scale: scale as f32,
    })
}

/// RMS norm over the last dim: `x / sqrt(mean(x^2) + eps) * weight`, `weight` of shape (D).
pub fn rms_norm(x: &Tensor, weight: &Tensor, eps: f64) -> Result<Tensor> {
    let d = x.dims().last().copied().unwrap_or(0);
    if !is_fast(x) || !is_fast(weight) || weight.dims() != [d] {
        return rms_norm_composed(x, weight, eps);
    }
    x.contiguous()?
        .apply_op2(&weight.contiguous()?, RmsNorm { eps: eps as f32 })
}

/// Rotary embedding, Hugging Face Llama "rotate_half" layout: x (B, H, T, D), cos/sin (T, D/2).
///
/// `x` may be strided (e.g. a transposed projection); it is made contiguous first.
pub fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    if !is_fast(x) || !is_fast(cos) || !is_fast(sin) {
        return rope_composed(x, cos, sin);
    }
    let (_, _, t, d) = x.dims4()?;
    if d % 2 != 0 {
        bail!("rope: head dim {d} must be even");
    }
    for (name, c) in [("cos", cos), ("sin", sin)] {
        if c.dims() != [t, d / 2] {
            bail!(
                "rope: {name} has shape {:?}, expected ({t}, {})",
                c.dims(),
                d / 2
            );
        }
    }
    x.contiguous()?.apply_op3(
        &cos.contiguous()?,
        &sin.contiguous()?,
        Rope { inverse: false },
    )
}

/// `silu(gate) * up`, the SwiGLU feed-forward gate; both inputs have the same shape.
pub fn silu_mul(gate: &Tensor, up: &Tensor) -> Result<Tensor> {
    if !is_fast(gate) || !is_fast(up) {
        return silu_mul_composed(gate, up);
    }
    if gate.dims() != up.dims() {
        bail!(
            "silu_mul: shapes differ: {:?} vs {:?}",
            gate.dims(),
            up.dims()
        );
    }
    gate.contiguous()?.apply_op2(&up.contiguous()?, SiluMul)
}

/// Mean cross-entropy of `logits` (N, V) against `targets` (N, u32), skipping [`IGNORE`] rows.
///
/// Returns an f32 scalar; 0 when every row is ignored. The backward writes the (N, V) gradient
/// directly, with no softmax or one-hot temporaries.
pub fn cross_entropy(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    check_targets(logits, targets, "cross_entropy")?;
    if !is_fast(logits) || !targets.device().is_cpu() {
        return cross_entropy_composed(logits, targets);
    }
    logits
        .contiguous()?
        .apply_op2(&targets.contiguous()?, CrossEntropy::default())
}

/// Per-row `log p(target)` of `logits` (N, V) as f32 (N); 0 on [`IGNORE`] rows. Used for DPO.
pub fn token_logprobs(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    check_targets(logits, targets, "token_logprobs")?;
    if !is_fast(logits) || !targets.device().is_cpu() {
        return token_logprobs_composed(logits, targets);
    }
    logits
        .contiguous()?
        .apply_op2(&targets.contiguous()?, TokenLogprobs::default())
}

// ---------------------------------------------------------------------------------------------
// Composed fallbacks (any device / dtype; candle differentiates them)
// ---------------------------------------------------------------------------------------------

fn causal_softmax_composed(scores: &Tensor, scale: f64) -> Result<Tensor> {
    let (_, _, t, s) = scores.dims4()?;
    if s < t {
        bail!("causal_softmax: key length {s} is shorter than query length {t}");
    }
    let mask: Vec<u8> = (0..t)
        .flat_map(|i| (0..s).map(move |j| u8::from(j <= s - t + i)))
        .collect();
    let mask = Tensor::from_vec(mask, (t, s), scores.device())?.broadcast_as(scores.shape())?;
    let neg = Tensor::new(f32::NEG_INFINITY, scores.device())?
        .to_dtype(scores.dtype())?
        .broadcast_as(scores.shape())?;
    let masked = mask.where_cond(&(scores * scale)?, &neg)?;
    candle_nn::ops::softmax(&masked, D::Minus1)
}

fn rms_norm_composed(x: &Tensor, weight: &Tensor, eps: f64) -> Result<Tensor> {
    let dtype = x.dtype();
    // Half precision loses too much in the mean of squares; do the statistics in f32.
    let xf = match dtype {
        DType::F16 | DType::BF16 => x.to_dtype(DType::F32)?,
        _ => x.clone(),
    };
    let inv = (xf.sqr()?.mean_keepdim(D::Minus1)? + eps)?
        .sqrt()?
        .recip()?;
    xf.broadcast_mul(&inv)?
        .to_dtype(dtype)?
        .broadcast_mul(&weight.to_dtype(dtype)?)
}

fn rope_composed(x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor> {
    let (_, _, t, d) = x.dims4()?;
    if d % 2 != 0 {
        bail!("rope: head dim {d} must be even");
    }
    let h = d / 2;
    let cos = cos.to_dtype(x.dtype())?.reshape((1, 1, t, h))?;
    let sin = sin.to_dtype(x.dtype())?.reshape((1, 1, t, h))?;
    let x1 = x.narrow(3, 0, h)?;
    let x2 = x.narrow(3, h, h)?;
    let o1 = (x1.broadcast_mul(&cos)? - x2.broadcast_mul(&sin)?)?;
    let o2 = (x2.broadcast_mul(&cos)? + x1.broadcast_mul(&sin)?)?;
    Tensor::cat(&[&o1, &o2], 3)
}

fn silu_mul_composed(gate: &Tensor, up: &Tensor) -> Result<Tensor> {
    gate.silu()? * up
}

/// f32 log-probabilities of the targets, 0 on ignored rows, plus the f32 keep mask.
fn picked_logprobs(logits: &Tensor, targets: &Tensor) -> Result<(Tensor, Tensor)> {
    let logp = candle_nn::ops::log_softmax(&logits.to_dtype(DType::F32)?, D::Minus1)?;
    let keep = targets.ne(IGNORE)?;
    // Ignored ids would be out of range for gather; point them at column 0 and mask after.
    let safe = keep.where_cond(targets, &targets.zeros_like()?)?;
    let picked = logp.gather(&safe.unsqueeze(1)?, 1)?.squeeze(1)?;
    let keep = keep.to_dtype(DType::F32)?;
    Ok(((picked * &keep)?, keep))
}

fn cross_entropy_composed(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    let (picked, keep) = picked_logprobs(logits, targets)?;
    let count = keep.sum_all()?.maximum(1f64)?;
    picked.sum_all()?.neg()?.div(&count)
}

fn token_logprobs_composed(logits: &Tensor, targets: &Tensor) -> Result<Tensor> {
    Ok(picked_logprobs(logits, targets)?.0)
}

// ---------------------------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------------------------

/// The fused kernels only exist for CPU f32.
fn is_fast(t: &Tensor) -> bool {
    t.device().is_cpu() && t.dtype() == DType::F32
}

fn check_targets(logits: &Tensor, targets: &Tensor, op: &str) -> Result<()> {
    let (n, _) = logits.dims2()?;
    if targets.dtype() != DType::U32 || targets.dims() != [n] {
        bail!(
            "{op}: targets must be u32 of shape ({n}), got {:?} {:?}",
            targets.dtype(),
            targets.dims()
        );
    }
    Ok(())
}

/// Contiguous f32 view of a custom-op input (the public wrappers guarantee contiguity).
pub(super) fn f32_data<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(v) = s else {
        bail!("{op}: expected f32 storage");
    };
    match l.contiguous_offsets() {
        Some((start, end)) => Ok(&v[start..end]),
        None => bail!("{op}: input must be contiguous"),
    }
}

fn u32_data<'a>(s: &'a CpuStorage, l: &Layout, op: &str) -> Result<&'a [u32]> {
    let CpuStorage::U32(v) = s else {
        bail!("{op}: expected u32 storage");
    };
    match l.contiguous_offsets() {
        Some((start, end)) => Ok(&v[start..end]),
        None => bail!("{op}: input must be contiguous"),
    }
}

/// (rows, row length) of a tensor reduced over its last dim.
fn rows_cols(l: &Layout) -> (usize, usize) {
    let d = l.dims().last().copied().unwrap_or(1);
    (l.shape().elem_count() / d.max(1), d)
}

/// Rows per rayon task, so tiny rows don't drown in scheduling overhead.
pub(super) fn min_rows(d: usize) -> usize {
    (4096 / d.max(1)).max(1)
}

/// Branch-free Cephes-style `exp` (about 1 ulp). Unlike libm `expf` it inlines, so the row
/// loops vectorise. Inputs are clamped to the normal range; NaN propagates.
#[inline]
pub(super) fn fast_exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding it rounds to the nearest integer, which then sits in the low bits.
    const MAGIC: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    let t = x * std::f32::consts::LOG2_E + MAGIC;
    let n = t - MAGIC;
    let r = x - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let pow2 = f32::from_bits(t.to_bits().wrapping_sub(MAGIC.to_bits()).wrapping_add(127) << 23);
    e * pow2
}

fn row_max(v: &[f32]) -> f32 {
    let (chunks, rest) = v.as_chunks::<LANES>();
    let mut acc = [f32::NEG_INFINITY; LANES];
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a = a.max(x);
        }
    }
    rest.iter()
        .chain(&acc)
        .fold(f32::NEG_INFINITY, |m, &x| m.max(x))
}

fn row_sum(v: &[f32]) -> f32 {
    let (chunks, rest) = v.as_chunks::<LANES>();
    let mut acc = [0f32; LANES];
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x;
        }
    }
    acc.iter().sum::<f32>() + rest.iter().sum::<f32>()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    let (ca, ra) = a.as_chunks::<LANES>();
    let (cb, rb) = b.as_chunks::<LANES>();
    let mut acc = [0f32; LANES];
    for (x, y) in ca.iter().zip(cb) {
        for ((s, &p), &q) in acc.iter_mut().zip(x).zip(y) {
            *s += p * q;
        }
    }
    acc.iter().sum::<f32>() + ra.iter().zip(rb).map(|(p, q)| p * q).sum::<f32>()
}

/// `sum(exp(v - m))` without storing the exponentials.
fn sum_exp(v: &[f32], m: f32) -> f32 {
    let (chunks, rest) = v.as_chunks::<LANES>();
    let mut acc = [0f32; LANES];
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += fast_exp(x - m);
        }
    }
    acc.iter().sum::<f32>() + rest.iter().map(|&x| fast_exp(x - m)).sum::<f32>()
}

pub(super) fn log_sum_exp(row: &[f32]) -> f32 {
    let m = row_max(row);
    m + sum_exp(row, m).ln()
}

// ---------------------------------------------------------------------------------------------
// Causal softmax
// ---------------------------------------------------------------------------------------------

/// (T, S) of a causal-softmax operand, checked.
fn causal_dims(l: &Layout) -> Result<(usize, usize)> {
    let &[_, _, t, s] = l.dims() else {
        bail!("causal_softmax: expected (B, H, T, S), got {:?}", l.dims());
    };
    if s < t {
        bail!("causal_softmax: key length {s} is shorter than query length {t}");
    }
    Ok((t, s))
}

struct CausalSoftmax {
    scale: f32,
}

impl CustomOp1 for CausalSoftmax {
    fn name(&self) -> &'static str {
        "causal-softmax"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = f32_data(s, l, self.name())?;
        let (t, s) = causal_dims(l)?;
        let mut out = vec![0f32; x.len()];
        if !out.is_empty() {
            let scale = self.scale;
            out.par_chunks_mut(s)
                .zip(x.par_chunks(s))
                .enumerate()
                .with_min_len(min_rows(s))
                .for_each(|(r, (o, xr))| {
                    // The masked tail stays at the zero it was allocated with.
                    let visible = s - t + r % t + 1;
                    let o = &mut o[..visible];
                    for (o, &x) in o.iter_mut().zip(&xr[..visible]) {
                        *o = x * scale;
                    }
                    let m = row_max(o);
                    for v in o.iter_mut() {
                        *v = fast_exp(*v - m);
                    }
                    let inv = 1.0 / row_sum(o);
                    for v in o.iter_mut() {
                        *v *= inv;
                    }
                });
        }
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }

    fn bwd(&self, _arg: &Tensor, res: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        let dx =
            res.apply_op2_no_bwd(&grad.contiguous()?, &CausalSoftmaxBwd { scale: self.scale })?;
        Ok(Some(dx))
    }
}

/// `dx = scale * y * (g - sum(g * y))` on the visible part of each row (y is 0 elsewhere).
struct CausalSoftmaxBwd {
    scale: f32,
}

impl CustomOp2 for CausalSoftmaxBwd {
    fn name(&self) -> &'static str {
        "causal-softmax-bwd"
    }

    fn cpu_fwd(
        &self,
        ys: &CpuStorage,
        yl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let y = f32_data(ys, yl, self.name())?;
        let g = f32_data(gs, gl, self.name())?;
        let (t, s) = causal_dims(yl)?;
        if y.len() != g.len() {
            bail!("causal-softmax-bwd: gradient size mismatch");
        }
        let mut out = vec![0f32; y.len()];
        if !out.is_empty() {
            let scale = self.scale;
            out.par_chunks_mut(s)
                .zip(y.par_chunks(s).zip(g.par_chunks(s)))
                .enumerate()
                .with_min_len(min_rows(s))
                .for_each(|(r, (o, (yr, gr)))| {
                    let visible = s - t + r % t + 1;
                    let (yr, gr) = (&yr[..visible], &gr[..visible]);
                    let gy = dot(gr, yr);
                    for ((o, &y), &g) in o.iter_mut().zip(yr).zip(gr) {
                        *o = scale * y * (g - gy);
                    }
                });
        }
        Ok((CpuStorage::F32(out), yl.shape().clone()))
    }
}

// ---------------------------------------------------------------------------------------------
// RMS norm
// ---------------------------------------------------------------------------------------------

/// `1 / sqrt(mean(x^2) + eps)` of one row.
fn inv_rms(row: &[f32], eps: f32) -> f32 {
    1.0 / (dot(row, row) / row.len() as f32 + eps).sqrt()
}

struct RmsNorm {
    eps: f32,
}

impl CustomOp2 for RmsNorm {
    fn name(&self) -> &'static str {
        "rms-norm"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = f32_data(xs, xl, self.name())?;
        let w = f32_data(ws, wl, self.name())?;
        let (_, d) = rows_cols(xl);
        if w.len() != d {
            bail!("rms-norm: weight has {} elements, rows have {d}", w.len());
        }
        let mut out = vec![0f32; x.len()];
        if !out.is_empty() {
            let eps = self.eps;
            out.par_chunks_mut(d)
                .zip(x.par_chunks(d))
                .with_min_len(min_rows(d))
                .for_each(|(o, xr)| {
                    let inv = inv_rms(xr, eps);
                    for ((o, &x), &w) in o.iter_mut().zip(xr).zip(w) {
                        *o = x * inv * w;
                    }
                });
        }
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        w: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        // One pass yields both gradients, packed as (rows + 1, D): dx rows, then dw.
        let packed = x.apply_op3_no_bwd(w, &grad.contiguous()?, &RmsNormBwd { eps: self.eps })?;
        let rows = packed.dim(0)? - 1;
        let dx = packed.narrow(0, 0, rows)?.reshape(x.shape())?;
        let dw = packed.get(rows)?;
        Ok((Some(dx), Some(dw)))
    }
}

/// With `xh = x * inv`: `dx = inv * (w*g - xh * mean(w*g*xh))`, `dw = sum_rows(g * xh)`.
struct RmsNormBwd {
    eps: f32,
}

impl CustomOp3 for RmsNormBwd {
    fn name(&self) -> &'static str {
        "rms-norm-bwd"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        gs: &CpuStorage,
        gl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = f32_data(xs, xl, self.name())?;
        let w = f32_data(ws, wl, self.name())?;
        let g = f32_data(gs, gl, self.name())?;
        let (rows, d) = rows_cols(xl);
        if w.len() != d || g.len() != x.len() {
            bail!("rms-norm-bwd: shape mismatch");
        }
        let mut out = vec![0f32; x.len() + d];
        let (dx, dw) = out.split_at_mut(x.len());
        if !x.is_empty() {
            let eps = self.eps;
            // Blocks of rows, each with its own partial dw, summed at the end.
            let block = rows.div_ceil(rayon::current_num_threads() * 4).max(1) * d;
            let partial = dx
                .par_chunks_mut(block)
                .zip(x.par_chunks(block).zip(g.par_chunks(block)))
                .map(|(dxb, (xb, gb))| {
                    let mut dw = vec![0f32; d];
                    for ((o, xr), gr) in dxb.chunks_mut(d).zip(xb.chunks(d)).zip(gb.chunks(d)) {
                        let inv = inv_rms(xr, eps);
                        let mut acc = 0f32;
                        for ((((o, dw), &x), &g), &w) in
                            o.iter_mut().zip(dw.iter_mut()).zip(xr).zip(gr).zip(w)
                        {
                            let xh = x * inv;
                            *dw += g * xh;
                            // Park w*g in the output; it is needed again below.
                            *o = w * g;
                            acc += w * g * xh;
                        }
                        let c = acc / d as f32;
                        for (o, &x) in o.iter_mut().zip(xr) {
                            *o = inv * (*o - x * inv * c);
                        }
                    }
                    dw
                })
                .reduce(
                    || vec![0f32; d],
                    |mut a, b| {
                        for (a, b) in a.iter_mut().zip(&b) {
                            *a += b;
                        }
                        a
                    },
                );
            dw.copy_from_slice(&partial);
        }
        Ok((CpuStorage::F32(out), Shape::from((rows + 1, d))))
    }
}

// ---------------------------------------------------------------------------------------------
// Rotary embedding
// ---------------------------------------------------------------------------------------------

/// Rotates each (x[i], x[i + D/2]) pair by +angle, or by -angle for the backward.
struct Rope {
    inverse: bool,
}

impl CustomOp3 for Rope {
    fn name(&self) -> &'static str {
        "rope-half"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        cs: &CpuStorage,
        cl: &Layout,
        ss: &CpuStorage,
        sl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = f32_data(xs, xl, self.name())?;
        let cos = f32_data(cs, cl, self.name())?;
        let sin = f32_data(ss, sl, self.name())?;
        let &[_, _, t, d] = xl.dims() else {
            bail!("rope: expected (B, H, T, D), got {:?}", xl.dims());
        };
        let h = d / 2;
        if d % 2 != 0 || cos.len() != t * h || sin.len() != t * h {
            bail!("rope: cos/sin must be ({t}, {h}) for head dim {d}");
        }
        let mut out = vec![0f32; x.len()];
        if !out.is_empty() {
            let sign = if self.inverse { -1f32 } else { 1f32 };
            out.par_chunks_mut(d)
                .zip(x.par_chunks(d))
                .enumerate()
                .with_min_len(min_rows(d))
                .for_each(|(r, (o, xr))| {
                    let pos = (r % t) * h;
                    let (cr, sr) = (&cos[pos..pos + h], &sin[pos..pos + h]);
                    let (o1, o2) = o.split_at_mut(h);
                    let (x1, x2) = xr.split_at(h);
                    for ((((o1, o2), (&a, &b)), &c), &s) in o1
                        .iter_mut()
                        .zip(o2.iter_mut())
                        .zip(x1.iter().zip(x2))
                        .zip(cr)
                        .zip(sr)
                    {
                        let s = sign * s;
                        *o1 = a * c - b * s;
                        *o2 = b * c + a * s;
                    }
                });
        }
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }

    fn bwd(
        &self,
        _x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        // A rotation's adjoint is the opposite rotation; cos/sin are constants.
        let inverse = Rope {
            inverse: !self.inverse,
        };
        let dx = grad.contiguous()?.apply_op3_no_bwd(cos, sin, &inverse)?;
        Ok((Some(dx), None, None))
    }
}

// ---------------------------------------------------------------------------------------------
// SiLU-gated product
// ---------------------------------------------------------------------------------------------

struct SiluMul;

impl CustomOp2 for SiluMul {
    fn name(&self) -> &'static str {
        "silu-mul"
    }

    fn cpu_fwd(
        &self,
        gs: &CpuStorage,
        gl: &Layout,
        us: &CpuStorage,
        ul: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let gate = f32_data(gs, gl, self.name())?;
        let up = f32_data(us, ul, self.name())?;
        if gate.len() != up.len() {
            bail!("silu-mul: size mismatch");
        }
        let mut out = vec![0f32; gate.len()];
        out.par_chunks_mut(ELEM_CHUNK)
            .zip(gate.par_chunks(ELEM_CHUNK).zip(up.par_chunks(ELEM_CHUNK)))
            .for_each(|(o, (gc, uc))| {
                for ((o, &g), &u) in o.iter_mut().zip(gc).zip(uc) {
                    *o = g / (1.0 + fast_exp(-g)) * u;
                }
            });
        Ok((CpuStorage::F32(out), gl.shape().clone()))
    }

    fn bwd(
        &self,
        gate: &Tensor,
        up: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        // Both gradients from one pass, packed as (2, n): d_gate then d_up.
        let packed = gate.apply_op3_no_bwd(up, &grad.contiguous()?, &SiluMulBwd)?;
        let d_gate = packed.get(0)?.reshape(gate.shape())?;
        let d_up = packed.get(1)?.reshape(up.shape())?;
        Ok((Some(d_gate), Some(d_up)))
    }
}

/// `d_gate = g * up * sig * (1 + gate * (1 - sig))`, `d_up = g * silu(gate)`.
struct SiluMulBwd;

impl CustomOp3 for SiluMulBwd {
    fn name(&self) -> &'static str {
        "silu-mul-bwd"
    }

    fn cpu_fwd(
        &self,
        gs: &CpuStorage,
        gl: &Layout,
        us: &CpuStorage,
        ul: &Layout,
        ds: &CpuStorage,
        dl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let gate = f32_data(gs, gl, self.name())?;
        let up = f32_data(us, ul, self.name())?;
        let grad = f32_data(ds, dl, self.name())?;
        let n = gate.len();
        if up.len() != n || grad.len() != n {
            bail!("silu-mul-bwd: size mismatch");
        }
        let mut out = vec![0f32; 2 * n];
        let (d_gate, d_up) = out.split_at_mut(n);
        d_gate
            .par_chunks_mut(ELEM_CHUNK)
            .zip(d_up.par_chunks_mut(ELEM_CHUNK))
            .zip(gate.par_chunks(ELEM_CHUNK))
            .zip(up.par_chunks(ELEM_CHUNK).zip(grad.par_chunks(ELEM_CHUNK)))
            .for_each(|(((dg, du), gc), (uc, dc))| {
                for ((((dg, du), &g), &u), &d) in
                    dg.iter_mut().zip(du.iter_mut()).zip(gc).zip(uc).zip(dc)
                {
                    let sig = 1.0 / (1.0 + fast_exp(-g));
                    *dg = d * u * sig * (1.0 + g * (1.0 - sig));
                    *du = d * g * sig;
                }
            });
        Ok((CpuStorage::F32(out), Shape::from((2, n))))
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-entropy and token log-probabilities
// ---------------------------------------------------------------------------------------------

/// Per-row log-sum-exp of the non-ignored rows (0 elsewhere), after validating the targets.
fn target_lse(x: &[f32], targets: &[u32], v: usize, op: &str) -> Result<Vec<f32>> {
    if let Some(&bad) = targets.iter().find(|&&t| t != IGNORE && t as usize >= v) {
        bail!("{op}: target {bad} out of range for {v} classes");
    }
    let mut lse = vec![0f32; targets.len()];
    if v > 0 {
        lse.par_iter_mut()
            .zip(x.par_chunks(v).zip(targets.par_iter()))
            .with_min_len(min_rows(v))
            .for_each(|(l, (row, &t))| {
                if t != IGNORE {
                    *l = log_sum_exp(row);
                }
            });
    }
    Ok(lse)
}

/// Logits/targets slices and class count of a (N, V) / (N) operand pair.
fn logits_targets<'a>(
    s1: &'a CpuStorage,
    l1: &Layout,
    s2: &'a CpuStorage,
    l2: &Layout,
    op: &str,
) -> Result<(&'a [f32], &'a [u32], usize)> {
    let x = f32_data(s1, l1, op)?;
    let targets = u32_data(s2, l2, op)?;
    let &[n, v] = l1.dims() else {
        bail!("{op}: logits must be (N, V), got {:?}", l1.dims());
    };
    if targets.len() != n {
        bail!("{op}: {} targets for {n} rows", targets.len());
    }
    Ok((x, targets, v))
}

/// Mean cross-entropy; keeps the forward's log-sum-exp so the backward is one pass.
#[derive(Default)]
struct CrossEntropy {
    lse: OnceLock<Vec<f32>>,
}

impl CustomOp2 for CrossEntropy {
    fn name(&self) -> &'static str {
        "cross-entropy"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, targets, v) = logits_targets(s1, l1, s2, l2, self.name())?;
        let lse = target_lse(x, targets, v, self.name())?;
        let (sum, count) = lse
            .iter()
            .zip(x.chunks(v.max(1)))
            .zip(targets)
            .filter(|(_, t)| **t != IGNORE)
            .fold((0f64, 0usize), |(sum, count), ((&l, row), &t)| {
                (sum + f64::from(l - row[t as usize]), count + 1)
            });
        let loss = if count == 0 {
            0.0
        } else {
            (sum / count as f64) as f32
        };
        // Already set only if the op were run twice; the values would be identical.
        let _ = self.lse.set(lse);
        Ok((CpuStorage::F32(vec![loss]), Shape::from(())))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        targets: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad.to_dtype(DType::F32)?.to_scalar::<f32>()?;
        let ids = targets.to_vec1::<u32>()?;
        let count = ids.iter().filter(|&&t| t != IGNORE).count().max(1);
        let coef = g / count as f32;
        let coef: Vec<f32> = ids
            .iter()
            .map(|&t| if t == IGNORE { 0.0 } else { coef })
            .collect();
        let op = LogSoftmaxBwd {
            lse: self.lse.get().map(Vec::as_slice),
            coef: &coef,
        };
        Ok((Some(logits.apply_op2_no_bwd(targets, &op)?), None))
    }
}

/// Per-row `log p(target)`; keeps the forward's log-sum-exp so the backward is one pass.
#[derive(Default)]
struct TokenLogprobs {
    lse: OnceLock<Vec<f32>>,
}

impl CustomOp2 for TokenLogprobs {
    fn name(&self) -> &'static str {
        "token-logprobs"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, targets, v) = logits_targets(s1, l1, s2, l2, self.name())?;
        let lse = target_lse(x, targets, v, self.name())?;
        let out: Vec<f32> = lse
            .iter()
            .zip(x.chunks(v.max(1)))
            .zip(targets)
            .map(|((&l, row), &t)| {
                if t == IGNORE {
                    0.0
                } else {
                    row[t as usize] - l
                }
            })
            .collect();
        let n = out.len();
        let _ = self.lse.set(lse);
        Ok((CpuStorage::F32(out), Shape::from(n)))
    }

    fn bwd(
        &self,
        logits: &Tensor,
        targets: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        // d log p_t / d x = onehot - softmax, i.e. coefficient -g on (softmax - onehot).
        let coef: Vec<f32> = grad
            .to_dtype(DType::F32)?
            .to_vec1::<f32>()?
            .iter()
            .map(|g| -g)
            .collect();
        let op = LogSoftmaxBwd {
            lse: self.lse.get().map(Vec::as_slice),
            coef: &coef,
        };
        Ok((Some(logits.apply_op2_no_bwd(targets, &op)?), None))
    }
}

/// `dx[r] = coef[r] * (softmax(x[r]) - onehot(t[r]))`, zero on ignored rows.
struct LogSoftmaxBwd<'a> {
    /// Forward log-sum-exp per row; recomputed when absent.
    lse: Option<&'a [f32]>,
    coef: &'a [f32],
}

impl CustomOp2 for LogSoftmaxBwd<'_> {
    fn name(&self) -> &'static str {
        "log-softmax-bwd"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let (x, targets, v) = logits_targets(s1, l1, s2, l2, self.name())?;
        let n = targets.len();
        if self.coef.len() != n {
            bail!(
                "log-softmax-bwd: {} coefficients for {n} rows",
                self.coef.len()
            );
        }
        if let Some(&bad) = targets.iter().find(|&&t| t != IGNORE && t as usize >= v) {
            bail!("log-softmax-bwd: target {bad} out of range for {v} classes");
        }
        let lse = self.lse.filter(|l| l.len() == n);
        let mut out = vec![0f32; x.len()];
        if !out.is_empty() {
            out.par_chunks_mut(v)
                .zip(x.par_chunks(v))
                .enumerate()
                .with_min_len(min_rows(v))
                .for_each(|(r, (o, row))| {
                    let t = targets[r];
                    if t == IGNORE {
                        return;
                    }
                    let c = self.coef[r];
                    let l = lse.map_or_else(|| log_sum_exp(row), |l| l[r]);
                    for (o, &x) in o.iter_mut().zip(row) {
                        *o = c * fast_exp(x - l);
                    }
                    o[t as usize] -= c;
                });
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "exact zeros are part of the contract")]
mod tests {
    use super::*;
    use candle_core::{Device, Error, Var};

    const TOL: f32 = 1e-5;

    fn randn(shape: &[usize]) -> Result<Tensor> {
        Tensor::randn(0f32, 1f32, shape, &Device::Cpu)
    }

    /// Element-wise closeness relative to the element and to the tensor's scale.
    fn assert_close(what: &str, a: &Tensor, b: &Tensor, tol: f32) -> Result<()> {
        assert_eq!(a.dims(), b.dims(), "{what}: shapes differ");
        let a = a.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let b = b.to_dtype(DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
        let scale = b.iter().fold(0f32, |m, v| m.max(v.abs()));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            let err = (x - y).abs();
            assert!(
                err <= tol * (y.abs() + scale) + f32::MIN_POSITIVE,
                "{what}[{i}]: {x} vs {y} (scale {scale})"
            );
        }
        Ok(())
    }

    /// Output and gradients of `f` w.r.t. `inputs`, through a random linear read-out.
    fn run(
        inputs: &[Tensor],
        readout: Option<&Tensor>,
        f: &dyn Fn(&[Tensor]) -> Result<Tensor>,
    ) -> Result<(Tensor, Tensor, Vec<Tensor>)> {
        let vars = inputs
            .iter()
            .map(Var::from_tensor)
            .collect::<Result<Vec<_>>>()?;
        let xs: Vec<Tensor> = vars.iter().map(|v| v.as_tensor().clone()).collect();
        let out = f(&xs)?;
        let readout = match readout {
            Some(r) => r.clone(),
            None => Tensor::randn(0f32, 1f32, out.shape(), &Device::Cpu)?,
        };
        let grads = (&out * &readout)?.sum_all()?.backward()?;
        let grads = vars
            .iter()
            .map(|v| {
                grads
                    .get(v)
                    .cloned()
                    .ok_or_else(|| Error::Msg("missing gradient".into()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((out, readout, grads))
    }

    /// Compares forward and all input gradients of two implementations.
    fn check(
        name: &str,
        inputs: &[Tensor],
        fast: &dyn Fn(&[Tensor]) -> Result<Tensor>,
        reference: &dyn Fn(&[Tensor]) -> Result<Tensor>,
        tol: f32,
    ) -> Result<()> {
        let (out, readout, grads) = run(inputs, None, fast)?;
        let (want, _, want_grads) = run(inputs, Some(&readout), reference)?;
        assert_close(&format!("{name} forward"), &out, &want, tol)?;
        for (i, (g, w)) in grads.iter().zip(&want_grads).enumerate() {
            assert_close(&format!("{name} grad {i}"), g, w, tol)?;
        }
        Ok(())
    }

    fn f64_of(t: &Tensor) -> Result<Tensor> {
        t.to_dtype(DType::F64)
    }

    fn f32_of(t: &Tensor) -> Result<Tensor> {
        t.to_dtype(DType::F32)
    }

    fn rope_tables(t: usize, h: usize) -> Result<(Tensor, Tensor)> {
        let angles = (randn(&[t, h])? * 3.0)?;
        Ok((angles.cos()?, angles.sin()?))
    }

    fn targets(n: usize, v: usize) -> Result<Tensor> {
        let ids: Vec<u32> = (0..n)
            .map(|i| {
                if i % 5 == 1 {
                    IGNORE
                } else {
                    ((i * 7 + 3) % v) as u32
                }
            })
            .collect();
        Tensor::from_vec(ids, n, &Device::Cpu)
    }

    #[test]
    fn fast_exp_matches_libm() {
        let mut x = -100f32;
        while x < 90.0 {
            let (got, want) = (fast_exp(x), x.exp());
            if x > -87.0 && x < 88.0 {
                assert!((got - want).abs() <= 3e-7 * want, "{x}: {got} vs {want}");
            } else {
                assert!(got.is_finite(), "{x}: {got}");
            }
            x += 0.0137;
        }
        assert!(fast_exp(f32::NAN).is_nan());
        assert!(fast_exp(f32::NEG_INFINITY) < 1e-37);
    }

    #[test]
    fn causal_softmax_square_and_prefix() -> Result<()> {
        for (t, s) in [(13, 13), (7, 19), (1, 5)] {
            let scale = 0.37;
            check(
                &format!("causal_softmax {t}x{s}"),
                &[(randn(&[2, 3, t, s])? * 3.0)?],
                &|xs| causal_softmax(&xs[0], scale),
                &|xs| causal_softmax_composed(&xs[0], scale),
                TOL,
            )?;
        }
        // The masked tail is exactly zero and rows sum to one.
        let y = causal_softmax(&randn(&[1, 1, 3, 5])?, 1.0)?;
        let rows = y.squeeze(0)?.to_vec3::<f32>()?;
        assert_eq!(rows[0][0][3..], [0.0, 0.0]);
        assert_eq!(rows[0][1][4], 0.0);
        for r in &rows[0] {
            assert!((r.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        Ok(())
    }

    #[test]
    fn rms_norm_matches() -> Result<()> {
        // 300 rows split into several blocks, so the dw reduction is exercised.
        for shape in [vec![300, 64], vec![2, 5, 37]] {
            let d = shape[shape.len() - 1];
            check(
                &format!("rms_norm {shape:?}"),
                &[randn(&shape)?, (randn(&[d])? + 1.0)?],
                &|xs| rms_norm(&xs[0], &xs[1], 1e-5),
                &|xs| rms_norm_composed(&xs[0], &xs[1], 1e-5),
                TOL,
            )?;
        }
        Ok(())
    }

    #[test]
    fn rope_matches_on_strided_input() -> Result<()> {
        let (b, t, h, d) = (2, 9, 3, 16);
        let (cos, sin) = rope_tables(t, d / 2)?;
        // (B, T, H, D) transposed to (B, H, T, D): not contiguous.
        check(
            "rope",
            &[randn(&[b, t, h, d])?],
            &|xs| {
                let x = xs[0].transpose(1, 2)?;
                assert!(!x.is_contiguous());
                rope(&x, &cos, &sin)
            },
            &|xs| rope_composed(&xs[0].transpose(1, 2)?, &cos, &sin),
            TOL,
        )
    }

    #[test]
    fn silu_mul_matches() -> Result<()> {
        check(
            "silu_mul",
            &[(randn(&[3, 7, 1000])? * 4.0)?, randn(&[3, 7, 1000])?],
            &|xs| silu_mul(&xs[0], &xs[1]),
            &|xs| silu_mul_composed(&xs[0], &xs[1]),
            TOL,
        )
    }

    #[test]
    fn cross_entropy_matches() -> Result<()> {
        let (n, v) = (23, 70);
        let tg = targets(n, v)?;
        check(
            "cross_entropy",
            &[(randn(&[n, v])? * 3.0)?],
            &|xs| cross_entropy(&xs[0], &tg),
            &|xs| cross_entropy_composed(&xs[0], &tg),
            TOL,
        )
    }

    #[test]
    fn cross_entropy_all_ignored_is_zero() -> Result<()> {
        let tg = Tensor::from_vec(vec![IGNORE; 4], 4, &Device::Cpu)?;
        let x = Var::from_tensor(&randn(&[4, 6])?)?;
        for f in [cross_entropy, cross_entropy_composed] {
            let loss = f(x.as_tensor(), &tg)?;
            assert_eq!(loss.to_scalar::<f32>()?, 0.0);
            let grads = loss.backward()?;
            let g = grads
                .get(&x)
                .ok_or_else(|| Error::Msg("missing gradient".into()))?;
            let g = g.flatten_all()?.to_vec1::<f32>()?;
            assert!(g.iter().all(|v| *v == 0.0));
        }
        Ok(())
    }

    #[test]
    fn cross_entropy_rejects_bad_targets() -> Result<()> {
        let tg = Tensor::from_vec(vec![0u32, 6], 2, &Device::Cpu)?;
        assert!(cross_entropy(&randn(&[2, 6])?, &tg).is_err());
        Ok(())
    }

    #[test]
    fn token_logprobs_matches() -> Result<()> {
        let (n, v) = (17, 40);
        let tg = targets(n, v)?;
        check(
            "token_logprobs",
            &[(randn(&[n, v])? * 3.0)?],
            &|xs| token_logprobs(&xs[0], &tg),
            &|xs| token_logprobs_composed(&xs[0], &tg),
            TOL,
        )?;
        let lp = token_logprobs(&randn(&[n, v])?, &tg)?.to_vec1::<f32>()?;
        assert_eq!(lp[1], 0.0);
        assert!(lp[0] < 0.0);
        Ok(())
    }

    /// The public functions on f64 take the composed path; they must agree with the kernels.
    #[test]
    fn f64_dispatch_uses_fallback_and_agrees() -> Result<()> {
        let (cos, sin) = rope_tables(6, 4)?;
        let tg = targets(12, 9)?;
        let f64_tol = 1e-5;
        check(
            "f64 causal_softmax",
            &[randn(&[2, 2, 5, 8])?],
            &|xs| causal_softmax(&xs[0], 0.5),
            &|xs| f32_of(&causal_softmax(&f64_of(&xs[0])?, 0.5)?),
            f64_tol,
        )?;
        check(
            "f64 rms_norm",
            &[randn(&[4, 10])?, randn(&[10])?],
            &|xs| rms_norm(&xs[0], &xs[1], 1e-6),
            &|xs| f32_of(&rms_norm(&f64_of(&xs[0])?, &f64_of(&xs[1])?, 1e-6)?),
            f64_tol,
        )?;
        check(
            "f64 rope",
            &[randn(&[1, 2, 6, 8])?],
            &|xs| rope(&xs[0], &cos, &sin),
            &|xs| f32_of(&rope(&f64_of(&xs[0])?, &f64_of(&cos)?, &f64_of(&sin)?)?),
            f64_tol,
        )?;
        check(
            "f64 silu_mul",
            &[randn(&[5, 6])?, randn(&[5, 6])?],
            &|xs| silu_mul(&xs[0], &xs[1]),
            &|xs| f32_of(&silu_mul(&f64_of(&xs[0])?, &f64_of(&xs[1])?)?),
            f64_tol,
        )?;
        // Cross-entropy always computes in f32, whatever the logits dtype.
        check(
            "f64 cross_entropy",
            &[randn(&[12, 9])?],
            &|xs| cross_entropy(&xs[0], &tg),
            &|xs| cross_entropy(&f64_of(&xs[0])?, &tg),
            f64_tol,
        )?;
        check(
            "f64 token_logprobs",
            &[randn(&[12, 9])?],
            &|xs| token_logprobs(&xs[0], &tg),
            &|xs| token_logprobs(&f64_of(&xs[0])?, &tg),
            f64_tol,
        )
    }

    #[test]
    fn bf16_logits_are_upcast() -> Result<()> {
        let tg = targets(10, 30)?;
        let logits = randn(&[10, 30])?.to_dtype(DType::BF16)?;
        let want = cross_entropy(&logits.to_dtype(DType::F32)?, &tg)?;
        let got = cross_entropy(&logits, &tg)?;
        assert_eq!(got.dtype(), DType::F32);
        assert_close("bf16 cross_entropy", &got, &want, TOL)?;
        let x = Var::from_tensor(&logits)?;
        let grads = cross_entropy(x.as_tensor(), &tg)?.backward()?;
        let g = grads
            .get(&x)
            .ok_or_else(|| Error::Msg("missing gradient".into()))?;
        assert_eq!(g.dtype(), DType::BF16);
        Ok(())
    }

    /// Fast ops feed each other and ordinary ops, and gradients flow through the whole chain.
    #[test]
    fn chained_lm_head_loss() -> Result<()> {
        let (n, d, v) = (40, 32, 50);
        let tg = targets(n, v)?;
        let chain = |xs: &[Tensor], fast: bool| -> Result<Tensor> {
            let h = if fast {
                rms_norm(&xs[0], &xs[1], 1e-5)?
            } else {
                rms_norm_composed(&xs[0], &xs[1], 1e-5)?
            };
            let logits = h.matmul(&xs[2])?;
            if fast {
                cross_entropy(&logits, &tg)
            } else {
                cross_entropy_composed(&logits, &tg)
            }
        };
        check(
            "rms_norm -> matmul -> cross_entropy",
            &[randn(&[n, d])?, (randn(&[d])? + 1.0)?, randn(&[d, v])?],
            &|xs| chain(xs, true),
            &|xs| chain(xs, false),
            TOL,
        )
    }

    #[test]
    fn chained_attention_block() -> Result<()> {
        let (b, t, h, d) = (2, 8, 2, 8);
        let (cos, sin) = rope_tables(t, d / 2)?;
        let tg = targets(b * h * t, d)?;
        let chain = |xs: &[Tensor], fast: bool| -> Result<Tensor> {
            // (B, T, H, D) projections viewed as (B, H, T, D), as a model would.
            let heads = |x: &Tensor| x.transpose(1, 2);
            let (q, k, val) = (heads(&xs[0])?, heads(&xs[1])?, heads(&xs[2])?);
            let (q, k) = if fast {
                (rope(&q, &cos, &sin)?, rope(&k, &cos, &sin)?)
            } else {
                (
                    rope_composed(&q, &cos, &sin)?,
                    rope_composed(&k, &cos, &sin)?,
                )
            };
            let scores = q.matmul(&k.t()?)?;
            let scale = 1.0 / (d as f64).sqrt();
            let p = if fast {
                causal_softmax(&scores, scale)?
            } else {
                causal_softmax_composed(&scores, scale)?
            };
            let o = p.matmul(&val.contiguous()?)?;
            let gated = if fast {
                silu_mul(&o, &val)?
            } else {
                silu_mul_composed(&o, &val)?
            };
            let logits = gated.reshape((b * h * t, d))?;
            if fast {
                token_logprobs(&logits, &tg)
            } else {
                token_logprobs_composed(&logits, &tg)
            }
        };
        check(
            "rope -> causal_softmax -> silu_mul -> token_logprobs",
            &[
                randn(&[b, t, h, d])?,
                randn(&[b, t, h, d])?,
                randn(&[b, t, h, d])?,
            ],
            &|xs| chain(xs, true),
            &|xs| chain(xs, false),
            TOL,
        )
    }
}
