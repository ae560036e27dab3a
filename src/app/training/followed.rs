//! The runs this window follows: loading, selecting, comparing, stopping, resuming, cloning
//! and deleting them, and reading their event channels each frame.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::app::{DezgahApp, WorkspaceSlot};
use crate::core::domain::RunStatus;
use crate::core::model::Preset;
use crate::core::runs;
use crate::core::runs::RunEvent;
use crate::core::store::{NewRun, RunProgress, RunRow};
use crate::core::train::{Event, RunConfig, RunState, Stage, Status};

use super::{LaunchForm, LiveRun, TrainingTab, free_name, status_name};

impl DezgahApp {
    /// Reads a run's folder once, so the Monitor and History tabs can draw it.
    pub(crate) fn load_run(&mut self, id: i64) {
        if self.training.live.contains_key(&id) {
            return;
        }
        let Some((root, row)) = self.run_row(id) else {
            return;
        };
        let history = runs::load_history(&root.join(&row.dir));
        let mut live = LiveRun {
            status: row.status,
            max_steps: row.max_steps,
            error: (!row.message.is_empty()).then(|| row.message.clone()),
            history,
            ..LiveRun::default()
        };
        live.resync();
        self.training.live.insert(id, live);
    }

    pub(crate) fn select_run(&mut self, id: i64) {
        self.load_run(id);
        self.training.selected = Some(id);
        self.training.tab = TrainingTab::Monitor;
    }

    /// Ticks runs for comparison; their settings diff is worked out here, once, not per frame.
    pub(crate) fn set_compare(&mut self, ids: Vec<i64>) {
        for &id in &ids {
            self.load_run(id);
        }
        let configs: Vec<RunConfig> = match &self.workspace {
            WorkspaceSlot::Open { snapshot, .. } => ids
                .iter()
                .filter_map(|id| snapshot.runs.iter().find(|r| r.id == *id))
                .map(|r| serde_json::from_str(&r.config).unwrap_or_default())
                .collect(),
            WorkspaceSlot::Failed { .. } => Vec::new(),
        };
        self.training.compare_diff = runs::config_diff(&configs);
        self.training.compare = ids;
    }

    pub(super) fn run_row(&self, id: i64) -> Option<(PathBuf, RunRow)> {
        let (workspace, snapshot) = self.workspace.as_open()?;
        let row = snapshot.runs.iter().find(|r| r.id == id)?;
        Some((workspace.root().to_owned(), row.clone()))
    }

    pub(crate) fn stop_run(&mut self, id: i64) {
        let Some((root, row)) = self.run_row(id) else {
            return;
        };
        match runs::request_stop(&root.join(&row.dir)) {
            Ok(()) => {
                if let Some(live) = self.training.live.get_mut(&id) {
                    live.stopping = true;
                }
            }
            Err(e) => self.training.error = Some(e.to_string()),
        }
    }

    /// Continues a stopped (or failed) run from one of its checkpoints, in a new child; one
    /// with no checkpoint is started again.
    pub(crate) fn resume_run(&mut self, id: i64, from: &str) {
        let Some((root, row)) = self.run_row(id) else {
            return;
        };
        self.load_run(id);
        if self
            .training
            .live
            .get(&id)
            .is_some_and(|l| l.channel.is_some() || l.is_running())
        {
            return;
        }
        let rel = PathBuf::from(&row.dir);
        // A run with no checkpoint yet (killed or refused before its first) starts again from
        // its launch settings, as the CLI's --restart does.
        let launch_toml = rel.join(runs::LAUNCH_FILE);
        let args = if !crate::core::train::folder::has_checkpoint(&root.join(&rel))
            && root.join(&launch_toml).is_file()
        {
            let mut args = runs::start_args(&launch_toml, &rel);
            args.push("--restart".into());
            args
        } else {
            runs::resume_args(&rel, from)
        };
        let launch = runs::Launch {
            exe: self.training.exe.clone(),
            cwd: root.clone(),
            args,
            run_dir: root.join(&rel),
        };
        let result = runs::launch(&launch, self.jobs.waker());
        let Some(live) = self.training.live.get_mut(&id) else {
            return;
        };
        match result {
            Ok(channel) => {
                live.channel = Some(channel);
                live.status = RunStatus::Running;
                live.error = None;
                live.stopping = false;
                self.training.error = None;
            }
            Err(e) => self.training.error = Some(e.to_string()),
        }
        self.training.selected = Some(id);
        self.training.tab = TrainingTab::Monitor;
        self.record_progress(id);
    }

