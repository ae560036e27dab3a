//! JSONL output that appears whole or not at all: records go to a temp file beside the target,
//! which is synced and renamed into place only by [`JsonlSink::finish`].

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::core::corpus::clean::CleanError;

pub struct JsonlSink {
    path: PathBuf,
    tmp: tempfile::NamedTempFile,
    out: std::io::BufWriter<std::fs::File>,
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
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| Path::new("."));
        let tmp = tempfile::Builder::new()
            .prefix(".dezgah-")
            .tempfile_in(dir)
            .map_err(err)?;
        let file = tmp.as_file().try_clone().map_err(err)?;
        Ok(Self {
            path: path.to_owned(),
            tmp,
            out: std::io::BufWriter::with_capacity(1 << 20, file),
        })
    }

    fn err(&self, source: std::io::Error) -> CleanError {
        CleanError::Write {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes `{"id": …, "text": …, <extra fields>}` and a newline.
    pub fn write(
        &mut self,
        id: serde_json::Value,
        text: String,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), CleanError> {
        let mut record = serde_json::Map::with_capacity(extra.len() + 2);
        record.insert("id".into(), id);
        record.insert("text".into(), serde_json::Value::String(text));
        record.extend(extra);
        serde_json::to_writer(&mut self.out, &record).map_err(|e| self.err(e.into()))?;
        self.out.write_all(b"\n").map_err(|e| self.err(e))
    }

    /// Flushes, syncs and renames the file into place.
    pub fn finish(mut self) -> Result<(), CleanError> {
        self.out.flush().map_err(|e| self.err(e))?;
        self.tmp.as_file().sync_all().map_err(|e| self.err(e))?;
        let path = self.path.clone();
        self.tmp
            .persist(&path)
            .map(|_| ())
            .map_err(|e| CleanError::Write {
                path,
                source: e.error,
            })
    }
}
