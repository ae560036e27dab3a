//! The Rating area: the annotator's queue, the judgement on screen, the guidelines, agreement
//! and adjudication, import and export, and candidate answers generated to rate.

mod panel;

use std::path::PathBuf;
use std::time::Instant;

use crate::app::areas::{AppContext, AreaController, Changed, ViewContext};
use crate::app::command::Command;
use crate::core::domain::{Choice, Role, SftStatus};
use crate::core::jobs::{JobId, Outcome};
use crate::core::prefs::{self, ExportOptions, Summary, Verdict};
use crate::core::store::{PrefItem, RatingRow};

/// The Rating area: judging answer pairs and the agreement between annotators.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum RatingCommand {
    Tab(RatingTab),
    /// To the previous (-1) or next (+1) item.
    Move(isize),
    /// Opens an item in the Rate tab (from the disagreement list).
    Show(i64),
    /// The judgement on screen as the annotator changes it (boxed: it carries their texts).
    Draft(Box<Draft>),
    /// Commits the judgement on screen and moves to the next item that wants this annotator.
    Submit,
    Skip,
    /// Saves the better answer written for the item on screen as a new SFT example.
    SaveBetter,
    Guidelines(String),
    EditGuidelines(bool),
    /// An adjudicator settles an item the annotators disagree on.
    Adjudicate(i64, Verdict),
    SetExport(Box<ExportOptions>),
    /// Shows the file picker, then imports items needing this many judgements each.
    ChooseImport(u32),
    Import(std::path::PathBuf, u32),
    /// Asks where to save, then exports with the current export options.
    ChooseExport,
    Export(std::path::PathBuf),
    SetGenerate(Box<GenerateForm>),
    /// Samples candidate answers for the form's prompts in a background job.
    Generate,
    /// Shows the file picker, then reads a text file's lines as prompts.
    ChoosePromptFile,
    /// Reads a text file's lines as prompts (a path typed where the dialog cannot open).
    PromptFile(PathBuf),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RatingTab {
    #[default]
    Rate,
    Agreement,
}

/// The judgement being made on the item on screen.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    /// `a`, `b`, `tie` or `both-bad`.
    pub choice: Option<Choice>,
    /// 1–5 for the left and the right response.
    pub scores: [Option<u8>; 2],
    pub comment: String,
    /// A better answer the annotator writes; it becomes an SFT example.
    pub better: String,
    /// With three or more responses: screen positions, best first.
    pub ranking: Vec<usize>,
}

/// Where the prompts of a candidate generation come from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PromptSource {
    /// The first user turn of every ready SFT example.
    #[default]
    SftReady,
    /// The same from every SFT example.
    SftAll,
    /// One prompt per line, typed or read from a text file.
    Typed,
}

/// The candidate generation form: prompts, one or two checkpoints, how many answers each.
#[derive(Debug, Clone, PartialEq)]
pub struct GenerateForm {
    pub source: PromptSource,
    pub typed: String,
    pub model_a: Option<i64>,
    pub model_b: Option<i64>,
    pub checkpoint: String,
    pub per_model: usize,
    pub temperature_a: f64,
    pub temperature_b: f64,
    pub max_tokens: usize,
    pub seed: u64,
    pub judgements: u32,
}

impl Default for GenerateForm {
    fn default() -> Self {
        Self {
            source: PromptSource::SftReady,
            typed: String::new(),
            model_a: None,
            model_b: None,
            checkpoint: "best".into(),
            per_model: 2,
            temperature_a: 0.7,
            temperature_b: 1.0,
            max_tokens: 160,
            seed: 1,
            judgements: 2,
        }
    }
}

/// The meta key under which the guidelines (markdown) are kept.
pub const GUIDELINES_KEY: &str = "rating-guidelines";

