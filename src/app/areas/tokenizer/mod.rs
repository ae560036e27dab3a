//! The Tokenizer area: the training form, the training job, the comparison, and the
//! inspector (a loaded tokenizer and the pasted text's pieces).

mod panel;

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::areas::{AppContext, AreaController, ViewContext};
use crate::app::command::Command;
use crate::core::jobs::{JobHandle, JobId, Outcome};
use crate::core::tokenizer::{Comparison, Inspection, Kind, Loaded, TrainConfig, TrainReport};

/// What the Tokenizer area is asked to do.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum TokenizerCommand {
    SetTrainForm(Box<TrainForm>),
    /// Trains a tokenizer on the form's corpora and settings.
    Train,
    /// Loads a workspace tokenizer into the inspector.
    Select(i64),
    SetInspectText(String),
    /// Shows the file picker for a tokenizer.json to copy into the workspace.
    ChooseFile,
    AddFile(PathBuf),
    /// Which tokenizers to compare, and on which corpus's sample (none: the inspector's text).
    SetComparison(Vec<i64>, Option<i64>),
    Compare,
}

/// The training form as edited.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainForm {
    pub name: String,
    pub config: TrainConfig,
    /// Workspace corpora to train on.
    pub corpora: Vec<i64>,
}

impl Default for TrainForm {
    fn default() -> Self {
        let config = TrainConfig {
            kind: Kind::Unigram,
            ..TrainConfig::default()
        };
        Self {
            name: default_name(config.vocab_size),
            config,
            corpora: Vec::new(),
        }
    }
}

impl TrainForm {
    /// Renames the form after its vocabulary size, unless the user has typed a name of their
    /// own: `before` is the form as it was before this frame's edits.
    pub fn follow_vocab_size(&mut self, before: &Self) {
        if before.name == default_name(before.config.vocab_size) && self.name == before.name {
            self.name = default_name(self.config.vocab_size);
        }
    }
}

/// `az-16k` for 16 000 (or 16 384) pieces, `az-600` for 600, `az-1.5k` for 1 500.
pub fn default_name(vocab_size: usize) -> String {
    let size = if vocab_size >= 1000 && vocab_size.is_multiple_of(1024) {
        format!("{}k", vocab_size / 1024)
    } else if vocab_size >= 1000 && vocab_size.is_multiple_of(100) {
        let k = vocab_size as f64 / 1000.0;
        if vocab_size.is_multiple_of(1000) {
            format!("{k:.0}k")
        } else {
            format!("{k:.1}k")
        }
    } else {
        vocab_size.to_string()
    };
    format!("az-{size}")
}

#[derive(Debug, Default)]
pub struct TokenizerArea {
    pub form: TrainForm,
    pub trained: Option<Result<(String, TrainReport), String>>,
    train_job: Option<JobHandle<(String, TrainReport)>>,
    /// The tokenizer being inspected: its workspace id (or none for one opened from disk).
    pub selected: Option<i64>,
    pub loaded: Option<Result<Arc<Loaded>, String>>,
    pub text: String,
    pub inspection: Option<Result<Inspection, String>>,
    pub added: Option<Result<String, String>>,
    /// Tokenizers ticked for comparison.
    pub compare: Vec<i64>,
    /// The corpus whose sample a comparison uses (none: the inspector's text).
    pub compare_corpus: Option<i64>,
    pub comparison: Option<Result<Comparison, String>>,
    compare_job: Option<JobHandle<Comparison>>,
}

impl AreaController for TokenizerArea {
    type Command = TokenizerCommand;

    fn apply(&mut self, command: TokenizerCommand, cx: &mut AppContext<'_>) {
        match command {
            TokenizerCommand::SetTrainForm(form) => self.form = *form,
            TokenizerCommand::Train => self.train(cx),
            TokenizerCommand::Select(id) => self.select(id, cx),
            TokenizerCommand::SetInspectText(text) => {
                self.text = text;
                self.reinspect();
            }
            TokenizerCommand::ChooseFile => {
                if let Some(file) = cx.dialog(|| {
                    rfd::FileDialog::new()
                        .add_filter("tokenizer.json, SentencePiece .model", &["json", "model"])
                        .pick_file()
                }) {
                    self.add_file(&file, cx);
                }
            }
            TokenizerCommand::AddFile(file) => self.add_file(&file, cx),
            TokenizerCommand::SetComparison(ids, corpus) => {
                self.compare = ids;
                self.compare_corpus = corpus;
            }
            TokenizerCommand::Compare => self.start_compare(cx),
        }
    }

