//! Streams documents out of corpus files, one line at a time, never the whole file:
//! JSONL (a configurable text field and optional id field) and plain text (one document per
//! line), each optionally gzip-compressed. A bad line (invalid UTF-8, malformed JSON, missing
//! text) is reported with its file and line, then skipped, repaired or fatal as the caller
//! chooses. Parquet files (as Hugging Face datasets store them) are read row group by row
//! group, each row handled like a JSONL record.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// What to do with a line that cannot be read as a document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BadLines {
    /// Report it and go on without it.
    #[default]
    Skip,
    /// Invalid UTF-8 becomes U+FFFD and the line is kept; malformed JSON is still skipped.
    Repair,
    /// Stop at the first one.
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    /// One document per line.
    TextLines,
    /// Columnar rows; never compressed from outside (its pages are).
    Parquet,
}

impl Format {
    /// From the file name, looking through a `.gz` or `.zst` suffix.
    pub fn detect(path: &Path) -> Option<Self> {
        let is = |p: &Path, ext: &str| p.extension().is_some_and(|e| e.eq_ignore_ascii_case(ext));
        if is(path, "parquet") {
            return Some(Self::Parquet);
        }
        let inner = if is(path, "gz") || is(path, "zst") {
            Path::new(path.file_stem()?)
        } else {
            path
        };
        if is(inner, "jsonl") || is(inner, "ndjson") {
            Some(Self::Jsonl)
        } else if is(inner, "txt") || is(inner, "md") {
            Some(Self::TextLines)
        } else {
            None
        }
    }
}

/// Files and folders to read: a folder stands for every corpus file under it (recursively,
/// in name order); other files in it are skipped. A file named directly is always kept, so
/// that an unknown format is reported rather than silently ignored.
pub fn expand_inputs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ReadError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
        let io = |source| ReadError::Io {
            path: dir.to_owned(),
            source,
        };
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(io)?;
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out)?;
            } else if Format::detect(&path).is_some() {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else {
            out.push(path.clone());
        }
    }
    if out.is_empty() {
        return Err(ReadError::NoInputFiles {
            paths: join_paths(paths),
        });
    }
    Ok(out)
}

/// `a, b, c` for messages naming what was read.
pub fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// How many bad lines are kept with their position; the rest are only counted, so that a file
/// of millions of bad lines costs no memory and every command reports the same first few.
pub const BAD_LINES_SHOWN: usize = 10;

/// The bad lines met while reading: a count, and the first [`BAD_LINES_SHOWN`] as
/// `file:line: reason`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BadLineLog {
    count: u64,
    first: Vec<LineError>,
}

impl BadLineLog {
    pub fn note(&mut self, error: LineError) {
        self.count += 1;
        if self.first.len() < BAD_LINES_SHOWN {
            self.first.push(error);
        }
    }

    /// Adds another reader's log (the first positions stay in reading order).
    pub fn absorb(&mut self, other: &Self) {
        self.count += other.count;
        let room = BAD_LINES_SHOWN.saturating_sub(self.first.len());
        self.first.extend(other.first.iter().take(room).cloned());
    }

    /// Every bad line seen, listed or not.
    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn len(&self) -> usize {
        usize::try_from(self.count).unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The first few, with their positions.
    pub fn first(&self) -> &[LineError] {
        &self.first
    }

    pub fn iter(&self) -> std::slice::Iter<'_, LineError> {
        self.first.iter()
    }

    /// What every front end prints: the first few, then `… and K more`.
    pub fn lines(&self) -> Vec<String> {
        bad_line_lines(self.count, &self.examples())
    }

    /// The first few as `file:line: reason`, for reports.
    pub fn examples(&self) -> Vec<String> {
        self.first.iter().map(ToString::to_string).collect()
    }
}

impl<'a> IntoIterator for &'a BadLineLog {
    type Item = &'a LineError;
    type IntoIter = std::slice::Iter<'a, LineError>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.iter()
    }
}

