//! `scripts/gpu-check.sh`, the check a GPU machine runs, exercised on the CPU with `--smoke`
//! (small shapes, few steps) so that the script itself cannot rot between the rare sessions that
//! have a GPU: every part runs, the curves are compared, the kill and resume happen, and the
//! summary is JSON with the figures the README reports.

use std::path::Path;
use std::process::Command;

#[test]
fn gpu_check_script_runs_every_part_on_the_cpu() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().expect("tempdir");
    let output = Command::new("bash")
        .arg(root.join("scripts/gpu-check.sh"))
        .args([
            "--smoke",
            "--device",
            "cpu",
            "--bin",
            env!("CARGO_BIN_EXE_dezgah"),
            "--out",
        ])
        .arg(out.path())
        .output()
        .expect("bash");
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "gpu-check failed:\n{log}");
    let text = std::fs::read_to_string(out.path().join("summary.json")).expect("summary.json");
    let summary: serde_json::Value = serde_json::from_str(&text).expect("summary is JSON");
    assert_eq!(summary["failures"], 0, "{log}");
    let curves = &summary["curves"];
    assert_eq!(curves["compared_steps"], 20, "{curves}");
    // Same device, same seed: the two f32 runs are the same run.
    assert_eq!(
        curves["f32_gpu_vs_cpu_max_abs_diff"].as_f64(),
        Some(0.0),
        "{curves}"
    );
    let bf16 = curves["bf16_gpu_vs_f32_cpu_max_abs_diff"]
        .as_f64()
        .expect("bf16 diff");
    assert!(bf16 > 0.0 && bf16 < 0.05, "{curves}");
    let resume = &summary["resume"];
    let killed = resume["killed_after_step"].as_u64().expect("killed");
    let resumed = resume["resumed_from"].as_u64().expect("resumed");
    assert!(resumed > 0 && resumed <= killed && killed < 24, "{resume}");
    assert_eq!(resume["distinct_steps"], 24, "{resume}");
    assert_eq!(
        resume["max_abs_diff_vs_uninterrupted"].as_f64(),
        Some(0.0),
        "{resume}"
    );
    for part in ["medium", "1b"] {
        let p = &summary[part];
        assert!(
            p["tokens_per_sec"].as_f64().is_some_and(|t| t > 0.0),
            "{part}: {p}"
        );
        assert!(
            p["peak_memory_mib"].as_u64().is_some_and(|m| m > 0),
            "{part}: {p}"
        );
        assert!(p["batch"].as_u64().is_some_and(|b| b >= 2), "{part}: {p}");
        assert!(
            p["flops_per_token"].as_u64().is_some_and(|f| f > 0),
            "{part}: {p}"
        );
    }
    assert_eq!(
        summary["medium"]["trials"].as_array().map(Vec::len),
        Some(2)
    );
    let generation = &summary["generation"];
    assert!(
        generation["tokens_per_sec"]
            .as_f64()
            .is_some_and(|t| t > 0.0),
        "{generation}"
    );
}

#[test]
fn gpu_check_refuses_a_missing_binary_with_what_to_do() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().expect("tempdir");
    let output = Command::new("bash")
        .arg(root.join("scripts/gpu-check.sh"))
        .args(["--bin", "/no/such/dezgah", "--out"])
        .arg(out.path())
        .output()
        .expect("bash");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("scripts/build-cuda.sh"), "{stderr}");
}
