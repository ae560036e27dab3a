//! Background work: each job runs on its own named thread and reports typed events over one
//! bounded channel. The GUI drains that channel each frame; the CLI draws the same events with
//! indicatif. A cancel flag is checked by the job between units of work; a panic inside a job
//! becomes a failed outcome, never a crashed app.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TrySendError};

/// Wakes whoever displays the events (the GUI passes `ctx.request_repaint`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// Room for bursts of progress; when full, progress events are dropped (the next one supersedes
/// them) while log lines and outcomes wait for space.
pub const CHANNEL_CAPACITY: usize = 256;

/// Progress events closer together than this are skipped, so a tight loop cannot flood the UI.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub u64);

#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub done: u64,
    pub total: Option<u64>,
    pub elapsed: Duration,
    /// Which pass of a job that reads its input more than once this counts, of how many
    /// (`None`: a single pass).
    pub stage: Option<(u32, u32)>,
}

impl Progress {
    pub fn fraction(&self) -> Option<f32> {
        self.total
            .filter(|&t| t > 0)
            .map(|t| (self.done as f64 / t as f64).clamp(0.0, 1.0) as f32)
    }

    /// Remaining time at the average rate so far; `None` until there is a rate to go by.
    pub fn eta(&self) -> Option<Duration> {
        let total = self.total?;
        if self.done == 0 || self.elapsed.is_zero() {
            return None;
        }
        let remaining = total.saturating_sub(self.done) as f64;
        let secs_per_unit = self.elapsed.as_secs_f64() / self.done as f64;
        Some(Duration::from_secs_f64(remaining * secs_per_unit))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Finished; the text is a short summary for the status bar.
    Done(String),
    Cancelled,
    Failed(String),
    Panicked(String),
}

/// A job's name: a message id and its arguments, translated where it is drawn, so the status
/// bar follows the window's language even for a job started before the switch.
#[derive(Debug, Clone, PartialEq)]
pub enum JobName {
    /// Said as it is (the command line's names, which are English anyway).
    Text(String),
    Message {
        key: String,
        args: Vec<(String, JobArg)>,
    },
}

/// One argument of a [`JobName`]: numbers stay numbers, so plurals and decimals follow the
/// language.
#[derive(Debug, Clone, PartialEq)]
pub enum JobArg {
    Text(String),
    Number(f64),
}

impl JobName {
    pub fn message<'a>(key: &str, args: impl IntoIterator<Item = (&'a str, JobArg)>) -> Self {
        Self::Message {
            key: key.to_owned(),
            args: args
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        }
    }
}

/// For logs and thread names: the text, or the id with its arguments.
impl std::fmt::Display for JobName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(text) => f.write_str(text),
            Self::Message { key, args } => {
                f.write_str(key)?;
                for (name, value) in args {
                    match value {
                        JobArg::Text(text) => write!(f, " {name}={text}")?,
                        JobArg::Number(n) => write!(f, " {name}={n}")?,
                    }
                }
                Ok(())
            }
        }
    }
}

