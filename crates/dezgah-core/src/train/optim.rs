//! AdamW with its moments kept by parameter name (candle's own keeps them private, and a resumed
//! run needs them back), the warmup + cosine schedule, and global-norm gradient clipping.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Result, Tensor, Var};

use super::config::OptimConfig;

pub struct AdamW {
    /// (name, parameter, first moment, second moment), sorted by name so updates run in the
    /// same order every time.
    params: Vec<(String, Var, Tensor, Tensor)>,
    pub step: u64,
}

impl AdamW {
    pub fn new(vars: &HashMap<String, Var>) -> Result<Self> {
        let mut params: Vec<(String, Var, Tensor, Tensor)> = vars
            .iter()
            .map(|(name, var)| {
                // Two allocations: the moments are updated in place, so they must not share one.
                let m = var.as_tensor().zeros_like()?;
                let v = var.as_tensor().zeros_like()?;
                Ok((name.clone(), var.clone(), m, v))
            })
            .collect::<Result<_>>()?;
        params.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(Self { params, step: 0 })
    }

    /// Global L2 norm of the gradients; scales them down to `clip` when above it (0 = no clip).
    pub fn clip_gradients(grads: &mut HashMap<String, Tensor>, clip: f64) -> Result<f64> {
        let mut names: Vec<&String> = grads.keys().collect();
        names.sort();
        let mut sum = 0.0f64;
        for name in names {
            sum += f64::from(
                grads[name]
                    .sqr()?
                    .sum_all()?
                    .to_dtype(DType::F32)?
                    .to_scalar::<f32>()?,
            );
        }
        let norm = sum.sqrt();
        if clip > 0.0 && norm.is_finite() && norm > clip {
            let scale = clip / norm;
            for g in grads.values_mut() {
                *g = (&*g * scale)?;
            }
        }
        Ok(norm)
    }

    /// One update with learning rate `lr`. Weight decay is decoupled and skips one-dimensional
    /// parameters (norm weights), as is usual for transformers.
    pub fn update(
        &mut self,
        grads: &HashMap<String, Tensor>,
        lr: f64,
        cfg: &OptimConfig,
    ) -> Result<()> {
        self.step += 1;
        let t = self.step as i32;
        let bias1 = 1.0 - cfg.beta1.powi(t);
        let bias2 = 1.0 - cfg.beta2.powi(t);
        for (name, var, m, v) in &mut self.params {
            let Some(g) = grads.get(name) else { continue };
            let g = g.to_dtype(var.dtype())?;
            let w = var.as_tensor();
            let decay = if w.rank() >= 2 { cfg.weight_decay } else { 0.0 };
            if fused::applies(w, &g, m, v) {
                let g = g.contiguous()?;
                m.inplace_op2(
                    &g,
                    &fused::Moment {
                        beta: cfg.beta1 as f32,
                        square: false,
                    },
                )?;
                v.inplace_op2(
                    &g,
                    &fused::Moment {
                        beta: cfg.beta2 as f32,
                        square: true,
                    },
                )?;
                w.inplace_op3(
                    m,
                    v,
                    &fused::Step {
                        lr: lr as f32,
                        decay: (lr * decay) as f32,
                        bias1: bias1 as f32,
                        bias2: bias2 as f32,
                        eps: cfg.eps as f32,
                    },
                )?;
                continue;
            }
            *m = ((&*m * cfg.beta1)? + (&g * (1.0 - cfg.beta1))?)?;
            *v = ((&*v * cfg.beta2)? + (g.sqr()? * (1.0 - cfg.beta2))?)?;
            let m_hat = (&*m / bias1)?;
            let v_hat = (&*v / bias2)?;
            let step = (m_hat / (v_hat.sqrt()? + cfg.eps)?)?;
            let decayed = if decay > 0.0 {
                (w * (1.0 - lr * decay))?
            } else {
                w.clone()
            };
            var.set(&(decayed - (step * lr)?)?)?;
        }
        Ok(())
    }

    /// Moments as named tensors for `optimizer.safetensors`.
    pub fn state_tensors(&self) -> HashMap<String, Tensor> {
        let mut out = HashMap::with_capacity(self.params.len() * 2);
        for (name, _, m, v) in &self.params {
            out.insert(format!("m.{name}"), m.clone());
            out.insert(format!("v.{name}"), v.clone());
        }
        out
    }

    pub fn load_state(&mut self, path: &Path, step: u64, device: &Device) -> Result<()> {
        let mut saved = candle_core::safetensors::load(path, device)?;
        if let Some(name) = super::checkpoint::first_non_finite(&saved)? {
            candle_core::bail!(
                "{}: tensor {name} holds NaN or infinite values",
                path.display()
            );
        }
        for (name, var, m, v) in &mut self.params {
            let (Some(sm), Some(sv)) = (
                saved.remove(&format!("m.{name}")),
                saved.remove(&format!("v.{name}")),
            ) else {
                candle_core::bail!("{}: no optimizer state for {name}", path.display());
            };
            if sm.dims() != var.dims() || sv.dims() != var.dims() {
                candle_core::bail!(
                    "{}: optimizer state for {name} has the wrong shape",
                    path.display()
                );
            }
            *m = sm;
            *v = sv;
        }
        self.step = step;
        Ok(())
    }
}