#[derive(Debug, Default)]
pub struct RatingArea {
    pub tab: RatingTab,
    /// Which workspace the data below was read from.
    pub loaded: Option<PathBuf>,
    pub error: Option<String>,
    pub items: Vec<PrefItem>,
    pub ratings: Vec<RatingRow>,
    /// `(annotator, item)` → index into `ratings`, and non-skip judgements per item: the queue
    /// and the progress bar are asked every frame, over thousands of items.
    pub(crate) by_key: std::collections::HashMap<(String, i64), usize>,
    pub(crate) judged: std::collections::HashMap<i64, usize>,
    /// `progress()` of the annotator it was worked out for, kept until the ratings change.
    pub(crate) progress_cache: std::cell::Cell<Option<(u64, usize, usize)>>,
    pub summary: Option<Summary>,
    /// Adjudicated items and their verdicts.
    pub adjudications: std::collections::HashMap<i64, Verdict>,
    /// Index into `items` of the item on screen.
    pub position: usize,
    pub draft: Draft,
    /// When the item came on screen (the judgement's duration).
    pub shown_at: Option<Instant>,
    pub guidelines: String,
    pub editing_guidelines: bool,
    pub export: ExportOptions,
    pub import_job: Option<JobId>,
    pub generate: GenerateForm,
    pub generate_job: Option<JobId>,
    /// The last SFT example made from a better answer.
    pub better_saved: Option<i64>,
}

impl RatingArea {
    pub fn current(&self) -> Option<&PrefItem> {
        self.items.get(self.position)
    }

    /// This annotator's stored rating of an item.
    pub fn rating_of(&self, annotator: &str, item: i64) -> Option<&RatingRow> {
        self.by_key
            .get(&(annotator.to_owned(), item))
            .and_then(|&i| self.ratings.get(i))
    }

    fn index(&mut self) {
        self.by_key = self
            .ratings
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.annotator.clone(), r.item_id), i))
            .collect();
        self.judged.clear();
        for r in self.ratings.iter().filter(|r| r.choice != Choice::Skipped) {
            *self.judged.entry(r.item_id).or_default() += 1;
        }
        self.progress_cache.set(None);
    }

    /// Does the item still need this annotator: not judged by them, and short of judgements?
    pub fn wants(&self, annotator: &str, item: &PrefItem) -> bool {
        if self.rating_of(annotator, item.id).is_some() {
            return false;
        }
        self.judged.get(&item.id).copied().unwrap_or(0) < item.judgements_required as usize
    }

    /// `(done, in the queue)` for the annotator: items they judged or skipped, and all items
    /// that wanted them or were done by them.
    pub fn progress(&self, annotator: &str) -> (usize, usize) {
        let key = xxhash_rust::xxh3::xxh3_64(annotator.as_bytes());
        if let Some((k, done, total)) = self.progress_cache.get()
            && k == key
        {
            return (done, total);
        }
        let (done, total) = self.count_progress(annotator);
        self.progress_cache.set(Some((key, done, total)));
        (done, total)
    }

    fn count_progress(&self, annotator: &str) -> (usize, usize) {
        let done = self
            .items
            .iter()
            .filter(|i| self.rating_of(annotator, i.id).is_some())
            .count();
        let open = self
            .items
            .iter()
            .filter(|i| self.wants(annotator, i))
            .count();
        (done, done + open)
    }

    /// The order the annotator sees the item's responses in.
    pub fn order(&self, annotator: &str, item: &PrefItem) -> Vec<i64> {
        let ids: Vec<i64> = item.responses.iter().map(|r| r.id).collect();
        prefs::shown_order(annotator, item.id, &ids)
    }

    fn next_wanted(&self, annotator: &str, from: usize) -> Option<usize> {
        let n = self.items.len();
        (0..n)
            .map(|k| (from + k) % n)
            .find(|&i| self.wants(annotator, &self.items[i]))
    }
}

impl AreaController for RatingArea {
    type Command = RatingCommand;

