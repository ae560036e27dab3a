//! Encoding without the `tokenizers` pipeline, for the two kinds of tokenizer Dəzgah trains,
//! giving the same ids.
//!
//! `tokenizers` spends most of its encoding time on bookkeeping this use does not need:
//! alignments of every normalised character, a `String` for every token, offsets. Here a text is
//! normalised into one buffer, cut into words by the tokenizer's own pre-tokenizer rules, and
//! each word is looked up in a per-thread cache (direct-mapped, one cache line per word) before
//! the model runs: Viterbi over a double-array byte trie for Unigram, lowest-rank merges for
//! byte-level BPE.
//!
//! [`Fast::new`] accepts a tokenizer only when its `tokenizer.json` is exactly one of those
//! pipelines (Dəzgah's own settings: the Azerbaijani normaliser or none, Metaspace or GPT-2
//! byte-level pre-tokenizer, no truncation or padding); [`Fast::encode`] declines a text whose
//! result could differ in any way it does not reproduce (an added token inside it, characters
//! that NFC could change, a very long word), and the caller falls back to `tokenizers`. The
//! tests compare both on every class of character.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tokenizers::Tokenizer;

/// Words longer than this (in bytes) go to `tokenizers`: merging is quadratic in a word.
const LONGEST_WORD: usize = 256;
/// Slots of a thread's word cache (64 bytes each: 8 MB).
const CACHE_SLOTS: usize = 1 << 17;

/// A multiplicative hasher for the maps of this module (short byte strings, id pairs).
#[derive(Default)]
pub(super) struct Mix(u64);

impl Hasher for Mix {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(0x51_7CC1_B727_220A);
        }
        for &b in chunks.remainder() {
            h = (h.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7CC1_B727_220A);
        }
        self.0 = h;
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0 ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0.rotate_left(26) ^ u64::from(i)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

pub(super) type MixMap<K, V> = HashMap<K, V, BuildHasherDefault<Mix>>;

/// The normaliser: none, or Dəzgah's Azerbaijani one (NFC, ə look-alikes, and with `lowercase`
/// Turkic casing then lower case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Norm {
    None,
    Az { lowercase: bool },
}

/// A byte trie of the Unigram pieces: children of a node are a sorted run of `(byte, node)`.
#[derive(Debug, Default)]
struct Trie {
    /// Per node: where its children start in `edges`, how many, and the piece ending here.
    nodes: Vec<(u32, u32, Option<u32>)>,
    edges: Vec<(u8, u32)>,
}

impl Trie {
    fn build(pieces: &[(Vec<u8>, u32)]) -> Self {
        // Built level by level from the sorted pieces, so each node's children are contiguous.
        let mut sorted: Vec<&(Vec<u8>, u32)> = pieces.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut trie = Self::default();
        trie.nodes.push((0, 0, None));
        // (node, range of `sorted` below it, depth)
        let mut level = vec![(0u32, 0usize, sorted.len(), 0usize)];
        while !level.is_empty() {
            let mut next = Vec::new();
            for (node, from, to, depth) in level {
                let mut i = from;
                // A piece that ends at this node is the first of its range (sorted order).
                while i < to && sorted[i].0.len() == depth {
                    trie.nodes[node as usize].2 = Some(sorted[i].1);
                    i += 1;
                }
                let start = trie.edges.len() as u32;
                while i < to {
                    let byte = sorted[i].0[depth];
                    let mut j = i;
                    while j < to && sorted[j].0[depth] == byte {
                        j += 1;
                    }
                    let child = trie.nodes.len() as u32;
                    trie.nodes.push((0, 0, None));
                    trie.edges.push((byte, child));
                    next.push((child, i, j, depth + 1));
                    i = j;
                }
                let count = trie.edges.len() as u32 - start;
                trie.nodes[node as usize].0 = start;
                trie.nodes[node as usize].1 = count;
            }
            level = next;
        }
        trie
    }
}

/// The trie as a double array (as sentencepiece's darts): the child of slot `s` by byte `b` is
/// slot `base[s] + b` when `check` there names `s`, so a step is two loads, with no search.
#[derive(Debug, Default)]
struct DoubleArray {
    base: Vec<u32>,
    check: Vec<u32>,
    piece: Vec<u32>,
}

/// An empty slot's `check`, and no piece.
const FREE: u32 = u32::MAX;
/// The base of a slot without children: every child slot it could name is past the end.
const LEAF: u32 = u32::MAX >> 1;

