//! The Training area's state and commands: the launch form (checked whenever it changes), the
//! runs this window follows (histories and event channels), stop/resume/clone/delete, and the
//! history's comparison.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::app::{DezgahApp, WorkspaceSlot};
use crate::core::domain::RunStatus;
use crate::core::jobs::{JobId, Slot};
use crate::core::model::gpu::{self, GpuInfo};
use crate::core::model::{ModelConfig, Preset};
use crate::core::runs::{self, History, LaunchFacts, Problem, RunChannel, RunEvent};
use crate::core::store::{NewRun, RunProgress, RunRow};
use crate::core::train::{self, Event, OptimConfig, RunConfig, RunState, Stage, Status};

/// Log lines kept per followed run.
const LOG_LINES: usize = 200;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TrainingTab {
    Launch,
    Monitor,
    #[default]
    History,
}

/// The launch form as edited.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchForm {
    pub name: String,
    pub stage: Stage,
    /// Pretraining text (pretrain, continue).
    pub corpus: Option<i64>,
    /// A workspace tokenizer; none means the base run's own.
    pub tokenizer: Option<i64>,
    pub base_run: Option<i64>,
    /// best, last or a step number.
    pub base_checkpoint: String,
    /// Custom sizes instead of the preset.
    pub custom_model: bool,
    pub custom: ModelConfig,
    pub use_lora: bool,
    /// One prompt per line, sampled as the model learns.
    pub sample_prompts: String,
    /// Everything else: preset, hyperparameters, device, intervals.
    pub config: RunConfig,
}

impl Default for LaunchForm {
    fn default() -> Self {
        let mut config = RunConfig::for_stage(Stage::Pretrain);
        config.optim.max_steps = 300;
        config.optim.seq_len = 128;
        config.eval_every = 25;
        config.sample_every = 100;
        config.checkpoint_every = 100;
        Self {
            name: String::new(),
            stage: Stage::Pretrain,
            corpus: None,
            tokenizer: None,
            base_run: None,
            base_checkpoint: "best".into(),
            custom_model: false,
            custom: Preset::Tiny.config(0),
            use_lora: false,
            sample_prompts: config.sample_prompts.join("\n"),
            config,
        }
    }
}

impl LaunchForm {
    /// The form for another stage: that stage's optimizer defaults, the rest kept.
    #[must_use]
    pub fn with_stage(mut self, stage: Stage) -> Self {
        if stage != self.stage {
            let defaults = OptimConfig::for_stage(stage);
            self.config.optim = OptimConfig {
                max_steps: self.config.optim.max_steps,
                seq_len: self.config.optim.seq_len,
                ..defaults
            };
            self.stage = stage;
            self.config.stage = stage;
            if stage.needs_base() {
                // A finetune keeps its base run's tokenizer unless the user picks another.
                self.tokenizer = None;
            } else {
                self.base_run = None;
            }
            if stage != Stage::Sft {
                self.use_lora = false;
            }
        }
        self
    }

    /// The run configuration this form describes, with paths relative to the workspace root
    /// (the child runs there).
    pub fn build(&self, root: &Path, snapshot: &crate::core::workspace::Snapshot) -> RunConfig {
        let mut cfg = self.config.clone();
        cfg.stage = self.stage;
        cfg.data = match self.stage {
            Stage::Pretrain | Stage::Continue => self
                .corpus
                .and_then(|id| snapshot.corpora.iter().find(|c| c.id == id))
                .map(|c| vec![PathBuf::from(&c.path)])
                .unwrap_or_default(),
            // The workspace itself: its ready SFT examples, or its rated pairs.
            Stage::Sft | Stage::Dpo => vec![PathBuf::from(".")],
        };
        let base = self
            .base_run
            .filter(|_| self.stage.needs_base())
            .and_then(|id| snapshot.runs.iter().find(|r| r.id == id));
        cfg.tokenizer = match (self.tokenizer, base) {
            (Some(id), _) => snapshot
                .tokenizers
                .iter()
                .find(|t| t.id == id)
                .map(|t| PathBuf::from(&t.path))
                .unwrap_or_default(),
            (None, Some(run)) => Path::new(&run.dir).join("tokenizer.json"),
            (None, None) => PathBuf::new(),
        };
        cfg.init = base.map(|run| {
            let dir = Path::new(&run.dir);
            match train::checkpoint::resolve(&root.join(dir), &self.base_checkpoint) {
                Ok(found) => found
                    .strip_prefix(root)
                    .map_or_else(|_| found.clone(), Path::to_path_buf),
                Err(_) => dir.join("checkpoints").join(&self.base_checkpoint),
            }
        });
        cfg.model = (self.custom_model && !self.stage.needs_base()).then(|| ModelConfig {
            vocab_size: 0,
            ..self.custom.clone()
        });
        cfg.lora = (self.use_lora && self.stage == Stage::Sft)
            .then(|| cfg.lora.clone().unwrap_or_default());
        cfg.sample_prompts = self
            .sample_prompts
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        cfg
    }
}