    fn apply(&mut self, command: RatingCommand, cx: &mut AppContext<'_>) {
        match command {
            RatingCommand::Tab(tab) => self.tab = tab,
            RatingCommand::Move(delta) => {
                let n = self.items.len();
                if n > 0 {
                    self.position = self.position.saturating_add_signed(delta).min(n - 1);
                    self.show_item(cx);
                }
            }
            RatingCommand::Show(item) => {
                if let Some(i) = self.items.iter().position(|it| it.id == item) {
                    self.position = i;
                    self.tab = RatingTab::Rate;
                    self.show_item(cx);
                }
            }
            RatingCommand::Draft(draft) => self.draft = *draft,
            RatingCommand::Submit => self.submit(false, cx),
            RatingCommand::Skip => self.submit(true, cx),
            RatingCommand::SaveBetter => self.save_better_answer(cx),
            RatingCommand::Guidelines(text) => {
                self.guidelines = text;
                if let Some((workspace, _)) = cx.workspace()
                    && let Err(e) = workspace.store().set_meta(GUIDELINES_KEY, &self.guidelines)
                {
                    self.error = Some(crate::error_line(&e));
                }
            }
            RatingCommand::EditGuidelines(on) => self.editing_guidelines = on,
            RatingCommand::Adjudicate(item, verdict) => self.adjudicate(item, verdict, cx),
            RatingCommand::SetExport(options) => self.export = *options,
            RatingCommand::SetGenerate(form) => self.generate = *form,
            RatingCommand::Generate => self.generate_candidates(cx),
            RatingCommand::ChooseImport(judgements) => {
                let ws_dir = cx.workspace.path().to_owned();
                if let Some(file) = cx.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(&ws_dir)
                        .add_filter("JSONL", &["jsonl", "json", "ndjson"])
                        .pick_file()
                }) {
                    self.import_prefs(file, judgements, cx);
                }
            }
            RatingCommand::Import(file, judgements) => self.import_prefs(file, judgements, cx),
            RatingCommand::ChooseExport => {
                let ws_dir = cx.workspace.path().to_owned();
                let name = format!("preferences-{}.jsonl", self.export.format.name());
                if let Some(out) = cx.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(ws_dir.join("exports"))
                        .set_file_name(name)
                        .add_filter("JSONL", &["jsonl"])
                        .save_file()
                }) {
                    self.export_prefs(out, cx);
                }
            }
            RatingCommand::Export(out) => self.export_prefs(out, cx),
            RatingCommand::PromptFile(file) => self.prompts_from_file(&file),
            RatingCommand::ChoosePromptFile => {
                let ws_dir = cx.workspace.path().to_owned();
                if let Some(file) = cx.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(&ws_dir)
                        .add_filter("text", &["txt", "md"])
                        .pick_file()
                }) {
                    self.prompts_from_file(&file);
                }
            }
        }
    }

    fn job_finished(&mut self, id: JobId, _outcome: &Outcome, cx: &mut AppContext<'_>) {
        // An import or a generation, however it ended, may have added items.
        if self.import_job == Some(id) {
            self.import_job = None;
            self.reload(cx);
        }
        if self.generate_job == Some(id) {
            self.generate_job = None;
            self.reload(cx);
        }
    }

    fn workspace_changed(&mut self, _cx: &mut AppContext<'_>) {
        // The export options and the generation settings stay; the models were the old one's.
        *self = Self {
            export: std::mem::take(&mut self.export),
            generate: GenerateForm {
                model_a: None,
                model_b: None,
                ..std::mem::take(&mut self.generate)
            },
            ..Self::default()
        };
    }

    fn frame(&mut self, open: bool, cx: &mut AppContext<'_>) {
        if open {
            self.ensure_loaded(cx);
        }
        self.tick(open);
    }

    fn data_changed(&mut self, what: Changed) {
        match what {
            // New items: the queue is read again when the area next shows.
            Changed::PrefItems => self.loaded = None,
            Changed::SftExamples | Changed::Preferences => {}
        }
    }

    fn ui(&self, ui: &mut egui::Ui, view: &ViewContext<'_>, out: &mut Vec<Command>) {
        panel::rating_ui(ui, self, view, out);
    }
}

