//! The workspace database: one SQLite file (`dezgah.db`) in WAL mode, schema versioned with
//! `PRAGMA user_version` and forward-only migrations.
//!
//! WAL with `synchronous = NORMAL` keeps the file consistent when the process is killed at any
//! point: a transaction is either in the log or not. Opening checks the file before writing
//! anything, so a damaged file, a foreign SQLite file or one from a newer Dəzgah is left as it was.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension as _};
use serde::Serialize;

mod annotators;
mod chat;
mod check;
mod corpora;
mod prefs;
mod runs;
mod sft;
mod tokenizers;

pub use chat::{ChatMessageRow, ConversationRow};
pub use corpora::{ClusterRow, CorpusRow, CorpusSource, LineageEntry, NewCluster, StepRecord};
pub use prefs::{PrefItem, PrefResponse, PreferenceRow, RatingRow};
pub use runs::{NewRun, RunProgress, RunRow};
pub use sft::{Message, NewSftExample, SftExample, SftRow};
pub use tokenizers::TokenizerRow;

/// Marks a SQLite file as ours (`PRAGMA application_id`), ASCII "DZGH".
pub const APPLICATION_ID: i32 = 0x445A_4748;

/// Each entry takes the schema from version `index` to `index + 1`. Never edit a released entry:
/// append a new one.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1: every table the work areas need.
    r#"
    PRAGMA application_id = 1146767176;

    -- Workspace-wide facts (e.g. when the seed files were imported).
    CREATE TABLE meta (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
    );

    CREATE TABLE annotators (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE CHECK (length(trim(name)) > 0),
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );

    CREATE TABLE corpora (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        -- path of the corpus data, relative to the workspace root
        path        TEXT NOT NULL,
        doc_count   INTEGER NOT NULL DEFAULT 0,
        char_count  INTEGER NOT NULL DEFAULT 0,
        notes       TEXT NOT NULL DEFAULT '',
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );

    -- Provenance: which files a corpus was built from, and how.
    CREATE TABLE corpus_sources (
        id           INTEGER PRIMARY KEY,
        corpus_id    INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
        source_path  TEXT NOT NULL,
        format       TEXT NOT NULL,
        settings     TEXT NOT NULL DEFAULT '{}',
        byte_count   INTEGER NOT NULL DEFAULT 0,
        imported_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX corpus_sources_corpus ON corpus_sources(corpus_id);

    CREATE TABLE tokenizers (
        id          INTEGER PRIMARY KEY,
        name        TEXT NOT NULL UNIQUE,
        path        TEXT NOT NULL,
        kind        TEXT NOT NULL,
        vocab_size  INTEGER NOT NULL,
        corpus_id   INTEGER REFERENCES corpora(id) ON DELETE SET NULL,
        settings    TEXT NOT NULL DEFAULT '{}',
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );

    CREATE TABLE sft_examples (
        id             INTEGER PRIMARY KEY,
        system_prompt  TEXT NOT NULL DEFAULT '',
        -- [{"role": "user"|"assistant", "content": "..."}], the TRL messages shape
        messages       TEXT NOT NULL CHECK (json_valid(messages)),
        tags           TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags)),
        domain         TEXT NOT NULL DEFAULT '',
        provenance     TEXT NOT NULL DEFAULT 'written' CHECK (provenance IN
                         ('written', 'translated', 'paraphrased', 'imported', 'model-generated')),
        status         TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'ready', 'rejected')),
        author_id      INTEGER REFERENCES annotators(id) ON DELETE SET NULL,
        created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX sft_examples_status ON sft_examples(status);

    CREATE TABLE preference_items (
        id                   INTEGER PRIMARY KEY,
        prompt               TEXT NOT NULL,
        source               TEXT NOT NULL DEFAULT '',
        judgements_required  INTEGER NOT NULL DEFAULT 1 CHECK (judgements_required >= 1),
        created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );

    CREATE TABLE preference_responses (
        id        INTEGER PRIMARY KEY,
        item_id   INTEGER NOT NULL REFERENCES preference_items(id) ON DELETE CASCADE,
        position  INTEGER NOT NULL,
        text      TEXT NOT NULL,
        -- where it came from: a run/checkpoint, or the label of an imported pair ('chosen')
        origin    TEXT NOT NULL DEFAULT '',
        UNIQUE (item_id, position)
    );

    CREATE TABLE ratings (
        id             INTEGER PRIMARY KEY,
        item_id        INTEGER NOT NULL REFERENCES preference_items(id) ON DELETE CASCADE,
        annotator_id   INTEGER NOT NULL REFERENCES annotators(id),
        choice         TEXT NOT NULL CHECK (choice IN ('a', 'b', 'tie', 'both-bad', 'ranked', 'skipped')),
        -- response ids in the order this annotator saw them (left to right)
        shown_order    TEXT NOT NULL CHECK (json_valid(shown_order)),
        ranking        TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(ranking)),
        scores         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(scores)),
        comment        TEXT NOT NULL DEFAULT '',
        duration_ms    INTEGER NOT NULL DEFAULT 0,
        created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        UNIQUE (item_id, annotator_id)
    );

    CREATE TABLE runs (
        id             INTEGER PRIMARY KEY,
        name           TEXT NOT NULL UNIQUE,
        stage          TEXT NOT NULL CHECK (stage IN ('pretrain', 'continue', 'sft', 'dpo')),
        status         TEXT NOT NULL DEFAULT 'created'
                         CHECK (status IN ('created', 'running', 'stopped', 'finished', 'failed')),
        -- run folder, relative to the workspace root
        dir            TEXT NOT NULL,
        config         TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
        tokenizer_id   INTEGER REFERENCES tokenizers(id) ON DELETE SET NULL,
        base_run_id    INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        corpus_id      INTEGER REFERENCES corpora(id) ON DELETE SET NULL,
        best_val_loss  REAL,
        created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        finished_at    TEXT
    );
    "#,
    // v2: corpus lineage, duplicate review and exports.
    r"
    ALTER TABLE corpora ADD COLUMN parent_id INTEGER REFERENCES corpora(id) ON DELETE SET NULL;

    -- Provenance: the step that made a derived corpus from its parent, with its settings.
    CREATE TABLE corpus_steps (
        id          INTEGER PRIMARY KEY,
        corpus_id   INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
        step        TEXT NOT NULL,
        settings    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
        docs_in     INTEGER NOT NULL,
        docs_out    INTEGER NOT NULL,
        report      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(report)),
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX corpus_steps_corpus ON corpus_steps(corpus_id);

    -- Near-duplicate clusters found in a corpus (members are document numbers in corpus
    -- order, the corpus file never changes) and the reviewer's decision on each.
    CREATE TABLE dedup_clusters (
        id          INTEGER PRIMARY KEY,
        corpus_id   INTEGER NOT NULL REFERENCES corpora(id) ON DELETE CASCADE,
        members     TEXT NOT NULL CHECK (json_valid(members)),
        exact       INTEGER NOT NULL DEFAULT 0,
        keep        INTEGER NOT NULL,
        decision    TEXT NOT NULL DEFAULT 'policy'
                    CHECK (decision IN ('policy', 'chosen', 'not-duplicates')),
        decided_by  TEXT,
        decided_at  TEXT
    );
    CREATE INDEX dedup_clusters_corpus ON dedup_clusters(corpus_id);

    CREATE TABLE exports (
        id          INTEGER PRIMARY KEY,
        corpus_id   INTEGER REFERENCES corpora(id) ON DELETE SET NULL,
        path        TEXT NOT NULL,
        format      TEXT NOT NULL,
        provenance  TEXT NOT NULL CHECK (json_valid(provenance)),
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    ",
    // v3: what the training area shows of a run without opening its folder.
    r"
    -- what it trained on: 'corpus', 'sft' (ready SFT examples), 'preferences' or 'files'
    ALTER TABLE runs ADD COLUMN data TEXT NOT NULL DEFAULT '';
    -- documents, examples or pairs when it was launched
    ALTER TABLE runs ADD COLUMN data_items INTEGER;
    -- which checkpoint of the base run it started from ('best', 'last' or a step)
    ALTER TABLE runs ADD COLUMN base_checkpoint TEXT NOT NULL DEFAULT '';
    ALTER TABLE runs ADD COLUMN last_step INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN max_steps INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE runs ADD COLUMN duration_secs REAL NOT NULL DEFAULT 0;
    -- why it failed, in the trainer's words
    ALTER TABLE runs ADD COLUMN message TEXT NOT NULL DEFAULT '';
    ",
    // v4: an adjudicator's verdict on an item the annotators disagree on.
    r"
    CREATE TABLE adjudications (
        item_id      INTEGER PRIMARY KEY REFERENCES preference_items(id) ON DELETE CASCADE,
        -- 'won:<response id>', 'tie' or 'both-bad'
        verdict      TEXT NOT NULL,
        adjudicator  TEXT NOT NULL DEFAULT '',
        created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX ratings_item ON ratings(item_id);
    ",
    // v5: the playground's conversations.
    r"
    CREATE TABLE conversations (
        id          INTEGER PRIMARY KEY,
        title       TEXT NOT NULL DEFAULT '',
        -- model, checkpoint, system prompt, sampling and retrieval, as JSON
        settings    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
        created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE TABLE chat_messages (
        id               INTEGER PRIMARY KEY,
        conversation_id  INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role             TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content          TEXT NOT NULL,
        -- model, seed, speed, passages used, as JSON
        meta             TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
        created_at       TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX chat_messages_conversation ON chat_messages(conversation_id, id);
    ",
    // v6: what a corpus is written in, as its owner says (what transliteration converts).
    r"
    ALTER TABLE corpora ADD COLUMN source TEXT NOT NULL DEFAULT 'auto'
        CHECK (source IN ('auto', 'az-Latn', 'az-Cyrl'));
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path}: not a readable SQLite database ({detail}); the file was left untouched — restore it from a backup or choose another workspace"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "{path}: made by a newer version of Dəzgah (schema {found}, this build knows up to {supported}); the file was left untouched — update Dəzgah to open it"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "{path}: a SQLite database of another program, not a Dəzgah workspace; the file was left untouched"
    )]
    Foreign { path: PathBuf },
    #[error("{path}: cannot be written (read-only file or folder)")]
    ReadOnly { path: PathBuf },
    #[error("{path}: migrating the schema to version {version} failed: {source}")]
    Migration {
        path: PathBuf,
        version: i64,
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {what} is not valid JSON: {source}")]
    Json {
        path: PathBuf,
        what: &'static str,
        source: serde_json::Error,
    },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("{path}: cannot be written: {source}")]
    DiskFull {
        path: PathBuf,
        source: crate::diskfull::DiskFull,
    },
    #[error(
        "{path} is empty (0 bytes): not a Dəzgah workspace database; the file was left untouched — remove it to start a new workspace here, or choose another folder"
    )]
    Empty { path: PathBuf },
    #[error("{path}: {source}; `dezgah workspace check` lists every such row")]
    BadText {
        path: PathBuf,
        source: crate::diskfull::BadText,
    },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How [`Store::open`] found the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    Created,
    Migrated { from: i64 },
    Current,
}