/// What the form's choices add up to, recomputed when the form changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LaunchCheck {
    pub facts: LaunchFacts,
    pub problems: Vec<Problem>,
    pub config: RunConfig,
    /// The model it would train (preset or custom, or the base's).
    pub model: Option<ModelConfig>,
    pub config_toml: String,
    pub command: String,
}

/// A run's metrics as columns, kept beside its log so a frame reads a few contiguous arrays
/// of floats instead of walking every logged step's whole record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Curves {
    pub step: Vec<f64>,
    pub loss: Vec<f64>,
    pub lr: Vec<f64>,
    pub grad_norm: Vec<f64>,
    pub tokens_per_sec: Vec<f64>,
    pub val_loss: Vec<[f64; 2]>,
    pub reward_margin: Vec<[f64; 2]>,
    pub reward_accuracy: Vec<[f64; 2]>,
}

impl Curves {
    pub fn of(metrics: &[train::Metrics]) -> Self {
        let mut curves = Self::default();
        for m in metrics {
            curves.push(m);
        }
        curves
    }

    pub fn push(&mut self, m: &train::Metrics) {
        let x = m.step as f64;
        self.step.push(x);
        self.loss.push(m.loss);
        self.lr.push(m.lr);
        self.grad_norm.push(m.grad_norm);
        self.tokens_per_sec.push(m.tokens_per_sec);
        let sparse = |list: &mut Vec<[f64; 2]>, v: Option<f64>| {
            if let Some(v) = v.filter(|v| v.is_finite()) {
                list.push([x, v]);
            }
        };
        sparse(&mut self.val_loss, m.val_loss);
        sparse(&mut self.reward_margin, m.reward_margin);
        sparse(&mut self.reward_accuracy, m.reward_accuracy);
    }
}

/// A run the window has read, and follows while it trains.
#[derive(Debug, Default)]
pub struct LiveRun {
    pub history: History,
    /// `history.metrics` as columns, for drawing.
    pub curves: Curves,
    pub channel: Option<RunChannel>,
    pub status: RunStatus,
    pub max_steps: u64,
    pub parameters: Option<(u64, u64)>,
    pub data_items: Option<(u64, u64)>,
    /// Tokenising: bytes done and total.
    pub preparing: Option<(u64, u64)>,
    pub log: VecDeque<String>,
    /// Why it failed, in the trainer's or the system's words.
    pub error: Option<String>,
    /// A stop was asked for and not yet confirmed.
    pub stopping: bool,
}

impl LiveRun {
    pub fn is_running(&self) -> bool {
        self.status == RunStatus::Running
    }

    /// The newest metrics point.
    pub fn last(&self) -> Option<&train::Metrics> {
        self.history.metrics.last()
    }

    /// The best checkpoint: where `checkpoints/best` was saved, else the lowest validation loss.
    pub fn best(&self) -> Option<(u64, f64)> {
        let val = &self.curves.val_loss;
        let lowest = val
            .iter()
            .min_by(|a, b| a[1].total_cmp(&b[1]))
            .map(|p| (p[0] as u64, p[1]));
        match self.history.best_step {
            Some(step) => val
                .iter()
                .find(|p| p[0] as u64 == step)
                .map(|p| (step, p[1]))
                .or(lowest),
            None => lowest,
        }
    }

