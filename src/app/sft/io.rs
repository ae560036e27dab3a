//! Importing and exporting SFT examples as JSONL, in the background.

use std::path::PathBuf;

use crate::app::DezgahApp;
use crate::core::domain::SftStatus;

impl DezgahApp {
    pub(crate) fn import_sft(&mut self, format: crate::core::sft_io::Format, file: PathBuf) {
        self.flush_sft();
        let Some((workspace, _)) = self.workspace.as_open() else {
            return;
        };
        let root = workspace.root().to_owned();
        let author = Some(self.state.annotator.trim().to_owned()).filter(|a| !a.is_empty());
        let label = crate::core::jobs::JobName::message(
            "job-sft-import",
            [("file", file.display().to_string().into())],
        );
        match self.jobs.spawn(&label, move |ctx| {
            let mut ws = crate::core::workspace::Workspace::open(&root)?;
            let report = crate::core::sft_io::import(
                ws.store_mut(),
                &file,
                format,
                SftStatus::Draft,
                author.as_deref(),
            )?;
            for (line, why) in &report.errors {
                ctx.log(format!("{}:{line}: {why}", file.display()));
            }
            Ok(format!(
                "imported {} examples; {} lines skipped",
                report.imported,
                report.errors.len()
            ))
        }) {
            Ok(job) => self.sft_import_job = Some(job),
            Err(e) => log::error!("cannot start {label}: {e}"),
        }
    }

    /// Exports the examples that pass the list's status, domain and tag filter.
    pub(crate) fn export_sft(
        &mut self,
        format: crate::core::sft_io::Format,
        val_fraction: f64,
        out: PathBuf,
    ) {
        self.flush_sft();
        let Some((workspace, _)) = self.workspace.as_open() else {
            return;
        };
        let root = workspace.root().to_owned();
        let filter = crate::core::sft_io::Filter {
            status: self
                .sft
                .filter
                .status
                .as_deref()
                .and_then(|s| s.parse().ok()),
            domain: self.sft.filter.domain.clone(),
            tag: self.sft.filter.tag.clone(),
        };
        let label = crate::core::jobs::JobName::message(
            "job-sft-export",
            [("file", out.display().to_string().into())],
        );
        if let Err(e) = self.jobs.spawn(&label, move |_ctx| {
            let ws = crate::core::workspace::Workspace::open(&root)?;
            let val_path = out.with_extension("validation.jsonl");
            let validation = (val_fraction > 0.0).then_some((val_path.as_path(), val_fraction));
            let report =
                crate::core::sft_io::export(ws.store(), format, &filter, &out, validation)?;
            Ok(format!(
                "{} train and {} validation examples written to {}",
                report.train,
                report.validation,
                out.display()
            ))
        }) {
            log::error!("cannot start {label}: {e}");
        }
    }
}
