//! Dəzgah's UI-free core: store, jobs, corpus, tokenizers, models, training, export. It is its
//! own crate and does not depend on egui or eframe, so the compiler keeps the CLI, the GUI and a
//! headless GPU server on the same code.

pub mod chat;
pub mod corpus;
pub mod diskfull;
pub mod domain;
pub mod export;
pub mod i18n;
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

/// The error as one line with its causes, each said once: core errors already put their
/// source's text in their own message (`path: reason`), which `{:#}` would repeat.
pub fn error_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    let mut next = Some(err);
    while let Some(cause) = next {
        // A candle error's backtrace (with RUST_BACKTRACE set) is for logs, not for users.
        let text = crate::model::user_text(cause);
        if !text.is_empty() && !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        next = cause.source();
    }
    out
}

#[cfg(test)]
mod error_line_tests {
    use super::error_line;

    #[derive(Debug, thiserror::Error)]
    #[error("{path}: {source}")]
    struct WithSource {
        path: String,
        source: std::io::Error,
    }

    #[test]
    fn each_cause_is_said_once() {
        let inner = WithSource {
            path: "a.txt".into(),
            source: std::io::Error::other("disk full"),
        };
        let err = anyhow::Error::new(inner).context("saving the run");
        assert_eq!(error_line(&*err), "saving the run: a.txt: disk full");
        let plain = anyhow::anyhow!("x").context("reading y");
        assert_eq!(error_line(&*plain), "reading y: x");
    }
}