    /// Keeps the columns in step with the log after it was replaced or cut.
    fn resync(&mut self) {
        self.curves = Curves::of(&self.history.metrics);
    }

    fn push_log(&mut self, line: String) {
        if self.log.len() == LOG_LINES {
            self.log.pop_front();
        }
        self.log.push_back(line);
    }
}

/// Where an export goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportTarget {
    /// A Hugging Face folder.
    Hf,
    /// One GGUF file.
    Gguf,
    /// A GGUF file and a Modelfile.
    #[default]
    Ollama,
}

impl ExportTarget {
    pub const ALL: [Self; 3] = [Self::Ollama, Self::Gguf, Self::Hf];

    pub fn check_target(self) -> crate::core::export::Target {
        match self {
            Self::Hf => crate::core::export::Target::Hf,
            Self::Gguf | Self::Ollama => crate::core::export::Target::Gguf,
        }
    }
}

/// The export section's choices.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportForm {
    pub target: ExportTarget,
    pub precision: crate::core::export::Precision,
    /// best, last or a step number.
    pub checkpoint: String,
}

impl Default for ExportForm {
    fn default() -> Self {
        Self {
            target: ExportTarget::Ollama,
            precision: crate::core::export::Precision::Q8_0,
            checkpoint: "best".into(),
        }
    }
}

/// The export section's state: the check's findings and the export's outcome, for one run.
#[derive(Debug, Default)]
pub struct ExportView {
    pub form: ExportForm,
    pub run: Option<i64>,
    pub findings: Option<Result<Vec<crate::core::export::Finding>, String>>,
    pub(crate) check_job: Option<(JobId, Slot<Vec<crate::core::export::Finding>>)>,
    /// Where the export was written.
    pub done: Option<Result<PathBuf, String>>,
    pub(crate) export_job: Option<(JobId, Slot<PathBuf>)>,
}

impl ExportView {
    /// A check or an export is running.
    pub fn busy(&self) -> bool {
        self.check_job.is_some() || self.export_job.is_some()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotOptions {
    /// 0 = raw, up to 0.99.
    pub smoothing: f64,
    pub log_scale: bool,
}

impl Default for PlotOptions {
    fn default() -> Self {
        Self {
            smoothing: 0.6,
            log_scale: false,
        }
    }
}

#[derive(Debug)]
pub struct TrainingView {
    pub tab: TrainingTab,
    pub form: LaunchForm,
    pub check: LaunchCheck,
    /// The run the Monitor tab shows.
    pub selected: Option<i64>,
    pub live: BTreeMap<i64, LiveRun>,
    /// Runs ticked in the history, overlaid and diffed.
    pub compare: Vec<i64>,
    /// The settings on which the ticked runs differ (key, value per run).
    pub compare_diff: Vec<(String, Vec<String>)>,
    pub plot: PlotOptions,
    /// A run waiting for the user to confirm its deletion.
    pub confirm_delete: Option<i64>,
    /// Which checkpoint a resume starts from.
    pub resume_from: String,
    /// Why the last launch, resume or delete failed.
    pub error: Option<String>,
    /// The program that trains: this executable, unless a test says otherwise.
    pub exe: PathBuf,
    pub devices: Vec<String>,
    /// The machine's GPUs with their free memory, for the device picker and the estimate.
    pub gpus: GpuWatch,
    /// Tokenizer files read for the form: vocabulary size and a hash of the vocabulary.
    pub(crate) tokenizer_cache: HashMap<PathBuf, Result<(usize, u64), String>>,
    /// Ready SFT examples and rated pairs, counted once per snapshot.
    pub(crate) data_counts: Option<(u64, u64)>,
    pub export: ExportView,
}

impl Default for TrainingView {
    fn default() -> Self {
        Self {
            tab: TrainingTab::default(),
            form: LaunchForm::default(),
            check: LaunchCheck::default(),
            selected: None,
            live: BTreeMap::new(),
            compare: Vec::new(),
            compare_diff: Vec::new(),
            plot: PlotOptions::default(),
            confirm_delete: None,
            resume_from: "last".into(),
            error: None,
            exe: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("dezgah")),
            devices: crate::core::model::available_devices(),
            gpus: GpuWatch::new(gpu::default_program()),
            tokenizer_cache: HashMap::new(),
            data_counts: None,
            export: ExportView::default(),
        }
    }
}

/// How often the GPU list is asked again while the Training area is shown: free memory moves
/// as other processes come and go.
const GPU_REFRESH: Duration = Duration::from_secs(15);

/// The GPU list, asked of the driver on a thread of its own (it can take a second) and kept
/// between asks.
#[derive(Debug)]
pub struct GpuWatch {
    program: PathBuf,
    /// The last answer: the GPUs, or why there is no list (no driver is not an error to show).
    pub latest: Option<Result<Vec<GpuInfo>, String>>,
    asked: Option<Instant>,
    pending: Option<crossbeam_channel::Receiver<Result<Vec<GpuInfo>, gpu::GpuQueryError>>>,
}

impl GpuWatch {
    pub fn new(program: PathBuf) -> Self {
        Self {
            program,
            latest: None,
            asked: None,
            pending: None,
        }
    }