    /// Puts a run's settings into the form, under a new name.
    pub(crate) fn clone_run(&mut self, id: i64) {
        let Some((root, row)) = self.run_row(id) else {
            return;
        };
        let cfg: RunConfig = match serde_json::from_str(&row.config) {
            Ok(cfg) => cfg,
            Err(e) => {
                self.training.error = Some(format!("{}: {e}", row.name));
                return;
            }
        };
        let runs_list = match &self.workspace {
            WorkspaceSlot::Open { snapshot, .. } => snapshot.runs.clone(),
            WorkspaceSlot::Failed { .. } => Vec::new(),
        };
        let stage = cfg.stage;
        let form = LaunchForm {
            name: free_name(&row.name, &runs_list, &root),
            stage,
            corpus: row.corpus_id,
            tokenizer: row.tokenizer_id,
            base_run: row.base_run_id,
            base_checkpoint: if row.base_checkpoint.is_empty() {
                "best".into()
            } else {
                row.base_checkpoint.clone()
            },
            custom_model: cfg.model.is_some(),
            custom: cfg.model.clone().unwrap_or_else(|| {
                Preset::from_name(&cfg.preset)
                    .unwrap_or(Preset::Tiny)
                    .config(0)
            }),
            use_lora: cfg.lora.is_some(),
            sample_prompts: cfg.sample_prompts.join("\n"),
            config: cfg,
        };
        self.training.tab = TrainingTab::Launch;
        self.set_launch_form(form);
    }

    /// Removes a run's folder and record; a running run is stopped first by the user.
    pub(crate) fn delete_run(&mut self, id: i64) {
        self.training.confirm_delete = None;
        let Some((root, row)) = self.run_row(id) else {
            return;
        };
        let running = row.status == RunStatus::Running
            || self
                .training
                .live
                .get(&id)
                .is_some_and(|l| l.channel.is_some());
        if running {
            self.training.error = Some(self.i18n.tr("training-delete-running"));
            return;
        }
        let dir = root.join(&row.dir);
        if dir.starts_with(root.join("runs"))
            && dir.exists()
            && let Err(e) = std::fs::remove_dir_all(&dir)
        {
            self.training.error = Some(format!("{}: {e}", dir.display()));
            return;
        }
        if let Some((workspace, _)) = self.workspace.as_open_mut()
            && let Err(e) = workspace.store_mut().delete_run(id)
        {
            self.training.error = Some(crate::error_line(&e));
        }
        self.training.live.remove(&id);
        self.training.tokenizer_cache.clear();
        let compare: Vec<i64> = self
            .training
            .compare
            .iter()
            .copied()
            .filter(|&c| c != id)
            .collect();
        if self.training.selected == Some(id) {
            self.training.selected = None;
            self.training.tab = TrainingTab::History;
        }
        self.refresh_snapshot();
        self.set_compare(compare);
        self.recheck_launch();
    }
}

impl DezgahApp {
    /// Writes a followed run's state to the workspace, and rereads the snapshot.
    pub(super) fn record_progress(&mut self, id: i64) {
        let Some(live) = self.training.live.get(&id) else {
            return;
        };
        let progress = RunProgress {
            status: live.status,
            last_step: live.last().map_or(0, |m| m.step),
            best_val_loss: live.best().map(|(_, v)| v),
            duration_secs: live.last().map_or(0.0, |m| m.elapsed_secs),
            message: live.error.clone().unwrap_or_default(),
        };
        if let Some((workspace, _)) = self.workspace.as_open_mut()
            && let Err(e) = workspace.store_mut().update_run(id, &progress)
        {
            log::error!("{}", crate::error_line(&e));
        }
        self.refresh_snapshot();
    }

    /// Takes the followed runs' events for at most `budget`.
    pub(crate) fn drain_runs(&mut self, budget: Duration) {
        let start = Instant::now();
        let mut changed = Vec::new();
        for (&id, live) in &mut self.training.live {
            let Some(channel) = &live.channel else {
                continue;
            };
            let mut events = Vec::new();
            while start.elapsed() < budget {
                match channel.rx.try_recv() {
                    Ok(event) => events.push(event),
                    Err(_) => break,
                }
            }
            let mut record = false;
            for event in events {
                record |= apply_run_event(live, event);
            }
            if record {
                changed.push(id);
            }
        }
        for id in changed {
            self.record_progress(id);
            if self.training.live.get(&id).is_some_and(|l| !l.is_running()) {
                self.training.data_counts = None;
                self.recheck_launch();
            }
        }
    }