/// The lines every front end prints for `count` bad lines of which `examples` are listed:
/// one `file:line: reason` each, then `… and K more` for the unlisted rest.
pub fn bad_line_lines(count: u64, examples: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = examples.to_vec();
    let more = count.saturating_sub(examples.len() as u64);
    if more > 0 {
        lines.push(format!("… and {more} more"));
    }
    lines
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The `id` field, or `<file name>:<line>` when there is none.
    pub id: serde_json::Value,
    pub text: String,
    /// The other fields of a JSONL record, kept as they were.
    pub extra: serde_json::Map<String, serde_json::Value>,
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct LineError {
    pub path: PathBuf,
    pub line: u64,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    BadLine(LineError),
    #[error("{path}: not a readable Parquet file: {message}")]
    Parquet { path: PathBuf, message: String },
    #[error(
        "{path}: unknown format (expected .jsonl, .txt, .md or .parquet; the first three optionally .gz or .zst)"
    )]
    UnknownFormat { path: PathBuf },
    #[error("{path} looks like a binary file, not text ({why}); it was not read")]
    Binary { path: PathBuf, why: String },
    #[error(
        "no corpus files in {paths} (looked for .jsonl, .ndjson, .txt, .md and .parquet, the text ones optionally .gz or .zst)"
    )]
    NoInputFiles { paths: String },
    #[error("no documents in {paths}{}", bad_lines_note(*.bad_lines, .first))]
    NoDocuments {
        paths: String,
        bad_lines: u64,
        /// The bad lines' report: `file:line: reason`, then `… and K more`.
        first: Vec<String>,
    },
}

fn bad_lines_note(bad_lines: u64, first: &[String]) -> String {
    if bad_lines == 0 {
        " (every line was empty)".to_owned()
    } else {
        let listed = indented(first);
        format!(" ({bad_lines} unreadable line(s)):{listed}")
    }
}

/// Each line on a line of its own, indented, for lists inside an error message.
pub fn indented(lines: &[String]) -> String {
    lines.iter().fold(String::new(), |mut out, line| {
        out.push_str("\n  ");
        out.push_str(line);
        out
    })
}

/// An error when a whole pass over `inputs` found no document: an empty output is never a
/// result.
pub fn ensure_documents(
    inputs: &[PathBuf],
    documents: u64,
    bad: &BadLineLog,
) -> Result<(), ReadError> {
    if documents > 0 {
        return Ok(());
    }
    Err(ReadError::NoDocuments {
        paths: join_paths(inputs),
        bad_lines: bad.count(),
        first: bad.lines(),
    })
}

/// Line buffers above this many bytes are handed over, not copied and kept.
const HUGE_LINE: usize = 1 << 20;

/// Bytes looked at to tell text from binary.
const SNIFF_BYTES: usize = 8192;

/// Why the start of a (decompressed) text input looks binary, if it does: a NUL byte, a known
/// binary file signature, or mostly invalid UTF-8. Text in a legacy encoding (a few invalid
/// bytes) is left to the bad-line handling.
pub fn binary_reason(head: &[u8]) -> Option<String> {
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"%PDF", "a PDF document"),
        (b"PK\x03\x04", "a ZIP archive (or .docx/.xlsx)"),
        (b"\x7fELF", "an executable"),
        (b"PAR1", "a Parquet file; name it .parquet"),
        (b"SQLite format 3", "an SQLite database"),
        (b"BZh", "bzip2-compressed data"),
        (b"\xfd7zXZ", "xz-compressed data"),
    ];
    let head = &head[..head.len().min(SNIFF_BYTES)];
    if let Some((_, what)) = MAGIC.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Some((*what).to_owned());
    }
    if head.starts_with(b"\xff\xfe") || head.starts_with(b"\xfe\xff") {
        return Some("UTF-16 text; convert it to UTF-8".to_owned());
    }
    if let Some(at) = head.iter().position(|&b| b == 0) {
        return Some(format!("a NUL byte at offset {at}"));
    }
    // A character cut at the end of the window is not counted as invalid.
    let mut invalid = 0usize;
    let mut rest = head;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(_) => break,
            Err(e) => {
                let Some(len) = e.error_len() else { break };
                invalid += len;
                rest = &rest[e.valid_up_to() + len..];
            }
        }
    }
    (head.len() >= 64 && invalid * 4 > head.len())
        .then(|| format!("{invalid} of its first {} bytes are not UTF-8", head.len()))
}

