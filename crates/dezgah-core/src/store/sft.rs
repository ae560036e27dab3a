//! SFT examples: conversations written, imported or reviewed for supervised fine-tuning.

use std::path::Path;

use rusqlite::{OptionalExtension as _, params};

use super::{Result, Store, StoreError, classify, to_json};
use crate::domain::SftStatus;

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

impl Store {
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
}

/// The annotator row for a name (created when new); `None` for no name.
pub(super) fn author_id(
    tx: &rusqlite::Savepoint<'_>,
    path: &Path,
    name: Option<&str>,
) -> Result<Option<i64>> {
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
