//! The UI-free core. Nothing under this module may depend on egui or eframe, so that the CLI,
//! the GUI and a headless GPU server run the same code.

pub mod chat;
pub mod corpus;
pub mod diskfull;
pub mod domain;
pub mod export;
pub mod jobs;
pub mod model;
pub mod prefs;
pub mod rag;
pub mod runs;
pub mod sample;
pub mod settings;
pub mod sft;
pub mod sft_io;
pub mod store;
pub mod tmpfile;
pub mod tokenizer;
pub mod toml_text;
pub mod train;
pub mod workspace;

/// Writes `bytes` to `path` atomically: a temp file in the same folder (see [`tmpfile`]), fsync,
/// then rename, so a reader (or a crash) never sees a half-written file.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    tmpfile::write(path, bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn write_atomic_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.json");
        super::write_atomic(&path, b"first").expect("write");
        super::write_atomic(&path, b"second").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"second");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("read_dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "temp file left behind: {names:?}");
    }
}
