//! Temporary files and folders beside their target, renamed into place when whole. One naming
//! scheme for every writer — `.NAME.dezgah-tmp-PID-RANDOM` — so that a temp left by a killed
//! process is recognisable and [`sweep`] can remove it (on the next write to the same folder
//! and in `workspace check`) without ever touching a live writer's file.
//!
//! Files are created with the mode an ordinary `File::create` gets (0666 less the umask), so
//! what is renamed into place is readable as the user's umask says, not 0600.

use std::io;
use std::path::{Path, PathBuf};

/// What marks a temp of ours, between the target's name and the writer's PID.
pub const MARK: &str = ".dezgah-tmp-";

/// Where no process table can be read, a temp this old is taken for a dead writer's.
const STALE_AGE: std::time::Duration = std::time::Duration::from_hours(24);

/// A temp name for `target` in its folder, carrying this process's PID.
pub fn path_for(target: &Path) -> PathBuf {
    let dir = parent(target);
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let random: u32 = rand_u32();
    dir.join(format!(".{name}{MARK}{}-{random:08x}", std::process::id()))
}

fn parent(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."))
}

/// Enough randomness to keep two temps of one process apart (with a counter for the same
/// nanosecond).
fn rand_u32() -> u32 {
    use std::hash::{BuildHasher as _, Hasher as _};
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    (h.finish() & 0xffff_ffff) as u32
}

/// A file being written beside `target`; removed on drop unless [`TempFile::persist`]ed.
#[derive(Debug)]
pub struct TempFile {
    path: PathBuf,
    file: Option<std::fs::File>,
}

impl TempFile {
    /// Sweeps stale temps from `target`'s folder, then creates a new temp there.
    pub fn create(target: &Path) -> io::Result<Self> {
        sweep(parent(target));
        loop {
            let path = path_for(target);
            match std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(Self {
                        path,
                        file: Some(file),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The open file. Only `None` after persist, which consumes `self`.
    pub fn file(&self) -> io::Result<&std::fs::File> {
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::other("temporary file already closed"))
    }

    /// Syncs the file and renames it onto `target`, replacing what was there.
    pub fn persist(mut self, target: &Path) -> io::Result<()> {
        if let Some(file) = self.file.take() {
            file.sync_all()?;
        }
        std::fs::rename(&self.path, target)?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            self.file = None;
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A folder being filled beside `target`; removed on drop unless persisted.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Sweeps stale temps from `target`'s folder (creating it), then creates a new temp folder.
    pub fn create(target: &Path) -> io::Result<Self> {
        let dir = parent(target);
        std::fs::create_dir_all(dir)?;
        sweep(dir);
        loop {
            let path = path_for(target);
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(Self { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the folder onto `target`; an older `target` is first moved to a temp name of
    /// ours (so a kill in between leaves nothing [`sweep`] would not recognise) and removed.
    /// Files inside get the umask's mode first (libraries and copies may have made them 0600).
    pub fn persist(mut self, target: &Path) -> io::Result<()> {
        fix_modes_in(&self.path)?;
        let old = path_for(target);
        let had_old = target.exists();
        if had_old {
            std::fs::rename(target, &old)?;
        }
        if let Err(e) = std::fs::rename(&self.path, target) {
            if had_old {
                let _ = std::fs::rename(&old, target);
            }
            return Err(e);
        }
        self.path = PathBuf::new();
        if had_old {
            std::fs::remove_dir_all(&old)?;
        }
        Ok(())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Writes `bytes` to `path` through a temp file: a reader (or a crash) never sees half of it.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    let tmp = TempFile::create(path)?;
    tmp.file()?.write_all(bytes)?;
    tmp.persist(path)
}

/// Gives a file written by a library through its own 0600 temp (safetensors does) the mode a
/// plain `File::create` would have given it: 0666 less the umask, read from a probe file.
pub fn fix_mode(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let probe = TempFile::create(path)?;
        let mode = probe.file()?.metadata()?.permissions().mode() & 0o777;
        drop(probe);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// [`fix_mode`] for every plain file directly in `dir`, with one probe.
fn fix_modes_in(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let probe = TempFile::create(&dir.join("probe"))?;
        let mode = probe.file()?.metadata()?.permissions().mode() & 0o777;
        drop(probe);
        for entry in std::fs::read_dir(dir)?.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(mode))?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// What a sweep removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reclaimed {
    pub entries: u64,
    pub bytes: u64,
}

impl Reclaimed {
    fn add(&mut self, other: Self) {
        self.entries += other.entries;
        self.bytes += other.bytes;
    }
}

/// The writer's PID of a temp name of ours: the current scheme, and the PID-bearing names
/// older versions used (`.NAME.tmp-PID`, `.NAME.old-PID`, `.tmp-NAME-PID`, `.old-NAME-PID`).
pub fn writer_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?;
    if let Some((_, tail)) = rest.rsplit_once(MARK) {
        let (pid, random) = tail.split_once('-')?;
        let random = random.strip_suffix("-old").unwrap_or(random);
        if random.is_empty() || !random.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        return pid.parse().ok();
    }
    for legacy in [".tmp-", ".old-"] {
        if let Some((head, pid)) = rest.rsplit_once(legacy)
            && !head.is_empty()
            && let Ok(pid) = pid.parse()
        {
            return Some(pid);
        }
    }
    for legacy in ["tmp-", "old-"] {
        if let Some(tail) = rest.strip_prefix(legacy)
            && let Some((head, pid)) = tail.rsplit_once('-')
            && !head.is_empty()
            && let Ok(pid) = pid.parse()
        {
            return Some(pid);
        }
    }
    None
}

/// Whether the process that wrote a temp may still be writing it. Never says no for a live
/// process; where the process table cannot be read it says no only for an old temp.
fn writer_may_live(pid: u32, modified: Option<std::time::SystemTime>) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    if proc.join("self").exists() {
        return proc.join(pid.to_string()).exists();
    }
    modified
        .and_then(|t| t.elapsed().ok())
        .is_none_or(|age| age < STALE_AGE)
}

/// Removes the temps of ours in `dir` (not below it) whose writer is gone; returns what it
/// removed. Errors (a folder that cannot be read, a file gone meanwhile) are skipped: a sweep
/// is tidying, never a reason for a write to fail.
pub fn sweep(dir: &Path) -> Reclaimed {
    let mut out = Reclaimed::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(writer_pid) else {
            continue;
        };
        let Ok(meta) = entry.path().symlink_metadata() else {
            continue;
        };
        if writer_may_live(pid, meta.modified().ok()) {
            continue;
        }
        let path = entry.path();
        let bytes = size_of(&path);
        let removed = if meta.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match removed {
            Ok(()) => {
                log::info!(
                    "removed a stale temporary {} ({bytes} bytes)",
                    path.display()
                );
                out.add(Reclaimed { entries: 1, bytes });
            }
            Err(e) => log::warn!("{}: {e}", path.display()),
        }
    }
    out
}

/// [`sweep`] in `root` and every folder below it (symlinks not followed, at most `depth`
/// levels down).
pub fn sweep_tree(root: &Path, depth: usize) -> Reclaimed {
    let mut out = sweep(root);
    if depth == 0 {
        return out;
    }
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                out.add(sweep_tree(&entry.path(), depth - 1));
            }
        }
    }
    out
}

fn size_of(path: &Path) -> u64 {
    let Ok(meta) = path.symlink_metadata() else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path).map_or(0, |entries| {
        entries.flatten().map(|e| size_of(&e.path())).sum()
    })
}

/// A size for a message, in units both languages write alike: `12.3 MB`, `512 B`.
pub fn size_text(bytes: u64) -> String {
    if bytes < 1_000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.1} kB", bytes as f64 / 1e3)
    } else if bytes < 1_000_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{:.2} GB", bytes as f64 / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// A PID no process has: above the kernel's pid_max (at most 2^22).
    const DEAD: u32 = 4_000_000_000;

