//! Applying the SFT area's commands: moving through the list, editing an example (undo, redo,
//! status, turns), deleting, the token limit, and drafts from a passage or a model.

use std::sync::Arc;
use std::time::Instant;

use crate::app::DezgahApp;
use crate::app::command::SftCommand;
use crate::core::domain::Role;
use crate::core::jobs::{JobId, Outcome};
use crate::core::sft;
use crate::core::sft::{DraftKind, EditSession, TokenLimit};

use super::{Change, DraftJob, Focus, ListFilter, next_role, writing_turn};

impl DezgahApp {
    pub(crate) fn apply_sft(&mut self, command: SftCommand) {
        let now = Instant::now();
        match command {
            SftCommand::New => self.new_sft_example(),
            SftCommand::Select(id) => self.select_sft(id),
            SftCommand::Step(delta) => {
                let n = self.sft.visible.len();
                if n == 0 {
                    return;
                }
                let next = match self.sft.position() {
                    Some(p) => p.saturating_add_signed(delta).min(n - 1),
                    None => 0,
                };
                let id = self.sft.examples[self.sft.visible[next]].id;
                self.select_sft(id);
                self.sft.focus = self.sft.current().map(|e| Focus::Turn(writing_turn(e)));
            }
            SftCommand::Edit(edited) => {
                if let Some(s) = &mut self.sft.session {
                    s.edit(*edited, now);
                }
                self.after_sft_edit();
            }
            SftCommand::Undo => {
                if let Some(s) = &mut self.sft.session {
                    s.undo(now);
                }
                self.after_sft_edit();
            }
            SftCommand::Redo => {
                if let Some(s) = &mut self.sft.session {
                    s.redo(now);
                }
                self.after_sft_edit();
            }
            SftCommand::SetStatus(status) => {
                if let Some(s) = &mut self.sft.session {
                    let mut e = s.example().clone();
                    e.status = status;
                    s.edit(e, now);
                }
                self.after_sft_edit();
                // A decision is worth keeping at once.
                self.flush_sft();
            }
            SftCommand::NextTurn(from) => self.next_turn(from, now),
            SftCommand::Filter(filter) => {
                self.sft.filter = *filter;
                self.sft.refilter();
            }
            SftCommand::Focus(focus) => self.sft.focus = focus,
            SftCommand::ShowKeys(show) => self.sft.show_keys = show,
            SftCommand::AskDelete(id) => self.sft.confirm_delete = id,
            SftCommand::Delete(id) => self.delete_sft(id),
            SftCommand::SetTokenizer(id) => self.set_sft_tokenizer(id),
            SftCommand::SetContext(n) => {
                self.sft.context = n.max(1);
                if let Some(limit) = &mut self.sft.limit {
                    limit.context = self.sft.context;
                }
                self.request_sft_check(Change::Limit);
            }
            SftCommand::SetAssist(form) => self.sft.assist = *form,
            SftCommand::PassageFromCorpus => self.passage_from_corpus(),
            SftCommand::DraftFromPassage(passage) => self.draft_from_passage(&passage),
            SftCommand::DraftWithModel(kind, turn) => self.draft_with_model(kind, turn),
            SftCommand::ChooseImport(format) => {
                let ws_dir = self.workspace.path().to_owned();
                if let Some(file) = self.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(&ws_dir)
                        .add_filter("JSONL", &["jsonl", "json", "ndjson"])
                        .pick_file()
                }) {
                    self.import_sft(format, file);
                }
            }
            SftCommand::Import(format, file) => self.import_sft(format, file),
            SftCommand::ChooseExport(format, fraction) => {
                let ws_dir = self.workspace.path().to_owned();
                if let Some(out) = self.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(ws_dir.join("exports"))
                        .set_file_name(format!("sft-{}.jsonl", format.name()))
                        .add_filter("JSONL", &["jsonl"])
                        .save_file()
                }) {
                    self.export_sft(format, fraction, out);
                }
            }
            SftCommand::Export(format, fraction, out) => self.export_sft(format, fraction, out),
        }
    }

    pub(super) fn after_sft_edit(&mut self) {
        self.sft.recount();
        if let Some(s) = &self.sft.session {
            let example = s.example().clone();
            self.sft.replace(&example);
        }
    }

    pub(super) fn select_sft(&mut self, id: i64) {
        if self.sft.session.as_ref().map(EditSession::id) == Some(id) {
            return;
        }
        self.flush_sft();
        let Some(example) = self.sft.examples.iter().find(|e| e.id == id).cloned() else {
            return;
        };
        self.sft.session = Some(EditSession::new(example));
        self.sft.confirm_delete = None;
        self.sft.draft_error = None;
        self.sft.recount();
    }

    pub(super) fn new_sft_example(&mut self) {
        self.flush_sft();
        let author = self.state.annotator.clone();
        self.insert_sft(&sft::blank(&author));
        self.sft.focus = Some(Focus::Turn(0));
    }

    /// Adds an example to the database, lists it and opens it in the editor.
    pub(super) fn insert_sft(&mut self, example: &crate::core::store::NewSftExample) {
        let Some((workspace, _)) = self.workspace.as_open_mut() else {
            return;
        };
        let added = workspace
            .store_mut()
            .add_sft_example(example)
            .and_then(|id| workspace.store().sft_example(id));
        match added {
            Ok(Some(example)) => {
                let id = example.id;
                self.sft.insert(example);
                // A new example should be seen whatever the filter was.
                self.sft.filter = ListFilter {
                    sort: self.sft.filter.sort,
                    ..ListFilter::default()
                };
                self.sft.collect_choices();
                self.sft.refilter();
                self.select_sft(id);
                self.request_sft_check(Change::Example(id));
                self.refresh_snapshot();
            }
            Ok(None) => {}
            Err(e) => self.sft.save_error = Some(crate::error_line(&e)),
        }
    }

    /// Ctrl+Enter: to the next turn, adding one (the other role) after the last.
    pub(super) fn next_turn(&mut self, from: Option<usize>, now: Instant) {
        let Some(s) = &mut self.sft.session else {
            return;
        };
        let len = s.example().messages.len();
        let target = match from {
            Some(t) => t + 1,
            // Nothing focused: where writing goes on (or a new turn when all are written).
            None => s
                .example()
                .messages
                .iter()
                .position(|m| m.content.trim().is_empty())
                .unwrap_or(len),
        };
        if target >= len {
            let mut e = s.example().clone();
            e.messages.push(crate::core::store::Message {
                role: next_role(&e),
                content: String::new(),
            });
            s.edit(e, now);
            self.after_sft_edit();
        }
        self.sft.focus = Some(Focus::Turn(target.min(len)));
    }

    pub(super) fn delete_sft(&mut self, id: i64) {
        self.sft.confirm_delete = None;
        let Some((workspace, _)) = self.workspace.as_open_mut() else {
            return;
        };
        if let Err(e) = workspace.store_mut().delete_sft_example(id) {
            self.sft.save_error = Some(crate::error_line(&e));
            return;
        }
        let position = self.sft.position();
        if self.sft.session.as_ref().map(EditSession::id) == Some(id) {
            self.sft.session = None;
        }
        self.sft.remove(id);
        self.sft.collect_choices();
        self.sft.refilter();
        // Carry on with the example that took its place.
        if let Some(p) = position
            && let Some(&i) = self.sft.visible.get(p).or_else(|| self.sft.visible.last())
        {
            let next = self.sft.examples[i].id;
            self.select_sft(next);
        }
        self.request_sft_check(Change::Removed(id));
        self.refresh_snapshot();
    }

    pub(super) fn set_sft_tokenizer(&mut self, id: Option<i64>) {
        self.sft.tokenizer = id;
        self.sft.limit = None;
        self.sft.tokenizer_error = None;
        let Some((workspace, snapshot)) = self.workspace.as_open() else {
            return;
        };
        if let Some(row) = id.and_then(|id| snapshot.tokenizers.iter().find(|t| t.id == id)) {
            let path = workspace.root().join(&row.path);
            match crate::core::tokenizer::load(&path) {
                Ok(tokenizer) => {
                    self.sft.limit = Some(TokenLimit {
                        tokenizer: Arc::new(tokenizer),
                        context: self.sft.context.max(1),
                    });
                }
                Err(e) => self.sft.tokenizer_error = Some(crate::error_line(&e)),
            }
        }
        self.sft.recount();
        self.request_sft_check(Change::Limit);
    }

    /// Takes the document open in the Corpus area as the assist box's passage.
    pub(super) fn passage_from_corpus(&mut self) {
        let corpus = self.selected_corpus_name().unwrap_or_default();
        let Some(doc) = self
            .corpus
            .browser
            .as_ref()
            .and_then(|b| b.open_doc.as_ref())
        else {
            return;
        };
        let Ok((_, text)) = &doc.content else {
            return;
        };
        self.sft.assist.passage.clone_from(text);
        self.sft.assist.source = format!("{corpus}#{}", doc.number + 1);
        self.state.area = crate::app::state::Area::Sft;
    }

    pub(super) fn draft_from_passage(&mut self, passage: &str) {
        let passage = passage.trim();
        if passage.is_empty() {
            return;
        }
        self.flush_sft();
        let mut draft = sft::blank(&self.state.annotator);
        draft.messages[0].content = sft::fill_template(&self.sft.assist.template, passage);
        if !self.sft.assist.source.is_empty() {
            draft
                .tags
                .push(format!("source:{}", self.sft.assist.source));
        }
        self.insert_sft(&draft);
        self.sft.focus = Some(Focus::Turn(1));
    }

    pub(super) fn draft_with_model(&mut self, kind: DraftKind, turn: usize) {
        let (Some(session), Some(run_id)) = (&self.sft.session, self.sft.assist.run) else {
            return;
        };
        let Some((workspace, snapshot)) = self.workspace.as_open() else {
            return;
        };
        let Some(run) = snapshot.runs.iter().find(|r| r.id == run_id) else {
            return;
        };
        let example = session.example().clone();
        let form = &self.sft.assist;
        let model = sft::DraftModel {
            run_dir: workspace.root().join(&run.dir),
            checkpoint: form.checkpoint.clone(),
            sampling: crate::core::model::generate::SamplingConfig {
                max_tokens: form.max_tokens.max(1),
                temperature: form.temperature,
                seed: form.seed,
                ..crate::core::model::generate::SamplingConfig::default()
            },
        };
        let history: Vec<_> = match kind {
            DraftKind::Answer => {
                let mut upto = example.clone();
                upto.messages.truncate(turn);
                sft::train_messages(&upto)
            }
            DraftKind::Paraphrase => Vec::new(),
        };
        let text = example
            .messages
            .get(turn)
            .map(|m| m.content.clone())
            .unwrap_or_default();
        let label = crate::core::jobs::JobName::message(
            match kind {
                DraftKind::Answer => "job-sft-draft-answer",
                DraftKind::Paraphrase => "job-sft-draft-paraphrase",
            },
            [("run", run.name.as_str().into())],
        );
        self.sft.draft_error = None;
        match self.jobs.spawn_typed(&label, move |ctx| {
            let draft =
                sft::draft_with_model(&model, kind, &history, &text, &|| ctx.is_cancelled())?;
            let summary = format!("{} characters", draft.chars().count());
            Ok((draft, summary))
        }) {
            Ok(job) => {
                self.sft.draft = Some(DraftJob {
                    job,
                    example: example.id,
                    turn,
                    kind,
                });
            }
            Err(e) => self.sft.draft_error = Some(e.to_string()),
        }
    }

    /// Puts a finished draft into its turn (still marked model-generated).
    pub(crate) fn sft_job_finished(&mut self, id: JobId, outcome: &Outcome) {
        if self.sft.draft.as_ref().is_none_or(|d| d.job.id() != id) {
            return;
        }
        let Some(draft) = self.sft.draft.take() else {
            return;
        };
        match draft.job.finish(outcome) {
            Ok(text) => {
                let Some(s) = &mut self.sft.session else {
                    return;
                };
                if s.id() != draft.example {
                    return;
                }
                let role = match draft.kind {
                    DraftKind::Answer => Role::Assistant,
                    DraftKind::Paraphrase => s
                        .example()
                        .messages
                        .get(draft.turn)
                        .map_or(Role::User, |m| m.role),
                };
                s.put_generated(draft.turn, role, &text, Instant::now());
                self.after_sft_edit();
                self.flush_sft();
            }
            Err(error) => self.sft.draft_error = Some(error),
        }
    }
}
