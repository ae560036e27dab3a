//! Corpora, their sources and derivation steps, duplicate clusters and exports.

use rusqlite::{OptionalExtension as _, params};

use super::{Result, Store, classify};
use crate::domain::{Decision, Source};

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

impl Store {
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
}
