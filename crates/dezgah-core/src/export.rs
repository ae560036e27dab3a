//! Export a checkpoint so other tools load it the first time: a Hugging Face folder
//! (transformers), a GGUF file (llama.cpp, Ollama) and an Ollama Modelfile — each after a check
//! that says in plain words what would break (vocabulary vs embedding rows, special tokens, the
//! chat template, the tokenizer type, round-trip tokenisation, tensor names and shapes).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{DType, Device, Tensor};
use serde_json::json;
use tokenizers::Tokenizer;

use crate::model::ModelConfig;
use crate::model::llama::parameter_specs;
use crate::train::data::{CHAT_TEMPLATE, Message, Role, SpecialIds, render_chat};
use crate::train::{TrainError, checkpoint};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Train(#[from] TrainError),
    #[error("{0}")]
    Tokenizer(String),
    #[error("{context}: {}", crate::model::error_text(error))]
    Tensor {
        context: String,
        error: candle_core::Error,
    },
    #[error("{0}")]
    Refused(String),
    #[error("{path}: cannot be written: {source}")]
    DiskFull {
        path: PathBuf,
        source: crate::diskfull::DiskFull,
    },
}

impl ExportError {
    /// A write that ran out of room names `out`, the file the user asked for, rather than the
    /// temporary file it was being written to.
    fn naming(self, out: &Path) -> Self {
        let full = match &self {
            Self::Io { source, .. } => crate::diskfull::io_is_full(source),
            Self::Tensor { error, .. } => {
                candle_io(error).is_some_and(crate::diskfull::io_is_full)
                    || crate::diskfull::chain_is_full(error)
            }
            Self::DiskFull { .. } => true,
            _ => false,
        };
        if full {
            Self::DiskFull {
                path: out.to_owned(),
                source: crate::diskfull::DiskFull::at(out),
            }
        } else {
            self
        }
    }
}

/// The OS error inside a candle error (GGUF writing reports its I/O through candle).
fn candle_io(e: &candle_core::Error) -> Option<&std::io::Error> {
    use candle_core::Error;
    match e {
        Error::Io(io) => Some(io),
        Error::WithBacktrace { inner, .. }
        | Error::Context { inner, .. }
        | Error::WithPath { inner, .. } => candle_io(inner),
        _ => None,
    }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| {
        if crate::diskfull::io_is_full(&source) {
            ExportError::DiskFull {
                path: path.to_owned(),
                source: crate::diskfull::DiskFull::at(path),
            }
        } else {
            ExportError::Io {
                path: path.to_owned(),
                source,
            }
        }
    }
}

fn tensor_err(context: &str) -> impl FnOnce(candle_core::Error) -> ExportError + '_ {
    move |error| ExportError::Tensor {
        context: context.to_owned(),
        error,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    /// A Hugging Face model folder.
    Hf,
    /// One GGUF file for llama.cpp and Ollama.
    Gguf,
}

/// The number format of the exported weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    F32,
    F16,
    Bf16,
    /// GGUF only: 8-bit blocks of 32 (near-lossless).
    Q8_0,
    /// GGUF only: 4-bit blocks of 32.
    Q4_0,
}

impl Precision {
    pub const ALL: [Self; 5] = [Self::F32, Self::F16, Self::Bf16, Self::Q8_0, Self::Q4_0];

    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::Bf16 => "bf16",
            Self::Q8_0 => "q8_0",
            Self::Q4_0 => "q4_0",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    pub fn fits(self, target: Target) -> bool {
        match target {
            Target::Hf => matches!(self, Self::F32 | Self::F16 | Self::Bf16),
            Target::Gguf => !matches!(self, Self::Bf16),
        }
    }
}

/// How llama.cpp would read this tokenizer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizerKind {
    /// Byte-level BPE: GGUF `gpt2` with merges.
    ByteLevelBpe,
    /// Unigram over metaspace pieces: GGUF `t5` (llama.cpp's Unigram) with scores.
    Unigram,
    Other(String),
}

/// A checkpoint ready to export.
pub struct Source {
    pub checkpoint: PathBuf,
    pub config: ModelConfig,
    pub tokenizer: Tokenizer,
    /// The tokenizer file as JSON (merges, scores, pre-tokenizer).
    pub tokenizer_json: serde_json::Value,
    pub tokenizer_path: PathBuf,
    pub tensors: HashMap<String, Tensor>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("checkpoint", &self.checkpoint)
            .finish_non_exhaustive()
    }
}

