//! A per-document index beside each workspace corpus (`NAME.index`): where each document's line
//! starts, and what filters need (length, language, script, source, quality flags, anomalies).
//! The browser keeps only this in memory — 32 bytes a document — and reads texts from the JSONL
//! on demand, so a million documents scroll without loading a million strings.

use std::io::{BufRead as _, Read as _, Seek as _};
use std::path::{Path, PathBuf};

use crate::corpus::quality::{Flag, QualityConfig, assess};
use crate::corpus::stats::DocFacts;
use crate::corpus::write::Written;

const MAGIC: &[u8; 8] = b"DZGIDX01";
const RECORD: usize = 32;

/// Bits of [`DocMeta::anomalies`].
pub mod anomaly {
    pub const MIXED_SCRIPT: u8 = 1;
    pub const SPLIT_WORDS: u8 = 2;
    pub const SCHWA_LOOK_ALIKE: u8 = 4;
    pub const REPLACEMENT: u8 = 8;
    pub const CONTROL: u8 = 16;
}

/// Script classes, in the order stored.
pub const SCRIPTS: [&str; 5] = ["latin", "cyrillic", "mixed", "other", "none"];

/// What the index knows of one document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocMeta {
    pub offset: u64,
    pub len: u32,
    /// Offset of the text's JSON string within the line.
    pub text_at: u32,
    pub chars: u32,
    pub words: u32,
    /// Index into [`CorpusIndex::languages`].
    pub language: u8,
    /// Index into [`SCRIPTS`].
    pub script: u8,
    /// Index into [`CorpusIndex::sources`].
    pub source: u16,
    /// Bit `i` set: the document fails quality filter `Flag::ALL[i]` at default thresholds.
    pub quality: u16,
    pub anomalies: u8,
}