    /// The GPUs of the last answer (none while there is no answer or no driver).
    pub fn list(&self) -> &[GpuInfo] {
        match &self.latest {
            Some(Ok(gpus)) => gpus,
            _ => &[],
        }
    }

    /// Takes an answer that arrived and asks again when the last ask is old. `wake` repaints the
    /// window when the answer comes.
    pub fn poll(&mut self, wake: Option<crate::core::jobs::Waker>) {
        if let Some(rx) = &self.pending {
            match rx.try_recv() {
                Ok(answer) => self.take(answer),
                Err(crossbeam_channel::TryRecvError::Empty) => return,
                Err(crossbeam_channel::TryRecvError::Disconnected) => self.pending = None,
            }
        }
        if self.asked.is_some_and(|t| t.elapsed() < GPU_REFRESH) {
            return;
        }
        self.asked = Some(Instant::now());
        let (tx, rx) = crossbeam_channel::bounded(1);
        let program = self.program.clone();
        let spawned = std::thread::Builder::new()
            .name("gpu-list".into())
            .spawn(move || {
                let _ = tx.send(gpu::query(&program));
                if let Some(wake) = wake {
                    wake();
                }
            });
        match spawned {
            Ok(_) => self.pending = Some(rx),
            Err(e) => log::warn!("GPU list: cannot start a thread: {e}"),
        }
    }

    fn take(&mut self, answer: Result<Vec<GpuInfo>, gpu::GpuQueryError>) {
        self.latest = Some(match answer {
            Ok(gpus) => Ok(gpus),
            Err(gpu::GpuQueryError::NoDriver { .. }) => Ok(Vec::new()),
            Err(e) => {
                log::warn!("GPU list: {e}");
                Err(e.to_string())
            }
        });
        self.pending = None;
    }
}

/// Vocabulary size and a fingerprint of the vocabulary of a tokenizer file.
fn tokenizer_facts(path: &Path) -> Result<(usize, u64), String> {
    use std::hash::{Hash as _, Hasher as _};
    let tok = crate::core::tokenizer::load(path).map_err(|e| e.to_string())?;
    let mut vocab: Vec<(String, u32)> = tok.get_vocab(true).into_iter().collect();
    vocab.sort_unstable();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    vocab.hash(&mut hasher);
    Ok((tok.get_vocab_size(true), hasher.finish()))
}

/// A name no run of the workspace has: `stem-N`.
fn free_name(stem: &str, runs: &[RunRow], root: &Path) -> String {
    (1..=100_000)
        .map(|n| format!("{stem}-{n}"))
        .find(|name| {
            !runs.iter().any(|r| &r.name == name) && !root.join("runs").join(name).exists()
        })
        .unwrap_or_else(|| stem.to_owned())
}

fn status_name(status: Status) -> RunStatus {
    match status {
        Status::Finished => RunStatus::Finished,
        Status::Stopped => RunStatus::Stopped,
        Status::Failed => RunStatus::Failed,
    }
}

impl DezgahApp {
    pub(crate) fn set_launch_form(&mut self, form: LaunchForm) {
        self.training.form = form;
        self.recheck_launch();
    }

