//! Progress over a set of input files, measured in bytes so that the ETA holds whatever the
//! documents' sizes, with the cancel check every few hundred documents.

use std::path::{Path, PathBuf};

use crate::corpus::clean::CleanError;
use crate::jobs::JobCtx;

/// How often (in documents) progress is reported and cancellation checked.
const EVERY: u64 = 256;

#[derive(Debug)]
pub struct InputProgress<'a> {
    ctx: Option<&'a JobCtx>,
    total_bytes: u64,
    done_bytes: u64,
    documents: u64,
    /// Named in the cancellation error: what will not be written.
    output: PathBuf,
}

impl<'a> InputProgress<'a> {
    pub fn new(ctx: Option<&'a JobCtx>, inputs: &[PathBuf], output: &Path) -> Self {
        Self {
            ctx,
            total_bytes: inputs
                .iter()
                .filter_map(|p| p.metadata().ok())
                .map(|m| m.len())
                .sum(),
            done_bytes: 0,
            documents: 0,
            output: output.to_owned(),
        }
    }

    /// After each document, with the bytes the current file's reader has consumed.
    pub fn document(&mut self, reader_bytes: u64) -> Result<(), CleanError> {
        self.documents += 1;
        let Some(ctx) = self.ctx else {
            return Ok(());
        };
        if !self.documents.is_multiple_of(EVERY) {
            return Ok(());
        }
        if ctx.is_cancelled() {
            return Err(CleanError::Cancelled {
                path: self.output.clone(),
            });
        }
        ctx.progress(
            (self.done_bytes + reader_bytes).min(self.total_bytes),
            Some(self.total_bytes),
        );
        Ok(())
    }

    /// After each input file.
    pub fn file_done(&mut self, path: &Path) {
        self.done_bytes += path.metadata().map_or(0, |m| m.len());
    }

    pub fn finish(&self) {
        if let Some(ctx) = self.ctx {
            ctx.progress(self.total_bytes, Some(self.total_bytes));
        }
    }
}

/// Progress of a pass over one corpus whose document count is known, in documents: what a
/// reviewer reads as "1 200 / 12 000 documents". Cancellation is checked at every document (an
/// atomic load), since one document of a law code can take a second to clean.
#[derive(Debug)]
pub struct DocProgress<'a> {
    ctx: Option<&'a JobCtx>,
    done: u64,
    total: u64,
    /// Named in the cancellation error.
    path: PathBuf,
}

impl<'a> DocProgress<'a> {
    /// Starts pass `stage` (1-based, of `stages`) over `total` documents of `path`.
    pub fn new(ctx: Option<&'a JobCtx>, total: u64, stage: (u32, u32), path: &Path) -> Self {
        if let Some(ctx) = ctx
            && stage.1 > 1
        {
            ctx.stage(stage.0, stage.1);
        }
        if let Some(ctx) = ctx {
            ctx.progress(0, Some(total));
        }
        Self {
            ctx,
            done: 0,
            total,
            path: path.to_owned(),
        }
    }

    /// After each document.
    pub fn document(&mut self) -> Result<(), CleanError> {
        self.done += 1;
        let Some(ctx) = self.ctx else {
            return Ok(());
        };
        if ctx.is_cancelled() {
            return Err(CleanError::Cancelled {
                path: self.path.clone(),
            });
        }
        // A corpus that grew since it was counted still ends at its total.
        ctx.progress(self.done.min(self.total), Some(self.total.max(self.done)));
        Ok(())
    }

    pub fn done(&self) -> u64 {
        self.done
    }
}