/// The update as two in-place passes over contiguous CPU f32 memory instead of a dozen tensor
/// ops that each allocate a parameter-sized temporary.
mod fused {
    use candle_core::{CpuStorage, DType, InplaceOp2, InplaceOp3, Layout, Result, Tensor, bail};
    use rayon::prelude::*;

    const CHUNK: usize = 16 * 1024;

    pub fn applies(w: &Tensor, g: &Tensor, m: &Tensor, v: &Tensor) -> bool {
        [w, g, m, v]
            .iter()
            .all(|t| t.device().is_cpu() && t.dtype() == DType::F32)
            && [w, m, v].iter().all(|t| t.is_contiguous())
    }

    fn slice<'a>(s: &'a CpuStorage, l: &Layout) -> Result<&'a [f32]> {
        match (s, l.contiguous_offsets()) {
            (CpuStorage::F32(d), Some((a, b))) => Ok(&d[a..b]),
            _ => bail!("fused AdamW needs contiguous f32 tensors"),
        }
    }

    fn slice_mut<'a>(s: &'a mut CpuStorage, l: &Layout) -> Result<&'a mut [f32]> {
        match (s, l.contiguous_offsets()) {
            (CpuStorage::F32(d), Some((a, b))) => Ok(&mut d[a..b]),
            _ => bail!("fused AdamW needs contiguous f32 tensors"),
        }
    }

    /// m ← β·m + (1−β)·g, or with `square` v ← β·v + (1−β)·g².
    pub struct Moment {
        pub beta: f32,
        pub square: bool,
    }

    impl InplaceOp2 for Moment {
        fn name(&self) -> &'static str {
            "adamw-moment"
        }

        fn cpu_fwd(
            &self,
            s1: &mut CpuStorage,
            l1: &Layout,
            s2: &CpuStorage,
            l2: &Layout,
        ) -> Result<()> {
            let dst = slice_mut(s1, l1)?;
            let g = slice(s2, l2)?;
            if dst.len() != g.len() {
                bail!("fused AdamW: moment and gradient sizes differ");
            }
            let (b, a) = (self.beta, 1.0 - self.beta);
            let square = self.square;
            dst.par_chunks_mut(CHUNK)
                .zip(g.par_chunks(CHUNK))
                .for_each(|(d, g)| {
                    if square {
                        for (d, g) in d.iter_mut().zip(g) {
                            *d = b * *d + a * g * g;
                        }
                    } else {
                        for (d, g) in d.iter_mut().zip(g) {
                            *d = b * *d + a * g;
                        }
                    }
                });
            Ok(())
        }
    }

    /// w ← w·(1 − lr·λ) − lr·m̂/(√v̂ + ε).
    pub struct Step {
        pub lr: f32,
        pub decay: f32,
        pub bias1: f32,
        pub bias2: f32,
        pub eps: f32,
    }

    impl InplaceOp3 for Step {
        fn name(&self) -> &'static str {
            "adamw-step"
        }

        fn cpu_fwd(
            &self,
            s1: &mut CpuStorage,
            l1: &Layout,
            s2: &CpuStorage,
            l2: &Layout,
            s3: &CpuStorage,
            l3: &Layout,
        ) -> Result<()> {
            let w = slice_mut(s1, l1)?;
            let m = slice(s2, l2)?;
            let v = slice(s3, l3)?;
            if w.len() != m.len() || w.len() != v.len() {
                bail!("fused AdamW: weight and moment sizes differ");
            }
            let keep = 1.0 - self.decay;
            let (lr, b1, b2, eps) = (self.lr, 1.0 / self.bias1, 1.0 / self.bias2, self.eps);
            w.par_chunks_mut(CHUNK)
                .zip(m.par_chunks(CHUNK).zip(v.par_chunks(CHUNK)))
                .for_each(|(w, (m, v))| {
                    for ((w, m), v) in w.iter_mut().zip(m).zip(v) {
                        *w = *w * keep - lr * (m * b1) / ((v * b2).sqrt() + eps);
                    }
                });
            Ok(())
        }
    }
}

/// Linear warmup to `lr`, then a cosine down to `lr · min_lr_ratio` at `max_steps`.
pub fn learning_rate(cfg: &OptimConfig, step: usize) -> f64 {
    let min_lr = cfg.lr * cfg.min_lr_ratio;
    if cfg.warmup_steps > 0 && step < cfg.warmup_steps {
        return cfg.lr * (step + 1) as f64 / cfg.warmup_steps as f64;
    }
    if step >= cfg.max_steps {
        return min_lr;
    }
    let span = cfg.max_steps.saturating_sub(cfg.warmup_steps).max(1) as f64;
    let progress = (step - cfg.warmup_steps) as f64 / span;
    min_lr + 0.5 * (1.0 + (std::f64::consts::PI * progress).cos()) * (cfg.lr - min_lr)
}