    /// Fills the form's blanks from the workspace (a name, the first corpus and tokenizer, the
    /// newest finished run as base) and checks it.
    pub(crate) fn recheck_launch(&mut self) {
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return;
        };
        let root = workspace.root().to_owned();
        let view = &mut self.training;
        let form = &mut view.form;
        if form.name.trim().is_empty() {
            form.name = free_name(form.stage.name(), &snapshot.runs, &root);
        }
        if form.corpus.is_none() {
            form.corpus = snapshot.corpora.first().map(|c| c.id);
        }
        if !form.stage.needs_base() && form.tokenizer.is_none() {
            form.tokenizer = snapshot.tokenizers.first().map(|t| t.id);
        }
        if form.stage.needs_base() && form.base_run.is_none() {
            form.base_run = snapshot
                .runs
                .iter()
                .find(|r| r.status != RunStatus::Running && r.status != RunStatus::Failed)
                .map(|r| r.id);
        }
        if !view.devices.contains(&form.config.device) {
            form.config.device = "cpu".into();
        }
        let cfg = form.build(&root, snapshot);
        let form = form.clone();

        let mut facts = LaunchFacts {
            name_taken: snapshot.runs.iter().any(|r| r.name == form.name.trim())
                || root.join("runs").join(form.name.trim()).exists(),
            ..LaunchFacts::default()
        };
        facts.data_items = match form.stage {
            Stage::Pretrain | Stage::Continue => form
                .corpus
                .and_then(|id| snapshot.corpora.iter().find(|c| c.id == id))
                .map(|c| c.doc_count),
            Stage::Sft | Stage::Dpo => {
                if view.data_counts.is_none() {
                    let store = workspace.store();
                    let sft = store.ready_sft_examples().map_or(0, |v| v.len() as u64);
                    let pairs = crate::core::prefs::Snapshot::read(store)
                        .map_or(0, |s| s.pairs(0.0, true).len() as u64);
                    view.data_counts = Some((sft, pairs));
                }
                let (sft, pairs) = view.data_counts.unwrap_or_default();
                Some(if form.stage == Stage::Sft { sft } else { pairs })
            }
        };
        let mut tokenizer_facts_of = |rel: &Path| {
            view.tokenizer_cache
                .entry(rel.to_owned())
                .or_insert_with(|| tokenizer_facts(&root.join(rel)))
                .clone()
        };
        let chosen =
            (!cfg.tokenizer.as_os_str().is_empty()).then(|| tokenizer_facts_of(&cfg.tokenizer));
        match &chosen {
            Some(Ok((vocab, _))) => facts.tokenizer_vocab = Some(*vocab),
            Some(Err(e)) => facts.tokenizer_error = Some(e.clone()),
            None => {}
        }
        if let Some(init) = &cfg.init {
            match train::checkpoint::resolve(&root.join(init), "best")
                .and_then(|dir| train::checkpoint::read_config(&dir))
            {
                Ok(model) => facts.base_model = Some(model),
                Err(e) => facts.base_error = Some(e.to_string()),
            }
            let base_tok = form
                .base_run
                .and_then(|id| snapshot.runs.iter().find(|r| r.id == id))
                .map(|r| Path::new(&r.dir).join("tokenizer.json"));
            facts.base_same_tokenizer = match (base_tok.map(|p| tokenizer_facts_of(&p)), &chosen) {
                (Some(Ok((_, theirs))), Some(Ok((_, ours)))) => theirs == *ours,
                _ => false,
            };
        }
        let problems = runs::check_launch(&form.name, &cfg, &facts);
        let model = if form.stage.needs_base() {
            facts.base_model.clone()
        } else {
            facts.tokenizer_vocab.and_then(|v| cfg.model_config(v).ok())
        };
        let rel = Path::new("runs").join(form.name.trim());
        let command = format!(
            "cd {} && {}",
            runs::shell_line(&root.display().to_string(), &[]),
            runs::shell_line("dezgah", &runs::start_args(Path::new("run.toml"), &rel))
        );
        view.check = LaunchCheck {
            config_toml: cfg.to_toml().unwrap_or_else(|e| e.to_string()),
            facts,
            problems,
            config: cfg,
            model,
            command,
        };
    }

