//! The eframe application: `logic()` applies commands and drains job events; `ui()` draws the
//! navigation, the open area and the status bar from plain state; `save()` persists [`UiState`].

pub mod areas;
pub mod command;
pub mod corpus;
pub mod picker;
pub mod sft;
pub mod state;
pub mod theme;
pub mod training;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::app::areas::{AppContext, AreaController, Areas, Changed};
use crate::app::command::{Command, CorpusCommand, TokenizerCommand};
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
        /// The failures the interface words itself (in its language); others show `error`.
        known: Option<OpenFailure>,
    },
}

/// Why a workspace did not open, where the interface has its own words for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenFailure {
    /// The disk is full; the database is sound.
    DiskFull { folder: PathBuf, free: Option<u64> },
    /// `dezgah.db` has no bytes: not a workspace database.
    EmptyDatabase { file: PathBuf },
}

impl OpenFailure {
    pub fn of_store(err: &crate::core::store::StoreError) -> Option<Self> {
        use crate::core::store::StoreError;
        match err {
            StoreError::DiskFull { source, .. } => Some(Self::DiskFull {
                folder: source.folder.clone(),
                free: source.free,
            }),
            StoreError::Empty { path } => Some(Self::EmptyDatabase { file: path.clone() }),
            _ => None,
        }
    }

    pub fn of(err: &crate::core::workspace::WorkspaceError) -> Option<Self> {
        use crate::core::workspace::WorkspaceError;
        match err {
            WorkspaceError::DiskFull { source, .. } => Some(Self::DiskFull {
                folder: source.folder.clone(),
                free: source.free,
            }),
            WorkspaceError::Store(e) => Self::of_store(e),
            _ => None,
        }
    }

    pub fn text(&self, i18n: &crate::i18n::I18n) -> String {
        match self {
            Self::DiskFull { folder, free } => i18n.tr_args(
                "workspace-disk-full",
                &[
                    ("folder", folder.display().to_string().into()),
                    (
                        "free",
                        free.map_or_else(|| "?".to_owned(), |n| n.to_string())
                            .into(),
                    ),
                ],
            ),
            Self::EmptyDatabase { file } => i18n.tr_args(
                "workspace-db-empty",
                &[("file", file.display().to_string().into())],
            ),
        }
    }
}

