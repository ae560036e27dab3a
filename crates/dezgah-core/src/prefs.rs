//! Preference annotation: the order each annotator sees the responses in, judgements read back
//! from that order into verdicts about the responses themselves, agreement between annotators
//! (Cohen's kappa per pair, Krippendorff's alpha overall), the decision per item (an
//! adjudicator's, else a clear majority), and import/export (TRL preference, KTO, a summary).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Value, json};

use crate::domain::Choice;
use crate::store::{PrefItem, RatingRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PrefsError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// What an annotator can answer, in screen terms: `a` is the left response, `b` the right.
pub const CHOICES: [Choice; 4] = [Choice::A, Choice::B, Choice::Tie, Choice::BothBad];

/// A judgement about the responses themselves, whatever side they were shown on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Verdict {
    /// This response (its id) is the better one.
    Won(i64),
    Tie,
    BothBad,
}

impl Verdict {
    /// Reads a screen choice through the order the annotator saw (`None` for a skip).
    pub fn from_choice(choice: Choice, shown_order: &[i64]) -> Option<Self> {
        match choice {
            Choice::A => shown_order.first().map(|&id| Self::Won(id)),
            Choice::B => shown_order.get(1).map(|&id| Self::Won(id)),
            Choice::Tie => Some(Self::Tie),
            Choice::BothBad => Some(Self::BothBad),
            Choice::Ranked | Choice::Skipped => None,
        }
    }

    /// A stored rating's verdict: a screen choice read through its order, or the top of a
    /// ranking (`None` for a skip).
    pub fn of_rating(rating: &RatingRow) -> Option<Self> {
        if rating.choice == Choice::Ranked {
            return rating.ranking.first().map(|&id| Self::Won(id));
        }
        Self::from_choice(rating.choice, &rating.shown_order)
    }

    /// As stored for an adjudication: `won:ID`, `tie` or `both-bad`.
    pub fn to_db(self) -> String {
        match self {
            Self::Won(id) => format!("won:{id}"),
            Self::Tie => "tie".into(),
            Self::BothBad => "both-bad".into(),
        }
    }

    pub fn from_db(text: &str) -> Option<Self> {
        match text {
            "tie" => Some(Self::Tie),
            "both-bad" => Some(Self::BothBad),
            other => other
                .strip_prefix("won:")
                .and_then(|id| id.parse().ok())
                .map(Self::Won),
        }
    }
}

/// The order an annotator sees an item's responses in: a shuffle seeded by the annotator's name
/// and the item, so it is random across items and people but the same on every visit.
pub fn shown_order(annotator: &str, item: i64, responses: &[i64]) -> Vec<i64> {
    let mut seed = xxhash_rust::xxh3::xxh3_64(format!("{annotator}\u{0}{item}").as_bytes()) | 1;
    let mut order = responses.to_vec();
    for i in (1..order.len()).rev() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let j = (seed % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
    order
}

/// Cohen's kappa of two raters over the same items: `(rater 1's label, rater 2's label)` per
/// item. `None` with no items, or when chance agreement is total (both always say one thing).
pub fn cohen_kappa<L: Ord + Copy>(pairs: &[(L, L)]) -> Option<f64> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let observed = pairs.iter().filter(|(a, b)| a == b).count() as f64 / n;
    let mut first: BTreeMap<L, f64> = BTreeMap::new();
    let mut second: BTreeMap<L, f64> = BTreeMap::new();
    for (a, b) in pairs {
        *first.entry(*a).or_default() += 1.0;
        *second.entry(*b).or_default() += 1.0;
    }
    let expected: f64 = first
        .iter()
        .map(|(label, count)| count / n * second.get(label).copied().unwrap_or(0.0) / n)
        .sum();
    if (1.0 - expected).abs() < 1e-12 {
        return None;
    }
    Some((observed - expected) / (1.0 - expected))
}

