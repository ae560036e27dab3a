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
pub mod gpu;
pub mod llama;
pub mod lm_head;
pub mod ops;
pub mod rng;

pub use config::{ModelConfig, Preset};
pub use llama::{KvCache, Llama, LoraConfig, Weights};

use candle_core::{DType, Device};

/// Machines with at most this many threads run candle's element-wise ops on one thread.
const SMALL_MACHINE_THREADS: usize = 4;

/// Candle runs element-wise ops on its own pool of `CANDLE_NUM_THREADS − 1` workers, which spin
/// for a while after each op, beside rayon's pool running the matmuls. On a small machine the
/// spinning takes a core away from the matmul that follows: 7% of a training step on 2 cores,
/// and training ran 5–8% faster with one thread for those ops (measured with the train
/// benchmark). Larger machines keep candle's default; an explicit `CANDLE_NUM_THREADS` wins.
///
/// # Safety
/// It may set an environment variable, so no other thread may exist yet (call it first in
/// `main`).
#[allow(unsafe_code)]
pub unsafe fn set_cpu_defaults() {
    let threads = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1);
    if std::env::var_os("CANDLE_NUM_THREADS").is_none() && threads <= SMALL_MACHINE_THREADS {
        // SAFETY: the caller guarantees no other thread exists, so nothing reads the
        // environment concurrently.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
}

/// Makes the calling thread worker 0 of rayon's global pool, so a training process runs exactly
/// as many threads as cores: otherwise the thread driving the loop is one more, and while it runs
/// the serial parts of a step the pool's idle workers spin and yield on the cores it needs
/// (5% of a step in `sched_yield` on 2 cores). Call it before anything uses rayon; later calls
/// do nothing.
pub fn join_compute_pool() {
    let built = rayon::ThreadPoolBuilder::new()
        .use_current_thread()
        .thread_name(|i| format!("dezgah-compute-{i}"))
        .build_global();
    if let Err(e) = built {
        log::debug!("rayon's pool was already set up: {e}");
    }
}

/// Parses the device field of a run config: `cpu`, `cuda`, `cuda:N` or `metal`.
///
/// A device this build or machine lacks is refused with what to do about it: candle's own
/// errors are a driver code (and a backtrace when `RUST_BACKTRACE` is set).
pub fn device_from_name(name: &str) -> candle_core::Result<Device> {
    if is_cpu_name(name) {
        return Ok(Device::Cpu);
    }
    let name = name.trim();
    let index = match name {
        "metal" => return open_metal(),
        "cuda" => Some(0),
        other => other
            .strip_prefix("cuda:")
            .and_then(|n| n.parse::<usize>().ok()),
    };
    match index {
        Some(n) => open_cuda(n),
        None => refuse(format!(
            "unknown device {name:?}: use cpu, cuda, cuda:N or metal"
        )),
    }
}

/// Whether a device field names the CPU, without opening any device.
pub fn is_cpu_name(name: &str) -> bool {
    matches!(name.trim(), "" | "cpu")
}

fn open_cuda(n: usize) -> candle_core::Result<Device> {
    if !cfg!(feature = "cuda") {
        return refuse(format!(
            "cuda:{n}: this build of Dəzgah has no CUDA support; build it with \
             scripts/build-cuda.sh (cargo build --release --features cuda)"
        ));
    }
    Device::new_cuda(n).map_err(|e| {
        candle_core::Error::Msg(format!(
            "cannot open CUDA device {n} ({}): is there an NVIDIA GPU with its driver, and \
             does CUDA_VISIBLE_DEVICES show it?",
            error_text(&e)
        ))
    })
}

fn open_metal() -> candle_core::Result<Device> {
    if !cfg!(feature = "metal") {
        return refuse(
            "metal: this build of Dəzgah has no Metal support; build it on a Mac with \
             cargo build --release --features metal"
                .to_owned(),
        );
    }
    Device::new_metal(0).map_err(|e| {
        candle_core::Error::Msg(format!("cannot open the Metal device ({})", error_text(&e)))
    })
}

