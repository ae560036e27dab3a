//! Training runs seen from outside the engine: a run is a `dezgah train` child process, so a
//! crash or an out-of-memory kill in training cannot take the window down and training goes on
//! when the window closes. A named reader thread turns the child's JSON lines into
//! [`RunEvent`]s on a bounded channel; a reopened window follows a run still going by reading
//! its folder (`metrics.jsonl`, `samples.jsonl`, `status.json`) instead.

use std::ffi::OsString;
use std::io::{BufRead as _, Read as _, Seek as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use crate::jobs::Waker;
use crate::model::ModelConfig;
use crate::train::{self, Event, Metrics, RunConfig, RunState, Status, checkpoint};

/// Events a run's channel holds before its reader waits for the window to take them.
const CHANNEL_CAPACITY: usize = 1024;
/// How often a follower looks at a run folder.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);
/// The end of the child's stderr kept for a crash report.
const STDERR_TAIL_BYTES: u64 = 4000;
pub const STDERR_FILE: &str = "stderr.log";
/// The configuration the window launched, beside the `config.toml` the engine writes.
pub const LAUNCH_FILE: &str = "launch.toml";

#[derive(Debug, thiserror::Error)]
pub enum RunsError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start {exe}: {source}")]
    Spawn {
        exe: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Train(#[from] train::TrainError),
    /// A workspace named as a run's data could not be read.
    #[error("{path}: {message}")]
    Workspace { path: PathBuf, message: String },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RunsError + '_ {
    move |source| RunsError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What the window hears from a run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    Train(Event),
    /// A line of the child's output that is not an event.
    Output(String),
    /// The process is gone. `detail` says how, with the end of its stderr when it failed.
    Exited {
        success: bool,
        detail: String,
    },
}

/// The receiving end of a run's events; dropping it tells a follower to stop (a reader keeps
/// draining the child's output, so the child never blocks on a full pipe).
#[derive(Debug)]
pub struct RunChannel {
    pub rx: Receiver<RunEvent>,
    cancel: Arc<AtomicBool>,
}

impl Drop for RunChannel {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

fn channel(waker: Option<Waker>) -> (impl Fn(RunEvent) + Send + 'static, RunChannel) {
    let (tx, rx): (Sender<RunEvent>, Receiver<RunEvent>) =
        crossbeam_channel::bounded(CHANNEL_CAPACITY);
    let send = move |event: RunEvent| {
        // A closed channel (the window moved on) is not an error: the run goes on.
        if tx.send(event).is_ok()
            && let Some(wake) = &waker
        {
            wake();
        }
    };
    (
        send,
        RunChannel {
            rx,
            cancel: Arc::new(AtomicBool::new(false)),
        },
    )
}

/// How a launch is made: `exe train ARGS…` in `cwd` (the workspace root, so the paths in the
/// configuration stay relative and the same command works on a copy of the workspace).
#[derive(Debug, Clone, PartialEq)]
pub struct Launch {
    pub exe: PathBuf,
    pub cwd: PathBuf,
    pub args: Vec<OsString>,
    /// The run folder (absolute), where the child's stderr is kept.
    pub run_dir: PathBuf,
}

/// Starts the child and its reader thread.
pub fn launch(launch: &Launch, waker: Option<Waker>) -> Result<RunChannel, RunsError> {
    std::fs::create_dir_all(&launch.run_dir).map_err(io_err(&launch.run_dir))?;
    let stderr_path = launch.run_dir.join(STDERR_FILE);
    let stderr = std::fs::File::create(&stderr_path).map_err(io_err(&stderr_path))?;
    let mut command = std::process::Command::new(&launch.exe);
    command
        .args(&launch.args)
        .current_dir(&launch.cwd)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(stderr);
    #[cfg(unix)]
    {
        // Its own process group: Ctrl-C in the terminal that started the window does not
        // reach the training, which stops through its STOP file instead.
        use std::os::unix::process::CommandExt as _;
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(|source| RunsError::Spawn {
        exe: launch.exe.clone(),
        source,
    })?;
    let stdout = child.stdout.take().ok_or_else(|| RunsError::Spawn {
        exe: launch.exe.clone(),
        source: std::io::Error::other("no stdout pipe"),
    })?;
    let (send, handle) = channel(waker);
    let name = launch
        .run_dir
        .file_name()
        .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
    std::thread::Builder::new()
        .name(format!("dezgah-run-{name}"))
        .spawn(move || {
            let mut reader = std::io::BufReader::new(stdout);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let text = String::from_utf8_lossy(&line);
                let text = text.trim_end();
                if text.is_empty() {
                    continue;
                }
                send(match serde_json::from_str::<Event>(text) {
                    Ok(event) => RunEvent::Train(event),
                    Err(_) => RunEvent::Output(text.to_owned()),
                });
            }
            let status = child.wait();
            let tail = read_tail(&stderr_path);
            let (success, detail) = match status {
                Ok(s) if s.success() => (true, String::new()),
                Ok(s) => (false, exit_words(s, &tail)),
                Err(e) => (false, format!("cannot wait for the training process: {e}")),
            };
            send(RunEvent::Exited { success, detail });
        })
        .map_err(|source| RunsError::Spawn {
            exe: launch.exe.clone(),
            source,
        })?;
    Ok(handle)
}

/// How a process ended, in words, with what it last wrote to stderr.
fn exit_words(status: std::process::ExitStatus, stderr_tail: &str) -> String {
    let how = match status.code() {
        Some(code) => format!("the training process exited with code {code}"),
        None => {
            #[cfg(unix)]
            {
                use std::os::unix::process::ExitStatusExt as _;
                match status.signal() {
                    Some(9) => "the training process was killed (signal 9: out of memory, or killed by hand)".to_owned(),
                    Some(signal) => format!("the training process crashed (signal {signal})"),
                    None => "the training process ended abnormally".to_owned(),
                }
            }
            #[cfg(not(unix))]
            {
                "the training process ended abnormally".to_owned()
            }
        }
    };
    let tail = stderr_tail.trim();
    if tail.is_empty() {
        how
    } else {
        format!("{how}: {tail}")
    }
}

/// The end of a text file, from a line start where possible.
fn read_tail(path: &Path) -> String {
    let Ok(mut file) = std::fs::File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let start = len.saturating_sub(STDERR_TAIL_BYTES);
    if file.seek(std::io::SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match (start > 0, text.find('\n')) {
        (true, Some(nl)) => text[nl + 1..].to_owned(),
        _ => text,
    }
}

/// Whether the run in `run_dir` whose `status.json` says `pid` is still being written: its lock
/// says so (a reused process id cannot fool it), and for a run folder from before the lock
/// existed, the process is still there.
pub fn writer_alive(run_dir: &Path, pid: u32) -> bool {
    match train::lock::holder(run_dir) {
        train::lock::Holder::Held(_) => true,
        train::lock::Holder::Free => false,
        train::lock::Holder::NoLockFile => process_alive(pid),
    }
}

/// Whether the process that wrote a `status.json` is still there.
pub fn process_alive(pid: u32) -> bool {
    #[cfg(target_os = "linux")]
    {
        // A zombie has ended; it is only waiting for its parent.
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => stat
                .rsplit(')')
                .next()
                .and_then(|rest| rest.split_whitespace().next())
                .is_some_and(|state| state != "Z" && state != "X"),
            Err(_) => false,
        }
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        std::process::Command::new("kill")
            .args(["-0", &pid.to_string()])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// A run's history as its folder holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub metrics: Vec<Metrics>,
    pub samples: Vec<Sample>,
    /// Steps with a checkpoint on disk (besides `best`).
    pub checkpoints: Vec<u64>,
    /// The step `checkpoints/best` was saved at.
    pub best_step: Option<u64>,
    pub status: Option<train::RunStatus>,
    /// Where a follower goes on reading.
    pub metrics_offset: u64,
    pub samples_offset: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub step: u64,
    pub prompt: String,
    pub text: String,
}

/// Complete JSON lines of a file from `offset`, and the offset after the last complete one (a
/// line the trainer is still writing is left for the next read).
fn read_lines_from(path: &Path, offset: u64) -> (Vec<String>, u64) {
    let Ok(mut file) = std::fs::File::open(path) else {
        return (Vec::new(), offset);
    };
    let len = file.metadata().map_or(0, |m| m.len());
    // A file rewritten shorter (a resume drops abandoned steps) is read from its start.
    let offset = if len < offset { 0 } else { offset };
    if file.seek(std::io::SeekFrom::Start(offset)).is_err() {
        return (Vec::new(), offset);
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let Some(last_nl) = bytes.iter().rposition(|&b| b == b'\n') else {
        return (Vec::new(), offset);
    };
    let lines = String::from_utf8_lossy(&bytes[..last_nl])
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    (lines, offset + last_nl as u64 + 1)
}

fn parse_sample(line: &str) -> Option<Sample> {
    match serde_json::from_str::<Event>(line).ok()? {
        Event::Sample { step, prompt, text } => Some(Sample { step, prompt, text }),
        _ => None,
    }
}

/// Reads what a run folder holds so far.
pub fn load_history(run_dir: &Path) -> History {
    let (metric_lines, metrics_offset) = read_lines_from(&run_dir.join("metrics.jsonl"), 0);
    let (sample_lines, samples_offset) = read_lines_from(&run_dir.join("samples.jsonl"), 0);
    History {
        metrics: metric_lines
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect(),
        samples: sample_lines
            .iter()
            .filter_map(|l| parse_sample(l))
            .collect(),
        checkpoints: checkpoint::list(run_dir)
            .into_iter()
            .map(|(s, _)| s)
            .collect(),
        best_step: checkpoint::read_state(&run_dir.join("checkpoints").join("best"))
            .ok()
            .map(|s| s.step),
        status: train::read_status(run_dir),
        metrics_offset,
        samples_offset,
    }
}

/// Follows a run that another process (a window since closed, a terminal) is training: new
/// metrics and samples as they are written, and its end from `status.json` — or, when the
/// process is gone without writing one, an [`RunEvent::Exited`] that says so.
pub fn follow(
    run_dir: &Path,
    from: &History,
    waker: Option<Waker>,
) -> Result<RunChannel, RunsError> {
    let (send, handle) = channel(waker);
    let cancel = Arc::clone(&handle.cancel);
    let dir = run_dir.to_owned();
    let (mut metrics_at, mut samples_at) = (from.metrics_offset, from.samples_offset);
    let name = dir
        .file_name()
        .map_or_else(|| "run".into(), |n| n.to_string_lossy().into_owned());
    std::thread::Builder::new()
        .name(format!("dezgah-follow-{name}"))
        .spawn(move || {
            let mut read_new = |send: &dyn Fn(RunEvent)| {
                let (lines, next) = read_lines_from(&dir.join("metrics.jsonl"), metrics_at);
                metrics_at = next;
                for line in lines {
                    if let Ok(m) = serde_json::from_str::<Metrics>(&line) {
                        send(RunEvent::Train(Event::Metrics(m)));
                    }
                }
                let (lines, next) = read_lines_from(&dir.join("samples.jsonl"), samples_at);
                samples_at = next;
                for line in lines {
                    if let Some(s) = parse_sample(&line) {
                        send(RunEvent::Train(Event::Sample {
                            step: s.step,
                            prompt: s.prompt,
                            text: s.text,
                        }));
                    }
                }
            };
            while !cancel.load(Ordering::Relaxed) {
                read_new(&send);
                match train::read_status(&dir) {
                    Some(status) if status.state != RunState::Running => {
                        send(RunEvent::Train(Event::Finished {
                            status: match status.state {
                                RunState::Stopped => Status::Stopped,
                                RunState::Failed => Status::Failed,
                                _ => Status::Finished,
                            },
                            step: status.step,
                            best_val_loss: status.best_val_loss,
                            message: status.message,
                        }));
                        send(RunEvent::Exited {
                            success: status.state != RunState::Failed,
                            detail: String::new(),
                        });
                        return;
                    }
                    Some(status) if !writer_alive(&dir, status.pid) => {
                        read_new(&send);
                        let tail = read_tail(&dir.join(STDERR_FILE));
                        let mut detail = format!(
                            "the training process (pid {}) ended without recording how (killed, or out of memory)",
                            status.pid
                        );
                        if !tail.trim().is_empty() {
                            detail = format!("{detail}: {}", tail.trim());
                        }
                        send(RunEvent::Exited {
                            success: false,
                            detail,
                        });
                        return;
                    }
                    None => {
                        send(RunEvent::Exited {
                            success: false,
                            detail: format!(
                                "{} has no readable {}: the run never started",
                                dir.display(),
                                train::STATUS_FILE
                            ),
                        });
                        return;
                    }
                    Some(_) => {}
                }
                std::thread::sleep(FOLLOW_EVERY);
            }
        })
        .map_err(|source| RunsError::Io {
            path: run_dir.to_owned(),
            source,
        })?;
    Ok(handle)
}

/// Asks a running run to save a checkpoint and stop, through its STOP file (which works for a
/// run this window did not start too).
pub fn request_stop(run_dir: &Path) -> Result<(), RunsError> {
    let path = run_dir.join(train::STOP_FILE);
    std::fs::write(&path, b"stop requested from the window\n").map_err(io_err(&path))
}

/// The `dezgah train` arguments that start a run from a config file.
pub fn start_args(config_rel: &Path, run_dir_rel: &Path) -> Vec<OsString> {
    vec![
        "train".into(),
        "--config".into(),
        config_rel.into(),
        "--out".into(),
        run_dir_rel.into(),
    ]
}

/// The `dezgah train` arguments that resume a run from one of its checkpoints.
pub fn resume_args(run_dir_rel: &Path, from: &str) -> Vec<OsString> {
    vec![
        "train".into(),
        "--resume".into(),
        run_dir_rel.into(),
        "--from".into(),
        from.into(),
    ]
}

/// A shell line for arguments, quoted where needed (for the copyable preview).
pub fn shell_line(exe: &str, args: &[OsString]) -> String {
    let quote = |s: &str| {
        if !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=+@%".contains(c))
        {
            s.to_owned()
        } else {
            format!("'{}'", s.replace('\'', r"'\''"))
        }
    };
    std::iter::once(quote(exe))
        .chain(args.iter().map(|a| quote(&a.to_string_lossy())))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The launcher's half of "the engine reads only files": writes an SFT or DPO run's data into
/// its folder (`data/sft.jsonl`, `data/dpo.jsonl`) before the engine starts, reading a
/// workspace folder named in `data` (its ready examples, or its rated pairs) and any JSONL
/// files, so the run holds exactly what it trained on. A folder that already holds a run is
/// left alone (the engine refuses to start there). Returns the examples or pairs written.
pub fn write_run_data(run_dir: &Path, cfg: &RunConfig) -> Result<Option<usize>, RunsError> {
    use crate::domain::DataKind;
    use crate::train::data;
    let file = match cfg.stage.data_kind() {
        DataKind::Text => return Ok(None),
        DataKind::Conversations => data::RUN_SFT_FILE,
        DataKind::Pairs => data::RUN_DPO_FILE,
    };
    if run_dir.join("config.toml").exists() {
        return Ok(None);
    }
    write_data(run_dir, cfg, file)
}

/// [`write_run_data`] for a resume: writes the data only when the run has none (a run started
/// before runs held their data), so a resume reads what the start trained on.
pub fn ensure_run_data(run_dir: &Path, cfg: &RunConfig) -> Result<Option<usize>, RunsError> {
    use crate::domain::DataKind;
    use crate::train::data;
    let file = match cfg.stage.data_kind() {
        DataKind::Text => return Ok(None),
        DataKind::Conversations => data::RUN_SFT_FILE,
        DataKind::Pairs => data::RUN_DPO_FILE,
    };
    if run_dir.join(file).exists() {
        return Ok(None);
    }
    write_data(run_dir, cfg, file)
}

fn write_data(run_dir: &Path, cfg: &RunConfig, file: &str) -> Result<Option<usize>, RunsError> {
    use crate::train::data;
    let workspace = |path: &Path| {
        crate::workspace::Workspace::open(path).map_err(|e| RunsError::Workspace {
            path: path.to_owned(),
            message: e.to_string(),
        })
    };
    let ws_err = |path: &Path, e: &dyn std::fmt::Display| RunsError::Workspace {
        path: path.to_owned(),
        message: e.to_string(),
    };
    if file == data::RUN_SFT_FILE {
        let mut out = Vec::new();
        for path in &cfg.data {
            if path.is_dir() {
                let ws = workspace(path)?;
                let examples = ws
                    .store()
                    .ready_sft_examples()
                    .map_err(|e| ws_err(path, &e))?;
                for (system, messages) in examples {
                    let mut conv = Vec::new();
                    if !system.trim().is_empty() {
                        conv.push(data::Message::new(data::Role::System, system));
                    }
                    conv.extend(messages);
                    out.push(conv);
                }
            } else {
                out.extend(data::read_sft_jsonl(path)?);
            }
        }
        data::write_run_conversations(run_dir, &out)?;
        Ok(Some(out.len()))
    } else {
        let mut out = Vec::new();
        for path in &cfg.data {
            if path.is_dir() {
                let ws = workspace(path)?;
                // The same decisions the Rating area shows and `dezgah prefs export` writes.
                let pairs = crate::prefs::Snapshot::read(ws.store())
                    .map_err(|e| ws_err(path, &e))?
                    .pairs(0.0, true);
                out.extend(pairs.into_iter().map(|(prompt, chosen, rejected)| {
                    data::PreferencePair {
                        prompt: vec![data::Message::new(data::Role::User, prompt)],
                        chosen,
                        rejected,
                    }
                }));
            } else {
                out.extend(data::read_dpo_jsonl(path)?);
            }
        }
        data::write_run_pairs(run_dir, &out)?;
        Ok(Some(out.len()))
    }
}

/// What the launch form knows about its choices, gathered when the form changes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LaunchFacts {
    pub name_taken: bool,
    /// Documents, examples or pairs of the chosen data.
    pub data_items: Option<u64>,
    /// The chosen tokenizer's vocabulary (with added tokens), when it loads.
    pub tokenizer_vocab: Option<usize>,
    pub tokenizer_error: Option<String>,
    /// The base checkpoint's model, and whether its run used the chosen tokenizer.
    pub base_model: Option<ModelConfig>,
    pub base_error: Option<String>,
    pub base_same_tokenizer: bool,
}

/// Why a launch would fail, found before it starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    NoName,
    NameTaken,
    NoData,
    NoTokenizer,
    Tokenizer(String),
    NoBase,
    Base(String),
    /// The tokenizer has more tokens than the model has embedding rows.
    VocabMismatch {
        tokenizer: usize,
        model: usize,
    },
    /// The base run was trained with another tokenizer.
    OtherTokenizer,
    ContextTooLong {
        seq_len: usize,
        context: usize,
    },
    Model(String),
    NoSteps,
    BadBatch,
    LoraWithoutBase,
    /// A setting outside its valid range (the same check the CLI makes).
    Setting(crate::settings::OutOfRange),
}

/// Everything wrong with a launch, in the order a user would fix it.
pub fn check_launch(name: &str, cfg: &RunConfig, facts: &LaunchFacts) -> Vec<Problem> {
    let mut out = Vec::new();
    let name = name.trim();
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        out.push(Problem::NoName);
    } else if facts.name_taken {
        out.push(Problem::NameTaken);
    }
    if facts.data_items.unwrap_or(0) == 0 {
        out.push(Problem::NoData);
    }
    let base_needed = cfg.stage.needs_base();
    if base_needed {
        match (&facts.base_model, &facts.base_error) {
            (_, Some(e)) => out.push(Problem::Base(e.clone())),
            (None, None) => out.push(Problem::NoBase),
            (Some(_), None) => {}
        }
    }
    if cfg.lora.is_some() && !base_needed {
        out.push(Problem::LoraWithoutBase);
    }
    match (&facts.tokenizer_error, facts.tokenizer_vocab) {
        (Some(e), _) => out.push(Problem::Tokenizer(e.clone())),
        (None, None) => out.push(Problem::NoTokenizer),
        (None, Some(_)) => {}
    }
    let vocab = facts.tokenizer_vocab.unwrap_or(0);
    let model = if base_needed {
        facts.base_model.clone().map(Ok)
    } else {
        Some(cfg.model_config(vocab))
    };
    match model {
        Some(Ok(model)) => {
            if facts.tokenizer_vocab.is_some() && vocab > model.vocab_size {
                out.push(Problem::VocabMismatch {
                    tokenizer: vocab,
                    model: model.vocab_size,
                });
            } else if base_needed && facts.tokenizer_vocab.is_some() && !facts.base_same_tokenizer {
                out.push(Problem::OtherTokenizer);
            }
            if cfg.optim.seq_len > model.max_position_embeddings {
                out.push(Problem::ContextTooLong {
                    seq_len: cfg.optim.seq_len,
                    context: model.max_position_embeddings,
                });
            }
        }
        Some(Err(e)) if facts.tokenizer_vocab.is_some() => out.push(Problem::Model(e)),
        _ => {}
    }
    if cfg.optim.max_steps == 0 {
        out.push(Problem::NoSteps);
    }
    if cfg.optim.batch_size == 0 || cfg.optim.grad_accum == 0 || cfg.optim.seq_len < 2 {
        out.push(Problem::BadBatch);
    }
    // Steps and batch shape have their own messages above.
    if let Err(e) = cfg.validate()
        && !matches!(
            e.field,
            "optim.max_steps" | "optim.batch_size" | "optim.grad_accum" | "optim.seq_len"
        )
    {
        out.push(Problem::Setting(e));
    }
    out
}

/// Exponential moving average with bias correction (TensorBoard's smoothing): `weight` 0 keeps
/// the raw curve, 0.99 flattens it almost completely.
pub fn smooth(values: &[f64], weight: f64) -> Vec<f64> {
    let weight = weight.clamp(0.0, 0.999);
    let mut last = 0.0;
    let mut debias = 1.0;
    values
        .iter()
        .map(|&v| {
            last = last * weight + (1.0 - weight) * v;
            debias *= weight;
            if debias < 1.0 {
                last / (1.0 - debias)
            } else {
                v
            }
        })
        .collect()
}

/// The settings on which runs differ: each key (dotted, as in `config.toml`) with its value in
/// every run, in order.
pub fn config_diff(configs: &[RunConfig]) -> Vec<(String, Vec<String>)> {
    let flat: Vec<Vec<(String, String)>> = configs
        .iter()
        .map(|cfg| {
            let mut out = Vec::new();
            flatten_json("", &serde_json::to_value(cfg).unwrap_or_default(), &mut out);
            out
        })
        .collect();
    let mut keys: Vec<&String> = flat.iter().flatten().map(|(k, _)| k).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let values: Vec<String> = flat
                .iter()
                .map(|list| {
                    list.iter()
                        .find(|(k, _)| k == key)
                        .map_or_else(|| "—".to_owned(), |(_, v)| v.clone())
                })
                .collect();
            values
                .iter()
                .any(|v| v != &values[0])
                .then(|| (key.clone(), values))
        })
        .collect()
}

fn flatten_json(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_json(&key, v, out);
            }
        }
        serde_json::Value::Null => out.push((prefix.to_owned(), "—".to_owned())),
        serde_json::Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Stage;

    #[test]
    fn smoothing_keeps_the_first_point_and_flattens_noise() {
        let raw = [4.0, 2.0, 4.0, 2.0, 4.0, 2.0];
        assert_eq!(smooth(&raw, 0.0), raw.to_vec());
        let s = smooth(&raw, 0.9);
        assert!((s[0] - 4.0).abs() < 1e-12);
        let spread = s[3..].iter().copied().fold(f64::MIN, f64::max)
            - s[3..].iter().copied().fold(f64::MAX, f64::min);
        assert!(spread < 1.0, "{s:?}");
    }

    #[test]
    fn partial_lines_wait_for_their_newline() {
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("m.jsonl");
        std::fs::write(&path, "{\"a\":1}\n{\"a\":").expect("write");
        let (lines, at) = read_lines_from(&path, 0);
        assert_eq!(lines, vec!["{\"a\":1}".to_owned()]);
        assert_eq!(at, 8);
        std::fs::write(&path, "{\"a\":1}\n{\"a\":2}\n").expect("write");
        let (lines, _) = read_lines_from(&path, at);
        assert_eq!(lines, vec!["{\"a\":2}".to_owned()]);
        // Rewritten shorter: read again from the start.
        std::fs::write(&path, "{}\n").expect("write");
        assert_eq!(read_lines_from(&path, 16).0, vec!["{}".to_owned()]);
    }

    #[test]
    fn problems_explain_a_bad_launch() {
        let mut cfg = RunConfig::for_stage(Stage::Sft);
        cfg.optim.seq_len = 4096;
        let facts = LaunchFacts {
            data_items: Some(0),
            tokenizer_vocab: Some(9000),
            base_model: Some(crate::model::Preset::Tiny.config(8000)),
            ..LaunchFacts::default()
        };
        let problems = check_launch("", &cfg, &facts);
        assert!(problems.contains(&Problem::NoName), "{problems:?}");
        assert!(problems.contains(&Problem::NoData));
        assert!(problems.contains(&Problem::VocabMismatch {
            tokenizer: 9000,
            model: 8000
        }));
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, Problem::ContextTooLong { seq_len: 4096, .. }))
        );
        let mut ok = RunConfig::for_stage(Stage::Pretrain);
        ok.optim.seq_len = 64;
        let facts = LaunchFacts {
            data_items: Some(10),
            tokenizer_vocab: Some(500),
            ..LaunchFacts::default()
        };
        assert_eq!(check_launch("run-1", &ok, &facts), Vec::new());
        // The CLI's range check, in the form: a NaN learning rate cannot launch.
        ok.optim.lr = f64::NAN;
        let problems = check_launch("run-1", &ok, &facts);
        assert!(
            matches!(problems.as_slice(), [Problem::Setting(e)] if e.field == "optim.lr"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_run_holds_the_workspace_data_it_trains_on_and_the_engine_reads_only_files() {
        use crate::domain::{Message, Role, SftStatus};
        use crate::store::NewSftExample;
        use crate::train::data;
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path().join("ws");
        let mut ws = crate::workspace::Workspace::open(&root).expect("workspace");
        let example = |status, answer: &str| NewSftExample {
            system_prompt: "Qısa cavab ver.".into(),
            messages: vec![
                Message::new(Role::User, "Bakı haradadır?"),
                Message::new(Role::Assistant, answer),
            ],
            tags: vec![],
            domain: String::new(),
            provenance: "written".into(),
            status,
            author: None,
        };
        let store = ws.store_mut();
        store
            .add_sft_example(&example(SftStatus::Ready, "Xəzərin sahilində."))
            .expect("add");
        store
            .add_sft_example(&example(SftStatus::Draft, "Bilmirəm."))
            .expect("add");
        let mut cfg = RunConfig::for_stage(Stage::Sft);
        cfg.data = vec![root.clone()];
        let run = dir.path().join("run");
        assert_eq!(write_run_data(&run, &cfg).expect("write"), Some(1));
        let convs = data::run_conversations(&run, &cfg).expect("read");
        assert_eq!(
            convs,
            vec![vec![
                Message::new(Role::System, "Qısa cavab ver."),
                Message::new(Role::User, "Bakı haradadır?"),
                Message::new(Role::Assistant, "Xəzərin sahilində."),
            ]]
        );
        // A resume reads what the start wrote, whatever the workspace holds now.
        ws.store_mut()
            .add_sft_example(&example(SftStatus::Ready, "Abşeronda."))
            .expect("add");
        assert_eq!(ensure_run_data(&run, &cfg).expect("ensure"), None);
        assert_eq!(data::run_conversations(&run, &cfg).expect("read"), convs);
        // A folder that holds a run is not written to.
        std::fs::write(run.join("config.toml"), "").expect("write");
        assert_eq!(write_run_data(&run, &cfg).expect("write"), None);
        // The engine alone, given a workspace folder, says who writes its data.
        let err = data::run_conversations(&dir.path().join("other"), &cfg).expect_err("folder");
        assert!(err.to_string().contains("is a folder"), "{err}");
        // Pairs: none rated, none written; the file is there all the same.
        let mut dpo = RunConfig::for_stage(Stage::Dpo);
        dpo.data = vec![root];
        let run = dir.path().join("dpo");
        assert_eq!(write_run_data(&run, &dpo).expect("write"), Some(0));
        assert!(run.join(data::RUN_DPO_FILE).is_file());
    }

    #[test]
    fn shell_lines_quote_what_a_shell_would_split() {
        let line = shell_line(
            "dezgah",
            &[
                "train".into(),
                "--out".into(),
                "runs/a b".into(),
                "it's".into(),
            ],
        );
        assert_eq!(line, r"dezgah train --out 'runs/a b' 'it'\''s'");
    }

    #[test]
    fn config_diff_lists_only_what_differs() {
        let a = RunConfig::for_stage(Stage::Pretrain);
        let mut b = a.clone();
        b.optim.lr = 1e-3;
        b.preset = "mini".into();
        let diff = config_diff(&[a.clone(), b, a]);
        let keys: Vec<&str> = diff.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["optim.lr", "preset"]);
        assert_eq!(diff[1].1, vec!["tiny", "mini", "tiny"]);
    }

    #[test]
    fn a_crashing_child_is_reported_with_its_stderr() {
        let dir = tempfile::tempdir().expect("tmp");
        let run_dir = dir.path().join("run");
        let launch = Launch {
            exe: PathBuf::from("/bin/sh"),
            cwd: dir.path().to_owned(),
            args: vec![
                "-c".into(),
                "echo '{\"event\":\"log\",\"message\":\"hello\"}'; echo 'not json'; echo boom >&2; kill -SEGV $$"
                    .into(),
            ],
            run_dir,
        };
        if !launch.exe.is_file() {
            return;
        }
        let handle = super::launch(&launch, None).expect("spawn");
        let events: Vec<RunEvent> = handle.rx.iter().collect();
        assert_eq!(
            events[0],
            RunEvent::Train(Event::Log {
                message: "hello".into()
            })
        );
        assert_eq!(events[1], RunEvent::Output("not json".into()));
        match &events[2] {
            RunEvent::Exited { success, detail } => {
                assert!(!success);
                assert!(
                    detail.contains("signal 11") && detail.contains("boom"),
                    "{detail}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