/// Krippendorff's alpha for nominal labels: each unit (item) holds the labels its raters gave;
/// units with fewer than two labels do not count. `None` when there is nothing to compare or no
/// variation at all.
pub fn krippendorff_alpha<L: Ord + Copy>(units: &[Vec<L>]) -> Option<f64> {
    // The coincidence matrix: each ordered pair of labels within a unit, weighted 1/(m-1).
    let mut coincidence: BTreeMap<(L, L), f64> = BTreeMap::new();
    for unit in units.iter().filter(|u| u.len() >= 2) {
        let weight = 1.0 / (unit.len() as f64 - 1.0);
        for (i, a) in unit.iter().enumerate() {
            for (j, b) in unit.iter().enumerate() {
                if i != j {
                    *coincidence.entry((*a, *b)).or_default() += weight;
                }
            }
        }
    }
    let total: f64 = coincidence.values().sum();
    if total <= 1.0 {
        return None;
    }
    let mut marginal: BTreeMap<L, f64> = BTreeMap::new();
    for ((a, _), v) in &coincidence {
        *marginal.entry(*a).or_default() += v;
    }
    let observed: f64 = coincidence
        .iter()
        .filter(|((a, b), _)| a != b)
        .map(|(_, v)| v)
        .sum::<f64>()
        / total;
    // Σ over pairs of different labels of n_a·n_b = (Σ n)² − Σ n², linear in the labels.
    let squares: f64 = marginal.values().map(|n| n * n).sum();
    let expected = (total * total - squares) / (total * (total - 1.0));
    if expected <= 0.0 {
        return None;
    }
    Some(1.0 - observed / expected)
}

/// One annotator's verdict on one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub item: i64,
    pub annotator: String,
    pub verdict: Verdict,
    /// Whether the better response was shown on the left (`None` for ties and both-bad).
    pub left_won: Option<bool>,
}

/// Judgements of every rating that is not a skip.
pub fn judgements(ratings: &[RatingRow]) -> Vec<Judgement> {
    ratings
        .iter()
        .filter_map(|r| {
            let verdict = Verdict::of_rating(r)?;
            Some(Judgement {
                item: r.item_id,
                annotator: r.annotator.clone(),
                verdict,
                left_won: match r.choice {
                    Choice::A => Some(true),
                    Choice::B => Some(false),
                    _ => None,
                },
            })
        })
        .collect()
}

/// Kappa of one pair of annotators over the items both judged.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairAgreement {
    pub first: String,
    pub second: String,
    pub items: usize,
    pub kappa: Option<f64>,
}

/// How far the annotators agree, and where they do not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agreement {
    pub pairs: Vec<PairAgreement>,
    /// Krippendorff's alpha over every item judged twice or more.
    pub alpha: Option<f64>,
    /// Items whose judgements differ, with no adjudication yet.
    pub disagreements: Vec<i64>,
}

/// A verdict as agreement statistics see it: the winner by its place in the item (first,
/// second …), so that "the first response is better" is one category across all items and
/// chance agreement is estimated over comparable labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Label {
    Won(usize),
    Tie,
    BothBad,
}

/// `positions`: each response id's place within its item.
pub fn agreement<S: std::hash::BuildHasher>(
    judgements: &[Judgement],
    adjudicated: &BTreeSet<i64>,
    positions: &HashMap<i64, usize, S>,
) -> Agreement {
    let label = |v: Verdict| match v {
        Verdict::Won(id) => Label::Won(positions.get(&id).copied().unwrap_or(usize::MAX)),
        Verdict::Tie => Label::Tie,
        Verdict::BothBad => Label::BothBad,
    };
    let mut by_item: BTreeMap<i64, BTreeMap<&str, Label>> = BTreeMap::new();
    let mut verdicts: BTreeMap<i64, BTreeSet<Verdict>> = BTreeMap::new();
    for j in judgements {
        by_item
            .entry(j.item)
            .or_default()
            .insert(j.annotator.as_str(), label(j.verdict));
        verdicts.entry(j.item).or_default().insert(j.verdict);
    }
    let annotators: BTreeSet<&str> = judgements.iter().map(|j| j.annotator.as_str()).collect();
    let annotators: Vec<&str> = annotators.into_iter().collect();
    let mut pairs = Vec::new();
    for (i, first) in annotators.iter().enumerate() {
        for second in &annotators[i + 1..] {
            let both: Vec<(Label, Label)> = by_item
                .values()
                .filter_map(|v| Some((*v.get(first)?, *v.get(second)?)))
                .collect();
            if both.is_empty() {
                continue;
            }
            pairs.push(PairAgreement {
                first: (*first).to_owned(),
                second: (*second).to_owned(),
                items: both.len(),
                kappa: cohen_kappa(&both),
            });
        }
    }
    let units: Vec<Vec<Label>> = by_item
        .values()
        .map(|v| v.values().copied().collect())
        .collect();
    let disagreements = verdicts
        .iter()
        .filter(|(item, v)| !adjudicated.contains(item) && v.len() > 1)
        .map(|(item, _)| *item)
        .collect();
    Agreement {
        pairs,
        alpha: krippendorff_alpha(&units),
        disagreements,
    }
}