impl From<&str> for JobName {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for JobName {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<&JobName> for JobName {
    fn from(name: &JobName) -> Self {
        name.clone()
    }
}

impl From<&str> for JobArg {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl From<String> for JobArg {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl From<usize> for JobArg {
    fn from(n: usize) -> Self {
        Self::Number(n as f64)
    }
}

impl From<u64> for JobArg {
    fn from(n: u64) -> Self {
        Self::Number(n as f64)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    Started { name: JobName },
    Progress(Progress),
    Log(String),
    Finished(Outcome),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: JobId,
    pub kind: EventKind,
}

/// The error a job returns; anything `Display` will do, shown with its full chain.
pub type JobError = Box<dyn std::error::Error + Send + Sync>;

/// What a running job holds: its way to report, and to learn it should stop.
pub struct JobCtx {
    id: JobId,
    tx: Sender<Event>,
    cancel: Arc<AtomicBool>,
    waker: Option<Waker>,
    started: Instant,
    /// A mutex, not a cell: trainers hand the job's context to their worker threads.
    last_progress: std::sync::Mutex<Option<Instant>>,
    stage: std::sync::Mutex<Option<(u32, u32)>>,
}

impl std::fmt::Debug for JobCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobCtx")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl JobCtx {
    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Starts pass `n` of `of` (1-based); later progress counts within it, and its first
    /// report goes out at once.
    pub fn stage(&self, n: u32, of: u32) {
        *self
            .stage
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((n, of));
        *self
            .last_progress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// Reports progress; rate-limited, and the final (`done == total`) report always goes out.
    pub fn progress(&self, done: u64, total: Option<u64>) {
        let now = Instant::now();
        let finished = total.is_some_and(|t| done >= t);
        {
            let mut last = self
                .last_progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !finished && last.is_some_and(|t| now.duration_since(t) < PROGRESS_INTERVAL) {
                return;
            }
            *last = Some(now);
        }
        let event = Event {
            id: self.id,
            kind: EventKind::Progress(Progress {
                done,
                total,
                elapsed: now.duration_since(self.started),
                stage: *self
                    .stage
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            }),
        };
        match self.tx.try_send(event) {
            Ok(()) => self.wake(),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
    }

    pub fn log(&self, line: impl Into<String>) {
        self.send(EventKind::Log(line.into()));
    }

    fn send(&self, kind: EventKind) {
        // Blocks while the channel is full; a closed receiver means nobody is listening.
        if self.tx.send(Event { id: self.id, kind }).is_ok() {
            self.wake();
        }
    }

    fn wake(&self) {
        if let Some(waker) = &self.waker {
            waker();
        }
    }
}

struct Running {
    cancel: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

/// Where a job leaves a result richer than its summary line (an index, search hits, clusters),
/// for the app to take once the job's `Finished` event arrives.
#[derive(Debug)]
pub struct Slot<T>(Arc<std::sync::Mutex<Option<T>>>);

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Self(Arc::new(std::sync::Mutex::new(None)))
    }
}

impl<T> Slot<T> {
    pub fn put(&self, value: T) {
        // A poisoned lock only means another thread panicked mid-put; the value is still ours.
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(value);
    }

    pub fn take(&self) -> Option<T> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

/// A started job whose work returns a `T` as well as its summary line. Whoever started it keeps
/// the handle and gives it the job's [`Outcome`] when the `Finished` event arrives, getting the
/// typed result back: the value is carried inside the handle, not through a slot the owner
/// must remember to read.
#[derive(Debug)]
pub struct JobHandle<T> {
    id: JobId,
    result: Slot<T>,
}

impl<T> JobHandle<T> {
    pub fn id(&self) -> JobId {
        self.id
    }

    /// The job's typed result: its value when it is done, or why not (a cancelled job says
    /// `cancelled`, a failed or panicked one its error).
    pub fn finish(self, outcome: &Outcome) -> Result<T, String> {
        match (outcome, self.result.take()) {
            (Outcome::Done(_), Some(value)) => Ok(value),
            // Unreachable with `spawn_typed` (the value is left before the job reports `Done`).
            (Outcome::Done(summary), None) => Err(summary.clone()),
            (Outcome::Cancelled, _) => Err("cancelled".to_owned()),
            (Outcome::Failed(e) | Outcome::Panicked(e), _) => Err(e.clone()),
        }
    }

    /// Takes the handle out of `held` and finishes it when the finished job `id` is this one;
    /// `None` (and the handle kept) for any other job.
    pub fn take_finished(
        held: &mut Option<Self>,
        id: JobId,
        outcome: &Outcome,
    ) -> Option<Result<T, String>> {
        if held.as_ref().is_some_and(|h| h.id == id) {
            held.take().map(|h| h.finish(outcome))
        } else {
            None
        }
    }
}

/// Starts jobs and hands out their events. Owned by one thread (the UI's or the CLI's).
pub struct Jobs {
    tx: Sender<Event>,
    rx: Receiver<Event>,
    waker: Option<Waker>,
    next_id: u64,
    running: HashMap<JobId, Running>,
}

impl std::fmt::Debug for Jobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jobs")
            .field("running", &self.running.len())
            .finish_non_exhaustive()
    }
}

impl Jobs {
    pub fn new(waker: Option<Waker>) -> Self {
        let (tx, rx) = crossbeam_channel::bounded(CHANNEL_CAPACITY);
        Self {
            tx,
            rx,
            waker,
            next_id: 1,
            running: HashMap::new(),
        }
    }