    /// Runs trained into the workspace's runs folder by other means (the CLI, or a GPU
    /// server's folder copied back) join the history: their settings, status and progress come
    /// from the folder, their corpus, tokenizer and base run are matched by path.
    pub(crate) fn register_folder_runs(&mut self) {
        let Some((workspace, snapshot)) = self.workspace.as_open_mut() else {
            return;
        };
        let root = workspace.root().to_owned();
        let Ok(entries) = std::fs::read_dir(root.join("runs")) else {
            return;
        };
        let same = |a: &Path, rel: &str| a == Path::new(rel) || a == root.join(rel);
        let mut added = false;
        let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        dirs.sort();
        for dir in dirs {
            let Some(name) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            let rel = format!("runs/{name}");
            let cfg_path = dir.join("config.toml");
            if !cfg_path.is_file() || snapshot.runs.iter().any(|r| r.dir == rel || r.name == name) {
                continue;
            }
            let Some(cfg) = std::fs::read_to_string(&cfg_path)
                .ok()
                .and_then(|text| RunConfig::from_toml(&text, &cfg_path).ok())
            else {
                continue;
            };
            let base_run = cfg.init.as_deref().and_then(|init| {
                snapshot
                    .runs
                    .iter()
                    .find(|r| init.starts_with(&r.dir) || init.starts_with(root.join(&r.dir)))
            });
            let record = NewRun {
                name: name.clone(),
                stage: cfg.stage,
                dir: rel,
                config: serde_json::to_value(&cfg).unwrap_or_default(),
                tokenizer_id: snapshot
                    .tokenizers
                    .iter()
                    .find(|t| same(&cfg.tokenizer, &t.path))
                    .map(|t| t.id)
                    .or_else(|| base_run.and_then(|r| r.tokenizer_id)),
                base_run_id: base_run.map(|r| r.id),
                base_checkpoint: cfg
                    .init
                    .as_deref()
                    .and_then(Path::file_name)
                    .map(|n| {
                        n.to_string_lossy()
                            .trim_start_matches("step-")
                            .trim_start_matches('0')
                            .to_owned()
                    })
                    .unwrap_or_default(),
                corpus_id: cfg.data.first().and_then(|d| {
                    snapshot
                        .corpora
                        .iter()
                        .find(|c| same(d, &c.path))
                        .map(|c| c.id)
                }),
                data: match cfg.stage {
                    Stage::Pretrain | Stage::Continue => "corpus",
                    Stage::Sft if cfg.data.iter().any(|d| d.is_dir()) => "sft",
                    Stage::Dpo if cfg.data.iter().any(|d| d.is_dir()) => "preferences",
                    Stage::Sft | Stage::Dpo => "files",
                }
                .to_owned(),
                data_items: None,
                max_steps: cfg.optim.max_steps as u64,
            };
            let history = runs::load_history(&dir);
            let status = match &history.status {
                Some(s) if s.state == RunState::Running && runs::writer_alive(&dir, s.pid) => {
                    RunStatus::Running
                }
                Some(s) if s.state == RunState::Finished => RunStatus::Finished,
                Some(s) if s.state == RunState::Stopped => RunStatus::Stopped,
                None if !history.checkpoints.is_empty() => RunStatus::Stopped,
                _ => RunStatus::Failed,
            };
            let progress = RunProgress {
                status,
                last_step: history.metrics.last().map_or(0, |m| m.step),
                best_val_loss: history
                    .metrics
                    .iter()
                    .filter_map(|m| m.val_loss)
                    .min_by(f64::total_cmp),
                duration_secs: history.metrics.last().map_or(0.0, |m| m.elapsed_secs),
                message: history
                    .status
                    .as_ref()
                    .map(|s| s.message.clone())
                    .unwrap_or_default(),
            };
            let store = workspace.store_mut();
            match store
                .add_run(&record)
                .and_then(|id| store.update_run(id, &progress))
            {
                Ok(()) => added = true,
                Err(e) => log::warn!("{}: {}", dir.display(), crate::error_line(&e)),
            }
            if added && let Ok(fresh) = workspace.snapshot() {
                *snapshot = fresh;
            }
        }
    }

