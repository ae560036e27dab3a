//! Two near-duplicate documents aligned for review: first paragraph by paragraph, then word by
//! word inside the paragraphs that differ, so two versions of a law code show their shared
//! articles as shared (counted, mostly folded away) and only the changed passages in full.
//!
//! Every figure counts the same tokens: the words of deduplication's normaliser (Turkic
//! lower-casing, punctuation and spacing dropped), the ones its Jaccard similarity is made of.
//! A changed comma or a double space therefore never makes a paragraph "changed".

use std::collections::HashMap;
use std::ops::Range;
use std::time::{Duration, Instant};

use serde::Serialize;
use similar::{Algorithm, ChangeTag, DiffTag, TextDiff};

use crate::corpus::dedup::{Shingle, jaccard, normalise, shingle_set};
use crate::jobs::JobCtx;

/// Paragraphs of a long shared run shown at each of its ends; the rest is counted.
const SHARED_CONTEXT: usize = 1;
/// Changed passages shown at most; the rest are counted (and still measured).
pub const MAX_CHANGED: usize = 200;
/// Characters one side of a changed passage shows at most.
const MAX_SIDE_CHARS: usize = 4000;
/// Characters of one shared paragraph shown as context.
const MAX_SHARED_CHARS: usize = 400;

/// One side of a passage: pieces of text, each changed (only on this side) or shared.
pub type Side = Vec<(String, bool)>;

/// A stretch of the alignment, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Block {
    /// Paragraphs with the same words on both sides. `head` and `tail` are the first and last
    /// few as text; the `hidden` ones between them, with `hidden_words` words, are only counted.
    Shared {
        paragraphs: usize,
        words: usize,
        head: Vec<String>,
        hidden: usize,
        hidden_words: usize,
        tail: Vec<String>,
    },
    /// Paragraphs that differ, aligned word by word: marked pieces are only on their side.
    Changed {
        left: Side,
        right: Side,
        /// Words only on the left (right) side of this passage.
        left_only: usize,
        right_only: usize,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DocDiff {
    /// Jaccard similarity of the two shingle sets, as deduplication measured the pair.
    pub jaccard: f64,
    /// Words of each document.
    pub left_words: usize,
    pub right_words: usize,
    /// Words the alignment matched, in order: each counted once, on both sides.
    pub shared_words: usize,
    /// Paragraphs (of the left document) that are the same on both sides.
    pub shared_paragraphs: usize,
    /// Passages that differ (all of them, shown or not).
    pub changed_passages: usize,
    pub blocks: Vec<Block>,
    /// Changed passages beyond [`MAX_CHANGED`], measured but not shown.
    pub more_changed: usize,
    /// The same words in the same order (case, spacing and punctuation may differ).
    pub identical: bool,
    /// The alignment ran out of time and compared some passages coarsely: `shared_words` is
    /// then a lower bound.
    pub approximate: bool,
}

impl DocDiff {
    /// Share of the left document's words that are shared.
    pub fn left_share(&self) -> f64 {
        share(self.shared_words, self.left_words)
    }

    pub fn right_share(&self) -> f64 {
        share(self.shared_words, self.right_words)
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("the comparison was cancelled")]
    Cancelled,
}

/// A text cut into what the alignment compares.
#[derive(Debug, Default)]
struct Tokens {
    /// Byte ranges of the whitespace-separated pieces of the text.
    pieces: Vec<Range<usize>>,
    /// Per normalised word: its interned id, and the piece it is part of.
    ids: Vec<u32>,
    piece_of: Vec<usize>,
    /// Lines with at least one word: their pieces and their words.
    paras: Vec<Para>,
}

#[derive(Debug, Clone)]
struct Para {
    pieces: Range<usize>,
    words: Range<usize>,
}

fn tokenize(text: &str, words: &mut HashMap<String, u32>) -> Tokens {
    let mut t = Tokens::default();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let first_piece = t.pieces.len();
        let first_word = t.ids.len();
        let mut at = line_start;
        for piece in line.split_whitespace() {
            // Pieces come in order; find each after the previous one.
            let offset = line[at - line_start..].find(piece).unwrap_or(0) + at;
            let range = offset..offset + piece.len();
            at = range.end;
            let norm = normalise(piece);
            for word in norm.split(' ').filter(|w| !w.is_empty()) {
                let next = words.len() as u32;
                let id = *words.entry(word.to_owned()).or_insert(next);
                t.ids.push(id);
                t.piece_of.push(t.pieces.len());
            }
            t.pieces.push(range);
        }
        if t.ids.len() > first_word {
            t.paras.push(Para {
                pieces: first_piece..t.pieces.len(),
                words: first_word..t.ids.len(),
            });
        }
        line_start += line.len();
    }
    t
}

