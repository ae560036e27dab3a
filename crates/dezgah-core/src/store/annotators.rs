//! The annotators table: the people who write examples and rate responses.

use super::{Result, Store};

impl Store {
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
}
