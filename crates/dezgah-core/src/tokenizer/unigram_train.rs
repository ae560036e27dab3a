//! Unigram (SentencePiece-style) training of our own, writing the same kind of `tokenizer.json`
//! as `tokenizers`' `UnigramTrainer` with the same algorithm: seed pieces from a suffix array,
//! EM with a sparse (digamma) prior, and pruning by the likelihood each piece would cost.
//!
//! The crate's trainer spends nearly all its time building lattices: every word, in every EM
//! step, walks a trie of hash maps and allocates a node per candidate piece. Pieces are only
//! ever removed, so here every word's candidate pieces are found once, from the seed pieces, and
//! each later step filters that list; forward-backward runs in probability space (log space
//! only for the rare word whose probability would underflow).

use rayon::prelude::*;
use tokenizers::AddedToken;

use super::TokenizerError;
use super::bpe_train::{self, Split};
use super::fast::{MixMap, Norm};
use crate::jobs::JobCtx;

/// How many pieces the suffix array seeds (characters included), as the crate and spm.
const SEED_SIZE: usize = 1_000_000;
/// Each pruning keeps this share of the pieces.
const SHRINKING: f64 = 0.75;
/// EM steps between prunings.
const SUB_ITERATIONS: usize = 2;
/// How far below the least likely piece an unknown character scores.
const UNK_PENALTY: f64 = 10.0;
/// Words longer than this (in characters) are left out of EM (their characters are kept).
const MAX_WORD: usize = u16::MAX as usize;
/// No piece: a trie node where no piece ends, a dropped piece.
const NONE: u32 = u32::MAX;

/// What training needs besides the text.
pub(super) struct Settings<'a> {
    /// Pieces and special tokens together.
    pub vocab_size: usize,
    pub special: &'a [AddedToken],
    pub unk: &'a str,
    /// In characters.
    pub max_piece_length: usize,
    pub normalizer: Option<tokenizers::NormalizerWrapper>,
    pub norm: Norm,
}

/// The trained vocabulary (special tokens first) with scores, and the unknown token's id.
pub(super) struct Trained {
    pub vocab: Vec<(String, f64)>,
    pub unk_id: usize,
}

/// The distinct words, as dense character ids, with their counts.
struct Words {
    chars: Vec<u32>,
    starts: Vec<usize>,
    counts: Vec<f64>,
}

impl Words {
    fn len(&self) -> usize {
        self.counts.len()
    }

    fn word(&self, w: usize) -> &[u32] {
        &self.chars[self.starts[w]..self.starts[w + 1]]
    }
}

/// One candidate piece in a word, from character `start` to `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edge {
    piece: u32,
    start: u16,
    end: u16,
}

/// Every word's candidate pieces, by word, then by start, then by length.
struct Lattices {
    edges: Vec<Edge>,
    starts: Vec<usize>,
}

impl Lattices {
    fn of(&self, w: usize) -> &[Edge] {
        &self.edges[self.starts[w]..self.starts[w + 1]]
    }
}

/// The pieces by id (id 0 is the unknown piece, with no characters) and their log probabilities.
struct Pieces {
    chars: Vec<Vec<u32>>,
    scores: Vec<f64>,
}

impl Pieces {
    fn len(&self) -> usize {
        self.chars.len()
    }

    /// The unknown piece's score in a lattice: below every piece.
    fn unk_score(&self) -> f64 {
        let min = self.scores[1..]
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let min = if min.is_finite() { min } else { 0.0 };
        min - UNK_PENALTY
    }

    /// Log probabilities by id, with the unknown piece's in slot 0.
    fn log_probs(&self) -> Vec<f64> {
        let mut out = self.scores.clone();
        out[0] = self.unk_score();
        out
    }

    /// Keeps the pieces `keep` lists (in that order) with new scores; returns old id → new id.
    fn select(&mut self, keep: &[(u32, f64)]) -> Vec<u32> {
        let mut map = vec![NONE; self.len()];
        let mut chars = Vec::with_capacity(keep.len());
        let mut scores = Vec::with_capacity(keep.len());
        for (new, &(old, score)) in keep.iter().enumerate() {
            map[old as usize] = new as u32;
            chars.push(std::mem::take(&mut self.chars[old as usize]));
            scores.push(score);
        }
        self.chars = chars;
        self.scores = scores;
        map
    }
}

/// The hash key of a trie edge. The node goes in the low half: the map's hasher multiplies,
/// and the bucket comes from the low bits of the product, which only low input bits reach.
fn key(node: u32, c: u32) -> u64 {
    u64::from(c) << 32 | u64::from(node)
}