/// What an item comes to: the adjudicator's verdict, else a verdict more annotators gave than
/// any other; `share` is how many of its judgements agree with it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    pub share: f64,
    pub judgements: usize,
    pub adjudicated: bool,
}

pub fn decisions<S: std::hash::BuildHasher>(
    judgements: &[Judgement],
    adjudications: &HashMap<i64, Verdict, S>,
) -> BTreeMap<i64, Decision> {
    let mut votes: BTreeMap<i64, BTreeMap<Verdict, usize>> = BTreeMap::new();
    for j in judgements {
        *votes
            .entry(j.item)
            .or_default()
            .entry(j.verdict)
            .or_default() += 1;
    }
    let mut out = BTreeMap::new();
    for (item, counts) in &votes {
        let total: usize = counts.values().sum();
        if let Some(&verdict) = adjudications.get(item) {
            let agreeing = counts.get(&verdict).copied().unwrap_or(0);
            out.insert(
                *item,
                Decision {
                    verdict,
                    share: agreeing as f64 / total.max(1) as f64,
                    judgements: total,
                    adjudicated: true,
                },
            );
            continue;
        }
        let best = counts.values().copied().max().unwrap_or(0);
        let leaders: Vec<Verdict> = counts
            .iter()
            .filter(|(_, n)| **n == best)
            .map(|(v, _)| *v)
            .collect();
        // A split vote decides nothing until an adjudicator does.
        if let [verdict] = leaders[..] {
            out.insert(
                *item,
                Decision {
                    verdict,
                    share: best as f64 / total as f64,
                    judgements: total,
                    adjudicated: false,
                },
            );
        }
    }
    for (item, verdict) in adjudications {
        out.entry(*item).or_insert(Decision {
            verdict: *verdict,
            share: 0.0,
            judgements: 0,
            adjudicated: true,
        });
    }
    out
}

/// Export shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// TRL `prompt`/`chosen`/`rejected` as strings.
    Trl,
    /// The same with each field a message list (`[{"role": "user", …}]`).
    TrlMessages,
    /// KTO: one line per response, `prompt`/`completion`/`label`.
    Kto,
}

impl ExportFormat {
    pub const ALL: [Self; 3] = [Self::Trl, Self::TrlMessages, Self::Kto];

    pub fn name(self) -> &'static str {
        match self {
            Self::Trl => "trl",
            Self::TrlMessages => "trl-messages",
            Self::Kto => "kto",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    pub format: ExportFormat,
    /// KTO only: a tie makes both responses desirable.
    pub ties_as_good: bool,
    /// KTO only: both-bad makes both responses undesirable.
    pub both_bad_as_bad: bool,
    /// Items whose decision fewer than this share of annotators agree with are left out
    /// (adjudicated items always count).
    pub min_agreement: f64,
    /// Items without annotators' judgements but with imported chosen/rejected labels count too.
    pub include_imported: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            format: ExportFormat::Trl,
            ties_as_good: false,
            both_bad_as_bad: true,
            min_agreement: 0.0,
            include_imported: true,
        }
    }
}