    fn job_finished(&mut self, id: JobId, outcome: &Outcome, cx: &mut AppContext<'_>) {
        if let Some(result) = JobHandle::take_finished(&mut self.compare_job, id, outcome) {
            self.comparison = Some(result);
        }
        if let Some(result) = JobHandle::take_finished(&mut self.train_job, id, outcome) {
            let name = result.as_ref().ok().map(|(name, _)| name.clone());
            self.trained = Some(result);
            if let Some(name) = name {
                self.select_named(&name, cx);
            }
        }
    }

    fn workspace_changed(&mut self, _cx: &mut AppContext<'_>) {
        // The form's settings stay; its corpora and everything loaded belonged to the old one.
        *self = Self {
            form: TrainForm {
                corpora: Vec::new(),
                ..std::mem::take(&mut self.form)
            },
            ..Self::default()
        };
    }

    fn ui(&self, ui: &mut egui::Ui, view: &ViewContext<'_>, out: &mut Vec<Command>) {
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| panel::tokenizer_ui(ui, self, view, out));
    }
}

impl TokenizerArea {
    /// Trains a tokenizer on the form's corpora in the background.
    fn train(&mut self, cx: &mut AppContext<'_>) {
        let Some((workspace, snapshot)) = cx.workspace() else {
            return;
        };
        let form = self.form.clone();
        let corpora: Vec<_> = snapshot
            .corpora
            .iter()
            .filter(|c| form.corpora.contains(&c.id))
            .cloned()
            .collect();
        if corpora.is_empty() {
            self.trained = Some(Err(cx.i18n.tr("tokenizer-train-no-corpus")));
            return;
        }
        let root = workspace.root().to_owned();
        let label = crate::core::jobs::JobName::message(
            "job-train-tokenizer",
            [("name", form.name.as_str().into())],
        );
        self.trained = None;
        match cx.jobs.spawn_typed(&label, move |ctx| {
            let (name, report) = crate::core::tokenizer::train_in_workspace(
                &root,
                &corpora,
                &form.name,
                &form.config,
                Some(ctx),
            )?;
            let summary = format!(
                "{name}: {} tokens in {:.1} s",
                report.vocab_size, report.seconds
            );
            Ok(((name, report), summary))
        }) {
            Ok(job) => self.train_job = Some(job),
            Err(e) => self.trained = Some(Err(e.to_string())),
        }
    }

    /// Loads a workspace tokenizer into the inspector.
    fn select(&mut self, id: i64, cx: &AppContext<'_>) {
        let Some((workspace, snapshot)) = cx.workspace() else {
            return;
        };
        let Some(row) = snapshot.tokenizers.iter().find(|t| t.id == id) else {
            return;
        };
        let path = workspace.root().join(&row.path);
        self.selected = Some(id);
        self.loaded = Some(Loaded::open(&path).map(Arc::new).map_err(|e| e.to_string()));
        self.reinspect();
    }

    /// Encodes the inspector's text with the loaded tokenizer: a paragraph takes well under a
    /// millisecond, so it runs as the text changes.
    fn reinspect(&mut self) {
        self.inspection = match &self.loaded {
            Some(Ok(loaded)) if !self.text.is_empty() => {
                Some(loaded.inspect(&self.text).map_err(|e| e.to_string()))
            }
            _ => None,
        };
    }

    /// Copies a tokenizer file into the workspace and inspects it.
    fn add_file(&mut self, file: &std::path::Path, cx: &mut AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        let root = workspace.root().to_owned();
        self.added =
            Some(crate::core::tokenizer::add_to_workspace(&root, file).map_err(|e| e.to_string()));
        cx.refresh_snapshot();
        if let Some(Ok(name)) = self.added.clone() {
            self.select_named(&name, cx);
        }
    }

