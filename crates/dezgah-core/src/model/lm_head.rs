//! The language-model head and its cross-entropy as one CPU op for training: logits, loss and
//! both gradients in a single pass over blocks of rows, with the matmuls called directly.
//!
//! Through candle's autograd the head costs more than its matmuls: each logits block is kept
//! until the backward pass, its gradient is materialised and then added to a zeroed buffer, the
//! weight's gradient comes out transposed and is added into the tied embedding's with strided
//! reads, and every block's hidden-state gradient is padded to the full batch. Here the
//! gradients are computed in the forward pass (the loss is the graph's last node, so the
//! incoming gradient is a scalar that only scales them) and only one block of logits exists at a
//! time.
//!
//! `unsafe` is allowed in this module for the calls into `gemm` (raw pointers and strides); the
//! safe wrapper [`matmul`] checks that every index the strides reach lies inside its slice.

#![allow(unsafe_code)]

use std::sync::Mutex;

use candle_core::{CpuStorage, CustomOp2, DType, Layout, Result, Shape, Tensor, bail};
use rayon::prelude::*;

use super::ops::{self, IGNORE};

/// A matrix operand: its elements, row stride and column stride.
struct Operand<'a> {
    data: &'a [f32],
    rs: usize,
    cs: usize,
}

impl Operand<'_> {
    /// Whether every element of a `rows × cols` view lies inside the slice.
    fn fits(&self, rows: usize, cols: usize) -> bool {
        rows == 0 || cols == 0 || (rows - 1) * self.rs + (cols - 1) * self.cs < self.data.len()
    }
}