impl RatingArea {
    /// Reads the items, ratings and guidelines when the area first opens on a workspace.
    fn ensure_loaded(&mut self, cx: &AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        let root = workspace.root().to_owned();
        if self.loaded.as_ref() == Some(&root) {
            return;
        }
        self.loaded = Some(root);
        self.guidelines = workspace
            .store()
            .meta(GUIDELINES_KEY)
            .ok()
            .flatten()
            .unwrap_or_default();
        self.reload(cx);
        let annotator = cx.annotator.to_owned();
        self.position = self.next_wanted(&annotator, 0).unwrap_or(0);
        self.show_item(cx);
    }

    fn reload(&mut self, cx: &AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        match prefs::Snapshot::read(workspace.store()) {
            Ok(snapshot) => {
                self.summary = Some(snapshot.summary());
                self.items = snapshot.items;
                self.ratings = snapshot.ratings;
                self.index();
                self.adjudications = snapshot.adjudications;
                self.error = None;
            }
            Err(e) => self.error = Some(crate::error_line(&e)),
        }
        if self.position >= self.items.len() {
            self.position = 0;
        }
    }

    /// Puts the item at `position` on screen with this annotator's earlier judgement, if any.
    fn show_item(&mut self, cx: &AppContext<'_>) {
        let annotator = cx.annotator.to_owned();
        let draft = self
            .current()
            .and_then(|item| self.rating_of(&annotator, item.id))
            .map(|r| {
                let side = |k: usize| {
                    r.shown_order
                        .get(k)
                        .and_then(|id| r.scores.get(id))
                        .copied()
                };
                Draft {
                    choice: Some(r.choice).filter(|c| *c != Choice::Skipped),
                    scores: [side(0), side(1)],
                    comment: r.comment.clone(),
                    better: String::new(),
                    ranking: r
                        .ranking
                        .iter()
                        .filter_map(|id| r.shown_order.iter().position(|x| x == id))
                        .collect(),
                }
            })
            .unwrap_or_default();
        self.draft = draft;
        self.shown_at = Some(Instant::now());
        self.better_saved = None;
    }

    /// Commits the judgement on screen (or a skip) at once, then shows the next item that wants
    /// this annotator.
    fn submit(&mut self, skip: bool, cx: &mut AppContext<'_>) {
        let annotator = cx.annotator.trim().to_owned();
        if annotator.is_empty() {
            self.error = Some(cx.i18n.tr("rating-need-annotator"));
            return;
        }
        let Some(item) = self.current().cloned() else {
            return;
        };
        let order = self.order(&annotator, &item);
        let mut ranking: Vec<i64> = Vec::new();
        let choice = if skip {
            Choice::Skipped
        } else if order.len() > 2 {
            // A ranking of all but one response is whole: the last is the one left.
            let mut positions = self.draft.ranking.clone();
            if positions.len() + 1 == order.len()
                && let Some(last) = (0..order.len()).find(|p| !positions.contains(p))
            {
                positions.push(last);
            }
            if positions.len() != order.len() {
                self.error = Some(cx.i18n.tr("rating-rank-all"));
                return;
            }
            ranking = positions.iter().map(|&p| order[p]).collect();
            Choice::Ranked
        } else {
            let Some(choice) = self.draft.choice else {
                self.error = Some(cx.i18n.tr("rating-choose-first"));
                return;
            };
            choice
        };
        let scores = order
            .iter()
            .zip(self.draft.scores)
            .filter_map(|(id, s)| Some((*id, s?)))
            .collect();
        let rating = RatingRow {
            item_id: item.id,
            annotator: annotator.clone(),
            choice,
            shown_order: order,
            ranking,
            scores,
            comment: self.draft.comment.trim().to_owned(),
            duration_ms: self.shown_at.map_or(0, |t| t.elapsed().as_millis() as u64),
        };
        let Some((workspace, _)) = cx.workspace.as_open_mut() else {
            return;
        };
        if let Err(e) = workspace.store_mut().submit_rating(&rating) {
            self.error = Some(crate::error_line(&e));
            return;
        }
        self.error = None;
        // Committed; the copy on screen is updated in place rather than read back whole, and
        // the summary is worked out again when the Agreement tab next shows.
        let counts = |r: &RatingRow| usize::from(r.choice != Choice::Skipped);
        let added = counts(&rating);
        if let Some(&i) = self.by_key.get(&(annotator.clone(), item.id)) {
            let before = counts(&self.ratings[i]);
            self.ratings[i] = rating;
            let judged = self.judged.entry(item.id).or_default();
            *judged = (*judged + added).saturating_sub(before);
        } else {
            self.by_key
                .insert((annotator.clone(), item.id), self.ratings.len());
            self.ratings.push(rating);
            *self.judged.entry(item.id).or_default() += added;
        }
        self.progress_cache.set(None);
        self.summary = None;
        // A changed set of ratings changes what the DPO form offers.
        cx.changed(Changed::Preferences);
        let from = self.position + 1;
        if let Some(next) = self.next_wanted(&annotator, from) {
            self.position = next;
        } else if from < self.items.len() {
            self.position = from;
        }
        self.show_item(cx);
    }

