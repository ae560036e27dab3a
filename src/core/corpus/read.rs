//! Streams documents out of corpus files, one line at a time, never the whole file:
//! JSONL (a configurable text field and optional id field) and plain text (one document per
//! line), each optionally gzip-compressed. A bad line (invalid UTF-8, malformed JSON, missing
//! text) is reported with its file and line, then skipped, repaired or fatal as the caller
//! chooses. Parquet files (as Hugging Face datasets store them) are read row group by row
//! group, each row handled like a JSONL record.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// What to do with a line that cannot be read as a document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
    Ok(out)
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
    pub problems: Vec<LineError>,
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
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        let inner: Box<dyn Read + Send> = match ext.as_str() {
            "gz" => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file))),
            "zst" => Box::new(Zstd(
                ruzstd::decoding::StreamingDecoder::new(BufReader::new(file)).map_err(|e| {
                    ReadError::Io {
                        path: path.to_owned(),
                        source: zstd_error(&e),
                    }
                })?,
            )),
            _ if rows.is_some() => Box::new(std::io::empty()),
            _ => Box::new(file),
        };
        Ok(Self {
            path: path.to_owned(),
            file_name: path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            format,
            options,
            reader: Box::new(BufReader::with_capacity(1 << 20, inner)),
            rows,
            line: 0,
            buf: Vec::with_capacity(4096),
            group: None,
            problems: Vec::new(),
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
        self.problems.push(error);
        None
    }

    fn parse_line(&mut self) -> Option<Result<Document, ReadError>> {
        let mut raw: &[u8] = &self.buf;
        if raw.last() == Some(&b'\n') {
            raw = &raw[..raw.len() - 1];
        }
        if raw.last() == Some(&b'\r') {
            raw = &raw[..raw.len() - 1];
        }
        let text = match std::str::from_utf8(raw) {
            Ok(text) => text.to_owned(),
            Err(e) => {
                let message = format!("invalid UTF-8 at byte {}", e.valid_up_to());
                if self.options.bad_lines == BadLines::Repair {
                    self.problems.push(LineError {
                        path: self.path.clone(),
                        line: self.line,
                        message: format!("{message} (repaired)"),
                    });
                    String::from_utf8_lossy(raw).into_owned()
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
        (docs, reader.problems)
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
    fn unknown_extensions_are_refused_by_name() {
        let err = DocumentReader::open(Path::new("corpus.docx"), ReadOptions::default())
            .expect_err("docx");
        assert!(err.to_string().contains("corpus.docx"), "{err}");
    }
}
