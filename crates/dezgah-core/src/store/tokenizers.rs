//! The tokenizers table: each trained tokenizer and where its file lies.

use rusqlite::params;

use super::{Result, Store};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerRow {
    pub id: i64,
    pub name: String,
    /// `tokenizer.json`, relative to the workspace root.
    pub path: String,
    pub kind: String,
    pub vocab_size: u64,
}

impl Store {
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
}
