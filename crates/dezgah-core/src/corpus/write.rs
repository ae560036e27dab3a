//! JSONL output that appears whole or not at all: records go to a temp file beside the target,
//! which is synced and renamed into place only by [`JsonlSink::finish`].

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::corpus::clean::CleanError;

mod erased {
    /// Serialises any value into a byte buffer; writing to a `Vec` cannot fail.
    pub trait Json {
        fn write_to(&self, out: &mut Vec<u8>);
    }

    impl<T: serde::Serialize> Json for T {
        fn write_to(&self, out: &mut Vec<u8>) {
            if let Err(e) = serde_json::to_writer(&mut *out, self) {
                // Only a map with non-string keys can fail, and we never build one.
                log::error!("cannot serialise a record field: {e}");
                out.extend_from_slice(b"null");
            }
        }
    }
}

pub struct JsonlSink {
    path: PathBuf,
    tmp: crate::tmpfile::TempFile,
    out: std::io::BufWriter<std::fs::File>,
    line: Vec<u8>,
    position: u64,
}

/// Where a record landed: the per-document index seeks straight to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub offset: u64,
    /// Bytes of the line, newline included.
    pub len: u64,
    /// Where the text's JSON string (its opening quote) starts within the line.
    pub text_at: u64,
}

impl std::fmt::Debug for JsonlSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonlSink")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl JsonlSink {
    pub fn create(path: &Path) -> Result<Self, CleanError> {
        let err = |source| CleanError::Write {
            path: path.to_owned(),
            source,
        };
        let tmp = crate::tmpfile::TempFile::create(path).map_err(err)?;
        let file = tmp.file().and_then(std::fs::File::try_clone).map_err(err)?;
        Ok(Self {
            path: path.to_owned(),
            tmp,
            out: std::io::BufWriter::with_capacity(1 << 20, file),
            line: Vec::with_capacity(4096),
            position: 0,
        })
    }

    fn err(&self, source: std::io::Error) -> CleanError {
        CleanError::Write {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes `{"id": …, "text": …, <extra fields>}` and a newline. An extra field that is
    /// itself called `id` or `text` (when the input's fields had other names) gets a `_` prefix.
    pub fn write(
        &mut self,
        id: &serde_json::Value,
        text: &str,
        extra: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Written, CleanError> {
        let line = &mut self.line;
        line.clear();
        line.extend_from_slice(b"{\"id\":");
        let json = |line: &mut Vec<u8>, value: &dyn erased::Json| value.write_to(line);
        json(line, id);
        line.extend_from_slice(b",\"text\":");
        let text_at = line.len() as u64;
        json(line, &text);
        for (key, value) in extra {
            line.push(b',');
            if key.as_str() == "id" || key.as_str() == "text" {
                json(line, &format!("_{key}"));
            } else {
                json(line, key);
            }
            line.push(b':');
            json(line, value);
        }
        line.extend_from_slice(b"}\n");
        self.out
            .write_all(&self.line)
            .map_err(|e| CleanError::Write {
                path: self.path.clone(),
                source: e,
            })?;
        let written = Written {
            offset: self.position,
            len: self.line.len() as u64,
            text_at,
        };
        self.position += written.len;
        Ok(written)
    }

    /// Writes a line that is already a JSON record (copied as it is) and a newline.
    pub fn write_raw_line(&mut self, line: &[u8]) -> Result<(), CleanError> {
        self.out
            .write_all(line)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| self.err(e))?;
        self.position += line.len() as u64 + 1;
        Ok(())
    }

    /// Flushes, syncs and renames the file into place.
    pub fn finish(mut self) -> Result<(), CleanError> {
        self.out.flush().map_err(|e| self.err(e))?;
        let path = self.path.clone();
        let Self { tmp, out, .. } = self;
        drop(out);
        tmp.persist(&path)
            .map_err(|source| CleanError::Write { path, source })
    }
}

/// Parquet output with `id` and `text` string columns (the layout Hugging Face datasets read),
/// zstd-compressed, written whole or not at all like [`JsonlSink`]. Rows are buffered into row
/// groups of bounded size so memory stays flat however large the corpus.
pub struct ParquetSink {
    path: PathBuf,
    tmp: crate::tmpfile::TempFile,
    writer: parquet::file::writer::SerializedFileWriter<std::fs::File>,
    ids: Vec<parquet::data_type::ByteArray>,
    texts: Vec<parquet::data_type::ByteArray>,
    buffered_bytes: usize,
}

impl std::fmt::Debug for ParquetSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParquetSink")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A row group is written once this much text is buffered.
const ROW_GROUP_BYTES: usize = 64 << 20;

impl ParquetSink {
    pub fn create(path: &Path) -> Result<Self, CleanError> {
        use std::sync::Arc;
        let err = |message: String| CleanError::Write {
            path: path.to_owned(),
            source: std::io::Error::other(message),
        };
        let tmp = crate::tmpfile::TempFile::create(path).map_err(|e| err(e.to_string()))?;
        let file = tmp
            .file()
            .and_then(std::fs::File::try_clone)
            .map_err(|e| err(e.to_string()))?;
        let schema = parquet::schema::parser::parse_message_type(
            "message corpus { REQUIRED BYTE_ARRAY id (UTF8); REQUIRED BYTE_ARRAY text (UTF8); }",
        )
        .map_err(|e| err(e.to_string()))?;
        let props = parquet::file::properties::WriterProperties::builder()
            .set_compression(parquet::basic::Compression::ZSTD(
                parquet::basic::ZstdLevel::default(),
            ))
            .set_created_by(format!("dezgah {}", env!("CARGO_PKG_VERSION")))
            .build();
        let writer = parquet::file::writer::SerializedFileWriter::new(
            file,
            Arc::new(schema),
            Arc::new(props),
        )
        .map_err(|e| err(e.to_string()))?;
        Ok(Self {
            path: path.to_owned(),
            tmp,
            writer,
            ids: Vec::new(),
            texts: Vec::new(),
            buffered_bytes: 0,
        })
    }

    fn err(&self, e: &parquet::errors::ParquetError) -> CleanError {
        CleanError::Write {
            path: self.path.clone(),
            source: std::io::Error::other(e.to_string()),
        }
    }

    /// Adds one row; a non-string id is stored as its JSON text.
    pub fn write(&mut self, id: &serde_json::Value, text: &str) -> Result<(), CleanError> {
        let id = match id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        self.buffered_bytes += id.len() + text.len();
        self.ids.push(id.into_bytes().into());
        self.texts.push(text.as_bytes().to_vec().into());
        if self.buffered_bytes >= ROW_GROUP_BYTES {
            self.flush_group()?;
        }
        Ok(())
    }

    fn flush_group(&mut self) -> Result<(), CleanError> {
        use parquet::data_type::ByteArrayType;
        if self.ids.is_empty() {
            return Ok(());
        }
        let ids = std::mem::take(&mut self.ids);
        let texts = std::mem::take(&mut self.texts);
        self.buffered_bytes = 0;
        let result = (|| {
            let mut group = self.writer.next_row_group()?;
            for values in [&ids, &texts] {
                if let Some(mut column) = group.next_column()? {
                    column
                        .typed::<ByteArrayType>()
                        .write_batch(values, None, None)?;
                    column.close()?;
                }
            }
            group.close().map(|_| ())
        })();
        result.map_err(|e| self.err(&e))
    }

    /// Writes the last row group and the footer, syncs and renames the file into place.
    pub fn finish(mut self) -> Result<(), CleanError> {
        self.flush_group()?;
        let path = self.path.clone();
        let Self { writer, tmp, .. } = self;
        writer.close().map_err(|e| CleanError::Write {
            path: path.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let io = |source| CleanError::Write {
            path: path.clone(),
            source,
        };
        tmp.persist(&path).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::read::{DocumentReader, ReadOptions};

    #[test]
    fn parquet_written_here_reads_back_with_ids_and_text() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.parquet");
        let mut sink = ParquetSink::create(&path).expect("create");
        sink.write(&serde_json::json!("a-1"), "Məcəllənin birinci maddəsi")
            .expect("write");
        sink.write(&serde_json::json!(7), "İkinci sənəd")
            .expect("write");
        sink.finish().expect("finish");
        let docs: Vec<_> = DocumentReader::open(&path, ReadOptions::default())
            .expect("open")
            .collect::<Result<_, _>>()
            .expect("read");
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].id, serde_json::json!("a-1"));
        assert_eq!(docs[0].text, "Məcəllənin birinci maddəsi");
        assert_eq!(docs[1].id, serde_json::json!("7"));
        assert_eq!(docs[1].line, 2);
    }

    #[test]
    fn a_broken_parquet_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.parquet");
        std::fs::write(&path, b"PAR1 this is not parquet at all").expect("write");
        let err = DocumentReader::open(&path, ReadOptions::default()).expect_err("must fail");
        assert!(err.to_string().contains("bad.parquet"), "{err}");
    }

    #[test]
    fn an_unfinished_parquet_sink_leaves_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.parquet");
        let mut sink = ParquetSink::create(&path).expect("create");
        sink.write(&serde_json::json!(1), "x").expect("write");
        drop(sink);
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
