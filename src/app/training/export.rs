//! Exporting a run: the pre-export check and the export job.

use std::path::{Path, PathBuf};

use crate::app::DezgahApp;
use crate::core::jobs::{JobHandle, JobId, Outcome};

use super::{ExportForm, ExportTarget};

impl DezgahApp {
    pub(crate) fn set_export_form(&mut self, form: ExportForm) {
        let export = &mut self.training.export;
        if form.target.check_target() != export.form.target.check_target()
            || form.checkpoint != export.form.checkpoint
        {
            export.findings = None;
        }
        export.done = None;
        export.form = form;
    }

    /// Where a run's export goes: `exports/RUN-hf`, `exports/RUN.gguf` or `exports/RUN-ollama`.
    pub fn export_path(root: &Path, run_name: &str, target: ExportTarget) -> PathBuf {
        let dir = root.join("exports");
        match target {
            ExportTarget::Hf => dir.join(format!("{run_name}-hf")),
            ExportTarget::Gguf => dir.join(format!("{run_name}.gguf")),
            ExportTarget::Ollama => dir.join(format!("{run_name}-ollama")),
        }
    }

    /// Runs the pre-export check in the background (it reads the whole checkpoint).
    pub(crate) fn check_export(&mut self, id: i64) {
        let Some((root, row)) = self.run_row(id) else {
            return;
        };
        let form = self.training.export.form.clone();
        let run_dir = root.join(&row.dir);
        let label = crate::core::jobs::JobName::message(
            "job-export-check",
            [("name", row.name.as_str().into())],
        );
        let export = &mut self.training.export;
        export.run = Some(id);
        export.findings = None;
        export.done = None;
        match self.jobs.spawn_typed(&label, move |_| {
            let src = crate::core::export::open(&run_dir, &form.checkpoint)?;
            let findings = crate::core::export::check(&src, form.target.check_target());
            let failed = findings
                .iter()
                .filter(|f| f.level == crate::core::export::Level::Fail)
                .count();
            Ok((findings, format!("{failed} problems")))
        }) {
            Ok(job) => export.check_job = Some(job),
            Err(e) => export.findings = Some(Err(e.to_string())),
        }
    }

    /// Writes the export in the background.
    pub(crate) fn export_run(&mut self, id: i64) {
        let Some((root, row)) = self.run_row(id) else {
            return;
        };
        let form = self.training.export.form.clone();
        let run_dir = root.join(&row.dir);
        let out = Self::export_path(&root, &row.name, form.target);
        let name = row.name.clone();
        let label =
            crate::core::jobs::JobName::message("job-export", [("name", row.name.as_str().into())]);
        let export = &mut self.training.export;
        export.run = Some(id);
        export.done = None;
        match self.jobs.spawn_typed(&label, move |ctx| {
            use crate::core::export as ex;
            ctx.progress(0, Some(3));
            let src = ex::open(&run_dir, &form.checkpoint)?;
            ctx.progress(1, Some(3));
            let written = match form.target {
                ExportTarget::Hf => ex::export_hf(&src, &out, form.precision).map(|()| out.clone()),
                ExportTarget::Gguf => {
                    ex::export_gguf(&src, &out, form.precision, &name).map(|()| out.clone())
                }
                ExportTarget::Ollama => {
                    ex::export_ollama(&src, &out, form.precision, &name, "Sən faydalı köməkçisən.")
                }
            }?;
            ctx.progress(3, Some(3));
            let summary = written.display().to_string();
            Ok((written, summary))
        }) {
            Ok(job) => export.export_job = Some(job),
            Err(e) => export.done = Some(Err(e.to_string())),
        }
    }

    pub(crate) fn export_job_finished(&mut self, id: JobId, outcome: &Outcome) {
        let export = &mut self.training.export;
        if let Some(findings) = JobHandle::take_finished(&mut export.check_job, id, outcome) {
            export.findings = Some(findings);
        }
        if let Some(done) = JobHandle::take_finished(&mut export.export_job, id, outcome) {
            export.done = Some(done);
        }
    }
}