/// Reads a run's checkpoint (`best`, `last` or a step), its model and its tokenizer.
pub fn open(run: &Path, which: &str) -> Result<Source, ExportError> {
    let dir = checkpoint::resolve(run, which)?;
    let config = checkpoint::read_config(&dir)?;
    let tokenizer_path = checkpoint::tokenizer_path(&dir)?;
    open_parts(&dir, config, &tokenizer_path)
}

fn open_parts(
    dir: &Path,
    config: ModelConfig,
    tokenizer_path: &Path,
) -> Result<Source, ExportError> {
    let text = std::fs::read_to_string(tokenizer_path).map_err(io_err(tokenizer_path))?;
    let tokenizer_json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ExportError::Tokenizer(format!("{}: {e}", tokenizer_path.display())))?;
    let tokenizer = crate::tokenizer::load(tokenizer_path)
        .map_err(|e| ExportError::Tokenizer(e.to_string()))?;
    let tensors = checkpoint::read_tensors(&dir.join(checkpoint::MODEL_FILE), &Device::Cpu)?;
    Ok(Source {
        checkpoint: dir.to_owned(),
        config,
        tokenizer,
        tokenizer_json,
        tokenizer_path: tokenizer_path.to_owned(),
        tensors,
    })
}

impl Source {
    pub fn tokenizer_kind(&self) -> TokenizerKind {
        let j = &self.tokenizer_json;
        let model = j["model"]["type"].as_str().unwrap_or("");
        let pre = j["pre_tokenizer"].to_string();
        match model {
            "BPE" if pre.contains("ByteLevel") => TokenizerKind::ByteLevelBpe,
            "Unigram" if pre.contains("Metaspace") => TokenizerKind::Unigram,
            other => TokenizerKind::Other(format!(
                "{} model with {} pre-tokenizer",
                if other.is_empty() { "unknown" } else { other },
                j["pre_tokenizer"]["type"].as_str().unwrap_or("no")
            )),
        }
    }

    /// Whether the tokenizer changes text before splitting it (the Azerbaijani normaliser).
    fn has_normalizer(&self) -> bool {
        !self.tokenizer_json["normalizer"].is_null()
    }

    fn special(&self) -> SpecialIds {
        SpecialIds::of(&self.tokenizer)
    }
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Ok,
    /// Works, with a caveat the user should know.
    Warn,
    /// The export would not load, or not behave like the model here.
    Fail,
}

/// One check's result: a message id (`export-check-…`) with its arguments, so the window and
/// the command line say it in the user's language.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finding {
    pub level: Level,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Finding {
    /// The finding in English prose, as errors and the command line say it.
    pub fn english(&self) -> String {
        self.say(&crate::i18n::I18n::new(crate::i18n::Lang::En))
    }

    /// The finding in `i18n`'s language.
    pub fn say(&self, i18n: &crate::i18n::I18n) -> String {
        let args: Vec<(&str, fluent_bundle::FluentValue<'_>)> = self
            .args
            .iter()
            .map(|(k, v)| (*k, v.as_str().into()))
            .collect();
        i18n.tr_args(self.key, &args)
    }
}

fn finding(level: Level, key: &'static str, args: &[(&'static str, String)]) -> Finding {
    Finding {
        level,
        key,
        args: args.to_vec(),
    }
}

/// Text the round-trip check encodes and decodes: Azerbaijani letters, digits, punctuation.
pub const SAMPLE_TEXT: &str = "Azərbaycan Respublikasının Konstitusiyası 12 noyabr 1995-ci ildə qəbul edilib. İnsan hüquqları, söz azadlığı və ölkənin müstəqilliyi: hamısı bu mətndə yazılıb!";

/// A short conversation the chat-template check renders.
fn sample_conversation() -> Vec<Message> {
    vec![
        Message {
            role: Role::System,
            content: "Sən köməkçisən.".into(),
        },
        Message {
            role: Role::User,
            content: "Bakı haradadır?".into(),
        },
        Message {
            role: Role::Assistant,
            content: "Xəzər dənizinin sahilində.".into(),
        },
        Message {
            role: Role::User,
            content: "Bəs Gəncə?".into(),
        },
    ]
}

/// Renders the chat template as Jinja does (the way transformers and llama.cpp read it).
pub fn render_template(
    messages: &[Message],
    add_generation_prompt: bool,
) -> Result<String, String> {
    let mut env = minijinja::Environment::new();
    env.add_template("chat", CHAT_TEMPLATE)
        .map_err(|e| e.to_string())?;
    let messages: Vec<serde_json::Value> = messages
        .iter()
        .map(|m| json!({"role": m.role.name(), "content": m.content}))
        .collect();
    env.get_template("chat")
        .and_then(|t| {
            t.render(minijinja::context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
            })
        })
        .map_err(|e| e.to_string())
}

