//! The workspace database: one SQLite file (`dezgah.db`) in WAL mode, schema versioned with
//! `PRAGMA user_version` and forward-only migrations.
//!
//! WAL with `synchronous = NORMAL` keeps the file consistent when the process is killed at any
//! point: a transaction is either in the log or not. Opening checks the file before writing
//! anything, so a damaged file, a foreign SQLite file or one from a newer Dəzgah is left as it was.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, params};
use serde::Serialize;

use crate::domain::{Choice, Decision, Role, RunStatus, SftStatus, Source, Stage};

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

/// Where a corpus came from: recorded with it for provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusSource<'a> {
    pub path: &'a str,
    pub format: &'a str,
    pub byte_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpusRow {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub doc_count: u64,
    pub char_count: u64,
    /// What the text is written in (`auto` until the user says).
    pub source: Source,
}

/// One processing step of a derived corpus.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StepRecord {
    pub step: String,
    pub settings: serde_json::Value,
    pub docs_in: u64,
    pub docs_out: u64,
    pub report: serde_json::Value,
}

/// A corpus in a lineage: its own sources (for an import) or the step that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineageEntry {
    pub corpus: CorpusRow,
    pub created_at: String,
    pub sources: Vec<serde_json::Value>,
    pub step: Option<StepRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCluster {
    pub members: Vec<i64>,
    pub exact: bool,
    pub keep: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterRow {
    pub id: i64,
    pub members: Vec<i64>,
    pub exact: bool,
    pub keep: i64,
    pub decision: Decision,
    pub decided_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerRow {
    pub id: i64,
    pub name: String,
    /// `tokenizer.json`, relative to the workspace root.
    pub path: String,
    pub kind: String,
    pub vocab_size: u64,
}

/// A playground conversation, without its messages.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRow {
    pub id: i64,
    pub title: String,
    /// `core::chat::ChatSettings` as JSON.
    pub settings: String,
    pub updated_at: String,
    pub messages: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessageRow {
    pub id: i64,
    /// `user` or `assistant` (the table's CHECK).
    pub role: Role,
    pub content: String,
    /// `core::chat::TurnMeta` as JSON.
    pub meta: String,
}

/// A training run as the workspace records it; its folder holds the rest.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunRow {
    pub id: i64,
    pub name: String,
    pub stage: Stage,
    pub status: RunStatus,
    /// The run folder, relative to the workspace root.
    pub dir: String,
    /// The run's configuration as JSON (the same fields as its `config.toml`).
    pub config: String,
    pub tokenizer_id: Option<i64>,
    pub base_run_id: Option<i64>,
    pub corpus_id: Option<i64>,
    /// corpus, sft, preferences or files.
    pub data: String,
    pub data_items: Option<u64>,
    pub base_checkpoint: String,
    pub best_val_loss: Option<f64>,
    pub last_step: u64,
    pub max_steps: u64,
    pub duration_secs: f64,
    pub message: String,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// What a launch records about a new run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewRun {
    pub name: String,
    pub stage: Stage,
    pub dir: String,
    pub config: serde_json::Value,
    pub tokenizer_id: Option<i64>,
    pub base_run_id: Option<i64>,
    pub base_checkpoint: String,
    pub corpus_id: Option<i64>,
    pub data: String,
    pub data_items: Option<u64>,
    pub max_steps: u64,
}

/// Where a run stands, as its events or its `status.json` say.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunProgress {
    pub status: RunStatus,
    pub last_step: u64,
    pub best_val_loss: Option<f64>,
    pub duration_secs: f64,
    pub message: String,
}

pub use crate::domain::Message;