impl DoubleArray {
    fn from_trie(trie: &Trie) -> Self {
        let mut da = Self {
            base: vec![LEAF],
            check: vec![FREE],
            piece: vec![trie.nodes[0].2.unwrap_or(FREE)],
        };
        // (trie node, its slot), breadth first; the root is slot 0.
        let mut queue = std::collections::VecDeque::from([(0u32, 0u32)]);
        // Slots below this are all taken: the search for a base starts here.
        let mut first_free = 1usize;
        while let Some((node, slot)) = queue.pop_front() {
            let (start, count, _) = trie.nodes[node as usize];
            let children = &trie.edges[start as usize..(start + count) as usize];
            let Some(&(lowest, _)) = children.first() else {
                continue;
            };
            while first_free < da.check.len() && da.check[first_free] != FREE {
                first_free += 1;
            }
            let mut base = first_free.saturating_sub(usize::from(lowest)).max(1);
            let mut tries = 0;
            while children.iter().any(|&(b, _)| {
                da.check
                    .get(base + usize::from(b))
                    .is_some_and(|&c| c != FREE)
            }) {
                tries += 1;
                // Holes too scattered for this node: past the end, where all is free (a few
                // unused slots instead of a search that grows with the array).
                base = if tries > 256 {
                    da.check.len().saturating_sub(usize::from(lowest)).max(1)
                } else {
                    base + 1
                };
            }
            let top = base + usize::from(children[children.len() - 1].0);
            if top >= da.check.len() {
                da.base.resize(top + 1, LEAF);
                da.check.resize(top + 1, FREE);
                da.piece.resize(top + 1, FREE);
            }
            da.base[slot as usize] = base as u32;
            for &(b, child) in children {
                let at = base + usize::from(b);
                da.check[at] = slot;
                da.piece[at] = trie.nodes[child as usize].2.unwrap_or(FREE);
                queue.push_back((child, at as u32));
            }
        }
        da
    }

    fn child(&self, slot: u32, byte: u8) -> Option<u32> {
        let at = self.base[slot as usize] as usize + usize::from(byte);
        (self.check.get(at) == Some(&slot)).then_some(at as u32)
    }
}

#[derive(Debug)]
struct UnigramModel {
    trie: DoubleArray,
    scores: Vec<f64>,
    /// Piece → id (the last id of a piece listed twice, as `tokenizers` has it).
    ids: MixMap<Vec<u8>, u32>,
    unk: u32,
    unk_score: f64,
    /// The `<0xNN>` pieces, when byte fallback is on and all 256 exist.
    bytes: Option<Vec<u32>>,
}

impl UnigramModel {
    /// Viterbi over the word, as `tokenizers`' Unigram (ties keep the first path found; runs of
    /// unknown characters are fused, then looked up, then spelled in byte pieces).
    fn encode(&self, word: &[u8], best: &mut Vec<(f64, usize, u32, bool)>, out: &mut Vec<u32>) {
        best.clear();
        best.resize(word.len() + 1, (0.0, 0, 0, false));
        let mut start = 0;
        while start < word.len() {
            let here = best[start].0;
            let width = utf8_width(word[start]);
            let mut single = false;
            let mut node = 0u32;
            let mut end = start;
            while end < word.len() {
                let Some(child) = self.trie.child(node, word[end]) else {
                    break;
                };
                node = child;
                end += 1;
                let id = self.trie.piece[node as usize];
                if id != FREE {
                    let score = self.scores[id as usize] + here;
                    let target = &mut best[end];
                    if !target.3 || score > target.0 {
                        *target = (score, start, id, true);
                    }
                    single |= end - start == width;
                }
            }
            if !single {
                let score = self.unk_score + here;
                let target = &mut best[start + width];
                if !target.3 || score > target.0 {
                    *target = (score, start, self.unk, true);
                }
            }
            start += width;
        }
        // Back from the end; pieces come out reversed.
        let from = out.len();
        let mut end = word.len();
        let mut unknown_from: Option<usize> = None;
        let mut unknown_to = 0;
        while end > 0 {
            let (_, start, id, _) = best[end];
            if id == self.unk {
                if unknown_from.is_none() {
                    unknown_to = end;
                }
                unknown_from = Some(start);
            } else {
                if let Some(s) = unknown_from.take() {
                    self.unknown(&word[s..unknown_to], out);
                }
                out.push(id);
            }
            end = start;
        }
        if let Some(s) = unknown_from {
            self.unknown(&word[s..unknown_to], out);
        }
        out[from..].reverse();
    }

