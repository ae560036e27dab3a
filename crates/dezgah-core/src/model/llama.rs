//! The llama architecture (RMSNorm, rotary embeddings, SwiGLU, grouped-query attention), with an
//! optional Mixtral-style mixture of experts and optional LoRA adapters. Tensor names are Hugging
//! Face's, so a checkpoint is already half of an HF export.

use std::collections::HashMap;

use candle_core::{D, DType, Device, Result, Tensor, Var};
use serde::{Deserialize, Serialize};

use super::config::ModelConfig;
use super::ops;
use super::rng::Rng;

/// Logits elements per block in [`Llama::loss`]: 16 MB of f32. Throughput is the same as one
/// block on the benchmark model (measured); at a 32k vocabulary and long contexts it keeps the
/// logits and their gradient from costing gigabytes.
pub const LOGITS_BLOCK_ELEMS: usize = 4 * 1024 * 1024;

/// Where a parameter's initial values come from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    Ones,
    Normal(f64),
    Zeros,
}

/// Every parameter of a model with this shape: name, dims and initialisation (GPT-2's: normal
/// 0.02, output projections scaled down by depth, norms at one).
pub fn parameter_specs(cfg: &ModelConfig) -> Vec<(String, Vec<usize>, Init)> {
    let h = cfg.hidden_size;
    let kv = cfg.num_key_value_heads * cfg.head_dim();
    let i = cfg.intermediate_size;
    let std = 0.02;
    let out_std = 0.02 / (2.0 * cfg.num_hidden_layers as f64).sqrt();
    let mut specs = vec![(
        "model.embed_tokens.weight".to_owned(),
        vec![cfg.vocab_size, h],
        Init::Normal(std),
    )];
    for l in 0..cfg.num_hidden_layers {
        let p = format!("model.layers.{l}");
        specs.push((format!("{p}.input_layernorm.weight"), vec![h], Init::Ones));
        specs.push((
            format!("{p}.self_attn.q_proj.weight"),
            vec![h, h],
            Init::Normal(std),
        ));
        specs.push((
            format!("{p}.self_attn.k_proj.weight"),
            vec![kv, h],
            Init::Normal(std),
        ));
        specs.push((
            format!("{p}.self_attn.v_proj.weight"),
            vec![kv, h],
            Init::Normal(std),
        ));
        specs.push((
            format!("{p}.self_attn.o_proj.weight"),
            vec![h, h],
            Init::Normal(out_std),
        ));
        specs.push((
            format!("{p}.post_attention_layernorm.weight"),
            vec![h],
            Init::Ones,
        ));
        if cfg.is_moe() {
            let m = format!("{p}.block_sparse_moe");
            specs.push((
                format!("{m}.gate.weight"),
                vec![cfg.num_local_experts, h],
                Init::Normal(std),
            ));
            for e in 0..cfg.num_local_experts {
                specs.push((
                    format!("{m}.experts.{e}.w1.weight"),
                    vec![i, h],
                    Init::Normal(std),
                ));
                specs.push((
                    format!("{m}.experts.{e}.w3.weight"),
                    vec![i, h],
                    Init::Normal(std),
                ));
                specs.push((
                    format!("{m}.experts.{e}.w2.weight"),
                    vec![h, i],
                    Init::Normal(out_std),
                ));
            }
        } else {
            specs.push((
                format!("{p}.mlp.gate_proj.weight"),
                vec![i, h],
                Init::Normal(std),
            ));
            specs.push((
                format!("{p}.mlp.up_proj.weight"),
                vec![i, h],
                Init::Normal(std),
            ));
            specs.push((
                format!("{p}.mlp.down_proj.weight"),
                vec![h, i],
                Init::Normal(out_std),
            ));
        }
    }
    specs.push(("model.norm.weight".to_owned(), vec![h], Init::Ones));
    if !cfg.tie_word_embeddings {
        specs.push((
            "lm_head.weight".to_owned(),
            vec![cfg.vocab_size, h],
            Init::Normal(std),
        ));
    }
    specs
}