/// Row counts of every table a work area shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub corpora: u64,
    pub tokenizers: u64,
    pub sft_examples: u64,
    pub preference_items: u64,
    pub ratings: u64,
    pub runs: u64,
    pub annotators: u64,
}

/// The open workspace database. Owned by one thread; a job that needs the DB opens its own
/// connection with [`Store::open`] (WAL lets readers and one writer work side by side).
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens or creates the database at `path`, checking it before anything is written, then
    /// migrates it forward.
    pub fn open(path: &Path) -> Result<(Self, Opened)> {
        let len = path.metadata().ok().map(|m| m.len());
        if len == Some(0) {
            return Err(StoreError::Empty {
                path: path.to_owned(),
            });
        }
        let result = Self::open_checked(path, len.is_some());
        if len.is_none() && result.is_err() {
            // A file this call created and could not fill would read as "empty" next time.
            crate::diskfull::remove_if_empty(path);
        }
        result
    }

    /// Opens an existing database for reading even when its disk is full: there SQLite cannot
    /// grow the `-shm` file, so exclusive locking keeps the WAL index in this process's memory
    /// (other processes wait while this one reads). Nothing is migrated this way.
    pub fn open_for_reading(path: &Path) -> Result<(Self, Opened)> {
        let full = match Self::open(path) {
            Err(full @ StoreError::DiskFull { .. }) if path.is_file() => full,
            other => return other,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(|e| classify(path, e))?;
        conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; PRAGMA foreign_keys = ON;")
            .map_err(|e| classify(path, e))?;
        if check_existing(&conn, path)? < SCHEMA_VERSION {
            return Err(full);
        }
        log::info!("{}: opened for reading on a full disk", path.display());
        Ok((
            Self {
                conn,
                path: path.to_owned(),
            },
            Opened::Current,
        ))
    }

    fn open_checked(path: &Path, existed: bool) -> Result<(Self, Opened)> {
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sqlite)?;

        let found = if existed {
            check_existing(&conn, path)?
        } else {
            0
        };

        // Only now, with the file known to be ours and readable, do we write to it.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            log::warn!("{}: journal mode is {mode}, not WAL", path.display());
        }
        conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(sqlite)?;

        let mut store = Self {
            conn,
            path: path.to_owned(),
        };
        store.migrate(found)?;
        let opened = match found {
            0 => Opened::Created,
            v if v < SCHEMA_VERSION => Opened::Migrated { from: v },
            _ => Opened::Current,
        };
        Ok((store, opened))
    }

    fn migrate(&mut self, from: i64) -> Result<()> {
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            let version = index as i64 + 1;
            let err = |source| StoreError::Migration {
                path: self.path.clone(),
                version,
                source,
            };
            let tx = self.conn.savepoint().map_err(err)?;
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", version)
                .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    }

    /// Runs `work` so that all of its writes land together or not at all (a SQLite savepoint;
    /// the store's own methods nest inside it).
    pub fn atomically<T, E: From<StoreError>>(
        &mut self,
        work: impl FnOnce(&mut Self) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        self.conn
            .execute_batch("SAVEPOINT atomically")
            .map_err(|e| self.err(e))?;
        match work(self) {
            Ok(value) => {
                self.conn
                    .execute_batch("RELEASE atomically")
                    .map_err(|e| self.err(e))?;
                Ok(value)
            }
            Err(err) => {
                if let Err(rollback) = self
                    .conn
                    .execute_batch("ROLLBACK TO atomically; RELEASE atomically")
                {
                    log::error!("{}: rollback failed: {rollback}", self.path.display());
                }
                Err(err)
            }
        }
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw connection, for later modules' own queries.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        classify(&self.path, source)
    }

    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    pub fn counts(&self) -> Result<Counts> {
        let count = |table: &str| -> Result<u64> {
            self.conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                    r.get::<_, i64>(0)
                })
                .map(|n| n.max(0) as u64)
                .map_err(|e| self.err(e))
        };
        Ok(Counts {
            corpora: count("corpora")?,
            tokenizers: count("tokenizers")?,
            sft_examples: count("sft_examples")?,
            preference_items: count("preference_items")?,
            ratings: count("ratings")?,
            runs: count("runs")?,
            annotators: count("annotators")?,
        })
    }
}