/// What one document is in a plain-text file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TextUnit {
    #[default]
    Line,
    /// A block of lines between blank lines.
    Paragraph,
    /// The whole file.
    File,
}

#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub text_field: String,
    pub id_field: String,
    pub bad_lines: BadLines,
    /// For `.txt`/`.md`; JSONL is always one record per line.
    pub text_unit: TextUnit,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            text_field: "text".into(),
            id_field: "id".into(),
            bad_lines: BadLines::Skip,
            text_unit: TextUnit::Line,
        }
    }
}

/// Iterates the documents of one file. Bad lines that were skipped or repaired are collected in
/// [`DocumentReader::problems`].
pub struct DocumentReader {
    path: PathBuf,
    file_name: String,
    format: Format,
    options: ReadOptions,
    reader: Box<dyn BufRead + Send>,
    /// Set for Parquet input, whose `reader` is empty.
    rows: Option<ParquetRows>,
    line: u64,
    buf: Vec<u8>,
    /// Lines gathered for a paragraph or whole-file document: (first line, text).
    group: Option<(u64, String)>,
    pub problems: BadLineLog,
    pub bytes_read: u64,
}

impl std::fmt::Debug for DocumentReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentReader")
            .field("path", &self.path)
            .field("line", &self.line)
            .finish_non_exhaustive()
    }
}

