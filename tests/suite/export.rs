//! Export round trips on tiny models trained here: the Hugging Face folder loads back with the
//! same logits, the GGUF file reads back (candle's GGUF reader) with its metadata, tokenizer and
//! tensors, the Modelfile names the file, and the pre-export check catches broken tokenizers.
// f32 tensors written unchanged must come back bit for bit: exact comparison is the point.
#![allow(clippy::float_cmp)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use dezgah::core::corpus::read::ReadOptions;
use dezgah::core::export::{self, Level, Precision, Target};
use dezgah::core::model::{ModelConfig, Preset};
use dezgah::core::tokenizer::{Kind, TrainConfig};
use dezgah::core::train::{self, RunConfig, Stage, data};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora");
    vec![dir.join("nesr.txt"), dir.join("elm.txt")]
}

fn tokenizer(dir: &Path, kind: Kind, vocab: usize) -> PathBuf {
    let out = dir.join(format!("{kind:?}-{vocab}.json"));
    let cfg = TrainConfig {
        kind,
        vocab_size: vocab,
        ..TrainConfig::default()
    };
    dezgah::core::tokenizer::train(&corpus(), &ReadOptions::default(), &cfg, &out, None)
        .expect("train tokenizer");
    out
}

/// A few steps of pretraining: enough for weights that are not the initial ones.
fn tiny_run(dir: &Path, tok: &Path) -> PathBuf {
    let mut cfg = RunConfig::for_stage(Stage::Pretrain);
    cfg.data = corpus();
    tok.clone_into(&mut cfg.tokenizer);
    cfg.model = Some(ModelConfig {
        vocab_size: 0,
        hidden_size: 64,
        intermediate_size: 128,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 64,
        ..Preset::Tiny.config(0)
    });
    cfg.optim.max_steps = 4;
    cfg.optim.batch_size = 2;
    cfg.optim.seq_len = 32;
    cfg.eval_every = 2;
    cfg.sample_every = 0;
    let run = dir.join("run");
    train::start(&run, &cfg, &mut |_| {}, &AtomicBool::new(false)).expect("train");
    run
}

fn logits(src: &export::Source, text: &str) -> (Vec<u32>, Vec<Vec<f32>>) {
    let model = dezgah::core::model::Llama::new(
        &src.config,
        &dezgah::core::model::Weights {
            maps: vec![&src.tensors],
        },
        None,
        candle_core::DType::F32,
        &Device::Cpu,
    )
    .expect("model");
    let ids = data::plain_prompt(&src.tokenizer, text).expect("ids");
    let input = Tensor::new(ids.as_slice(), &Device::Cpu)
        .and_then(|t| t.unsqueeze(0))
        .expect("input");
    let out = model.forward(&input, None).expect("forward").logits;
    (
        ids,
        out.squeeze(0).and_then(|t| t.to_vec2()).expect("logits"),
    )
}

fn read_gguf(path: &Path) -> (gguf_file::Content, HashMap<String, Tensor>) {
    let mut file = std::fs::File::open(path).expect("open gguf");
    let content = gguf_file::Content::read(&mut file).expect("read gguf");
    let mut tensors = HashMap::new();
    for name in content.tensor_infos.keys() {
        let q = content
            .tensor(&mut file, name, &Device::Cpu)
            .expect("tensor");
        tensors.insert(
            name.clone(),
            q.dequantize(&Device::Cpu).expect("dequantize"),
        );
    }
    (content, tensors)
}

fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
    (a - b)
        .and_then(|d| d.abs())
        .and_then(|d| d.flatten_all())
        .and_then(|d| d.max(0))
        .and_then(|d| d.to_scalar::<f32>())
        .expect("diff")
}

fn meta_str(content: &gguf_file::Content, key: &str) -> String {
    content
        .metadata
        .get(key)
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default()
}

