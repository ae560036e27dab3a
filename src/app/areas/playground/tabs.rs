//! The Compare, Batch and Index tabs: two models side by side, a batch of prompts, retrieval.

use crate::app::areas::{AppContext, Changed};
use crate::core::chat::BatchMode;
use crate::core::domain::Role;
use crate::core::jobs::{JobHandle, JobId, Outcome};
use crate::core::{chat, rag};

use super::{PlaygroundArea, Streaming};

impl PlaygroundArea {
    pub(super) fn start_compare(&mut self, cx: &mut AppContext<'_>) {
        let compare = &self.compare;
        let prompt = compare.form.prompt.trim().to_owned();
        if prompt.is_empty() || compare.busy() {
            return;
        }
        let choices = [compare.form.a.clone(), compare.form.b.clone()];
        let mut requests = Vec::new();
        for (slot, choice) in choices.iter().enumerate() {
            let dir = Self::run_dir_of(choice.run, cx);
            let (workspace, run_dir, run_name) = match Self::run_for(dir.as_deref(), cx) {
                Ok(r) => r,
                Err(e) => {
                    self.error = Some(e);
                    return;
                }
            };
            let mut settings = self.settings.clone();
            settings.run = dir;
            settings.checkpoint.clone_from(&choice.checkpoint);
            requests.push(chat::Request {
                slot,
                workspace,
                run_dir,
                run_name,
                settings,
                history: vec![(Role::User, prompt.clone())],
            });
        }
        let compare = &mut self.compare;
        compare.asked = prompt;
        compare.replies = [None, None];
        compare.sent = None;
        for request in requests {
            let slot = request.slot;
            match chat::start(request, self.cache.clone(), cx.jobs.waker()) {
                Ok(handle) => {
                    self.compare.running[slot] = Some(Streaming::new(handle, None));
                }
                Err(e) => self.compare.replies[slot] = Some(Err(e.to_string())),
            }
        }
        self.error = None;
    }

    /// The two answers become one preference item in the rating queue.
    pub(super) fn compare_to_rating(&mut self, cx: &mut AppContext<'_>) {
        let compare = &self.compare;
        let (Some(Ok(a)), Some(Ok(b))) = (&compare.replies[0], &compare.replies[1]) else {
            return;
        };
        if compare.sent.is_some() {
            return;
        }
        let prompt = compare.asked.clone();
        let (a, b) = (
            (a.text.clone(), a.meta.model.clone()),
            (b.text.clone(), b.meta.model.clone()),
        );
        let Some((workspace, _)) = cx.workspace.as_open_mut() else {
            return;
        };
        let added = workspace.store_mut().add_preference_item(
            &prompt,
            chat::COMPARE_SOURCE,
            &[(a.0.as_str(), a.1.as_str()), (b.0.as_str(), b.1.as_str())],
        );
        match added {
            Ok(id) => {
                self.compare.sent = Some(id);
                // The rating queue reads the new item when it shows next.
                cx.changed(Changed::PrefItems);
                cx.refresh_snapshot();
            }
            Err(e) => self.error = Some(crate::error_line(&e)),
        }
    }