/// Interned ids of whole paragraphs (their word sequences), shared by both sides.
fn paragraph_ids<'a>(left: &'a Tokens, right: &'a Tokens) -> (Vec<u32>, Vec<u32>) {
    let mut ids: HashMap<&'a [u32], u32> = HashMap::new();
    let mut of = |t: &'a Tokens| -> Vec<u32> {
        t.paras
            .iter()
            .map(|p| {
                let next = ids.len() as u32;
                *ids.entry(&t.ids[p.words.clone()]).or_insert(next)
            })
            .collect()
    };
    let l = of(left);
    let r = of(right);
    (l, r)
}

/// The stretch of paragraphs `paras` covers, as a range of word indices.
fn words_of(t: &Tokens, paras: &Range<usize>) -> Range<usize> {
    if paras.is_empty() {
        let at = t
            .paras
            .get(paras.start)
            .map_or(t.ids.len(), |p| p.words.start);
        return at..at;
    }
    t.paras[paras.start].words.start..t.paras[paras.end - 1].words.end
}

/// Aligns `left` with `right` (see the module's doc). `shingle` is the one deduplication used,
/// for the Jaccard figure. Refinement stops after `timeout`; `ctx` gets progress in passages
/// and can cancel.
pub fn diff_documents(
    left: &str,
    right: &str,
    shingle: Shingle,
    timeout: Duration,
    ctx: Option<&JobCtx>,
) -> Result<DocDiff, DiffError> {
    let deadline = Instant::now() + timeout;
    let jaccard = jaccard(&shingle_set(left, shingle), &shingle_set(right, shingle));
    let mut words = HashMap::new();
    let lt = tokenize(left, &mut words);
    let rt = tokenize(right, &mut words);
    drop(words);
    let (lp, rp) = paragraph_ids(&lt, &rt);
    let ops = similar::capture_diff_slices_deadline(Algorithm::Patience, &lp, &rp, Some(deadline));

    // Consecutive non-equal operations form one changed passage.
    let mut passages: Vec<(bool, Range<usize>, Range<usize>)> = Vec::new();
    for op in &ops {
        let (tag, old, new) = op.as_tag_tuple();
        let equal = tag == DiffTag::Equal;
        match passages.last_mut() {
            Some((false, o, n)) if !equal => {
                o.end = old.end;
                n.end = new.end;
            }
            _ => passages.push((equal, old, new)),
        }
    }

    let mut diff = DocDiff {
        jaccard,
        left_words: lt.ids.len(),
        right_words: rt.ids.len(),
        ..DocDiff::default()
    };
    let total = passages.len() as u64;
    let mut left_changed = vec![false; lt.ids.len()];
    let mut right_changed = vec![false; rt.ids.len()];
    let last = passages.len().saturating_sub(1);
    for (i, (equal, old, new)) in passages.into_iter().enumerate() {
        if let Some(ctx) = ctx {
            if ctx.is_cancelled() {
                return Err(DiffError::Cancelled);
            }
            ctx.progress(i as u64, Some(total));
        }
        // Past the changed passages shown, the rest is measured, not kept.
        let shown = diff.changed_passages < MAX_CHANGED;
        if equal {
            let w = words_of(&lt, &old).len();
            diff.shared_words += w;
            diff.shared_paragraphs += old.len();
            if shown {
                diff.blocks
                    .push(shared_block(left, &lt, old, w, i == 0, i == last));
            }
            continue;
        }
        let lw = words_of(&lt, &old);
        let rw = words_of(&rt, &new);
        let now = Instant::now();
        if now >= deadline {
            diff.approximate = true;
        }
        // Past the deadline similar still answers, with a coarse alignment.
        let word_ops = similar::capture_diff_slices_deadline(
            Algorithm::Myers,
            &lt.ids[lw.clone()],
            &rt.ids[rw.clone()],
            Some(deadline.max(now + Duration::from_millis(20))),
        );
        let (mut left_only, mut right_only) = (0, 0);
        for op in &word_ops {
            let (tag, o, n) = op.as_tag_tuple();
            if tag == DiffTag::Equal {
                diff.shared_words += o.len();
                continue;
            }
            left_only += o.len();
            right_only += n.len();
            for k in o {
                left_changed[lw.start + k] = true;
            }
            for k in n {
                right_changed[rw.start + k] = true;
            }
        }
        diff.changed_passages += 1;
        if !shown {
            diff.more_changed += 1;
            continue;
        }
        diff.blocks.push(Block::Changed {
            left: side(left, &lt, &old, &left_changed),
            right: side(right, &rt, &new, &right_changed),
            left_only,
            right_only,
        });
    }
    if Instant::now() > deadline {
        diff.approximate = true;
    }
    if let Some(ctx) = ctx {
        ctx.progress(total, Some(total));
    }
    diff.identical = diff.changed_passages == 0;
    Ok(diff)
}

