//! The Training area's state and commands: the launch form (checked whenever it changes), the
//! runs this window follows (histories and event channels), stop/resume/clone/delete, and the
//! history's comparison.

mod export;
mod followed;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::app::DezgahApp;
use crate::app::command::TrainingCommand;
use crate::core::domain::RunStatus;
use crate::core::jobs::JobHandle;
use crate::core::model::gpu::{self, GpuInfo};
use crate::core::model::{ModelConfig, Preset};
use crate::core::runs::{self, History, LaunchFacts, Problem, RunChannel};
use crate::core::store::{NewRun, RunRow};
use crate::core::train::{self, OptimConfig, RunConfig, Stage, Status};

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
    pub(crate) check_job: Option<JobHandle<Vec<crate::core::export::Finding>>>,
    /// Where the export was written.
    pub done: Option<Result<PathBuf, String>>,
    pub(crate) export_job: Option<JobHandle<PathBuf>>,
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
    pub(crate) fn apply_training(&mut self, command: TrainingCommand) {
        match command {
            TrainingCommand::SetTab(tab) => self.training.tab = tab,
            TrainingCommand::SetLaunchForm(form) => self.set_launch_form(*form),
            TrainingCommand::Launch => self.launch_run(),
            TrainingCommand::Stop(id) => self.stop_run(id),
            TrainingCommand::SetResumeFrom(from) => self.training.resume_from = from,
            TrainingCommand::Resume(id) => {
                let from = self.training.resume_from.clone();
                self.resume_run(id, &from);
            }
            TrainingCommand::Clone(id) => self.clone_run(id),
            TrainingCommand::AskDelete(id) => self.training.confirm_delete = id,
            TrainingCommand::Delete(id) => self.delete_run(id),
            TrainingCommand::SetCompare(ids) => self.set_compare(ids),
            TrainingCommand::SetPlotOptions(options) => self.training.plot = options,
            TrainingCommand::SetExportForm(form) => self.set_export_form(form),
            TrainingCommand::CheckExport(id) => self.check_export(id),
            TrainingCommand::Export(id) => self.export_run(id),
        }
    }

    pub(crate) fn set_launch_form(&mut self, form: LaunchForm) {
        self.training.form = form;
        self.recheck_launch();
    }

    /// Fills the form's blanks from the workspace (a name, the first corpus and tokenizer, the
    /// newest finished run as base) and checks it.
    pub(crate) fn recheck_launch(&mut self) {
        let Some((workspace, snapshot)) = self.workspace.as_open() else {
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
        let Some((workspace, snapshot)) = self.workspace.as_open_mut() else {
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
}