/// A trie of pieces over character ids: the root's children by id, the others in a hash map.
struct Trie {
    root: Vec<u32>,
    next: MixMap<u64, u32>,
    /// Per node, the piece that ends there.
    piece: Vec<u32>,
}

impl Trie {
    fn build(pieces: &Pieces, alphabet: usize) -> Self {
        let mut trie = Self {
            root: vec![0; alphabet],
            next: MixMap::default(),
            piece: vec![NONE],
        };
        trie.next.reserve(pieces.len() * 2);
        for (id, chars) in pieces.chars.iter().enumerate().skip(1) {
            let mut node = 0u32;
            for (depth, &c) in chars.iter().enumerate() {
                let slot = if depth == 0 {
                    trie.root[c as usize]
                } else {
                    trie.next.get(&(key(node, c))).copied().unwrap_or(0)
                };
                node = if slot == 0 {
                    let child = trie.piece.len() as u32;
                    trie.piece.push(NONE);
                    if depth == 0 {
                        trie.root[c as usize] = child;
                    } else {
                        trie.next.insert(key(node, c), child);
                    }
                    child
                } else {
                    slot
                };
            }
            trie.piece[node as usize] = id as u32;
        }
        trie
    }

    /// Calls `each(length, piece)` for every piece that `text` starts with, shortest first.
    fn prefixes(&self, text: &[u32], mut each: impl FnMut(usize, u32)) {
        let Some(&first) = text.first() else {
            return;
        };
        let mut node = self.root[first as usize];
        let mut len = 1;
        while node != 0 {
            let piece = self.piece[node as usize];
            if piece != NONE {
                each(len, piece);
            }
            let Some(&c) = text.get(len) else {
                return;
            };
            node = self.next.get(&(key(node, c))).copied().unwrap_or(0);
            len += 1;
        }
    }
}

/// Trains on `batches` of documents (read by the caller).
pub(super) fn train(
    batches: impl Iterator<Item = Vec<String>>,
    settings: &Settings<'_>,
    ctx: Option<&JobCtx>,
) -> Result<Trained, TokenizerError> {
    let cancelled = || ctx.is_some_and(JobCtx::is_cancelled);
    let check = || {
        if cancelled() {
            Err(TokenizerError::Cancelled)
        } else {
            Ok(())
        }
    };
    let log = |line: String| {
        log::debug!("{line}");
        if let Some(ctx) = ctx {
            ctx.log(line);
        }
    };
    let pool = std::sync::Mutex::new(Vec::new());
    for batch in batches {
        bpe_train::count_words(
            &batch,
            settings.norm,
            settings.normalizer.as_ref(),
            Split::Metaspace,
            &pool,
        );
        check()?;
    }
    let counts = bpe_train::merge_counts(pool);
    let (words, alphabet) = dense_words(counts);
    let budget = budget(settings)?;
    if alphabet.len() > budget {
        return Err(TokenizerError::Invalid(format!(
            "the text has {} distinct characters, more than the vocabulary of {} can hold \
             besides the special tokens",
            alphabet.len(),
            settings.vocab_size
        )));
    }
    if words.len() == 0 {
        return Err(TokenizerError::Invalid("no words to train on".to_owned()));
    }

    let mut pieces = seed_pieces(&words, &alphabet, settings.max_piece_length)?;
    log(format!(
        "{} seed pieces from {} distinct words",
        pieces.len() - 1,
        words.len()
    ));
    check()?;
    let trie = Trie::build(&pieces, alphabet.len());
    let mut lattices = find_edges(&words, &trie, settings.max_piece_length);
    drop(trie);
    check()?;

    let desired = settings.vocab_size * 11 / 10;
    let mut round = 0;
    loop {
        for _ in 0..SUB_ITERATIONS {
            let expected = e_step(&words, &lattices, &pieces);
            let keep = m_step(&expected);
            let map = pieces.select(&keep);
            lattices = remap(&lattices, &words, &map);
            check()?;
        }
        round += 1;
        log(format!("EM round {round}: {} pieces", pieces.len() - 1));
        if pieces.len() <= desired {
            break;
        }
        let keep = prune(&words, &lattices, &pieces, alphabet.len(), desired);
        let map = pieces.select(&keep);
        lattices = remap(&lattices, &words, &map);
        check()?;
    }
    Ok(finalize(&pieces, &alphabet, settings))
}