    /// Starts the form's run as a child process.
    pub(crate) fn launch_run(&mut self) {
        self.recheck_launch();
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &mut self.workspace
        else {
            return;
        };
        let view = &mut self.training;
        if !view.check.problems.is_empty() {
            view.error = Some(self.i18n.tr("training-fix-problems"));
            return;
        }
        let root = workspace.root().to_owned();
        let form = view.form.clone();
        let cfg = view.check.config.clone();
        let name = form.name.trim().to_owned();
        let rel = Path::new("runs").join(&name);
        let run_dir = root.join(&rel);
        let launch_toml = rel.join(runs::LAUNCH_FILE);
        let written = std::fs::create_dir_all(&run_dir)
            .map_err(|e| format!("{}: {e}", run_dir.display()))
            .and_then(|()| cfg.to_toml().map_err(|e| e.to_string()))
            .and_then(|text| {
                crate::core::write_atomic(&root.join(&launch_toml), text.as_bytes())
                    .map_err(|e| format!("{}: {e}", launch_toml.display()))
            });
        if let Err(e) = written {
            view.error = Some(e);
            return;
        }
        let record = NewRun {
            name: name.clone(),
            stage: form.stage,
            dir: rel.to_string_lossy().into_owned(),
            config: serde_json::to_value(&cfg).unwrap_or_default(),
            tokenizer_id: form.tokenizer.or_else(|| {
                form.base_run
                    .and_then(|id| snapshot.runs.iter().find(|r| r.id == id))
                    .and_then(|r| r.tokenizer_id)
            }),
            base_run_id: form.base_run.filter(|_| form.stage.needs_base()),
            base_checkpoint: if form.stage.needs_base() {
                form.base_checkpoint.clone()
            } else {
                String::new()
            },
            corpus_id: match form.stage {
                Stage::Pretrain | Stage::Continue => form.corpus,
                Stage::Sft | Stage::Dpo => None,
            },
            data: match form.stage {
                Stage::Pretrain | Stage::Continue => "corpus",
                Stage::Sft => "sft",
                Stage::Dpo => "preferences",
            }
            .to_owned(),
            data_items: view.check.facts.data_items,
            max_steps: cfg.optim.max_steps as u64,
        };
        let id = match workspace.store_mut().add_run(&record) {
            Ok(id) => id,
            Err(e) => {
                view.error = Some(crate::error_line(&e));
                return;
            }
        };
        let launch = runs::Launch {
            exe: view.exe.clone(),
            cwd: root.clone(),
            args: runs::start_args(&launch_toml, &rel),
            run_dir: run_dir.clone(),
        };
        let mut live = LiveRun {
            status: RunStatus::Running,
            max_steps: cfg.optim.max_steps as u64,
            ..LiveRun::default()
        };
        match runs::launch(&launch, self.jobs.waker()) {
            Ok(channel) => live.channel = Some(channel),
            Err(e) => {
                live.status = RunStatus::Failed;
                live.error = Some(e.to_string());
            }
        }
        view.error = None;
        view.live.insert(id, live);
        view.selected = Some(id);
        view.tab = TrainingTab::Monitor;
        view.form.name.clear();
        self.record_progress(id);
        self.recheck_launch();
    }

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

    fn run_row(&self, id: i64) -> Option<(PathBuf, RunRow)> {
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
            return None;
        };
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

