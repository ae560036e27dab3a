//! Sampling text from a model: KV cache, temperature, top-k, top-p, repetition penalty, stop
//! strings and a seed that makes the output repeatable.

use candle_core::{Device, Result, Tensor};
use serde::{Deserialize, Serialize};

use super::llama::{KvCache, Llama};
use super::rng::Rng;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplingConfig {
    pub max_tokens: usize,
    /// 0 picks the most likely token every time.
    pub temperature: f64,
    /// 0 keeps all tokens.
    pub top_k: usize,
    /// 1 keeps all tokens.
    pub top_p: f64,
    /// Above 1 makes tokens already in the text less likely (the CTRL paper's penalty).
    pub repetition_penalty: f64,
    pub seed: u64,
    pub stop: Vec<String>,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        Self {
            max_tokens: 128,
            temperature: 0.8,
            top_k: 40,
            top_p: 0.95,
            repetition_penalty: 1.1,
            seed: 42,
            stop: Vec::new(),
        }
    }
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finish {
    MaxTokens,
    EndToken,
    StopString,
    ContextFull,
    Cancelled,
}

#[derive(Debug, Clone)]
pub struct Generation {
    pub ids: Vec<u32>,
    pub text: String,
    pub finish: Finish,
    pub tokens_per_sec: f64,
}

/// Picks one token from `logits` (one row, f32).
pub fn sample_token(
    logits: &mut [f32],
    history: &[u32],
    cfg: &SamplingConfig,
    rng: &mut Rng,
) -> u32 {
    if cfg.repetition_penalty > 0.0 && (cfg.repetition_penalty - 1.0).abs() > f64::EPSILON {
        let p = cfg.repetition_penalty as f32;
        let mut seen = history.to_vec();
        seen.sort_unstable();
        seen.dedup();
        for &id in &seen {
            if let Some(l) = logits.get_mut(id as usize) {
                *l = if *l > 0.0 { *l / p } else { *l * p };
            }
        }
    }
    let argmax = || {
        logits
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
            .map_or(0, |(i, _)| i as u32)
    };
    if cfg.temperature <= 0.0 {
        return argmax();
    }
    let mut order: Vec<u32> = (0..logits.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        logits[b as usize]
            .total_cmp(&logits[a as usize])
            .then(a.cmp(&b))
    });
    if cfg.top_k > 0 {
        order.truncate(cfg.top_k);
    }
    let max = logits[order[0] as usize];
    let t = cfg.temperature as f32;
    let mut probs: Vec<f64> = order
        .iter()
        .map(|&i| f64::from(((logits[i as usize] - max) / t).exp()))
        .collect();
    let total: f64 = probs.iter().sum();
    for p in &mut probs {
        *p /= total;
    }
    if cfg.top_p < 1.0 {
        let mut acc = 0.0;
        let mut keep = probs.len();
        for (i, p) in probs.iter().enumerate() {
            acc += p;
            if acc >= cfg.top_p {
                keep = i + 1;
                break;
            }
        }
        probs.truncate(keep);
        order.truncate(keep);
        let total: f64 = probs.iter().sum();
        for p in &mut probs {
            *p /= total;
        }
    }
    let mut u = rng.next_f64();
    for (i, p) in probs.iter().enumerate() {
        if u < *p {
            return order[i];
        }
        u -= p;
    }
    order.last().copied().unwrap_or(0)
}