impl DocumentReader {
    pub fn open(path: &Path, options: ReadOptions) -> Result<Self, ReadError> {
        let format = Format::detect(path).ok_or_else(|| ReadError::UnknownFormat {
            path: path.to_owned(),
        })?;
        let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
            path: path.to_owned(),
            source,
        })?;
        let rows = if format == Format::Parquet {
            Some(ParquetRows::open(
                path,
                file.try_clone().map_err(|source| ReadError::Io {
                    path: path.to_owned(),
                    source,
                })?,
            )?)
        } else {
            None
        };
        let mut ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let mut file = BufReader::new(file);
        if rows.is_none() && ext != "gz" && ext != "zst" {
            // Compressed data under a plain name is read as what it is, not refused as binary.
            let head = file.fill_buf().map_err(|source| ReadError::Io {
                path: path.to_owned(),
                source,
            })?;
            if head.starts_with(&[0x1f, 0x8b]) {
                "gz".clone_into(&mut ext);
            } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
                "zst".clone_into(&mut ext);
            }
        }
        let inner: Box<dyn Read + Send> = match ext.as_str() {
            "gz" => Box::new(flate2::read::MultiGzDecoder::new(file)),
            "zst" => Box::new(Zstd(
                ruzstd::decoding::StreamingDecoder::new(file).map_err(|e| ReadError::Io {
                    path: path.to_owned(),
                    source: zstd_error(&e),
                })?,
            )),
            _ if rows.is_some() => Box::new(std::io::empty()),
            _ => Box::new(file),
        };
        let mut reader: Box<dyn BufRead + Send> =
            Box::new(BufReader::with_capacity(1 << 20, inner));
        if rows.is_none() {
            // The first fill of the 1 MiB buffer is what is looked at.
            let head = reader.fill_buf().map_err(|source| ReadError::Io {
                path: path.to_owned(),
                source,
            })?;
            if let Some(why) = binary_reason(head) {
                return Err(ReadError::Binary {
                    path: path.to_owned(),
                    why,
                });
            }
        }
        Ok(Self {
            path: path.to_owned(),
            file_name: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            format,
            options,
            reader,
            rows,
            line: 0,
            buf: Vec::with_capacity(4096),
            group: None,
            problems: BadLineLog::default(),
            bytes_read: 0,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn bad(&mut self, message: impl Into<String>) -> Option<Result<Document, ReadError>> {
        let error = LineError {
            path: self.path.clone(),
            line: self.line,
            message: message.into(),
        };
        if self.options.bad_lines == BadLines::Fail {
            return Some(Err(ReadError::BadLine(error)));
        }
        self.problems.note(error);
        None
    }

    fn parse_line(&mut self) -> Option<Result<Document, ReadError>> {
        if self.buf.last() == Some(&b'\n') {
            self.buf.pop();
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        // A huge line's bytes become its text without a copy: it is held once, not twice, and
        // the buffer it grew is not kept for the lines after it. Ordinary lines are copied out
        // of the reused buffer.
        let raw = if self.buf.capacity() > HUGE_LINE {
            std::mem::take(&mut self.buf)
        } else {
            self.buf.clone()
        };
        let text = match String::from_utf8(raw) {
            Ok(text) => text,
            Err(e) => {
                let message = format!("invalid UTF-8 at byte {}", e.utf8_error().valid_up_to());
                if self.options.bad_lines == BadLines::Repair {
                    self.problems.note(LineError {
                        path: self.path.clone(),
                        line: self.line,
                        message: format!("{message} (repaired)"),
                    });
                    String::from_utf8_lossy(e.as_bytes()).into_owned()
                } else {
                    return self.bad(message);
                }
            }
        };
        let unit = match self.format {
            Format::TextLines => self.options.text_unit,
            Format::Jsonl | Format::Parquet => TextUnit::Line,
        };
        match unit {
            TextUnit::Line => {}
            TextUnit::Paragraph if text.trim().is_empty() => return self.flush_group(),
            TextUnit::Paragraph | TextUnit::File => {
                let line = self.line;
                let (_, group) = self.group.get_or_insert_with(|| (line, String::new()));
                if !group.is_empty() {
                    group.push('\n');
                }
                group.push_str(&text);
                return None;
            }
        }
        if text.trim().is_empty() {
            return None;
        }
        let fallback_id = || serde_json::Value::String(format!("{}:{}", self.file_name, self.line));
        match self.format {
            Format::TextLines => Some(Ok(Document {
                id: fallback_id(),
                text,
                extra: serde_json::Map::new(),
                line: self.line,
            })),
            Format::Jsonl | Format::Parquet => {
                let record = match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(serde_json::Value::Object(map)) => map,
                    Ok(_) => return self.bad("not a JSON object"),
                    Err(e) => return self.bad(format!("malformed JSON: {e}")),
                };
                self.record_document(record)
            }
        }
    }

    /// A JSONL or Parquet record as a document: its text field, its id (else file:line), and the
    /// rest kept as they were.
    fn record_document(
        &mut self,
        mut record: serde_json::Map<String, serde_json::Value>,
    ) -> Option<Result<Document, ReadError>> {
        let field = self.options.text_field.clone();
        let text = match record.remove(&field) {
            Some(serde_json::Value::String(s)) => s,
            Some(_) => return self.bad(format!("\"{field}\" is not a string")),
            None => return self.bad(format!("no \"{field}\" field")),
        };
        let id = record.remove(&self.options.id_field).unwrap_or_else(|| {
            serde_json::Value::String(format!("{}:{}", self.file_name, self.line))
        });
        Some(Ok(Document {
            id,
            text,
            extra: record,
            line: self.line,
        }))
    }
}

impl DocumentReader {
    /// The paragraph or file gathered so far, as one document.
    fn flush_group(&mut self) -> Option<Result<Document, ReadError>> {
        let (line, text) = self.group.take()?;
        if text.trim().is_empty() {
            return None;
        }
        let id = match self.options.text_unit {
            TextUnit::File => self.file_name.clone(),
            _ => format!("{}:{line}", self.file_name),
        };
        Some(Ok(Document {
            id: serde_json::Value::String(id),
            text,
            extra: serde_json::Map::new(),
            line,
        }))
    }
}

impl Iterator for DocumentReader {
    type Item = Result<Document, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rows.is_some() {
            return self.next_row();
        }
        loop {
            self.buf.clear();
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => return self.flush_group(),
                Ok(n) => {
                    self.bytes_read += n as u64;
                    self.line += 1;
                    if let Some(item) = self.parse_line() {
                        return Some(item);
                    }
                }
                Err(source) => {
                    return Some(Err(ReadError::Io {
                        path: self.path.clone(),
                        source,
                    }));
                }
            }
        }
    }
}