impl DocMeta {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        out.extend_from_slice(&self.text_at.to_le_bytes());
        out.extend_from_slice(&self.chars.to_le_bytes());
        out.extend_from_slice(&self.words.to_le_bytes());
        out.extend_from_slice(&[self.language, self.script]);
        out.extend_from_slice(&self.source.to_le_bytes());
        out.extend_from_slice(&self.quality.to_le_bytes());
        out.extend_from_slice(&[self.anomalies, 0]);
    }

    fn decode(b: &[u8; RECORD]) -> Self {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        Self {
            offset: u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            len: u32_at(8),
            text_at: u32_at(12),
            chars: u32_at(16),
            words: u32_at(20),
            language: b[24],
            script: b[25],
            source: u16_at(26),
            quality: u16_at(28),
            anomalies: b[30],
        }
    }

    pub fn flags(&self) -> impl Iterator<Item = Flag> + '_ {
        Flag::ALL
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.quality & (1 << i) != 0)
            .map(|(_, f)| f)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a Dəzgah corpus index ({reason}); it will be rebuilt")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path}: line {line}: {reason}")]
    BadLine {
        path: PathBuf,
        line: u64,
        reason: String,
    },
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Header {
    documents: u64,
    sources: Vec<String>,
    languages: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorpusIndex {
    pub sources: Vec<String>,
    pub languages: Vec<String>,
    pub docs: Vec<DocMeta>,
}

/// Where a corpus's index lives, beside its JSONL.
pub fn index_path(jsonl: &Path) -> PathBuf {
    jsonl.with_extension("index")
}

impl CorpusIndex {
    /// Writes the index atomically (temp file + rename).
    pub fn save(&self, path: &Path) -> Result<(), IndexError> {
        let io = |source| IndexError::Io {
            path: path.to_owned(),
            source,
        };
        let header = serde_json::to_vec(&Header {
            documents: self.docs.len() as u64,
            sources: self.sources.clone(),
            languages: self.languages.clone(),
        })
        .map_err(|e| io(e.into()))?;
        let mut bytes = Vec::with_capacity(16 + header.len() + self.docs.len() * RECORD);
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(header.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&header);
        for doc in &self.docs {
            doc.encode(&mut bytes);
        }
        crate::write_atomic(path, &bytes).map_err(io)
    }

    /// Reads an index; `Ok(None)` when there is none yet.
    pub fn load(path: &Path) -> Result<Option<Self>, IndexError> {
        let corrupt = |reason: &str| IndexError::Corrupt {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(IndexError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        let mut r = std::io::BufReader::with_capacity(1 << 20, file);
        let mut head = [0u8; 16];
        r.read_exact(&mut head).map_err(|_| corrupt("too short"))?;
        if &head[..8] != MAGIC {
            return Err(corrupt("wrong magic bytes"));
        }
        let mut len8 = [0u8; 8];
        len8.copy_from_slice(&head[8..]);
        let header_len = u64::from_le_bytes(len8);
        if header_len > 64 << 20 {
            return Err(corrupt("header too large"));
        }
        let mut header = vec![0u8; header_len as usize];
        r.read_exact(&mut header)
            .map_err(|_| corrupt("truncated header"))?;
        let header: Header =
            serde_json::from_slice(&header).map_err(|e| corrupt(&format!("header: {e}")))?;
        let mut docs = Vec::with_capacity(header.documents.min(1 << 28) as usize);
        let mut record = [0u8; RECORD];
        for _ in 0..header.documents {
            r.read_exact(&mut record)
                .map_err(|_| corrupt("truncated records"))?;
            let doc = DocMeta::decode(&record);
            if usize::from(doc.language) >= header.languages.len().max(1)
                || usize::from(doc.script) >= SCRIPTS.len()
            {
                return Err(corrupt("record out of range"));
            }
            docs.push(doc);
        }
        Ok(Some(Self {
            sources: header.sources,
            languages: header.languages,
            docs,
        }))
    }

    pub fn language(&self, doc: &DocMeta) -> &str {
        self.languages
            .get(usize::from(doc.language))
            .map_or("unknown", String::as_str)
    }

    pub fn source(&self, doc: &DocMeta) -> &str {
        self.sources
            .get(usize::from(doc.source))
            .map_or("", String::as_str)
    }
}

/// Builds an index as documents are written.
#[derive(Debug)]
pub struct IndexBuilder {
    index: CorpusIndex,
    quality: QualityConfig,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl IndexBuilder {
    pub fn new() -> Self {
        Self {
            index: CorpusIndex::default(),
            quality: QualityConfig::default(),
        }
    }

    /// The number of `source` in this index (added on first use; at most 65,535 distinct).
    pub fn source_id(&mut self, source: &str) -> u16 {
        intern(&mut self.index.sources, source)
    }

    pub fn add(&mut self, written: Written, text: &str, facts: &DocFacts, source: u16) {
        let language = facts.language.as_deref().unwrap_or("unknown");
        let language = intern(&mut self.index.languages, language).min(255) as u8;
        let script = SCRIPTS.iter().position(|s| *s == facts.script).unwrap_or(3) as u8;
        let mut quality = 0u16;
        for flag in assess(text, &self.quality) {
            if let Some(i) = Flag::ALL.iter().position(|f| *f == flag) {
                quality |= 1 << i;
            }
        }
        let a = &facts.anomalies;
        let mut anomalies = 0u8;
        for (present, bit) in [
            (a.mixed_script_words, anomaly::MIXED_SCRIPT),
            (a.split_word_fragments, anomaly::SPLIT_WORDS),
            (a.schwa_look_alikes, anomaly::SCHWA_LOOK_ALIKE),
            (a.replacement_chars, anomaly::REPLACEMENT),
            (a.control_chars, anomaly::CONTROL),
        ] {
            if present > 0 {
                anomalies |= bit;
            }
        }
        let sat = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        self.index.docs.push(DocMeta {
            offset: written.offset,
            len: sat(written.len),
            text_at: sat(written.text_at),
            chars: sat(facts.chars),
            words: sat(facts.words),
            language,
            script,
            source,
            quality,
            anomalies,
        });
    }

    pub fn finish(self) -> CorpusIndex {
        self.index
    }
}

fn intern(list: &mut Vec<String>, value: &str) -> u16 {
    if let Some(i) = list.iter().position(|s| s == value) {
        return i as u16;
    }
    if list.len() >= usize::from(u16::MAX) {
        return u16::MAX - 1;
    }
    list.push(value.to_owned());
    (list.len() - 1) as u16
}

/// Reads document texts of one corpus file by their index entries.
#[derive(Debug)]
pub struct DocReader {
    path: PathBuf,
    file: std::fs::File,
    buf: Vec<u8>,
}

impl DocReader {
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        let file = std::fs::File::open(path).map_err(|source| IndexError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self {
            path: path.to_owned(),
            file,
            buf: Vec::new(),
        })
    }

    fn read_at(&mut self, offset: u64, len: usize) -> Result<&[u8], IndexError> {
        let io = |source| IndexError::Io {
            path: self.path.clone(),
            source,
        };
        self.buf.resize(len, 0);
        self.file
            .seek(std::io::SeekFrom::Start(offset))
            .map_err(io)?;
        let mut filled = 0;
        while filled < len {
            match self.file.read(&mut self.buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(IndexError::Io {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        }
        Ok(&self.buf[..filled])
    }

    /// The start of a document's text, at most about `max_bytes` of it: read without parsing
    /// the whole line, so a list row costs the same for a tweet and for a whole law.
    pub fn preview(&mut self, doc: &DocMeta, max_bytes: usize) -> Result<String, IndexError> {
        let available = (doc.len as usize).saturating_sub(doc.text_at as usize);
        let want = available.min(max_bytes * 2 + 16);
        let raw = self.read_at(doc.offset + u64::from(doc.text_at), want)?;
        Ok(decode_json_string_prefix(raw, max_bytes))
    }

    /// A whole document: its id and text.
    pub fn document(
        &mut self,
        doc: &DocMeta,
        line: u64,
    ) -> Result<(serde_json::Value, String), IndexError> {
        #[derive(serde::Deserialize)]
        struct Record {
            #[serde(default)]
            id: serde_json::Value,
            text: String,
        }
        let path = self.path.clone();
        let raw = self.read_at(doc.offset, doc.len as usize)?;
        let record: Record = serde_json::from_slice(raw).map_err(|e| IndexError::BadLine {
            path,
            line,
            reason: format!("{e} (the corpus changed since it was indexed?)"),
        })?;
        Ok((record.id, record.text))
    }
}

/// Decodes the JSON string starting at `raw[0]` (its opening quote) as far as `max_bytes` of
/// text or the end of `raw`, whichever comes first; a cut escape or character is dropped.
fn decode_json_string_prefix(raw: &[u8], max_bytes: usize) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(max_bytes.min(raw.len()));
    decode_json_string_bytes(raw, max_bytes, &mut out);
    match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => {
            // Cut inside a multi-byte character: keep the whole ones.
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes).unwrap_or_default()
        }
    }
}

/// Decodes the JSON string at `raw[0]` into `out` (cleared first), as far as `max_bytes` or its
/// closing quote. The bytes are not checked as UTF-8: the caller does that.
pub(crate) fn decode_json_string_bytes(raw: &[u8], max_bytes: usize, out: &mut Vec<u8>) {
    out.clear();
    let mut i = usize::from(raw.first() == Some(&b'"'));
    while i < raw.len() && out.len() < max_bytes {
        // Copy the run up to the next quote or backslash in one go.
        let run = memchr::memchr2(b'"', b'\\', &raw[i..]).unwrap_or(raw.len() - i);
        if run > 0 {
            let take = run.min(max_bytes - out.len());
            out.extend_from_slice(&raw[i..i + take]);
            i += take;
            continue;
        }
        match raw[i] {
            b'"' => break,
            b'\\' => {
                let Some(&e) = raw.get(i + 1) else { break };
                let simple = match e {
                    b'n' => Some(b'\n'),
                    b't' => Some(b'\t'),
                    b'r' => Some(b'\r'),
                    b'b' => Some(8),
                    b'f' => Some(12),
                    b'"' | b'\\' | b'/' => Some(e),
                    _ => None,
                };
                if let Some(c) = simple {
                    out.push(c);
                    i += 2;
                    continue;
                }
                let hex = |at: usize| {
                    raw.get(at..at + 4)
                        .and_then(|h| std::str::from_utf8(h).ok())
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                };
                let Some(first) = hex(i + 2) else { break };
                let (code, used) = if (0xD800..0xDC00).contains(&first) {
                    match (raw.get(i + 6..i + 8), hex(i + 8)) {
                        (Some(b"\\u"), Some(low)) if (0xDC00..0xE000).contains(&low) => {
                            (0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00), 12)
                        }
                        _ => (0xFFFD, 6),
                    }
                } else {
                    (first, 6)
                };
                let c = char::from_u32(code).unwrap_or('\u{FFFD}');
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
                i += used;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
}

/// Builds the index of a corpus file that has none (one from the sample seed or from before
/// indexes were kept): one pass, every document attributed to `source`.
pub fn build_index_for(
    jsonl: &Path,
    source: &str,
    ctx: Option<&crate::jobs::JobCtx>,
) -> Result<CorpusIndex, IndexError> {
    #[derive(serde::Deserialize)]
    struct Record {
        text: String,
    }
    let io = |source| IndexError::Io {
        path: jsonl.to_owned(),
        source,
    };
    let file = std::fs::File::open(jsonl).map_err(io)?;
    let total = file.metadata().map_err(io)?.len();
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut stats = crate::corpus::stats::StatsBuilder::new(true);
    let mut builder = IndexBuilder::new();
    let source = builder.source_id(source);
    let mut line = Vec::new();
    let mut offset = 0u64;
    let mut line_no = 0u64;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(io)? as u64;
        if n == 0 {
            break;
        }
        line_no += 1;
        let record: Record = match serde_json::from_slice(&line) {
            Ok(r) => r,
            Err(e) if line.iter().all(u8::is_ascii_whitespace) => {
                log::debug!("{}:{line_no}: blank ({e})", jsonl.display());
                offset += n;
                continue;
            }
            Err(e) => {
                return Err(IndexError::BadLine {
                    path: jsonl.to_owned(),
                    line: line_no,
                    reason: e.to_string(),
                });
            }
        };
        let text_at = find_text_value(&line).unwrap_or(0);
        let facts = stats.add(&record.text);
        builder.add(
            Written {
                offset,
                len: n,
                text_at,
            },
            &record.text,
            &facts,
            source,
        );
        offset += n;
        if let Some(ctx) = ctx {
            if ctx.is_cancelled() {
                return Err(io(std::io::Error::new(
                    std::io::ErrorKind::Interrupted,
                    "cancelled",
                )));
            }
            ctx.progress(offset, Some(total));
        }
    }
    Ok(builder.finish())
}

/// Where the value of the top-level `"text"` key starts in a JSON object line. Keys are
/// walked properly (strings skipped with their escapes, nesting counted), so a `"text"` inside
/// an id or a nested object is not mistaken for it.
fn find_text_value(line: &[u8]) -> Option<u64> {
    let mut depth = 0i32;
    let mut i = 0;
    let mut expect_key = false;
    while i < line.len() {
        match line[i] {
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1 && line[i] == b'{';
                i += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                i += 1;
            }
            b',' => {
                expect_key = depth == 1;
                i += 1;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < line.len() && line[i] != b'"' {
                    i += if line[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
                if expect_key && &line[start..i.min(line.len())] == b"\"text\"" {
                    while i < line.len() && (line[i] == b':' || line[i].is_ascii_whitespace()) {
                        i += 1;
                    }
                    return Some(i as u64);
                }
                expect_key = false;
            }
            _ => i += 1,
        }
    }
    None
}

/// Writes `data` to `out` in one piece; a helper for tests that corrupt index files.
#[cfg(test)]
fn overwrite(path: &Path, data: &[u8]) {
    use std::io::Write as _;
    let mut f = std::fs::File::create(path).expect("create");
    f.write_all(data).expect("write");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::stats::StatsBuilder;
    use crate::corpus::write::JsonlSink;

    fn sample(dir: &Path) -> (PathBuf, CorpusIndex) {
        let path = dir.join("c.jsonl");
        let mut sink = JsonlSink::create(&path).expect("sink");
        let mut stats = StatsBuilder::new(true);
        let mut builder = IndexBuilder::new();
        let texts = [
            "Bakı Xəzər dənizinin sahilində yerləşir və Azərbaycanın paytaxtıdır.",
            "M ə c ə ll ə nin birinci maddәsi \"dırnaq\" və \\ xətt\nikinci sətir 😀",
            "Bugün hava çok güzel, parkta yürüyüş yapmaya karar verdik.",
        ];
        for (i, text) in texts.iter().enumerate() {
            let source = builder.source_id(if i == 2 { "b.txt" } else { "a.txt" });
            let mut extra = serde_json::Map::new();
            extra.insert("text".into(), "shadow".into());
            let written = sink
                .write(&serde_json::json!(format!("id \"text\" {i}")), text, &extra)
                .expect("write");
            let facts = stats.add(text);
            builder.add(written, text, &facts, source);
        }
        sink.finish().expect("finish");
        (path, builder.finish())
    }

    #[test]
    fn index_round_trips_and_reads_documents_by_offset() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, index) = sample(dir.path());
        let ipath = index_path(&path);
        index.save(&ipath).expect("save");
        let loaded = CorpusIndex::load(&ipath).expect("load").expect("some");
        assert_eq!(loaded, index);
        assert_eq!(loaded.source(&loaded.docs[2]), "b.txt");
        assert_eq!(loaded.language(&loaded.docs[0]), "az");
        assert_eq!(loaded.language(&loaded.docs[2]), "tr");
        let d1 = loaded.docs[1];
        assert_ne!(d1.anomalies & anomaly::SPLIT_WORDS, 0);
        assert_ne!(d1.anomalies & anomaly::SCHWA_LOOK_ALIKE, 0);
        assert_eq!(loaded.docs[0].anomalies, 0);

        let mut reader = DocReader::open(&path).expect("open");
        let (id, text) = reader.document(&d1, 2).expect("doc");
        assert_eq!(id, serde_json::json!("id \"text\" 1"));
        assert!(text.ends_with("😀"));
        let full = reader.preview(&d1, 10_000).expect("preview");
        assert_eq!(full, text, "escapes, newline and astral characters decode");
        let cut = reader.preview(&d1, 5).expect("preview");
        assert!(text.starts_with(&cut) && cut.len() <= 5, "{cut:?}");

        // A rebuilt index (no writer offsets known) finds the same offsets.
        let rebuilt = build_index_for(&path, "c.jsonl", None).expect("rebuild");
        let offsets = |i: &CorpusIndex| {
            i.docs
                .iter()
                .map(|d| (d.offset, d.len, d.text_at, d.chars))
                .collect::<Vec<_>>()
        };
        assert_eq!(offsets(&rebuilt), offsets(&index));
    }

    #[test]
    fn a_damaged_index_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (path, index) = sample(dir.path());
        let ipath = index_path(&path);
        index.save(&ipath).expect("save");
        let bytes = std::fs::read(&ipath).expect("read");
        overwrite(&ipath, &bytes[..bytes.len() - 5]);
        let err = CorpusIndex::load(&ipath).expect_err("truncated");
        assert!(err.to_string().contains("c.index"), "{err}");
        overwrite(&ipath, b"garbage");
        assert!(CorpusIndex::load(&ipath).is_err());
        assert!(
            CorpusIndex::load(&dir.path().join("none.index"))
                .expect("absent is fine")
                .is_none()
        );
    }

    #[test]
    fn json_prefix_decoding_stops_cleanly_inside_escapes_and_characters() {
        assert_eq!(decode_json_string_prefix(br#""ab\u0259c""#, 100), "abəc");
        assert_eq!(decode_json_string_prefix(br#""ab\u02"#, 100), "ab");
        assert_eq!(decode_json_string_prefix("\"əə".as_bytes(), 3), "ə");
        assert_eq!(decode_json_string_prefix(br#""\ud83d\ude00!""#, 100), "😀!");
    }
}
