//! The eframe application: `logic()` applies commands and drains job events; `ui()` draws the
//! navigation, the open area and the status bar from plain state; `save()` persists [`UiState`].

pub mod command;
pub mod corpus;
pub mod picker;
pub mod playground;
pub mod rating;
pub mod sft;
pub mod state;
pub mod theme;
pub mod tokenizer;
pub mod training;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::app::command::Command;
pub use crate::app::corpus::CorpusView;
use crate::app::state::{Area, STORAGE_KEY, UiState};
use crate::core::jobs::{JobBoard, Jobs};
use crate::core::workspace::{Snapshot, Workspace};
use crate::i18n::{I18n, Lang};
use crate::panels;

/// How long `logic()` may spend taking job events in one frame.
const EVENT_BUDGET: Duration = Duration::from_millis(4);

/// Choices made on the command line; each overrides the saved state.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    pub workspace: Option<PathBuf>,
    pub area: Option<Area>,
    pub lang: Option<Lang>,
    /// The program that runs training (`dezgah train …`); this executable when unset.
    pub train_exe: Option<PathBuf>,
    /// The driver tool the GPU list is asked of; `nvidia-smi` (or `DEZGAH_NVIDIA_SMI`) when
    /// unset.
    pub nvidia_smi: Option<PathBuf>,
}

/// The open workspace, or why none is open.
#[derive(Debug)]
pub enum WorkspaceSlot {
    Open {
        workspace: Box<Workspace>,
        snapshot: Box<Snapshot>,
    },
    Failed {
        path: PathBuf,
        error: String,
    },
}

impl WorkspaceSlot {
    fn open(path: &Path) -> Self {
        let opened = Workspace::open(path).map_err(|e| crate::error_line(&e));
        match opened.and_then(|ws| {
            ws.snapshot()
                .map(|snapshot| (ws, snapshot))
                .map_err(|e| crate::error_line(&e))
        }) {
            Ok((workspace, snapshot)) => Self::Open {
                workspace: Box::new(workspace),
                snapshot: Box::new(snapshot),
            },
            Err(error) => {
                log::error!("{error}");
                Self::Failed {
                    path: path.to_owned(),
                    error,
                }
            }
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Self::Open { workspace, .. } => workspace.root(),
            Self::Failed { path, .. } => path,
        }
    }
}

/// Text fields of the settings area that are edited before they take effect.
#[derive(Debug, Default)]
pub struct SettingsForm {
    pub workspace_path: String,
    pub annotator: String,
}

pub struct DezgahApp {
    pub state: UiState,
    pub i18n: I18n,
    pub workspace: WorkspaceSlot,
    pub jobs: Jobs,
    pub board: JobBoard,
    pub settings_form: SettingsForm,
    pub corpus: CorpusView,
    pub tokenizer: tokenizer::TokenizerView,
    pub training: training::TrainingView,
    pub sft: sft::SftView,
    pub rating: rating::RatingView,
    pub playground: playground::PlaygroundView,
    /// Whether the native file dialog opens here (learned on first use, kept for the session).
    pub dialogs: picker::Dialogs,
    /// The running import of SFT examples; the list is read again when it ends.
    sft_import_job: Option<crate::core::jobs::JobId>,
    commands: Vec<Command>,
    theme_applied: Option<state::ThemeChoice>,
}

