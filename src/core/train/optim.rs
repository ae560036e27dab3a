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
                let zeros = var.as_tensor().zeros_like()?;
                Ok((name.clone(), var.clone(), zeros.clone(), zeros))
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
            *m = ((&*m * cfg.beta1)? + (&g * (1.0 - cfg.beta1))?)?;
            *v = ((&*v * cfg.beta2)? + (g.sqr()? * (1.0 - cfg.beta2))?)?;
            let m_hat = (&*m / bias1)?;
            let v_hat = (&*v / bias2)?;
            let step = (m_hat / (v_hat.sqrt()? + cfg.eps)?)?;
            let w = var.as_tensor();
            let decayed = if cfg.weight_decay > 0.0 && w.rank() >= 2 {
                (w * (1.0 - lr * cfg.weight_decay))?
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
}