/// Fresh trainable parameters, reproducible from `seed` (each parameter draws from its own stream,
/// so adding a layer does not reshuffle the others).
pub fn init_parameters(
    cfg: &ModelConfig,
    seed: u64,
    device: &Device,
) -> Result<HashMap<String, Var>> {
    materialise(parameter_specs(cfg), Rng::new(seed), device)
}

/// Makes each specified parameter a `Var` with its initial values.
fn materialise(
    specs: Vec<(String, Vec<usize>, Init)>,
    root: Rng,
    device: &Device,
) -> Result<HashMap<String, Var>> {
    specs
        .into_iter()
        .map(|(name, dims, init)| {
            let n: usize = dims.iter().product();
            let values: Vec<f32> = match init {
                Init::Ones => vec![1.0; n],
                Init::Zeros => vec![0.0; n],
                Init::Normal(std) => {
                    let mut rng = root.fork(&name);
                    (0..n).map(|_| (rng.normal() * std) as f32).collect()
                }
            };
            let var = Var::from_tensor(&Tensor::from_vec(values, dims, device)?)?;
            Ok((name, var))
        })
        .collect()
}

/// LoRA on chosen projections: W x + (alpha / rank) · B A x, with A random and B zero so training
/// starts from the base model exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoraConfig {
    pub rank: usize,
    pub alpha: f64,
    /// Projection names (`q_proj`, `k_proj`, `v_proj`, `o_proj`, `gate_proj`, `up_proj`,
    /// `down_proj`).
    pub targets: Vec<String>,
}

impl Default for LoraConfig {
    fn default() -> Self {
        Self {
            rank: 8,
            alpha: 16.0,
            targets: ["q_proj", "k_proj", "v_proj", "o_proj"]
                .map(String::from)
                .to_vec(),
        }
    }
}

impl LoraConfig {
    /// The adapter parameters for every targeted projection of `cfg`.
    pub fn parameter_specs(&self, cfg: &ModelConfig) -> Vec<(String, Vec<usize>, Init)> {
        let mut out = Vec::new();
        for (name, dims, _) in parameter_specs(cfg) {
            let Some(stem) = name.strip_suffix(".weight") else {
                continue;
            };
            if dims.len() != 2 || !self.targets.iter().any(|t| stem.ends_with(t.as_str())) {
                continue;
            }
            let std = 1.0 / (dims[1] as f64).sqrt();
            out.push((
                format!("{stem}.lora_A.weight"),
                vec![self.rank, dims[1]],
                Init::Normal(std),
            ));
            out.push((
                format!("{stem}.lora_B.weight"),
                vec![dims[0], self.rank],
                Init::Zeros,
            ));
        }
        out
    }

    pub fn init_parameters(
        &self,
        cfg: &ModelConfig,
        seed: u64,
        device: &Device,
    ) -> Result<HashMap<String, Var>> {
        materialise(self.parameter_specs(cfg), Rng::new(seed ^ 0x10_4A), device)
    }

    pub fn scale(&self) -> f64 {
        self.alpha / self.rank.max(1) as f64
    }
}

/// Name → tensor lookups for building a model: trainable `Var`s and frozen tensors alike.
pub struct Weights<'a> {
    pub maps: Vec<&'a HashMap<String, Tensor>>,
}

impl Weights<'_> {
    fn get(&self, name: &str, dims: &[usize]) -> Result<Tensor> {
        for map in &self.maps {
            if let Some(t) = map.get(name) {
                if t.dims() != dims {
                    candle_core::bail!(
                        "tensor {name} has shape {:?}, the model needs {dims:?}",
                        t.dims()
                    );
                }
                return Ok(t.clone());
            }
        }
        candle_core::bail!("tensor {name} is missing")
    }
}