/// How many pieces the model may hold besides the special tokens (and the unknown token, which
/// is added in front when it is not one of them).
fn budget(settings: &Settings<'_>) -> Result<usize, TokenizerError> {
    let add_unk = !settings.special.iter().any(|t| t.content == settings.unk);
    settings
        .vocab_size
        .checked_sub(settings.special.len() + usize::from(add_unk))
        .filter(|&b| b > 0)
        .ok_or_else(|| {
            TokenizerError::Invalid(format!(
                "a vocabulary of {} cannot hold the special tokens and any piece",
                settings.vocab_size
            ))
        })
}

/// The words as dense character ids (most frequent words first, then by bytes, so training is
/// deterministic), and the characters by id.
fn dense_words(counts: bpe_train::Counts) -> (Words, Vec<char>) {
    let mut list: Vec<(Vec<u8>, u64)> = counts.into_iter().collect();
    list.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut ids: MixMap<char, u32> = MixMap::default();
    let mut alphabet = Vec::new();
    let mut words = Words {
        chars: Vec::new(),
        starts: vec![0],
        counts: Vec::new(),
    };
    for (bytes, count) in list {
        let text = String::from_utf8_lossy(&bytes);
        let from = words.chars.len();
        for c in text.chars() {
            let id = *ids.entry(c).or_insert_with(|| {
                alphabet.push(c);
                alphabet.len() as u32 - 1
            });
            words.chars.push(id);
        }
        if words.chars.len() - from > MAX_WORD {
            words.chars.truncate(from);
            continue;
        }
        words.starts.push(words.chars.len());
        words.counts.push(count as f64);
    }
    (words, alphabet)
}

/// The seed pieces: every character (scored by its count), then the substrings a suffix array
/// finds repeated (scored by occurrences × length), up to [`SEED_SIZE`]; scores become log
/// probabilities. Id 0 is the unknown piece.
fn seed_pieces(
    words: &Words,
    alphabet: &[char],
    max_piece_length: usize,
) -> Result<Pieces, TokenizerError> {
    let mut char_counts = vec![0.0f64; alphabet.len()];
    let mut flat = String::with_capacity(words.chars.len() * 2 + words.len());
    for w in 0..words.len() {
        for &c in words.word(w) {
            char_counts[c as usize] += words.counts[w];
            flat.push(alphabet[c as usize]);
        }
        flat.push('\0');
    }
    let suffix = esaxx_rs::suffix_rs(&flat)
        .map_err(|e| TokenizerError::Invalid(format!("suffix array: {e:?}")))?;
    let mut substrings: Vec<(u64, &[char])> = suffix
        .iter()
        .filter(|(s, _)| s.len() > 1 && s.len() <= max_piece_length && !s.contains(&'\0'))
        .map(|(s, freq)| (u64::from(freq) * s.len() as u64, s))
        .collect();
    let order = |a: &(u64, &[char]), b: &(u64, &[char])| b.cmp(a);
    let room = SEED_SIZE.saturating_sub(alphabet.len());
    if substrings.len() > room && room > 0 {
        substrings.select_nth_unstable_by(room - 1, order);
        substrings.truncate(room);
    }
    substrings.sort_unstable_by(order);

    let mut by_count: Vec<u32> = (0..alphabet.len() as u32).collect();
    by_count.sort_by(|&a, &b| {
        char_counts[b as usize]
            .total_cmp(&char_counts[a as usize])
            .then_with(|| alphabet[b as usize].cmp(&alphabet[a as usize]))
    });
    let ids: MixMap<char, u32> = alphabet
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, i as u32))
        .collect();
    let mut pieces = Pieces {
        chars: vec![Vec::new()],
        scores: vec![0.0],
    };
    // A character seen only in words too long for EM gets no seed.
    for c in by_count
        .into_iter()
        .filter(|&c| char_counts[c as usize] > 0.0)
    {
        pieces.chars.push(vec![c]);
        pieces.scores.push(char_counts[c as usize]);
    }
    for (score, s) in substrings {
        pieces.chars.push(s.iter().map(|c| ids[c]).collect());
        pieces.scores.push(score as f64);
    }
    let log_sum = pieces.scores[1..].iter().sum::<f64>().ln();
    for score in &mut pieces.scores[1..] {
        *score = score.ln() - log_sum;
    }
    Ok(pieces)
}

/// Splits `0..n` into contiguous ranges, a few per thread.
fn ranges(n: usize) -> Vec<std::ops::Range<usize>> {
    let parts = (rayon::current_num_threads() * 4).clamp(1, n.max(1));
    let size = n.div_ceil(parts).max(1);
    (0..n)
        .step_by(size)
        .map(|from| from..(from + size).min(n))
        .collect()
}

