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

use crate::core::corpus::clean::CleanError;
use crate::core::corpus::dedup::{normalise_into, normalise_json_fast};
use crate::core::corpus::read::LineError;
use crate::core::jobs::JobCtx;

/// Bytes read at a time; lines are cut at the last newline of each block.
const BLOCK: usize = 32 << 20;
/// Lines handed to one parallel task.
const LINES_PER_TASK: usize = 512;

#[derive(Debug, Clone, Serialize)]
pub struct ExactReport {
    pub matching: Match,
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    pub documents_in: usize,
    pub documents_out: usize,
    pub removed: usize,
    pub bad_lines: usize,
    pub bytes: u64,
    /// `{"kept": id, "removed": [ids]}` per group of identical documents.
    pub clusters: Vec<crate::core::corpus::dedup::ClusterIds>,
    pub hash_secs: f64,
    pub total_secs: f64,
    /// Input megabytes per second: reading, hashing and writing the kept lines (everything but
    /// the final sync and the report's ids).
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

/// Per line of a block: the hash of its normalised text, or `None` for a blank or bad line.
fn hash_lines(block: &[u8], lines: &[(usize, usize)], mode: Match) -> Vec<Option<u128>> {
    lines
        .par_chunks(LINES_PER_TASK)
        .flat_map_iter(|chunk| {
            let mut buf = Vec::with_capacity(4096);
            let mut scratch = Vec::with_capacity(4096);
            chunk
                .iter()
                .map(|&(start, end)| {
                    let line = &block[start..end];
                    if mode == Match::Raw {
                        // The text exactly as it is: escapes decoded only where there are some.
                        return text_of(line, &mut scratch)
                            .map(|text| xxhash_rust::xxh3::xxh3_128(text.as_bytes()));
                    }
                    // Fast: normalise the JSON string as written, escapes and all.
                    if let Some((raw, _)) = text_field(line)
                        && simdutf8::basic::from_utf8(raw).is_ok()
                        && normalise_json_fast(raw, &mut buf)
                    {
                        return Some(xxhash_rust::xxh3::xxh3_128(&buf));
                    }
                    let text = text_of(line, &mut scratch)?;
                    normalise_into(&text, &mut buf);
                    Some(xxhash_rust::xxh3::xxh3_128(&buf))
                })
                .collect::<Vec<_>>()
        })
        .collect()
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
            crate::core::corpus::index::decode_json_string_bytes(
                &line[start - 1..],
                usize::MAX,
                scratch,
            );
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
        let key = &line[i + 1..key_end - 1];
        i = skip_ws(line, key_end);
        if line.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(line, i + 1);
        if key == b"text" && !key_escaped {
            if line.get(i) != Some(&b'"') {
                return None;
            }
            let (end, escaped) = string_end(line, i)?;
            return Some((i + 1, end - 1, escaped));
        }
        i = skip_ws(line, value_end(line, i)?);
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

/// Line spans of `block` (without their newlines).
fn line_spans(block: &[u8], out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', block) {
        out.push((start, nl));
        start = nl + 1;
    }
    if start < block.len() {
        out.push((start, block.len()));
    }
}

/// Streams `path` in blocks cut at line ends, calling `each(block, line spans)`.
fn for_each_block(
    path: &Path,
    mut each: impl FnMut(&[u8], &[(usize, usize)]) -> Result<(), CleanError>,
) -> Result<(), CleanError> {
    let io = |source| {
        CleanError::Read(crate::core::corpus::read::ReadError::Io {
            path: path.to_owned(),
            source,
        })
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK + (1 << 20));
    let mut spans = Vec::new();
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
        line_spans(&block, &mut spans);
        each(&block, &spans)?;
        if at_end && carry.is_empty() {
            return Ok(());
        }
    }
}