    /// Continues a stopped (or failed) run from one of its checkpoints, in a new child.
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
        let launch = runs::Launch {
            exe: self.training.exe.clone(),
            cwd: root.clone(),
            args: runs::resume_args(&rel, from),
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
        if let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace
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

    pub(crate) fn set_export_form(&mut self, form: ExportForm) {
        let export = &mut self.training.export;
        if form.target.check_target() != export.form.target.check_target()
            || form.checkpoint != export.form.checkpoint
        {
            export.findings = None;
        }
        export.done = None;
        export.form = form;
    }

    /// Where a run's export goes: `exports/RUN-hf`, `exports/RUN.gguf` or `exports/RUN-ollama`.
    pub fn export_path(root: &Path, run_name: &str, target: ExportTarget) -> PathBuf {
        let dir = root.join("exports");
        match target {
            ExportTarget::Hf => dir.join(format!("{run_name}-hf")),
            ExportTarget::Gguf => dir.join(format!("{run_name}.gguf")),
            ExportTarget::Ollama => dir.join(format!("{run_name}-ollama")),
        }
    }

    /// Runs the pre-export check in the background (it reads the whole checkpoint).
    pub(crate) fn check_export(&mut self, id: i64) {
        let Some((root, row)) = self.run_row(id) else {
            return;
        };
        let form = self.training.export.form.clone();
        let run_dir = root.join(&row.dir);
        let slot = Slot::default();
        let result = slot.clone();
        let label = crate::core::jobs::JobName::message(
            "job-export-check",
            [("name", row.name.as_str().into())],
        );
        let export = &mut self.training.export;
        export.run = Some(id);
        export.findings = None;
        export.done = None;
        match self.jobs.spawn(&label, move |_| {
            let src = crate::core::export::open(&run_dir, &form.checkpoint)?;
            let findings = crate::core::export::check(&src, form.target.check_target());
            let failed = findings
                .iter()
                .filter(|f| f.level == crate::core::export::Level::Fail)
                .count();
            result.put(findings);
            Ok(format!("{failed} problems"))
        }) {
            Ok(job) => export.check_job = Some((job, slot)),
            Err(e) => export.findings = Some(Err(e.to_string())),
        }
    }

    /// Writes the export in the background.
    pub(crate) fn export_run(&mut self, id: i64) {
        let Some((root, row)) = self.run_row(id) else {
            return;
        };
        let form = self.training.export.form.clone();
        let run_dir = root.join(&row.dir);
        let out = Self::export_path(&root, &row.name, form.target);
        let name = row.name.clone();
        let slot = Slot::default();
        let result = slot.clone();
        let label =
            crate::core::jobs::JobName::message("job-export", [("name", row.name.as_str().into())]);
        let export = &mut self.training.export;
        export.run = Some(id);
        export.done = None;
        match self.jobs.spawn(&label, move |ctx| {
            use crate::core::export as ex;
            ctx.progress(0, Some(3));
            let src = ex::open(&run_dir, &form.checkpoint)?;
            ctx.progress(1, Some(3));
            let written = match form.target {
                ExportTarget::Hf => ex::export_hf(&src, &out, form.precision).map(|()| out.clone()),
                ExportTarget::Gguf => {
                    ex::export_gguf(&src, &out, form.precision, &name).map(|()| out.clone())
                }
                ExportTarget::Ollama => {
                    ex::export_ollama(&src, &out, form.precision, &name, "Sən faydalı köməkçisən.")
                }
            }?;
            ctx.progress(3, Some(3));
            let summary = written.display().to_string();
            result.put(written);
            Ok(summary)
        }) {
            Ok(job) => export.export_job = Some((job, slot)),
            Err(e) => export.done = Some(Err(e.to_string())),
        }
    }

    pub(crate) fn export_job_finished(&mut self, id: JobId, ok: bool) {
        let error = self.job_error(id);
        let export = &mut self.training.export;
        if let Some((job, slot)) = &export.check_job
            && *job == id
        {
            export.findings = crate::app::corpus::take(slot, ok, error);
            export.check_job = None;
            return;
        }
        if let Some((job, slot)) = &export.export_job
            && *job == id
        {
            export.done = crate::app::corpus::take(slot, ok, error);
            export.export_job = None;
        }
    }

    /// Writes a followed run's state to the workspace, and rereads the snapshot.
    fn record_progress(&mut self, id: i64) {
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
        if let WorkspaceSlot::Open { workspace, .. } = &mut self.workspace
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
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &mut self.workspace
        else {
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
                **snapshot = fresh;
            }
        }
    }

    /// After the workspace opens: runs its database says are running are followed again if
    /// their process is still there, and recorded as ended if not.
    pub(crate) fn reattach_runs(&mut self) {
        self.register_folder_runs();
        let WorkspaceSlot::Open {
            workspace,
            snapshot,
        } = &self.workspace
        else {
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
fn apply_run_event(live: &mut LiveRun, event: RunEvent) -> bool {
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