/// Generates after `prompt_ids`, calling `on_text` with each new piece of decoded text. `decode`
/// turns ids into text (the tokenizer's decoder); `end_ids` stop generation without being
/// printed; `cancel` is polled between tokens.
#[allow(clippy::too_many_arguments)]
pub fn generate(
    model: &Llama,
    device: &Device,
    prompt_ids: &[u32],
    cfg: &SamplingConfig,
    end_ids: &[u32],
    decode: &dyn Fn(&[u32]) -> String,
    on_text: &mut dyn FnMut(&str),
    cancel: &dyn Fn() -> bool,
) -> Result<Generation> {
    let started = std::time::Instant::now();
    let context = model.config.max_position_embeddings;
    let mut prompt = prompt_ids.to_vec();
    if prompt.is_empty() {
        candle_core::bail!("the prompt is empty");
    }
    if prompt.len() >= context {
        // Keep the end of an over-long prompt: that is what the answer follows.
        prompt.drain(..prompt.len() + 1 - context);
    }
    // Decoding the new ids alone would drop the space a word-start piece carries (decoders strip
    // it at the start of text), so decode prompt + answer and keep what follows the prompt.
    let prompt_text = decode(&prompt);
    let continuation = |ids: &[u32]| -> String {
        let mut all = prompt.clone();
        all.extend_from_slice(ids);
        let text = decode(&all);
        match text.strip_prefix(prompt_text.as_str()) {
            Some(rest) => rest.to_owned(),
            None => decode(ids),
        }
    };
    let mut rng = Rng::new(cfg.seed);
    let mut cache = KvCache::default();
    let mut ids: Vec<u32> = Vec::new();
    let mut printed = String::new();
    let mut next_input = prompt.clone();
    let mut finish = Finish::MaxTokens;
    while ids.len() < cfg.max_tokens {
        if cancel() {
            finish = Finish::Cancelled;
            break;
        }
        if cache.len() + next_input.len() > context {
            finish = Finish::ContextFull;
            break;
        }
        let input = Tensor::from_slice(&next_input, (1, next_input.len()), device)?;
        let logits = model.forward_last(&input, &mut cache)?;
        let mut row: Vec<f32> = logits.squeeze(0)?.to_vec1()?;
        let history: Vec<u32> = prompt.iter().chain(ids.iter()).copied().collect();
        let next = sample_token(&mut row, &history, cfg, &mut rng);
        if end_ids.contains(&next) {
            finish = Finish::EndToken;
            break;
        }
        ids.push(next);
        next_input = vec![next];
        let text = continuation(&ids);
        if let Some(cut) = cfg
            .stop
            .iter()
            .filter(|s| !s.is_empty())
            .filter_map(|s| text.find(s.as_str()))
            .min()
        {
            if cut > printed.len() && text.is_char_boundary(printed.len()) {
                on_text(&text[printed.len()..cut]);
            }
            text[..cut].clone_into(&mut printed);
            finish = Finish::StopString;
            break;
        }
        // Print only what can no longer change: a byte-fallback sequence may still be half a
        // character, which decodes as U+FFFD until its last byte arrives.
        if !text.ends_with('\u{FFFD}') && text.len() > printed.len() && text.starts_with(&printed) {
            on_text(&text[printed.len()..]);
            printed = text;
        } else if !text.starts_with(&printed) {
            printed = text;
        }
    }
    let full = continuation(&ids);
    let text = if finish == Finish::StopString {
        printed
    } else {
        if full.len() > printed.len() && full.starts_with(&printed) {
            on_text(&full[printed.len()..]);
        }
        full
    };
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    Ok(Generation {
        tokens_per_sec: ids.len() as f64 / secs,
        ids,
        text,
        finish,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_top_k_top_p_and_penalty_behave() {
        let mut rng = Rng::new(1);
        let greedy = SamplingConfig {
            temperature: 0.0,
            repetition_penalty: 1.0,
            ..SamplingConfig::default()
        };
        assert_eq!(
            sample_token(&mut [0.1, 3.0, 0.2], &[], &greedy, &mut rng),
            1
        );
        let penalised = SamplingConfig {
            repetition_penalty: 10.0,
            ..greedy.clone()
        };
        assert_eq!(
            sample_token(&mut [0.1, 3.0, 2.0], &[1], &penalised, &mut rng),
            2
        );
        let top1 = SamplingConfig {
            temperature: 1.0,
            top_k: 1,
            ..greedy.clone()
        };
        for _ in 0..50 {
            assert_eq!(sample_token(&mut [0.0, 1.0, 0.5], &[], &top1, &mut rng), 1);
        }
        let nucleus = SamplingConfig {
            temperature: 1.0,
            top_k: 0,
            top_p: 0.5,
            ..greedy
        };
        for _ in 0..50 {
            assert_eq!(
                sample_token(&mut [0.0, 5.0, 0.0, 0.0], &[], &nucleus, &mut rng),
                1
            );
        }
    }
}