    /// What wakes the window, for other event sources (a training run's reader).
    pub fn waker(&self) -> Option<Waker> {
        self.waker.clone()
    }

    /// Runs `work` on a thread named `dezgah-job-<id>-<name>`.
    pub fn spawn<F>(&mut self, name: impl Into<JobName>, work: F) -> std::io::Result<JobId>
    where
        F: FnOnce(&JobCtx) -> Result<String, JobError> + Send + 'static,
    {
        let id = JobId(self.next_id);
        self.next_id += 1;
        let cancel = Arc::new(AtomicBool::new(false));
        let ctx = JobCtx {
            id,
            tx: self.tx.clone(),
            cancel: Arc::clone(&cancel),
            waker: self.waker.clone(),
            started: Instant::now(),
            last_progress: std::sync::Mutex::new(None),
            stage: std::sync::Mutex::new(None),
        };
        let display_name = name.into();
        let slug: String = display_name
            .to_string()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(24)
            .collect();
        let thread = std::thread::Builder::new()
            .name(format!("dezgah-job-{}-{slug}", id.0))
            .spawn(move || {
                ctx.send(EventKind::Started { name: display_name });
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&ctx)));
                let outcome = match result {
                    Ok(_) if ctx.is_cancelled() => Outcome::Cancelled,
                    Ok(Ok(summary)) => Outcome::Done(summary),
                    Ok(Err(err)) => Outcome::Failed(error_chain(err.as_ref())),
                    Err(panic) => Outcome::Panicked(panic_message(panic.as_ref())),
                };
                ctx.send(EventKind::Finished(outcome));
            })?;
        self.running.insert(id, Running { cancel, thread });
        Ok(id)
    }

    /// Runs `work`, which returns its value and a summary line, and hands back the handle the
    /// value comes back through.
    pub fn spawn_typed<T, F>(
        &mut self,
        name: impl Into<JobName>,
        work: F,
    ) -> std::io::Result<JobHandle<T>>
    where
        T: Send + 'static,
        F: FnOnce(&JobCtx) -> Result<(T, String), JobError> + Send + 'static,
    {
        let result = Slot::default();
        let slot = result.clone();
        let id = self.spawn(name, move |ctx| {
            let (value, summary) = work(ctx)?;
            slot.put(value);
            Ok(summary)
        })?;
        Ok(JobHandle { id, result })
    }

    /// Asks a job to stop; it finishes with [`Outcome::Cancelled`] at its next check.
    pub fn cancel(&self, id: JobId) {
        if let Some(running) = self.running.get(&id) {
            running.cancel.store(true, Ordering::Relaxed);
        }
    }

    pub fn cancel_all(&self) {
        for running in self.running.values() {
            running.cancel.store(true, Ordering::Relaxed);
        }
    }

    pub fn running_count(&self) -> usize {
        self.running.len()
    }

    /// Takes the events that are ready, for at most `budget`, without blocking.
    pub fn drain(&mut self, budget: Duration) -> Vec<Event> {
        let deadline = Instant::now() + budget;
        let mut events = Vec::new();
        while let Ok(event) = self.rx.try_recv() {
            self.note_finished(&event);
            events.push(event);
            if Instant::now() >= deadline {
                break;
            }
        }
        events
    }

    /// Blocks until the next event (for the CLI); `None` when no job is left to report.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<Event> {
        let event = self.rx.recv_timeout(timeout).ok()?;
        self.note_finished(&event);
        Some(event)
    }

