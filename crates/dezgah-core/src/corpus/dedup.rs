//! Exact and near-duplicate detection.
//!
//! Exact: a 128-bit hash of the normalised text. Near: MinHash signatures of word (or
//! character) n-gram shingles, LSH banding to find candidate pairs, and every candidate verified
//! by the real Jaccard similarity of the two shingle sets before it joins a cluster.
//!
//! Memory per document: the signature (4 bytes × permutations) and its shingle hashes
//! (4 bytes each, for verification); the texts themselves are not kept.

use std::collections::HashMap;

use rayon::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Shingle {
    /// n consecutive words of the normalised text.
    Words(usize),
    /// n consecutive characters of the normalised text.
    Chars(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DedupConfig {
    pub shingle: Shingle,
    pub num_perm: usize,
    pub threshold: f64,
    /// `(bands, rows)`; `None` picks them from the threshold.
    pub bands_rows: Option<(usize, usize)>,
    pub seed: u64,
}

impl Default for DedupConfig {
    fn default() -> Self {
        Self {
            shingle: Shingle::Words(5),
            num_perm: 128,
            threshold: 0.8,
            bands_rows: None,
            seed: 1,
        }
    }
}

/// Which member of a cluster stays.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum KeepPolicy {
    /// The one that came first in the input.
    #[default]
    First,
    /// The longest text (ties: the first).
    Longest,
}

/// Lower-cases the Azerbaijani way (as [`crate::corpus::text::to_lower_az`]) and turns every run of characters that
/// are not letters or digits into one space. One pass, with a fast path for ASCII: this is the
/// hottest loop of deduplication.
pub fn normalise(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    normalise_into(text, &mut out);
    // Only whole characters are ever pushed.
    String::from_utf8(out).unwrap_or_default()
}

/// What [`normalise`] does to one ASCII byte: its lower case, or 0 for a separator.
pub(super) const ASCII_NORMAL: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_digit() || c.is_ascii_lowercase() {
            c
        } else if c.is_ascii_uppercase() {
            c.to_ascii_lowercase()
        } else {
            0
        };
        b += 1;
    }
    table
};

/// What the fast normaliser writes for a byte (ASCII, or a continuation byte: nothing) or for a
/// lead byte with its continuation: up to two bytes, their count, whether it is the separator,
/// and whether the character is left to the exact path.
fn byte_table() -> &'static [u32] {
    static TABLE: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    const SPACE: u32 = 1 << 18;
    const SLOW: u32 = 1 << 24;
    const SKIP_NEXT: u32 = 1 << 19;
    fn entry(bytes: &[u8]) -> u32 {
        match bytes {
            [] => 0,
            [b' '] => u32::from(b' ') | (1 << 16) | SPACE,
            [a] => u32::from(*a) | (1 << 16),
            [a, b] => u32::from(*a) | (u32::from(*b) << 8) | (2 << 16),
            _ => SLOW,
        }
    }
    TABLE.get_or_init(|| {
        let mut table = vec![SLOW; 1 << 16];
        for b in 0..128u8 {
            let n = ASCII_NORMAL[usize::from(b)];
            table[usize::from(b)] = match b {
                b'I' => entry("ı".as_bytes()),
                _ if n == 0 => entry(b" "),
                _ => entry(&[n]),
            };
        }
        // Continuation bytes: their character was written at its lead byte.
        table[0x80..0xC0].fill(0);
        // JSON escapes (looked up only inside JSON strings): \n, \" … are separators, and the
        // escaped byte is skipped; \uXXXX goes to the exact path.
        for x in [b'n', b't', b'r', b'b', b'f', b'"', b'\\', b'/'] {
            table[(usize::from(b'\\') << 8) | usize::from(x)] = entry(b" ") | SKIP_NEXT;
        }
        for code in 0x80u32..0x800 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let mut utf8 = [0u8; 4];
            let bytes = c.encode_utf8(&mut utf8).as_bytes();
            let key = (usize::from(bytes[0]) << 8) | usize::from(bytes[1]);
            let mut lower = c.to_lowercase();
            let mut buf = [0u8; 4];
            table[key] = if c == 'İ' {
                entry(b"i")
            } else if c == '\u{307}' {
                SLOW // after I it makes i; the exact path looks back
            } else if !c.is_alphanumeric() {
                entry(b" ")
            } else {
                match (lower.next(), lower.next()) {
                    (Some(l), None) => entry(l.encode_utf8(&mut buf).as_bytes()),
                    _ => SLOW,
                }
            };
        }
        table
    })
}