    /// Loads the workspace tokenizer called `name` into the inspector.
    fn select_named(&mut self, name: &str, cx: &AppContext<'_>) {
        if let Some((_, snapshot)) = cx.workspace()
            && let Some(id) = snapshot
                .tokenizers
                .iter()
                .find(|t| t.name == name)
                .map(|t| t.id)
        {
            self.select(id, cx);
        }
    }

    /// Compares the ticked tokenizers on a sample of the chosen corpus, or on the inspector's
    /// text, in the background.
    fn start_compare(&mut self, cx: &mut AppContext<'_>) {
        let Some((workspace, snapshot)) = cx.workspace() else {
            return;
        };
        let root = workspace.root().to_owned();
        let chosen: Vec<(String, PathBuf)> = snapshot
            .tokenizers
            .iter()
            .filter(|t| self.compare.contains(&t.id))
            .map(|t| (t.name.clone(), root.join(&t.path)))
            .collect();
        if chosen.len() < 2 {
            self.comparison = Some(Err(cx.i18n.tr("tokenizer-compare-two")));
            return;
        }
        let corpus = self
            .compare_corpus
            .and_then(|id| snapshot.corpora.iter().find(|c| c.id == id))
            .map(|c| root.join(&c.path));
        let text = self.text.clone();
        let label = crate::core::jobs::JobName::message("job-compare-tokenizers", []);
        self.comparison = None;
        match cx
            .jobs
            .spawn_typed(&label, move |ctx| compare_job(&chosen, corpus, text, ctx))
        {
            Ok(job) => self.compare_job = Some(job),
            Err(e) => self.comparison = Some(Err(e.to_string())),
        }
    }
}

/// The comparison job's work: loads the tokenizers, samples the corpus (or takes the text).
fn compare_job(
    chosen: &[(String, PathBuf)],
    corpus: Option<PathBuf>,
    text: String,
    ctx: &crate::core::jobs::JobCtx,
) -> Result<(Comparison, String), crate::core::jobs::JobError> {
    let loaded = chosen
        .iter()
        .map(|(name, path)| Loaded::open(path).map(|l| (name.clone(), l)))
        .collect::<Result<Vec<_>, _>>()?;
    let texts = match corpus {
        Some(jsonl) => {
            let mut sampler = crate::core::corpus::tokens::Sampler::default();
            let reader = crate::core::corpus::read::DocumentReader::open(
                &jsonl,
                crate::core::corpus::read::ReadOptions::default(),
            )?;
            for (n, doc) in reader.enumerate() {
                sampler.add(&doc?.text);
                if n % 4096 == 0 && ctx.is_cancelled() {
                    return Err("cancelled".into());
                }
            }
            sampler.texts().to_vec()
        }
        None => vec![text],
    };
    let refs: Vec<(String, &Loaded)> = loaded.iter().map(|(n, l)| (n.clone(), l)).collect();
    let comparison = crate::core::tokenizer::compare(&refs, &texts, 25)?;
    let summary = format!("{} tokenizers on {} texts", refs.len(), texts.len());
    Ok((comparison, summary))
}

/// Whitespace made visible in a piece: space ·, tab →, newline ¶.
pub fn visible_whitespace(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' ' => '·',
            '\t' => '→',
            '\n' => '¶',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_name_follows_the_vocabulary_size_until_the_user_names_it() {
        assert_eq!(default_name(16_000), "az-16k");
        assert_eq!(default_name(16_384), "az-16k");
        assert_eq!(default_name(32_000), "az-32k");
        assert_eq!(default_name(1_500), "az-1.5k");
        assert_eq!(default_name(600), "az-600");
        assert_eq!(default_name(1_234), "az-1234");
        let before = TrainForm::default();
        assert_eq!(before.name, "az-16k");
        let mut form = before.clone();
        form.config.vocab_size = 8_000;
        form.follow_vocab_size(&before);
        assert_eq!(form.name, "az-8k");
        // A name the user typed stays.
        let before = form.clone();
        form.name = "hüquq".into();
        form.config.vocab_size = 4_000;
        form.follow_vocab_size(&before);
        assert_eq!(form.name, "hüquq");
        let before = form.clone();
        form.config.vocab_size = 2_000;
        form.follow_vocab_size(&before);
        assert_eq!(form.name, "hüquq");
    }
}