/// A block of whole lines read ahead by the reader thread.
struct Block {
    input: usize,
    /// Byte offset of the block in its file.
    offset: u64,
    bytes: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

/// Reads every input in blocks on a named thread, one block ahead of the hashing.
fn spawn_reader(
    inputs: Vec<PathBuf>,
    tx: crossbeam_channel::Sender<Result<Block, CleanError>>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("dezgah-exact-reader".into())
        .spawn(move || {
            for (n, input) in inputs.iter().enumerate() {
                let mut offset = 0u64;
                let result = for_each_block(input, |bytes, spans| {
                    let block = Block {
                        input: n,
                        offset,
                        bytes: bytes.to_vec(),
                        spans: spans.to_vec(),
                    };
                    offset += bytes.len() as u64;
                    tx.send(Ok(block)).map_err(|_| CleanError::Cancelled {
                        path: input.clone(),
                    })
                });
                if let Err(e) = result {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        })
}

/// Exact deduplication of JSONL files whose text is in the `text` field, in one pass: a reader
/// thread reads ahead, all cores hash a block, and its kept lines are written in order.
pub fn exact_dedup_jsonl(
    inputs: &[PathBuf],
    output: &Path,
    mode: Match,
    ctx: Option<&JobCtx>,
) -> Result<(ExactReport, Vec<LineError>), CleanError> {
    let started = std::time::Instant::now();
    let total: u64 = inputs
        .iter()
        .filter_map(|p| p.metadata().ok())
        .map(|m| m.len())
        .sum();
    let cancelled = || ctx.is_some_and(JobCtx::is_cancelled);
    let write_err = |source| CleanError::Write {
        path: output.to_owned(),
        source,
    };
    let mut out = crate::core::corpus::write::JsonlSink::create(output)?;

    let (tx, rx) = crossbeam_channel::bounded::<Result<Block, CleanError>>(1);
    let reader = spawn_reader(inputs.to_vec(), tx).map_err(write_err)?;
    // First occurrence of each normalised text: its document number, input and line offset
    // (to read its id back if a copy turns up).
    let mut first_of: HashMap<u128, (u32, u32, u64)> = HashMap::new();
    // Removed documents grouped by the one kept: kept doc → (its place, removed ids).
    let mut groups: std::collections::BTreeMap<u32, ((u32, u64), Vec<serde_json::Value>)> =
        std::collections::BTreeMap::new();
    let mut problems = Vec::new();
    let mut line_nos = vec![0u64; inputs.len()];
    let (mut documents, mut kept) = (0u32, 0usize);
    let mut done = 0u64;
    for block in rx {
        let block = block?;
        let hashes = hash_lines(&block.bytes, &block.spans, mode);
        for (&(start, end), hash) in block.spans.iter().zip(hashes) {
            let line_no = &mut line_nos[block.input];
            *line_no += 1;
            let line = &block.bytes[start..end];
            let Some(hash) = hash else {
                if line.iter().any(|b| !b.is_ascii_whitespace()) {
                    problems.push(LineError {
                        path: inputs[block.input].clone(),
                        line: *line_no,
                        message: "not a JSON object with a string \"text\"".into(),
                    });
                }
                continue;
            };
            let doc = documents;
            documents += 1;
            let place = (doc, block.input as u32, block.offset + start as u64);
            let (original, input, offset) = *first_of.entry(hash).or_insert(place);
            if original == doc {
                out.write_raw_line(line)?;
                kept += 1;
            } else {
                let id = id_of(line).unwrap_or_else(|| (doc + 1).into());
                groups
                    .entry(original)
                    .or_insert_with(|| ((input, offset), Vec::new()))
                    .1
                    .push(id);
            }
        }
        done += block.bytes.len() as u64;
        if let Some(ctx) = ctx {
            ctx.progress(done, Some(total));
        }
        if cancelled() {
            drop(reader);
            return Err(CleanError::Cancelled {
                path: output.to_owned(),
            });
        }
    }
    let _ = reader.join();
    drop(first_of);
    let hash_secs = started.elapsed().as_secs_f64();
    out.finish()?;

    // The ids of the kept documents that had copies, read back from their lines.
    let mut files: Vec<Option<std::fs::File>> = inputs.iter().map(|_| None).collect();
    let mut clusters = Vec::with_capacity(groups.len());
    for (original, ((input, offset), removed)) in groups {
        let file = &mut files[input as usize];
        if file.is_none() {
            *file = std::fs::File::open(&inputs[input as usize]).ok();
        }
        let id = file
            .as_mut()
            .and_then(|f| read_line_at(f, offset))
            .and_then(|line| id_of(&line))
            .unwrap_or_else(|| (original + 1).into());
        clusters.push(crate::core::corpus::dedup::ClusterIds {
            kept: id,
            removed,
            exact: true,
        });
    }
    let total_secs = started.elapsed().as_secs_f64();
    let documents = documents as usize;
    let report = ExactReport {
        matching: mode,
        inputs: inputs.to_vec(),
        output: output.to_owned(),
        documents_in: documents,
        documents_out: kept,
        removed: documents - kept,
        bad_lines: problems.len(),
        bytes: total,
        clusters,
        hash_secs,
        total_secs,
        hash_mb_per_s: total as f64 / 1e6 / hash_secs.max(1e-9),
    };
    Ok((report, problems))
}

/// The `id` of a JSONL line, if it has one.
fn id_of(line: &[u8]) -> Option<serde_json::Value> {
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
            exact_dedup_jsonl(std::slice::from_ref(&input), &out, Match::Raw, None).expect("raw");
        assert_eq!(report.documents_out, 2);
        assert_eq!(report.clusters[0].removed, vec![serde_json::json!(2)]);
        let (report, _) =
            exact_dedup_jsonl(&[input], &out, Match::Normalised, None).expect("normalised");
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
            exact_dedup_jsonl(&[input], &out, Match::Normalised, None).expect("dedup");
        assert_eq!((report.documents_in, report.documents_out), (4, 2));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
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
        for_each_block(&input, |_, spans| {
            lines += spans.len();
            Ok(())
        })
        .expect("blocks");
        assert_eq!(lines, 3000);
        let out = dir.path().join("out.jsonl");
        let (report, _) =
            exact_dedup_jsonl(&[input], &out, Match::Normalised, None).expect("dedup");
        assert_eq!(report.documents_out, 1000);
    }
}