/// Every check, for one target.
#[expect(
    clippy::too_many_lines,
    reason = "one list of checks, each a few lines, in the order the report shows them"
)]
pub fn check(src: &Source, target: Target) -> Vec<Finding> {
    let mut out = Vec::new();
    let cfg = &src.config;
    let vocab = src.tokenizer.get_vocab_size(true);
    let rows = src
        .tensors
        .get("model.embed_tokens.weight")
        .and_then(|t| t.dims().first().copied())
        .unwrap_or(0);
    // Vocabulary against embedding rows.
    if vocab > rows || rows != cfg.vocab_size {
        out.push(finding(
            Level::Fail,
            "export-check-vocab-too-big",
            &[("tokenizer", vocab.to_string()), ("rows", rows.to_string())],
        ));
    } else if vocab < rows {
        out.push(finding(
            Level::Ok,
            "export-check-vocab-padded",
            &[("tokenizer", vocab.to_string()), ("rows", rows.to_string())],
        ));
    } else {
        out.push(finding(
            Level::Ok,
            "export-check-vocab",
            &[("tokenizer", vocab.to_string())],
        ));
    }
    // Special tokens: a start and an end of text (by any of their usual names), the role
    // markers and the end of turn.
    let special = src.special();
    let mut missing: Vec<&str> = Vec::new();
    if special.bos.is_none() {
        missing.push("<s>");
    }
    if special.eos.is_none() {
        missing.push("</s>");
    }
    missing.extend(
        ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
            .into_iter()
            .filter(|t| src.tokenizer.token_to_id(t).is_none()),
    );
    if missing.is_empty() {
        out.push(finding(Level::Ok, "export-check-special", &[]));
    } else {
        out.push(finding(
            Level::Fail,
            "export-check-special-missing",
            &[("tokens", missing.join(" "))],
        ));
    }
    // The chat template renders, and renders what training saw.
    let conversation = sample_conversation();
    match render_template(&conversation, true) {
        Ok(text) if text == render_chat(&conversation, true).0 => {
            out.push(finding(Level::Ok, "export-check-template", &[]));
        }
        Ok(text) => out.push(finding(
            Level::Fail,
            "export-check-template-differs",
            &[("text", text)],
        )),
        Err(e) => out.push(finding(
            Level::Fail,
            "export-check-template-error",
            &[("error", e)],
        )),
    }
    // The tokenizer type the target can carry.
    match (target, src.tokenizer_kind()) {
        (Target::Hf, _) => out.push(finding(Level::Ok, "export-check-type-hf", &[])),
        (Target::Gguf, TokenizerKind::ByteLevelBpe) => out.push(finding(
            Level::Ok,
            "export-check-type-gguf",
            &[("kind", "gpt2".into())],
        )),
        (Target::Gguf, TokenizerKind::Unigram) => out.push(finding(
            Level::Ok,
            "export-check-type-gguf",
            &[("kind", "t5 (Unigram)".into())],
        )),
        (Target::Gguf, TokenizerKind::Other(what)) => out.push(finding(
            Level::Fail,
            "export-check-type-unsupported",
            &[("what", what)],
        )),
    }
    if target == Target::Gguf && src.has_normalizer() {
        out.push(finding(Level::Warn, "export-check-normalizer", &[]));
    }
    if target == Target::Gguf
        && src.tokenizer_kind() == TokenizerKind::Unigram
        && src.tokenizer_json["model"]["byte_fallback"].as_bool() == Some(true)
    {
        out.push(finding(Level::Warn, "export-check-byte-fallback", &[]));
    }
    // Round trip on sample text: back to the text as the tokenizer's normaliser leaves it
    // (a lower-casing tokenizer gives lower case back, and that is its design).
    let normal = src.tokenizer.get_normalizer().map_or_else(
        || SAMPLE_TEXT.to_owned(),
        |n| {
            let mut s = tokenizers::NormalizedString::from(SAMPLE_TEXT);
            match tokenizers::Normalizer::normalize(n, &mut s) {
                Ok(()) => s.get().to_owned(),
                Err(_) => SAMPLE_TEXT.to_owned(),
            }
        },
    );
    match src.tokenizer.encode(SAMPLE_TEXT, false) {
        Ok(enc) => {
            let decoded = src
                .tokenizer
                .decode(enc.get_ids(), false)
                .unwrap_or_default();
            let unknown = src
                .tokenizer
                .token_to_id("<unk>")
                .is_some_and(|unk| enc.get_ids().contains(&unk));
            if decoded.trim() == normal.trim() && !unknown {
                out.push(finding(
                    Level::Ok,
                    "export-check-round-trip",
                    &[("tokens", enc.len().to_string())],
                ));
            } else {
                out.push(finding(
                    Level::Fail,
                    "export-check-round-trip-differs",
                    &[("text", decoded)],
                ));
            }
        }
        Err(e) => out.push(finding(
            Level::Fail,
            "export-check-round-trip-differs",
            &[("text", e.to_string())],
        )),
    }
    // Tensor names and shapes.
    let mut problems = Vec::new();
    for (name, dims, _) in parameter_specs(cfg) {
        match src.tensors.get(&name) {
            None => problems.push(format!("{name} missing")),
            Some(t) if t.dims() != dims.as_slice() => {
                problems.push(format!("{name} is {:?}, not {dims:?}", t.dims()));
            }
            Some(_) => {}
        }
    }
    let expected: std::collections::HashSet<String> = parameter_specs(cfg)
        .into_iter()
        .map(|(n, _, _)| n)
        .collect();
    for name in src.tensors.keys() {
        if !expected.contains(name) {
            problems.push(format!("{name} unexpected"));
        }
    }
    problems.sort();
    if problems.is_empty() {
        out.push(finding(
            Level::Ok,
            "export-check-tensors",
            &[("count", src.tensors.len().to_string())],
        ));
    } else {
        let shown: Vec<String> = problems.iter().take(4).cloned().collect();
        out.push(finding(
            Level::Fail,
            "export-check-tensors-wrong",
            &[
                ("count", problems.len().to_string()),
                ("first", shown.join("; ")),
            ],
        ));
    }
    out
}