impl std::fmt::Debug for DezgahApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DezgahApp")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl DezgahApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: StartOptions) -> Self {
        theme::install_fonts(&cc.egui_ctx);
        let saved: UiState = cc
            .storage
            .and_then(|s| eframe::get_value(s, STORAGE_KEY))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        Self::with_state(
            saved,
            options,
            Some(Arc::new(move || ctx.request_repaint())),
        )
    }

    /// Builds the app from a state, without eframe (tests drive it this way too).
    pub fn with_state(
        mut state: UiState,
        options: StartOptions,
        waker: Option<crate::core::jobs::Waker>,
    ) -> Self {
        if let Some(area) = options.area {
            state.area = area;
        }
        if let Some(lang) = options.lang {
            state.lang = lang;
        }
        if let Some(dir) = options.workspace {
            state.workspace = Some(dir);
        }
        let path = state
            .workspace
            .clone()
            .or_else(Workspace::default_dir)
            .unwrap_or_else(|| PathBuf::from("dezgah-workspace"));
        let workspace = WorkspaceSlot::open(&path);
        if let WorkspaceSlot::Open { workspace, .. } = &workspace {
            state.workspace = Some(workspace.root().to_owned());
        }
        let settings_form = SettingsForm {
            workspace_path: workspace.path().display().to_string(),
            annotator: state.annotator.clone(),
        };
        let mut training = training::TrainingView::default();
        if let Some(exe) = options.train_exe {
            training.exe = exe;
        }
        if let Some(program) = options.nvidia_smi {
            training.gpus = training::GpuWatch::new(program);
        }
        let mut app = Self {
            i18n: I18n::new(state.lang),
            state,
            workspace,
            jobs: Jobs::new(waker),
            board: JobBoard::default(),
            settings_form,
            corpus: CorpusView::default(),
            tokenizer: tokenizer::TokenizerView::default(),
            training,
            sft: sft::SftView::default(),
            rating: rating::RatingView::default(),
            playground: playground::PlaygroundView::default(),
            dialogs: picker::Dialogs::default(),
            sft_import_job: None,
            commands: Vec::new(),
            theme_applied: None,
        };
        app.reattach_runs();
        app.recheck_launch();
        app
    }

    /// Shows a native dialog (a blocking rfd call), learning whether dialogs open here.
    fn dialog<T>(&mut self, show: impl FnOnce() -> Option<T>) -> Option<T> {
        self.dialogs.run(&picker::DialogEnv::current(), show)
    }

    /// Queues a command for the next `logic()` pass.
    pub fn push(&mut self, command: Command) {
        self.commands.push(command);
    }

    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Command::Open(area) => self.state.area = area,
            Command::SetLang(lang) => {
                self.state.lang = lang;
                self.i18n.set_lang(lang);
            }
            Command::SetTheme(theme) => self.state.theme = theme,
            Command::SetAnnotator(name) => self.set_annotator(&name),
            Command::ChooseWorkspace => {
                let start = self.workspace.path().to_owned();
                if let Some(dir) =
                    self.dialog(|| rfd::FileDialog::new().set_directory(start).pick_folder())
                {
                    self.open_workspace(&dir);
                }
            }
            Command::OpenWorkspace(dir) => self.open_workspace(&dir),
            Command::CheckWorkspace => self.check_workspace(),
            Command::CancelJob(id) => self.jobs.cancel(id),
            Command::DismissJob(id) => self.board.dismiss(id),
            Command::RevealFolder(dir) => reveal_folder(&dir),
            Command::ChooseCorpusFiles => {
                let start = self.workspace.path().to_owned();
                if let Some(files) = self.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(start)
                        .add_filter(
                            "corpus",
                            &["txt", "md", "jsonl", "ndjson", "gz", "zst", "parquet"],
                        )
                        .pick_files()
                }) {
                    self.import_corpus(files);
                }
            }
            Command::ChooseCorpusFolder => {
                let start = self.workspace.path().to_owned();
                if let Some(dir) =
                    self.dialog(|| rfd::FileDialog::new().set_directory(start).pick_folder())
                {
                    self.import_corpus(vec![dir]);
                }
            }
            Command::ImportCorpus(files) => self.import_corpus(files),
            Command::SetImportUnit(unit) => self.corpus.unit = unit,
            Command::SetImportOptions(options) => self.corpus.import = options,
            Command::SelectCorpus(id) => self.select_corpus(id),
            Command::SetCorpusTab(tab) => self.corpus.tab = tab,
            Command::SetCorpusSource(id, source) => self.set_corpus_source(id, source),
            Command::SetCorpusListOpen(open) => self.corpus.list_open = open,
            Command::SetBrowseFilters(filters) => self.set_filters(*filters),
            Command::SearchCorpus(query) => self.search_corpus(query),
            Command::OpenDocument(number) => self.open_document(number),
            Command::ShowDocument(number) => {
                self.corpus.tab = crate::app::corpus::CorpusTab::Documents;
                self.open_document(number);
            }
            Command::SetCleanRules(rules) => self.corpus.steps.rules = rules,
            Command::PreviewClean => self.preview_clean(),
            Command::SetQualityConfig(config) => self.corpus.steps.quality = *config,
            Command::PreviewFilter => self.preview_filter(),
            Command::SetDedupSettings(settings) => self.corpus.steps.dedup = settings,
            Command::FindDuplicates => self.find_duplicates(),
            Command::SelectCluster(i) => self.select_cluster(i),
            Command::CompareWith(member) => self.compare_with(member),
            Command::DecideCluster {
                keep,
                not_duplicates,
            } => self.decide_cluster(keep, not_duplicates),
            Command::ApplyKeepPolicy(keep) => self.apply_keep_policy(&keep),
            Command::MoveSourceUp(i) => self.move_source_up(i),
            Command::DeriveCorpus(kind) => self.derive(kind),
            Command::ChooseExport(format) => {
                let (ext, dir) = match format {
                    crate::core::corpus::derive::ExportFormat::Jsonl => ("jsonl", "exports"),
                    crate::core::corpus::derive::ExportFormat::Parquet => ("parquet", "exports"),
                };
                let start = self.workspace.path().join(dir);
                let name = self
                    .selected_corpus_name()
                    .map_or_else(|| format!("korpus.{ext}"), |n| format!("{n}.{ext}"));
                if let Some(out) = self.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(start)
                        .set_file_name(name)
                        .add_filter(ext, &[ext])
                        .save_file()
                }) {
                    self.export(format, out);
                }
            }
            Command::ExportCorpusTo(format, out) => self.export(format, out),
            Command::SetTrainForm(form) => self.tokenizer.form = *form,
            Command::TrainTokenizer => self.train_tokenizer(),
            Command::SelectTokenizer(id) => self.select_tokenizer(id),
            Command::SetInspectText(text) => self.set_inspect_text(text),
            Command::ChooseTokenizerFile => {
                if let Some(file) = self.dialog(|| {
                    rfd::FileDialog::new()
                        .add_filter("tokenizer.json, SentencePiece .model", &["json", "model"])
                        .pick_file()
                }) {
                    self.add_tokenizer_file(&file);
                }
            }
            Command::AddTokenizerFile(file) => self.add_tokenizer_file(&file),
            Command::SetComparison(ids, corpus) => {
                self.tokenizer.compare = ids;
                self.tokenizer.compare_corpus = corpus;
            }
            Command::CompareTokenizers => self.compare_tokenizers(),
            Command::ChooseTokenizerForEstimate => {
                let start = self.workspace.path().join("tokenizers");
                if let Some(file) = self.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(start)
                        .add_filter("tokenizer.json", &["json"])
                        .pick_file()
                }) {
                    self.estimate_tokens(file);
                }
            }
            Command::EstimateTokens(file) => self.estimate_tokens(file),
            Command::SetTrainingTab(tab) => self.training.tab = tab,
            Command::SetLaunchForm(form) => self.set_launch_form(*form),
            Command::LaunchRun => self.launch_run(),
            Command::ShowRun(id) => {
                self.state.area = Area::Training;
                self.select_run(id);
            }
            Command::StopRun(id) => self.stop_run(id),
            Command::SetResumeFrom(from) => self.training.resume_from = from,
            Command::ResumeRun(id) => {
                let from = self.training.resume_from.clone();
                self.resume_run(id, &from);
            }
            Command::CloneRun(id) => self.clone_run(id),
            Command::AskDeleteRun(id) => self.training.confirm_delete = id,
            Command::DeleteRun(id) => self.delete_run(id),
            Command::SetCompare(ids) => self.set_compare(ids),
            Command::SetPlotOptions(options) => self.training.plot = options,
            Command::ShowCorpus(id) => {
                self.state.area = Area::Corpus;
                self.select_corpus(id);
            }
            Command::ShowTokenizer(id) => {
                self.state.area = Area::Tokenizer;
                self.select_tokenizer(id);
            }
            Command::CopyText(text) => ctx.copy_text(text),
            Command::SetExportForm(form) => self.set_export_form(form),
            Command::CheckExport(id) => self.check_export(id),
            Command::ExportRun(id) => self.export_run(id),
            Command::ShowWholeDocument => {
                if let Some(b) = &mut self.corpus.browser {
                    b.show_whole();
                }
            }
            Command::SftChooseImport(format) => {
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
            Command::SftImport(format, file) => self.import_sft(format, file),
            Command::SftChooseExport(format, fraction) => {
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
            Command::SftExport(format, fraction, out) => self.export_sft(format, fraction, out),
            Command::RateChooseImport(judgements) => {
                let ws_dir = self.workspace.path().to_owned();
                if let Some(file) = self.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(&ws_dir)
                        .add_filter("JSONL", &["jsonl", "json", "ndjson"])
                        .pick_file()
                }) {
                    self.import_prefs(file, judgements);
                }
            }
            Command::RateImport(file, judgements) => self.import_prefs(file, judgements),
            Command::RateChooseExport => {
                let ws_dir = self.workspace.path().to_owned();
                let name = format!("preferences-{}.jsonl", self.rating.export.format.name());
                if let Some(out) = self.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(ws_dir.join("exports"))
                        .set_file_name(name)
                        .add_filter("JSONL", &["jsonl"])
                        .save_file()
                }) {
                    self.export_prefs(out);
                }
            }
            Command::RateExport(out) => self.export_prefs(out),
            Command::RatePromptFile(file) => self.prompts_from_file(&file),
            Command::RateChoosePromptFile => {
                let ws_dir = self.workspace.path().to_owned();
                if let Some(file) = self.dialog(|| {
                    rfd::FileDialog::new()
                        .set_directory(&ws_dir)
                        .add_filter("text", &["txt", "md"])
                        .pick_file()
                }) {
                    self.prompts_from_file(&file);
                }
            }
            rate @ (Command::RateTab(_)
            | Command::RateMove(_)
            | Command::RateShow(_)
            | Command::RateDraft(_)
            | Command::RateSubmit
            | Command::RateSkip
            | Command::RateSaveBetter
            | Command::RateGuidelines(_)
            | Command::RateEditGuidelines(_)
            | Command::RateAdjudicate(..)
            | Command::RateSetExport(_)
            | Command::RateSetGenerate(_)
            | Command::RateGenerate) => self.apply_rating(rate),
            play @ (Command::PlayTab(_)
            | Command::PlayNew
            | Command::PlayOpen(_)
            | Command::PlayDelete(_)
            | Command::PlayAskDelete(_)
            | Command::PlaySettings(_)
            | Command::PlayFitToModel
            | Command::PlayInput(_)
            | Command::PlaySend
            | Command::PlayStop
            | Command::PlayRegenerate
            | Command::PlayCompareForm(_)
            | Command::PlayCompare
            | Command::PlayCompareToRating
            | Command::PlayBatchForm(_)
            | Command::PlayBatch
            | Command::PlayBatchToRating
            | Command::PlayBatchToSft
            | Command::PlayIndexForm(_)
            | Command::PlayBuildIndex(_)
            | Command::PlaySearch(..)) => self.apply_playground(play),
            sft_command => self.apply_sft(sft_command),
        }
    }

    fn import_corpus(&mut self, files: Vec<PathBuf>) {
        let WorkspaceSlot::Open { workspace, .. } = &self.workspace else {
            return;
        };
        if files.is_empty() {
            return;
        }
        let root = workspace.root().to_owned();
        let name = crate::core::corpus::import::default_name(&files);
        let options = &self.corpus.import;
        let read = crate::core::corpus::read::ReadOptions {
            text_unit: self.corpus.unit,
            text_field: options.text_field.trim().to_owned(),
            id_field: options.id_field.trim().to_owned(),
            bad_lines: if options.repair {
                crate::core::corpus::read::BadLines::Repair
            } else {
                crate::core::corpus::read::BadLines::Skip
            },
        };
        let label = crate::core::jobs::JobName::message(
            "job-import-corpus",
            [("name", name.as_str().into())],
        );
        let spawned = self.jobs.spawn(&label, move |ctx| {
            // A dropped or picked folder stands for the corpus files under it.
            let files = crate::core::corpus::read::expand_inputs(&files)?;
            let (name, stats) =
                crate::core::corpus::import::import_corpus(&root, &files, &name, &read, Some(ctx))?;
            Ok(format!("{name}: {} documents", stats.documents))
        });
        if let Err(e) = spawned {
            log::error!("cannot start {label}: {e}");
        }
    }

    fn select_corpus(&mut self, id: i64) {
        let WorkspaceSlot::Open { snapshot, .. } = &self.workspace else {
            return;
        };
        if !snapshot.corpora.iter().any(|c| c.id == id) {
            return;
        }
        if self.corpus.selected == Some(id) && self.corpus.stats_job.is_some() {
            return; // already being computed
        }
        if self.corpus.selected != Some(id)
            || (self.corpus.browser.is_none() && self.corpus.index_job.is_none())
        {
            let changed = self.corpus.selected != Some(id);
            self.corpus.selected = Some(id);
            if changed {
                self.reset_steps();
            }
            self.load_browser(id);
        }
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return;
        };
        let Some(corpus) = snapshot.corpora.iter().find(|c| c.id == id) else {
            return;
        };
        let root = workspace.root().to_owned();
        match crate::core::corpus::import::load_stats(&root, &corpus.path) {
            Ok(Some(stats)) => self.corpus.stats = Some(Ok(stats)),
            Err(e) => self.corpus.stats = Some(Err(e)),
            Ok(None) => {
                // Never computed (a corpus from the sample seed): compute it in the background.
                self.corpus.stats = None;
                let rel = corpus.path.clone();
                let label = crate::core::jobs::JobName::message(
                    "job-corpus-stats",
                    [("name", corpus.name.as_str().into())],
                );
                match self.jobs.spawn(&label, move |ctx| {
                    let stats = crate::core::corpus::import::compute_stats(&root, &rel, Some(ctx))?;
                    Ok(format!("{} documents", stats.documents))
                }) {
                    Ok(job) => self.corpus.stats_job = Some(job),
                    Err(e) => self.corpus.stats = Some(Err(e.to_string())),
                }
            }
        }
    }

    /// After a job ends: the workspace may have new rows, and the selected corpus new stats.
    fn after_job(&mut self, id: crate::core::jobs::JobId, ok: bool) {
        self.refresh_snapshot();
        // A new corpus, tokenizer or rating may change what the launch form offers.
        self.training.data_counts = None;
        self.training.tokenizer_cache.clear();
        self.recheck_launch();
        self.corpus_job_finished(id, ok);
        self.step_job_finished(id, ok);
        self.tokenizer_job_finished(id, ok);
        self.export_job_finished(id, ok);
        self.sft_job_finished(id, ok);
        self.rating_job_finished(id);
        self.playground_job_finished(id);
        if self.sft_import_job == Some(id) {
            self.sft_import_job = None;
            self.reload_sft();
        }
        if self.corpus.stats_job == Some(id) {
            self.corpus.stats_job = None;
            match (ok, self.corpus.selected) {
                (true, Some(selected)) => self.select_corpus(selected),
                _ => {
                    self.corpus.stats = Some(Err(self
                        .board
                        .get(id)
                        .and_then(|j| match &j.outcome {
                            Some(
                                crate::core::jobs::Outcome::Failed(e)
                                | crate::core::jobs::Outcome::Panicked(e),
                            ) => Some(e.clone()),
                            _ => None,
                        })
                        .unwrap_or_default()));
                }
            }
        }
    }

    fn open_workspace(&mut self, dir: &Path) {
        self.flush_sft();
        self.workspace = WorkspaceSlot::open(dir);
        self.rating = rating::RatingView {
            export: self.rating.export.clone(),
            generate: rating::GenerateForm {
                model_a: None,
                model_b: None,
                ..self.rating.generate.clone()
            },
            ..rating::RatingView::default()
        };
        self.playground = playground::PlaygroundView {
            tab: self.playground.tab,
            index_form: self.playground.index_form.clone(),
            ..playground::PlaygroundView::default()
        };
        self.sft = sft::SftView {
            context: self.sft.context,
            filter: sft::ListFilter {
                sort: self.sft.filter.sort,
                ..sft::ListFilter::default()
            },
            ..sft::SftView::default()
        };
        // A selection belongs to the workspace it was made in.
        self.corpus = CorpusView {
            unit: self.corpus.unit,
            import: self.corpus.import.clone(),
            tab: self.corpus.tab,
            ..CorpusView::default()
        };
        self.tokenizer = tokenizer::TokenizerView {
            form: tokenizer::TrainForm {
                corpora: Vec::new(),
                ..self.tokenizer.form.clone()
            },
            ..tokenizer::TokenizerView::default()
        };
        self.training = training::TrainingView {
            exe: self.training.exe.clone(),
            plot: self.training.plot,
            ..training::TrainingView::default()
        };
        if let WorkspaceSlot::Open { workspace, .. } = &self.workspace {
            self.state.workspace = Some(workspace.root().to_owned());
        }
        self.settings_form.workspace_path = self.workspace.path().display().to_string();
        let name = self.state.annotator.clone();
        if !name.trim().is_empty() {
            self.set_annotator(&name);
        }
        self.reattach_runs();
        self.recheck_launch();
    }

    fn set_annotator(&mut self, name: &str) {
        let name = name.trim().to_owned();
        self.settings_form.annotator.clone_from(&name);
        self.state.annotator.clone_from(&name);
        // Another annotator has another queue and sees responses in another order.
        self.rating.loaded = None;
        if name.is_empty() {
            return;
        }
        if let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &mut self.workspace
        {
            let result = workspace
                .store()
                .ensure_annotator(&name)
                .and_then(|_| workspace.snapshot());
            match result {
                Ok(fresh) => **snapshot = fresh,
                Err(e) => {
                    let error = crate::error_line(&e);
                    log::error!("{error}");
                    self.workspace = WorkspaceSlot::Failed {
                        path: workspace.root().to_owned(),
                        error,
                    };
                }
            }
        }
    }

    fn check_workspace(&mut self) {
        let WorkspaceSlot::Open { workspace, .. } = &self.workspace else {
            return;
        };
        let root = workspace.root().to_owned();
        let lang = self.i18n.lang();
        let name = crate::core::jobs::JobName::message("job-check-workspace", []);
        if let Err(e) = self.jobs.spawn(&name, move |ctx| {
            crate::core::workspace::check_job_in(&root, ctx, lang)
        }) {
            log::error!("cannot start {name}: {e}");
        }
    }

    /// Ctrl+1 … Ctrl+7 switch areas; the same list the navigation shows.
    fn shortcuts(&mut self, ctx: &egui::Context) {
        for area in Area::ALL {
            if ctx.input_mut(|i| i.consume_shortcut(&area.shortcut())) {
                self.push(Command::Open(area));
            }
        }
        if ctx.input_mut(|i| i.consume_shortcut(&state::QUIT_SHORTCUT)) {
            self.push(Command::Quit);
        }
    }

    fn nav_ui(&mut self, ui: &mut egui::Ui) {
        let Self {
            state,
            i18n,
            commands,
            ..
        } = self;
        ui.add_space(8.0);
        ui.heading("Dəzgah");
        ui.label(egui::RichText::new(i18n.tr("app-tagline")).small().weak());
        ui.add_space(8.0);
        ui.separator();
        for area in Area::ALL {
            if area == Area::Settings {
                ui.separator();
            }
            let shortcut = ui.ctx().format_shortcut(&area.shortcut());
            let response = ui
                .selectable_label(state.area == area, i18n.tr(area.title_key()))
                .on_hover_text(shortcut);
            if response.clicked() {
                commands.push(Command::Open(area));
            }
        }
    }
}