    pub(super) fn start_batch(&mut self, cx: &mut AppContext<'_>) {
        if self.batch.job.is_some() {
            return;
        }
        let form = self.batch.form.clone();
        let prompts = chat::prompts_of(&form.prompts);
        if prompts.is_empty() {
            self.error = Some(cx.i18n.tr("play-batch-needs"));
            return;
        }
        let dir = Self::run_dir_of(form.model.run, cx);
        let (workspace, run_dir, run_name) = match Self::run_for(dir.as_deref(), cx) {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let mut settings = self.settings.clone();
        settings.run = dir;
        settings.checkpoint.clone_from(&form.model.checkpoint);
        if form.mode != BatchMode::Plain && settings.rag.corpus.is_empty() {
            self.error = Some(cx.i18n.tr("play-rag-needs-index"));
            return;
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let out = workspace
            .join(crate::core::workspace::Folder::Exports.dir_name())
            .join(format!("batch-{stamp}.jsonl"));
        let request = chat::Request {
            slot: 0,
            workspace,
            run_dir,
            run_name,
            settings,
            history: Vec::new(),
        };
        let cache = self.cache.clone();
        let label = crate::core::jobs::JobName::message(
            "job-play-batch",
            [("count", prompts.len().into())],
        );
        let spawned = cx.jobs.spawn_typed(&label, move |ctx| {
            let rows = chat::run_batch(
                &request,
                &prompts,
                form.mode,
                &cache,
                &|done, total| ctx.progress(done, Some(total)),
                &|| ctx.is_cancelled(),
            )?;
            chat::write_batch(&out, &rows).map_err(|e| format!("{}: {e}", out.display()))?;
            let summary = format!("{} outputs → {}", rows.len(), out.display());
            Ok(((rows, out), summary))
        });
        match spawned {
            Ok(job) => {
                let batch = &mut self.batch;
                batch.job = Some(job);
                batch.rows.clear();
                batch.out = None;
                batch.sent_rating = None;
                batch.sent_sft = None;
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    pub(super) fn batch_to_rating(&mut self, cx: &mut AppContext<'_>) {
        let items = chat::batch_pairs(&self.batch.rows);
        if items.is_empty() {
            self.error = Some(cx.i18n.tr("play-batch-no-pairs"));
            return;
        }
        let Some((workspace, _)) = cx.workspace.as_open_mut() else {
            return;
        };
        match workspace
            .store_mut()
            .add_preference_items(&items, chat::BATCH_SOURCE, 1)
        {
            Ok(n) => {
                self.batch.sent_rating = Some(n);
                cx.changed(Changed::PrefItems);
                cx.refresh_snapshot();
            }
            Err(e) => self.error = Some(crate::error_line(&e)),
        }
    }

    /// Each output becomes a draft SFT example to review and correct.
    pub(super) fn batch_to_sft(&mut self, cx: &mut AppContext<'_>) {
        let author = (!cx.annotator.trim().is_empty()).then(|| cx.annotator.to_owned());
        let examples = chat::batch_sft_examples(&self.batch.rows, author.as_deref());
        let Some((workspace, _)) = cx.workspace.as_open_mut() else {
            return;
        };
        match workspace.store_mut().add_sft_examples(&examples) {
            Ok(ids) => {
                self.batch.sent_sft = Some(ids.len());
                cx.changed(Changed::SftExamples);
                cx.refresh_snapshot();
            }
            Err(e) => self.error = Some(crate::error_line(&e)),
        }
    }

    pub(super) fn build_index(&mut self, corpus: &str, cx: &mut AppContext<'_>) {
        if self.index_job.is_some() {
            return;
        }
        let Some((workspace, snapshot)) = cx.workspace() else {
            return;
        };
        let Some(row) = snapshot.corpora.iter().find(|c| c.name == corpus) else {
            return;
        };
        let root = workspace.root().to_owned();
        let (name, path) = (row.name.clone(), row.path.clone());
        let settings = self.index_form.clone();
        let label =
            crate::core::jobs::JobName::message("job-play-index", [("name", name.as_str().into())]);
        let spawned = cx.jobs.spawn(&label, move |ctx| {
            let meta = rag::build(
                &root,
                &name,
                &path,
                &settings,
                &|done, total| ctx.progress(done, Some(total)),
                &|| ctx.is_cancelled(),
            )?;
            Ok(format!(
                "{}: {} passages ({} articles)",
                meta.corpus, meta.passages, meta.articles
            ))
        });
        match spawned {
            Ok(job) => self.index_job = Some((job, corpus.to_owned())),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    pub(super) fn search_index(&mut self, corpus: String, text: String, cx: &mut AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        let k = self.settings.rag.k.max(1);
        let hits = if text.trim().is_empty() || corpus.is_empty() {
            Ok(Vec::new())
        } else {
            let cached = &mut self.searcher;
            let opened = match cached.take() {
                Some(r) if r.meta.corpus == corpus => Ok(r),
                _ => rag::Retriever::open_corpus(workspace.root(), &corpus),
            };
            opened
                .and_then(|r| {
                    let hits = r.search(&text, k);
                    *cached = Some(r);
                    hits
                })
                .map_err(|e| e.to_string())
        };
        self.search = text;
        self.search_corpus = corpus;
        match hits {
            Ok(hits) => {
                self.search_hits = hits;
                self.search_error = None;
            }
            Err(e) => {
                self.search_hits.clear();
                self.search_error = Some(e);
            }
        }
    }

    /// After a job ends: a finished index is listed, a finished batch shown.
    pub(super) fn index_job_finished(
        &mut self,
        id: JobId,
        outcome: &Outcome,
        cx: &mut AppContext<'_>,
    ) {
        if self.index_job.as_ref().is_some_and(|(j, _)| *j == id)
            && let Some((_, corpus)) = self.index_job.take()
        {
            // A rebuilt index replaces the folder the open one reads.
            self.searcher = None;
            if let Some((workspace, _)) = cx.workspace() {
                self.indexes = rag::list(workspace.root());
            }
            if self.indexes.iter().any(|m| m.corpus == corpus) {
                if self.settings.rag.corpus.is_empty() {
                    self.settings.rag.corpus.clone_from(&corpus);
                }
                if self.search_corpus.is_empty() {
                    self.search_corpus = corpus;
                }
            }
            self.refresh_fit(cx);
        }
        // A failed batch says why in the status bar.
        if let Some(Ok((rows, out))) = JobHandle::take_finished(&mut self.batch.job, id, outcome) {
            self.batch.rows = rows;
            self.batch.out = Some(out);
        }
    }
}
