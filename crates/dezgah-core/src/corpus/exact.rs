//! Exact deduplication on normalised text, built for throughput: the JSONL is read in large
//! blocks, lines are parsed (text borrowed, not copied, where it has no escapes), normalised
//! into a reused buffer and hashed (XXH3-128) on all cores; the first occurrence of each hash
//! stays. Kept lines are copied to the output byte for byte, so ids and fields are untouched.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::corpus::clean::CleanError;
use crate::corpus::read::{BadLineLog, BadLines, LineError, ReadError};
use crate::corpus::simd_norm::normalise_for_hash;
use crate::jobs::JobCtx;

/// Bytes read at a time when a file cannot be mapped; lines are cut at the last newline of
/// each block.
const BLOCK: usize = 32 << 20;
/// Bytes of a mapped file decided at a time (progress and cancel come between them).
const SEGMENT: usize = 16 << 20;
/// Bytes handed to one parallel task, cut at a line end.
const PIECE: usize = 1 << 20;

#[derive(Debug, Clone, Serialize)]
pub struct ExactReport {
    pub matching: Match,
    pub inputs: Vec<PathBuf>,
    /// `None` when only the duplicates were looked for.
    pub output: Option<PathBuf>,
    pub documents_in: usize,
    pub documents_out: usize,
    pub removed: usize,
    pub bad_lines: usize,
    pub bytes: u64,
    /// `{"kept": id, "removed": [ids]}` per group of identical documents.
    pub clusters: Vec<crate::corpus::dedup::ClusterIds>,
    /// The pass over the input: reading, hashing, deciding and writing the kept lines.
    pub hash_secs: f64,
    pub total_secs: f64,
    /// Input megabytes per second of the pass (everything but the final sync and the report's
    /// ids).
    pub hash_mb_per_s: f64,
}

#[derive(serde::Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    text: Cow<'a, str>,
}

#[derive(serde::Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: serde_json::Value,
}

/// A line of a block: its span (newline excluded) and the hash of its text, `None` for a blank
/// or bad line.
type Line = (usize, usize, Option<u128>);

/// The hash of one JSONL line's text.
fn line_hash(line: &[u8], mode: Match, buf: &mut Vec<u8>, scratch: &mut Vec<u8>) -> Option<u128> {
    if mode == Match::Raw {
        // The text exactly as it is: escapes decoded only where there are some.
        return text_of(line, scratch).map(|text| xxhash_rust::xxh3::xxh3_128(text.as_bytes()));
    }
    // Fast: normalise the JSON string as written, escapes and all.
    if let Some((raw, _)) = text_field(line)
        && let Some(n) = normalise_for_hash(raw, true, buf)
    {
        return Some(xxhash_rust::xxh3::xxh3_128(&buf[..n]));
    }
    let text = text_of(line, scratch)?;
    let n = normalise_for_hash(text.as_bytes(), false, buf)?;
    Some(xxhash_rust::xxh3::xxh3_128(&buf[..n]))
}

/// The lines of `block` with their hashes, on all cores: the block is cut into pieces at line
/// ends and each piece finds its own lines (in order, one list per piece).
fn hash_block(block: &[u8], mode: Match, spare: &Spare, piece: usize) -> Vec<Vec<Line>> {
    let mut cuts = vec![0];
    let mut at = 0;
    while at + piece < block.len() {
        match memchr::memchr(b'\n', &block[at + piece..]) {
            Some(j) => {
                at += piece + j + 1;
                cuts.push(at);
            }
            None => break,
        }
    }
    if *cuts.last().unwrap_or(&0) < block.len() {
        cuts.push(block.len());
    }
    thread_local! {
        /// The normaliser's buffers, kept by each thread from block to block: fresh ones would
        /// be fresh pages, zeroed by the kernel, every time.
        static BUFFERS: std::cell::RefCell<(Vec<u8>, Vec<u8>)> = const {
            std::cell::RefCell::new((Vec::new(), Vec::new()))
        };
    }
    cuts.par_windows(2)
        .map(|w| {
            BUFFERS.with_borrow_mut(|(buf, scratch)| {
                let piece = &block[w[0]..w[1]];
                let mut lines = spare.take();
                let mut start = 0;
                let mut push = |start: usize, end: usize| {
                    let hash = line_hash(&piece[start..end], mode, buf, scratch);
                    lines.push((w[0] + start, w[0] + end, hash));
                };
                for nl in memchr::memchr_iter(b'\n', piece) {
                    push(start, nl);
                    start = nl + 1;
                }
                if start < piece.len() {
                    push(start, piece.len());
                }
                lines
            })
        })
        .collect()
}