    fn note_finished(&mut self, event: &Event) {
        if matches!(event.kind, EventKind::Finished(_))
            && let Some(done) = self.running.remove(&event.id)
        {
            // The thread sent its last event; joining cannot block for long.
            let _ = done.thread.join();
        }
    }
}

impl Drop for Jobs {
    fn drop(&mut self) {
        self.cancel_all();
    }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = crate::model::user_text(err);
    let mut source = err.source();
    while let Some(cause) = source {
        // Most errors already include their source's text: say each cause once.
        let cause_text = crate::model::user_text(cause);
        if !cause_text.is_empty() && !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

/// What a display keeps of one job: plain state built from events, drawn by the UI.
#[derive(Debug, Clone, PartialEq)]
pub struct JobView {
    pub id: JobId,
    pub name: JobName,
    pub progress: Option<Progress>,
    pub last_log: Option<String>,
    pub outcome: Option<Outcome>,
}

/// Folds events into per-job views; keeps finished jobs until dismissed.
#[derive(Debug, Default)]
pub struct JobBoard {
    jobs: Vec<JobView>,
}

impl JobBoard {
    pub fn apply(&mut self, event: Event) {
        let Event { id, kind } = event;
        if let EventKind::Started { name } = kind {
            // In the order they were started, whichever thread reports first.
            let at = self.jobs.partition_point(|j| j.id.0 < id.0);
            self.jobs.insert(
                at,
                JobView {
                    id,
                    name,
                    progress: None,
                    last_log: None,
                    outcome: None,
                },
            );
            return;
        }
        let Some(view) = self.jobs.iter_mut().find(|j| j.id == id) else {
            return;
        };
        match kind {
            EventKind::Started { .. } => {}
            EventKind::Progress(p) => view.progress = Some(p),
            EventKind::Log(line) => view.last_log = Some(line),
            EventKind::Finished(outcome) => view.outcome = Some(outcome),
        }
    }

    pub fn running(&self) -> impl Iterator<Item = &JobView> {
        self.jobs.iter().filter(|j| j.outcome.is_none())
    }

    pub fn finished(&self) -> impl Iterator<Item = &JobView> {
        self.jobs.iter().filter(|j| j.outcome.is_some())
    }

    pub fn get(&self, id: JobId) -> Option<&JobView> {
        self.jobs.iter().find(|j| j.id == id)
    }

    pub fn dismiss(&mut self, id: JobId) {
        self.jobs.retain(|j| j.id != id || j.outcome.is_none());
    }
}

/// Runs one job to its end in the terminal, drawing its progress with indicatif.
pub fn run_in_terminal<F>(name: &str, work: F) -> Result<String, String>
where
    F: FnOnce(&JobCtx) -> Result<String, JobError> + Send + 'static,
{
    let mut jobs = Jobs::new(None);
    let id = jobs
        .spawn(name, work)
        .map_err(|e| format!("cannot start a thread for {name}: {e}"))?;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:40}] {pos}/{len} ({elapsed} elapsed, ETA {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(name.to_owned());
    loop {
        let Some(event) = jobs.recv_timeout(Duration::from_millis(200)) else {
            if jobs.running_count() == 0 {
                bar.abandon();
                return Err(format!("{name}: the job ended without reporting"));
            }
            continue;
        };
        if event.id != id {
            continue;
        }
        match event.kind {
            EventKind::Started { .. } => {}
            EventKind::Progress(p) => {
                if let Some(total) = p.total {
                    bar.set_length(total);
                }
                bar.set_position(p.done);
            }
            EventKind::Log(line) => bar.println(line),
            EventKind::Finished(outcome) => {
                bar.finish_and_clear();
                return match outcome {
                    Outcome::Done(summary) => Ok(summary),
                    Outcome::Cancelled => Err(format!("{name}: cancelled")),
                    Outcome::Failed(e) => Err(format!("{name}: {e}")),
                    Outcome::Panicked(e) => Err(format!("{name}: internal error: {e}")),
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Waits for every job to finish, keeping each one's outcome.
    fn outcomes(jobs: &mut Jobs, count: usize) -> HashMap<JobId, Outcome> {
        let mut outcomes = HashMap::new();
        while outcomes.len() < count {
            let event = jobs
                .recv_timeout(Duration::from_secs(10))
                .expect("an event");
            if let EventKind::Finished(outcome) = event.kind {
                outcomes.insert(event.id, outcome);
            }
        }
        outcomes
    }

    #[test]
    fn a_typed_job_hands_its_value_back_through_its_handle() {
        let mut jobs = Jobs::new(None);
        let done = jobs
            .spawn_typed("sum", |_| Ok((vec![1_u32, 2, 3], "three".to_owned())))
            .expect("spawn");
        let failed: JobHandle<u32> = jobs
            .spawn_typed("fail", |_| Err("no input".into()))
            .expect("spawn");
        let outcomes = outcomes(&mut jobs, 2);
        let outcome = &outcomes[&done.id()];
        assert_eq!(outcome, &Outcome::Done("three".into()));
        // Another job's outcome leaves the handle where it is.
        let mut held = Some(done);
        assert_eq!(
            JobHandle::take_finished(&mut held, failed.id(), outcome),
            None
        );
        let id = held.as_ref().expect("kept").id();
        assert_eq!(
            JobHandle::take_finished(&mut held, id, outcome),
            Some(Ok(vec![1, 2, 3]))
        );
        assert!(held.is_none());
        let outcome = &outcomes[&failed.id()];
        assert_eq!(failed.finish(outcome), Err("no input".to_owned()));
    }

    #[test]
    fn the_board_lists_jobs_in_start_order_whichever_thread_reports_first() {
        let mut board = JobBoard::default();
        for id in [3, 1, 2] {
            board.apply(Event {
                id: JobId(id),
                kind: EventKind::Started {
                    name: format!("job {id}").into(),
                },
            });
        }
        let ids: Vec<u64> = board.running().map(|j| j.id.0).collect();
        assert_eq!(ids, vec![1, 2, 3]);
    }
    use std::sync::atomic::AtomicUsize;

    fn wait_outcome(jobs: &mut Jobs, board: &mut JobBoard, id: JobId) -> Outcome {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            assert!(Instant::now() < deadline, "job did not finish");
            if let Some(event) = jobs.recv_timeout(Duration::from_millis(50)) {
                board.apply(event);
            }
            if let Some(outcome) = board.get(id).and_then(|v| v.outcome.clone()) {
                return outcome;
            }
        }
    }

    #[test]
    fn job_reports_start_progress_log_and_result_in_order() {
        let wakes = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&wakes);
        let mut jobs = Jobs::new(Some(Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        })));
        let id = jobs
            .spawn("sayğac", |ctx| {
                ctx.log("başladı");
                for i in 0..=10 {
                    ctx.progress(i, Some(10));
                }
                Ok("10 addım".into())
            })
            .expect("spawn");
        let mut events = Vec::new();
        while !matches!(
            events.last(),
            Some(Event {
                kind: EventKind::Finished(_),
                ..
            })
        ) {
            events.push(
                jobs.recv_timeout(Duration::from_secs(10))
                    .expect("event before timeout"),
            );
        }
        assert!(events.iter().all(|e| e.id == id));
        assert_eq!(
            events[0].kind,
            EventKind::Started {
                name: "sayğac".into()
            }
        );
        assert_eq!(events[1].kind, EventKind::Log("başladı".into()));
        let last_progress = events
            .iter()
            .rev()
            .find_map(|e| match &e.kind {
                EventKind::Progress(p) => Some(p.clone()),
                _ => None,
            })
            .expect("progress");
        assert_eq!((last_progress.done, last_progress.total), (10, Some(10)));
        assert_eq!(
            events.last().map(|e| &e.kind),
            Some(&EventKind::Finished(Outcome::Done("10 addım".into())))
        );
        assert!(wakes.load(Ordering::Relaxed) >= 3);
        assert_eq!(jobs.running_count(), 0);
    }

    #[test]
    fn cancel_stops_a_job_between_units() {
        let mut jobs = Jobs::new(None);
        let mut board = JobBoard::default();
        let id = jobs
            .spawn("endless", |ctx| {
                let mut n = 0u64;
                while !ctx.is_cancelled() {
                    n += 1;
                    ctx.progress(n, None);
                    std::thread::sleep(Duration::from_millis(1));
                }
                Ok(format!("{n}"))
            })
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(30));
        jobs.cancel(id);
        assert_eq!(wait_outcome(&mut jobs, &mut board, id), Outcome::Cancelled);
    }

    #[test]
    fn a_panicking_job_fails_and_others_keep_running() {
        let mut jobs = Jobs::new(None);
        let mut board = JobBoard::default();
        let bad = jobs
            .spawn("bad", |_| panic!("index out of range"))
            .expect("spawn");
        let good = jobs.spawn("good", |_| Ok("fine".into())).expect("spawn");
        assert_eq!(
            wait_outcome(&mut jobs, &mut board, bad),
            Outcome::Panicked("index out of range".into())
        );
        assert_eq!(
            wait_outcome(&mut jobs, &mut board, good),
            Outcome::Done("fine".into())
        );
    }

    #[test]
    fn a_failing_job_reports_the_whole_error_chain() {
        let mut jobs = Jobs::new(None);
        let mut board = JobBoard::default();
        let id = jobs
            .spawn("read", |_| {
                let inner = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
                Err(Box::new(std::io::Error::other(Wrapped(inner))) as JobError)
            })
            .expect("spawn");
        let Outcome::Failed(text) = wait_outcome(&mut jobs, &mut board, id) else {
            panic!("expected failure");
        };
        assert!(text.contains("reading corpus.txt"), "{text}");
        assert!(text.contains("no such file"), "{text}");
    }

    #[derive(Debug)]
    struct Wrapped(std::io::Error);
    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("reading corpus.txt")
        }
    }
    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn job_threads_are_named() {
        let mut jobs = Jobs::new(None);
        let mut board = JobBoard::default();
        let id = jobs
            .spawn("name check", |_| {
                Ok(std::thread::current().name().unwrap_or("").to_owned())
            })
            .expect("spawn");
        let Outcome::Done(name) = wait_outcome(&mut jobs, &mut board, id) else {
            panic!("expected done");
        };
        assert!(name.starts_with("dezgah-job-"), "{name}");
    }

    #[test]
    fn progress_flood_never_blocks_the_worker() {
        let mut jobs = Jobs::new(None);
        let mut board = JobBoard::default();
        // Nobody drains while the job floods the channel far past its capacity.
        let id = jobs
            .spawn("flood", |ctx| {
                for i in 0..200_000u64 {
                    ctx.progress(i, Some(200_000));
                }
                Ok("done".into())
            })
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            wait_outcome(&mut jobs, &mut board, id),
            Outcome::Done("done".into())
        );
    }

    #[test]
    fn eta_follows_the_average_rate() {
        let p = Progress {
            done: 25,
            total: Some(100),
            elapsed: Duration::from_secs(10),
            stage: None,
        };
        assert_eq!(p.eta(), Some(Duration::from_secs(30)));
        assert_eq!(p.fraction(), Some(0.25));
        let unknown = Progress {
            done: 0,
            total: Some(100),
            elapsed: Duration::from_secs(1),
            stage: None,
        };
        assert_eq!(unknown.eta(), None);
    }

    #[test]
    fn terminal_runner_returns_summary_or_error() {
        assert_eq!(
            run_in_terminal("ok", |ctx| {
                ctx.progress(1, Some(1));
                Ok("bitdi".into())
            }),
            Ok("bitdi".into())
        );
        let err = run_in_terminal("broken", |_| Err("disk full".into())).expect_err("fails");
        assert_eq!(err, "broken: disk full");
    }
}