impl eframe::App for DezgahApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        if self.theme_applied != Some(self.state.theme) {
            theme::apply_theme(ctx, self.state.theme);
            self.theme_applied = Some(self.state.theme);
        }
        self.shortcuts(ctx);
        let commands = std::mem::take(&mut self.commands);
        let changed = !commands.is_empty();
        for command in commands {
            self.apply(ctx, command);
        }
        // Files dropped on the window become a corpus import.
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_owned())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.state.area = Area::Corpus;
            self.import_corpus(dropped);
        }
        for event in self.jobs.drain(EVENT_BUDGET) {
            let finished = match &event.kind {
                crate::core::jobs::EventKind::Finished(outcome) => Some((
                    event.id,
                    matches!(outcome, crate::core::jobs::Outcome::Done(_)),
                )),
                _ => None,
            };
            if let crate::core::jobs::EventKind::Progress(p) = &event.kind {
                self.corpus.steps.note_progress(event.id, p);
            }
            self.board.apply(event);
            if let Some((id, ok)) = finished {
                self.after_job(id, ok);
            }
        }
        self.drain_runs(EVENT_BUDGET);
        if self.state.area == Area::Sft {
            self.ensure_sft_loaded();
        }
        if self.state.area == Area::Rating {
            self.ensure_rating_loaded();
            self.tick_rating();
        }
        if self.state.area == Area::Playground {
            self.ensure_playground_loaded();
        }
        if self.state.area == Area::Training {
            self.training.gpus.poll(self.jobs.waker());
        }
        self.tick_playground();
        self.tick_sft(ctx);
        if changed {
            ctx.request_repaint();
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            let mut out = Vec::new();
            panels::status_bar::status_bar_ui(
                ui,
                &self.i18n,
                &self.workspace,
                &self.board,
                &mut out,
            );
            self.commands.extend(out);
        });
        egui::Panel::left("navigation")
            .resizable(false)
            .exact_size(190.0)
            .show(ui, |ui| self.nav_ui(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            let mut out = Vec::new();
            panels::area_ui(ui, self, &mut out);
            self.commands.extend(out);
        });
        if !self.commands.is_empty() {
            ui.ctx().request_repaint();
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        // Also runs on the way out: the example being typed is written now.
        self.flush_sft();
        // A name still being typed is kept too.
        self.state
            .annotator
            .clone_from(&self.settings_form.annotator);
        eframe::set_value(storage, STORAGE_KEY, &self.state);
    }
}

/// Opens a folder in the platform's file manager; failure is only logged (nothing is lost).
fn reveal_folder(dir: &Path) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    match std::process::Command::new(opener).arg(dir).spawn() {
        // Reap the opener so it does not linger as a zombie.
        Ok(mut child) => {
            let reaper = std::thread::Builder::new()
                .name("dezgah-reveal-folder".into())
                .spawn(move || child.wait());
            if let Err(e) = reaper {
                log::warn!("{opener}: {e}");
            }
        }
        Err(e) => log::warn!("{opener} {}: {e}", dir.display()),
    }
}