/// Whether a check list lets the export go ahead.
pub fn passes(findings: &[Finding]) -> bool {
    findings.iter().all(|f| f.level != Level::Fail)
}

/// Writes a folder next to its final place and renames it in, replacing an older one.
fn write_dir_atomically(
    out: &Path,
    fill: impl FnOnce(&Path) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let parent = out.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    let tmp = crate::tmpfile::TempDir::create(out).map_err(io_err(parent))?;
    fill(tmp.path())?;
    tmp.persist(out).map_err(io_err(out))
}

fn write_json(path: &Path, value: &serde_json::Value) -> Result<(), ExportError> {
    let text = serde_json::to_vec_pretty(value).map_err(|e| ExportError::Refused(e.to_string()))?;
    crate::write_atomic(path, &text).map_err(io_err(path))
}

fn refuse_unless_checked(src: &Source, target: Target) -> Result<(), ExportError> {
    let i18n = crate::i18n::I18n::new(crate::i18n::Lang::En);
    let failed: Vec<String> = check(src, target)
        .into_iter()
        .filter(|f| f.level == Level::Fail)
        .map(|f| f.say(&i18n))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(ExportError::Refused(format!(
            "the pre-export check failed. {}",
            failed.join(" ")
        )))
    }
}

/// The Hugging Face `config.json` of a model.
pub fn hf_config(cfg: &ModelConfig, special: &SpecialIds, dtype: &str) -> serde_json::Value {
    let mut c = json!({
        "architectures": [if cfg.is_moe() { "MixtralForCausalLM" } else { "LlamaForCausalLM" }],
        "model_type": if cfg.is_moe() { "mixtral" } else { "llama" },
        "vocab_size": cfg.vocab_size,
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim(),
        "max_position_embeddings": cfg.max_position_embeddings,
        "rope_theta": cfg.rope_theta,
        "rms_norm_eps": cfg.rms_norm_eps,
        "tie_word_embeddings": cfg.tie_word_embeddings,
        "hidden_act": "silu",
        "attention_bias": false,
        "attention_dropout": 0.0,
        "mlp_bias": false,
        "initializer_range": 0.02,
        "use_cache": true,
        "torch_dtype": dtype,
        "bos_token_id": special.bos,
        "eos_token_id": special.end_ids(),
        "pad_token_id": special.pad,
    });
    if cfg.is_moe() {
        c["num_local_experts"] = json!(cfg.num_local_experts);
        c["num_experts_per_tok"] = json!(cfg.num_experts_per_tok);
        c["router_aux_loss_coef"] = json!(cfg.router_aux_loss_coef);
        c["output_router_logits"] = json!(false);
    }
    c
}

