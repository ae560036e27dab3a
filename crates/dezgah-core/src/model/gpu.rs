//! The machine's NVIDIA GPUs as the driver's `nvidia-smi` reports them: name, free and total
//! memory. The launch form shows them beside its memory estimate; a CPU build uses the same list
//! to say that a GPU is there and which build would use it.
//!
//! `nvidia-smi` ships with the driver, answers without creating a CUDA context (which would hold
//! ~500 MB of the GPU for the life of the window) and works the same in every build.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long the driver may take to answer before the list is given up on.
const QUERY_TIMEOUT: Duration = Duration::from_secs(10);

/// One GPU, under the name a run's `device` field takes for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuInfo {
    /// `cuda:N`, N counted as CUDA counts the devices this process may see.
    pub device: String,
    pub name: String,
    pub free_bytes: u64,
    pub total_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GpuQueryError {
    /// No driver tool: the usual case on a machine without an NVIDIA GPU.
    #[error("{program} is not installed (no NVIDIA driver)")]
    NoDriver { program: String },
    #[error("{program} failed: {message}")]
    Failed { program: String, message: String },
    #[error("{program} did not answer within {secs} s", secs = QUERY_TIMEOUT.as_secs())]
    TimedOut { program: String },
    #[error("{program} printed an unexpected line {line}: {text:?}")]
    Unreadable {
        program: String,
        line: usize,
        text: String,
    },
}

/// The driver tool: `DEZGAH_NVIDIA_SMI` when set (another install, or a test's stand-in), else
/// `nvidia-smi` on the PATH.
pub fn default_program() -> PathBuf {
    std::env::var_os("DEZGAH_NVIDIA_SMI").map_or_else(|| PathBuf::from("nvidia-smi"), Into::into)
}

/// Asks `program` (see [`default_program`]) for the GPUs this process may use, honouring
/// `CUDA_VISIBLE_DEVICES`. Blocks for as long as the driver takes: call it off the UI thread.
pub fn query(program: &Path) -> Result<Vec<GpuInfo>, GpuQueryError> {
    let name = program.display().to_string();
    let mut child = Command::new(program)
        .args([
            "--query-gpu=index,uuid,name,memory.free,memory.total",
            "--format=csv,noheader,nounits",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => GpuQueryError::NoDriver {
                program: name.clone(),
            },
            _ => GpuQueryError::Failed {
                program: name.clone(),
                message: e.to_string(),
            },
        })?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > QUERY_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(GpuQueryError::TimedOut { program: name });
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                return Err(GpuQueryError::Failed {
                    program: name,
                    message: e.to_string(),
                });
            }
        }
    }
    let out = child
        .wait_with_output()
        .map_err(|e| GpuQueryError::Failed {
            program: name.clone(),
            message: e.to_string(),
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let said = [stderr.trim(), stdout.trim()]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or("no message")
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        return Err(GpuQueryError::Failed {
            program: name,
            message: format!("{} ({said})", out.status),
        });
    }
    let visible = std::env::var("CUDA_VISIBLE_DEVICES").ok();
    parse(&String::from_utf8_lossy(&out.stdout), visible.as_deref()).map_err(|(line, text)| {
        GpuQueryError::Unreadable {
            program: name,
            line,
            text,
        }
    })
}

/// One row of the driver's table, before it is numbered as CUDA numbers it.
struct Row {
    index: String,
    uuid: String,
    name: String,
    free_mib: u64,
    total_mib: u64,
}

/// Reads `index, uuid, name, free MiB, total MiB` lines and numbers the GPUs as CUDA does under
/// `visible` (the value of `CUDA_VISIBLE_DEVICES`: indices or UUIDs, in the order given; CUDA
/// stops at the first entry that names no device). An unreadable line is `(line, text)`.
fn parse(text: &str, visible: Option<&str>) -> Result<Vec<GpuInfo>, (usize, String)> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        // A name may hold a comma; the numbers are the last two fields.
        let row = (fields.len() >= 5)
            .then(|| {
                let n = fields.len();
                Some(Row {
                    index: fields[0].to_owned(),
                    uuid: fields[1].to_owned(),
                    name: fields[2..n - 2].join(","),
                    free_mib: fields[n - 2].parse().ok()?,
                    total_mib: fields[n - 1].parse().ok()?,
                })
            })
            .flatten()
            .ok_or_else(|| (i + 1, line.to_owned()))?;
        rows.push(row);
    }
    let chosen: Vec<&Row> = match visible.map(str::trim) {
        None => rows.iter().collect(),
        Some(list) => {
            let mut chosen = Vec::new();
            for entry in list.split(',').map(str::trim) {
                // CUDA takes a UUID by any unique prefix of `GPU-…`.
                let found = rows.iter().find(|r| {
                    r.index == entry || (entry.starts_with("GPU-") && r.uuid.starts_with(entry))
                });
                match found {
                    Some(r) if !chosen.iter().any(|c: &&Row| c.index == r.index) => chosen.push(r),
                    _ => break,
                }
            }
            chosen
        }
    };
    Ok(chosen
        .into_iter()
        .enumerate()
        .map(|(n, r)| GpuInfo {
            device: format!("cuda:{n}"),
            name: r.name.clone(),
            free_bytes: r.free_mib * 1024 * 1024,
            total_bytes: r.total_mib * 1024 * 1024,
        })
        .collect())
}

