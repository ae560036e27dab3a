//! Dəzgah: an offline workbench for building Azerbaijani language models.
//!
//! `core` holds everything that works without a window (store, jobs, workspace) and never
//! imports egui; `app` and `panels` are the GUI that drives it; `cli` runs the same core headless.

pub mod app;
pub mod cli;
pub mod core;
pub mod i18n;
pub mod panels;
pub mod widgets;

/// The error as one line with its causes, each said once: core errors already put their
/// source's text in their own message (`path: reason`), which `{:#}` would repeat.
pub fn error_line(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    let mut next = Some(err);
    while let Some(cause) = next {
        // A candle error's backtrace (with RUST_BACKTRACE set) is for logs, not for users.
        let text = crate::core::model::user_text(cause);
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
mod tests {
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