fn exports_round_trip(kind: Kind, gguf_tokenizer: &str) {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), kind, 600);
    let run = tiny_run(tmp.path(), &tok);
    let src = export::open(&run, "best").expect("open");
    for target in [Target::Hf, Target::Gguf] {
        let findings = export::check(&src, target);
        assert!(export::passes(&findings), "{target:?}: {findings:?}");
    }
    let text = "Azərbaycan Respublikasının paytaxtı Bakı şəhəridir.";
    let (ids, ours) = logits(&src, text);

    // Hugging Face folder: loads back with the same tokenizer and logits.
    let hf = tmp.path().join("hf");
    export::export_hf(&src, &hf, Precision::F32).expect("export hf");
    for file in [
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "generation_config.json",
    ] {
        assert!(hf.join(file).is_file(), "{file}");
    }
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(hf.join("config.json")).expect("config"))
            .expect("json");
    assert_eq!(config["architectures"][0], "LlamaForCausalLM");
    let back = export::open_hf(&hf).expect("open hf");
    let (ids_back, theirs) = logits(&back, text);
    assert_eq!(ids, ids_back);
    let diff = ours
        .iter()
        .flatten()
        .zip(theirs.iter().flatten())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(diff < 1e-6, "HF logits differ by {diff}");

    // GGUF: metadata, tokenizer and tensors read back.
    let gguf = tmp.path().join("model.gguf");
    export::export_gguf(&src, &gguf, Precision::F32, "kiçik").expect("export gguf");
    let (content, tensors) = read_gguf(&gguf);
    assert_eq!(meta_str(&content, "general.architecture"), "llama");
    assert_eq!(meta_str(&content, "general.name"), "kiçik");
    assert_eq!(meta_str(&content, "tokenizer.ggml.model"), gguf_tokenizer);
    let tokens = match content.metadata.get("tokenizer.ggml.tokens") {
        Some(gguf_file::Value::Array(list)) => list.len(),
        other => panic!("tokens: {other:?}"),
    };
    assert_eq!(tokens, src.config.vocab_size);
    let block_count = content
        .metadata
        .get("llama.block_count")
        .and_then(|v| v.to_u32().ok());
    assert_eq!(block_count, Some(2));
    assert_eq!(
        meta_str(&content, "tokenizer.chat_template"),
        data::CHAT_TEMPLATE
    );
    let embed = &src.tensors["model.embed_tokens.weight"];
    assert_eq!(max_diff(&tensors["token_embd.weight"], embed), 0.0);
    assert_eq!(
        max_diff(
            &tensors["blk.1.attn_v.weight"],
            &src.tensors["model.layers.1.self_attn.v_proj.weight"]
        ),
        0.0
    );
    // q's rows are reordered for llama.cpp's rotary layout: same values, other order.
    let q_gguf = &tensors["blk.0.attn_q.weight"];
    let q_hf = &src.tensors["model.layers.0.self_attn.q_proj.weight"];
    assert_eq!(q_gguf.dims(), q_hf.dims());
    assert!(max_diff(q_gguf, q_hf) > 0.0);
    let sum = |t: &Tensor| t.sum_all().and_then(|s| s.to_scalar::<f32>()).expect("sum");
    assert!((sum(q_gguf) - sum(q_hf)).abs() < 1e-3);

    // q8_0: blocks of 32, close to the f32 weights.
    let q8 = tmp.path().join("model-q8.gguf");
    export::export_gguf(&src, &q8, Precision::Q8_0, "kiçik").expect("export q8");
    let (_, q8_tensors) = read_gguf(&q8);
    let err = max_diff(&q8_tensors["token_embd.weight"], embed);
    assert!(err > 0.0 && err < 1e-2, "q8_0 error {err}");
    assert!(
        std::fs::metadata(&q8).expect("q8").len()
            < std::fs::metadata(&gguf).expect("f32").len() / 2
    );

    // Ollama: a Modelfile beside the GGUF file.
    let ollama = tmp.path().join("ollama");
    let modelfile =
        export::export_ollama(&src, &ollama, Precision::F16, "kicik", "Sən köməkçisən.")
            .expect("ollama");
    let text = std::fs::read_to_string(&modelfile).expect("modelfile");
    assert!(text.contains("FROM ./kicik.gguf"), "{text}");
    assert!(text.contains("PARAMETER stop \"<|end|>\""), "{text}");
    assert!(text.contains("PARAMETER num_ctx 64"), "{text}");
    assert!(ollama.join("kicik.gguf").is_file());
}