/// Writes a Hugging Face model folder: `config.json`, `model.safetensors`, `tokenizer.json`,
/// `tokenizer_config.json`, `special_tokens_map.json`, `generation_config.json`.
pub fn export_hf(src: &Source, out: &Path, precision: Precision) -> Result<(), ExportError> {
    if !precision.fits(Target::Hf) {
        return Err(ExportError::Refused(format!(
            "{} is a GGUF format; a Hugging Face folder takes f32, f16 or bf16",
            precision.name()
        )));
    }
    refuse_unless_checked(src, Target::Hf)?;
    let (dtype, torch) = match precision {
        Precision::F16 => (DType::F16, "float16"),
        Precision::Bf16 => (DType::BF16, "bfloat16"),
        _ => (DType::F32, "float32"),
    };
    let special = src.special();
    let cfg = &src.config;
    write_dir_atomically(out, |dir| {
        let mut tensors = HashMap::new();
        for (name, t) in &src.tensors {
            let t = t
                .to_dtype(dtype)
                .and_then(|t| t.contiguous())
                .map_err(tensor_err(name))?;
            tensors.insert(name.clone(), t);
        }
        let model = dir.join("model.safetensors");
        candle_core::safetensors::save(&tensors, &model)
            .map_err(tensor_err("model.safetensors"))?;
        write_json(&dir.join("config.json"), &hf_config(cfg, &special, torch))?;
        let tok = dir.join("tokenizer.json");
        std::fs::copy(&src.tokenizer_path, &tok).map_err(io_err(&tok))?;
        let name = |id: Option<u32>| id.and_then(|i| src.tokenizer.id_to_token(i));
        let tokens = json!({
            "bos_token": name(special.bos),
            "eos_token": name(special.eos),
            "unk_token": src.tokenizer.token_to_id("<unk>").map(|_| "<unk>"),
            "pad_token": src.tokenizer.id_to_token(special.pad),
        });
        let mut tc = json!({
            "tokenizer_class": "PreTrainedTokenizerFast",
            "chat_template": CHAT_TEMPLATE,
            "model_max_length": cfg.max_position_embeddings,
            "clean_up_tokenization_spaces": false,
            "add_bos_token": true,
            "add_eos_token": false,
        });
        if let (Some(tc_map), Some(t_map)) = (tc.as_object_mut(), tokens.as_object()) {
            for (k, v) in t_map {
                tc_map.insert(k.clone(), v.clone());
            }
        }
        write_json(&dir.join("tokenizer_config.json"), &tc)?;
        write_json(&dir.join("special_tokens_map.json"), &tokens)?;
        write_json(
            &dir.join("generation_config.json"),
            &json!({
                "bos_token_id": special.bos,
                "eos_token_id": special.end_ids(),
                "pad_token_id": special.pad,
                "do_sample": true,
                "temperature": 0.8,
                "top_k": 40,
                "top_p": 0.95,
                "repetition_penalty": 1.1,
                "max_new_tokens": 256,
            }),
        )
    })
    .map_err(|e| e.naming(out))
}

/// llama.cpp's rotary embedding pairs neighbouring dimensions, Hugging Face's pairs the two
/// halves of each head: the query and key rows are reordered to match (as llama.cpp's own
/// converter does).
fn permute_for_gguf(w: &Tensor, heads: usize) -> Result<Tensor, ExportError> {
    let (rows, cols) = w.dims2().map_err(tensor_err("attention weight"))?;
    let half = rows / heads / 2;
    w.reshape((heads, 2, half, cols))
        .and_then(|t| t.transpose(1, 2))
        .and_then(|t| t.contiguous())
        .and_then(|t| t.reshape((rows, cols)))
        .map_err(tensor_err("permuting an attention weight"))
}

/// The GGUF name of a Hugging Face tensor, and the heads to permute its rows for (q and k).
fn gguf_name(name: &str, cfg: &ModelConfig) -> Option<(String, Option<usize>)> {
    match name {
        "model.embed_tokens.weight" => return Some(("token_embd.weight".into(), None)),
        "model.norm.weight" => return Some(("output_norm.weight".into(), None)),
        "lm_head.weight" => return Some(("output.weight".into(), None)),
        _ => {}
    }
    let rest = name.strip_prefix("model.layers.")?;
    let (layer, tail) = rest.split_once('.')?;
    let b = format!("blk.{layer}");
    let (suffix, permute) = match tail {
        "input_layernorm.weight" => ("attn_norm.weight", None),
        "post_attention_layernorm.weight" => ("ffn_norm.weight", None),
        "self_attn.q_proj.weight" => ("attn_q.weight", Some(cfg.num_attention_heads)),
        "self_attn.k_proj.weight" => ("attn_k.weight", Some(cfg.num_key_value_heads)),
        "self_attn.v_proj.weight" => ("attn_v.weight", None),
        "self_attn.o_proj.weight" => ("attn_output.weight", None),
        "mlp.gate_proj.weight" => ("ffn_gate.weight", None),
        "mlp.up_proj.weight" => ("ffn_up.weight", None),
        "mlp.down_proj.weight" => ("ffn_down.weight", None),
        "block_sparse_moe.gate.weight" => ("ffn_gate_inp.weight", None),
        _ => return None,
    };
    Some((format!("{b}.{suffix}"), permute))
}