    fn save_better_answer(&mut self, cx: &mut AppContext<'_>) {
        let Some(item) = self.current() else {
            return;
        };
        let answer = self.draft.better.trim();
        if answer.is_empty() {
            return;
        }
        let mut example = crate::core::sft::blank(cx.annotator);
        example.messages[0].content.clone_from(&item.prompt);
        answer.clone_into(&mut example.messages[1].content);
        example.tags.push(format!("rating:{}", item.id));
        let Some((workspace, _)) = cx.workspace.as_open_mut() else {
            return;
        };
        match workspace.store_mut().add_sft_example(&example) {
            Ok(id) => {
                self.better_saved = Some(id);
                self.draft.better.clear();
                // The SFT area reads the new example when it next opens.
                cx.changed(Changed::SftExamples);
                cx.refresh_snapshot();
            }
            Err(e) => self.error = Some(crate::error_line(&e)),
        }
    }

    fn adjudicate(&mut self, item: i64, verdict: Verdict, cx: &mut AppContext<'_>) {
        let adjudicator = cx.annotator.trim().to_owned();
        let Some((workspace, _)) = cx.workspace.as_open_mut() else {
            return;
        };
        if let Err(e) = workspace
            .store_mut()
            .set_adjudication(item, &verdict.to_db(), &adjudicator)
        {
            self.error = Some(crate::error_line(&e));
            return;
        }
        self.reload(cx);
        cx.changed(Changed::Preferences);
    }

    fn import_prefs(&mut self, file: PathBuf, judgements: u32, cx: &mut AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        let root = workspace.root().to_owned();
        let label = crate::core::jobs::JobName::message(
            "job-prefs-import",
            [("file", file.display().to_string().into())],
        );
        match cx.jobs.spawn(&label, move |ctx| {
            let mut ws = crate::core::workspace::Workspace::open(&root)?;
            let source = file
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            let report = prefs::import(ws.store_mut(), &file, &source, judgements)?;
            for (line, why) in &report.errors {
                ctx.log(format!("{}:{line}: {why}", file.display()));
            }
            Ok(format!(
                "imported {} items; {} lines skipped",
                report.imported,
                report.errors.len()
            ))
        }) {
            Ok(job) => self.import_job = Some(job),
            Err(e) => log::error!("cannot start {label}: {e}"),
        }
    }

