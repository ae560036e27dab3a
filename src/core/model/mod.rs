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
