//! One writer per run folder: a training process holds an exclusive OS lock on `RUN_DIR/run.lock`
//! for as long as it writes there. The kernel drops the lock when the process ends, however it
//! ends (SIGKILL, out of memory), so a lock is never left stale; the file keeps the holder's
//! process id so a second writer can be told who it is. The window asks the same lock whether a
//! run is alive, which a reused process id in `status.json` cannot fool.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use super::TrainError;

pub const LOCK_FILE: &str = "run.lock";

/// How long a writer waits for the lock: a window testing it holds it for microseconds.
const ACQUIRE_PATIENCE: Duration = Duration::from_millis(300);

/// Held while a process writes a run folder; dropping it (or dying) releases it.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Whether anyone writes a run folder now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A process holds the lock (its id, when the file says it).
    Held(Option<u32>),
    Free,
    /// No lock file: the folder was never trained in by a version that locks.
    NoLockFile,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_owned(),
        source,
    }
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.read_to_string(&mut text).ok()?;
    text.trim().parse().ok()
}

/// Takes the run folder's lock (the folder must exist), or says which process writes it.
pub fn acquire(run_dir: &Path) -> Result<RunLock, TrainError> {
    let path = run_dir.join(LOCK_FILE);
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io(&path))?;
    let started = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) if started.elapsed() < ACQUIRE_PATIENCE => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(TryLockError::WouldBlock) => {
                let who = read_pid(&mut file).map_or_else(
                    || "another process".to_owned(),
                    |pid| format!("process {pid}"),
                );
                return Err(TrainError::Invalid(format!(
                    "{} is being written by another training run ({who}); stop that run or wait \
                     for it to end, or choose another folder",
                    run_dir.display()
                )));
            }
            Err(TryLockError::Error(e)) => return Err(io(&path)(e)),
        }
    }
    file.set_len(0).map_err(io(&path))?;
    file.rewind().map_err(io(&path))?;
    writeln!(file, "{}", std::process::id()).map_err(io(&path))?;
    file.flush().map_err(io(&path))?;
    Ok(RunLock { _file: file })
}

/// Asks the lock, without waiting, whether a process writes `run_dir` now.
pub fn holder(run_dir: &Path) -> Holder {
    let path = run_dir.join(LOCK_FILE);
    let Ok(mut file) = OpenOptions::new().read(true).write(true).open(&path) else {
        return Holder::NoLockFile;
    };
    match file.try_lock() {
        // Taken only to look: dropped at once, and a writer starting meanwhile waits for it.
        Ok(()) => Holder::Free,
        Err(TryLockError::WouldBlock) => Holder::Held(read_pid(&mut file)),
        Err(TryLockError::Error(_)) => Holder::NoLockFile,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_writer_at_a_time_and_the_second_is_told_who() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(holder(dir.path()), Holder::NoLockFile);
        let lock = acquire(dir.path()).expect("first");
        assert_eq!(holder(dir.path()), Holder::Held(Some(std::process::id())));
        // flock locks belong to the open file, so a second open in this process is refused
        // as another process would be.
        let e = acquire(dir.path()).expect_err("second").to_string();
        assert!(
            e.contains("being written by another training run")
                && e.contains(&format!("process {}", std::process::id())),
            "{e}"
        );
        drop(lock);
        assert_eq!(holder(dir.path()), Holder::Free);
        let _again = acquire(dir.path()).expect("after release");
    }
}