/// Reads the header fields of an existing file and refuses anything we must not write to.
fn check_existing(conn: &Connection, path: &Path) -> Result<i64> {
    let corrupt = |e: rusqlite::Error| match classify(path, e) {
        // An I/O error says nothing about the file's contents.
        StoreError::Sqlite { path, source }
            if source.sqlite_error_code() != Some(rusqlite::ffi::ErrorCode::SystemIoFailure) =>
        {
            StoreError::Corrupt {
                path,
                detail: source.to_string(),
            }
        }
        other => other,
    };
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(corrupt)?;
    let app_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(corrupt)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(corrupt)?;
    if app_id != APPLICATION_ID && (app_id != 0 || tables > 0) {
        return Err(StoreError::Foreign {
            path: path.to_owned(),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_owned(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    let verdict: String = conn
        .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
        .map_err(corrupt)?;
    if verdict != "ok" {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: verdict,
        });
    }
    Ok(version)
}

/// Turns SQLite's codes into the errors a user can act on.
pub(crate) fn classify(path: &Path, source: rusqlite::Error) -> StoreError {
    use rusqlite::ffi::ErrorCode;
    if let Some(early) = classify_env(path, &source) {
        return early;
    }
    match source.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: source.to_string(),
        },
        Some(ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => StoreError::ReadOnly {
            path: path.to_owned(),
        },
        _ => StoreError::Sqlite {
            path: path.to_owned(),
            source,
        },
    }
}

fn to_json<T: Serialize + ?Sized>(path: &Path, what: &'static str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|source| StoreError::Json {
        path: path.to_owned(),
        what,
        source,
    })
}