/// An SFT example with every field, as exported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftExample {
    pub id: i64,
    pub system_prompt: String,
    pub messages: Vec<Message>,
    pub tags: Vec<String>,
    pub domain: String,
    pub provenance: String,
    pub status: SftStatus,
    pub author: Option<String>,
    /// When it was last written (UTC, ISO 8601), for sorting by recent work.
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSftExample {
    pub system_prompt: String,
    pub messages: Vec<Message>,
    pub tags: Vec<String>,
    pub domain: String,
    pub provenance: String,
    pub status: SftStatus,
    pub author: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SftRow {
    pub id: i64,
    pub messages: Vec<Message>,
    pub domain: String,
    pub status: SftStatus,
}

/// A preference item with its responses in position order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefItem {
    pub id: i64,
    pub prompt: String,
    pub source: String,
    pub judgements_required: u32,
    pub responses: Vec<PrefResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefResponse {
    pub id: i64,
    pub text: String,
    /// A run/checkpoint, or the label of an imported pair (`chosen`, `rejected`).
    pub origin: String,
}

/// One annotator's rating of one item, as stored: the choice in screen terms (`a` = left) and
/// the order the responses were shown in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRow {
    pub item_id: i64,
    pub annotator: String,
    pub choice: Choice,
    pub shown_order: Vec<i64>,
    /// For `ranked` (three or more responses): response ids, best first.
    pub ranking: Vec<i64>,
    /// 1–5 per response id, where given.
    pub scores: std::collections::BTreeMap<i64, u8>,
    pub comment: String,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreferenceRow {
    pub id: i64,
    pub prompt: String,
    pub responses: u64,
    pub ratings: u64,
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

    /// Returns the id of the annotator called `name`, adding them if new.
    pub fn ensure_annotator(&self, name: &str) -> Result<i64> {
        let name = name.trim();
        self.conn
            .execute(
                "INSERT INTO annotators (name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
                [name],
            )
            .map_err(|e| self.err(e))?;
        self.conn
            .query_row("SELECT id FROM annotators WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))
    }

    pub fn annotators(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("SELECT name FROM annotators ORDER BY name")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    /// Registers a corpus built from several sources, in one transaction.
    pub fn add_corpus_with_sources(
        &mut self,
        name: &str,
        rel_path: &str,
        doc_count: u64,
        char_count: u64,
        sources: &[CorpusSource<'_>],
    ) -> Result<i64> {
        let Some((first, rest)) = sources.split_first() else {
            return self.add_corpus(
                name,
                rel_path,
                doc_count,
                char_count,
                &CorpusSource {
                    path: "",
                    format: "",
                    byte_count: 0,
                },
            );
        };
        self.atomically(|store| {
            let id = store.add_corpus(name, rel_path, doc_count, char_count, first)?;
            for source in rest {
                store
                    .conn
                    .execute(
                        "INSERT INTO corpus_sources (corpus_id, source_path, format, byte_count) VALUES (?1, ?2, ?3, ?4)",
                        params![id, source.path, source.format, source.byte_count as i64],
                    )
                    .map_err(|e| store.err(e))?;
            }
            Ok(id)
        })
    }

    /// Registers a corpus and where it came from, in one transaction.
    pub fn add_corpus(
        &mut self,
        name: &str,
        rel_path: &str,
        doc_count: u64,
        char_count: u64,
        source: &CorpusSource<'_>,
    ) -> Result<i64> {
        let path = self.path.clone();
        let err = |source| classify(&path, source);
        let tx = self.conn.savepoint().map_err(err)?;
        tx.execute(
            "INSERT INTO corpora (name, path, doc_count, char_count) VALUES (?1, ?2, ?3, ?4)",
            params![name, rel_path, doc_count as i64, char_count as i64],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO corpus_sources (corpus_id, source_path, format, byte_count) VALUES (?1, ?2, ?3, ?4)",
            params![id, source.path, source.format, source.byte_count as i64],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Registers a corpus made from `parent` by one step, with the step's record.
    pub fn add_derived_corpus(
        &mut self,
        name: &str,
        rel_path: &str,
        counts: (u64, u64),
        parent: i64,
        step: &StepRecord,
    ) -> Result<i64> {
        let path = self.path.clone();
        let err = |source| classify(&path, source);
        let tx = self.conn.savepoint().map_err(err)?;
        tx.execute(
            "INSERT INTO corpora (name, path, doc_count, char_count, parent_id) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![name, rel_path, counts.0 as i64, counts.1 as i64, parent],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO corpus_steps (corpus_id, step, settings, docs_in, docs_out, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                step.step,
                step.settings.to_string(),
                step.docs_in as i64,
                step.docs_out as i64,
                step.report.to_string()
            ],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// A corpus's history, oldest first: the imported corpus with its source files, then each
    /// step that led to `corpus`.
    pub fn lineage(&self, corpus: i64) -> Result<Vec<LineageEntry>> {
        let mut chain = Vec::new();
        let mut next = Some(corpus);
        while let Some(id) = next {
            if chain.iter().any(|e: &LineageEntry| e.corpus.id == id) || chain.len() > 1000 {
                break; // a cycle cannot be made through the API; do not loop if one is
            }
            let row = self
                .conn
                .query_row(
                    "SELECT id, name, path, doc_count, char_count, parent_id, created_at, source FROM corpora WHERE id = ?1",
                    [id],
                    |r| {
                        Ok((
                            CorpusRow {
                                id: r.get(0)?,
                                name: r.get(1)?,
                                path: r.get(2)?,
                                doc_count: r.get::<_, i64>(3)?.max(0) as u64,
                                char_count: r.get::<_, i64>(4)?.max(0) as u64,
                                source: r.get(7)?,
                            },
                            r.get::<_, Option<i64>>(5)?,
                            r.get::<_, String>(6)?,
                        ))
                    },
                )
                .map_err(|e| self.err(e))?;
            let (row, parent, created_at) = row;
            let mut stmt = self
                .conn
                .prepare("SELECT source_path, format, byte_count FROM corpus_sources WHERE corpus_id = ?1 ORDER BY id")
                .map_err(|e| self.err(e))?;
            let sources = stmt
                .query_map([id], |r| {
                    Ok(serde_json::json!({
                        "path": r.get::<_, String>(0)?,
                        "format": r.get::<_, String>(1)?,
                        "bytes": r.get::<_, i64>(2)?,
                    }))
                })
                .and_then(Iterator::collect::<rusqlite::Result<Vec<_>>>)
                .map_err(|e| self.err(e))?;
            let step = self
                .conn
                .query_row(
                    "SELECT step, settings, docs_in, docs_out, report FROM corpus_steps WHERE corpus_id = ?1 ORDER BY id LIMIT 1",
                    [id],
                    |r| {
                        let json = |s: String| serde_json::from_str(&s).unwrap_or(serde_json::Value::Null);
                        Ok(StepRecord {
                            step: r.get(0)?,
                            settings: json(r.get(1)?),
                            docs_in: r.get::<_, i64>(2)?.max(0) as u64,
                            docs_out: r.get::<_, i64>(3)?.max(0) as u64,
                            report: json(r.get(4)?),
                        })
                    },
                )
                .optional()
                .map_err(|e| self.err(e))?;
            chain.push(LineageEntry {
                corpus: row,
                created_at,
                sources,
                step,
            });
            next = parent;
        }
        chain.reverse();
        Ok(chain)
    }

    /// Replaces the duplicate clusters of a corpus with a new run's. A cluster with exactly the
    /// same members as before keeps the reviewer's decision.
    pub fn replace_clusters(&mut self, corpus: i64, clusters: &[NewCluster]) -> Result<()> {
        let previous: std::collections::HashMap<String, (i64, Decision, Option<String>)> = self
            .clusters(corpus)?
            .into_iter()
            .filter(|c| c.decision != Decision::Policy)
            .map(|c| {
                (
                    serde_json::Value::from(c.members.clone()).to_string(),
                    (c.keep, c.decision, c.decided_by),
                )
            })
            .collect();
        let path = self.path.clone();
        let err = |source| classify(&path, source);
        let tx = self.conn.savepoint().map_err(err)?;
        tx.execute("DELETE FROM dedup_clusters WHERE corpus_id = ?1", [corpus])
            .map_err(err)?;
        {
            let mut insert = tx
                .prepare("INSERT INTO dedup_clusters (corpus_id, members, exact, keep, decision, decided_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
                .map_err(err)?;
            for c in clusters {
                let members = serde_json::Value::from(c.members.clone()).to_string();
                let (keep, decision, by) =
                    previous
                        .get(&members)
                        .cloned()
                        .unwrap_or((c.keep, Decision::Policy, None));
                insert
                    .execute(params![corpus, members, c.exact, keep, decision, by])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    pub fn clusters(&self, corpus: i64) -> Result<Vec<ClusterRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, members, exact, keep, decision, decided_by FROM dedup_clusters WHERE corpus_id = ?1 ORDER BY id")
            .map_err(|e| self.err(e))?;
        stmt.query_map([corpus], |r| {
            let members: String = r.get(1)?;
            Ok(ClusterRow {
                id: r.get(0)?,
                members: serde_json::from_str(&members).unwrap_or_default(),
                exact: r.get(2)?,
                keep: r.get(3)?,
                decision: r.get(4)?,
                decided_by: r.get(5)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Records a reviewer's decision on one cluster: which member stays, or that its members
    /// are not duplicates after all.
    pub fn decide_cluster(
        &mut self,
        cluster: i64,
        keep: i64,
        decision: Decision,
        by: Option<&str>,
    ) -> Result<()> {
        self.conn
            .execute(
                "UPDATE dedup_clusters SET keep = ?2, decision = ?3, decided_by = ?4, decided_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
                params![cluster, keep, decision, by],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Re-applies a keep policy to every cluster no reviewer has decided.
    pub fn apply_policy(&mut self, keeps: &[(i64, i64)]) -> Result<()> {
        let path = self.path.clone();
        let err = |source| classify(&path, source);
        let tx = self.conn.savepoint().map_err(err)?;
        for (cluster, keep) in keeps {
            tx.execute(
                "UPDATE dedup_clusters SET keep = ?2 WHERE id = ?1 AND decision = 'policy'",
                params![cluster, keep],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Registers a tokenizer (its `tokenizer.json` path relative to the workspace root).
    pub fn add_tokenizer(
        &mut self,
        name: &str,
        rel_path: &str,
        kind: &str,
        vocab_size: u64,
        corpus: Option<i64>,
        settings: &serde_json::Value,
    ) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO tokenizers (name, path, kind, vocab_size, corpus_id, settings) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![name, rel_path, kind, vocab_size as i64, corpus, settings.to_string()],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn add_export(
        &mut self,
        corpus: i64,
        path: &str,
        format: &str,
        provenance: &serde_json::Value,
    ) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO exports (corpus_id, path, format, provenance) VALUES (?1, ?2, ?3, ?4)",
                params![corpus, path, format, provenance.to_string()],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn corpora(&self) -> Result<Vec<CorpusRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, name, path, doc_count, char_count, source FROM corpora ORDER BY name",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(CorpusRow {
                id: r.get(0)?,
                name: r.get(1)?,
                path: r.get(2)?,
                doc_count: r.get::<_, i64>(3)?.max(0) as u64,
                char_count: r.get::<_, i64>(4)?.max(0) as u64,
                source: r.get(5)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Records what a corpus is written in.
    pub fn set_corpus_source(&mut self, corpus: i64, source: Source) -> Result<()> {
        self.conn
            .execute(
                "UPDATE corpora SET source = ?2 WHERE id = ?1",
                params![corpus, source.name()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn tokenizers(&self) -> Result<Vec<TokenizerRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, kind, vocab_size, path FROM tokenizers ORDER BY name")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(TokenizerRow {
                id: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                vocab_size: r.get::<_, i64>(3)?.max(0) as u64,
                path: r.get(4)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Every run, newest first.
    pub fn runs(&self) -> Result<Vec<RunRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, name, stage, status, dir, config, tokenizer_id, base_run_id, corpus_id,
                        data, data_items, base_checkpoint, best_val_loss, last_step, max_steps,
                        duration_secs, message, created_at, finished_at
                 FROM runs ORDER BY id DESC",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(RunRow {
                id: r.get(0)?,
                name: r.get(1)?,
                stage: r.get(2)?,
                status: r.get(3)?,
                dir: r.get(4)?,
                config: r.get(5)?,
                tokenizer_id: r.get(6)?,
                base_run_id: r.get(7)?,
                corpus_id: r.get(8)?,
                data: r.get(9)?,
                data_items: r.get::<_, Option<i64>>(10)?.map(|n| n.max(0) as u64),
                base_checkpoint: r.get(11)?,
                best_val_loss: r.get(12)?,
                last_step: r.get::<_, i64>(13)?.max(0) as u64,
                max_steps: r.get::<_, i64>(14)?.max(0) as u64,
                duration_secs: r.get(15)?,
                message: r.get(16)?,
                created_at: r.get(17)?,
                finished_at: r.get(18)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Records a run about to be launched, as `running`.
    pub fn add_run(&mut self, run: &NewRun) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO runs (name, stage, status, dir, config, tokenizer_id, base_run_id,
                                   base_checkpoint, corpus_id, data, data_items, max_steps)
                 VALUES (?1, ?2, 'running', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    run.name,
                    run.stage,
                    run.dir,
                    run.config.to_string(),
                    run.tokenizer_id,
                    run.base_run_id,
                    run.base_checkpoint,
                    run.corpus_id,
                    run.data,
                    run.data_items.map(|n| n as i64),
                    run.max_steps as i64,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records where a run stands; an ended run gets its end time once.
    pub fn update_run(&mut self, id: i64, progress: &RunProgress) -> Result<()> {
        let ended = progress.status != RunStatus::Running;
        self.conn
            .execute(
                "UPDATE runs SET status = ?2, last_step = ?3, best_val_loss = ?4,
                        duration_secs = ?5, message = ?6,
                        finished_at = CASE WHEN ?7 THEN coalesce(finished_at,
                            strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) ELSE NULL END
                 WHERE id = ?1",
                params![
                    id,
                    progress.status,
                    progress.last_step as i64,
                    progress.best_val_loss,
                    progress.duration_secs,
                    progress.message,
                    ended,
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Forgets a run (its folder is the caller's to remove). Runs started from it keep their
    /// rows; their base becomes unknown.
    pub fn delete_run(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM runs WHERE id = ?1", [id])
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn add_sft_example(&mut self, example: &NewSftExample) -> Result<i64> {
        let ids = self.add_sft_examples(std::slice::from_ref(example))?;
        Ok(ids.first().copied().unwrap_or_default())
    }

    /// Adds examples in one transaction: all of them, or none.
    pub fn add_sft_examples(&mut self, examples: &[NewSftExample]) -> Result<Vec<i64>> {
        let path = self.path.clone();
        let err = |source| classify(&path, source);
        let tx = self.conn.savepoint().map_err(err)?;
        let mut ids = Vec::with_capacity(examples.len());
        for example in examples {
            ids.push(insert_sft_example(&tx, &path, example)?);
        }
        tx.commit().map_err(err)?;
        Ok(ids)
    }

    /// Every example with all its fields, in id order (for export and the editor's list).
    pub fn sft_examples_full(&self) -> Result<Vec<SftExample>> {
        self.query_sft_examples("", [])
    }

    /// One example, or `None` when it was deleted.
    pub fn sft_example(&self, id: i64) -> Result<Option<SftExample>> {
        Ok(self
            .query_sft_examples("WHERE e.id = ?1", [id])?
            .into_iter()
            .next())
    }

    fn query_sft_examples<P: rusqlite::Params>(
        &self,
        filter: &str,
        params: P,
    ) -> Result<Vec<SftExample>> {
        type Raw = (
            i64,
            String,
            String,
            String,
            String,
            String,
            SftStatus,
            Option<String>,
            String,
        );
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT e.id, e.system_prompt, e.messages, e.tags, e.domain, e.provenance, e.status,
                        a.name, e.updated_at
                 FROM sft_examples e LEFT JOIN annotators a ON a.id = e.author_id {filter}
                 ORDER BY e.id"
            ))
            .map_err(|e| self.err(e))?;
        let raw: Vec<Raw> = stmt
            .query_map(params, |r| {
                // A cell that is not UTF-8 is reported with the example's id.
                let id: i64 = r.get(0)?;
                let text = |i, column| {
                    crate::diskfull::text_cell::<String>(r, i, "sft_examples", column, id)
                };
                Ok((
                    id,
                    text(1, "system_prompt")?,
                    text(2, "messages")?,
                    text(3, "tags")?,
                    text(4, "domain")?,
                    text(5, "provenance")?,
                    crate::diskfull::text_cell(r, 6, "sft_examples", "status", id)?,
                    r.get(7)?,
                    text(8, "updated_at")?,
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        let json_err = |what, source| StoreError::Json {
            path: self.path.clone(),
            what,
            source,
        };
        raw.into_iter()
            .map(
                |(
                    id,
                    system_prompt,
                    messages,
                    tags,
                    domain,
                    provenance,
                    status,
                    author,
                    updated_at,
                )| {
                    Ok(SftExample {
                        id,
                        system_prompt,
                        messages: serde_json::from_str(&messages)
                            .map_err(|e| json_err("sft_examples.messages", e))?,
                        tags: serde_json::from_str(&tags)
                            .map_err(|e| json_err("sft_examples.tags", e))?,
                        domain,
                        provenance,
                        status,
                        author,
                        updated_at,
                    })
                },
            )
            .collect()
    }

    /// Writes an edited example whole in one transaction: a kill leaves either the old row or
    /// the new one. Returns false when the example no longer exists.
    pub fn update_sft_example(&mut self, example: &SftExample) -> Result<bool> {
        let path = self.path.clone();
        let err = |source| classify(&path, source);
        let messages = to_json(&path, "messages", &example.messages)?;
        let tags = to_json(&path, "tags", &example.tags)?;
        let tx = self.conn.savepoint().map_err(err)?;
        let author_id = author_id(&tx, &path, example.author.as_deref())?;
        let changed = tx
            .execute(
                "UPDATE sft_examples SET system_prompt = ?2, messages = ?3, tags = ?4, domain = ?5,
                        provenance = ?6, status = ?7, author_id = ?8,
                        updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
                 WHERE id = ?1",
                params![
                    example.id,
                    example.system_prompt,
                    messages,
                    tags,
                    example.domain,
                    example.provenance,
                    example.status,
                    author_id
                ],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(changed > 0)
    }

    pub fn delete_sft_example(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM sft_examples WHERE id = ?1", [id])
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}

/// The annotator row for a name (created when new); `None` for no name.
fn author_id(tx: &rusqlite::Savepoint<'_>, path: &Path, name: Option<&str>) -> Result<Option<i64>> {
    let err = |source| classify(path, source);
    match name.map(str::trim) {
        Some(name) if !name.is_empty() => {
            tx.execute(
                "INSERT INTO annotators (name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
                [name],
            )
            .map_err(err)?;
            tx.query_row("SELECT id FROM annotators WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err)
        }
        _ => Ok(None),
    }
}

/// One insert of [`Store::add_sft_examples`], inside its transaction.
fn insert_sft_example(
    tx: &rusqlite::Savepoint<'_>,
    path: &Path,
    example: &NewSftExample,
) -> Result<i64> {
    let err = |source| classify(path, source);
    let messages = to_json(path, "messages", &example.messages)?;
    let tags = to_json(path, "tags", &example.tags)?;
    let author_id = author_id(tx, path, example.author.as_deref())?;
    tx.execute(
            "INSERT INTO sft_examples (system_prompt, messages, tags, domain, provenance, status, author_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                example.system_prompt,
                messages,
                tags,
                example.domain,
                example.provenance,
                example.status,
                author_id
            ],
        )
        .map_err(err)?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    pub fn sft_examples(&self, limit: usize) -> Result<Vec<SftRow>> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, messages, domain, status FROM sft_examples ORDER BY id LIMIT ?1")
            .map_err(|e| self.err(e))?;
        let raw: Vec<(i64, String, String, SftStatus)> = stmt
            .query_map([limit as i64], |r| {
                let id: i64 = r.get(0)?;
                let text = |i, column| {
                    crate::diskfull::text_cell::<String>(r, i, "sft_examples", column, id)
                };
                Ok((
                    id,
                    text(1, "messages")?,
                    text(2, "domain")?,
                    crate::diskfull::text_cell(r, 3, "sft_examples", "status", id)?,
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        raw.into_iter()
            .map(|(id, messages, domain, status)| {
                let messages =
                    serde_json::from_str(&messages).map_err(|source| StoreError::Json {
                        path: self.path.clone(),
                        what: "sft_examples.messages",
                        source,
                    })?;
                Ok(SftRow {
                    id,
                    messages,
                    domain,
                    status,
                })
            })
            .collect()
    }

    /// Adds a prompt with its candidate responses (`(text, origin)`), in one transaction.
    pub fn add_preference_item(
        &mut self,
        prompt: &str,
        source: &str,
        responses: &[(&str, &str)],
    ) -> Result<i64> {
        let path = self.path.clone();
        let err = |source| classify(&path, source);
        let tx = self.conn.savepoint().map_err(err)?;
        tx.execute(
            "INSERT INTO preference_items (prompt, source) VALUES (?1, ?2)",
            params![prompt, source],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        for (position, (text, origin)) in responses.iter().enumerate() {
            tx.execute(
                "INSERT INTO preference_responses (item_id, position, text, origin) VALUES (?1, ?2, ?3, ?4)",
                params![id, position as i64, text, origin],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Adds items (`prompt`, `[(response, origin)]`) in one transaction; returns how many.
    pub fn add_preference_items(
        &mut self,
        items: &[(String, Vec<(String, String)>)],
        source: &str,
        judgements_required: u32,
    ) -> Result<usize> {
        let path = self.path.clone();
        let err = |e| classify(&path, e);
        let tx = self.conn.savepoint().map_err(err)?;
        for (prompt, responses) in items {
            tx.execute(
                "INSERT INTO preference_items (prompt, source, judgements_required) VALUES (?1, ?2, ?3)",
                params![prompt, source, judgements_required.max(1)],
            )
            .map_err(err)?;
            let id = tx.last_insert_rowid();
            for (position, (text, origin)) in responses.iter().enumerate() {
                tx.execute(
                    "INSERT INTO preference_responses (item_id, position, text, origin) VALUES (?1, ?2, ?3, ?4)",
                    params![id, position as i64, text, origin],
                )
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(items.len())
    }

    /// Every item with its responses, in id order.
    pub fn preference_items_full(&self) -> Result<Vec<PrefItem>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, prompt, source, judgements_required FROM preference_items ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let mut items: Vec<PrefItem> = stmt
            .query_map([], |r| {
                Ok(PrefItem {
                    id: r.get(0)?,
                    prompt: r.get(1)?,
                    source: r.get(2)?,
                    judgements_required: r.get::<_, i64>(3)?.clamp(1, i64::from(u32::MAX)) as u32,
                    responses: Vec::new(),
                })
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT item_id, id, text, origin FROM preference_responses ORDER BY item_id, position",
            )
            .map_err(|e| self.err(e))?;
        let responses: Vec<(i64, PrefResponse)> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    PrefResponse {
                        id: r.get(1)?,
                        text: r.get(2)?,
                        origin: r.get(3)?,
                    },
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        for (item_id, response) in responses {
            if let Ok(i) = items.binary_search_by_key(&item_id, |it| it.id) {
                items[i].responses.push(response);
            }
        }
        Ok(items)
    }

    /// Every rating with its annotator's name, in the order they were given.
    pub fn ratings(&self) -> Result<Vec<RatingRow>> {
        type Raw = (i64, String, Choice, String, String, String, i64, String);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT g.item_id, a.name, g.choice, g.shown_order, g.scores, g.comment, g.duration_ms,
                        g.ranking
                 FROM ratings g JOIN annotators a ON a.id = g.annotator_id ORDER BY g.id",
            )
            .map_err(|e| self.err(e))?;
        let raw: Vec<Raw> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        raw.into_iter()
            .map(
                |(item_id, annotator, choice, order, scores, comment, duration, ranking)| {
                    let json_err = |what, source| StoreError::Json {
                        path: self.path.clone(),
                        what,
                        source,
                    };
                    let scores: std::collections::BTreeMap<String, u8> =
                        serde_json::from_str(&scores).map_err(|e| json_err("ratings.scores", e))?;
                    Ok(RatingRow {
                        item_id,
                        annotator,
                        choice,
                        shown_order: serde_json::from_str(&order)
                            .map_err(|e| json_err("ratings.shown_order", e))?,
                        ranking: serde_json::from_str(&ranking)
                            .map_err(|e| json_err("ratings.ranking", e))?,
                        scores: scores
                            .into_iter()
                            .filter_map(|(k, v)| Some((k.parse().ok()?, v)))
                            .collect(),
                        comment,
                        duration_ms: duration.max(0) as u64,
                    })
                },
            )
            .collect()
    }

    /// Commits one judgement at once (a second one by the same annotator replaces the first).
    pub fn submit_rating(&mut self, rating: &RatingRow) -> Result<()> {
        let path = self.path.clone();
        let err = |e| classify(&path, e);
        let order = to_json(&path, "shown_order", &rating.shown_order)?;
        let ranking = to_json(&path, "ranking", &rating.ranking)?;
        let scores: std::collections::BTreeMap<String, u8> = rating
            .scores
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        let scores = to_json(&path, "scores", &scores)?;
        let tx = self.conn.savepoint().map_err(err)?;
        let annotator =
            author_id(&tx, &path, Some(&rating.annotator))?.ok_or_else(|| StoreError::Invalid {
                path: path.clone(),
                message: "a rating needs an annotator name".into(),
            })?;
        tx.execute(
            "INSERT INTO ratings (item_id, annotator_id, choice, shown_order, scores, comment, duration_ms,
                                  ranking)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(item_id, annotator_id) DO UPDATE SET choice = excluded.choice,
                 shown_order = excluded.shown_order, scores = excluded.scores,
                 ranking = excluded.ranking,
                 comment = excluded.comment, duration_ms = excluded.duration_ms,
                 created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
            params![
                rating.item_id,
                annotator,
                rating.choice,
                order,
                scores,
                rating.comment,
                rating.duration_ms as i64,
                ranking
            ],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(())
    }

    /// `(item, verdict)` of every adjudicated item (verdicts as `prefs::Verdict::to_db` writes).
    pub fn adjudications(&self) -> Result<Vec<(i64, String)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT item_id, verdict FROM adjudications ORDER BY item_id")
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))
    }

    pub fn set_adjudication(&mut self, item: i64, verdict: &str, adjudicator: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT INTO adjudications (item_id, verdict, adjudicator) VALUES (?1, ?2, ?3)
                 ON CONFLICT(item_id) DO UPDATE SET verdict = excluded.verdict,
                     adjudicator = excluded.adjudicator,
                     created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                params![item, verdict, adjudicator],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    pub fn preference_items(&self, limit: usize) -> Result<Vec<PreferenceRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT i.id, i.prompt,
                        (SELECT count(*) FROM preference_responses r WHERE r.item_id = i.id),
                        (SELECT count(*) FROM ratings g WHERE g.item_id = i.id)
                 FROM preference_items i ORDER BY i.id LIMIT ?1",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([limit as i64], |r| {
            Ok(PreferenceRow {
                id: r.get(0)?,
                prompt: r.get(1)?,
                responses: r.get::<_, i64>(2)?.max(0) as u64,
                ratings: r.get::<_, i64>(3)?.max(0) as u64,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Conversations the SFT stage trains on: `(system prompt, messages)` of every example marked
    /// ready.
    pub fn ready_sft_examples(&self) -> Result<Vec<(String, Vec<Message>)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT system_prompt, messages FROM sft_examples WHERE status = 'ready' ORDER BY id")
            .map_err(|e| self.err(e))?;
        let raw: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        raw.into_iter()
            .map(|(system, messages)| {
                let messages =
                    serde_json::from_str(&messages).map_err(|source| StoreError::Json {
                        path: self.path.clone(),
                        what: "sft_examples.messages",
                        source,
                    })?;
                Ok((system, messages))
            })
            .collect()
    }

    /// Runs SQLite's full integrity check; an empty list means the file is sound.
    /// Starts a conversation; returns its id.
    pub fn create_conversation(&mut self, title: &str, settings: &str) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO conversations (title, settings) VALUES (?1, ?2)",
                params![title, settings],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every conversation, the most recently active first.
    pub fn conversations(&self) -> Result<Vec<ConversationRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.id, c.title, c.settings, c.updated_at,
                        (SELECT count(*) FROM chat_messages m WHERE m.conversation_id = c.id)
                 FROM conversations c ORDER BY c.updated_at DESC, c.id DESC",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(ConversationRow {
                id: r.get(0)?,
                title: r.get(1)?,
                settings: r.get(2)?,
                updated_at: r.get(3)?,
                messages: r.get::<_, i64>(4)?.max(0) as u64,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    pub fn update_conversation(&mut self, id: i64, title: &str, settings: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE conversations SET title = ?2, settings = ?3 WHERE id = ?1",
                params![id, title, settings],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub fn delete_conversation(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM conversations WHERE id = ?1", [id])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The messages of a conversation, in order.
    pub fn chat_messages(&self, conversation: i64) -> Result<Vec<ChatMessageRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, role, content, meta FROM chat_messages
                 WHERE conversation_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([conversation], |r| {
            Ok(ChatMessageRow {
                id: r.get(0)?,
                role: r.get(1)?,
                content: r.get(2)?,
                meta: r.get(3)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Appends a message and marks the conversation active, in one transaction; returns the
    /// message's id.
    pub fn add_chat_message(
        &mut self,
        conversation: i64,
        role: Role,
        content: &str,
        meta: &str,
    ) -> Result<i64> {
        let path = self.path.clone();
        let err = |e| classify(&path, e);
        let tx = self.conn.savepoint().map_err(err)?;
        tx.execute(
            "INSERT INTO chat_messages (conversation_id, role, content, meta) VALUES (?1, ?2, ?3, ?4)",
            params![conversation, role, content, meta],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            [conversation],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Removes a message and every later one of its conversation (an answer regenerated).
    pub fn truncate_conversation(&mut self, conversation: i64, from_message: i64) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM chat_messages WHERE conversation_id = ?1 AND id >= ?2",
                [conversation, from_message],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(|e| self.err(e))?;
        let lines: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        let mut problems: Vec<String> = lines.into_iter().filter(|l| l != "ok").collect();
        let mut fk = self
            .conn
            .prepare("PRAGMA foreign_key_check")
            .map_err(|e| self.err(e))?;
        let broken: Vec<String> = fk
            .query_map([], |r| {
                Ok(format!(
                    "{} row {} points to a missing {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                    r.get::<_, String>(2)?
                ))
            })
            .and_then(Iterator::collect)
            .map_err(|e| self.err(e))?;
        problems.extend(broken);
        Ok(problems)
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