/// What the workspace's ratings come to, for the summary and the Rating area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub items: usize,
    pub judged_items: usize,
    pub judgements: usize,
    pub skipped: usize,
    pub by_choice: BTreeMap<String, usize>,
    pub per_annotator: BTreeMap<String, usize>,
    /// Of the judgements that picked a side, the share that picked the left one (0.5 is no bias).
    pub left_won_share: Option<f64>,
    pub decided: usize,
    pub adjudicated: usize,
    pub agreement: Agreement,
    /// Lines written by the export this summary belongs to.
    pub exported: usize,
}

/// Everything the export, the summary and the DPO stage read, in one go.
#[derive(Debug)]
pub struct Snapshot {
    pub items: Vec<PrefItem>,
    pub ratings: Vec<RatingRow>,
    pub adjudications: HashMap<i64, Verdict>,
}

impl Snapshot {
    pub fn read(store: &Store) -> Result<Self, PrefsError> {
        Ok(Self {
            items: store.preference_items_full()?,
            ratings: store.ratings()?,
            adjudications: store
                .adjudications()?
                .into_iter()
                .filter_map(|(item, v)| Some((item, Verdict::from_db(&v)?)))
                .collect(),
        })
    }

    pub fn summary(&self) -> Summary {
        summarize(&self.items, &self.ratings, &self.adjudications)
    }

    /// `(prompt, chosen, rejected)` for every decided two-response item with a winner, then the
    /// imported labels of items nobody judged: what DPO trains on.
    pub fn pairs(
        &self,
        min_agreement: f64,
        include_imported: bool,
    ) -> Vec<(String, String, String)> {
        let decided = decisions(&judgements(&self.ratings), &self.adjudications);
        let mut out = Vec::new();
        for item in &self.items {
            let text = |id: i64| {
                item.responses
                    .iter()
                    .find(|r| r.id == id)
                    .map(|r| r.text.clone())
            };
            match decided.get(&item.id) {
                Some(d) if d.adjudicated || d.share >= min_agreement => {
                    if let Verdict::Won(winner) = d.verdict
                        && let Some(loser) = self.worst(item, winner)
                        && let Some(chosen) = text(winner)
                        && let Some(rejected) = text(loser)
                    {
                        out.push((item.prompt.clone(), chosen, rejected));
                    }
                }
                None if include_imported => {
                    let labelled = |origin: &str| {
                        item.responses
                            .iter()
                            .find(|r| r.origin == origin)
                            .map(|r| r.text.clone())
                    };
                    if !self
                        .ratings
                        .iter()
                        .any(|r| r.item_id == item.id && r.choice != Choice::Skipped)
                        && let (Some(c), Some(r)) = (labelled("chosen"), labelled("rejected"))
                    {
                        out.push((item.prompt.clone(), c, r));
                    }
                }
                Some(_) | None => {}
            }
        }
        out
    }

    /// The response to pair against the winner: the other one of two; of three or more, the one
    /// ranked lowest on average (unranked ones count as last).
    fn worst(&self, item: &PrefItem, winner: i64) -> Option<i64> {
        let others = item
            .responses
            .iter()
            .map(|r| r.id)
            .filter(|id| *id != winner);
        let rankings: Vec<&Vec<i64>> = self
            .ratings
            .iter()
            .filter(|r| r.item_id == item.id && r.choice == Choice::Ranked)
            .map(|r| &r.ranking)
            .collect();
        let mean_rank = |id: i64| -> f64 {
            if rankings.is_empty() {
                return 0.0;
            }
            rankings
                .iter()
                .map(|r| r.iter().position(|x| *x == id).unwrap_or(r.len()) as f64)
                .sum::<f64>()
                / rankings.len() as f64
        };
        // max_by keeps the last of equals; the earliest response wins a tie here.
        others
            .rev()
            .max_by(|a, b| mean_rank(*a).total_cmp(&mean_rank(*b)))
    }

