//! Model sizes. Field names follow Hugging Face's `LlamaConfig` / `MixtralConfig`, so the export
//! writes `config.json` without renaming anything.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_key_value_heads: usize,
    pub max_position_embeddings: usize,
    pub rope_theta: f64,
    pub rms_norm_eps: f64,
    pub tie_word_embeddings: bool,
    /// 0 = a plain SwiGLU MLP; otherwise a Mixtral-style mixture of this many experts.
    pub num_local_experts: usize,
    pub num_experts_per_tok: usize,
    pub router_aux_loss_coef: f64,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Preset::Mini.config(8192)
    }
}

/// Named sizes, from one that trains in a test in seconds to GPT-2-small scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// ~1M parameters with an 8k vocabulary: tests and smoke runs.
    Tiny,
    /// The benchmark model: 4 layers × 256 wide, context 128.
    Mini,
    /// ~16M with a 16k vocabulary: first real runs on a laptop CPU.
    Small,
    /// ~41M with a 16k vocabulary.
    Base,
    /// ~125M with a 32k vocabulary: GPT-2-small scale, for a GPU.
    Medium,
}

impl Preset {
    pub const ALL: [Self; 5] = [
        Self::Tiny,
        Self::Mini,
        Self::Small,
        Self::Base,
        Self::Medium,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Tiny => "tiny",
            Self::Mini => "mini",
            Self::Small => "small",
            Self::Base => "base",
            Self::Medium => "medium",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The preset's shape with the tokenizer's vocabulary.
    pub fn config(self, vocab_size: usize) -> ModelConfig {
        let (hidden, layers, heads, kv_heads, context) = match self {
            Self::Tiny => (64, 2, 4, 2, 128),
            Self::Mini => (256, 4, 4, 4, 128),
            Self::Small => (384, 6, 6, 2, 512),
            Self::Base => (576, 9, 9, 3, 1024),
            Self::Medium => (768, 12, 12, 4, 1024),
        };
        ModelConfig {
            vocab_size,
            hidden_size: hidden,
            intermediate_size: swiglu_hidden(hidden),
            num_hidden_layers: layers,
            num_attention_heads: heads,
            num_key_value_heads: kv_heads,
            max_position_embeddings: context,
            rope_theta: 10_000.0,
            rms_norm_eps: 1e-5,
            // GPT-2-small scale keeps its own output head, as Llama does at size.
            tie_word_embeddings: self != Self::Medium,
            num_local_experts: 0,
            num_experts_per_tok: 2,
            router_aux_loss_coef: 0.01,
        }
    }
}

/// SwiGLU's hidden width: 8/3 of the model width rounded up to 32, as Llama does.
pub fn swiglu_hidden(hidden: usize) -> usize {
    (8 * hidden / 3).div_ceil(32) * 32
}

impl ModelConfig {
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads.max(1)
    }

    pub fn is_moe(&self) -> bool {
        self.num_local_experts > 0
    }

    /// Every parameter, the tied embedding counted once.
    pub fn parameter_count(&self) -> u64 {
        let h = self.hidden_size as u64;
        let kv = (self.num_key_value_heads * self.head_dim()) as u64;
        let i = self.intermediate_size as u64;
        let v = self.vocab_size as u64;
        let attention = h * h * 2 + h * kv * 2;
        let mlp_one = 3 * h * i;
        let mlp = if self.is_moe() {
            self.num_local_experts as u64 * mlp_one + h * self.num_local_experts as u64
        } else {
            mlp_one
        };
        let layer = attention + mlp + 2 * h;
        let head = if self.tie_word_embeddings { 0 } else { v * h };
        v * h + self.num_hidden_layers as u64 * layer + h + head
    }

    /// Bytes of f32 weights, gradients and the two AdamW moments: what training holds before
    /// activations.
    pub fn training_state_bytes(&self) -> u64 {
        self.parameter_count() * 4 * 4
    }

    /// Checks the shape before any tensor is made, so a bad custom size is a sentence, not a panic.
    pub fn validate(&self) -> Result<(), String> {
        if self.vocab_size == 0 || self.hidden_size == 0 || self.num_hidden_layers == 0 {
            return Err("vocabulary, width and layer count must all be above zero".into());
        }
        if self.num_attention_heads == 0
            || !self.hidden_size.is_multiple_of(self.num_attention_heads)
        {
            return Err(format!(
                "width {} is not divisible by {} attention heads",
                self.hidden_size, self.num_attention_heads
            ));
        }
        if !self.head_dim().is_multiple_of(2) {
            return Err(format!(
                "head width {} must be even for rotary embeddings",
                self.head_dim()
            ));
        }
        if self.num_key_value_heads == 0
            || !self
                .num_attention_heads
                .is_multiple_of(self.num_key_value_heads)
        {
            return Err(format!(
                "{} attention heads are not a multiple of {} key/value heads",
                self.num_attention_heads, self.num_key_value_heads
            ));
        }
        if self.max_position_embeddings == 0 {
            return Err("the context length must be above zero".into());
        }
        if self.is_moe()
            && (self.num_experts_per_tok == 0 || self.num_experts_per_tok > self.num_local_experts)
        {
            return Err(format!(
                "top-{} routing needs between 1 and {} experts per token",
                self.num_experts_per_tok, self.num_local_experts
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_the_sizes_their_docs_promise() {
        let tiny = Preset::Tiny.config(8192).parameter_count();
        assert!((500_000..1_500_000).contains(&tiny), "tiny {tiny}");
        let medium = Preset::Medium.config(32_000).parameter_count();
        assert!(
            (100_000_000..140_000_000).contains(&medium),
            "medium {medium}"
        );
        for preset in Preset::ALL {
            assert_eq!(Preset::from_name(preset.name()), Some(preset));
            preset.config(16_000).validate().expect("valid preset");
        }
        assert_eq!(swiglu_hidden(256), 704);
    }

    #[test]
    fn bad_shapes_are_explained() {
        let mut c = Preset::Tiny.config(100);
        c.num_attention_heads = 3;
        assert!(c.validate().expect_err("3 heads").contains("divisible"));
        let mut c = Preset::Tiny.config(100);
        c.num_local_experts = 2;
        c.num_experts_per_tok = 3;
        assert!(c.validate().expect_err("top-3 of 2").contains("top-3"));
    }
}