/// Line lists handed back after a block is decided, for the next block's pieces: memory that
/// is freed and allocated anew comes back as fresh pages the kernel must zero.
#[derive(Default)]
struct Spare(std::sync::Mutex<Vec<Vec<Line>>>);

impl Spare {
    fn take(&self) -> Vec<Line> {
        let mut lines = self
            .0
            .lock()
            .ok()
            .and_then(|mut spare| spare.pop())
            .unwrap_or_default();
        lines.clear();
        lines
    }

    fn give(&self, lists: Vec<Vec<Line>>) {
        if let Ok(mut spare) = self.0.lock() {
            spare.extend(lists);
        }
    }
}

/// The map's key is already a good hash: its low half is used as it is.
#[derive(Default)]
struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u128(&mut self, i: u128) {
        self.0 = i as u64;
    }
}

/// The `text` of a JSONL line. Fast path: a top-level `"text"` string without escapes is
/// borrowed straight from the line after a SIMD UTF-8 check; anything else goes through
/// serde_json, which also decides what is malformed.
fn text_of<'a>(line: &'a [u8], scratch: &'a mut Vec<u8>) -> Option<Cow<'a, str>> {
    match text_span(line) {
        Some((start, end, false)) => {
            if let Ok(text) = simdutf8::basic::from_utf8(&line[start..end]) {
                return Some(Cow::Borrowed(text));
            }
        }
        Some((start, _, true)) => {
            // The decoder reads from the opening quote.
            crate::corpus::index::decode_json_string_bytes(&line[start - 1..], usize::MAX, scratch);
            if let Ok(text) = simdutf8::basic::from_utf8(scratch) {
                return Some(Cow::Borrowed(text));
            }
        }
        None => {}
    }
    serde_json::from_slice::<Record<'_>>(line)
        .ok()
        .map(|r| r.text)
}

/// The end (exclusive) of the JSON string whose opening quote is at `at`, and whether it holds
/// an escape.
fn string_end(line: &[u8], at: usize) -> Option<(usize, bool)> {
    let mut i = at + 1;
    let mut escaped = false;
    loop {
        let j = i + memchr::memchr2(b'"', b'\\', line.get(i..)?)?;
        if line[j] == b'"' {
            return Some((j + 1, escaped));
        }
        escaped = true;
        i = j + 2;
    }
}

fn skip_ws(line: &[u8], mut i: usize) -> usize {
    while line.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    i
}