    fn export_prefs(&mut self, out: PathBuf, cx: &mut AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        let root = workspace.root().to_owned();
        let options = self.export.clone();
        let label = crate::core::jobs::JobName::message(
            "job-prefs-export",
            [("file", out.display().to_string().into())],
        );
        if let Err(e) = cx.jobs.spawn(&label, move |_ctx| {
            let ws = crate::core::workspace::Workspace::open(&root)?;
            let summary = prefs::export(ws.store(), &options, &out)?;
            // The summary goes beside the data: counts, agreement, position bias.
            let mut text = Vec::new();
            prefs::write_summary(&summary, &mut text)?;
            let summary_path = out.with_extension("summary.json");
            crate::core::write_atomic(&summary_path, &text)?;
            Ok(format!(
                "{} lines written to {}; summary in {}",
                summary.exported,
                out.display(),
                summary_path.display()
            ))
        }) {
            log::error!("cannot start {label}: {e}");
        }
    }

    /// The summary, worked out when the Agreement tab shows after ratings changed.
    fn tick(&mut self, open: bool) {
        if open
            && self.tab == RatingTab::Agreement
            && self.summary.is_none()
            && !self.items.is_empty()
        {
            self.summary = Some(prefs::summarize(
                &self.items,
                &self.ratings,
                &self.adjudications,
            ));
        }
    }

    /// Reads a text file's lines as the typed prompts.
    fn prompts_from_file(&mut self, file: &std::path::Path) {
        match std::fs::read(file).map(String::from_utf8) {
            Ok(Ok(text)) => {
                self.generate.typed = text;
                self.generate.source = PromptSource::Typed;
            }
            Ok(Err(e)) => {
                self.error = Some(format!(
                    "{}: not UTF-8 text (byte {})",
                    file.display(),
                    e.utf8_error().valid_up_to()
                ));
            }
            Err(e) => self.error = Some(format!("{}: {e}", file.display())),
        }
    }

    fn generate_candidates(&mut self, cx: &mut AppContext<'_>) {
        let Some((workspace, snapshot)) = cx.workspace() else {
            return;
        };
        let form = self.generate.clone();
        let prompts: Vec<String> = match form.source {
            PromptSource::Typed => form
                .typed
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
            PromptSource::SftReady | PromptSource::SftAll => workspace
                .store()
                .sft_examples_full()
                .unwrap_or_default()
                .into_iter()
                .filter(|e| form.source == PromptSource::SftAll || e.status == SftStatus::Ready)
                .filter_map(|e| {
                    e.messages
                        .into_iter()
                        .find(|m| m.role == Role::User)
                        .map(|m| m.content)
                })
                .filter(|p| !p.trim().is_empty())
                .collect(),
        };
        let root = workspace.root().to_owned();
        let models: Vec<prefs::CandidateModel> = [
            (form.model_a, form.temperature_a),
            (form.model_b, form.temperature_b),
        ]
        .into_iter()
        .filter_map(|(id, temperature)| {
            let run = snapshot.runs.iter().find(|r| Some(r.id) == id)?;
            Some(prefs::CandidateModel {
                name: run.name.clone(),
                run_dir: root.join(&run.dir),
                checkpoint: form.checkpoint.clone(),
                temperature,
            })
        })
        .collect();
        if prompts.is_empty() || models.is_empty() {
            self.error = Some(cx.i18n.tr("rating-generate-needs"));
            return;
        }
        let label = crate::core::jobs::JobName::message(
            "job-prefs-generate",
            [("count", prompts.len().into())],
        );
        match cx.jobs.spawn(&label, move |ctx| {
            let mut ws = crate::core::workspace::Workspace::open(&root)?;
            let added = prefs::generate_candidates(
                ws.store_mut(),
                &prompts,
                &models,
                form.per_model,
                form.max_tokens,
                form.seed,
                form.judgements,
                &|done, total| ctx.progress(done, Some(total)),
                &|| ctx.is_cancelled(),
            )?;
            Ok(format!("{added} items with candidates added"))
        }) {
            Ok(job) => {
                self.generate_job = Some(job);
                self.error = None;
            }
            Err(e) => log::error!("cannot start {label}: {e}"),
        }
    }
}
