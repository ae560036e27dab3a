//! The llama-style language model in candle: configuration and presets, the network (dense or
//! mixture of experts, optional LoRA), the fused ops it trains with, and sampling.

// Tensor code reads best with the papers' names (b, t, h, d for batch, time, heads, width),
// and weight maps are always `HashMap<String, Tensor>` from safetensors.
#![allow(
    clippy::many_single_char_names,
    clippy::similar_names,
    clippy::implicit_hasher
)]

pub mod config;
pub mod generate;
pub mod llama;
pub mod ops;
pub mod rng;

pub use config::{ModelConfig, Preset};
pub use llama::{KvCache, Llama, LoraConfig, Weights};

use candle_core::{DType, Device};

/// Parses the device field of a run config: `cpu`, `cuda`, `cuda:N` or `metal`.
pub fn device_from_name(name: &str) -> candle_core::Result<Device> {
    match name.trim() {
        "" | "cpu" => Ok(Device::Cpu),
        "cuda" => Device::new_cuda(0),
        "metal" => Device::new_metal(0),
        other => match other.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(n)) => Device::new_cuda(n),
            _ => candle_core::bail!("unknown device {other:?}: use cpu, cuda, cuda:N or metal"),
        },
    }
}

/// Parses the compute-precision field: `f32`, `bf16` or `f16`.
pub fn dtype_from_name(name: &str) -> candle_core::Result<DType> {
    match name.trim() {
        "" | "f32" => Ok(DType::F32),
        "bf16" => Ok(DType::BF16),
        "f16" => Ok(DType::F16),
        other => candle_core::bail!("unknown precision {other:?}: use f32, bf16 or f16"),
    }
}

/// The devices this build can train on, for a device picker: the CPU, then each CUDA device
/// that opens (with the `cuda` feature) and Metal (with the `metal` feature).
pub fn available_devices() -> Vec<String> {
    let mut out = vec!["cpu".to_owned()];
    if cfg!(feature = "cuda") {
        out.extend(
            (0..16)
                .map_while(|i| Device::new_cuda(i).ok().map(|_| format!("cuda:{i}")))
                .collect::<Vec<_>>(),
        );
    }
    if cfg!(feature = "metal") && Device::new_metal(0).is_ok() {
        out.push("metal".to_owned());
    }
    out
}

/// Bytes a training step needs beyond the weights, roughly: activations kept for the backward
/// pass (per layer: attention and MLP inputs and outputs, the attention matrix) and one block of
/// logits. An estimate for the launch form, not a bound.
pub fn activation_bytes(cfg: &ModelConfig, batch: usize, seq_len: usize) -> u64 {
    let (b, t) = (batch as u64, seq_len as u64);
    let (h, i) = (cfg.hidden_size as u64, cfg.intermediate_size as u64);
    let heads = cfg.num_attention_heads as u64;
    let per_layer = b * t * (12 * h + 4 * i) + 2 * b * heads * t * t;
    let logits = (b * t * cfg.vocab_size as u64).min(llama::LOGITS_BLOCK_ELEMS as u64) * 3;
    4 * (per_layer * cfg.num_hidden_layers as u64 + logits)
}
