//! A workspace is a folder: `dezgah.db` plus `corpora/`, `tokenizers/`, `runs/` and `exports/`.
//! A workspace folder may also carry `seed/` files that fill a newly created database
//! (the sample workspace in `datasets/` does).

use std::path::{Path, PathBuf};

use crate::sample::{self, SeedError, SeedReport};
use crate::store::{
    CorpusRow, Counts, Opened, PreferenceRow, RunRow, SftRow, Store, StoreError, TokenizerRow,
};

pub const DB_FILE: &str = "dezgah.db";

/// The folders every workspace has, in the order the UI lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    Corpora,
    Tokenizers,
    Runs,
    Exports,
}

impl Folder {
    pub const ALL: [Self; 4] = [Self::Corpora, Self::Tokenizers, Self::Runs, Self::Exports];

    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Corpora => "corpora",
            Self::Tokenizers => "tokenizers",
            Self::Runs => "runs",
            Self::Exports => "exports",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    #[error("{path}: is a file, not a folder — choose a folder for the workspace")]
    NotAFolder { path: PathBuf },
    #[error("{path}: cannot create the workspace folder: {source}")]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path}: the folder is read-only; Dəzgah must write its database there — choose another folder"
    )]
    ReadOnly { path: PathBuf },
    #[error("{path}: cannot create the workspace there: {source}")]
    DiskFull {
        path: PathBuf,
        source: crate::diskfull::DiskFull,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Seed(#[from] SeedError),
}

impl WorkspaceError {
    /// The disk holding the workspace has no room left (the database itself may be sound).
    pub fn is_disk_full(&self) -> bool {
        matches!(
            self,
            Self::DiskFull { .. } | Self::Store(StoreError::DiskFull { .. })
        )
    }
}

/// What the work areas show of a workspace, read in one go when it opens or changes, so that
/// drawing a frame never touches the database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    pub counts: Counts,
    pub corpora: Vec<CorpusRow>,
    pub tokenizers: Vec<TokenizerRow>,
    pub sft: Vec<SftRow>,
    pub preferences: Vec<PreferenceRow>,
    pub runs: Vec<RunRow>,
    pub annotators: Vec<String>,
}

impl Snapshot {
    /// Runs that have saved a checkpoint: the ones a model can be loaded from.
    pub fn trained_runs(&self) -> impl Iterator<Item = &RunRow> {
        self.runs.iter().filter(|r| r.last_step > 0)
    }
}

/// How many rows a snapshot lists per table; the counts stay exact.
const SNAPSHOT_ROWS: usize = 500;

#[derive(Debug)]
pub struct Workspace {
    root: PathBuf,
    store: Store,
    seeded: Option<SeedReport>,
}

impl Workspace {
    /// Opens the workspace at `root`, creating the folder and database if needed. Refuses a
    /// read-only folder and a bad database before writing anything.
    pub fn open(root: &Path) -> Result<Self, WorkspaceError> {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_owned());
        if root.is_file() {
            return Err(WorkspaceError::NotAFolder { path: root });
        }
        std::fs::create_dir_all(&root).map_err(|source| create_error(&root, source))?;
        probe_writable(&root)?;