/// Adds `new` into the accumulated gradients (gradient accumulation over micro-batches).
pub fn accumulate(
    total: &mut HashMap<String, Tensor>,
    vars: &HashMap<String, Var>,
    grads: &candle_core::backprop::GradStore,
    scale: f64,
) -> Result<()> {
    for (name, var) in vars {
        let Some(g) = grads.get(var.as_tensor()) else {
            continue;
        };
        let g = if (scale - 1.0).abs() > f64::EPSILON {
            (g * scale)?
        } else {
            g.clone()
        };
        let sum = match total.remove(name) {
            Some(prev) => (prev + g)?,
            None => g,
        };
        total.insert(name.clone(), sum);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_warms_up_then_decays_to_the_floor() {
        let cfg = OptimConfig {
            lr: 1.0,
            min_lr_ratio: 0.1,
            warmup_steps: 10,
            max_steps: 110,
            ..OptimConfig::default()
        };
        assert!((learning_rate(&cfg, 0) - 0.1).abs() < 1e-12);
        assert!((learning_rate(&cfg, 9) - 1.0).abs() < 1e-12);
        assert!((learning_rate(&cfg, 10) - 1.0).abs() < 1e-12);
        assert!((learning_rate(&cfg, 60) - 0.55).abs() < 1e-9);
        assert!((learning_rate(&cfg, 110) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn adamw_minimises_a_quadratic_and_clipping_caps_the_norm() {
        let dev = Device::Cpu;
        let w = Var::from_tensor(&Tensor::new(&[3.0f32, -2.0], &dev).expect("t")).expect("var");
        let vars: HashMap<String, Var> = [("w".to_owned(), w.clone())].into();
        let mut opt = AdamW::new(&vars).expect("opt");
        let cfg = OptimConfig {
            weight_decay: 0.0,
            ..OptimConfig::default()
        };
        for _ in 0..300 {
            let loss = w.as_tensor().sqr().expect("sqr").sum_all().expect("sum");
            let grads = loss.backward().expect("backward");
            let mut acc = HashMap::new();
            accumulate(&mut acc, &vars, &grads, 1.0).expect("acc");
            opt.update(&acc, 0.05, &cfg).expect("update");
        }
        let left: Vec<f32> = w.as_tensor().to_vec1().expect("vec");
        assert!(left.iter().all(|x| x.abs() < 0.05), "{left:?}");
        let mut grads: HashMap<String, Tensor> = [(
            "g".to_owned(),
            Tensor::new(&[3.0f32, 4.0], &dev).expect("t"),
        )]
        .into();
        let norm = AdamW::clip_gradients(&mut grads, 1.0).expect("clip");
        assert!((norm - 5.0).abs() < 1e-6);
        let clipped: Vec<f32> = grads["g"].to_vec1().expect("vec");
        assert!((clipped[0] - 0.6).abs() < 1e-6 && (clipped[1] - 0.8).abs() < 1e-6);
    }

    #[test]
    fn the_fused_update_matches_the_composed_one() {
        let dev = Device::Cpu;
        let init: Vec<f32> = (0..300)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
            .collect();
        let grad: Vec<f32> = (0..300)
            .map(|i| ((i * 53 % 89) as f32 - 44.0) / 30.0)
            .collect();
        let cfg = OptimConfig::default();
        let run = |dtype: DType| -> Vec<f32> {
            let w = Tensor::from_vec(init.clone(), (20, 15), &dev)
                .and_then(|t| t.to_dtype(dtype))
                .expect("w");
            let var = Var::from_tensor(&w).expect("var");
            let vars: HashMap<String, Var> = [("w".to_owned(), var.clone())].into();
            let mut opt = AdamW::new(&vars).expect("opt");
            // A transposed gradient exercises the non-contiguous path too.
            let g = Tensor::from_vec(grad.clone(), (15, 20), &dev)
                .and_then(|t| t.to_dtype(dtype))
                .and_then(|t| t.t())
                .expect("g");
            let grads: HashMap<String, Tensor> = [("w".to_owned(), g)].into();
            for step in 0..5 {
                opt.update(&grads, 0.01 * f64::from(step + 1), &cfg)
                    .expect("update");
            }
            var.as_tensor()
                .to_dtype(DType::F32)
                .and_then(|t| t.flatten_all())
                .and_then(|t| t.to_vec1())
                .expect("vec")
        };
        let fused = run(DType::F32);
        let composed = run(DType::F64);
        for (a, b) in fused.iter().zip(&composed) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