/// Tensors of a parameter map that share storage with the `Var`s, so gradients reach them.
pub fn var_tensors(vars: &HashMap<String, Var>) -> HashMap<String, Tensor> {
    vars.iter()
        .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
        .collect()
}

struct Linear {
    weight: Tensor,
    lora: Option<(Tensor, Tensor, f64)>,
}

impl Linear {
    fn new(w: &Weights, name: &str, dims: &[usize], lora: Option<&LoraConfig>) -> Result<Self> {
        let weight = w.get(&format!("{name}.weight"), dims)?;
        let lora = match lora {
            Some(l) if l.targets.iter().any(|t| name.ends_with(t.as_str())) => Some((
                w.get(&format!("{name}.lora_A.weight"), &[l.rank, dims[1]])?,
                w.get(&format!("{name}.lora_B.weight"), &[dims[0], l.rank])?,
                l.scale(),
            )),
            _ => None,
        };
        Ok(Self { weight, lora })
    }

    /// `x` is (rows, in).
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let w = cast(&self.weight, x.dtype())?;
        let y = x.matmul(&w.t()?)?;
        match &self.lora {
            None => Ok(y),
            Some((a, b, scale)) => {
                let a = cast(a, x.dtype())?;
                let b = cast(b, x.dtype())?;
                y + (x.matmul(&a.t()?)?.matmul(&b.t()?)? * *scale)?
            }
        }
    }
}

fn cast(t: &Tensor, dtype: DType) -> Result<Tensor> {
    if t.dtype() == dtype {
        Ok(t.clone())
    } else {
        t.to_dtype(dtype)
    }
}

struct Attention {
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
}

enum Mlp {
    Dense {
        gate: Linear,
        up: Linear,
        down: Linear,
    },
    Moe {
        router: Linear,
        experts: Vec<(Linear, Linear, Linear)>,
        top_k: usize,
    },
}

struct Layer {
    input_norm: Tensor,
    attention: Attention,
    post_norm: Tensor,
    mlp: Mlp,
}

/// Keys and values of earlier positions, one entry per layer, for generation.
#[derive(Default)]
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
}