/// Every word's candidate pieces from the trie of the seed pieces.
fn find_edges(words: &Words, trie: &Trie, max_piece_length: usize) -> Lattices {
    let parts: Vec<(Vec<Edge>, Vec<usize>)> = ranges(words.len())
        .into_par_iter()
        .map(|range| {
            let mut edges = Vec::new();
            let mut lens = Vec::with_capacity(range.len());
            for w in range {
                let word = words.word(w);
                let before = edges.len();
                for start in 0..word.len() {
                    let end = (start + max_piece_length).min(word.len());
                    trie.prefixes(&word[start..end], |len, piece| {
                        edges.push(Edge {
                            piece,
                            start: start as u16,
                            end: (start + len) as u16,
                        });
                    });
                }
                lens.push(edges.len() - before);
            }
            (edges, lens)
        })
        .collect();
    join(parts)
}

/// Concatenates per-range edges and per-word edge counts into one [`Lattices`].
fn join(parts: Vec<(Vec<Edge>, Vec<usize>)>) -> Lattices {
    let total = parts.iter().map(|p| p.0.len()).sum();
    let mut lattices = Lattices {
        edges: Vec::with_capacity(total),
        starts: vec![0],
    };
    for (edges, lens) in parts {
        lattices.edges.extend_from_slice(&edges);
        for len in lens {
            let last = *lattices.starts.last().unwrap_or(&0);
            lattices.starts.push(last + len);
        }
    }
    lattices
}

/// Renumbers the edges after pieces were dropped (`map`: old id → new id or [`NONE`]); a
/// character left without a piece of its own gets the unknown piece, as the crate's lattice does.
fn remap(lattices: &Lattices, words: &Words, map: &[u32]) -> Lattices {
    let parts: Vec<(Vec<Edge>, Vec<usize>)> = ranges(words.len())
        .into_par_iter()
        .map(|range| {
            let mut edges = Vec::new();
            let mut lens = Vec::with_capacity(range.len());
            for w in range {
                let before = edges.len();
                let mut next_single = 0u16; // the first position not yet known to be covered
                for e in lattices.of(w) {
                    let piece = map[e.piece as usize];
                    if piece == NONE {
                        continue;
                    }
                    while next_single < e.start {
                        edges.push(Edge {
                            piece: 0,
                            start: next_single,
                            end: next_single + 1,
                        });
                        next_single += 1;
                    }
                    if e.start == next_single && e.end == e.start + 1 {
                        next_single += 1;
                    } else if e.start == next_single {
                        // Longer pieces only at this start: the unknown piece goes first.
                        edges.push(Edge {
                            piece: 0,
                            start: next_single,
                            end: next_single + 1,
                        });
                        next_single += 1;
                    }
                    edges.push(Edge { piece, ..*e });
                }
                let len = words.word(w).len() as u16;
                while next_single < len {
                    edges.push(Edge {
                        piece: 0,
                        start: next_single,
                        end: next_single + 1,
                    });
                    next_single += 1;
                }
                lens.push(edges.len() - before);
            }
            (edges, lens)
        })
        .collect();
    join(parts)
}

fn log_add(a: f64, b: f64) -> f64 {
    if a == f64::NEG_INFINITY {
        return b;
    }
    if b == f64::NEG_INFINITY {
        return a;
    }
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    hi + (lo - hi).exp().ln_1p()
}

/// Expected count of each piece over all words (forward-backward on each word's lattice).
fn e_step(words: &Words, lattices: &Lattices, pieces: &Pieces) -> Vec<f64> {
    let log_p = pieces.log_probs();
    let p: Vec<f64> = log_p.iter().map(|s| s.exp()).collect();
    ranges(words.len())
        .into_par_iter()
        .map(|range| {
            let mut expected = vec![0.0f64; pieces.len()];
            let mut alpha = Vec::new();
            let mut beta = Vec::new();
            for w in range {
                let edges = lattices.of(w);
                let n = words.word(w).len();
                let count = words.counts[w];
                alpha.clear();
                alpha.resize(n + 1, 0.0);
                alpha[0] = 1.0;
                for e in edges {
                    alpha[usize::from(e.end)] += alpha[usize::from(e.start)] * p[e.piece as usize];
                }
                let z = alpha[n];
                beta.clear();
                if z > 1e-280 && z.is_finite() {
                    beta.resize(n + 1, 0.0);
                    beta[n] = 1.0;
                    let scale = count / z;
                    for e in edges.iter().rev() {
                        let tail = p[e.piece as usize] * beta[usize::from(e.end)];
                        beta[usize::from(e.start)] += tail;
                        expected[e.piece as usize] += alpha[usize::from(e.start)] * tail * scale;
                    }
                    continue;
                }
                // Too long a word for probabilities: log space.
                alpha.fill(f64::NEG_INFINITY);
                alpha[0] = 0.0;
                for e in edges {
                    let s = alpha[usize::from(e.start)] + log_p[e.piece as usize];
                    alpha[usize::from(e.end)] = log_add(alpha[usize::from(e.end)], s);
                }
                let z = alpha[n];
                beta.resize(n + 1, f64::NEG_INFINITY);
                beta[n] = 0.0;
                for e in edges.iter().rev() {
                    let tail = log_p[e.piece as usize] + beta[usize::from(e.end)];
                    beta[usize::from(e.start)] = log_add(beta[usize::from(e.start)], tail);
                    let m = (alpha[usize::from(e.start)] + tail - z).exp();
                    if m.is_finite() {
                        expected[e.piece as usize] += count * m;
                    }
                }
            }
            expected
        })
        .collect::<Vec<_>>()
        .into_iter()
        .reduce(add_into)
        .unwrap_or_else(|| vec![0.0; pieces.len()])
}