/// The GPU a run's `device` field names (`cuda` is `cuda:0`), if the list has it.
pub fn find<'a>(gpus: &'a [GpuInfo], device: &str) -> Option<&'a GpuInfo> {
    let device = device.trim();
    let device = if device == "cuda" { "cuda:0" } else { device };
    gpus.iter().find(|g| g.device == device)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "0, GPU-aaaa-1111, NVIDIA H200, 140000, 143771\n\
                       1, GPU-bbbb-2222, NVIDIA RTX A6000, 2048, 49140\n";

    #[test]
    fn rows_become_cuda_devices_with_bytes() {
        let gpus = parse(TWO, None).expect("parses");
        assert_eq!(gpus.len(), 2);
        assert_eq!(gpus[0].device, "cuda:0");
        assert_eq!(gpus[0].name, "NVIDIA H200");
        assert_eq!(gpus[0].free_bytes, 140_000 * 1024 * 1024);
        assert_eq!(gpus[1].total_bytes, 49_140 * 1024 * 1024);
        assert_eq!(
            find(&gpus, "cuda").map(|g| g.name.as_str()),
            Some("NVIDIA H200")
        );
        assert_eq!(
            find(&gpus, "cuda:1").map(|g| g.free_bytes >> 20),
            Some(2048)
        );
        assert!(find(&gpus, "cuda:2").is_none());
        assert!(find(&gpus, "cpu").is_none());
    }

    #[test]
    fn visible_devices_renumber_as_cuda_does() {
        let gpus = parse(TWO, Some("1")).expect("parses");
        assert_eq!(gpus.len(), 1);
        assert_eq!(
            (gpus[0].device.as_str(), gpus[0].name.as_str()),
            ("cuda:0", "NVIDIA RTX A6000")
        );
        let by_uuid = parse(TWO, Some("GPU-bbbb,0")).expect("parses");
        let names: Vec<_> = by_uuid
            .iter()
            .map(|g| (g.device.as_str(), g.name.as_str()))
            .collect();
        assert_eq!(
            names,
            [("cuda:0", "NVIDIA RTX A6000"), ("cuda:1", "NVIDIA H200")]
        );
        // CUDA ignores everything from the first entry that is not a device on.
        assert_eq!(parse(TWO, Some("0,7,1")).expect("parses").len(), 1);
        assert!(parse(TWO, Some("")).expect("parses").is_empty());
        assert!(parse(TWO, Some("-1")).expect("parses").is_empty());
    }

    #[test]
    fn a_name_with_a_comma_and_blank_lines_read() {
        let gpus = parse("\n0, GPU-x, Tesla, V100, 10, 20\n\n", None).expect("parses");
        assert_eq!(gpus[0].name, "Tesla,V100");
        assert_eq!(gpus[0].total_bytes, 20 << 20);
    }

    #[test]
    fn an_unexpected_line_is_named() {
        let e = parse("0, GPU-x, H200, 10, 20\nNo devices were found\n", None).expect_err("bad");
        assert_eq!(e, (2, "No devices were found".to_owned()));
        let e = parse("0, GPU-x, H200, [N/A], 20\n", None).expect_err("bad");
        assert_eq!(e.0, 1);
    }

    #[cfg(unix)]
    #[test]
    fn query_runs_the_driver_tool_and_reports_its_failures() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let script = |name: &str, body: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            path
        };
        let ok = script(
            "smi-ok",
            r#"case "$*" in *--query-gpu=index,uuid,name,memory.free,memory.total*) echo "0, GPU-1, NVIDIA H200, 100, 200";; *) exit 3;; esac"#,
        );
        // CUDA_VISIBLE_DEVICES of the test process is whatever CI has; only compare when unset.
        if std::env::var_os("CUDA_VISIBLE_DEVICES").is_none() {
            let gpus = query(&ok).expect("query");
            assert_eq!(gpus.len(), 1);
            assert_eq!(gpus[0].name, "NVIDIA H200");
        }
        let failing = script(
            "smi-fail",
            "echo 'Failed to initialize NVML: Driver/library version mismatch' >&2; exit 9",
        );
        let e = query(&failing).expect_err("fails").to_string();
        assert!(e.contains("Driver/library version mismatch"), "{e}");
        let e = query(&dir.path().join("absent")).expect_err("absent");
        assert!(matches!(e, GpuQueryError::NoDriver { .. }), "{e}");
    }
}