impl DocumentReader {
    fn next_row(&mut self) -> Option<Result<Document, ReadError>> {
        loop {
            let rows = self.rows.as_mut()?;
            let row = match rows.iter.next()? {
                Ok(row) => row,
                Err(e) => {
                    return Some(Err(ReadError::Parquet {
                        path: self.path.clone(),
                        message: format!("row {}: {e}", self.line + 1),
                    }));
                }
            };
            self.line += 1;
            self.bytes_read = rows.bytes_at(self.line);
            let serde_json::Value::Object(record) = row.to_json_value() else {
                continue;
            };
            if let Some(item) = self.record_document(record) {
                return Some(item);
            }
        }
    }
}

/// The rows of a Parquet file, in order; each row counts as one "line" in reports.
struct ParquetRows {
    iter: parquet::record::reader::RowIter<'static>,
    rows: u64,
    bytes: u64,
}

impl ParquetRows {
    fn open(path: &Path, file: std::fs::File) -> Result<Self, ReadError> {
        use parquet::file::reader::FileReader;
        let bytes = file.metadata().map_or(0, |m| m.len());
        let reader = parquet::file::reader::SerializedFileReader::new(file).map_err(|e| {
            ReadError::Parquet {
                path: path.to_owned(),
                message: e.to_string(),
            }
        })?;
        let rows = reader.metadata().file_metadata().num_rows().max(0) as u64;
        Ok(Self {
            iter: parquet::record::reader::RowIter::from_file_into(Box::new(reader)),
            rows,
            bytes,
        })
    }

    /// Progress in bytes, assuming rows of even size.
    fn bytes_at(&self, row: u64) -> u64 {
        (self.bytes * row.min(self.rows))
            .checked_div(self.rows)
            .unwrap_or(self.bytes)
    }
}

/// A zstd stream whose errors are one sentence: ruzstd nests each error's text inside the
/// next, so its chain said the same thing three times in 500 characters.
struct Zstd<R: Read>(ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>);

impl<R: Read> Read for Zstd<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(|e| match e.get_ref() {
            Some(inner) => zstd_error(inner),
            None => e,
        })
    }
}