/// A shared run: its ends as context (only the end that touches a change at the documents'
/// start and end), the middle counted.
fn shared_block(
    text: &str,
    t: &Tokens,
    paras: Range<usize>,
    words: usize,
    first: bool,
    last: bool,
) -> Block {
    let n = paras.len();
    let head_n = if first { 0 } else { SHARED_CONTEXT.min(n) };
    let tail_n = if last {
        0
    } else {
        SHARED_CONTEXT.min(n - head_n)
    };
    let para_text = |p: usize| -> String {
        let para = &t.paras[p];
        let start = t.pieces[para.pieces.start].start;
        let end = t.pieces[para.pieces.end - 1].end;
        cut_chars(&text[start..end], MAX_SHARED_CHARS)
    };
    let head: Vec<String> = (paras.start..paras.start + head_n).map(para_text).collect();
    let tail: Vec<String> = (paras.end - tail_n..paras.end).map(para_text).collect();
    let hidden_range = paras.start + head_n..paras.end - tail_n;
    let hidden_words = words_of(t, &hidden_range).len();
    Block::Shared {
        paragraphs: n,
        words,
        head,
        hidden: hidden_range.len(),
        hidden_words,
        tail,
    }
}

/// The text of paragraphs `paras`, a line each, with the pieces holding a changed word marked.
fn side(text: &str, t: &Tokens, paras: &Range<usize>, changed: &[bool]) -> Side {
    let mut out = Side::new();
    let mut chars = 0usize;
    let mut piece_changed = vec![false; 0];
    for (n, p) in paras.clone().enumerate() {
        let para = &t.paras[p];
        piece_changed.clear();
        piece_changed.resize(para.pieces.len(), false);
        for w in para.words.clone() {
            if changed[w] {
                piece_changed[t.piece_of[w] - para.pieces.start] = true;
            }
        }
        if n > 0 {
            push(&mut out, "\n", false);
        }
        for (k, piece) in para.pieces.clone().enumerate() {
            if k > 0 {
                // A run of changed words reads as one marked stretch.
                push(&mut out, " ", piece_changed[k - 1] && piece_changed[k]);
            }
            let s = &text[t.pieces[piece].clone()];
            chars += s.chars().count() + 1;
            push(&mut out, s, piece_changed[k]);
            if chars > MAX_SIDE_CHARS {
                push(&mut out, " …", false);
                return out;
            }
        }
    }
    out
}

/// At most `max` characters of `s`, with an ellipsis when cut.
fn cut_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Two short texts compared character by character (a normalisation preview).
pub fn char_sides(left: &str, right: &str) -> (Side, Side) {
    char_sides_up_to(left, right, false)
}

/// [`char_sides`] of two texts cut at a fixed length: what follows their last shared stretch
/// is dropped (the cut ends do not correspond) and an ellipsis marks the cut.
pub fn char_sides_to_last_shared(left: &str, right: &str) -> (Side, Side) {
    char_sides_up_to(left, right, true)
}