/// The fast normaliser: branch-free over ASCII and two-byte characters (all of Azerbaijani in
/// both scripts), writing by index. Returns `false`, leaving `out` undefined, when the text has a
/// character it does not handle (three- or four-byte characters, a combining dot).
fn normalise_fast(bytes: &[u8], out: &mut Vec<u8>, json_escapes: bool) -> bool {
    let table = byte_table();
    out.clear();
    out.resize(bytes.len() * 2 + 4, 0);
    let mut k = 0usize;
    let mut prev_space = 1u32;
    let mut slow = 0u32;
    let mut skip = 0u32;
    for (i, &b) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).copied().unwrap_or(0);
        let escape = json_escapes && b == b'\\';
        let key = if b >= 0xC0 || escape {
            (usize::from(b) << 8) | usize::from(next)
        } else {
            usize::from(b)
        };
        let e = table[key];
        let emit = 1 - skip;
        slow |= ((e >> 24) | u32::from(b >= 0xE0)) & emit;
        out[k] = e as u8;
        out[k + 1] = (e >> 8) as u8;
        let len = ((e >> 16) & 3) * emit;
        let space = ((e >> 18) & 1) * emit;
        k += (len - (space & prev_space)) as usize;
        prev_space = if len > 0 { space } else { prev_space };
        skip = ((e >> 19) & 1) * emit;
    }
    if slow != 0 {
        return false;
    }
    if k > 0 && out[k - 1] == b' ' {
        k -= 1;
    }
    out.truncate(k);
    true
}

/// [`normalise`] into a reused buffer: the branch-free fast path when the text allows it, else
/// the character-by-character one.
pub fn normalise_into(text: &str, out: &mut Vec<u8>) {
    if !normalise_fast(text.as_bytes(), out, false) {
        normalise_exact(text, out);
    }
}

/// [`normalise`] of a JSON string's content (between its quotes, escapes as written), without
/// unescaping it first. `raw` must be valid UTF-8. Returns `false` when the exact path is needed
/// (`\uXXXX` escapes, characters beyond two bytes); `out` is then undefined.
pub fn normalise_json_fast(raw: &[u8], out: &mut Vec<u8>) -> bool {
    normalise_fast(raw, out, true)
}

/// [`normalise`] for any text: one pass over the bytes, writing by index into a buffer sized up
/// front; characters beyond two bytes are decoded and lower-cased by the Unicode tables.
fn normalise_exact(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    // Lower-casing never grows a character by more than 3× (Unicode's worst case), and a
    // separator run becomes one byte.
    out.clear();
    out.resize(bytes.len() * 3 + 4, 0);
    let mut k = 0usize;
    let mut space = true;
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            let n = ASCII_NORMAL[usize::from(b)];
            if n != 0 && b != b'I' {
                out[k] = n;
                k += 1;
                space = false;
            } else if b == b'I' {
                // Turkic: I → ı, but I + combining dot above → i.
                if bytes.get(i + 1..i + 3) == Some(&[0xCC, 0x87]) {
                    out[k] = b'i';
                    k += 1;
                    i += 2;
                } else {
                    out[k] = 0xC4;
                    out[k + 1] = 0xB1;
                    k += 2;
                }
                space = false;
            } else if !space {
                out[k] = b' ';
                k += 1;
                space = true;
            }
            i += 1;
            continue;
        }
        // Two-byte Azerbaijani letters: lower case copied, upper case mapped.
        if let Some(&next) = bytes.get(i + 1) {
            let pair = match (b, next) {
                (0xC9, 0x99) | (0xC4, 0xB1 | 0x9F) | (0xC5, 0x9F) | (0xC3, 0xA7 | 0xB6 | 0xBC) => {
                    Some((b, next))
                }
                (0xC6, 0x8F) => Some((0xC9, 0x99)), // Ə → ə
                (0xC5, 0x9E) => Some((0xC5, 0x9F)), // Ş → ş
                (0xC3, 0x87) => Some((0xC3, 0xA7)), // Ç → ç
                (0xC4, 0x9E) => Some((0xC4, 0x9F)), // Ğ → ğ
                (0xC3, 0x96) => Some((0xC3, 0xB6)), // Ö → ö
                (0xC3, 0x9C) => Some((0xC3, 0xBC)), // Ü → ü
                _ => None,
            };
            if let Some((x, y)) = pair {
                out[k] = x;
                out[k + 1] = y;
                k += 2;
                i += 2;
                space = false;
                continue;
            }
            if (b, next) == (0xC4, 0xB0) {
                // İ → i
                out[k] = b'i';
                k += 1;
                i += 2;
                space = false;
                continue;
            }
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        i += c.len_utf8();
        if c.is_alphanumeric() {
            for l in c.to_lowercase() {
                k += l.encode_utf8(&mut out[k..k + 4]).len();
            }
            space = false;
        } else if !space {
            out[k] = b' ';
            k += 1;
            space = true;
        }
    }
    if k > 0 && out[k - 1] == b' ' {
        k -= 1;
    }
    out.truncate(k);
}