#[test]
fn a_byte_level_bpe_model_exports_to_hf_gguf_and_ollama() {
    exports_round_trip(Kind::Bpe, "gpt2");
}

#[test]
fn a_unigram_model_exports_to_hf_gguf_and_ollama() {
    exports_round_trip(Kind::Unigram, "t5");
}

#[test]
fn the_check_catches_a_broken_tokenizer_and_export_refuses() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path(), Kind::Bpe, 400);
    let run = tiny_run(tmp.path(), &tok);
    // The run's tokenizer swapped for a bigger one without the chat markers.
    let broken = tmp.path().join("broken.json");
    let cfg = TrainConfig {
        kind: Kind::Bpe,
        vocab_size: 700,
        special_tokens: vec!["<unk>".into()],
        ..TrainConfig::default()
    };
    dezgah::core::tokenizer::train(&corpus(), &ReadOptions::default(), &cfg, &broken, None)
        .expect("tokenizer");
    std::fs::copy(&broken, run.join("tokenizer.json")).expect("swap");
    let src = export::open(&run, "best").expect("open");
    let findings = export::check(&src, Target::Gguf);
    let failed: Vec<&str> = findings
        .iter()
        .filter(|f| f.level == Level::Fail)
        .map(|f| f.key)
        .collect();
    assert!(failed.contains(&"export-check-vocab-too-big"), "{failed:?}");
    assert!(
        failed.contains(&"export-check-special-missing"),
        "{failed:?}"
    );
    let missing = findings
        .iter()
        .find(|f| f.key == "export-check-special-missing")
        .expect("finding");
    assert!(missing.args[0].1.contains("<|end|>"), "{missing:?}");
    let out = tmp.path().join("never.gguf");
    let err = export::export_gguf(&src, &out, Precision::F16, "x").expect_err("refused");
    // English prose, never a message id with `key=value` arguments.
    let text = err.to_string();
    assert!(text.contains("Special tokens missing: "), "{text}");
    assert!(text.contains("<|end|>"), "{text}");
    assert!(
        !text.contains("export-check") && !text.contains("tokens="),
        "{text}"
    );
    assert!(!out.exists(), "nothing is written when the check fails");
    // The command line says the same.
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_dezgah"))
        .args(["export", "gguf", "--run"])
        .arg(&run)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("dezgah export");
    assert!(!cli.status.success());
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(stderr.contains("error: "), "{stderr}");
    assert!(stderr.contains("Special tokens missing: "), "{stderr}");
    assert!(
        !stderr.contains("export-check") && !stderr.contains("tokens="),
        "{stderr}"
    );
    assert!(!out.exists());
}

#[test]
fn a_lower_casing_tokenizer_round_trips_to_its_own_normal_form() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("lower.json");
    let cfg = TrainConfig {
        kind: Kind::Bpe,
        vocab_size: 500,
        lowercase: true,
        ..TrainConfig::default()
    };
    dezgah::core::tokenizer::train(&corpus(), &ReadOptions::default(), &cfg, &out, None)
        .expect("tokenizer");
    let run = tiny_run(tmp.path(), &out);
    let src = export::open(&run, "last").expect("open");
    let findings = export::check(&src, Target::Hf);
    let round_trip = findings
        .iter()
        .find(|f| f.key.starts_with("export-check-round-trip"))
        .expect("round trip finding");
    assert_eq!(round_trip.key, "export-check-round-trip", "{round_trip:?}");
    assert!(export::passes(&findings), "{findings:?}");
}
