//! `dezgah rag index|query|batch`: search indexes over workspace corpora, questions answered
//! from retrieved passages, and lists of prompts run through a checkpoint.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::core::chat::{self, BatchMode, ChatSettings, ModelCache, RagSettings, Request};
use crate::core::model::generate::SamplingConfig;
use crate::core::rag::{self, IndexSettings};

#[derive(Debug, clap::Subcommand)]
pub enum RagCommand {
    /// Cut a workspace corpus into passages (articles where it has `Maddə N` headings) and
    /// build its BM25 search index
    Index {
        /// The corpus, by its name in the workspace
        #[arg(long)]
        corpus: String,
        /// The longest passage, in words
        #[arg(long, default_value_t = 200)]
        chunk_words: usize,
        /// Words a window repeats from the one before
        #[arg(long, default_value_t = 30)]
        overlap: usize,
        /// Also strip Azerbaijani case, possessive and plural endings in the main fields (more
        /// recall of inflected forms, less precision; off by default, see the README)
        #[arg(long)]
        stem: bool,
    },
    /// Print the passages that answer a question best; with --run, stream a checkpoint's
    /// answer built on them
    Query {
        question: String,
        /// The indexed corpus; the only index when the workspace has one
        #[arg(long)]
        corpus: Option<String>,
        /// Passages to retrieve: 5 to print; with --run, what the model's context has room for
        #[arg(long)]
        k: Option<usize>,
        #[command(flatten)]
        model: ModelArgs,
        /// Print one JSON object (passages, answer) instead of text
        #[arg(long)]
        json: bool,
    },
    /// Answer every line of a file with a checkpoint, without and/or with retrieval, and write
    /// the outputs as JSONL
    Batch {
        #[arg(long, value_name = "FILE")]
        prompts: PathBuf,
        #[arg(long, value_name = "FILE.jsonl")]
        out: PathBuf,
        /// With retrieval from this corpus's index
        #[arg(long)]
        corpus: Option<String>,
        /// With --corpus: answer each prompt both without and with retrieval
        #[arg(long)]
        both: bool,
        /// Passages per prompt; by default what the model's context has room for
        #[arg(long)]
        k: Option<usize>,
        #[command(flatten)]
        model: ModelArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct ModelArgs {
    /// A run folder whose checkpoint answers
    #[arg(long, value_name = "RUN_DIR")]
    pub run: Option<PathBuf>,
    /// best, last or a step number
    #[arg(long, default_value = "best")]
    pub checkpoint: String,
    /// Continue plain text instead of the chat template (the default for a model without an
    /// SFT or DPO stage in its lineage)
    #[arg(long, conflicts_with = "chat")]
    pub completion: bool,
    /// Use the chat template even for a model that was never finetuned on conversations
    #[arg(long)]
    pub chat: bool,
    /// The longest answer; by default a quarter of the model's context, at most 200
    #[arg(long)]
    pub max_tokens: Option<usize>,
    #[arg(long, default_value_t = 0.8)]
    pub temperature: f64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The prompt template: {context} is the numbered passages, {question} the question
    #[arg(long)]
    pub template: Option<String>,
}

/// Passages printed by a query without a model.
const PRINTED_PASSAGES: usize = 5;

impl ModelArgs {
    /// The settings for `run`: what was given, and for the rest what the model's context and
    /// training suit (said on stderr, so a user sees why an answer is short).
    fn settings(
        &self,
        root: &Path,
        run: &Path,
        corpus: Option<&str>,
        k: Option<usize>,
    ) -> anyhow::Result<ChatSettings> {
        SamplingConfig {
            temperature: self.temperature,
            ..SamplingConfig::default()
        }
        .validate()
        .map_err(|e| anyhow::anyhow!(e.as_flag()))?;
        let facts = chat::ModelFacts::read(root, run, &self.checkpoint)
            .with_context(|| format!("{}: cannot read the model", run.display()))?;
        let passage_words = corpus
            .and_then(|c| rag::list(root).into_iter().find(|m| m.corpus == c))
            .map_or_else(
                || IndexSettings::default().chunk_words,
                |m| m.settings.chunk_words,
            );
        let plan = facts.plan(passage_words);
        let completion = self.completion || (!self.chat && !facts.chat);
        let settings = ChatSettings {
            run: None,
            checkpoint: self.checkpoint.clone(),
            system: String::new(),
            completion,
            sampling: SamplingConfig {
                max_tokens: self.max_tokens.unwrap_or(plan.max_tokens),
                temperature: self.temperature,
                seed: self.seed,
                ..SamplingConfig::default()
            },
            rag: RagSettings {
                enabled: corpus.is_some(),
                corpus: corpus.unwrap_or_default().to_owned(),
                k: k.unwrap_or(plan.k),
                template: self.template.clone().unwrap_or_else(|| {
                    if plan.compact {
                        rag::COMPACT_TEMPLATE
                    } else {
                        rag::DEFAULT_TEMPLATE
                    }
                    .to_owned()
                }),
            },
        };
        let mut chosen = vec![format!("{} new tokens", settings.sampling.max_tokens)];
        if corpus.is_some() {
            chosen.push(format!(
                "{} passage{}",
                settings.rag.k,
                if settings.rag.k == 1 { "" } else { "s" }
            ));
            if self.template.is_none() && plan.compact {
                chosen.push("the template without its instruction".into());
            }
        }
        if completion && !self.completion {
            chosen.push("plain text (no SFT or DPO stage in its lineage; --chat overrides)".into());
        }
        eprintln!(
            "{}: context {} tokens: {}",
            run_name(run),
            facts.context,
            chosen.join(", ")
        );
        Ok(settings)
    }
}

fn run_name(run: &Path) -> String {
    run.file_name().map_or_else(
        || run.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The corpus named, or the workspace's only index.
fn pick_corpus(root: &Path, corpus: Option<&str>) -> anyhow::Result<String> {
    if let Some(c) = corpus {
        return Ok(c.to_owned());
    }
    let indexes = rag::list(root);
    match indexes.as_slice() {
        [one] => Ok(one.corpus.clone()),
        [] => anyhow::bail!(
            "{}: no corpus is indexed yet; run dezgah rag index --corpus NAME first",
            root.display()
        ),
        many => anyhow::bail!(
            "several corpora are indexed ({}); choose one with --corpus",
            many.iter()
                .map(|m| m.corpus.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one match over the subcommands, each arm a few lines"
)]
pub fn run(workspace: &Path, cmd: &RagCommand) -> anyhow::Result<()> {
    let ws = crate::core::workspace::Workspace::open(workspace)
        .with_context(|| format!("workspace {}", workspace.display()))?;
    let root = ws.root().to_owned();
    match cmd {
        RagCommand::Index {
            corpus,
            chunk_words,
            overlap,
            stem,
        } => {
            let corpora = ws.store().corpora()?;
            let Some(row) = corpora.iter().find(|c| c.name == *corpus) else {
                anyhow::bail!(
                    "{}: no corpus named {corpus:?} (the workspace has: {})",
                    root.display(),
                    corpora
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            let settings = IndexSettings {
                chunk_words: *chunk_words,
                overlap_words: *overlap,
                stem: *stem,
            };
            let path = row.path.clone();
            let name = row.name.clone();
            let meta =
                crate::core::jobs::run_in_terminal(&format!("indexing {name}"), move |ctx| {
                    let meta = rag::build(
                        &root,
                        &name,
                        &path,
                        &settings,
                        &|done, total| ctx.progress(done, Some(total)),
                        &|| ctx.is_cancelled(),
                    )?;
                    Ok(serde_json::to_string(&meta).unwrap_or_default())
                })
                .map_err(anyhow::Error::msg)?;
            let meta: rag::IndexMeta = serde_json::from_str(&meta)?;
            println!(
                "{}: {} documents, {} passages ({} articles) in {:.1} s → {}",
                meta.corpus,
                meta.documents,
                meta.passages,
                meta.articles,
                meta.build_secs,
                rag::index_dir(ws.root(), &meta.corpus).display()
            );
            Ok(())
        }
        RagCommand::Query {
            question,
            corpus,
            k,
            model,
            json,
        } => {
            let corpus = pick_corpus(&root, corpus.as_deref())?;
            let retriever = rag::Retriever::open_corpus(&root, &corpus)?;
            let settings = match &model.run {
                Some(run) => Some(model.settings(&root, run, Some(&corpus), *k)?),
                None => None,
            };
            let k = settings
                .as_ref()
                .map_or(k.unwrap_or(PRINTED_PASSAGES), |s| s.rag.k);
            let hits = retriever.search(question, k)?;
            if !*json {
                for (i, h) in hits.iter().enumerate() {
                    println!("[{}] {:.2}  {}", i + 1, h.score, h.label);
                    println!("    {}", one_line(&h.text, 300));
                }
                if hits.is_empty() {
                    println!("(no passage matches)");
                }
            }
            let (Some(run), Some(settings)) = (&model.run, settings) else {
                if *json {
                    println!(
                        "{}",
                        serde_json::json!({ "corpus": corpus, "passages": hits })
                    );
                }
                return Ok(());
            };
            let request = Request {
                slot: 0,
                workspace: root.clone(),
                run_dir: run.clone(),
                run_name: run_name(run),
                settings,
                history: vec![(crate::core::domain::Role::User, question.clone())],
            };
            if !*json {
                println!();
            }
            let mut stdout = std::io::stdout();
            let reply = chat::answer(
                &request,
                &ModelCache::default(),
                &mut |event| {
                    if let chat::Event::Text { piece, .. } = event
                        && !*json
                    {
                        let _ = write!(stdout, "{piece}");
                        let _ = stdout.flush();
                    }
                },
                &|| false,
            )
            .map_err(anyhow::Error::msg)?;
            if *json {
                println!(
                    "{}",
                    serde_json::json!({
                        "corpus": corpus,
                        "passages": hits,
                        "answer": reply.text,
                        "meta": reply.meta,
                    })
                );
            } else {
                println!();
                let used: Vec<String> = reply
                    .meta
                    .passages
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| p.used)
                    .map(|(i, _)| format!("[{}]", i + 1))
                    .collect();
                eprintln!(
                    "{} tokens, {:.1} tokens/s; passages used: {}",
                    reply.meta.tokens,
                    reply.meta.tokens_per_sec,
                    if used.is_empty() {
                        "none".into()
                    } else {
                        used.join(" ")
                    }
                );
                let dropped = reply.meta.retrieved - reply.meta.passages.len();
                if dropped > 0 {
                    eprintln!(
                        "{dropped} of {} passages did not fit the model's context of {} tokens \
                         with room for the answer (fewer --k or --max-tokens leave more room)",
                        reply.meta.retrieved, reply.meta.context
                    );
                }
            }
            Ok(())
        }
        RagCommand::Batch {
            prompts,
            out,
            corpus,
            both,
            k,
            model,
        } => {
            let Some(run) = &model.run else {
                anyhow::bail!("a batch needs --run RUN_DIR");
            };
            let text = std::fs::read_to_string(prompts)
                .with_context(|| format!("{}: cannot read the prompts", prompts.display()))?;
            let list = chat::prompts_of(&text);
            anyhow::ensure!(
                !list.is_empty(),
                "{}: no prompts (one per line)",
                prompts.display()
            );
            let mode = match (corpus, both) {
                (None, _) => BatchMode::Plain,
                (Some(_), false) => BatchMode::Rag,
                (Some(_), true) => BatchMode::Both,
            };
            let request = Request {
                slot: 0,
                workspace: root.clone(),
                run_dir: run.clone(),
                run_name: run_name(run),
                settings: model.settings(&root, run, corpus.as_deref(), *k)?,
                history: Vec::new(),
            };
            let out = out.clone();
            let summary = crate::core::jobs::run_in_terminal("batch", move |ctx| {
                let rows = chat::run_batch(
                    &request,
                    &list,
                    mode,
                    &ModelCache::default(),
                    &|done, total| ctx.progress(done, Some(total)),
                    &|| ctx.is_cancelled(),
                )
                .map_err(crate::core::jobs::JobError::from)?;
                chat::write_batch(&out, &rows).map_err(|e| format!("{}: {e}", out.display()))?;
                Ok(format!("{} outputs → {}", rows.len(), out.display()))
            })
            .map_err(anyhow::Error::msg)?;
            println!("{summary}");
            Ok(())
        }
    }
}

/// A passage on one line, cut at `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max).collect();
    cut.push('…');
    cut
}