    #[test]
    fn names_carry_the_pid_and_are_recognised() {
        let p = path_for(Path::new("/x/out.jsonl"));
        let name = p.file_name().expect("name").to_string_lossy().into_owned();
        assert!(name.starts_with(".out.jsonl.dezgah-tmp-"), "{name}");
        assert_eq!(writer_pid(&name), Some(std::process::id()));
        assert_eq!(writer_pid(".model.gguf.tmp-123"), Some(123));
        assert_eq!(writer_pid(".tmp-step-0000002-77"), Some(77));
        assert_eq!(writer_pid("out.jsonl"), None);
        assert_eq!(writer_pid(".hidden"), None);
        assert_eq!(writer_pid(".a.dezgah-tmp-12-zz"), None);
    }

    #[test]
    fn write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.json");
        write(&path, b"first").expect("write");
        write(&path, b"second").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        assert_eq!(names(dir.path()), ["a.json"]);
    }

    #[test]
    fn sweep_removes_dead_writers_temps_and_keeps_live_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dead = dir.path().join(format!(".out.jsonl{MARK}{DEAD}-0badf00d"));
        std::fs::write(&dead, vec![0u8; 1234]).expect("write");
        let dead_dir = dir.path().join(format!(".tmp-step-0000001-{DEAD}"));
        std::fs::create_dir(&dead_dir).expect("mkdir");
        std::fs::write(dead_dir.join("model.safetensors"), [1u8; 100]).expect("write");
        let live = path_for(&dir.path().join("out.jsonl"));
        std::fs::write(&live, b"live").expect("write");
        let user = dir.path().join("notes.txt");
        std::fs::write(&user, b"keep").expect("write");
        let got = sweep(dir.path());
        assert_eq!(
            got,
            Reclaimed {
                entries: 2,
                bytes: 1334
            }
        );
        assert!(!dead.exists() && !dead_dir.exists());
        assert!(live.exists() && user.exists());
    }

    #[cfg(unix)]
    #[test]
    fn files_get_the_umask_mode_not_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("plain");
        std::fs::File::create(&plain).expect("create");
        let want = plain.metadata().expect("meta").permissions().mode() & 0o777;
        let ours = dir.path().join("ours");
        write(&ours, b"x").expect("write");
        assert_eq!(
            ours.metadata().expect("meta").permissions().mode() & 0o777,
            want
        );
        let lib = dir.path().join("lib");
        std::fs::write(&lib, b"x").expect("write");
        std::fs::set_permissions(&lib, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        fix_mode(&lib).expect("fix");
        assert_eq!(
            lib.metadata().expect("meta").permissions().mode() & 0o777,
            want
        );
        assert_eq!(names(dir.path()), ["lib", "ours", "plain"]);
    }
}