fn char_sides_up_to(left: &str, right: &str, to_last_shared: bool) -> (Side, Side) {
    let diff = TextDiff::configure()
        .timeout(Duration::from_millis(50))
        .diff_chars(left, right);
    let ops = diff.ops();
    let keep = if to_last_shared {
        ops.iter()
            .rposition(|op| op.tag() == DiffTag::Equal)
            .map_or(ops.len(), |i| i + 1)
    } else {
        ops.len()
    };
    let (mut l, mut r) = (Side::new(), Side::new());
    for op in &ops[..keep] {
        for change in diff.iter_changes(op) {
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
    }
    if keep < ops.len() {
        push(&mut l, "…", false);
        push(&mut r, "…", false);
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

    const WORDS: Shingle = Shingle::Words(5);

    /// Article `n` of a code, as one conversion writes it (markdown headings, double spaces).
    fn article_a(n: usize) -> String {
        format!(
            "## Maddə {n}. Mülki hüquq münasibətlərinin {n}-ci növü\n\n\
             - {n}.1. Bu  Məcəllənin  məqsədi üçüncü şəxslərin hüquqlarına xələl gətirmədən \
             mülki dövriyyənin azadlığını təmin etməkdir.\n\n"
        )
    }

    /// The same article as another conversion writes it (other heading level, tabs, spacing).
    fn article_b(n: usize) -> String {
        format!(
            "###### Maddə {n}.\tMülki hüquq münasibətlərinin {n}-ci növü\n\
             - {n}.1.       Bu Məcəllənin məqsədi üçüncü şəxslərin hüquqlarına xələl \
             gətirmədən mülki dövriyyənin azadlığını təmin etməkdir.\n"
        )
    }

    fn only(side: &Side, changed: bool) -> Vec<String> {
        side.iter()
            .filter(|(_, c)| *c == changed)
            .map(|(t, _)| t.trim().to_owned())
            .collect()
    }

    fn word_count(text: &str) -> usize {
        normalise(text).split(' ').filter(|w| !w.is_empty()).count()
    }

    #[test]
    fn two_conversions_of_a_code_share_their_articles_and_show_only_the_changes() {
        let mut left = String::new();
        let mut right = String::new();
        for n in 1..=60 {
            left.push_str(&article_a(n));
            if n == 30 {
                // One article reworded, one list split into items in the other conversion.
                right.push_str(
                    "###### Maddə 30.\tMülki hüquq münasibətlərinin 30-cu növü\n\
                     - 30.1. Bu Məcəllənin vəzifəsi üçüncü şəxslərin hüquqlarına xələl \
                     gətirmədən mülki dövriyyənin azadlığını təmin etməkdir.\n",
                );
            } else {
                right.push_str(&article_b(n));
            }
        }
        right.push_str("- § Bu Məcəllə rəsmi dərc edildiyi gündən qüvvəyə minir.\n");
        let d = diff_documents(&left, &right, WORDS, Duration::from_secs(5), None).expect("diff");

        // The figures count the deduplication normaliser's words and add up.
        assert_eq!(d.left_words, word_count(&left));
        assert_eq!(d.right_words, word_count(&right));
        let (mut left_only, mut right_only) = (0, 0);
        for block in &d.blocks {
            if let Block::Changed {
                left_only: l,
                right_only: r,
                ..
            } = block
            {
                left_only += l;
                right_only += r;
            }
        }
        assert_eq!(d.shared_words + left_only, d.left_words);
        assert_eq!(d.shared_words + right_only, d.right_words);
        assert!(d.left_share() > 0.97 && d.right_share() > 0.95, "{d:?}");
        assert!(!d.identical && !d.approximate);

        // Markup and spacing are not changes; the reworded word and the new sentence are.
        assert_eq!(d.changed_passages, 2, "{:#?}", d.blocks);
        let changed: Vec<&Block> = d
            .blocks
            .iter()
            .filter(|b| matches!(b, Block::Changed { .. }))
            .collect();
        let Block::Changed { left, right, .. } = changed[0] else {
            unreachable!()
        };
        // The piece holding the changed suffix ("30-ci" → "30-cu") and the reworded word.
        assert_eq!(only(left, true), vec!["30-ci", "məqsədi"], "{left:?}");
        assert_eq!(only(right, true), vec!["30-cu", "vəzifəsi"], "{right:?}");
        let Block::Changed { left, right, .. } = changed[1] else {
            unreachable!()
        };
        assert!(left.is_empty(), "{left:?}");
        assert!(only(right, true)[0].contains("qüvvəyə minir"), "{right:?}");

        // The long shared runs are folded with counts, a paragraph of context at each end.
        let Some(Block::Shared {
            paragraphs,
            head,
            hidden,
            tail,
            words,
            hidden_words,
        }) = d.blocks.first()
        else {
            panic!("{:?}", d.blocks.first());
        };
        assert_eq!(*paragraphs, 29 * 2, "articles 1–29, heading and text");
        assert!(head.is_empty(), "nothing precedes the document's start");
        assert_eq!(tail.len(), 1);
        assert!(tail[0].starts_with("- 29.1. Bu"), "{tail:?}");
        assert_eq!(*hidden, paragraphs - 1);
        assert!(*hidden_words < *words && *hidden_words > 0);
    }

    #[test]
    fn identical_words_are_identical_whatever_the_spacing_and_a_rewording_is_marked() {
        let left =
            "Bu Məcəllə fiziki və hüquqi şəxslər arasında yaranan münasibətlərə tətbiq edilir.";
        let spaced =
            "Bu  Məcəllə\tfiziki və hüquqi şəxslər arasında yaranan münasibətlərə tətbiq edilir";
        let d = diff_documents(left, spaced, WORDS, Duration::from_secs(1), None).expect("diff");
        assert!(d.identical && d.changed_passages == 0);
        assert_eq!((d.shared_words, d.left_words), (11, 11));
        assert!((d.jaccard - 1.0).abs() < 1e-9);

        let right = left.replace("tətbiq edilir", "tətbiq olunur");
        let d = diff_documents(left, &right, WORDS, Duration::from_secs(1), None).expect("diff");
        let [Block::Changed { left, right, .. }] = d.blocks.as_slice() else {
            panic!("{:?}", d.blocks);
        };
        assert_eq!(only(left, true), vec!["edilir."]);
        assert_eq!(only(right, true), vec!["olunur."]);
        assert_eq!(d.shared_words, 10);
        // 7 five-word shingles each, 6 in common: the Jaccard figure and the shared words
        // come from the same words.
        assert!((d.jaccard - 6.0 / 8.0).abs() < 1e-9, "{}", d.jaccard);
    }

    #[test]
    fn progress_reaches_the_total_and_cancel_stops_the_comparison() {
        let left: String = (1..=50).map(article_a).collect();
        let right: String = (1..=50)
            .map(|n| {
                if n % 5 == 0 {
                    article_b(n).replace("məqsədi", "vəzifəsi")
                } else {
                    article_b(n)
                }
            })
            .collect();
        let mut jobs = crate::jobs::Jobs::new(None);
        let (l, r) = (left.clone(), right.clone());
        jobs.spawn("diff", move |ctx| {
            let d = diff_documents(&l, &r, WORDS, Duration::from_secs(5), Some(ctx))?;
            Ok(d.changed_passages.to_string())
        })
        .expect("spawn");
        let mut last = None;
        let mut outcome = None;
        while outcome.is_none() {
            let event = jobs
                .recv_timeout(Duration::from_secs(10))
                .expect("an event");
            match event.kind {
                crate::jobs::EventKind::Progress(p) => last = Some(p),
                crate::jobs::EventKind::Finished(o) => outcome = Some(o),
                _ => {}
            }
        }
        assert_eq!(outcome, Some(crate::jobs::Outcome::Done("10".into())));
        let last = last.expect("progress");
        assert_eq!(
            last.total,
            Some(20),
            "10 changed passages, each after a shared run"
        );
        assert_eq!(last.done, 20);

        // Cancelled before it starts: it stops at the first passage.
        let stopped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let saw = std::sync::Arc::clone(&stopped);
        let mut jobs = crate::jobs::Jobs::new(None);
        let id = jobs
            .spawn("diff", move |ctx| {
                while !ctx.is_cancelled() {
                    std::thread::sleep(Duration::from_millis(1));
                }
                let result =
                    diff_documents(&left, &right, WORDS, Duration::from_secs(5), Some(ctx));
                saw.store(
                    matches!(result, Err(DiffError::Cancelled)),
                    std::sync::atomic::Ordering::SeqCst,
                );
                Ok(String::new())
            })
            .expect("spawn");
        jobs.cancel(id);
        let mut board = crate::jobs::JobBoard::default();
        while board.get(id).and_then(|j| j.outcome.clone()).is_none() {
            if let Some(e) = jobs.recv_timeout(Duration::from_secs(10)) {
                board.apply(e);
            }
        }
        assert!(stopped.load(std::sync::atomic::Ordering::SeqCst));
    }
}