/// `a += b`, element-wise. Partial sums are added in range order, not in whatever order
/// threads finish, so the same text always gives the same scores.
fn add_into(mut a: Vec<f64>, b: Vec<f64>) -> Vec<f64> {
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
    a
}

/// The digamma function (asymptotic series after shifting `x` up to 7).
fn digamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 7.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let x = x - 0.5;
    let inv2 = 1.0 / (x * x);
    shift
        + x.ln()
        + inv2
            * (1.0 / 24.0 + inv2 * (-7.0 / 960.0 + inv2 * (31.0 / 8064.0 - inv2 * 127.0 / 30720.0)))
}

/// The pieces expected at least half a time, scored with the digamma (sparse prior) update;
/// the unknown piece always stays.
fn m_step(expected: &[f64]) -> Vec<(u32, f64)> {
    let kept: Vec<(u32, f64)> = expected
        .iter()
        .enumerate()
        .skip(1)
        .filter(|&(_, &f)| f >= 0.5)
        .map(|(i, &f)| (i as u32, f))
        .collect();
    let log_sum = digamma(kept.iter().map(|k| k.1).sum());
    std::iter::once((0, 0.0))
        .chain(kept.into_iter().map(|(i, f)| (i, digamma(f) - log_sum)))
        .collect()
}

/// The best path through a lattice (`best` and `back` are scratch): the pieces, in reverse.
fn viterbi(
    edges: &[Edge],
    n: usize,
    log_p: &[f64],
    best: &mut Vec<f64>,
    back: &mut Vec<u32>,
    path: &mut Vec<u32>,
) -> f64 {
    best.clear();
    best.resize(n + 1, f64::NEG_INFINITY);
    best[0] = 0.0;
    back.clear();
    back.resize(n + 1, NONE);
    for (k, e) in edges.iter().enumerate() {
        let s = best[usize::from(e.start)] + log_p[e.piece as usize];
        if s > best[usize::from(e.end)] {
            best[usize::from(e.end)] = s;
            back[usize::from(e.end)] = k as u32;
        }
    }
    path.clear();
    let mut at = n;
    while at > 0 && back[at] != NONE {
        let e = edges[back[at] as usize];
        path.push(e.piece);
        at = usize::from(e.start);
    }
    best[n]
}