/// The 32-bit hashes of a text's shingles, sorted and without repeats (a set).
pub fn shingle_set(text: &str, shingle: Shingle) -> Vec<u32> {
    shingles_of_normalised(&normalise(text), shingle)
}

fn shingles_of_normalised(norm: &str, shingle: Shingle) -> Vec<u32> {
    let mut hashes: Vec<u32> = match shingle {
        Shingle::Words(n) => {
            let words: Vec<&str> = norm.split(' ').filter(|w| !w.is_empty()).collect();
            if words.is_empty() {
                Vec::new()
            } else if words.len() <= n {
                vec![fold(xxhash_rust::xxh3::xxh3_64(norm.as_bytes()))]
            } else {
                // Hash each word once, then mix n word hashes per shingle.
                let word_hashes: Vec<u64> = words
                    .iter()
                    .map(|w| xxhash_rust::xxh3::xxh3_64(w.as_bytes()))
                    .collect();
                word_hashes
                    .windows(n)
                    .map(|w| {
                        let mut h = 0x9E37_79B9_7F4A_7C15u64;
                        for &x in w {
                            h = (h.rotate_left(23) ^ x).wrapping_mul(0xFF51_AFD7_ED55_8CCD);
                        }
                        fold(h)
                    })
                    .collect()
            }
        }
        Shingle::Chars(n) => {
            let chars: Vec<char> = norm.chars().collect();
            if chars.len() <= n {
                vec![fold(xxhash_rust::xxh3::xxh3_64(norm.as_bytes()))]
            } else {
                let mut buf = String::new();
                chars
                    .windows(n)
                    .map(|w| {
                        buf.clear();
                        buf.extend(w);
                        fold(xxhash_rust::xxh3::xxh3_64(buf.as_bytes()))
                    })
                    .collect()
            }
        }
    };
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

fn fold(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

/// Jaccard similarity of two sorted, repeat-free sets.
pub fn jaccard(a: &[u32], b: &[u32]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / (a.len() + b.len() - common) as f64
}

/// `num_perm` hash functions `x ↦ (a·x + b) mod 2⁶⁴ >> 32` (a odd): cheap, and their minima
/// behave as independent permutations for MinHash. (A 32-bit `a` would be faster but never
/// wraps, so every function would order the shingles alike; a test guards this.)
#[derive(Debug, Clone)]
pub struct Permutations {
    a: Vec<u64>,
    b: Vec<u64>,
}

impl Permutations {
    pub fn new(num_perm: usize, seed: u64) -> Self {
        let mut state = seed ^ 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            // splitmix64
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let a = (0..num_perm).map(|_| next() | 1).collect();
        let b = (0..num_perm).map(|_| next()).collect();
        Self { a, b }
    }

    /// The MinHash signature of a shingle set.
    pub fn signature(&self, shingles: &[u32]) -> Vec<u32> {
        let mut sig = vec![u32::MAX; self.a.len()];
        for &s in shingles {
            let x = u64::from(s);
            for ((m, &a), &b) in sig.iter_mut().zip(&self.a).zip(&self.b) {
                let h = (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32;
                *m = (*m).min(h);
            }
        }
        sig
    }
}

/// Picks bands × rows (≤ `num_perm`) for high recall: every candidate is verified by its real
/// Jaccard similarity, so a false candidate only costs a comparison while a missed one is a
/// duplicate left in. Among the choices that find a pair at the threshold with probability
/// ≥ 0.99, the one with the fewest expected candidates below the threshold; if none reaches
/// that, the balanced choice of [`balanced_bands_rows`].
pub fn optimal_bands_rows(threshold: f64, num_perm: usize) -> (usize, usize) {
    let mut best: Option<((usize, usize), f64)> = None;
    for r in 1..=num_perm {
        let b = num_perm / r;
        let p = |s: f64| 1.0 - (1.0 - s.powi(r as i32)).powi(b as i32);
        if p(threshold) < 0.99 {
            continue;
        }
        let fp = integrate(&p, 0.0, threshold);
        if best.is_none_or(|(_, f)| fp < f) {
            best = Some(((b, r), fp));
        }
    }
    best.map_or_else(|| balanced_bands_rows(threshold, num_perm), |(br, _)| br)
}

fn integrate(f: &dyn Fn(f64) -> f64, lo: f64, hi: f64) -> f64 {
    let steps = 200;
    let dx = (hi - lo) / f64::from(steps);
    (0..steps)
        .map(|i| f(lo + (f64::from(i) + 0.5) * dx) * dx)
        .sum::<f64>()
}

/// Bands × rows minimising the summed chance of false positives below the threshold and false
/// negatives above it (datasketch's choice).
pub fn balanced_bands_rows(threshold: f64, num_perm: usize) -> (usize, usize) {
    let mut best = (1, num_perm);
    let mut best_err = f64::INFINITY;
    for b in 1..=num_perm {
        for r in 1..=num_perm / b {
            let p = |s: f64| 1.0 - (1.0 - s.powi(r as i32)).powi(b as i32);
            let fp = integrate(&p, 0.0, threshold);
            let fn_ = integrate(&|s| 1.0 - p(s), threshold, 1.0);
            let err = fp + fn_;
            if err < best_err {
                best_err = err;
                best = (b, r);
            }
        }
    }
    best
}

/// One cluster: the index of the document kept and of those removed (input order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cluster {
    pub kept: usize,
    pub removed: Vec<usize>,
    pub exact: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct DedupResult {
    pub documents: usize,
    pub bands: usize,
    pub rows: usize,
    pub clusters: Vec<Cluster>,
    pub exact_removed: usize,
    pub near_removed: usize,
    pub candidate_pairs: u64,
    pub verified_pairs: u64,
}

/// Per-document data the clustering needs.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    pub exact: u128,
    pub shingles: Vec<u32>,
    pub signature: Vec<u32>,
    pub chars: usize,
}

pub fn fingerprint(text: &str, config: &DedupConfig, perms: &Permutations) -> Fingerprint {
    let norm = normalise(text);
    let shingles = shingles_of_normalised(&norm, config.shingle);
    let signature = perms.signature(&shingles);
    Fingerprint {
        exact: xxhash_rust::xxh3::xxh3_128(norm.as_bytes()),
        shingles,
        signature,
        chars: text.chars().count(),
    }
}

/// Fingerprints a batch of texts on all cores.
pub fn fingerprint_batch(
    texts: &[String],
    config: &DedupConfig,
    perms: &Permutations,
) -> Vec<Fingerprint> {
    texts
        .par_iter()
        .map(|t| fingerprint(t, config, perms))
        .collect()
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut x: usize) -> usize {
        while self.0[x] != x {
            self.0[x] = self.0[self.0[x]];
            x = self.0[x];
        }
        x
    }
    /// Joins two sets, the smaller index becoming the root.
    fn union(&mut self, a: usize, b: usize) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (lo, hi) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.0[hi] = lo;
        true
    }
}