    /// KTO lines: `(prompt, completion, desirable)`.
    fn kto(&self, options: &ExportOptions) -> Vec<(String, String, bool)> {
        let decided = decisions(&judgements(&self.ratings), &self.adjudications);
        let mut out = Vec::new();
        for item in &self.items {
            let Some(d) = decided.get(&item.id) else {
                continue;
            };
            if !d.adjudicated && d.share < options.min_agreement {
                continue;
            }
            for r in &item.responses {
                let label = match d.verdict {
                    Verdict::Won(winner) => Some(r.id == winner),
                    Verdict::Tie => options.ties_as_good.then_some(true),
                    Verdict::BothBad => options.both_bad_as_bad.then_some(false),
                };
                if let Some(label) = label {
                    out.push((item.prompt.clone(), r.text.clone(), label));
                }
            }
        }
        if options.include_imported {
            for (prompt, chosen, rejected) in self.pairs(1.1, true) {
                // pairs() with an impossible share yields only the imported, unjudged labels.
                out.push((prompt.clone(), chosen, true));
                out.push((prompt, rejected, false));
            }
        }
        out
    }
}

/// Each response id's place within its item.
pub fn positions(items: &[PrefItem]) -> HashMap<i64, usize> {
    items
        .iter()
        .flat_map(|i| i.responses.iter().enumerate().map(|(p, r)| (r.id, p)))
        .collect()
}

/// Counts, agreement and position bias of a set of ratings over `items`.
pub fn summarize<S: std::hash::BuildHasher>(
    items: &[PrefItem],
    ratings: &[RatingRow],
    adjudications: &HashMap<i64, Verdict, S>,
) -> Summary {
    let judged = judgements(ratings);
    let adjudicated: BTreeSet<i64> = adjudications.keys().copied().collect();
    let mut by_choice = BTreeMap::new();
    let mut per_annotator = BTreeMap::new();
    for r in ratings {
        *by_choice.entry(r.choice.name().to_owned()).or_default() += 1;
        if r.choice != Choice::Skipped {
            *per_annotator.entry(r.annotator.clone()).or_default() += 1;
        }
    }
    let sided: Vec<bool> = judged.iter().filter_map(|j| j.left_won).collect();
    let decided = decisions(&judged, adjudications);
    Summary {
        items: items.len(),
        judged_items: judged.iter().map(|j| j.item).collect::<BTreeSet<_>>().len(),
        judgements: judged.len(),
        skipped: ratings.len() - judged.len(),
        by_choice,
        per_annotator,
        left_won_share: (!sided.is_empty())
            .then(|| sided.iter().filter(|l| **l).count() as f64 / sided.len() as f64),
        decided: decided.len(),
        adjudicated: adjudicated.len(),
        agreement: agreement(&judged, &adjudicated, &positions(items)),
        exported: 0,
    }
}

/// Writes the export atomically and returns the summary (with the number of lines written).
pub fn export(store: &Store, options: &ExportOptions, out: &Path) -> Result<Summary, PrefsError> {
    let snapshot = Snapshot::read(store)?;
    let mut text = String::new();
    let mut lines = 0;
    match options.format {
        ExportFormat::Trl | ExportFormat::TrlMessages => {
            for (prompt, chosen, rejected) in
                snapshot.pairs(options.min_agreement, options.include_imported)
            {
                let line = if options.format == ExportFormat::Trl {
                    json!({"prompt": prompt, "chosen": chosen, "rejected": rejected})
                } else {
                    json!({
                        "prompt": [{"role": "user", "content": prompt}],
                        "chosen": [{"role": "assistant", "content": chosen}],
                        "rejected": [{"role": "assistant", "content": rejected}],
                    })
                };
                text.push_str(&line.to_string());
                text.push('\n');
                lines += 1;
            }
        }
        ExportFormat::Kto => {
            for (prompt, completion, label) in snapshot.kto(options) {
                text.push_str(
                    &json!({"prompt": prompt, "completion": completion, "label": label})
                        .to_string(),
                );
                text.push('\n');
                lines += 1;
            }
        }
    }
    crate::write_atomic(out, text.as_bytes()).map_err(|source| PrefsError::Io {
        path: out.to_owned(),
        source,
    })?;
    let mut summary = snapshot.summary();
    summary.exported = lines;
    Ok(summary)
}