fn quantize(t: &Tensor, precision: Precision, name: &str) -> Result<QTensor, ExportError> {
    let dims = t.dims();
    // Norms and vectors stay f32; block formats need rows that are whole blocks of 32.
    let wanted = match precision {
        _ if dims.len() < 2 => GgmlDType::F32,
        Precision::F32 | Precision::Bf16 => GgmlDType::F32,
        Precision::F16 => GgmlDType::F16,
        Precision::Q8_0 | Precision::Q4_0 if !dims[dims.len() - 1].is_multiple_of(32) => {
            GgmlDType::F16
        }
        Precision::Q8_0 => GgmlDType::Q8_0,
        Precision::Q4_0 => GgmlDType::Q4_0,
    };
    QTensor::quantize(t, wanted).map_err(tensor_err(name))
}

fn str_array<'a>(items: impl IntoIterator<Item = &'a str>) -> gguf_file::Value {
    gguf_file::Value::Array(
        items
            .into_iter()
            .map(|s| gguf_file::Value::String(s.to_owned()))
            .collect(),
    )
}

/// The tokenizer as GGUF metadata: tokens in id order (padded to the embedding rows), their
/// types, and merges (`gpt2`) or scores (`t5`, llama.cpp's Unigram).
fn gguf_tokenizer(
    src: &Source,
    rows: usize,
) -> Result<Vec<(String, gguf_file::Value)>, ExportError> {
    use gguf_file::Value as V;
    let kind = src.tokenizer_kind();
    let vocab = src.tokenizer.get_vocab(true);
    let mut tokens: Vec<String> = (0..rows).map(|i| format!("[PAD{i}]")).collect();
    let mut types: Vec<i32> = vec![5; rows];
    for (piece, &id) in &vocab {
        if let Some(slot) = tokens.get_mut(id as usize) {
            slot.clone_from(piece);
            types[id as usize] = 1;
        }
    }
    let added: std::collections::HashSet<u32> = src
        .tokenizer
        .get_added_tokens_decoder()
        .into_iter()
        .filter(|(_, t)| t.special)
        .map(|(id, _)| id)
        .collect();
    for (i, t) in tokens.iter().enumerate() {
        let id = i as u32;
        if added.contains(&id) {
            types[i] = 3;
        }
        if t == "<unk>" {
            types[i] = 2;
        }
        if kind == TokenizerKind::Unigram
            && t.len() == 6
            && t.starts_with("<0x")
            && t.ends_with('>')
        {
            types[i] = 6;
        }
    }
    let special = src.special();
    let mut meta: Vec<(String, V)> = Vec::new();
    match &kind {
        TokenizerKind::ByteLevelBpe => {
            meta.push(("tokenizer.ggml.model".into(), V::String("gpt2".into())));
            meta.push(("tokenizer.ggml.pre".into(), V::String("gpt-2".into())));
            let merges: Vec<String> = src.tokenizer_json["model"]["merges"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .filter_map(|m| match m {
                            serde_json::Value::String(s) => Some(s.clone()),
                            serde_json::Value::Array(pair) => Some(format!(
                                "{} {}",
                                pair.first()?.as_str()?,
                                pair.get(1)?.as_str()?
                            )),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            meta.push((
                "tokenizer.ggml.merges".into(),
                str_array(merges.iter().map(String::as_str)),
            ));
        }
        TokenizerKind::Unigram => {
            // `t5` is llama.cpp's Unigram (Viterbi over scores), as trained here; its `llama`
            // type merges pairs by score instead and would split words differently.
            meta.push(("tokenizer.ggml.model".into(), V::String("t5".into())));
            meta.push(("tokenizer.ggml.pre".into(), V::String("default".into())));
            meta.push((
                "tokenizer.ggml.remove_extra_whitespaces".into(),
                V::Bool(false),
            ));
            let mut scores = vec![-1000.0f32; rows];
            if let Some(list) = src.tokenizer_json["model"]["vocab"].as_array() {
                for (id, entry) in list.iter().enumerate() {
                    if let (Some(score), Some(slot)) = (
                        entry.get(1).and_then(serde_json::Value::as_f64),
                        scores.get_mut(id),
                    ) {
                        *slot = score as f32;
                    }
                }
            }
            for (i, t) in types.iter().enumerate() {
                if *t == 3 || *t == 5 {
                    scores[i] = 0.0;
                }
            }
            meta.push((
                "tokenizer.ggml.scores".into(),
                V::Array(scores.into_iter().map(V::F32).collect()),
            ));
            meta.push(("tokenizer.ggml.add_space_prefix".into(), V::Bool(true)));
        }
        TokenizerKind::Other(what) => {
            return Err(ExportError::Refused(format!(
                "GGUF cannot carry this tokenizer ({what})"
            )));
        }
    }
    meta.push((
        "tokenizer.ggml.tokens".into(),
        str_array(tokens.iter().map(String::as_str)),
    ));
    meta.push((
        "tokenizer.ggml.token_type".into(),
        V::Array(types.into_iter().map(V::I32).collect()),
    ));
    let id = |v: Option<u32>| v.map(V::U32);
    for (key, value) in [
        ("tokenizer.ggml.bos_token_id", id(special.bos)),
        ("tokenizer.ggml.eos_token_id", id(special.eos)),
        ("tokenizer.ggml.eot_token_id", id(special.end_of_turn)),
        (
            "tokenizer.ggml.unknown_token_id",
            id(src.tokenizer.token_to_id("<unk>")),
        ),
        ("tokenizer.ggml.padding_token_id", Some(V::U32(special.pad))),
    ] {
        if let Some(v) = value {
            meta.push((key.into(), v));
        }
    }
    meta.push(("tokenizer.ggml.add_bos_token".into(), V::Bool(true)));
    meta.push(("tokenizer.ggml.add_eos_token".into(), V::Bool(false)));
    meta.push((
        "tokenizer.chat_template".into(),
        V::String(CHAT_TEMPLATE.into()),
    ));
    Ok(meta)
}

/// Writes one GGUF file (architecture `llama`) with the tokenizer inside.
pub fn export_gguf(
    src: &Source,
    out: &Path,
    precision: Precision,
    name: &str,
) -> Result<(), ExportError> {
    use gguf_file::Value as V;
    if !precision.fits(Target::Gguf) {
        return Err(ExportError::Refused(
            "GGUF takes f32, f16, q8_0 or q4_0 here".into(),
        ));
    }
    refuse_unless_checked(src, Target::Gguf)?;
    let cfg = &src.config;
    let rows = cfg.vocab_size;
    let file_type: u32 = match precision {
        Precision::F32 | Precision::Bf16 => 0,
        Precision::F16 => 1,
        Precision::Q4_0 => 2,
        Precision::Q8_0 => 7,
    };
    let mut meta: Vec<(String, V)> = vec![
        ("general.architecture".into(), V::String("llama".into())),
        ("general.name".into(), V::String(name.to_owned())),
        ("general.file_type".into(), V::U32(file_type)),
        ("general.quantization_version".into(), V::U32(2)),
        (
            "llama.context_length".into(),
            V::U32(cfg.max_position_embeddings as u32),
        ),
        (
            "llama.embedding_length".into(),
            V::U32(cfg.hidden_size as u32),
        ),
        (
            "llama.block_count".into(),
            V::U32(cfg.num_hidden_layers as u32),
        ),
        (
            "llama.feed_forward_length".into(),
            V::U32(cfg.intermediate_size as u32),
        ),
        (
            "llama.attention.head_count".into(),
            V::U32(cfg.num_attention_heads as u32),
        ),
        (
            "llama.attention.head_count_kv".into(),
            V::U32(cfg.num_key_value_heads as u32),
        ),
        (
            "llama.attention.layer_norm_rms_epsilon".into(),
            V::F32(cfg.rms_norm_eps as f32),
        ),
        ("llama.rope.freq_base".into(), V::F32(cfg.rope_theta as f32)),
        (
            "llama.rope.dimension_count".into(),
            V::U32(cfg.head_dim() as u32),
        ),
        ("llama.vocab_size".into(), V::U32(rows as u32)),
    ];
    if cfg.is_moe() {
        meta.push((
            "llama.expert_count".into(),
            V::U32(cfg.num_local_experts as u32),
        ));
        meta.push((
            "llama.expert_used_count".into(),
            V::U32(cfg.num_experts_per_tok as u32),
        ));
    }
    meta.extend(gguf_tokenizer(src, rows)?);

    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    let mut names: Vec<&String> = src.tensors.keys().collect();
    names.sort();
    for hf in names {
        let t = &src.tensors[hf];
        if hf.contains(".experts.") {
            continue; // stacked per layer below
        }
        let Some((gname, permute)) = gguf_name(hf, cfg) else {
            return Err(ExportError::Refused(format!(
                "no GGUF name for tensor {hf}"
            )));
        };
        let t = match permute {
            Some(heads) => permute_for_gguf(t, heads)?,
            None => t.clone(),
        };
        tensors.push((gname, quantize(&t, precision, hf)?));
    }
    if cfg.is_moe() {
        for l in 0..cfg.num_hidden_layers {
            for (w, gname) in [
                ("w1", "ffn_gate_exps"),
                ("w3", "ffn_up_exps"),
                ("w2", "ffn_down_exps"),
            ] {
                let parts: Vec<Tensor> = (0..cfg.num_local_experts)
                    .filter_map(|e| {
                        src.tensors
                            .get(&format!(
                                "model.layers.{l}.block_sparse_moe.experts.{e}.{w}.weight"
                            ))
                            .cloned()
                    })
                    .collect();
                let stacked = Tensor::stack(&parts, 0).map_err(tensor_err(gname))?;
                tensors.push((
                    format!("blk.{l}.{gname}.weight"),
                    quantize(&stacked, precision, gname)?,
                ));
            }
        }
    }
    let parent = out.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(parent).map_err(io_err(parent))?;
    let tmp = crate::tmpfile::TempFile::create(out).map_err(io_err(out))?;
    let write = || -> Result<(), ExportError> {
        let file = tmp.file().map_err(io_err(tmp.path()))?;
        let mut w = std::io::BufWriter::new(file);
        let meta_refs: Vec<(&str, &V)> = meta.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let tensor_refs: Vec<(&str, &QTensor)> =
            tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        gguf_file::write(&mut w, &meta_refs, &tensor_refs).map_err(tensor_err("writing GGUF"))?;
        w.into_inner().map_err(|e| ExportError::Io {
            path: tmp.path().to_owned(),
            source: e.into_error(),
        })?;
        Ok(())
    };
    write().map_err(|e| e.naming(out))?;
    tmp.persist(out)
        .map_err(io_err(out))
        .map_err(|e| e.naming(out))
}

/// An Ollama Modelfile for a GGUF file beside it: the chat template in Ollama's Go template
/// language, the end-of-turn stops, sampling defaults and the context length.
pub fn modelfile(gguf_file_name: &str, cfg: &ModelConfig, system: &str) -> String {
    // Ollama passes the system prompt both as `.System` and as a system message: render it once.
    let template = "{{- if .System }}<|system|>\n{{ .System }}<|end|>\n{{ end }}\
{{- range .Messages }}{{- if ne .Role \"system\" }}<|{{ .Role }}|>\n{{ .Content }}<|end|>\n{{ end }}{{ end }}<|assistant|>\n";
    format!(
        "# Made by Dəzgah. Run it with:\n#   ollama create NAME -f Modelfile\n#   ollama run NAME\n\
FROM ./{gguf_file_name}\n\
TEMPLATE \"\"\"{template}\"\"\"\n\
SYSTEM \"\"\"{system}\"\"\"\n\
PARAMETER stop \"<|end|>\"\n\
PARAMETER stop \"</s>\"\n\
PARAMETER stop \"<|user|>\"\n\
PARAMETER temperature 0.8\n\
PARAMETER top_k 40\n\
PARAMETER top_p 0.95\n\
PARAMETER repeat_penalty 1.1\n\
PARAMETER num_ctx {ctx}\n",
        ctx = cfg.max_position_embeddings
    )
}

/// Writes `model.gguf` and a `Modelfile` into `dir`.
pub fn export_ollama(
    src: &Source,
    dir: &Path,
    precision: Precision,
    name: &str,
    system: &str,
) -> Result<PathBuf, ExportError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let file = format!("{name}.gguf");
    export_gguf(src, &dir.join(&file), precision, name)?;
    let mf = dir.join("Modelfile");
    crate::write_atomic(&mf, modelfile(&file, &src.config, system).as_bytes())
        .map_err(io_err(&mf))?;
    Ok(mf)
}

/// Reads a Hugging Face folder this module wrote (or any llama-layout one with HF names) as a
/// model source: the round trip the tests check.
pub fn open_hf(dir: &Path) -> Result<Source, ExportError> {
    let config = checkpoint::read_config(dir)?;
    open_parts(dir, config, &dir.join("tokenizer.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_names_the_file_asked_for_not_its_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("model.gguf");
        let tmp = dir.path().join(".model.gguf.tmp-1");
        let full = io_err(&tmp)(std::io::Error::from(std::io::ErrorKind::StorageFull));
        let err = full.naming(&out);
        assert!(
            matches!(&err, ExportError::DiskFull { path, .. } if *path == out),
            "{err}"
        );
        assert!(err.to_string().contains("is full"), "{err}");
        // Other errors keep their own words and path.
        let other = io_err(&tmp)(std::io::Error::from(std::io::ErrorKind::PermissionDenied));
        assert!(matches!(other.naming(&out), ExportError::Io { path, .. } if path == tmp));
    }
}
