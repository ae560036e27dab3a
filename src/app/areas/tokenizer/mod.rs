//! The Tokenizer area's state and commands: the training form, the training job, and the
//! inspector (a loaded tokenizer and the pasted text's pieces).

use std::sync::Arc;

use crate::app::corpus::take;
use crate::app::{DezgahApp, WorkspaceSlot};
use crate::core::jobs::{JobId, Slot};
use crate::core::tokenizer::{Comparison, Inspection, Kind, Loaded, TrainConfig};

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
pub struct TokenizerView {
    pub form: TrainForm,
    pub trained: Option<Result<(String, crate::core::tokenizer::TrainReport), String>>,
    pub(crate) train_job: Option<(JobId, Slot<(String, crate::core::tokenizer::TrainReport)>)>,
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
    pub(crate) compare_job: Option<(JobId, Slot<Comparison>)>,
}

impl DezgahApp {
    pub(crate) fn train_tokenizer(&mut self) {
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return;
        };
        let form = self.tokenizer.form.clone();
        let corpora: Vec<_> = snapshot
            .corpora
            .iter()
            .filter(|c| form.corpora.contains(&c.id))
            .cloned()
            .collect();
        if corpora.is_empty() {
            self.tokenizer.trained = Some(Err(self.i18n.tr("tokenizer-train-no-corpus")));
            return;
        }
        let root = workspace.root().to_owned();
        let slot = Slot::default();
        let result = slot.clone();
        let label = crate::core::jobs::JobName::message(
            "job-train-tokenizer",
            [("name", form.name.as_str().into())],
        );
        self.tokenizer.trained = None;
        match self.jobs.spawn(&label, move |ctx| {
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
            result.put((name, report));
            Ok(summary)
        }) {
            Ok(job) => self.tokenizer.train_job = Some((job, slot)),
            Err(e) => self.tokenizer.trained = Some(Err(e.to_string())),
        }
    }

    pub(crate) fn select_tokenizer(&mut self, id: i64) {
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return;
        };
        let Some(row) = snapshot.tokenizers.iter().find(|t| t.id == id) else {
            return;
        };
        let path = workspace.root().join(&row.path);
        self.tokenizer.selected = Some(id);
        self.tokenizer.loaded = Some(Loaded::open(&path).map(Arc::new).map_err(|e| e.to_string()));
        self.reinspect();
    }

    pub(crate) fn set_inspect_text(&mut self, text: String) {
        self.tokenizer.text = text;
        self.reinspect();
    }

    /// Encodes the inspector's text with the loaded tokenizer: a paragraph takes well under a
    /// millisecond, so it runs as the text changes.
    fn reinspect(&mut self) {
        self.tokenizer.inspection = match &self.tokenizer.loaded {
            Some(Ok(loaded)) if !self.tokenizer.text.is_empty() => Some(
                loaded
                    .inspect(&self.tokenizer.text)
                    .map_err(|e| e.to_string()),
            ),
            _ => None,
        };
    }

    pub(crate) fn add_tokenizer_file(&mut self, file: &std::path::Path) {
        let WorkspaceSlot::Open { workspace, .. } = &self.workspace else {
            return;
        };
        let root = workspace.root().to_owned();
        self.tokenizer.added =
            Some(crate::core::tokenizer::add_to_workspace(&root, file).map_err(|e| e.to_string()));
        self.refresh_snapshot();
        if let Some(Ok(name)) = self.tokenizer.added.clone() {
            self.select_tokenizer_named(&name);
        }
    }

    /// Loads the workspace tokenizer called `name` into the inspector.
    fn select_tokenizer_named(&mut self, name: &str) {
        if let WorkspaceSlot::Open { snapshot, .. } = &self.workspace
            && let Some(id) = snapshot
                .tokenizers
                .iter()
                .find(|t| t.name == name)
                .map(|t| t.id)
        {
            self.select_tokenizer(id);
        }
    }

    /// Compares the ticked tokenizers on a sample of the chosen corpus, or on the inspector's
    /// text, in the background.
    pub(crate) fn compare_tokenizers(&mut self) {
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return;
        };
        let root = workspace.root().to_owned();
        let chosen: Vec<(String, std::path::PathBuf)> = snapshot
            .tokenizers
            .iter()
            .filter(|t| self.tokenizer.compare.contains(&t.id))
            .map(|t| (t.name.clone(), root.join(&t.path)))
            .collect();
        if chosen.len() < 2 {
            self.tokenizer.comparison = Some(Err(self.i18n.tr("tokenizer-compare-two")));
            return;
        }
        let corpus = self
            .tokenizer
            .compare_corpus
            .and_then(|id| snapshot.corpora.iter().find(|c| c.id == id))
            .map(|c| root.join(&c.path));
        let text = self.tokenizer.text.clone();
        let slot = Slot::default();
        let result = slot.clone();
        let label = crate::core::jobs::JobName::message("job-compare-tokenizers", []);
        self.tokenizer.comparison = None;
        match self.jobs.spawn(&label, move |ctx| {
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
            result.put(comparison);
            Ok(summary)
        }) {
            Ok(job) => self.tokenizer.compare_job = Some((job, slot)),
            Err(e) => self.tokenizer.comparison = Some(Err(e.to_string())),
        }
    }

    pub(crate) fn tokenizer_job_finished(&mut self, id: JobId, ok: bool) {
        if let Some((job, slot)) = &self.tokenizer.compare_job
            && *job == id
        {
            let taken = take(slot, ok, self.job_error(id));
            self.tokenizer.compare_job = None;
            self.tokenizer.comparison = taken;
            return;
        }
        let Some((job, slot)) = &self.tokenizer.train_job else {
            return;
        };
        if *job != id {
            return;
        }
        let taken = take(slot, ok, self.job_error(id));
        self.tokenizer.train_job = None;
        self.tokenizer.trained = taken;
        if let Some(Ok((name, _))) = self.tokenizer.trained.clone() {
            self.select_tokenizer_named(&name);
        }
    }

    pub(crate) fn refresh_snapshot(&mut self) {
        if let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &mut self.workspace
        {
            match workspace.snapshot() {
                Ok(fresh) => **snapshot = fresh,
                Err(e) => log::error!("{}", crate::error_line(&e)),
            }
        }
    }
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