/// Drops the pieces whose loss would cost the corpus least likelihood, keeping
/// `max(desired, SHRINKING × pieces)`: the pieces to keep, in the order the crate keeps them,
/// with their scores.
fn prune(
    words: &Words,
    lattices: &Lattices,
    pieces: &Pieces,
    alphabet: usize,
    desired: usize,
) -> Vec<(u32, f64)> {
    let n = pieces.len();
    let log_p = pieces.log_probs();
    let trie = Trie::build(pieces, alphabet);

    // How each piece would be segmented without itself: the second-best segmentation of its
    // own text. `None`: it is not its own best segmentation.
    let alternatives: Vec<Option<Vec<u32>>> = (0..n)
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
            |(edges, best, back, path), id| {
                let chars = &pieces.chars[id];
                if id == 0 || chars.len() < 2 {
                    return Some(Vec::new());
                }
                edges.clear();
                for start in 0..chars.len() {
                    let mut single = false;
                    trie.prefixes(&chars[start..], |len, piece| {
                        single |= len == 1;
                        if !(start == 0 && len == chars.len()) {
                            edges.push(Edge {
                                piece,
                                start: start as u16,
                                end: (start + len) as u16,
                            });
                        }
                    });
                    if !single {
                        edges.push(Edge {
                            piece: 0,
                            start: start as u16,
                            end: start as u16 + 1,
                        });
                    }
                }
                // `prefixes` lists by length, so the unknown edge may follow longer ones.
                edges.sort_by_key(|e| (e.start, e.end));
                let alt = viterbi(edges, chars.len(), &log_p, best, back, path);
                (log_p[id] >= alt).then(|| path.clone())
            },
        )
        .collect();

    // Viterbi counts of every piece over the corpus.
    let freq: Vec<f64> = ranges(words.len())
        .into_par_iter()
        .map(|range| {
            let mut freq = vec![0.0f64; n];
            let (mut best, mut back, mut path) = (Vec::new(), Vec::new(), Vec::new());
            for w in range {
                let len = words.word(w).len();
                viterbi(lattices.of(w), len, &log_p, &mut best, &mut back, &mut path);
                for &piece in &path {
                    freq[piece as usize] += words.counts[w];
                }
            }
            freq
        })
        .collect::<Vec<_>>()
        .into_iter()
        .reduce(add_into)
        .unwrap_or_else(|| vec![0.0; n]);
    let word_total: f64 = words.counts.iter().sum();
    let sum: f64 = freq.iter().sum();
    let log_sum = sum.ln();

    let mut keep: Vec<(u32, f64)> = vec![(0, pieces.scores[0])];
    let mut candidates: Vec<(u32, f64)> = Vec::new();
    for id in 1..n {
        let score = pieces.scores[id];
        match &alternatives[id] {
            None if freq[id] == 0.0 => {}
            Some(alt) if !alt.is_empty() => {
                if freq[id] == 0.0 {
                    continue;
                }
                // The loss in likelihood if every use of the piece went to its alternative.
                // Like the crate and spm, the new total adds `freq × (pieces − 1)`.
                let f = freq[id] / word_total;
                let log_prob = freq[id].ln() - log_sum;
                let log_sum_alt = (sum + freq[id] * (n - 1) as f64).ln();
                let log_prob_alt: f64 = alt
                    .iter()
                    .map(|&a| (freq[a as usize] + freq[id]).ln() - log_sum_alt)
                    .sum();
                let loss = f * (log_prob - log_prob_alt);
                if loss.is_finite() {
                    candidates.push((id as u32, loss));
                }
            }
            _ => keep.push((id as u32, score)),
        }
    }
    let target = desired.max((n as f64 * SHRINKING) as usize);
    candidates.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (id, _) in candidates {
        if keep.len() >= target {
            break;
        }
        keep.push((id, pieces.scores[id as usize]));
    }
    keep
}

/// The final vocabulary: special tokens (the unknown token first when it is not one of them),
/// then every character and the most likely pieces up to the vocabulary size, by score.
fn finalize(pieces: &Pieces, alphabet: &[char], settings: &Settings<'_>) -> Trained {
    let budget = budget(settings).unwrap_or(0);
    let min_score = pieces.unk_score() + UNK_PENALTY;
    let mut single = vec![None; alphabet.len()];
    for (id, chars) in pieces.chars.iter().enumerate().skip(1) {
        if let [c] = chars[..] {
            single[c as usize] = Some(pieces.scores[id]);
        }
    }
    let mut chosen: Vec<(String, f64)> = Vec::with_capacity(budget);
    // Characters without a piece of their own rank just below the least likely piece.
    let mut penalty = 0.0;
    for (c, score) in alphabet.iter().zip(&single) {
        let score = score.unwrap_or_else(|| {
            let score = min_score + penalty;
            penalty += 1e-4;
            score
        });
        chosen.push((c.to_string(), score));
    }
    let mut rest: Vec<usize> = (1..pieces.len())
        .filter(|&id| pieces.chars[id].len() > 1)
        .collect();
    rest.sort_by(|&a, &b| pieces.scores[b].total_cmp(&pieces.scores[a]));
    for id in rest {
        if chosen.len() >= budget {
            break;
        }
        let text: String = pieces.chars[id]
            .iter()
            .map(|&c| alphabet[c as usize])
            .collect();
        chosen.push((text, pieces.scores[id]));
    }
    chosen.sort_by(|a, b| b.1.total_cmp(&a.1));

    let mut vocab: Vec<(String, f64)> = settings
        .special
        .iter()
        .map(|t| (t.content.clone(), 0.0))
        .collect();
    let unk_id = if let Some(i) = vocab.iter().position(|(t, _)| t == settings.unk) {
        i
    } else {
        vocab.insert(0, (settings.unk.to_owned(), 0.0));
        0
    };
    vocab.extend(chosen);
    Trained { vocab, unk_id }
}

