//! The eframe application: `logic()` applies commands and drains job events; `ui()` draws the
//! navigation, the open area and the status bar from plain state; `save()` persists [`UiState`].

pub mod command;
pub mod state;
pub mod theme;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::app::command::Command;
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
        let opened = Workspace::open(path).map_err(|e| format!("{e:#}"));
        match opened.and_then(|ws| {
            ws.snapshot()
                .map(|snapshot| (ws, snapshot))
                .map_err(|e| format!("{e:#}"))
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
        Self {
            i18n: I18n::new(state.lang),
            state,
            workspace,
            jobs: Jobs::new(waker),
            board: JobBoard::default(),
            settings_form,
            commands: Vec::new(),
            theme_applied: None,
        }
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
                if let Some(dir) = rfd::FileDialog::new().set_directory(start).pick_folder() {
                    self.open_workspace(&dir);
                }
            }
            Command::OpenWorkspace(dir) => self.open_workspace(&dir),
            Command::CheckWorkspace => self.check_workspace(),
            Command::CancelJob(id) => self.jobs.cancel(id),
            Command::DismissJob(id) => self.board.dismiss(id),
            Command::RevealFolder(dir) => reveal_folder(&dir),
        }
    }

    fn open_workspace(&mut self, dir: &Path) {
        self.workspace = WorkspaceSlot::open(dir);
        if let WorkspaceSlot::Open { workspace, .. } = &self.workspace {
            self.state.workspace = Some(workspace.root().to_owned());
        }
        self.settings_form.workspace_path = self.workspace.path().display().to_string();
        let name = self.state.annotator.clone();
        if !name.trim().is_empty() {
            self.set_annotator(&name);
        }
    }

    fn set_annotator(&mut self, name: &str) {
        let name = name.trim().to_owned();
        self.settings_form.annotator.clone_from(&name);
        self.state.annotator.clone_from(&name);
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
                    let error = format!("{e:#}");
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
        let name = self.i18n.tr("job-check-workspace");
        if let Err(e) = self.jobs.spawn(&name, move |ctx| {
            crate::core::workspace::check_job(&root, ctx)
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
        for event in self.jobs.drain(EVENT_BUDGET) {
            self.board.apply(event);
        }
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