/// Clusters fingerprints: exact duplicates first, then LSH candidates whose real Jaccard
/// similarity reaches the threshold.
pub fn cluster(prints: &[Fingerprint], config: &DedupConfig, policy: KeepPolicy) -> DedupResult {
    let n = prints.len();
    let (bands, rows) = config
        .bands_rows
        .unwrap_or_else(|| optimal_bands_rows(config.threshold, config.num_perm));
    let mut uf = UnionFind((0..n).collect());
    let mut exact_of = vec![false; n];

    let mut by_exact: HashMap<u128, usize> = HashMap::with_capacity(n);
    for (i, p) in prints.iter().enumerate() {
        match by_exact.entry(p.exact) {
            std::collections::hash_map::Entry::Occupied(first) => {
                uf.union(*first.get(), i);
                exact_of[i] = true;
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
            }
        }
    }
    // Only the first of each exact group takes part in near-duplicate search.
    let unique: Vec<usize> = (0..n).filter(|&i| !exact_of[i]).collect();

    // Band keys for every band, computed in parallel; then grouped by sorting.
    let keyed: Vec<Vec<(u64, u32)>> = (0..bands)
        .into_par_iter()
        .map(|band| {
            let mut keys: Vec<(u64, u32)> = unique
                .iter()
                .map(|&i| {
                    let slice = &prints[i].signature[band * rows..(band + 1) * rows];
                    let bytes: Vec<u8> = slice.iter().flat_map(|v| v.to_le_bytes()).collect();
                    (xxhash_rust::xxh3::xxh3_64(&bytes), i as u32)
                })
                .collect();
            keys.sort_unstable();
            keys
        })
        .collect();

    let mut candidate_pairs = 0u64;
    let mut verified_pairs = 0u64;
    for keys in &keyed {
        let mut start = 0;
        while start < keys.len() {
            let mut end = start + 1;
            while end < keys.len() && keys[end].0 == keys[start].0 {
                end += 1;
            }
            for k in start + 1..end {
                let (a, b) = (keys[start].1 as usize, keys[k].1 as usize);
                candidate_pairs += 1;
                if uf.find(a) == uf.find(b) {
                    continue;
                }
                // Compare with every earlier member of the bucket until one matches.
                for &(_, a) in &keys[start..k] {
                    let a = a as usize;
                    if uf.find(a) == uf.find(b) {
                        break;
                    }
                    verified_pairs += 1;
                    if jaccard(&prints[a].shingles, &prints[b].shingles) >= config.threshold {
                        uf.union(a, b);
                        break;
                    }
                }
            }
            start = end;
        }
    }

    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let root = uf.find(i);
        if root != i {
            groups.entry(root).or_default().push(i);
        }
    }
    let mut clusters: Vec<Cluster> = groups
        .into_iter()
        .map(|(root, mut members)| {
            members.push(root);
            members.sort_unstable();
            members.dedup();
            let kept = match policy {
                KeepPolicy::First => members[0],
                KeepPolicy::Longest => *members
                    .iter()
                    .max_by_key(|&&i| (prints[i].chars, std::cmp::Reverse(i)))
                    .unwrap_or(&members[0]),
            };
            let exact = members
                .iter()
                .all(|&i| prints[i].exact == prints[members[0]].exact);
            let removed = members.into_iter().filter(|&i| i != kept).collect();
            Cluster {
                kept,
                removed,
                exact,
            }
        })
        .collect();
    clusters.sort_unstable_by_key(|c| c.kept);
    let removed_total: usize = clusters.iter().map(|c| c.removed.len()).sum();
    let exact_removed = exact_of.iter().filter(|&&e| e).count();
    DedupResult {
        documents: n,
        bands,
        rows,
        clusters,
        exact_removed,
        near_removed: removed_total - exact_removed,
        candidate_pairs,
        verified_pairs,
    }
}