impl KvCache {
    pub fn len(&self) -> usize {
        self.layers
            .first()
            .and_then(|l| l.as_ref())
            .map_or(0, |(k, _)| k.dims().get(2).copied().unwrap_or(0))
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub struct Llama {
    pub config: ModelConfig,
    embed: Tensor,
    layers: Vec<Layer>,
    norm: Tensor,
    lm_head: Tensor,
    cos: Tensor,
    sin: Tensor,
    dtype: DType,
    eps: f64,
}

/// What one forward pass returns.
pub struct Output {
    /// (batch·time, vocab) in f32.
    pub logits: Tensor,
    /// The MoE load-balancing loss summed over layers (already scaled by its coefficient).
    pub aux_loss: Option<Tensor>,
}

impl Llama {
    /// Builds the model over existing tensors; `dtype` is the compute type (weights stay as they
    /// are stored and are cast on use, so f32 master weights train under bf16 compute).
    pub fn new(
        cfg: &ModelConfig,
        w: &Weights,
        lora: Option<&LoraConfig>,
        dtype: DType,
        device: &Device,
    ) -> Result<Self> {
        cfg.validate().map_err(candle_core::Error::Msg)?;
        let h = cfg.hidden_size;
        let kv = cfg.num_key_value_heads * cfg.head_dim();
        let i = cfg.intermediate_size;
        let embed = w.get("model.embed_tokens.weight", &[cfg.vocab_size, h])?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        for l in 0..cfg.num_hidden_layers {
            let p = format!("model.layers.{l}");
            let lin =
                |name: &str, dims: &[usize]| Linear::new(w, &format!("{p}.{name}"), dims, lora);
            let attention = Attention {
                q: lin("self_attn.q_proj", &[h, h])?,
                k: lin("self_attn.k_proj", &[kv, h])?,
                v: lin("self_attn.v_proj", &[kv, h])?,
                o: lin("self_attn.o_proj", &[h, h])?,
                heads: cfg.num_attention_heads,
                kv_heads: cfg.num_key_value_heads,
                head_dim: cfg.head_dim(),
            };
            let mlp = if cfg.is_moe() {
                let m = "block_sparse_moe";
                Mlp::Moe {
                    router: lin(&format!("{m}.gate"), &[cfg.num_local_experts, h])?,
                    experts: (0..cfg.num_local_experts)
                        .map(|e| {
                            Ok((
                                lin(&format!("{m}.experts.{e}.w1"), &[i, h])?,
                                lin(&format!("{m}.experts.{e}.w3"), &[i, h])?,
                                lin(&format!("{m}.experts.{e}.w2"), &[h, i])?,
                            ))
                        })
                        .collect::<Result<_>>()?,
                    top_k: cfg.num_experts_per_tok,
                }
            } else {
                Mlp::Dense {
                    gate: lin("mlp.gate_proj", &[i, h])?,
                    up: lin("mlp.up_proj", &[i, h])?,
                    down: lin("mlp.down_proj", &[h, i])?,
                }
            };
            layers.push(Layer {
                input_norm: w.get(&format!("{p}.input_layernorm.weight"), &[h])?,
                attention,
                post_norm: w.get(&format!("{p}.post_attention_layernorm.weight"), &[h])?,
                mlp,
            });
        }
        let norm = w.get("model.norm.weight", &[h])?;
        let lm_head = if cfg.tie_word_embeddings {
            embed.clone()
        } else {
            w.get("lm_head.weight", &[cfg.vocab_size, h])?
        };
        let (cos, sin) = rope_tables(cfg, device)?;
        Ok(Self {
            config: cfg.clone(),
            embed,
            layers,
            norm,
            lm_head,
            cos,
            sin,
            dtype,
            eps: cfg.rms_norm_eps,
        })
    }

    /// `ids` is (batch, time) u32. With a cache, positions continue after the cached ones.
    pub fn forward(&self, ids: &Tensor, cache: Option<&mut KvCache>) -> Result<Output> {
        self.forward_inner(ids, cache, false)
    }

    /// Only the last position's logits (batch, vocab): generation needs nothing else.
    pub fn forward_last(&self, ids: &Tensor, cache: &mut KvCache) -> Result<Tensor> {
        Ok(self.forward_inner(ids, Some(cache), true)?.logits)
    }

    fn forward_inner(
        &self,
        ids: &Tensor,
        cache: Option<&mut KvCache>,
        last_only: bool,
    ) -> Result<Output> {
        let (x, aux_loss) = self.hidden(ids, cache, last_only)?;
        let logits = x
            .matmul(&cast(&self.lm_head, self.dtype)?.t()?)?
            .to_dtype(DType::F32)?;
        Ok(Output { logits, aux_loss })
    }

    /// Mean next-token loss over the targets that are not `IGNORE`, plus the MoE balance loss.
    /// The logits are made a block of rows at a time, so they never exist whole: 8192 positions
    /// × a 32k vocabulary would be 1 GB, and its gradient as much again.
    pub fn loss(&self, ids: &Tensor, targets: &[u32]) -> Result<(Tensor, Option<Tensor>)> {
        let (hidden, aux) = self.hidden(ids, None, false)?;
        self.head_loss(&hidden, aux, targets)
    }

    /// The blockwise head and cross-entropy of [`Self::loss`] over given hidden states.
    fn head_loss(
        &self,
        hidden: &Tensor,
        aux: Option<Tensor>,
        targets: &[u32],
    ) -> Result<(Tensor, Option<Tensor>)> {
        let rows = hidden.dim(0)?;
        if targets.len() != rows {
            candle_core::bail!("{} targets for {rows} positions", targets.len());
        }
        let chunk = (LOGITS_BLOCK_ELEMS / self.config.vocab_size.max(1)).clamp(1, rows.max(1));
        let total = targets.iter().filter(|&&t| t != ops::IGNORE).count().max(1);
        let head = cast(&self.lm_head, self.dtype)?.t()?;
        let device = hidden.device();
        let mut sum: Option<Tensor> = None;
        for start in (0..rows).step_by(chunk) {
            let n = chunk.min(rows - start);
            let part = &targets[start..start + n];
            let kept = part.iter().filter(|&&t| t != ops::IGNORE).count();
            if kept == 0 {
                continue;
            }
            let logits = hidden
                .narrow(0, start, n)?
                .matmul(&head)?
                .to_dtype(DType::F32)?;
            let part = Tensor::from_slice(part, n, device)?;
            let block = (ops::cross_entropy(&logits, &part)? * (kept as f64 / total as f64))?;
            sum = Some(match sum {
                None => block,
                Some(s) => (s + block)?,
            });
        }
        let loss = match sum {
            Some(s) => s,
            None => Tensor::zeros((), DType::F32, device)?,
        };
        Ok((loss, aux))
    }

    /// [`Self::loss`] for a training step: on CPU in f32 the head and cross-entropy run as one
    /// op that computes its gradients in the forward pass (see [`super::lm_head`]), so call it
    /// only when a backward pass follows.
    pub fn train_loss(&self, ids: &Tensor, targets: &[u32]) -> Result<(Tensor, Option<Tensor>)> {
        let (hidden, aux) = self.hidden(ids, None, false)?;
        if !super::lm_head::usable(&hidden, &self.lm_head) {
            return self.head_loss(&hidden, aux, targets);
        }
        let rows = hidden.dim(0)?;
        if targets.len() != rows {
            candle_core::bail!("{} targets for {rows} positions", targets.len());
        }
        let block = (LOGITS_BLOCK_ELEMS / self.config.vocab_size.max(1)).clamp(1, rows.max(1));
        let loss = super::lm_head::loss(&hidden, &self.lm_head, targets, block)?;
        Ok((loss, aux))
    }

    /// The final normalised hidden states (rows, width) and the MoE balance loss.
    fn hidden(
        &self,
        ids: &Tensor,
        mut cache: Option<&mut KvCache>,
        last_only: bool,
    ) -> Result<(Tensor, Option<Tensor>)> {
        let (b, t) = ids.dims2()?;
        let pos = cache.as_deref().map_or(0, KvCache::len);
        if pos + t > self.config.max_position_embeddings {
            candle_core::bail!(
                "{} tokens do not fit the model's context of {}",
                pos + t,
                self.config.max_position_embeddings
            );
        }
        if let Some(c) = cache.as_deref_mut()
            && c.layers.len() != self.layers.len()
        {
            c.layers = vec![None; self.layers.len()];
        }
        let cos = self.cos.narrow(0, pos, t)?;
        let sin = self.sin.narrow(0, pos, t)?;
        let embed = cast(&self.embed, self.dtype)?;
        let mut x = embed.index_select(&ids.flatten_all()?, 0)?;
        let mut aux: Option<Tensor> = None;
        for (l, layer) in self.layers.iter().enumerate() {
            let normed = ops::rms_norm(&x, &cast(&layer.input_norm, self.dtype)?, self.eps)?;
            let kv = cache.as_deref_mut().map(|c| &mut c.layers[l]);
            let attn = layer.attention.forward(&normed, b, t, &cos, &sin, kv)?;
            x = (x + attn)?;
            let normed = ops::rms_norm(&x, &cast(&layer.post_norm, self.dtype)?, self.eps)?;
            let (mlp, layer_aux) = layer.mlp.forward(&normed)?;
            x = (x + mlp)?;
            if let Some(a) = layer_aux {
                aux = Some(match aux {
                    None => a,
                    Some(prev) => (prev + a)?,
                });
            }
        }
        if last_only {
            x = x.reshape((b, t, ()))?.narrow(1, t - 1, 1)?.squeeze(1)?;
        }
        let x = ops::rms_norm(&x, &cast(&self.norm, self.dtype)?, self.eps)?;
        let aux_loss = match aux {
            Some(a) => Some((a.to_dtype(DType::F32)? * self.config.router_aux_loss_coef)?),
            None => None,
        };
        Ok((x, aux_loss))
    }
}

fn rope_tables(cfg: &ModelConfig, device: &Device) -> Result<(Tensor, Tensor)> {
    let half = cfg.head_dim() / 2;
    let positions = cfg.max_position_embeddings;
    let mut cos = Vec::with_capacity(positions * half);
    let mut sin = Vec::with_capacity(positions * half);
    for p in 0..positions {
        for i in 0..half {
            let inv = 1.0 / cfg.rope_theta.powf((2 * i) as f64 / cfg.head_dim() as f64);
            let angle = p as f64 * inv;
            cos.push(angle.cos() as f32);
            sin.push(angle.sin() as f32);
        }
    }
    Ok((
        Tensor::from_vec(cos, (positions, half), device)?,
        Tensor::from_vec(sin, (positions, half), device)?,
    ))
}

impl Attention {
    fn forward(
        &self,
        x: &Tensor,
        b: usize,
        t: usize,
        cos: &Tensor,
        sin: &Tensor,
        cache: Option<&mut Option<(Tensor, Tensor)>>,
    ) -> Result<Tensor> {
        let (h, kvh, d) = (self.heads, self.kv_heads, self.head_dim);
        let cos = cos.to_dtype(x.dtype())?;
        let sin = sin.to_dtype(x.dtype())?;
        let q = self.q.forward(x)?.reshape((b, t, h, d))?.transpose(1, 2)?;
        let q = ops::rope(&q, &cos, &sin)?;
        let k = self
            .k
            .forward(x)?
            .reshape((b, t, kvh, d))?
            .transpose(1, 2)?;
        let mut k = ops::rope(&k, &cos, &sin)?;
        let mut v = self
            .v
            .forward(x)?
            .reshape((b, t, kvh, d))?
            .transpose(1, 2)?
            .contiguous()?;
        if let Some(slot) = cache {
            if let Some((pk, pv)) = slot.as_ref() {
                k = Tensor::cat(&[pk, &k], 2)?;
                v = Tensor::cat(&[pv, &v], 2)?;
            }
            *slot = Some((k.clone(), v.clone()));
        }
        let s = k.dim(2)?;
        if kvh != h {
            let rep = h / kvh;
            k = k
                .unsqueeze(2)?
                .expand((b, kvh, rep, s, d))?
                .reshape((b, h, s, d))?;
            v = v
                .unsqueeze(2)?
                .expand((b, kvh, rep, s, d))?
                .reshape((b, h, s, d))?;
        }
        let scores = q.contiguous()?.matmul(&k.t()?)?;
        let probs = ops::causal_softmax(&scores, 1.0 / (d as f64).sqrt())?;
        let y = probs.matmul(&v)?.transpose(1, 2)?.reshape((b * t, h * d))?;
        self.o.forward(&y)
    }
}

impl Mlp {
    /// `x` is (rows, hidden); returns the output and, for MoE, the load-balancing loss.
    fn forward(&self, x: &Tensor) -> Result<(Tensor, Option<Tensor>)> {
        match self {
            Self::Dense { gate, up, down } => {
                let hidden = ops::silu_mul(&gate.forward(x)?, &up.forward(x)?)?;
                Ok((down.forward(&hidden)?, None))
            }
            Self::Moe {
                router,
                experts,
                top_k,
            } => moe_forward(x, router, experts, *top_k),
        }
    }
}

/// Mixtral routing: softmax over experts, keep the top k, renormalise their weights; each expert
/// runs only on its tokens. The Switch-Transformer balance loss E · Σ fᵢ·Pᵢ pushes the router to
/// spread tokens evenly.
fn moe_forward(
    x: &Tensor,
    router: &Linear,
    experts: &[(Linear, Linear, Linear)],
    top_k: usize,
) -> Result<(Tensor, Option<Tensor>)> {
    let rows = x.dim(0)?;
    let n = experts.len();
    let logits = router.forward(x)?.to_dtype(DType::F32)?;
    let max = logits.max_keepdim(D::Minus1)?;
    let exp = logits.broadcast_sub(&max)?.exp()?;
    let probs_grad = exp.broadcast_div(&exp.sum_keepdim(D::Minus1)?)?;
    let host: Vec<Vec<f32>> = probs_grad.to_vec2()?;
    let mut chosen: Vec<u32> = Vec::with_capacity(rows * top_k);
    let mut per_expert: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut per_expert_slot: Vec<Vec<u32>> = vec![Vec::new(); n];
    let mut order: Vec<usize> = (0..n).collect();
    for (r, row) in host.iter().enumerate() {
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        for (slot, &e) in order.iter().take(top_k).enumerate() {
            chosen.push((r * n + e) as u32);
            per_expert[e].push(r as u32);
            per_expert_slot[e].push((r * top_k + slot) as u32);
        }
    }
    let device = x.device();
    let chosen_t = Tensor::from_vec(chosen, rows * top_k, device)?;
    let weights = probs_grad
        .flatten_all()?
        .index_select(&chosen_t, 0)?
        .reshape((rows, top_k))?;
    let weights = weights
        .broadcast_div(&weights.sum_keepdim(1)?)?
        .flatten_all()?
        .to_dtype(x.dtype())?;
    let mut out = x.zeros_like()?;
    for (e, (w1, w3, w2)) in experts.iter().enumerate() {
        if per_expert[e].is_empty() {
            continue;
        }
        let idx = Tensor::from_slice(&per_expert[e], per_expert[e].len(), device)?;
        let slots = Tensor::from_slice(&per_expert_slot[e], per_expert_slot[e].len(), device)?;
        let xs = x.index_select(&idx, 0)?;
        let y = w2.forward(&ops::silu_mul(&w1.forward(&xs)?, &w3.forward(&xs)?)?)?;
        let w = weights.index_select(&slots, 0)?.unsqueeze(1)?;
        out = out.index_add(&idx, &y.broadcast_mul(&w)?, 0)?;
    }
    let mut counts = vec![0f32; n];
    for (e, members) in per_expert.iter().enumerate() {
        counts[e] = members.len() as f32 / (rows * top_k).max(1) as f32;
    }
    let fraction = Tensor::from_vec(counts, n, device)?;
    let mean_prob = probs_grad.mean(0)?;
    let balance = ((fraction * mean_prob)?.sum_all()? * n as f64)?;
    Ok((out, Some(balance)))
}

/// Folds LoRA adapters into their base weights: what generation and export load.
pub fn merge_lora(
    base: &HashMap<String, Tensor>,
    adapters: &HashMap<String, Tensor>,
    lora: &LoraConfig,
) -> Result<HashMap<String, Tensor>> {
    let mut out = HashMap::with_capacity(base.len());
    for (name, w) in base {
        let stem = name.strip_suffix(".weight").unwrap_or(name);
        let merged = match (
            adapters.get(&format!("{stem}.lora_A.weight")),
            adapters.get(&format!("{stem}.lora_B.weight")),
        ) {
            (Some(a), Some(b)) => (w + (b.matmul(a)? * lora.scale())?)?,
            _ => w.clone(),
        };
        out.insert(name.clone(), merged);
    }
    Ok(out)
}