/// What an import did: items added, and the lines it could not read (line number, why).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportReport {
    pub imported: usize,
    pub errors: Vec<(u64, String)>,
}

/// One line of an import: `prompt` + `responses` (strings), or TRL `prompt`/`chosen`/`rejected`
/// (strings or message lists), to be reviewed.
fn parse_line(line: &str) -> Result<(String, Vec<(String, String)>), String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let text_of = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            // A message list: the last message's content (TRL's conversational shape).
            Value::Array(list) => list
                .last()
                .and_then(|m| m.get("content"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => None,
        }
    };
    let prompt = value
        .get("prompt")
        .and_then(text_of)
        .filter(|p| !p.trim().is_empty())
        .ok_or("no \"prompt\" text")?;
    let responses: Vec<(String, String)> = if let Some(list) = value.get("responses") {
        let list = list.as_array().ok_or("\"responses\" is not a list")?;
        list.iter()
            .map(|r| {
                text_of(r)
                    .map(|t| (t, String::new()))
                    .ok_or_else(|| "a response is not text".to_owned())
            })
            .collect::<Result<_, _>>()?
    } else {
        let chosen = value
            .get("chosen")
            .and_then(text_of)
            .ok_or("no \"chosen\" or \"responses\"")?;
        let rejected = value
            .get("rejected")
            .and_then(text_of)
            .ok_or("no \"rejected\"")?;
        vec![(chosen, "chosen".into()), (rejected, "rejected".into())]
    };
    if responses.len() < 2 {
        return Err("fewer than two responses".into());
    }
    if responses.iter().any(|(t, _)| t.trim().is_empty()) {
        return Err("an empty response".into());
    }
    Ok((prompt, responses))
}

/// Adds the items of a JSONL file; bad lines are reported by number while good ones land, all
/// in one transaction.
pub fn import(
    store: &mut Store,
    path: &Path,
    source: &str,
    judgements_required: u32,
) -> Result<ImportReport, PrefsError> {
    let io = |source| PrefsError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut reader = std::io::BufReader::new(file);
    let mut report = ImportReport::default();
    let mut items = Vec::new();
    let mut raw = Vec::new();
    let mut line_no = 0u64;
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw).map_err(io)? == 0 {
            break;
        }
        line_no += 1;
        let Ok(line) = std::str::from_utf8(&raw) else {
            report.errors.push((line_no, "not UTF-8".into()));
            continue;
        };
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(line.trim()) {
            Ok(item) => items.push(item),
            Err(why) => report.errors.push((line_no, why)),
        }
    }
    report.imported = store.add_preference_items(&items, source, judgements_required.max(1))?;
    Ok(report)
}

/// Where candidate answers come from: a run's checkpoint, sampled at a temperature.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateModel {
    pub name: String,
    pub run_dir: PathBuf,
    pub checkpoint: String,
    pub temperature: f64,
}

