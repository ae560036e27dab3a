//! Provenance records beside corpus files written by the command line: `OUT.provenance.json`
//! names the source files and every step with its settings and counts. A step whose input
//! carries its own record continues that record, so a chain of commands (clean, then filter,
//! then dedup) ends with the whole history, as an export from the workspace does.

use std::path::{Path, PathBuf};

/// `OUT.provenance.json` for an output `OUT`.
pub fn provenance_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".provenance.json");
    out.with_file_name(name)
}

/// One step, as recorded.
#[derive(Debug, Clone)]
pub struct Step<'a> {
    pub step: &'a str,
    pub settings: serde_json::Value,
    pub documents_in: u64,
    pub documents_out: u64,
    pub report: serde_json::Value,
}

/// The record `inputs` carry: the single input's own record when it has one, else a new record
/// whose sources are the inputs.
fn inherited(inputs: &[PathBuf]) -> serde_json::Value {
    if let [one] = inputs
        && let Ok(bytes) = std::fs::read(provenance_path(one))
        && let Ok(record @ serde_json::Value::Object(_)) =
            serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        return record;
    }
    let sources: Vec<serde_json::Value> = inputs
        .iter()
        .map(|p| {
            serde_json::json!({
                "path": p.display().to_string(),
                "bytes": p.metadata().map_or(0, |m| m.len()),
            })
        })
        .collect();
    serde_json::json!({ "import": { "sources": sources }, "steps": [] })
}

/// Writes `OUT.provenance.json` for a step that read `inputs` and wrote `out`.
pub fn record_step(inputs: &[PathBuf], out: &Path, step: &Step<'_>) -> std::io::Result<()> {
    let mut record = inherited(inputs);
    if let serde_json::Value::Object(map) = &mut record {
        map.insert(
            "tool".into(),
            format!("dezgah {}", env!("CARGO_PKG_VERSION")).into(),
        );
        map.remove("export");
        let entry = serde_json::json!({
            "output": out.display().to_string(),
            "step": step.step,
            "settings": step.settings,
            "documents_in": step.documents_in,
            "documents_out": step.documents_out,
            "removed": step.documents_in.saturating_sub(step.documents_out),
            "report": step.report,
        });
        match map.get_mut("steps") {
            Some(serde_json::Value::Array(steps)) => steps.push(entry),
            _ => {
                map.insert("steps".into(), serde_json::Value::Array(vec![entry]));
            }
        }
    }
    let bytes = serde_json::to_vec_pretty(&record).map_err(std::io::Error::other)?;
    crate::write_atomic(&provenance_path(out), &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_of_steps_keeps_its_sources_and_every_step() {
        let dir = tempfile::tempdir().expect("tempdir");
        let raw = dir.path().join("raw.txt");
        std::fs::write(&raw, "x\n").expect("write");
        let clean = dir.path().join("clean.jsonl");
        let step = |name| Step {
            step: name,
            settings: serde_json::json!({"k": 1}),
            documents_in: 10,
            documents_out: 8,
            report: serde_json::Value::Null,
        };
        record_step(std::slice::from_ref(&raw), &clean, &step("clean")).expect("clean");
        let dedup = dir.path().join("dedup.jsonl");
        record_step(&[clean], &dedup, &step("dedup")).expect("dedup");
        let record: serde_json::Value = serde_json::from_slice(
            &std::fs::read(dir.path().join("dedup.jsonl.provenance.json")).expect("read"),
        )
        .expect("json");
        assert_eq!(record["import"]["sources"][0]["bytes"], 2);
        let steps: Vec<&str> = record["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| s["step"].as_str().expect("name"))
            .collect();
        assert_eq!(steps, vec!["clean", "dedup"]);
        assert_eq!(record["steps"][1]["removed"], 2);
    }
}