    /// A run of unknown characters, pushed reversed (the caller reverses the word).
    fn unknown(&self, run: &[u8], out: &mut Vec<u32>) {
        if let Some(&id) = self.ids.get(run) {
            out.push(id);
        } else if let Some(bytes) = &self.bytes {
            out.extend(run.iter().rev().map(|&b| bytes[usize::from(b)]));
        } else {
            out.push(self.unk);
        }
    }
}

#[derive(Debug)]
struct BpeModel {
    /// The id of each byte's character.
    byte_ids: [u32; 256],
    /// `(left << 32 | right)` → (rank, merged id).
    merges: MixMap<u64, (u32, u32)>,
}

impl BpeModel {
    /// Lowest-rank merge first, leftmost among equals, until none applies.
    fn encode(&self, word: &[u8], symbols: &mut Vec<u32>, out: &mut Vec<u32>) {
        symbols.clear();
        symbols.extend(word.iter().map(|&b| self.byte_ids[usize::from(b)]));
        loop {
            let mut best: Option<(u32, usize, u32)> = None;
            for (i, pair) in symbols.windows(2).enumerate() {
                let key = (u64::from(pair[0]) << 32) | u64::from(pair[1]);
                if let Some(&(rank, id)) = self.merges.get(&key)
                    && best.is_none_or(|b| rank < b.0)
                {
                    best = Some((rank, i, id));
                }
            }
            let Some((_, i, id)) = best else {
                break;
            };
            symbols[i] = id;
            symbols.remove(i + 1);
        }
        out.extend_from_slice(symbols);
    }
}

#[derive(Debug)]
enum Model {
    Unigram(UnigramModel),
    Bpe(Box<BpeModel>),
}

/// A tokenizer's encoder without the `tokenizers` pipeline; see the module's comment.
#[derive(Debug)]
pub struct Fast {
    norm: Norm,
    model: Model,
    /// The added tokens' text: a text holding one is left to `tokenizers`.
    added: Vec<String>,
    /// Which bytes start an added token.
    first_bytes: [bool; 256],
    /// Which of the per-thread caches is this encoder's.
    key: u64,
}

/// Numbers the encoders, so a thread's cache knows whose words it holds.
static NEXT_ENCODER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Per thread: the encoder the cache belongs to, and word → ids.
type Cache = (u64, Vec<Slot>);

/// A cached word and its ids in one cache line, so a hit costs one memory access. Words over
/// 24 bytes or 7 ids (0.3% of the bench corpus's words) are not cached.
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Slot {
    hash: u64,
    /// 0: empty (no word is empty).
    len: u8,
    ids_len: u8,
    word: [u8; 24],
    ids: [u32; 7],
}

/// The slot for `word`: direct-mapped by the hash's top bits (a newer word takes the place of
/// an older one, so the cache never needs emptying).
fn slot_of(word: &[u8]) -> (u64, usize) {
    let mut h = Mix::default();
    h.write(word);
    let hash = h.finish();
    (hash, (hash >> (64 - CACHE_SLOTS.trailing_zeros())) as usize)
}