#[cfg(test)]
mod tests {
    use tokenizers::models::unigram::{Unigram, UnigramTrainerBuilder};
    use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
    use tokenizers::{AddedToken, Tokenizer, TokenizerBuilder};

    use super::*;
    use crate::corpus::read::ReadOptions;
    use crate::tokenizer::{Kind, SPECIAL_TOKENS, TrainConfig, train as train_file};

    fn sample_lines() -> Vec<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../datasets/sample/seed/corpora");
        let mut lines = Vec::new();
        for name in ["nesr.txt", "elm.txt", "qaydalar.txt"] {
            let text = std::fs::read_to_string(root.join(name)).expect("sample corpus");
            lines.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned),
            );
        }
        lines
    }

    /// The crate's own trainer, set up as Dəzgah set it up before it had its own.
    fn crate_trained(lines: &[String], vocab_size: u32) -> Tokenizer {
        let special: Vec<AddedToken> = SPECIAL_TOKENS
            .iter()
            .map(|t| AddedToken::from((*t).to_owned(), true))
            .collect();
        let mut trainer = UnigramTrainerBuilder::default()
            .vocab_size(vocab_size)
            .special_tokens(special)
            .unk_token(Some("<unk>".into()))
            .show_progress(false)
            .build()
            .expect("trainer");
        let metaspace = Metaspace::new('▁', PrependScheme::Always, true);
        let mut tokenizer = TokenizerBuilder::new()
            .with_model(Unigram::default())
            .with_normalizer(None::<tokenizers::NormalizerWrapper>)
            .with_pre_tokenizer(Some(metaspace.clone()))
            .with_decoder(Some(metaspace))
            .with_post_processor(None::<tokenizers::processors::PostProcessorWrapper>)
            .build()
            .expect("build");
        tokenizer
            .train(&mut trainer, lines.iter().cloned())
            .expect("train");
        tokenizer.into()
    }

    fn token_count(tokenizer: &Tokenizer, lines: &[String]) -> usize {
        lines
            .iter()
            .map(|l| tokenizer.encode(l.as_str(), false).expect("encode").len())
            .sum()
    }

    #[test]
    fn our_trainer_fits_the_text_as_well_as_the_crates_trainer() {
        let lines = sample_lines();
        // Every 5th line is held out.
        let (held, seen): (Vec<_>, Vec<_>) = lines
            .iter()
            .cloned()
            .enumerate()
            .partition(|(i, _)| i % 5 == 0);
        let held: Vec<String> = held.into_iter().map(|(_, l)| l).collect();
        let seen: Vec<String> = seen.into_iter().map(|(_, l)| l).collect();
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("seen.txt");
        std::fs::write(&input, seen.join("\n")).expect("write");
        for vocab_size in [600, 1500] {
            let config = TrainConfig {
                kind: Kind::Unigram,
                vocab_size,
                byte_fallback: false,
                normalize_az: false,
                ..TrainConfig::default()
            };
            let out = dir.path().join(format!("ours{vocab_size}.json"));
            train_file(
                std::slice::from_ref(&input),
                &ReadOptions::default(),
                &config,
                &out,
                None,
            )
            .expect("train");
            let ours = Tokenizer::from_file(&out).expect("load");
            let theirs = crate_trained(&seen, vocab_size as u32);
            assert_eq!(ours.get_vocab_size(true), theirs.get_vocab_size(true));
            // The same special tokens at the same ids.
            for t in SPECIAL_TOKENS {
                assert_eq!(ours.token_to_id(t), theirs.token_to_id(t), "{t}");
            }
            // Every character of the text is a piece: nothing seen is unknown.
            let unk = ours.token_to_id("<unk>").expect("unk");
            for line in &seen {
                let ids = ours.encode(line.as_str(), false).expect("encode");
                assert!(!ids.get_ids().contains(&unk), "{line}");
                let decoded = ours.decode(ids.get_ids(), false).expect("decode");
                assert_eq!(decoded.strip_prefix(' ').unwrap_or(&decoded), line);
            }
            // Likelihood is what both optimise: on held-out text, as many tokens within 3%.
            let (a, b) = (token_count(&ours, &held), token_count(&theirs, &held));
            let ratio = a as f64 / b as f64;
            assert!((0.97..=1.03).contains(&ratio), "{vocab_size}: {a} vs {b}");
            // And deterministic: the same file twice.
            let again = dir.path().join("again.json");
            train_file(
                std::slice::from_ref(&input),
                &ReadOptions::default(),
                &config,
                &again,
                None,
            )
            .expect("train");
            assert_eq!(
                std::fs::read(&out).expect("read"),
                std::fs::read(&again).expect("read")
            );
        }
    }

    #[test]
    fn digamma_matches_known_values() {
        // ψ(1) = −γ, ψ(1/2) = −γ − 2 ln 2, ψ(10) = H₉ − γ.
        let gamma = 0.577_215_664_901_532_9;
        let h9: f64 = (1..10).map(|k| 1.0 / f64::from(k)).sum();
        for (x, want) in [
            (1.0, -gamma),
            (0.5, -gamma - 2.0 * std::f64::consts::LN_2),
            (10.0, h9 - gamma),
        ] {
            assert!((digamma(x) - want).abs() < 1e-9, "{x}: {}", digamma(x));
        }
    }

    /// Two words over characters 0..3 and pieces: 0 unk, 1 "a", 2 "b", 3 "ab", 4 "abc".
    fn toy() -> (Words, Pieces, Lattices) {
        let words = Words {
            chars: vec![0, 1, 2, 0, 1],
            starts: vec![0, 3, 5],
            counts: vec![2.0, 3.0],
        };
        let pieces = Pieces {
            chars: vec![vec![], vec![0], vec![1], vec![0, 1], vec![0, 1, 2]],
            scores: vec![0.0, -1.0, -1.5, -1.2, -2.0],
        };
        let trie = Trie::build(&pieces, 3);
        let lattices = find_edges(&words, &trie, 16);
        // "abc" has no "c" piece: the unknown piece covers it.
        let lattices = remap(&lattices, &words, &[0, 1, 2, 3, 4]);
        (words, pieces, lattices)
    }

    /// The expected counts of the toy words, from their segmentations listed by hand.
    fn by_hand(lp: &[f64]) -> [f64; 5] {
        // Word "abc" (×2): a|b|c, ab|c, abc.  Word "ab" (×3): a|b, ab.  (c is unknown: 0.)
        let words: [(f64, Vec<Vec<usize>>); 2] = [
            (2.0, vec![vec![1, 2, 0], vec![3, 0], vec![4]]),
            (3.0, vec![vec![1, 2], vec![3]]),
        ];
        let mut want = [0.0; 5];
        for (count, paths) in words {
            let scores: Vec<f64> = paths
                .iter()
                .map(|p| p.iter().map(|&k| lp[k]).sum())
                .collect();
            let z = scores.iter().copied().fold(f64::NEG_INFINITY, log_add);
            for (path, score) in paths.iter().zip(scores) {
                for &k in path {
                    want[k] += count * (score - z).exp();
                }
            }
        }
        want
    }

    #[test]
    fn expected_counts_are_the_sums_over_all_segmentations() {
        let (words, pieces, lattices) = toy();
        let want = by_hand(&pieces.log_probs());
        let got = e_step(&words, &lattices, &pieces);
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
        // Words whose probability underflows go through log space, with the same result.
        let tiny = Pieces {
            chars: pieces.chars.clone(),
            scores: pieces.scores.iter().map(|s| s * 400.0).collect(),
        };
        let want = by_hand(&tiny.log_probs());
        assert!(want[3] > 2.9 && want[1] < 1e-200, "{want:?}");
        let got = e_step(&words, &lattices, &tiny);
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 1e-12 * w.max(1.0), "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn dropping_a_character_piece_brings_in_the_unknown_piece() {
        let (words, mut pieces, lattices) = toy();
        // Keep unk, "b", "ab", "abc" (drop "a").
        let map = pieces.select(&[(0, 0.0), (2, -1.5), (3, -1.2), (4, -2.0)]);
        let lattices = remap(&lattices, &words, &map);
        let first: Vec<Edge> = lattices.of(0).to_vec();
        assert_eq!(
            first,
            vec![
                Edge {
                    piece: 0,
                    start: 0,
                    end: 1
                },
                Edge {
                    piece: 2,
                    start: 0,
                    end: 2
                },
                Edge {
                    piece: 3,
                    start: 0,
                    end: 3
                },
                Edge {
                    piece: 1,
                    start: 1,
                    end: 2
                },
                Edge {
                    piece: 0,
                    start: 2,
                    end: 3
                },
            ]
        );
        // Each word still has a path, and the best path of "ab" is the piece "ab".
        let lp = pieces.log_probs();
        let (mut best, mut back, mut path) = (Vec::new(), Vec::new(), Vec::new());
        let score = viterbi(lattices.of(1), 2, &lp, &mut best, &mut back, &mut path);
        assert_eq!(path, vec![2]);
        assert!((score - lp[2]).abs() < 1e-12);
    }
}
