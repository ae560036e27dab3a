//! Preference items, their responses, ratings and adjudications.

use rusqlite::params;

use super::sft::author_id;
use super::{Result, Store, StoreError, classify, to_json};
use crate::domain::Choice;

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

impl Store {
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
}
