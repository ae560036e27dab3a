//! Two near-duplicate documents side by side: the stretches where they differ, word by word,
//! with some context. Only those stretches are kept, so two whole law codes compare as a page
//! of hunks rather than two megabytes of text to lay out.

use std::time::Duration;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::core::corpus::dedup::{Shingle, jaccard, shingle_set};

/// Words of unchanged text kept around each change.
const CONTEXT_WORDS: usize = 12;
/// Hunks shown at most; the count of the rest is reported.
const MAX_HUNKS: usize = 200;

/// One side of a hunk: pieces of text, each changed (only on this side) or shared.
pub type Side = Vec<(String, bool)>;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hunk {
    pub left: Side,
    pub right: Side,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DocDiff {
    /// Jaccard similarity of the word 5-gram sets, as deduplication measures it.
    pub jaccard: f64,
    /// Share of words the two have in common, in order.
    pub ratio: f32,
    pub hunks: Vec<Hunk>,
    /// Hunks beyond [`MAX_HUNKS`], not included.
    pub more_hunks: usize,
    pub identical: bool,
}

/// Word-level differences between `left` and `right`. The diff gives up refining after
/// `timeout` (very different long texts) and then shows coarser hunks.
pub fn diff_documents(left: &str, right: &str, timeout: Duration) -> DocDiff {
    let shingle = Shingle::Words(5);
    let jaccard = jaccard(&shingle_set(left, shingle), &shingle_set(right, shingle));
    let diff = TextDiff::configure()
        .timeout(timeout)
        .diff_words(left, right);
    let groups = diff.grouped_ops(CONTEXT_WORDS);
    let mut hunks = Vec::new();
    for group in groups.iter().take(MAX_HUNKS) {
        let mut hunk = Hunk::default();
        for op in group {
            for change in diff.iter_changes(op) {
                let text = change.value().to_owned();
                match change.tag() {
                    ChangeTag::Equal => {
                        push(&mut hunk.left, &text, false);
                        push(&mut hunk.right, &text, false);
                    }
                    ChangeTag::Delete => push(&mut hunk.left, &text, true),
                    ChangeTag::Insert => push(&mut hunk.right, &text, true),
                }
            }
        }
        hunks.push(hunk);
    }
    DocDiff {
        jaccard,
        ratio: diff.ratio(),
        identical: groups.is_empty() || (groups.len() == 1 && left == right),
        more_hunks: groups.len().saturating_sub(MAX_HUNKS),
        hunks,
    }
}

/// Two short texts compared character by character (a normalisation preview).
pub fn char_sides(left: &str, right: &str) -> (Side, Side) {
    let diff = TextDiff::configure()
        .timeout(Duration::from_millis(50))
        .diff_chars(left, right);
    let (mut l, mut r) = (Side::new(), Side::new());
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => {
                push(&mut l, text, false);
                push(&mut r, text, false);
            }
            ChangeTag::Delete => push(&mut l, text, true),
            ChangeTag::Insert => push(&mut r, text, true),
        }
    }
    (l, r)
}

/// Appends to a side, merging with the previous piece when both are alike.
fn push(side: &mut Side, text: &str, changed: bool) {
    match side.last_mut() {
        Some((last, was)) if *was == changed => last.push_str(text),
        _ => side.push((text.to_owned(), changed)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_are_marked_on_each_side_with_context() {
        let left =
            "Bu Məcəllə fiziki və hüquqi şəxslər arasında yaranan münasibətlərə tətbiq edilir.";
        let right =
            "Bu Məcəllə fiziki və hüquqi şəxslər arasında yaranan münasibətlərə tətbiq olunur.";
        let d = diff_documents(left, right, Duration::from_secs(1));
        assert_eq!(d.hunks.len(), 1);
        let changed_left: Vec<&str> = d.hunks[0]
            .left
            .iter()
            .filter(|(_, c)| *c)
            .map(|(t, _)| t.as_str())
            .collect();
        let changed_right: Vec<&str> = d.hunks[0]
            .right
            .iter()
            .filter(|(_, c)| *c)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(changed_left, vec!["edilir."]);
        assert_eq!(changed_right, vec!["olunur."]);
        assert!(d.jaccard > 0.5 && d.jaccard < 1.0, "{}", d.jaccard);
        assert!(!d.identical);
        let same = diff_documents(left, left, Duration::from_secs(1));
        assert!(same.identical && same.hunks.is_empty());
    }
}