/// Samples `per_model` answers (seeds `seed`, `seed + 1`, …) per prompt from each model and adds
/// every prompt with two or more distinct answers as an item needing `judgements` judgements.
/// `progress(done, total)` follows the prompts; `cancel` stops between answers. Returns the
/// number of items added (in one transaction at the end, so a cancel adds nothing).
#[allow(clippy::too_many_arguments)]
pub fn generate_candidates(
    store: &mut Store,
    prompts: &[String],
    models: &[CandidateModel],
    per_model: usize,
    max_tokens: usize,
    seed: u64,
    judgements: u32,
    progress: &dyn Fn(u64, u64),
    cancel: &dyn Fn() -> bool,
) -> Result<usize, PrefsError> {
    use crate::train::data::{Message, Role};
    let loaded: Vec<(&CandidateModel, crate::sft::ChatModel)> = models
        .iter()
        .map(|m| {
            crate::sft::ChatModel::load(&m.run_dir, &m.checkpoint)
                .map(|c| (m, c))
                .map_err(|e| PrefsError::Invalid(format!("{}: {e}", m.name)))
        })
        .collect::<Result<_, _>>()?;
    let mut items = Vec::new();
    for (n, prompt) in prompts.iter().enumerate() {
        progress(n as u64, prompts.len() as u64);
        let messages = [Message {
            role: Role::User,
            content: prompt.clone(),
        }];
        let mut answers: Vec<(String, String)> = Vec::new();
        for (model, chat) in &loaded {
            for k in 0..per_model.max(1) {
                if cancel() {
                    return Ok(0);
                }
                let sampling = crate::model::generate::SamplingConfig {
                    max_tokens: max_tokens.max(1),
                    temperature: model.temperature,
                    seed: seed + k as u64,
                    ..crate::model::generate::SamplingConfig::default()
                };
                let text = chat
                    .answer(&messages, &sampling, cancel)
                    .map_err(|e| PrefsError::Invalid(format!("{}: {e}", model.name)))?;
                if !text.is_empty() && !answers.iter().any(|(t, _)| *t == text) {
                    let origin = format!(
                        "{}@{} t={} seed={}",
                        model.name,
                        model.checkpoint,
                        model.temperature,
                        seed + k as u64
                    );
                    answers.push((text, origin));
                }
            }
        }
        if answers.len() >= 2 && !prompt.trim().is_empty() {
            items.push((prompt.clone(), answers));
        }
    }
    progress(prompts.len() as u64, prompts.len() as u64);
    Ok(store.add_preference_items(&items, "generated", judgements.max(1))?)
}