    /// After the workspace opens: runs its database says are running are followed again if
    /// their process is still there, and recorded as ended if not.
    pub(crate) fn reattach_runs(&mut self) {
        self.register_folder_runs();
        let Some((workspace, snapshot)) = self.workspace.as_open() else {
            return;
        };
        let root = workspace.root().to_owned();
        let running: Vec<RunRow> = snapshot
            .runs
            .iter()
            .filter(|r| r.status == RunStatus::Running)
            .filter(|r| {
                self.training
                    .live
                    .get(&r.id)
                    .is_none_or(|l| l.channel.is_none())
            })
            .cloned()
            .collect();
        for row in running {
            let dir = root.join(&row.dir);
            let history = runs::load_history(&dir);
            let mut live = LiveRun {
                status: row.status,
                max_steps: row.max_steps,
                ..LiveRun::default()
            };
            match history.status.clone() {
                Some(status)
                    if status.state == RunState::Running
                        && runs::writer_alive(&dir, status.pid) =>
                {
                    match runs::follow(&dir, &history, self.jobs.waker()) {
                        Ok(channel) => live.channel = Some(channel),
                        Err(e) => live.error = Some(e.to_string()),
                    }
                }
                Some(status) if status.state != RunState::Running => {
                    live.status = match status.state {
                        RunState::Finished => RunStatus::Finished,
                        RunState::Stopped => RunStatus::Stopped,
                        _ => RunStatus::Failed,
                    };
                    live.error = (!status.message.is_empty()).then_some(status.message);
                }
                _ => {
                    live.status = RunStatus::Failed;
                    live.error = Some(self.i18n.tr("training-lost-process"));
                }
            }
            live.history = history;
            live.resync();
            let followed = live.channel.is_some();
            self.training.live.insert(row.id, live);
            if !followed {
                self.record_progress(row.id);
            }
        }
    }
}

/// Applies one event to a followed run; true when the workspace record should be updated.
pub(super) fn apply_run_event(live: &mut LiveRun, event: RunEvent) -> bool {
    match event {
        RunEvent::Train(Event::Started {
            parameters,
            trainable_parameters,
            train_items,
            val_items,
            max_steps,
            resumed_from,
            ..
        }) => {
            live.parameters = Some((parameters, trainable_parameters));
            live.data_items = Some((train_items, val_items));
            live.max_steps = max_steps;
            live.status = RunStatus::Running;
            if let Some(step) = resumed_from {
                // The engine drops what came after the checkpoint; so does the window.
                let h = &mut live.history;
                h.metrics.retain(|m| m.step <= step);
                h.samples.retain(|s| s.step <= step);
                h.checkpoints.retain(|&s| s <= step);
                live.resync();
            }
            true
        }
        RunEvent::Train(Event::Preparing {
            done_bytes,
            total_bytes,
        }) => {
            live.preparing = Some((done_bytes, total_bytes));
            false
        }
        RunEvent::Train(Event::Metrics(m)) => {
            live.preparing = None;
            let h = &mut live.history;
            if h.metrics.last().is_some_and(|old| old.step >= m.step) {
                h.metrics.retain(|old| old.step < m.step);
                h.metrics.push(m);
                live.resync();
            } else {
                live.curves.push(&m);
                h.metrics.push(m);
            }
            false
        }
        RunEvent::Train(Event::Sample { step, prompt, text }) => {
            live.history
                .samples
                .push(runs::Sample { step, prompt, text });
            false
        }
        RunEvent::Train(Event::Checkpoint { step, best, .. }) => {
            let h = &mut live.history;
            if !h.checkpoints.contains(&step) {
                h.checkpoints.push(step);
            }
            if best {
                h.best_step = Some(step);
            }
            true
        }
        RunEvent::Train(Event::Log { message }) => {
            live.push_log(message);
            false
        }
        RunEvent::Train(Event::BadLines { count, first }) => {
            for line in crate::core::corpus::read::bad_line_lines(count, &first) {
                live.push_log(line);
            }
            false
        }
        RunEvent::Output(text) => {
            live.push_log(text);
            false
        }
        RunEvent::Train(Event::Finished {
            status, message, ..
        }) => {
            live.status = status_name(status);
            live.stopping = false;
            live.error = (status == Status::Failed).then_some(message);
            true
        }
        RunEvent::Exited { success, detail } => {
            live.channel = None;
            live.stopping = false;
            if live.is_running() {
                live.status = if success {
                    RunStatus::Stopped
                } else {
                    RunStatus::Failed
                };
            }
            if !success && live.error.is_none() {
                live.error = Some(detail);
            }
            true
        }
    }
}