/// "not a valid zstd file (…)" with the innermost cause's first sentence, and no source chain.
fn zstd_error(err: &(dyn std::error::Error + 'static)) -> std::io::Error {
    let mut innermost = err;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    let text = innermost.to_string();
    let first = text
        .split(". ")
        .next()
        .unwrap_or(&text)
        .trim_end_matches('.');
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("not a valid zstd file ({first})"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(path: &Path, bad_lines: BadLines) -> (Vec<Document>, Vec<LineError>) {
        let mut reader = DocumentReader::open(
            path,
            ReadOptions {
                bad_lines,
                ..ReadOptions::default()
            },
        )
        .expect("open");
        let docs = reader
            .by_ref()
            .collect::<Result<Vec<_>, _>>()
            .expect("read");
        (docs, reader.problems.first().to_vec())
    }

    #[test]
    fn jsonl_keeps_ids_and_extra_fields_and_reports_bad_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.jsonl");
        std::fs::write(
            &path,
            b"{\"id\": 7, \"text\": \"Salam\", \"source\": \"x\"}\n\n{\"text\": \"yarim\n{\"text\": \"D\xfcnya\"}\n{\"text\": \"\xc9\x99la\"}\r\n[1]\n{\"body\": \"no text\"}\n",
        )
        .expect("write");
        let (docs, problems) = read_all(&path, BadLines::Skip);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].id, serde_json::json!(7));
        assert_eq!(docs[0].extra["source"], "x");
        assert_eq!(docs[1].text, "əla");
        assert_eq!(docs[1].id, serde_json::json!("x.jsonl:5"));
        let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4, 6, 7]);
        assert!(problems[1].to_string().contains("x.jsonl:4: invalid UTF-8"));

        let (docs, problems) = read_all(&path, BadLines::Repair);
        assert_eq!(docs.len(), 3, "the invalid UTF-8 line is repaired");
        assert!(docs[1].text.contains('\u{FFFD}'));
        assert_eq!(problems.len(), 4);

        let mut strict = DocumentReader::open(
            &path,
            ReadOptions {
                bad_lines: BadLines::Fail,
                ..ReadOptions::default()
            },
        )
        .expect("open");
        let err = strict
            .by_ref()
            .find_map(Result::err)
            .expect("fails on line 3");
        assert!(
            err.to_string().contains("x.jsonl:3: malformed JSON"),
            "{err}"
        );
    }

    #[test]
    fn gzip_text_lines_stream() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.txt.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).expect("create"),
            flate2::Compression::fast(),
        );
        gz.write_all("bir\niki\n\nüç\n".as_bytes()).expect("write");
        gz.finish().expect("finish");
        let (docs, problems) = read_all(&path, BadLines::Skip);
        let texts: Vec<_> = docs.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(texts, ["bir", "iki", "üç"]);
        assert_eq!(docs[2].line, 4);
        assert!(problems.is_empty());
    }

    #[test]
    fn text_files_split_by_line_paragraph_or_whole_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("mətn.md");
        std::fs::write(&path, "bir\niki\n\n\nüç\n").expect("write");
        let read = |unit| {
            DocumentReader::open(
                &path,
                ReadOptions {
                    text_unit: unit,
                    ..ReadOptions::default()
                },
            )
            .expect("open")
            .map(|d| d.expect("doc"))
            .map(|d| (d.id, d.text))
            .collect::<Vec<_>>()
        };
        assert_eq!(read(TextUnit::Line).len(), 3);
        assert_eq!(
            read(TextUnit::Paragraph),
            [
                (serde_json::json!("mətn.md:1"), "bir\niki".to_owned()),
                (serde_json::json!("mətn.md:5"), "üç".to_owned())
            ]
        );
        assert_eq!(
            read(TextUnit::File),
            [(serde_json::json!("mətn.md"), "bir\niki\n\n\nüç".to_owned())]
        );
    }

    #[test]
    fn zstd_jsonl_streams() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.jsonl.zst");
        let plain = "{\"text\": \"Şəki\"}\n{\"text\": \"Quba\"}\n";
        let packed = ruzstd::encoding::compress_to_vec(
            plain.as_bytes(),
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        std::fs::write(&path, packed).expect("write");
        let (docs, problems) = read_all(&path, BadLines::Skip);
        let texts: Vec<_> = docs.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(texts, ["Şəki", "Quba"]);
        assert!(problems.is_empty());

        std::fs::write(&path, b"not zstd at all").expect("write");
        let err = DocumentReader::open(&path, ReadOptions::default()).expect_err("garbage");
        assert!(err.to_string().contains("x.jsonl.zst"), "{err}");
    }

    #[test]
    fn folders_expand_to_their_corpus_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("alt")).expect("mkdir");
        for name in ["b.txt", "a.jsonl", "şəkil.png", "alt/c.md.gz"] {
            std::fs::write(dir.path().join(name), "x").expect("write");
        }
        let found = expand_inputs(&[dir.path().to_owned()]).expect("expand");
        let names: Vec<String> = found
            .iter()
            .map(|p| {
                p.strip_prefix(dir.path())
                    .expect("inside")
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(names, ["a.jsonl", "alt/c.md.gz", "b.txt"]);
    }

    #[test]
    fn the_bad_line_log_keeps_the_first_few_and_counts_the_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("pis.jsonl");
        let mut text = String::from("{\"text\": \"yaxşı\"}\n");
        for _ in 0..25 {
            text.push_str("not json\n");
        }
        std::fs::write(&path, text).expect("write");
        let mut reader = DocumentReader::open(&path, ReadOptions::default()).expect("open");
        assert_eq!(reader.by_ref().filter_map(Result::ok).count(), 1);
        assert_eq!(reader.problems.count(), 25);
        assert_eq!(reader.problems.first().len(), BAD_LINES_SHOWN);
        assert_eq!(reader.problems.first()[0].line, 2);
        let lines = reader.problems.lines();
        assert!(
            lines[0].contains("pis.jsonl:2: malformed JSON"),
            "{lines:?}"
        );
        assert_eq!(lines.last().map(String::as_str), Some("… and 15 more"));
        let mut all = BadLineLog::default();
        all.absorb(&reader.problems);
        all.absorb(&reader.problems);
        assert_eq!((all.count(), all.first().len()), (50, BAD_LINES_SHOWN));
    }

    #[test]
    fn binary_files_are_refused_by_name_and_compressed_ones_read() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let png = dir.path().join("şəkil.txt");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("write");
        let err = DocumentReader::open(&png, ReadOptions::default()).expect_err("binary");
        assert!(
            err.to_string()
                .contains("şəkil.txt looks like a binary file, not text (a PNG image)"),
            "{err}"
        );
        let noise: Vec<u8> = (0..4096u32).map(|i| (i * 131 % 256) as u8 | 0x80).collect();
        std::fs::write(&png, &noise).expect("write");
        let err = DocumentReader::open(&png, ReadOptions::default()).expect_err("not UTF-8");
        assert!(err.to_string().contains("are not UTF-8"), "{err}");
        // Latin-1 text (a few invalid bytes) is text with bad lines, not binary.
        assert_eq!(
            binary_reason(
                b"Bak\xfd \xfe\xe4h\xe4ri, Az\xe4rbaycan Respublikas\xfdn\xfdn paytaxt\xfd"
            ),
            None
        );
        assert!(binary_reason(b"abc\0def").is_some());
        assert_eq!(
            binary_reason("ə".repeat(5000).as_bytes()),
            None,
            "a cut character is not invalid"
        );

        let gz = dir.path().join("adı-düz.jsonl");
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).expect("create"),
            flate2::Compression::fast(),
        );
        enc.write_all(b"{\"text\": \"Quba\"}\n").expect("write");
        enc.finish().expect("finish");
        let (docs, _) = read_all(&gz, BadLines::Skip);
        assert_eq!(
            docs[0].text, "Quba",
            "gzip under a plain name is decompressed"
        );
    }

    #[test]
    fn a_folder_without_corpus_files_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("qeyd.docx"), "x").expect("write");
        let err = expand_inputs(&[dir.path().to_owned()]).expect_err("empty");
        assert!(
            err.to_string().contains(&dir.path().display().to_string()),
            "{err}"
        );
        let err = ensure_documents(&[dir.path().join("a.jsonl")], 0, &BadLineLog::default())
            .expect_err("no documents");
        assert!(err.to_string().contains("a.jsonl"), "{err}");
    }

    #[test]
    fn a_huge_line_is_handed_over_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("uzun.txt");
        let long = "ə".repeat(HUGE_LINE);
        std::fs::write(&path, format!("{long}\nqısa\n")).expect("write");
        let (docs, problems) = read_all(&path, BadLines::Skip);
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].text.len(), long.len());
        assert_eq!(docs[1].text, "qısa");
        assert!(problems.is_empty());
    }

    #[test]
    fn unknown_extensions_are_refused_by_name() {
        let err = DocumentReader::open(Path::new("corpus.docx"), ReadOptions::default())
            .expect_err("docx");
        assert!(err.to_string().contains("corpus.docx"), "{err}");
    }
}
