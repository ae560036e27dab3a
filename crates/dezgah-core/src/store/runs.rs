//! The runs table: every training run the workspace records.

use rusqlite::params;

use super::{Result, Store};
use crate::domain::{RunStatus, Stage};

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

impl Store {
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
}