/// What `dedup_files` reports: clusters by the documents' own ids.
#[derive(Debug, Clone, Serialize)]
pub struct DedupReport {
    pub inputs: Vec<std::path::PathBuf>,
    pub output: std::path::PathBuf,
    pub config: DedupConfig,
    pub policy: KeepPolicy,
    pub bands: usize,
    pub rows: usize,
    pub documents_in: usize,
    pub documents_out: usize,
    pub exact_removed: usize,
    pub near_removed: usize,
    pub candidate_pairs: u64,
    pub verified_pairs: u64,
    pub bad_lines: u64,
    /// The first unreadable lines, as `file:line: reason`.
    pub bad_line_examples: Vec<String>,
    pub clusters: Vec<ClusterIds>,
    pub timings: FileTimings,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClusterIds {
    pub kept: serde_json::Value,
    pub removed: Vec<serde_json::Value>,
    pub exact: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct FileTimings {
    pub read_and_fingerprint_secs: f64,
    pub cluster_secs: f64,
    pub write_secs: f64,
    pub total_secs: f64,
}

/// Texts fingerprinted together on all cores.
const BATCH: usize = 4096;

struct ReadBatch {
    ids: Vec<serde_json::Value>,
    texts: Vec<String>,
    /// Input bytes read up to the end of this batch.
    bytes_done: u64,
    bad_lines: crate::corpus::read::BadLineLog,
}

/// Streams the inputs as batches; stops early when the receiver hangs up.
fn read_batches(
    inputs: &[std::path::PathBuf],
    read: &crate::corpus::read::ReadOptions,
    tx: &crossbeam_channel::Sender<Result<ReadBatch, crate::corpus::clean::CleanError>>,
) {
    use crate::corpus::read::DocumentReader;
    let new_batch = || ReadBatch {
        ids: Vec::with_capacity(BATCH),
        texts: Vec::with_capacity(BATCH),
        bytes_done: 0,
        bad_lines: crate::corpus::read::BadLineLog::default(),
    };
    let mut batch = new_batch();
    let mut done_bytes = 0u64;
    for input in inputs {
        let mut reader = match DocumentReader::open(input, read.clone()) {
            Ok(reader) => reader,
            Err(e) => {
                let _ = tx.send(Err(e.into()));
                return;
            }
        };
        while let Some(doc) = reader.next() {
            match doc {
                Ok(doc) => {
                    batch.ids.push(doc.id);
                    batch.texts.push(doc.text);
                }
                Err(e) => {
                    let _ = tx.send(Err(e.into()));
                    return;
                }
            }
            if batch.texts.len() == BATCH {
                batch.bytes_done = done_bytes + reader.bytes_read;
                if tx
                    .send(Ok(std::mem::replace(&mut batch, new_batch())))
                    .is_err()
                {
                    return;
                }
            }
        }
        done_bytes += input.metadata().map_or(0, |m| m.len());
        batch.bad_lines.absorb(&reader.problems);
    }
    batch.bytes_done = done_bytes;
    let _ = tx.send(Ok(batch));
}

/// Streams `inputs` once and fingerprints every document, in batches on all cores.
/// Returns the fingerprints, the ids and the number of bad lines skipped.
pub fn fingerprint_files(
    inputs: &[std::path::PathBuf],
    config: &DedupConfig,
    read: &crate::corpus::read::ReadOptions,
    ctx: Option<&crate::jobs::JobCtx>,
) -> Result<(Vec<Fingerprint>, Vec<serde_json::Value>, u64), crate::corpus::clean::CleanError> {
    let first = inputs.first().cloned().unwrap_or_default();
    let (prints, ids, bad) = read_and_fingerprint(inputs, &first, config, read, ctx, 2)?;
    Ok((prints, ids, bad.count()))
}

/// `progress_scale`: the whole job is this many halves of the input bytes (3 when a write
/// pass follows, 2 when reading is all).
fn read_and_fingerprint(
    inputs: &[std::path::PathBuf],
    output: &std::path::Path,
    config: &DedupConfig,
    read: &crate::corpus::read::ReadOptions,
    ctx: Option<&crate::jobs::JobCtx>,
    progress_scale: u64,
) -> Result<
    (
        Vec<Fingerprint>,
        Vec<serde_json::Value>,
        crate::corpus::read::BadLineLog,
    ),
    crate::corpus::clean::CleanError,
> {
    use crate::corpus::clean::CleanError;
    let perms = Permutations::new(config.num_perm, config.seed);
    let total_bytes: u64 = inputs
        .iter()
        .filter_map(|p| p.metadata().ok())
        .map(|m| m.len())
        .sum();
    let report_progress = |done: u64| {
        if let Some(ctx) = ctx {
            ctx.progress(done, Some(total_bytes.saturating_mul(progress_scale) / 2));
        }
    };
    let cancelled = || ctx.is_some_and(crate::jobs::JobCtx::is_cancelled);
    // A named reader thread parses the next batch while all cores fingerprint this one.
    let (tx, rx) = crossbeam_channel::bounded::<Result<ReadBatch, CleanError>>(2);
    let reader_inputs = inputs.to_vec();
    let reader_options = read.clone();
    let reader_thread = std::thread::Builder::new()
        .name("dezgah-dedup-reader".into())
        .spawn(move || read_batches(&reader_inputs, &reader_options, &tx))
        .map_err(|source| CleanError::Write {
            path: output.to_owned(),
            source,
        })?;
    let mut prints: Vec<Fingerprint> = Vec::new();
    let mut ids: Vec<serde_json::Value> = Vec::new();
    let mut bad_lines = crate::corpus::read::BadLineLog::default();
    for batch in rx {
        let batch = batch?;
        prints.extend(fingerprint_batch(&batch.texts, config, &perms));
        ids.extend(batch.ids);
        bad_lines.absorb(&batch.bad_lines);
        if cancelled() {
            return Err(CleanError::Cancelled {
                path: output.to_owned(),
            });
        }
        report_progress(batch.bytes_done);
    }
    let _ = reader_thread.join();
    Ok((prints, ids, bad_lines))
}

/// Reads `inputs` (streamed, in batches fingerprinted in parallel), clusters, then streams the
/// inputs again to write every document not removed to `output`, atomically.
pub fn dedup_files(
    inputs: &[std::path::PathBuf],
    output: &std::path::Path,
    config: &DedupConfig,
    policy: KeepPolicy,
    read: &crate::corpus::read::ReadOptions,
    ctx: Option<&crate::jobs::JobCtx>,
) -> Result<DedupReport, crate::corpus::clean::CleanError> {
    use crate::corpus::clean::CleanError;
    use crate::corpus::read::DocumentReader;

    let started = std::time::Instant::now();
    let total_bytes: u64 = inputs
        .iter()
        .filter_map(|p| p.metadata().ok())
        .map(|m| m.len())
        .sum();
    // Progress: reading counts for two thirds, writing for the rest.
    let report_progress = |done: u64| {
        if let Some(ctx) = ctx {
            ctx.progress(done, Some(total_bytes.saturating_mul(3) / 2));
        }
    };
    let cancelled = || ctx.is_some_and(crate::jobs::JobCtx::is_cancelled);
    let (prints, ids, bad) = read_and_fingerprint(inputs, output, config, read, ctx, 3)?;
    crate::corpus::read::ensure_documents(inputs, ids.len() as u64, &bad)?;
    let read_secs = started.elapsed().as_secs_f64();

    let result = cluster(&prints, config, policy);
    drop(prints);
    let cluster_secs = started.elapsed().as_secs_f64() - read_secs;

    let mut removed = vec![false; ids.len()];
    for c in &result.clusters {
        for &i in &c.removed {
            removed[i] = true;
        }
    }
    let mut sink = crate::corpus::write::JsonlSink::create(output)?;
    let mut index = 0usize;
    let mut written = 0usize;
    {
        let mut done = 0u64;
        for input in inputs {
            let mut reader = DocumentReader::open(input, read.clone())?;
            while let Some(doc) = reader.next() {
                let doc = doc?;
                if !removed.get(index).copied().unwrap_or(false) {
                    sink.write(&doc.id, &doc.text, &doc.extra)?;
                    written += 1;
                }
                index += 1;
                if index.is_multiple_of(BATCH) {
                    if cancelled() {
                        return Err(CleanError::Cancelled {
                            path: output.to_owned(),
                        });
                    }
                    report_progress(total_bytes + u64::midpoint(done, reader.bytes_read));
                }
            }
            done += input.metadata().map_or(0, |m| m.len());
        }
    }
    sink.finish()?;
    report_progress(total_bytes.saturating_mul(3) / 2);
    let total_secs = started.elapsed().as_secs_f64();

    let clusters = result
        .clusters
        .iter()
        .map(|c| ClusterIds {
            kept: ids[c.kept].clone(),
            removed: c.removed.iter().map(|&i| ids[i].clone()).collect(),
            exact: c.exact,
        })
        .collect();
    Ok(DedupReport {
        inputs: inputs.to_vec(),
        output: output.to_owned(),
        config: *config,
        policy,
        bands: result.bands,
        rows: result.rows,
        documents_in: ids.len(),
        documents_out: written,
        exact_removed: result.exact_removed,
        near_removed: result.near_removed,
        candidate_pairs: result.candidate_pairs,
        verified_pairs: result.verified_pairs,
        bad_lines: bad.count(),
        bad_line_examples: bad.examples(),
        clusters,
        timings: FileTimings {
            read_and_fingerprint_secs: read_secs,
            cluster_secs,
            write_secs: total_secs - read_secs - cluster_secs,
            total_secs,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "Azərbaycan Respublikasının Mülki Məcəlləsi mülki qanunvericiliyin əsaslarını \
        müəyyən edir və mülkiyyət hüququnu, müqavilə öhdəliklərini, vərəsəlik qaydalarını və \
        digər əmlak münasibətlərini tənzimləyir. Bu Məcəllə fiziki və hüquqi şəxslər arasında \
        yaranan münasibətlərə tətbiq olunur və onların hüquqlarının müdafiəsini təmin edir.";

    fn prints(texts: &[&str], config: &DedupConfig) -> Vec<Fingerprint> {
        let perms = Permutations::new(config.num_perm, config.seed);
        texts
            .iter()
            .map(|t| fingerprint(t, config, &perms))
            .collect()
    }

    #[test]
    fn byte_normaliser_matches_a_character_by_character_one() {
        // The plain definition: Turkic lower case, every run of non-alphanumerics one space.
        fn reference(text: &str) -> String {
            let lowered = crate::corpus::text::to_lower_az(text);
            let mut out = String::new();
            for c in lowered.chars() {
                if c.is_alphanumeric() {
                    out.push(c);
                } else if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            out.trim_end().to_owned()
        }
        const FAST_ONLY: &str =
            "ƏLİYEV Şəki, ÇÖL-ÜZÜ ĞİRTDAN! 2024 «dünya» ŞƏKİ\u{a0}ÇAY×2 § ÖDƏ ƏƏ  ,, x";
        assert!(normalise_fast(FAST_ONLY.as_bytes(), &mut Vec::new(), false));
        // Inside JSON strings, escapes are separators and the escaped byte is not a letter.
        for text in [
            FAST_ONLY,
            "iki\nsətir \"dırnaq\" \\n əks\\\\ x/y\tZ",
            "a\\",
            "\n\n",
        ] {
            let json = serde_json::to_string(text).expect("json");
            let mut fast = Vec::new();
            assert!(
                normalise_json_fast(&json.as_bytes()[1..json.len() - 1], &mut fast),
                "{json}"
            );
            assert_eq!(
                String::from_utf8(fast).expect("utf8"),
                normalise(text),
                "{json}"
            );
        }
        for text in [
            "ƏLİYEV Şəki, ÇÖL-ÜZÜ ĞIRTDAN! 2024 İqtisadiyyat",
            "ƏLİYEV Şəki, ÇÖL-ÜZÜ ĞİRTDAN! 2024 — İqtisadiyyat",
            "Salam «dünya» – ŞƏKİ\u{a0}ÇAY×2 § ÖDƏ",
            "Бакы ШӘҺӘРИ ҸАМААТ Һ ҒӘЛӘБӘ",
            FAST_ONLY,
            "  Ваку шәһәри ДӘНИЗ  ",
            "Straße ΣΟΦΙΑ ǅemal 𝐀bc",
            "ıiIİ...éÉ ñ",
            "",
            "!!!",
        ] {
            assert_eq!(normalise(text), reference(text), "{text}");
            let mut fast = Vec::new();
            if normalise_fast(text.as_bytes(), &mut fast, false) {
                assert_eq!(
                    String::from_utf8(fast).expect("utf8"),
                    reference(text),
                    "{text}"
                );
            }
        }
    }

    #[test]
    fn normalisation_uses_turkic_casing_and_drops_punctuation() {
        assert_eq!(normalise("İLHAM, IĞDIR!  Əla..."), "ilham ığdır əla");
        assert_eq!(
            normalise("I\u{307}stanbul — ƏLİYEV, 2024"),
            "istanbul əliyev 2024"
        );
        // The same as lower-casing first and then dropping what is not a letter or digit.
        let text = "Şəki İpək Yolu: IV əsr, «Xan Sarayı» və 1762-ci il! ÇÖL ÜZÜ ĞIŞ";
        let slow: String = crate::corpus::text::to_lower_az(text)
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect();
        assert_eq!(
            normalise(text),
            slow.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn minhash_estimates_jaccard() {
        let config = DedupConfig::default();
        let perms = Permutations::new(256, 7);
        let a = shingle_set(BASE, config.shingle);
        let edited = BASE
            .replace("vərəsəlik", "miras")
            .replace("fiziki", "bütün");
        let b = shingle_set(&edited, config.shingle);
        let exact = jaccard(&a, &b);
        let (sa, sb) = (perms.signature(&a), perms.signature(&b));
        let estimate = sa.iter().zip(&sb).filter(|(x, y)| x == y).count() as f64 / 256.0;
        assert!((exact - estimate).abs() < 0.12, "{exact} vs {estimate}");
        assert!(exact > 0.5 && exact < 1.0, "{exact}");
    }

    #[test]
    fn finds_exact_and_near_duplicates_and_keeps_the_rest() {
        let config = DedupConfig {
            threshold: 0.7,
            ..DedupConfig::default()
        };
        let near = BASE.replace("tənzimləyir", "nizamlayır");
        let exact_copy = format!("  {}!!", crate::corpus::text::to_upper_az(BASE));
        let texts = [
            BASE,
            "Tamamilə başqa bir mətn: Xəzər dənizi dünyanın ən böyük qapalı su hövzəsidir və \
             onun sahilində çoxlu şəhər yerləşir, o cümlədən Bakı, Sumqayıt və Lənkəran.",
            near.as_str(),
            exact_copy.as_str(),
        ];
        let result = cluster(&prints(&texts, &config), &config, KeepPolicy::First);
        assert_eq!(result.clusters.len(), 1, "{:?}", result.clusters);
        let c = &result.clusters[0];
        assert_eq!(c.kept, 0);
        assert_eq!(c.removed, vec![2, 3]);
        assert_eq!(result.exact_removed, 1);
        assert_eq!(result.near_removed, 1);
    }

    #[test]
    fn the_longest_can_be_kept() {
        let config = DedupConfig {
            threshold: 0.7,
            ..DedupConfig::default()
        };
        let longer = format!("{BASE} Əlavə cümlə.");
        let result = cluster(
            &prints(&[BASE, longer.as_str()], &config),
            &config,
            KeepPolicy::Longest,
        );
        assert_eq!(result.clusters[0].kept, 1);
        assert_eq!(result.clusters[0].removed, vec![0]);
    }

    #[test]
    fn band_choice_favours_recall_at_the_threshold() {
        let p = |b: usize, r: usize, s: f64| 1.0 - (1.0 - s.powi(r as i32)).powi(b as i32);
        let (b, r) = optimal_bands_rows(0.8, 128);
        assert!(b * r <= 128);
        assert!(p(b, r, 0.8) >= 0.99, "{b}x{r}");
        assert!(p(b, r, 0.3) < 0.05, "{b}x{r} floods with candidates");
        let (b, r) = balanced_bands_rows(0.8, 128);
        let midpoint = (1.0 / b as f64).powf(1.0 / r as f64);
        assert!((midpoint - 0.8).abs() < 0.1, "{b}x{r}: {midpoint}");
    }

    #[test]
    fn char_shingles_work_too() {
        let config = DedupConfig {
            shingle: Shingle::Chars(5),
            threshold: 0.7,
            ..DedupConfig::default()
        };
        let near = BASE.replace("Məcəllə ", "Məcəllə, ");
        let result = cluster(
            &prints(&[BASE, near.as_str()], &config),
            &config,
            KeepPolicy::First,
        );
        assert_eq!(result.near_removed + result.exact_removed, 1);
    }
}
