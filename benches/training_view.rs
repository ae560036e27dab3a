//! Training view benchmark: the Training area's live view and history overlay on long runs.
//! Writes run folders with N logged steps each (metrics, samples, status — what a finished
//! `dezgah train` leaves), opens the real app headless (egui_kittest) on that workspace, and
//! times every frame of the Monitor tab (smoothing on, hovering the plot) and of the History
//! tab overlaying three runs: egui's pass plus tessellation, the work done on the UI thread.
//!
//!     cargo bench --bench training_view -- [STEPS]
//!
//! Goal: no frame over 16 ms with 100,000 steps per run.

mod frames;
use frames::{report, timed_frame};

use std::io::Write as _;
use std::time::Instant;

use dezgah::app::command::{Command, TrainingCommand};
use dezgah::app::state::Area;
use dezgah::app::training::TrainingTab;
use dezgah::app::{DezgahApp, StartOptions, WorkspaceSlot};
use dezgah::core::train::{Metrics, RunConfig, RunState, RunStatus, Stage};
use dezgah::i18n::Lang;
use egui_kittest::Harness;

fn write_run(root: &std::path::Path, name: &str, steps: u64, seed: f64) {
    let dir = root.join("runs").join(name);
    std::fs::create_dir_all(&dir).expect("run dir");
    let mut cfg = RunConfig::for_stage(Stage::Pretrain);
    cfg.optim.max_steps = steps as usize;
    cfg.optim.lr = 6e-4 * seed;
    std::fs::write(dir.join("config.toml"), cfg.to_toml().expect("toml")).expect("config");
    let mut metrics =
        std::io::BufWriter::new(std::fs::File::create(dir.join("metrics.jsonl")).expect("metrics"));
    let mut noise = 0x9e37_79b9_7f4a_7c15_u64;
    for step in 1..=steps {
        noise ^= noise << 13;
        noise ^= noise >> 7;
        noise ^= noise << 17;
        let jitter = (noise % 1000) as f64 / 1000.0 - 0.5;
        let loss = 2.0 + 8.0 * seed / (1.0 + step as f64 / 500.0) + 0.3 * jitter;
        let m = Metrics {
            step,
            tokens: step * 2048,
            loss,
            val_loss: (step % 100 == 0).then_some(loss + 0.1),
            lr: 6e-4,
            grad_norm: 1.0 + jitter,
            tokens_per_sec: 20_000.0 + 1000.0 * jitter,
            elapsed_secs: step as f64 * 0.1,
            eta_secs: (steps - step) as f64 * 0.1,
            ..Metrics::default()
        };
        writeln!(metrics, "{}", serde_json::to_string(&m).expect("json")).expect("write");
    }
    metrics.flush().expect("flush");
    let mut samples = String::new();
    for step in (1000..=steps).step_by(1000) {
        for prompt in ["Azərbaycan Respublikası", "Bu gün"] {
            samples.push_str(
                &serde_json::json!({"event": "sample", "step": step, "prompt": prompt,
                    "text": format!("{prompt} müstəqil, demokratik, hüquqi, dünyəvi dövlətdir ({step})")})
                .to_string(),
            );
            samples.push('\n');
        }
    }
    std::fs::write(dir.join("samples.jsonl"), samples).expect("samples");
    let status = RunStatus {
        state: RunState::Finished,
        pid: 0,
        step: steps,
        max_steps: steps,
        best_val_loss: Some(2.1),
        message: String::new(),
    };
    std::fs::write(
        dir.join("status.json"),
        serde_json::to_vec(&status).expect("status"),
    )
    .expect("status");
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this as a quick smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let steps: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if benching { 100_000 } else { 1_000 });
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("ws");
    dezgah::core::workspace::Workspace::open(&root).expect("workspace");
    for (i, name) in ["run-a", "run-b", "run-c"].iter().enumerate() {
        write_run(&root, name, steps, 1.0 + i as f64 * 0.2);
    }
    let options = StartOptions {
        workspace: Some(root.clone()),
        area: Some(Area::Training),
        lang: Some(Lang::Az),
        ..StartOptions::default()
    };
    let t = Instant::now();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .with_context_setup(dezgah::app::theme::install_fonts)
        .build_eframe(move |cc| DezgahApp::new(cc, options));
    let ids: Vec<i64> = match &harness.state().workspace {
        WorkspaceSlot::Open { snapshot, .. } => snapshot.runs.iter().map(|r| r.id).collect(),
        WorkspaceSlot::Failed { error, .. } => panic!("{error}"),
    };
    assert_eq!(ids.len(), 3, "the three run folders are registered");
    harness.state_mut().push(Command::ShowRun(ids[0]));
    harness.run_steps(2);
    eprintln!(
        "3 runs × {steps} steps registered and one read in {:.2} s",
        t.elapsed().as_secs_f64()
    );

    let frames_each = if benching { 120 } else { 10 };
    let mut monitor = Vec::new();
    for i in 0..frames_each {
        // Hover across the loss plot, as a user reading values does.
        let x = 300.0 + (i as f32 * 7.0) % 900.0;
        harness.event(egui::Event::PointerMoved(egui::pos2(x, 420.0)));
        timed_frame(&mut harness, &mut monitor);
    }
    let t = Instant::now();
    harness
        .state_mut()
        .push(Command::Training(TrainingCommand::SetCompare(ids.clone())));
    harness
        .state_mut()
        .push(Command::Training(TrainingCommand::SetTab(
            TrainingTab::History,
        )));
    harness.step();
    eprintln!(
        "two more runs read for the overlay in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let mut history = Vec::new();
    for i in 0..frames_each {
        let x = 300.0 + (i as f32 * 7.0) % 900.0;
        harness.event(egui::Event::PointerMoved(egui::pos2(x, 380.0)));
        timed_frame(&mut harness, &mut history);
    }
    println!("runs of {steps} steps each:");
    report("monitor (one run, smoothed, hovered)", &monitor);
    report("history (three runs overlaid, config diff)", &history);
}
