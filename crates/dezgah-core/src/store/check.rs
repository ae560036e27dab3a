//! The integrity check of the whole file (`dezgah workspace check`).

use super::{Result, Store};

impl Store {
    /// Runs SQLite's full integrity check; an empty list means the file is sound.
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
