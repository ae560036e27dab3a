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

/// Lower-cases the Azerbaijani way (as [`crate::core::corpus::text::to_lower_az`]) and turns every run of characters that
/// are not letters or digits into one space. One pass, with a fast path for ASCII: this is the
/// hottest loop of deduplication.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() {
            if c == 'I' {
                if chars.peek() == Some(&'\u{307}') {
                    chars.next();
                    out.push('i');
                } else {
                    out.push('ı');
                }
            } else {
                out.push(c.to_ascii_lowercase());
            }
            space = false;
        } else if let Some(lower) = az_letter_lower(c) {
            // Azerbaijani's own letters skip the Unicode tables.
            out.push(lower);
            space = false;
        } else if !c.is_ascii() && c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The lower case of a non-ASCII Azerbaijani letter, Turkic rules (İ → i).
fn az_letter_lower(c: char) -> Option<char> {
    Some(match c {
        'ə' | 'ı' | 'ş' | 'ç' | 'ğ' | 'ö' | 'ü' => c,
        'Ə' => 'ə',
        'İ' => 'i',
        'Ş' => 'ş',
        'Ç' => 'ç',
        'Ğ' => 'ğ',
        'Ö' => 'ö',
        'Ü' => 'ü',
        _ => return None,
    })
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
    bad_lines: u64,
}

/// Streams the inputs as batches; stops early when the receiver hangs up.
fn read_batches(
    inputs: &[std::path::PathBuf],
    read: &crate::core::corpus::read::ReadOptions,
    tx: &crossbeam_channel::Sender<Result<ReadBatch, crate::core::corpus::clean::CleanError>>,
) {
    use crate::core::corpus::read::DocumentReader;
    let new_batch = || ReadBatch {
        ids: Vec::with_capacity(BATCH),
        texts: Vec::with_capacity(BATCH),
        bytes_done: 0,
        bad_lines: 0,
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
        batch.bad_lines += reader.problems.len() as u64;
    }
    batch.bytes_done = done_bytes;
    let _ = tx.send(Ok(batch));
}

/// Streams `inputs` once and fingerprints every document, in batches on all cores.
/// Returns the fingerprints, the ids and the number of bad lines skipped.
pub fn fingerprint_files(
    inputs: &[std::path::PathBuf],
    config: &DedupConfig,
    read: &crate::core::corpus::read::ReadOptions,
    ctx: Option<&crate::core::jobs::JobCtx>,
) -> Result<(Vec<Fingerprint>, Vec<serde_json::Value>, u64), crate::core::corpus::clean::CleanError>
{
    let first = inputs.first().cloned().unwrap_or_default();
    read_and_fingerprint(inputs, &first, config, read, ctx, 2)
}

/// `progress_scale`: the whole job is this many halves of the input bytes (3 when a write
/// pass follows, 2 when reading is all).
fn read_and_fingerprint(
    inputs: &[std::path::PathBuf],
    output: &std::path::Path,
    config: &DedupConfig,
    read: &crate::core::corpus::read::ReadOptions,
    ctx: Option<&crate::core::jobs::JobCtx>,
    progress_scale: u64,
) -> Result<(Vec<Fingerprint>, Vec<serde_json::Value>, u64), crate::core::corpus::clean::CleanError>
{
    use crate::core::corpus::clean::CleanError;
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
    let cancelled = || ctx.is_some_and(crate::core::jobs::JobCtx::is_cancelled);
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
    let mut bad_lines = 0u64;
    for batch in rx {
        let batch = batch?;
        prints.extend(fingerprint_batch(&batch.texts, config, &perms));
        ids.extend(batch.ids);
        bad_lines += batch.bad_lines;
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
    read: &crate::core::corpus::read::ReadOptions,
    ctx: Option<&crate::core::jobs::JobCtx>,
) -> Result<DedupReport, crate::core::corpus::clean::CleanError> {
    use crate::core::corpus::clean::CleanError;
    use crate::core::corpus::read::DocumentReader;

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
    let cancelled = || ctx.is_some_and(crate::core::jobs::JobCtx::is_cancelled);
    let (prints, ids, bad_lines) = read_and_fingerprint(inputs, output, config, read, ctx, 3)?;
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
    let mut sink = crate::core::corpus::write::JsonlSink::create(output)?;
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
        bad_lines,
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
    fn normalisation_uses_turkic_casing_and_drops_punctuation() {
        assert_eq!(normalise("İLHAM, IĞDIR!  Əla..."), "ilham ığdır əla");
        assert_eq!(
            normalise("I\u{307}stanbul — ƏLİYEV, 2024"),
            "istanbul əliyev 2024"
        );
        // The same as lower-casing first and then dropping what is not a letter or digit.
        let text = "Şəki İpək Yolu: IV əsr, «Xan Sarayı» və 1762-ci il! ÇÖL ÜZÜ ĞIŞ";
        let slow: String = crate::core::corpus::text::to_lower_az(text)
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
        let exact_copy = format!("  {}!!", crate::core::corpus::text::to_upper_az(BASE));
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