impl WorkspaceSlot {
    fn open(path: &Path) -> Self {
        let opened =
            Workspace::open(path).map_err(|e| (crate::error_line(&e), OpenFailure::of(&e)));
        match opened.and_then(|ws| {
            ws.snapshot()
                .map(|snapshot| (ws, snapshot))
                .map_err(|e| (crate::error_line(&e), OpenFailure::of_store(&e)))
        }) {
            Ok((workspace, snapshot)) => Self::Open {
                workspace: Box::new(workspace),
                snapshot: Box::new(snapshot),
            },
            Err((error, known)) => {
                log::error!("{error}");
                Self::Failed {
                    path: path.to_owned(),
                    error,
                    known,
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

    /// The open workspace and what was last read of it; `None` when none could be opened (the
    /// one check every action that needs a workspace starts with).
    pub fn as_open(&self) -> Option<(&Workspace, &Snapshot)> {
        match self {
            Self::Open {
                workspace,
                snapshot,
            } => Some((workspace, snapshot)),
            Self::Failed { .. } => None,
        }
    }

    pub fn as_open_mut(&mut self) -> Option<(&mut Workspace, &mut Snapshot)> {
        match self {
            Self::Open {
                workspace,
                snapshot,
            } => Some((workspace, snapshot)),
            Self::Failed { .. } => None,
        }
    }

    /// Reads the open workspace's rows again; a failed read is logged and the last kept.
    pub fn refresh_snapshot(&mut self) {
        if let Self::Open {
            workspace,
            snapshot,
        } = self
        {
            match workspace.snapshot() {
                Ok(fresh) => **snapshot = fresh,
                Err(e) => log::error!("{}", crate::error_line(&e)),
            }
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
    /// The areas that are controllers (the others still live in the fields above).
    pub areas: Areas,
    pub training: training::TrainingView,
    pub sft: sft::SftView,
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
            areas: Areas::default(),
            training,
            sft: sft::SftView::default(),
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

    /// Runs `act` on the areas with the context they act in, then tells the other areas what
    /// it changed.
    fn in_areas<R>(&mut self, act: impl FnOnce(&mut Areas, &mut AppContext<'_>) -> R) -> R {
        let mut changes = Vec::new();
        let Self {
            workspace,
            jobs,
            i18n,
            dialogs,
            areas,
            state,
            ..
        } = self;
        let mut cx = AppContext::new(
            workspace,
            jobs,
            i18n,
            dialogs,
            &state.annotator,
            &mut changes,
        );
        let result = act(areas, &mut cx);
        for change in changes {
            match change {
                Changed::SftExamples => self.sft.loaded = None,
                Changed::Preferences => self.training.data_counts = None,
                Changed::PrefItems => {}
            }
            self.areas.data_changed(change);
        }
        result
    }

    /// Reads the workspace's rows again (after a change made outside a job).
    pub(crate) fn refresh_snapshot(&mut self) {
        self.workspace.refresh_snapshot();
    }

    /// Queues a command for the next `logic()` pass.
    pub fn push(&mut self, command: Command) {
        self.commands.push(command);
    }

    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::Corpus(command) => self.apply_corpus(command),
            Command::Tokenizer(command) => self.in_areas(|a, cx| a.tokenizer.apply(command, cx)),
            Command::Training(command) => self.apply_training(command),
            Command::Sft(command) => self.apply_sft(command),
            Command::Rating(command) => self.in_areas(|a, cx| a.rating.apply(command, cx)),
            Command::Playground(command) => {
                self.in_areas(|a, cx| a.playground.apply(command, cx));
            }
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
            Command::ShowRun(id) => {
                self.state.area = Area::Training;
                self.select_run(id);
            }
            Command::ShowCorpus(id) => {
                self.state.area = Area::Corpus;
                self.select_corpus(id);
            }
            Command::ShowTokenizer(id) => {
                self.state.area = Area::Tokenizer;
                self.in_areas(|a, cx| a.tokenizer.apply(TokenizerCommand::Select(id), cx));
            }
            Command::CopyText(text) => ctx.copy_text(text),
        }
    }

    fn apply_corpus(&mut self, command: CorpusCommand) {
        match command {
            CorpusCommand::ChooseFiles => {
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
            CorpusCommand::ChooseFolder => {
                let start = self.workspace.path().to_owned();
                if let Some(dir) =
                    self.dialog(|| rfd::FileDialog::new().set_directory(start).pick_folder())
                {
                    self.import_corpus(vec![dir]);
                }
            }
            CorpusCommand::Import(files) => self.import_corpus(files),
            CorpusCommand::SetImportUnit(unit) => self.corpus.unit = unit,
            CorpusCommand::SetImportOptions(options) => self.corpus.import = options,
            CorpusCommand::Select(id) => self.select_corpus(id),
            CorpusCommand::SetTab(tab) => self.corpus.tab = tab,
            CorpusCommand::SetSource(id, source) => self.set_corpus_source(id, source),
            CorpusCommand::SetListOpen(open) => self.corpus.list_open = open,
            CorpusCommand::SetBrowseFilters(filters) => self.set_filters(*filters),
            CorpusCommand::Search(query) => self.search_corpus(query),
            CorpusCommand::OpenDocument(number) => self.open_document(number),
            CorpusCommand::ShowDocument(number) => {
                self.corpus.tab = crate::app::corpus::CorpusTab::Documents;
                self.open_document(number);
            }
            CorpusCommand::SetCleanRules(rules) => self.corpus.steps.rules = rules,
            CorpusCommand::PreviewClean => self.preview_clean(),
            CorpusCommand::SetQualityConfig(config) => self.corpus.steps.quality = *config,
            CorpusCommand::PreviewFilter => self.preview_filter(),
            CorpusCommand::SetDedupSettings(settings) => self.corpus.steps.dedup = settings,
            CorpusCommand::FindDuplicates => self.find_duplicates(),
            CorpusCommand::SelectCluster(i) => self.select_cluster(i),
            CorpusCommand::CompareWith(member) => self.compare_with(member),
            CorpusCommand::DecideCluster {
                keep,
                not_duplicates,
            } => self.decide_cluster(keep, not_duplicates),
            CorpusCommand::ApplyKeepPolicy(keep) => self.apply_keep_policy(&keep),
            CorpusCommand::MoveSourceUp(i) => self.move_source_up(i),
            CorpusCommand::Derive(kind) => self.derive(kind),
            CorpusCommand::ChooseExport(format) => {
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
            CorpusCommand::ExportTo(format, out) => self.export(format, out),
            CorpusCommand::ChooseTokenizerForEstimate => {
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
            CorpusCommand::EstimateTokens(file) => self.estimate_tokens(file),
            CorpusCommand::ShowWholeDocument => {
                if let Some(b) = &mut self.corpus.browser {
                    b.show_whole();
                }
            }
        }
    }

    fn import_corpus(&mut self, files: Vec<PathBuf>) {
        let Some((workspace, _)) = self.workspace.as_open() else {
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
        let Some((_, snapshot)) = self.workspace.as_open() else {
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
        let Some((workspace, snapshot)) = self.workspace.as_open() else {
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
    fn after_job(&mut self, id: crate::core::jobs::JobId, outcome: &crate::core::jobs::Outcome) {
        let ok = matches!(outcome, crate::core::jobs::Outcome::Done(_));
        self.refresh_snapshot();
        // A new corpus, tokenizer or rating may change what the launch form offers.
        self.training.data_counts = None;
        self.training.tokenizer_cache.clear();
        self.recheck_launch();
        self.corpus_job_finished(id, outcome);
        self.step_job_finished(id, outcome);
        self.in_areas(|a, cx| a.job_finished(id, outcome, cx));
        self.export_job_finished(id, outcome);
        self.sft_job_finished(id, outcome);
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
        self.in_areas(Areas::workspace_changed);
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
        self.areas.rating.loaded = None;
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
                        known: OpenFailure::of_store(&e),
                    };
                }
            }
        }
    }

    fn check_workspace(&mut self) {
        let Some((workspace, _)) = self.workspace.as_open() else {
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
                crate::core::jobs::EventKind::Finished(outcome) => {
                    Some((event.id, outcome.clone()))
                }
                _ => None,
            };
            if let crate::core::jobs::EventKind::Progress(p) = &event.kind {
                self.corpus.steps.note_progress(event.id, p);
            }
            self.board.apply(event);
            if let Some((id, outcome)) = finished {
                self.after_job(id, &outcome);
            }
        }
        self.drain_runs(EVENT_BUDGET);
        if self.state.area == Area::Sft {
            self.ensure_sft_loaded();
        }
        let open = self.state.area;
        self.in_areas(|a, cx| a.frame(open, cx));
        if self.state.area == Area::Training {
            self.training.gpus.poll(self.jobs.waker());
        }
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