/// Writes a summary as pretty JSON to `out` (the CLI's `prefs stats --json` and the export's
/// companion file).
pub fn write_summary(summary: &Summary, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, summary)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_matches_the_textbook_example() {
        // 50 proposals, two readers: yes/yes 20, yes/no 5, no/yes 10, no/no 15 → κ = 0.4.
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n((1, 1), 20));
        pairs.extend(std::iter::repeat_n((1, 0), 5));
        pairs.extend(std::iter::repeat_n((0, 1), 10));
        pairs.extend(std::iter::repeat_n((0, 0), 15));
        let kappa = cohen_kappa(&pairs).expect("kappa");
        assert!((kappa - 0.4).abs() < 1e-12, "{kappa}");
        // Perfect agreement is 1; agreement no better than chance is 0.
        assert_eq!(cohen_kappa(&[(1, 1), (0, 0)]), Some(1.0));
        let chance = cohen_kappa(&[(1, 1), (1, 0), (0, 1), (0, 0)]).expect("kappa");
        assert!(chance.abs() < 1e-12);
        assert_eq!(cohen_kappa::<u8>(&[]), None);
    }

    #[test]
    fn alpha_matches_krippendorffs_nominal_example() {
        // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers,
        // 12 units, missing values; nominal α = 0.743.
        let a = [
            Some(1),
            Some(2),
            Some(3),
            Some(3),
            Some(2),
            Some(1),
            Some(4),
            Some(1),
            Some(2),
            None,
            None,
            None,
        ];
        let b = [
            Some(1),
            Some(2),
            Some(3),
            Some(3),
            Some(2),
            Some(2),
            Some(4),
            Some(1),
            Some(2),
            Some(5),
            None,
            Some(3),
        ];
        let c = [
            None,
            Some(3),
            Some(3),
            Some(3),
            Some(2),
            Some(3),
            Some(4),
            Some(2),
            Some(2),
            Some(5),
            Some(1),
            None,
        ];
        let d = [
            Some(1),
            Some(2),
            Some(3),
            Some(3),
            Some(2),
            Some(4),
            Some(4),
            Some(1),
            Some(2),
            Some(5),
            Some(1),
            None,
        ];
        let units: Vec<Vec<i32>> = (0..12)
            .map(|u| [a[u], b[u], c[u], d[u]].into_iter().flatten().collect())
            .collect();
        let alpha = krippendorff_alpha(&units).expect("alpha");
        assert!((alpha - 0.743).abs() < 0.0005, "{alpha}");
        assert_eq!(krippendorff_alpha(&[vec![1, 1], vec![1, 1]]), None);
    }

    #[test]
    fn the_shown_order_is_random_but_stable_and_is_undone_on_reading() {
        let responses = [10, 11];
        let mut left_first = 0;
        for item in 0..200 {
            let order = shown_order("Aysel", item, &responses);
            assert_eq!(order, shown_order("Aysel", item, &responses));
            let mut sorted = order.clone();
            sorted.sort_unstable();
            assert_eq!(sorted, responses);
            if order[0] == 10 {
                left_first += 1;
            }
            // Whatever side it was on, choosing it names the same response.
            let side = if order[0] == 11 { Choice::A } else { Choice::B };
            assert_eq!(Verdict::from_choice(side, &order), Some(Verdict::Won(11)));
        }
        assert!((70..130).contains(&left_first), "{left_first} of 200");
        assert_ne!(
            (0..20)
                .map(|i| shown_order("Aysel", i, &responses))
                .collect::<Vec<_>>(),
            (0..20)
                .map(|i| shown_order("Murad", i, &responses))
                .collect::<Vec<_>>()
        );
    }

    fn judgement(item: i64, annotator: &str, verdict: Verdict) -> Judgement {
        Judgement {
            item,
            annotator: annotator.into(),
            verdict,
            left_won: None,
        }
    }

    #[test]
    fn decisions_follow_a_clear_majority_or_the_adjudicator() {
        let js = vec![
            judgement(1, "a", Verdict::Won(10)),
            judgement(1, "b", Verdict::Won(10)),
            judgement(1, "c", Verdict::Won(11)),
            judgement(2, "a", Verdict::Won(20)),
            judgement(2, "b", Verdict::Won(21)),
        ];
        let d = decisions(&js, &HashMap::new());
        assert_eq!(d[&1].verdict, Verdict::Won(10));
        assert!((d[&1].share - 2.0 / 3.0).abs() < 1e-12);
        assert!(!d.contains_key(&2), "a split vote decides nothing");
        let agreement = agreement(&js, &BTreeSet::new(), &HashMap::new());
        assert_eq!(agreement.disagreements, vec![1, 2]);
        let adjudicated: HashMap<i64, Verdict> = [(2, Verdict::Won(21))].into();
        let d = decisions(&js, &adjudicated);
        assert_eq!(d[&2].verdict, Verdict::Won(21));
        assert!(d[&2].adjudicated);
        let agreement = super::agreement(&js, &[2].into(), &HashMap::new());
        assert_eq!(agreement.disagreements, vec![1]);
        assert_eq!(agreement.pairs.len(), 3);
    }

    #[test]
    fn import_lines_say_why_they_fail() {
        assert!(parse_line(r#"{"prompt": "P", "responses": ["a", "b"]}"#).is_ok());
        let (_, r) = parse_line(r#"{"prompt": "P", "chosen": "a", "rejected": "b"}"#).expect("trl");
        assert_eq!(r[0], ("a".to_owned(), "chosen".to_owned()));
        let (p, r) = parse_line(
            r#"{"prompt": [{"role": "user", "content": "P"}], "chosen": [{"role": "assistant", "content": "a"}], "rejected": [{"role": "assistant", "content": "b"}]}"#,
        )
        .expect("messages");
        assert_eq!((p.as_str(), r[1].0.as_str()), ("P", "b"));
        assert!(
            parse_line(r#"{"prompt": "P", "responses": ["a"]}"#)
                .expect_err("fails")
                .contains("two")
        );
        assert!(parse_line("{").expect_err("fails").contains("JSON"));
        assert!(
            parse_line(r#"{"responses": ["a", "b"]}"#)
                .expect_err("fails")
                .contains("prompt")
        );
    }
}