/// `dst (m × n, row-major with row stride dst_rs) = [dst +] a (m × k) · b (k × n)`.
fn matmul(
    (m, n, k): (usize, usize, usize),
    dst: &mut [f32],
    dst_rs: usize,
    accumulate: bool,
    a: &Operand<'_>,
    b: &Operand<'_>,
) -> Result<()> {
    let out = Operand {
        data: dst,
        rs: dst_rs,
        cs: 1,
    };
    if !(out.fits(m, n) && a.fits(m, k) && b.fits(k, n)) {
        bail!("lm-head: a matrix view reaches past its buffer");
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    let threads = rayon::current_num_threads();
    let parallelism = if threads > 1 {
        gemm::Parallelism::Rayon(threads)
    } else {
        gemm::Parallelism::None
    };
    // SAFETY: the checks above keep every index the strides reach inside the three slices, `dst`
    // is borrowed mutably (so it overlaps neither input), and gemm reads `dst` only when asked
    // to accumulate.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            dst_rs as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
    Ok(())
}

/// Mean cross-entropy of `hidden (rows, h) · weightᵀ (h, V)` against `targets`, skipping
/// [`IGNORE`]; `block` rows of logits at a time. CPU and f32 only (see [`usable`]).
pub fn loss(hidden: &Tensor, weight: &Tensor, targets: &[u32], block: usize) -> Result<Tensor> {
    hidden.contiguous()?.apply_op2(
        &weight.contiguous()?,
        LmHeadLoss {
            targets: targets.to_vec(),
            weight_grad: weight.track_op(),
            block: block.max(1),
            grads: Mutex::new(None),
        },
    )
}

/// Whether [`loss`] can run on these operands.
pub fn usable(hidden: &Tensor, weight: &Tensor) -> bool {
    [hidden, weight]
        .iter()
        .all(|t| t.device().is_cpu() && t.dtype() == DType::F32)
}

struct LmHeadLoss {
    targets: Vec<u32>,
    /// Whether the weight trains (a frozen head under LoRA needs no gradient).
    weight_grad: bool,
    block: usize,
    /// The gradients of `hidden` and `weight` for an incoming gradient of 1, from the forward.
    grads: Mutex<Option<(Vec<f32>, Vec<f32>)>>,
}

impl CustomOp2 for LmHeadLoss {
    fn name(&self) -> &'static str {
        "lm-head-loss"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let hidden = ops::f32_data(s1, l1, self.name())?;
        let weight = ops::f32_data(s2, l2, self.name())?;
        let (&[rows, h], &[v, h2]) = (l1.dims(), l2.dims()) else {
            bail!(
                "lm-head: expected (rows, h) and (V, h), got {:?} and {:?}",
                l1.dims(),
                l2.dims()
            );
        };
        if h != h2 {
            bail!("lm-head: hidden width {h} but weight width {h2}");
        }
        if self.targets.len() != rows {
            bail!("lm-head: {} targets for {rows} rows", self.targets.len());
        }
        if let Some(&bad) = self
            .targets
            .iter()
            .find(|&&t| t != IGNORE && t as usize >= v)
        {
            bail!("lm-head: target {bad} out of range for {v} classes");
        }
        let total = self.targets.iter().filter(|&&t| t != IGNORE).count();
        let inv = 1.0 / total.max(1) as f32;
        let mut d_hidden = vec![0f32; rows * h];
        let mut d_weight = vec![0f32; if self.weight_grad { v * h } else { 0 }];
        let mut logits = vec![0f32; self.block.min(rows) * v];
        let mut loss = 0f64;
        let mut first = true;
        for start in (0..rows).step_by(self.block) {
            let n = self.block.min(rows - start);
            let targets = &self.targets[start..start + n];
            if targets.iter().all(|&t| t == IGNORE) {
                continue;
            }
            let block_hidden = Operand {
                data: &hidden[start * h..(start + n) * h],
                rs: h,
                cs: 1,
            };
            let logits = &mut logits[..n * v];
            // logits = H · Wᵀ
            matmul(
                (n, v, h),
                logits,
                v,
                false,
                &block_hidden,
                &Operand {
                    data: weight,
                    rs: 1,
                    cs: h,
                },
            )?;
            // Each row becomes its loss gradient: (softmax − one-hot) / total.
            loss += logits
                .par_chunks_mut(v)
                .zip(targets.par_iter())
                .with_min_len(ops::min_rows(v))
                .map(|(row, &t)| {
                    if t == IGNORE {
                        row.fill(0.0);
                        return 0.0;
                    }
                    let lse = ops::log_sum_exp(row);
                    let picked = row[t as usize];
                    for x in row.iter_mut() {
                        *x = ops::fast_exp(*x - lse) * inv;
                    }
                    row[t as usize] -= inv;
                    f64::from(lse - picked)
                })
                .sum::<f64>();
            let grad = Operand {
                data: logits,
                rs: v,
                cs: 1,
            };
            // dH = G · W
            matmul(
                (n, h, v),
                &mut d_hidden[start * h..(start + n) * h],
                h,
                false,
                &grad,
                &Operand {
                    data: weight,
                    rs: h,
                    cs: 1,
                },
            )?;
            if !self.weight_grad {
                continue;
            }
            // dW += Gᵀ · H
            matmul(
                (v, h, n),
                &mut d_weight,
                h,
                !first,
                &Operand {
                    data: logits,
                    rs: 1,
                    cs: v,
                },
                &block_hidden,
            )?;
            first = false;
        }
        if let Ok(mut grads) = self.grads.lock() {
            *grads = Some((d_hidden, d_weight));
        }
        let loss = (loss / total.max(1) as f64) as f32;
        Ok((CpuStorage::F32(vec![loss]), Shape::from(())))
    }

    fn bwd(
        &self,
        hidden: &Tensor,
        weight: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let g = grad.to_dtype(DType::F32)?.to_scalar::<f32>()?;
        let Some((d_hidden, d_weight)) = self.grads.lock().ok().and_then(|mut g| g.take()) else {
            bail!("lm-head: backward without a forward, or run twice");
        };
        let scale = |values: Vec<f32>, like: &Tensor| -> Result<Tensor> {
            let t = Tensor::from_vec(values, like.shape(), like.device())?;
            // An incoming gradient of exactly 1 (no accumulation) needs no pass over the values.
            #[allow(clippy::float_cmp)]
            let unscaled = g == 1.0;
            if unscaled {
                Ok(t)
            } else {
                t.affine(f64::from(g), 0.0)
            }
        };
        let d_weight = if self.weight_grad {
            Some(scale(d_weight, weight)?)
        } else {
            None
        };
        Ok((Some(scale(d_hidden, hidden)?), d_weight))
    }
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Var};

    use super::*;
    use crate::model::rng::Rng;

    fn randn(rng: &mut Rng, dims: (usize, usize)) -> Tensor {
        let values: Vec<f32> = (0..dims.0 * dims.1).map(|_| rng.normal() as f32).collect();
        Tensor::from_vec(values, dims, &Device::Cpu).expect("tensor")
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .and_then(|d| d.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>())
            .expect("diff")
    }

    #[test]
    fn the_fused_head_gives_autograds_loss_and_gradients() {
        let mut rng = Rng::new(3);
        let (rows, h, v) = (37, 16, 50);
        let hidden = Var::from_tensor(&randn(&mut rng, (rows, h))).expect("var");
        let weight = Var::from_tensor(&randn(&mut rng, (v, h))).expect("var");
        let targets: Vec<u32> = (0..rows)
            .map(|i| {
                if i % 6 == 0 {
                    IGNORE
                } else {
                    (i * 7 % v) as u32
                }
            })
            .collect();
        let reference = ops::cross_entropy(
            &hidden
                .as_tensor()
                .matmul(&weight.as_tensor().t().expect("t"))
                .expect("mm"),
            &Tensor::from_slice(&targets, rows, &Device::Cpu).expect("targets"),
        )
        .expect("ce");
        // Scaled, so the incoming gradient is not 1.
        let ref_grads = (&reference * 0.5).and_then(|l| l.backward()).expect("bwd");
        for block in [1, 8, 37, 100] {
            let fused =
                loss(hidden.as_tensor(), weight.as_tensor(), &targets, block).expect("fused");
            let (a, b) = (
                fused.to_scalar::<f32>().expect("a"),
                reference.to_scalar::<f32>().expect("b"),
            );
            assert!((a - b).abs() < 1e-5, "block {block}: {a} vs {b}");
            let grads = (&fused * 0.5).and_then(|l| l.backward()).expect("bwd");
            for var in [&hidden, &weight] {
                let (got, want) = (
                    grads.get(var.as_tensor()).expect("grad"),
                    ref_grads.get(var.as_tensor()).expect("ref grad"),
                );
                assert!(max_diff(got, want) < 1e-6, "block {block}");
            }
        }
        // A frozen head gets no gradient; the hidden states still do.
        let frozen = weight.as_tensor().detach();
        let fused = loss(hidden.as_tensor(), &frozen, &targets, 8).expect("fused");
        let grads = (&fused * 0.5).and_then(|l| l.backward()).expect("bwd");
        assert!(grads.get(&frozen).is_none());
        let got = grads.get(hidden.as_tensor()).expect("grad");
        assert!(max_diff(got, ref_grads.get(hidden.as_tensor()).expect("ref")) < 1e-6);
        // Bad targets are refused, not read out of bounds.
        let mut bad = targets.clone();
        bad[1] = v as u32;
        assert!(loss(hidden.as_tensor(), weight.as_tensor(), &bad, 8).is_err());
        assert!(loss(hidden.as_tensor(), weight.as_tensor(), &targets[1..], 8).is_err());
    }
}