/// The store errors that come from the machine rather than the file: a full disk and a row
/// that is not UTF-8. `None` leaves the error to the store's own classification. It lives
/// here, not in `diskfull`, so that module needs nothing of the store (no import cycle).
fn classify_env(path: &Path, source: &rusqlite::Error) -> Option<StoreError> {
    use crate::diskfull::{DiskFull, bad_text, is_utf8, sqlite_is_full};
    if let Some(bad) = bad_text(source) {
        return Some(StoreError::BadText {
            path: path.to_owned(),
            source: bad.clone(),
        });
    }
    // A reader that does not name its rows still says what is wrong, and where to look.
    if let rusqlite::Error::FromSqlConversionFailure(idx, _, inner) = source
        && is_utf8(&**inner)
    {
        return Some(StoreError::Invalid {
            path: path.to_owned(),
            message: format!(
                "column {idx} of a row read here holds text that is not valid UTF-8; `dezgah workspace check` names the table, row and column"
            ),
        });
    }
    let folder = path.parent().unwrap_or(path);
    sqlite_is_full(source, folder).then(|| StoreError::DiskFull {
        path: path.to_owned(),
        source: DiskFull::at(path),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Role, SftStatus, Source};

    fn fresh() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, opened) = Store::open(&dir.path().join("dezgah.db")).expect("open");
        assert_eq!(opened, Opened::Created);
        (dir, store)
    }

    #[test]
    fn creates_current_schema_in_wal_mode() {
        let (_dir, store) = fresh();
        assert_eq!(store.schema_version().expect("version"), SCHEMA_VERSION);
        let mode: String = store
            .conn()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        assert_eq!(store.counts().expect("counts"), Counts::default());
    }

    #[test]
    fn reopening_is_current_and_keeps_rows() {
        let (dir, mut store) = fresh();
        store
            .add_preference_item("Salam?", "test", &[("Salam!", "a"), ("Sağ ol", "b")])
            .expect("add");
        drop(store);
        let (store, opened) = Store::open(&dir.path().join("dezgah.db")).expect("reopen");
        assert_eq!(opened, Opened::Current);
        let items = store.preference_items(10).expect("items");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].prompt, "Salam?");
        assert_eq!(items[0].responses, 2);
    }

    #[test]
    fn migrates_an_empty_version_zero_file_forward() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dezgah.db");
        {
            let conn = Connection::open(&path).expect("raw open");
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .expect("app id");
        }
        let (store, opened) = Store::open(&path).expect("open");
        assert_eq!(opened, Opened::Created);
        assert_eq!(store.schema_version().expect("v"), SCHEMA_VERSION);
    }

    #[test]
    fn a_corpus_keeps_what_it_is_written_in_across_the_migration() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dezgah.db");
        {
            // A workspace from before v6, with a corpus.
            let conn = Connection::open(&path).expect("raw open");
            for sql in &MIGRATIONS[..5] {
                conn.execute_batch(sql).expect("old migration");
            }
            conn.pragma_update(None, "user_version", 5)
                .expect("version");
            conn.execute(
                "INSERT INTO corpora (name, path) VALUES ('köhnə', 'corpora/kohne.jsonl')",
                [],
            )
            .expect("corpus");
        }
        let (mut store, opened) = Store::open(&path).expect("open");
        assert_eq!(opened, Opened::Migrated { from: 5 });
        let old = store.corpora().expect("corpora")[0].clone();
        assert_eq!(old.source, Source::Auto);
        store
            .set_corpus_source(old.id, Source::AzCyrl)
            .expect("set");
        assert_eq!(store.corpora().expect("corpora")[0].source, Source::AzCyrl);
        assert_eq!(
            store.lineage(old.id).expect("lineage")[0].corpus.source,
            Source::AzCyrl
        );
        // Only the names the enum knows get in.
        let bad = store
            .conn()
            .execute("UPDATE corpora SET source = 'ru' WHERE id = ?1", [old.id]);
        assert!(bad.is_err());
    }

    #[test]
    fn refuses_garbage_and_leaves_it_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dezgah.db");
        let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &garbage).expect("write");
        let err = Store::open(&path).expect_err("garbage must not open");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert!(err.to_string().contains("dezgah.db"), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), garbage);
    }

    #[test]
    fn refuses_damaged_pages_and_leaves_them_untouched() {
        let (dir, mut store) = fresh();
        for i in 0..200 {
            store
                .add_preference_item(&format!("sual {i} {}", "ə".repeat(300)), "t", &[])
                .expect("add");
        }
        store
            .conn()
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE;")
            .expect("checkpoint");
        drop(store);
        let path = dir.path().join("dezgah.db");
        let mut bytes = std::fs::read(&path).expect("read");
        let len = bytes.len();
        assert!(len > 8192);
        for b in &mut bytes[4096..len - 1024] {
            *b = 0x5A;
        }
        std::fs::write(&path, &bytes).expect("write");
        let err = Store::open(&path).expect_err("damaged db must not open");
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), bytes);
    }

    #[test]
    fn refuses_a_newer_schema_and_leaves_it_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dezgah.db");
        {
            let conn = Connection::open(&path).expect("raw");
            conn.execute_batch(&format!(
                "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = 99; CREATE TABLE future(x);"
            ))
            .expect("setup");
        }
        let before = std::fs::read(&path).expect("read");
        let err = Store::open(&path).expect_err("newer must not open");
        assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
        assert!(err.to_string().contains("newer"), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), before);
    }

    #[test]
    fn refuses_another_programs_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dezgah.db");
        {
            let conn = Connection::open(&path).expect("raw");
            conn.execute_batch("CREATE TABLE songs(title TEXT);")
                .expect("setup");
        }
        let before = std::fs::read(&path).expect("read");
        let err = Store::open(&path).expect_err("foreign must not open");
        assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
        assert_eq!(std::fs::read(&path).expect("read"), before);
    }

    #[test]
    fn sft_examples_round_trip_and_register_their_author() {
        let (_dir, mut store) = fresh();
        let id = store
            .add_sft_example(&NewSftExample {
                system_prompt: String::new(),
                messages: vec![
                    Message::new(Role::User, "Bakı haradadır?"),
                    Message::new(Role::Assistant, "Xəzər dənizinin sahilində."),
                ],
                tags: vec!["coğrafiya".into()],
                domain: "geography".into(),
                provenance: "written".into(),
                status: SftStatus::Ready,
                author: Some("Ləman".into()),
            })
            .expect("add");
        let rows = store.sft_examples(10).expect("list");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].id, id);
        assert_eq!(rows[0].messages[1].content, "Xəzər dənizinin sahilində.");
        assert_eq!(store.annotators().expect("annotators"), vec!["Ləman"]);
    }

    #[test]
    fn constraints_reject_bad_rows_without_partial_writes() {
        let (_dir, mut store) = fresh();
        let bad = NewSftExample {
            system_prompt: String::new(),
            messages: vec![],
            tags: vec![],
            domain: String::new(),
            provenance: "invented".into(),
            status: SftStatus::Draft,
            author: Some("Nigar".into()),
        };
        assert!(store.add_sft_example(&bad).is_err());
        let counts = store.counts().expect("counts");
        assert_eq!(counts.sft_examples, 0);
        assert_eq!(counts.annotators, 0, "the transaction must roll back");
    }

    #[test]
    fn an_unknown_status_in_the_database_is_an_error_naming_it() {
        let (_dir, mut store) = fresh();
        store
            .add_sft_example(&NewSftExample {
                system_prompt: String::new(),
                messages: vec![Message::new(Role::Assistant, "Salam.")],
                tags: vec![],
                domain: String::new(),
                provenance: "written".into(),
                status: SftStatus::Ready,
                author: None,
            })
            .expect("add");
        // Another program (or an older build) wrote a value the CHECK no longer admits.
        store
            .conn
            .execute_batch(
                "PRAGMA ignore_check_constraints = ON;
                 UPDATE sft_examples SET status = 'approved';",
            )
            .expect("raw write");
        let err = store.sft_examples(10).expect_err("unknown status");
        assert!(
            err.to_string().contains("unknown SFT status \"approved\""),
            "{err}"
        );
        store
            .conn
            .execute_batch(
                "UPDATE sft_examples SET status = 'ready',
                    messages = '[{\"role\":\"narrator\",\"content\":\"x\"}]';",
            )
            .expect("raw write");
        let err = store.sft_examples(10).expect_err("unknown role");
        assert!(
            err.to_string().contains("unknown role \"narrator\""),
            "{err}"
        );
    }

    #[test]
    fn integrity_check_passes_on_a_fresh_store() {
        let (_dir, store) = fresh();
        assert!(store.integrity_problems().expect("check").is_empty());
    }
}