/// The end of the JSON value starting at `at` (a string, number, literal, object or array).
fn value_end(line: &[u8], at: usize) -> Option<usize> {
    match *line.get(at)? {
        b'"' => string_end(line, at).map(|(end, _)| end),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = at;
            while i < line.len() {
                match line[i] {
                    b'"' => {
                        i = string_end(line, i)?.0;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => Some(at + line[at..].iter().position(|&b| b == b',' || b == b'}')?),
    }
}

/// The content of the top-level `"text"` string of a JSON object line (between its quotes,
/// escapes as written), and whether it holds escapes. `None` when the line is not that simple (serde_json then decides).
fn text_field(line: &[u8]) -> Option<(&[u8], bool)> {
    text_span(line).map(|(start, end, escaped)| (&line[start..end], escaped))
}

/// [`text_field`] as a byte range of the line.
fn text_span(line: &[u8]) -> Option<(usize, usize, bool)> {
    let (start, end, escaped) = field_span(line, b"text")?;
    if line.get(start) != Some(&b'"') {
        return None;
    }
    Some((start + 1, end - 1, escaped))
}

/// Where the value of the top-level `key` of a JSON object line starts and ends, and whether it
/// is a string with escapes. `None` when the line is not that simple or has no such key
/// (serde_json then decides).
fn field_span(line: &[u8], key: &[u8]) -> Option<(usize, usize, bool)> {
    let mut i = skip_ws(line, 0);
    if line.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    loop {
        i = skip_ws(line, i);
        if line.get(i) != Some(&b'"') {
            return None;
        }
        let (key_end, key_escaped) = string_end(line, i)?;
        let this = &line[i + 1..key_end - 1];
        i = skip_ws(line, key_end);
        if line.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(line, i + 1);
        let (end, escaped) = if line.get(i) == Some(&b'"') {
            string_end(line, i)?
        } else {
            (value_end(line, i)?, false)
        };
        if this == key && !key_escaped {
            return Some((i, end, escaped));
        }
        i = skip_ws(line, end);
        match line.get(i) {
            Some(b',') => i += 1,
            _ => return None,
        }
    }
}

/// What counts as the same text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// Equal after normalisation (Turkic lower case, punctuation and spacing dropped).
    Normalised,
    /// Byte for byte equal.
    Raw,
}

/// Streams `path` in blocks cut at line ends, calling `each(block)`: for a file that cannot be
/// mapped.
fn for_each_block(
    path: &Path,
    mut each: impl FnMut(&[u8]) -> Result<(), CleanError>,
) -> Result<(), CleanError> {
    let io = |source| {
        CleanError::Read(crate::corpus::read::ReadError::Io {
            path: path.to_owned(),
            source,
        })
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK + (1 << 20));
    let mut carry: Vec<u8> = Vec::new();
    loop {
        block.clear();
        block.extend_from_slice(&carry);
        carry.clear();
        let filled = block.len();
        block.resize(filled + BLOCK, 0);
        let mut n = filled;
        // Fill the block (a read may return less than asked).
        while n < block.len() {
            match file.read(&mut block[n..]) {
                Ok(0) => break,
                Ok(k) => n += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(io(e)),
            }
        }
        block.truncate(n);
        if block.is_empty() {
            return Ok(());
        }
        let at_end = n < filled + BLOCK;
        let cut = if at_end {
            block.len()
        } else {
            // One line longer than a block: keep reading it.
            let Some(last) = memchr::memrchr(b'\n', &block) else {
                carry = std::mem::take(&mut block);
                continue;
            };
            last + 1
        };
        carry.extend_from_slice(&block[cut..]);
        block.truncate(cut);
        each(&block)?;
        if at_end && carry.is_empty() {
            return Ok(());
        }
    }
}

/// What the pass has decided so far.
struct Decider {
    inputs: Vec<PathBuf>,
    out: Option<crate::corpus::write::JsonlSink>,
    /// First occurrence of each normalised text: its document number, input and line offset
    /// (to read its id back if a copy turns up).
    first_of: HashMap<u128, (u32, u32, u64), std::hash::BuildHasherDefault<Prehashed>>,
    /// Removed documents grouped by the one kept: kept doc → (its place, removed ids).
    groups: std::collections::BTreeMap<u32, ((u32, u64), Vec<serde_json::Value>)>,
    problems: BadLineLog,
    /// `--bad-lines fail`: the first unreadable line ends the pass.
    fail: bool,
    line_nos: Vec<u64>,
    documents: u32,
    kept: usize,
}

impl Decider {
    /// Decides the lines of one block (at `offset` of input `input`) in order, and writes each
    /// run of kept lines to the output in one piece.
    fn block(
        &mut self,
        input: usize,
        offset: u64,
        bytes: &[u8],
        lines: &[Vec<Line>],
    ) -> Result<(), CleanError> {
        // The kept lines not yet written: from the start of the first to the end of the last.
        let mut run: Option<(usize, usize)> = None;
        for &(start, end, hash) in lines.iter().flatten() {
            let line_no = &mut self.line_nos[input];
            *line_no += 1;
            let line = &bytes[start..end];
            let kept = match hash {
                None => {
                    if line.iter().any(|b| !b.is_ascii_whitespace()) {
                        let error = LineError {
                            path: self.inputs[input].clone(),
                            line: *line_no,
                            message: "not a JSON object with a string \"text\"".into(),
                        };
                        if self.fail {
                            return Err(ReadError::BadLine(error).into());
                        }
                        self.problems.note(error);
                    }
                    false
                }
                Some(hash) => {
                    let doc = self.documents;
                    self.documents += 1;
                    let place = (doc, input as u32, offset + start as u64);
                    let (original, first_input, first_offset) =
                        *self.first_of.entry(hash).or_insert(place);
                    if original == doc {
                        self.kept += 1;
                        true
                    } else {
                        let id = id_of(line).unwrap_or_else(|| (doc + 1).into());
                        self.groups
                            .entry(original)
                            .or_insert_with(|| ((first_input, first_offset), Vec::new()))
                            .1
                            .push(id);
                        false
                    }
                }
            };
            run = match (kept, run) {
                (true, Some((from, _))) => Some((from, end)),
                (true, None) => Some((start, end)),
                (false, Some(span)) => {
                    self.write(&bytes[span.0..span.1])?;
                    None
                }
                (false, None) => None,
            };
        }
        if let Some((from, to)) = run {
            self.write(&bytes[from..to])?;
        }
        Ok(())
    }

    fn write(&mut self, lines: &[u8]) -> Result<(), CleanError> {
        match &mut self.out {
            Some(out) => out.write_raw_line(lines),
            None => Ok(()),
        }
    }
}

/// Maps `path` when it is a regular file (a read-only view of its pages, no copy).
#[allow(unsafe_code)]
fn map(path: &Path) -> Option<memmap2::Mmap> {
    /// Files up to this size are read into the map at once (fewer page faults); larger ones
    /// page in as the pass reaches them, so a file beyond memory is never held whole.
    const POPULATE: u64 = 1 << 30;
    let file = std::fs::File::open(path).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut options = memmap2::MmapOptions::new();
    if meta.len() <= POPULATE {
        options.populate();
    }
    // SAFETY: the map is only read. Were the file changed by another process while mapped, the
    // bytes read could change under us (or the process get SIGBUS if it shrank); that is the
    // usual trade of mapped reading, made here for speed on multi-gigabyte corpora.
    let map = unsafe { options.map(&file) }.ok()?;
    // Read once, front to back: the kernel reads ahead and may drop pages behind.
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(map)
}

/// Exact deduplication of JSONL files whose text is in the `text` field, in one pass: each file
/// is mapped (or, failing that, read in blocks), all cores hash its lines, and the first of each
/// text is kept, its line copied to the output byte for byte. Without an output only the
/// duplicates are found (the report).
pub fn exact_dedup_jsonl(
    inputs: &[PathBuf],
    output: Option<&Path>,
    mode: Match,
    ctx: Option<&JobCtx>,
) -> Result<(ExactReport, BadLineLog), CleanError> {
    exact_dedup_with(inputs, output, mode, BadLines::Skip, ctx)
}

/// [`exact_dedup_jsonl`] with a bad-line choice: `Fail` stops at the first unreadable line;
/// `Repair` is `Skip` here (lines are hashed as they are, never rewritten). Binary inputs are
/// refused, and a pass that finds no document is an error.
pub fn exact_dedup_with(
    inputs: &[PathBuf],
    output: Option<&Path>,
    mode: Match,
    bad_lines: BadLines,
    ctx: Option<&JobCtx>,
) -> Result<(ExactReport, BadLineLog), CleanError> {
    for input in inputs {
        let mut head = Vec::with_capacity(8192);
        std::fs::File::open(input)
            .and_then(|f| f.take(8192).read_to_end(&mut head))
            .map_err(|source| ReadError::Io {
                path: input.clone(),
                source,
            })?;
        if let Some(why) = crate::corpus::read::binary_reason(&head) {
            return Err(ReadError::Binary {
                path: input.clone(),
                why,
            }
            .into());
        }
    }
    let fail = bad_lines == BadLines::Fail;
    let (report, problems) = exact_dedup_sized(inputs, output, mode, ctx, (SEGMENT, PIECE), fail)?;
    Ok((report, problems))
}

/// [`exact_dedup_jsonl`] with the segment and piece sizes of mapped files given (small ones in
/// tests, to cross many of their borders).
fn exact_dedup_sized(
    inputs: &[PathBuf],
    output: Option<&Path>,
    mode: Match,
    ctx: Option<&JobCtx>,
    sizes: (usize, usize),
    fail: bool,
) -> Result<(ExactReport, BadLineLog), CleanError> {
    let started = std::time::Instant::now();
    let total: u64 = inputs
        .iter()
        .filter_map(|p| p.metadata().ok())
        .map(|m| m.len())
        .sum();
    let cancelled = || ctx.is_some_and(JobCtx::is_cancelled);
    let mut decider = Decider {
        inputs: inputs.to_vec(),
        out: output
            .map(crate::corpus::write::JsonlSink::create)
            .transpose()?,
        // Sized for documents of a kilobyte and more up front: growing it means rehashing.
        first_of: HashMap::with_capacity_and_hasher(
            (total / 1024).min(1 << 24) as usize,
            std::hash::BuildHasherDefault::default(),
        ),
        groups: std::collections::BTreeMap::new(),
        problems: BadLineLog::default(),
        fail,
        line_nos: vec![0; inputs.len()],
        documents: 0,
        kept: 0,
    };
    let mut done = 0u64;
    let mut step = |bytes: u64| {
        done += bytes;
        if let Some(ctx) = ctx {
            ctx.progress(done, Some(total));
        }
        if cancelled() {
            return Err(CleanError::Cancelled {
                path: output
                    .or(inputs.first().map(PathBuf::as_path))
                    .unwrap_or(Path::new(""))
                    .to_owned(),
            });
        }
        Ok(())
    };
    let spare = Spare::default();
    // Kept to the end: the ids of kept documents are read back from them.
    let mut maps = Vec::with_capacity(inputs.len());
    for (n, input) in inputs.iter().enumerate() {
        maps.push(map(input));
        let Some(map) = maps[n].as_deref() else {
            let mut offset = 0u64;
            for_each_block(input, |bytes| {
                let lines = hash_block(bytes, mode, &spare, PIECE);
                decider.block(n, offset, bytes, &lines)?;
                spare.give(lines);
                offset += bytes.len() as u64;
                step(bytes.len() as u64)
            })?;
            continue;
        };
        // Segments cut at line ends; a line longer than a segment stays whole.
        let mut segments = Vec::new();
        let mut offset = 0usize;
        while offset < map.len() {
            let end = if offset + sizes.0 >= map.len() {
                map.len()
            } else {
                memchr::memchr(b'\n', &map[offset + sizes.0..])
                    .map_or(map.len(), |j| offset + sizes.0 + j + 1)
            };
            segments.push(offset..end);
            offset = end;
        }
        // Each segment is decided (in order, on one thread) while the next is hashed.
        let mut hashed: Option<(std::ops::Range<usize>, Vec<Vec<Line>>)> = None;
        for range in segments.into_iter().map(Some).chain([None]) {
            let (next, outcome) = rayon::join(
                || range.map(|r| (r.clone(), hash_block(&map[r], mode, &spare, sizes.1))),
                || match hashed.take() {
                    Some((r, lines)) => {
                        let result = decider.block(n, r.start as u64, &map[r.clone()], &lines);
                        spare.give(lines);
                        result.map(|()| r.len() as u64)
                    }
                    None => Ok(0),
                },
            );
            step(outcome?)?;
            hashed = next;
        }
    }
    let Decider {
        out,
        first_of,
        groups,
        problems,
        documents,
        kept,
        ..
    } = decider;
    drop(first_of);
    let hash_secs = started.elapsed().as_secs_f64();
    crate::corpus::read::ensure_documents(inputs, u64::from(documents), &problems)?;
    if let Some(out) = out {
        out.finish()?;
    }

    // The ids of the kept documents that had copies, read back from their lines.
    let mut files: Vec<Option<std::fs::File>> = inputs.iter().map(|_| None).collect();
    let mut clusters = Vec::with_capacity(groups.len());
    for (original, ((input, offset), removed)) in groups {
        let input = input as usize;
        let id = if let Some(map) = &maps[input] {
            map.get(offset as usize..)
                .and_then(|rest| rest.split(|&b| b == b'\n').next())
                .and_then(id_of)
        } else {
            let file = &mut files[input];
            if file.is_none() {
                *file = std::fs::File::open(&inputs[input]).ok();
            }
            file.as_mut()
                .and_then(|f| read_line_at(f, offset))
                .and_then(|line| id_of(&line))
        };
        clusters.push(crate::corpus::dedup::ClusterIds {
            kept: id.unwrap_or_else(|| (original + 1).into()),
            removed,
            exact: true,
        });
    }
    let total_secs = started.elapsed().as_secs_f64();
    let documents = documents as usize;
    let megabytes = total as f64 / 1e6;
    let report = ExactReport {
        matching: mode,
        inputs: inputs.to_vec(),
        output: output.map(Path::to_path_buf),
        documents_in: documents,
        documents_out: kept,
        removed: documents - kept,
        bad_lines: problems.len(),
        bytes: total,
        clusters,
        hash_secs,
        total_secs,
        hash_mb_per_s: megabytes / hash_secs.max(1e-9),
    };
    Ok((report, problems))
}

/// The `id` of a JSONL line, if it has one.
fn id_of(line: &[u8]) -> Option<serde_json::Value> {
    // Fast: parse only the id's value, found by scanning the line.
    if let Some((start, end, _)) = field_span(line, b"id")
        && let Ok(id) = serde_json::from_slice::<serde_json::Value>(&line[start..end])
    {
        return Some(id).filter(|id| !id.is_null());
    }
    serde_json::from_slice::<IdOnly>(line)
        .ok()
        .map(|r| r.id)
        .filter(|id| !id.is_null())
}

/// The line starting at `offset`.
fn read_line_at(file: &mut std::fs::File, offset: u64) -> Option<Vec<u8>> {
    use std::io::{BufRead as _, Seek as _};
    file.seek(std::io::SeekFrom::Start(offset)).ok()?;
    let mut line = Vec::new();
    std::io::BufReader::new(file)
        .read_until(b'\n', &mut line)
        .ok()?;
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_field_is_found_fast_or_through_serde() {
        let bad_utf8: &[u8] = b"{\"text\": \"\xff\xfe\"}";
        let cases: [(&[u8], Option<&str>); 7] = [
            (br#"{"id": 1, "text": "Salam"}"#, Some("Salam")),
            (
                r#"{"meta": {"text": "no", "x": [1, "}"]}, "text":"Bəli"}"#.as_bytes(),
                Some("Bəli"),
            ),
            (
                r#"{"id": "a\"text\": b", "text": "iki\nsətir"}"#.as_bytes(),
                Some("iki\nsətir"),
            ),
            (br#"{"text": 5}"#, None),
            (br#"{"id": 1}"#, None),
            (bad_utf8, None),
            (br"not json", None),
        ];
        for (line, want) in cases {
            let mut scratch = Vec::new();
            assert_eq!(
                text_of(line, &mut scratch).as_deref(),
                want,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
        assert_eq!(
            text_field(br#"{"id": 1, "text": "a\"b"}"#),
            Some((&br#"a\"b"#[..], true))
        );
    }

    #[test]
    fn raw_matching_needs_the_same_text_however_it_is_escaped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.jsonl");
        std::fs::write(
            &input,
            concat!(
                "{\"id\": 1, \"text\": \"Bakı, \\u0259la!\"}\n",
                "{\"id\": 2, \"text\": \"Bakı, əla!\"}\n",
                "{\"id\": 3, \"text\": \"bakı əla\"}\n",
            ),
        )
        .expect("write");
        let out = dir.path().join("out.jsonl");
        let (report, _) =
            exact_dedup_jsonl(std::slice::from_ref(&input), Some(&out), Match::Raw, None)
                .expect("raw");
        assert_eq!(report.documents_out, 2);
        assert_eq!(report.clusters[0].removed, vec![serde_json::json!(2)]);
        let (report, _) =
            exact_dedup_jsonl(&[input], Some(&out), Match::Normalised, None).expect("normalised");
        assert_eq!(report.documents_out, 1);
    }

    #[test]
    fn identical_texts_after_normalisation_collapse_to_the_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.jsonl");
        std::fs::write(
            &input,
            concat!(
                "{\"id\": \"a\", \"text\": \"İLHAM, Bakı!\"}\n",
                "{\"id\": \"b\", \"text\": \"Başqa mətn\"}\n",
                "not json\n",
                "\n",
                "{\"id\": \"c\", \"text\": \"ilham bakı\", \"extra\": 1}\n",
                "{\"id\": \"d\", \"text\": \"ilham\\nbakı\"}",
            ),
        )
        .expect("write");
        let out = dir.path().join("out.jsonl");
        let (report, problems) =
            exact_dedup_jsonl(&[input], Some(&out), Match::Normalised, None).expect("dedup");
        assert_eq!((report.documents_in, report.documents_out), (4, 2));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems.first()[0].line, 3);
        assert_eq!(report.clusters.len(), 1);
        assert_eq!(report.clusters[0].kept, "a");
        assert_eq!(report.clusters[0].removed, vec!["c", "d"]);
        let written = std::fs::read_to_string(&out).expect("read");
        assert_eq!(
            written,
            "{\"id\": \"a\", \"text\": \"İLHAM, Bakı!\"}\n{\"id\": \"b\", \"text\": \"Başqa mətn\"}\n",
            "kept lines are copied byte for byte"
        );
    }

    #[test]
    fn small_segments_and_pieces_decide_the_same_and_finding_alone_writes_nothing() {
        use std::fmt::Write as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.jsonl");
        let mut data = String::new();
        for i in 0..400 {
            // Every fifth document repeats an earlier one in other case and punctuation.
            let text = if i % 5 == 4 {
                format!("SƏNƏD, NÖMRƏ {}!", (i * 7) % 60)
            } else {
                format!("sənəd nömrə {}", i % 60 + (i / 60) * 1000)
            };
            writeln!(data, "{{\"id\": {i}, \"text\": \"{text}\"}}").expect("write");
        }
        std::fs::write(&input, &data).expect("write");
        let whole = dir.path().join("whole.jsonl");
        let (expected, _) = exact_dedup_jsonl(
            std::slice::from_ref(&input),
            Some(&whole),
            Match::Normalised,
            None,
        )
        .expect("whole");
        assert!(expected.removed > 50, "{}", expected.removed);
        for sizes in [(100, 40), (1000, 1), (37, 5000)] {
            let out = dir.path().join("small.jsonl");
            let (report, _) = exact_dedup_sized(
                std::slice::from_ref(&input),
                Some(&out),
                Match::Normalised,
                None,
                sizes,
                false,
            )
            .expect("small");
            assert_eq!(report.removed, expected.removed, "{sizes:?}");
            assert_eq!(
                serde_json::to_value(&report.clusters).expect("json"),
                serde_json::to_value(&expected.clusters).expect("json"),
                "{sizes:?}"
            );
            assert_eq!(
                std::fs::read(&out).expect("out"),
                std::fs::read(&whole).expect("whole"),
                "{sizes:?}"
            );
        }
        let before: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
        let (found, _) = exact_dedup_jsonl(&[input], None, Match::Normalised, None).expect("find");
        assert_eq!(found.removed, expected.removed);
        assert_eq!(found.output, None);
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            before.len()
        );
    }

    #[test]
    fn a_file_without_a_final_newline_is_read_whole_across_tasks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("in.jsonl");
        let mut data = Vec::new();
        for i in 0..3000 {
            data.extend_from_slice(format!("{{\"text\": \"sənəd {}\"}}\n", i % 1000).as_bytes());
        }
        data.pop();
        std::fs::write(&input, &data).expect("write");
        let mut lines = 0;
        for_each_block(&input, |bytes| {
            let lists = hash_block(bytes, Match::Normalised, &Spare::default(), PIECE);
            lines += lists.iter().map(Vec::len).sum::<usize>();
            Ok(())
        })
        .expect("blocks");
        assert_eq!(lines, 3000);
        let out = dir.path().join("out.jsonl");
        let (report, _) =
            exact_dedup_jsonl(&[input], Some(&out), Match::Normalised, None).expect("dedup");
        assert_eq!(report.documents_out, 1000);
    }
}