        let (mut store, opened) = Store::open(&root.join(DB_FILE))?;
        for folder in Folder::ALL {
            let dir = root.join(folder.dir_name());
            std::fs::create_dir_all(&dir).map_err(|source| create_error(&dir, source))?;
        }
        if let Opened::Migrated { from } = opened {
            log::info!("{}: schema migrated from version {from}", root.display());
        }
        let seeded =
            if root.join(sample::SEED_DIR).is_dir() && store.meta(sample::SEEDED_KEY)?.is_none() {
                Some(sample::import(&root, &mut store)?)
            } else {
                None
            };
        Ok(Self {
            root,
            store,
            seeded,
        })
    }

    /// Opens the workspace like [`Self::open`], but when the disk is too full for that, opens
    /// its database for reading only: what `workspace info`, `check` and the exports use, so
    /// that they still work on a full disk.
    pub fn open_for_reading(root: &Path) -> Result<Self, WorkspaceError> {
        let full = match Self::open(root) {
            Err(full) if full.is_disk_full() => full,
            other => return other,
        };
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_owned());
        let db = root.join(DB_FILE);
        if !db.is_file() {
            return Err(full);
        }
        let (store, _) = Store::open_for_reading(&db)?;
        Ok(Self {
            root,
            store,
            seeded: None,
        })
    }

    /// The per-user default: the platform's data folder (`~/.local/share/dezgah/workspace`).
    pub fn default_dir() -> Option<PathBuf> {
        directories::ProjectDirs::from("", "", "dezgah").map(|d| d.data_dir().join("workspace"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn folder(&self, folder: Folder) -> PathBuf {
        self.root.join(folder.dir_name())
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// Set when this open filled the database from `seed/` (only ever once per workspace).
    pub fn seeded(&self) -> Option<&SeedReport> {
        self.seeded.as_ref()
    }

    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let store = &self.store;
        Ok(Snapshot {
            counts: store.counts()?,
            corpora: store.corpora()?,
            tokenizers: store.tokenizers()?,
            sft: store.sft_examples(SNAPSHOT_ROWS)?,
            preferences: store.preference_items(SNAPSHOT_ROWS)?,
            runs: store.runs()?,
            annotators: store.annotators()?,
        })
    }
}

fn create_error(path: &Path, source: std::io::Error) -> WorkspaceError {
    if crate::diskfull::io_is_full(&source) {
        WorkspaceError::DiskFull {
            path: path.to_owned(),
            source: crate::diskfull::DiskFull::at(path),
        }
    } else if is_read_only(&source) {
        WorkspaceError::ReadOnly {
            path: path.to_owned(),
        }
    } else {
        WorkspaceError::CreateFolder {
            path: path.to_owned(),
            source,
        }
    }
}

fn is_read_only(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
    )
}

/// SQLite in WAL mode needs to create files beside the database; find out before opening it.
fn probe_writable(root: &Path) -> Result<(), WorkspaceError> {
    let probe = root.join(format!(".dezgah-write-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(err) => Err(create_error(root, err)),
    }
}

/// Runs SQLite's integrity check and looks for every file the database refers to, as a job,
/// with its summary in English (the CLI's).
pub fn check_job(root: &Path, ctx: &crate::jobs::JobCtx) -> Result<String, crate::jobs::JobError> {
    check_job_in(root, ctx, crate::i18n::Lang::En)
}

/// How deep below the workspace folder a check looks for stale temporary files
/// (`runs/NAME/checkpoints` is three levels down).
const SWEEP_DEPTH: usize = 4;

/// [`check_job`] with the part about reclaimed temporary files in `lang` (the GUI's). Stale
/// temporary files of killed writers are removed first; a live writer's are kept.
pub fn check_job_in(
    root: &Path,
    ctx: &crate::jobs::JobCtx,
    lang: crate::i18n::Lang,
) -> Result<String, crate::jobs::JobError> {
    let (store, _) = Store::open_for_reading(&root.join(DB_FILE))?;
    let reclaimed = crate::tmpfile::sweep_tree(root, SWEEP_DEPTH);
    let reclaimed_text = (reclaimed.entries > 0).then(|| {
        let i18n = crate::i18n::I18n::new(lang);
        let size = crate::tmpfile::size_text(reclaimed.bytes);
        i18n.tr_args(
            "workspace-check-reclaimed",
            &[
                ("files", reclaimed.entries.into()),
                ("size", i18n.localize_number(&size).into()),
            ],
        )
    });
    if let Some(text) = &reclaimed_text {
        ctx.log(text.clone());
    }
    let mut referenced: Vec<(String, String)> = Vec::new();
    for (table, column) in [("corpora", "path"), ("tokenizers", "path"), ("runs", "dir")] {
        let mut stmt = store
            .conn()
            .prepare(&format!("SELECT name, {column} FROM {table}"))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in rows {
            referenced.push(row?);
        }
    }
    let total = referenced.len() as u64 + 1;
    ctx.progress(0, Some(total));
    let mut problems = store.integrity_problems()?;
    let bad_text = crate::diskfull::scan_text(store.conn())?;
    problems.extend(bad_text.iter().map(ToString::to_string));
    ctx.progress(1, Some(total));
    for (i, (name, rel)) in referenced.iter().enumerate() {
        if ctx.is_cancelled() {
            return Ok(String::new());
        }
        if !root.join(rel).exists() {
            problems.push(format!("{name}: {rel} is missing"));
        }
        ctx.progress(i as u64 + 2, Some(total));
    }
    if problems.is_empty() {
        let mut summary = format!(
            "{}: database sound, {} referenced files present",
            root.display(),
            referenced.len()
        );
        if let Some(text) = reclaimed_text {
            summary.push_str("; ");
            summary.push_str(&text);
        }
        Ok(summary)
    } else {
        for p in &problems {
            ctx.log(p.clone());
        }
        Err(format!("{} problem(s): {}", problems.len(), problems.join("; ")).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_an_empty_folder_makes_the_layout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = Workspace::open(&dir.path().join("yeni")).expect("open");
        assert!(ws.root().join(DB_FILE).is_file());
        for folder in Folder::ALL {
            assert!(ws.folder(folder).is_dir(), "{folder:?}");
        }
        assert!(ws.seeded().is_none());
        assert_eq!(ws.snapshot().expect("snapshot").counts, Counts::default());
    }

    #[test]
    fn a_file_is_not_a_workspace() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("notes.txt");
        std::fs::write(&file, "salam").expect("write");
        let err = Workspace::open(&file).expect_err("file");
        assert!(matches!(err, WorkspaceError::NotAFolder { .. }), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_read_only_folder_is_refused_and_left_untouched() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let ws_dir = dir.path().join("ws");
        drop(Workspace::open(&ws_dir).expect("create"));
        let db = ws_dir.join(DB_FILE);
        let before = std::fs::read(&db).expect("read");
        std::fs::set_permissions(&ws_dir, std::fs::Permissions::from_mode(0o555)).expect("chmod");
        // root ignores permission bits; only assert where they apply.
        let probe = ws_dir.join("probe");
        let enforced = std::fs::write(&probe, b"x").is_err();
        let _ = std::fs::remove_file(&probe);
        if enforced {
            let err = Workspace::open(&ws_dir).expect_err("read-only");
            assert!(matches!(err, WorkspaceError::ReadOnly { .. }), "{err}");
            assert!(err.to_string().contains("read-only"), "{err}");
        }
        std::fs::set_permissions(&ws_dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        assert_eq!(std::fs::read(&db).expect("read"), before);
    }

    #[test]
    fn check_job_passes_on_a_sound_workspace_and_names_missing_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut ws = Workspace::open(dir.path()).expect("open");
        let root = ws.root().to_owned();
        let mut jobs = crate::jobs::Jobs::new(None);
        let r = root.clone();
        let id = jobs
            .spawn("check", move |ctx| check_job(&r, ctx))
            .expect("spawn");
        let outcome = wait(&mut jobs, id);
        assert!(
            matches!(&outcome, crate::jobs::Outcome::Done(s) if s.contains("sound")),
            "{outcome:?}"
        );

        ws.store_mut()
            .add_corpus(
                "xəbərlər",
                "corpora/xeberler.txt",
                1,
                5,
                &crate::store::CorpusSource {
                    path: "x.txt",
                    format: "txt",
                    byte_count: 5,
                },
            )
            .expect("add");
        let r = root.clone();
        let id = jobs
            .spawn("check", move |ctx| check_job(&r, ctx))
            .expect("spawn");
        let outcome = wait(&mut jobs, id);
        assert!(
            matches!(&outcome, crate::jobs::Outcome::Failed(s) if s.contains("corpora/xeberler.txt is missing")),
            "{outcome:?}"
        );
    }

    fn wait(jobs: &mut crate::jobs::Jobs, id: crate::jobs::JobId) -> crate::jobs::Outcome {
        let mut board = crate::jobs::JobBoard::default();
        for _ in 0..200 {
            if let Some(e) = jobs.recv_timeout(std::time::Duration::from_millis(50)) {
                board.apply(e);
            }
            if let Some(o) = board.get(id).and_then(|v| v.outcome.clone()) {
                return o;
            }
        }
        panic!("job did not finish");
    }
}