/// An error without the backtrace candle's `bail!` attaches when `RUST_BACKTRACE` is set: these
/// are the user's mistakes, shown in the CLI and in `status.json`.
fn refuse(message: String) -> candle_core::Result<Device> {
    Err(candle_core::Error::Msg(message))
}

/// A candle error's message without the backtrace candle attaches when `RUST_BACKTRACE` is
/// set, on one line: what a user reads. The full text (`to_string`) belongs in a run's log.
pub fn error_text(e: &candle_core::Error) -> String {
    use candle_core::Error;
    match e {
        Error::WithBacktrace { inner, .. } => error_text(inner),
        Error::Context { inner, context } => format!("{context}: {}", error_text(inner)),
        Error::WithPath { inner, path } => format!("{}: {}", path.display(), error_text(inner)),
        Error::WrappedContext { wrapped, context } => format!("{context}: {wrapped}"),
        other => other.to_string(),
    }
}

/// Whether the error carries a backtrace (worth writing to a log).
pub fn has_backtrace(e: &candle_core::Error) -> bool {
    use candle_core::Error;
    match e {
        Error::WithBacktrace { .. } => true,
        Error::Context { inner, .. } | Error::WithPath { inner, .. } => has_backtrace(inner),
        _ => false,
    }
}

/// Any error's own message, a candle error's without its backtrace.
pub fn user_text(e: &(dyn std::error::Error + 'static)) -> String {
    e.downcast_ref::<candle_core::Error>()
        .map_or_else(|| e.to_string(), error_text)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What `bail!` makes when `RUST_BACKTRACE` is set, without depending on the variable.
    fn with_backtrace(message: &str) -> candle_core::Error {
        candle_core::Error::WithBacktrace {
            inner: Box::new(candle_core::Error::Msg(message.into())),
            backtrace: Box::new(std::backtrace::Backtrace::force_capture()),
        }
    }

    #[test]
    fn no_backtrace_reaches_the_user_text_of_an_error() {
        let e = with_backtrace("shape mismatch in matmul");
        let full = e.to_string();
        assert!(
            full.lines().count() > 3,
            "the fixture has a backtrace: {full}"
        );
        assert_eq!(error_text(&e), "shape mismatch in matmul");
        assert!(has_backtrace(&e));
        let e = with_backtrace("out of memory").context("step 12");
        assert_eq!(error_text(&e), "step 12: out of memory");
        // The training error a run reports: the message without the frames; the frames for
        // the log.
        let err = crate::train::TrainError::Model {
            context: "forward".into(),
            error: with_backtrace("dtype mismatch"),
        };
        assert_eq!(err.to_string(), "forward: dtype mismatch");
        let detail = err.detail().expect("a detail for the log");
        assert!(detail.lines().count() > 3, "{detail}");
        // And through anyhow, as the command line prints errors.
        let cli: anyhow::Error = anyhow::Error::new(with_backtrace("bad weights")).context("load");
        let line = crate::error_line(cli.as_ref());
        assert_eq!(line, "load: bad weights");
    }

    #[test]
    fn device_names() {
        for name in ["", "cpu", " cpu "] {
            assert!(device_from_name(name).expect("cpu").is_cpu(), "{name:?}");
        }
        for name in ["gpu", "cuda:x", "cuda:-1", "CPU0"] {
            let e = device_from_name(name).expect_err(name).to_string();
            assert!(e.contains("unknown device") && e.contains("cuda:N"), "{e}");
        }
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_on_a_cpu_build_says_how_to_get_it() {
        for name in ["cuda", "cuda:1"] {
            let e = device_from_name(name).expect_err(name).to_string();
            assert!(e.contains("no CUDA support"), "{e}");
            assert!(e.contains("scripts/build-cuda.sh"), "{e}");
        }
        assert_eq!(available_devices(), ["cpu"]);
    }

    #[cfg(not(feature = "metal"))]
    #[test]
    fn metal_on_a_build_without_it_says_so() {
        let e = device_from_name("metal").expect_err("metal").to_string();
        assert!(
            e.contains("no Metal support") && e.contains("--features metal"),
            "{e}"
        );
    }
}
