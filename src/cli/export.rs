//! `dezgah export hf|gguf|ollama|check`: a run's checkpoint as a Hugging Face folder, a GGUF
//! file, or a GGUF file with an Ollama Modelfile — after the pre-export check.

use std::path::PathBuf;

use std::io::Write as _;

use anyhow::Context as _;

use crate::core::export::{self, Finding, Level, Precision, Target};
use crate::i18n::{I18n, Lang};

#[derive(Debug, clap::Subcommand)]
pub enum ExportCommand {
    /// A Hugging Face folder (config.json, model.safetensors, tokenizer files) for transformers
    Hf(ExportArgs),
    /// One GGUF file (architecture llama, tokenizer inside) for llama.cpp
    Gguf(ExportArgs),
    /// A GGUF file and an Ollama Modelfile in the folder --out
    Ollama(ExportArgs),
    /// Only the pre-export check, for --target hf or gguf
    Check(CheckArgs),
    /// Token ids and logits of a text, as JSON: what scripts/check_export.py compares the
    /// exported models against
    Logits(LogitsArgs),
}

#[derive(Debug, clap::Args)]
pub struct LogitsArgs {
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    #[arg(long, default_value = "best")]
    pub checkpoint: String,
    #[arg(long)]
    pub text: String,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// A run folder (or a checkpoint folder)
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    /// best, last or a step number
    #[arg(long, default_value = "best")]
    pub checkpoint: String,
    /// The folder (hf, ollama) or file (gguf) to write
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
    /// f32, f16 or bf16 (hf); f32, f16, q8_0 or q4_0 (gguf, ollama)
    #[arg(long, default_value = "f16")]
    pub dtype: String,
    /// The model's name inside the GGUF file (and the file's name for ollama)
    #[arg(long)]
    pub name: Option<String>,
    /// Ollama: the system prompt the Modelfile sets
    #[arg(long, default_value = "Sən faydalı köməkçisən.")]
    pub system: String,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[arg(long, value_name = "RUN_DIR")]
    pub run: PathBuf,
    #[arg(long, default_value = "best")]
    pub checkpoint: String,
    /// hf or gguf
    #[arg(long, default_value = "gguf")]
    pub target: String,
    /// Print the findings as JSON
    #[arg(long)]
    pub json: bool,
}

/// A finding in words (English, as every command-line message).
pub fn describe(i18n: &I18n, f: &Finding) -> String {
    f.say(i18n)
}

fn print_findings(findings: &[Finding]) {
    let i18n = I18n::new(Lang::En);
    for f in findings {
        let mark = match f.level {
            Level::Ok => "ok  ",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        };
        eprintln!("{mark} {}", describe(&i18n, f));
    }
}

fn precision(name: &str, target: Target) -> anyhow::Result<Precision> {
    let p = Precision::from_name(name)
        .with_context(|| format!("unknown --dtype {name:?}: use f32, f16, bf16, q8_0 or q4_0"))?;
    anyhow::ensure!(
        p.fits(target),
        "--dtype {name} does not fit this target (hf: f32, f16, bf16; gguf: f32, f16, q8_0, q4_0)"
    );
    Ok(p)
}

pub fn run(cmd: &ExportCommand) -> anyhow::Result<()> {
    match cmd {
        ExportCommand::Logits(args) => {
            use crate::core::train::{checkpoint, data};
            let device = candle_core::Device::Cpu;
            let dir = checkpoint::resolve(&args.run, &args.checkpoint)?;
            let (model, _) = checkpoint::load_model(&dir, &device, candle_core::DType::F32)?;
            let tokenizer = crate::core::tokenizer::load(&checkpoint::tokenizer_path(&dir)?)?;
            let ids = data::plain_prompt(&tokenizer, &args.text)?;
            let input = candle_core::Tensor::new(ids.as_slice(), &device)?.unsqueeze(0)?;
            let logits: Vec<Vec<f32>> =
                model.forward(&input, None)?.logits.squeeze(0)?.to_vec2()?;
            // A closed pipe (`| head`) is the reader's choice, not an error.
            let _ = writeln!(
                std::io::stdout().lock(),
                "{}",
                serde_json::json!({"ids": ids, "logits": logits})
            );
            Ok(())
        }
        ExportCommand::Check(args) => {
            let target = match args.target.as_str() {
                "hf" => Target::Hf,
                "gguf" | "ollama" => Target::Gguf,
                other => anyhow::bail!("unknown --target {other:?}: use hf or gguf"),
            };
            let src = export::open(&args.run, &args.checkpoint)?;
            let findings = export::check(&src, target);
            if args.json {
                println!("{}", serde_json::to_string_pretty(&findings)?);
            } else {
                print_findings(&findings);
            }
            anyhow::ensure!(export::passes(&findings), "the pre-export check failed");
            Ok(())
        }
        ExportCommand::Hf(args) => {
            let p = precision(&args.dtype, Target::Hf)?;
            let src = export::open(&args.run, &args.checkpoint)?;
            print_findings(&export::check(&src, Target::Hf));
            export::export_hf(&src, &args.out, p)?;
            eprintln!("wrote {}", args.out.display());
            Ok(())
        }
        ExportCommand::Gguf(args) => {
            let p = precision(&args.dtype, Target::Gguf)?;
            let src = export::open(&args.run, &args.checkpoint)?;
            print_findings(&export::check(&src, Target::Gguf));
            let name = args.name.clone().unwrap_or_else(|| default_name(&args.run));
            export::export_gguf(&src, &args.out, p, &name)?;
            eprintln!("wrote {}", args.out.display());
            Ok(())
        }
        ExportCommand::Ollama(args) => {
            let p = precision(&args.dtype, Target::Gguf)?;
            let src = export::open(&args.run, &args.checkpoint)?;
            print_findings(&export::check(&src, Target::Gguf));
            let name = args.name.clone().unwrap_or_else(|| default_name(&args.run));
            let modelfile = export::export_ollama(&src, &args.out, p, &name, &args.system)?;
            eprintln!(
                "wrote {}\nrun it with:\n  cd {} && ollama create {name} -f Modelfile\n  ollama run {name}",
                modelfile.display(),
                args.out.display()
            );
            Ok(())
        }
    }
}

fn default_name(run: &std::path::Path) -> String {
    run.file_name()
        .map_or_else(|| "dezgah".into(), |n| n.to_string_lossy().into_owned())
}