thread_local! {
    static CACHE: RefCell<Cache> = const { RefCell::new((0, Vec::new())) };
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

#[derive(Default)]
struct Scratch {
    text: String,
    word: Vec<u8>,
    ids: Vec<u32>,
    best: Vec<(f64, usize, u32, bool)>,
    symbols: Vec<u32>,
}

impl Fast {
    /// The fast encoder of `tokenizer`, or `None` when its pipeline is not one this module
    /// reproduces exactly.
    pub fn new(tokenizer: &Tokenizer) -> Option<Self> {
        let json: serde_json::Value =
            serde_json::from_str(&tokenizer.to_string(false).ok()?).ok()?;
        if !json["truncation"].is_null() || !json["padding"].is_null() {
            return None;
        }
        let norm = if json["normalizer"].is_null() {
            Norm::None
        } else {
            let of = |lowercase| {
                super::az_normalizer(lowercase)
                    .ok()
                    .and_then(|n| serde_json::to_value(n).ok())
            };
            if Some(&json["normalizer"]) == of(false).as_ref() {
                Norm::Az { lowercase: false }
            } else if Some(&json["normalizer"]) == of(true).as_ref() {
                Norm::Az { lowercase: true }
            } else {
                return None;
            }
        };
        let added = json["added_tokens"]
            .as_array()?
            .iter()
            .map(|t| t["content"].as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()?;
        let model = &json["model"];
        let pre = &json["pre_tokenizer"];
        let model = match model["type"].as_str()? {
            "Unigram" => {
                let metaspace = pre["type"] == "Metaspace"
                    && pre["replacement"] == "▁"
                    && pre["prepend_scheme"] == "always"
                    && pre["split"] == true;
                if !metaspace {
                    return None;
                }
                Model::Unigram(unigram(model)?)
            }
            "BPE" => {
                let byte_level = pre["type"] == "ByteLevel"
                    && pre["add_prefix_space"] == false
                    && pre["use_regex"] == true;
                let plain = model["dropout"].is_null()
                    && model["unk_token"].is_null()
                    && model["continuing_subword_prefix"].is_null()
                    && model["end_of_word_suffix"].is_null()
                    && model["byte_fallback"] != true
                    && model["ignore_merges"] != true;
                if !byte_level || !plain {
                    return None;
                }
                Model::Bpe(Box::new(bpe(model)?))
            }
            _ => return None,
        };
        let mut first_bytes = [false; 256];
        for a in &added {
            if let Some(&b) = a.as_bytes().first() {
                first_bytes[usize::from(b)] = true;
            }
        }
        Some(Self {
            norm,
            model,
            added,
            first_bytes,
            key: NEXT_ENCODER.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        })
    }

    /// Appends the ids of `text` (as `tokenizer.encode(text, false)` gives them) to `ids`, or
    /// returns `false` (leaving `ids` as it was) when the text needs `tokenizers`.
    pub fn encode(&self, text: &str, ids: &mut Vec<u32>) -> bool {
        if text.is_empty() || self.holds_added(text) {
            return false;
        }
        SCRATCH.with_borrow_mut(|s| {
            let Scratch {
                text: norm,
                word,
                ids: fresh,
                best,
                symbols,
            } = s;
            if !self.normalise(text, norm) {
                return false;
            }
            if self.holds_added(norm) {
                return false;
            }
            fresh.clear();
            let ok = CACHE.with_borrow_mut(|(owner, cache)| {
                if *owner != self.key {
                    cache.clear();
                    cache.resize(CACHE_SLOTS, Slot::default());
                    *owner = self.key;
                }
                let mut each = |w: &[u8], fresh: &mut Vec<u32>| {
                    if w.len() > LONGEST_WORD {
                        return false;
                    }
                    let (hash, at) = slot_of(w);
                    let slot = &mut cache[at];
                    if slot.hash == hash
                        && usize::from(slot.len) == w.len()
                        && &slot.word[..w.len()] == w
                    {
                        fresh.extend_from_slice(&slot.ids[..usize::from(slot.ids_len)]);
                        return true;
                    }
                    let from = fresh.len();
                    match &self.model {
                        Model::Unigram(m) => m.encode(w, best, fresh),
                        Model::Bpe(m) => m.encode(w, symbols, fresh),
                    }
                    let ids = &fresh[from..];
                    if w.len() <= slot.word.len() && ids.len() <= slot.ids.len() {
                        slot.hash = hash;
                        slot.len = w.len() as u8;
                        slot.ids_len = ids.len() as u8;
                        slot.word[..w.len()].copy_from_slice(w);
                        slot.ids[..ids.len()].copy_from_slice(ids);
                    }
                    true
                };
                match &self.model {
                    Model::Unigram(_) => metaspace_words(norm, word, |w| each(w, fresh)),
                    Model::Bpe(_) => gpt2_words(norm, |w| each(w.as_bytes(), fresh)),
                }
            });
            if ok {
                ids.extend_from_slice(fresh);
            }
            ok
        })
    }

    /// Whether an added token's text occurs in `text`: one scan for their first bytes (Dəzgah's
    /// all start with `<`), then a comparison where one is found.
    fn holds_added(&self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            let Some(k) = bytes[at..]
                .iter()
                .position(|b| self.first_bytes[usize::from(*b)])
            else {
                return false;
            };
            let rest = &text[at + k..];
            if self
                .added
                .iter()
                .any(|a| !a.is_empty() && rest.starts_with(a.as_str()))
            {
                return true;
            }
            at += k + 1;
            while at < bytes.len() && !text.is_char_boundary(at) {
                at += 1;
            }
        }
        false
    }

    fn normalise(&self, text: &str, out: &mut String) -> bool {
        normalise_with(self.norm, text, out)
    }
}

/// The normalised text into `out`; `false` when NFC could change it (left to `tokenizers`,
/// whose NFC tables this module does not carry).
pub(super) fn normalise_with(norm: Norm, text: &str, out: &mut String) -> bool {
    out.clear();
    let Norm::Az { lowercase } = norm else {
        out.push_str(text);
        return true;
    };
    if !text.chars().all(nfc_stable) {
        return false;
    }
    for c in text.chars() {
        let c = match c {
            'ә' | 'ǝ' => 'ə',
            'Ә' | 'Ǝ' => 'Ə',
            c => c,
        };
        if !lowercase {
            out.push(c);
            continue;
        }
        match c {
            'I' => out.push('ı'),
            'İ' => out.push('i'),
            c if c.is_ascii() => out.push(c.to_ascii_lowercase()),
            c => out.extend(c.to_lowercase()),
        }
    }
    true
}

/// Characters NFC leaves alone whatever surrounds them: no decomposition of their own, and not
/// a mark that composes with the character before. Covers Latin, Cyrillic, common punctuation
/// and emoji; the tests check each against the `unicode-normalization` tables.
fn nfc_stable(c: char) -> bool {
    matches!(c,
        '\0'..='\u{2FF}'
        | '\u{400}'..='\u{482}'
        | '\u{48A}'..='\u{52F}'
        | '\u{2002}'..='\u{200F}'
        | '\u{2010}'..='\u{2027}'
        | '\u{2030}'..='\u{205E}'
        | '\u{20A0}'..='\u{20C0}'
        | '\u{2100}'..='\u{2125}'
        | '\u{2127}'..='\u{2129}'
        | '\u{212C}'..='\u{214F}'
        | '\u{2500}'..='\u{27FF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{1F300}'..='\u{1FAFF}')
}

fn utf8_width(lead: u8) -> usize {
    match lead {
        0..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

/// Metaspace with `split` and `prepend_scheme: always`: spaces become `▁`, a `▁` is put in
/// front, and each `▁` starts a word.
pub(super) fn metaspace_words(
    text: &str,
    word: &mut Vec<u8>,
    mut each: impl FnMut(&[u8]) -> bool,
) -> bool {
    const MARK: &[u8] = "▁".as_bytes();
    word.clear();
    // The text's spaces are `▁` by now, so a leading space counts as one.
    if !text.starts_with('▁') && !text.starts_with(' ') {
        word.extend_from_slice(MARK);
    }
    for &b in text.as_bytes() {
        // A word ends before each `▁` (its bytes start with 0xE2 0x96 0x81; a space is one).
        if b == b' ' {
            if !word.is_empty() && !each(word) {
                return false;
            }
            word.clear();
            word.extend_from_slice(MARK);
            continue;
        }
        word.push(b);
        if word.len() > MARK.len() && word.ends_with(MARK) {
            let cut = word.len() - MARK.len();
            if !each(&word[..cut]) {
                return false;
            }
            word.clear();
            word.extend_from_slice(MARK);
        }
    }
    word.is_empty() || each(word)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Number,
    Space,
    Other,
}

fn class(c: char) -> Class {
    use unicode_general_category::GeneralCategory as G;
    if c.is_ascii() {
        return if c.is_ascii_alphabetic() {
            Class::Letter
        } else if c.is_ascii_digit() {
            Class::Number
        } else if c.is_ascii_whitespace() || c == '\x0B' {
            Class::Space
        } else {
            Class::Other
        };
    }
    if c.is_whitespace() {
        return Class::Space;
    }
    match unicode_general_category::get_general_category(c) {
        G::UppercaseLetter
        | G::LowercaseLetter
        | G::TitlecaseLetter
        | G::ModifierLetter
        | G::OtherLetter => Class::Letter,
        G::DecimalNumber | G::LetterNumber | G::OtherNumber => Class::Number,
        _ => Class::Other,
    }
}

/// The GPT-2 pre-tokenizer pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, by hand.
pub(super) fn gpt2_words(text: &str, mut each: impl FnMut(&str) -> bool) -> bool {
    let chars: Vec<(usize, char, Class)> =
        text.char_indices().map(|(i, c)| (i, c, class(c))).collect();
    let at = |k: usize| chars.get(k).map_or(text.len(), |c| c.0);
    let run = |mut k: usize, class: Class| {
        while k < chars.len() && chars[k].2 == class {
            k += 1;
        }
        k
    };
    let mut k = 0;
    while k < chars.len() {
        let (_, c, cls) = chars[k];
        let end = if c == '\'' {
            let rest = &text[at(k) + 1..];
            ["s", "t", "re", "ve", "m", "ll", "d"]
                .iter()
                .find(|s| rest.starts_with(**s))
                .map_or_else(|| run(k, Class::Other), |s| k + 1 + s.len())
        } else if cls == Class::Space {
            let next = chars.get(k + 1).map(|c| c.2);
            if c == ' ' && next.is_some_and(|n| n != Class::Space) {
                // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`
                run(k + 1, next.unwrap_or(Class::Other))
            } else {
                let end = run(k, Class::Space);
                if end == chars.len() || end - k == 1 {
                    end
                } else {
                    end - 1
                }
            }
        } else {
            run(k, cls)
        };
        if !each(&text[at(k)..at(end)]) {
            return false;
        }
        k = end;
    }
    true
}

fn unigram(model: &serde_json::Value) -> Option<UnigramModel> {
    let vocab = model["vocab"].as_array()?;
    let mut scores = Vec::with_capacity(vocab.len());
    let mut ids: MixMap<Vec<u8>, u32> = MixMap::default();
    for (id, piece) in vocab.iter().enumerate() {
        let text = piece[0].as_str()?;
        scores.push(piece[1].as_f64()?);
        ids.insert(text.as_bytes().to_vec(), u32::try_from(id).ok()?);
    }
    let unk = u32::try_from(model["unk_id"].as_u64()?).ok()?;
    if unk as usize >= scores.len() {
        return None;
    }
    let min_score = scores.iter().copied().fold(f64::INFINITY, f64::min);
    let bytes = if model["byte_fallback"] == true {
        let all: Option<Vec<u32>> = (0..=255u8)
            .map(|b| ids.get(format!("<0x{b:02X}>").as_bytes()).copied())
            .collect();
        Some(all?)
    } else {
        None
    };
    let pieces: Vec<(Vec<u8>, u32)> = ids.iter().map(|(p, &id)| (p.clone(), id)).collect();
    Some(UnigramModel {
        trie: DoubleArray::from_trie(&Trie::build(&pieces)),
        scores,
        ids,
        unk,
        unk_score: min_score - 10.0,
        bytes,
    })
}

fn bpe(model: &serde_json::Value) -> Option<BpeModel> {
    let vocab: MixMap<&str, u32> = model["vocab"]
        .as_object()?
        .iter()
        .map(|(k, v)| Some((k.as_str(), u32::try_from(v.as_u64()?).ok()?)))
        .collect::<Option<_>>()?;
    let mut byte_ids = [0u32; 256];
    for (b, id) in byte_ids.iter_mut().enumerate() {
        let mut utf8 = [0u8; 4];
        *id = *vocab.get(byte_char(b as u8).encode_utf8(&mut utf8) as &str)?;
    }
    let mut merges = MixMap::default();
    for (rank, merge) in model["merges"].as_array()?.iter().enumerate() {
        // `["a", "b"]`, or `"a b"` in older files.
        let (left, right) = match merge {
            serde_json::Value::Array(pair) => (pair.first()?.as_str()?, pair.get(1)?.as_str()?),
            serde_json::Value::String(s) => s.split_once(' ')?,
            _ => return None,
        };
        let (l, r) = (*vocab.get(left)?, *vocab.get(right)?);
        let joined = *vocab.get(format!("{left}{right}").as_str())?;
        let key = (u64::from(l) << 32) | u64::from(r);
        // A pair listed twice: the later entry replaces the earlier, as in `tokenizers`.
        merges.insert(key, (u32::try_from(rank).ok()?, joined));
    }
    Some(BpeModel { byte_ids, merges })
}

/// GPT-2's printable stand-in for a byte.
pub(super) fn byte_char(b: u8) -> char {
    match b {
        b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF => char::from(b),
        _ => {
            // The others, in byte order, take the code points from 256 up.
            let shifted = (0..b)
                .filter(|&x| !matches!(x, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF))
                .count() as u32;
            char::from_u32(256 + shifted).unwrap_or('\u{100}')
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::read::ReadOptions;
    use crate::tokenizer::{Kind, TrainConfig, load, train};

    #[test]
    fn the_double_array_finds_exactly_the_pieces() {
        // Pieces over a few bytes (so prefixes are shared and slots collide) and UTF-8.
        let mut rng = crate::model::rng::Rng::new(7);
        let alphabet: Vec<&[u8]> = vec![
            b"a",
            b"b",
            b"z",
            "\u{2581}".as_bytes(),
            "\u{259}".as_bytes(),
            b"\xff",
        ];
        let mut pieces: Vec<(Vec<u8>, u32)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        while pieces.len() < 3000 {
            let len = 1 + (rng.next_u64() % 6) as usize;
            let piece: Vec<u8> = (0..len)
                .flat_map(|_| alphabet[(rng.next_u64() % 6) as usize].iter().copied())
                .collect();
            if seen.insert(piece.clone()) {
                pieces.push((piece, pieces.len() as u32));
            }
        }
        let da = DoubleArray::from_trie(&Trie::build(&pieces));
        let walk = |bytes: &[u8]| -> Option<u32> {
            let mut slot = 0;
            for &b in bytes {
                slot = da.child(slot, b)?;
            }
            Some(da.piece[slot as usize]).filter(|&p| p != FREE)
        };
        for (piece, id) in &pieces {
            assert_eq!(walk(piece), Some(*id), "{piece:?}");
        }
        for _ in 0..20_000 {
            let len = 1 + (rng.next_u64() % 8) as usize;
            let probe: Vec<u8> = (0..len).map(|_| (rng.next_u64() % 256) as u8).collect();
            assert_eq!(
                walk(&probe),
                seen.contains(&probe)
                    .then(|| { pieces.iter().find(|p| p.0 == probe).map_or(0, |p| p.1) }),
                "{probe:?}"
            );
        }
    }

    /// Text that puts every path of the pipelines to work: spaces of all kinds and lengths,
    /// contractions, digits, punctuation, capitals (Turkic I), ə look-alikes, Cyrillic, emoji,
    /// characters no tokenizer saw, and a combining mark (left to `tokenizers`).
    const PROBES: &[&str] = &[
        "Azərbaycan Respublikasının Mülki Məcəlləsi",
        "  iki  boşluq,   üç boşluq\n\nyeni sətir\tvə tab ",
        "İSTİQLAL küçəsi, IĞDIR, ılıq İlham",
        "Məcəllәsi Ǝli ǝlifba",
        "it's we're they've I'm you'll he'd 'x ''s",
        "2024-cü il, 15.3% artım, №7, ½",
        "«Kitab» — “sitat” ‘tək’ … ¿nə? ¡bəli!",
        "Қазақ тілі және Азәрбајҹан дили",
        "😀 emoji 🎉🎉 日本語 ﬁ",
        "e\u{301}lavə",
        " başda boşluq",
        "sonda boşluq ",
        "▁ artıq işarə ▁▁iki",
        "\u{a0}bölünməz\u{a0}boşluq \u{2003}em",
        "Ω Å K",
        "a\u{b}b\u{85}c",
        "x",
    ];

    fn corpus(dir: &std::path::Path) -> std::path::PathBuf {
        let path = dir.join("az.txt");
        let lines = [
            "Azərbaycan Respublikasının Mülki Məcəlləsi mülki qanunvericiliyin əsaslarını müəyyən edir.",
            "Bakı şəhəri Xəzər dənizinin sahilində yerləşir və ölkənin paytaxtıdır.",
            "Ağır günlərdə də insanlar bir-birinə kömək edirdilər, çünki birlik gücdür.",
            "İstiqlal küçəsində yeni kitab mağazası açıldı; oxucular çox sevindi.",
            "It's 2024: we're reading 15 books, they've 3 more!",
        ];
        let text: String = (0..60)
            .flat_map(|i| [lines[i % lines.len()], "\n"])
            .collect();
        std::fs::write(&path, text).expect("write");
        path
    }

    fn trained(dir: &std::path::Path, config: &TrainConfig, name: &str) -> Tokenizer {
        let input = corpus(dir);
        let out = dir.join(name);
        train(&[input], &ReadOptions::default(), config, &out, None).expect("train");
        load(&out).expect("load")
    }

    fn same_ids(tokenizer: &Tokenizer, fast: &Fast, text: &str, label: &str) -> bool {
        let want = tokenizer
            .encode(text, false)
            .expect("encode")
            .get_ids()
            .to_vec();
        let mut got = Vec::new();
        if fast.encode(text, &mut got) {
            assert_eq!(got, want, "{label}: {text:?}");
            true
        } else {
            assert!(got.is_empty());
            false
        }
    }

    #[test]
    fn dezgahs_tokenizers_encode_to_the_same_ids_as_the_tokenizers_crate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut fast_texts = 0;
        for kind in [Kind::Unigram, Kind::Bpe] {
            for (normalize_az, lowercase, byte_fallback) in [
                (true, false, true),
                (true, true, false),
                (false, false, false),
            ] {
                let config = TrainConfig {
                    kind,
                    vocab_size: 700,
                    min_frequency: 1,
                    normalize_az,
                    lowercase,
                    byte_fallback,
                    ..TrainConfig::default()
                };
                let label =
                    format!("{kind:?} az={normalize_az} lower={lowercase} bytes={byte_fallback}");
                let tokenizer = trained(dir.path(), &config, "t.json");
                let fast = Fast::new(&tokenizer).unwrap_or_else(|| panic!("{label}: no fast path"));
                for text in PROBES {
                    fast_texts += usize::from(same_ids(&tokenizer, &fast, text, &label));
                    // Twice: the second time from the word cache.
                    same_ids(&tokenizer, &fast, text, &label);
                }
                // Added tokens inside a text are left to `tokenizers`.
                assert!(!same_ids(&tokenizer, &fast, "salam <s> dünya", &label));
            }
        }
        assert!(fast_texts >= PROBES.len() * 5, "{fast_texts}");
    }

    #[test]
    fn the_shared_corpora_encode_the_same_both_ways() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpora/az");
        if !root.is_dir() {
            eprintln!("skipped: {} is absent", root.display());
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let mut texts = Vec::new();
        for entry in walk(&root) {
            if let Ok(text) = std::fs::read_to_string(&entry) {
                texts.extend(
                    text.lines()
                        .filter(|l| !l.is_empty())
                        .take(400)
                        .map(str::to_owned),
                );
            }
        }
        for kind in [Kind::Unigram, Kind::Bpe] {
            let config = TrainConfig {
                kind,
                vocab_size: 2000,
                ..TrainConfig::default()
            };
            let tokenizer = trained(dir.path(), &config, "s.json");
            let fast = Fast::new(&tokenizer).expect("fast");
            let taken = texts
                .iter()
                .filter(|t| same_ids(&tokenizer, &fast, t, &format!("{kind:?}")))
                .count();
            assert!(
                taken * 10 >= texts.len() * 9,
                "{kind:?}: {taken} of {}",
                texts.len()
            );
        }
    }

    fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else if path.extension().is_some_and(|e| e == "txt") {
                out.push(path);
            }
        }
        out
    }

    #[test]
    fn characters_taken_as_nfc_stable_are() {
        use unicode_normalization::UnicodeNormalization as _;
        for code in 0..=0x1FAFFu32 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            if nfc_stable(c) {
                let nfc: String = c.to_string().nfc().collect();
                assert_eq!(nfc, c.to_string(), "U+{code:04X}");
                assert_eq!(
                    unicode_normalization::char::canonical_combining_class(c),
                    0,
                    "U+{code:04X}"
                );
                // Nothing composes with it as the second of a pair.
                assert!(
                    unicode_normalization::char::compose('e', c).is_none()
                        && unicode_normalization::char::compose('a', c).is_none(),
                    "U+{code:04X}"
                );
            }
        }
    }

    #[test]
    fn gpt2_byte_characters_are_the_tokenizers_alphabet() {
        let ours: std::collections::HashSet<char> = (0..=255u8).map(byte_char).collect();
        let theirs: std::collections::HashSet<char> =
            tokenizers::pre_tokenizers::byte_level::ByteLevel::alphabet()
                .into_iter()
                .collect();
        assert_eq!(ours, theirs);
        assert_eq!(byte_char(b' '), 'Ġ');
        assert_eq!(byte_char(b'\n'), 'Ċ');
    }
}
