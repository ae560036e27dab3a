//! The launch form and the machine's GPUs, with a stand-in for the driver's `nvidia-smi`: the
//! list is read off the UI thread, a CPU build says which GPU it cannot use and how to get a
//! build that can, and a driver that fails leaves the form working.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dezgah::app::state::Area;
use dezgah::app::training::TrainingTab;
use dezgah::app::{DezgahApp, StartOptions};
use dezgah::core::workspace::Workspace;
use dezgah::i18n::{I18n, Lang};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{look, sample_workspace, settle};

/// A driver tool that prints `body` for the query the app makes, and fails on anything else.
fn fake_smi(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    let script = format!(
        "#!/bin/sh\ncase \"$*\" in *--query-gpu=*) {body} ;; *) echo \"unexpected: $*\" >&2; exit 2 ;; esac\n"
    );
    std::fs::write(&path, script).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn harness(ws: &Path, lang: Lang, smi: PathBuf) -> Harness<'static, DezgahApp> {
    let options = StartOptions {
        workspace: Some(ws.to_owned()),
        lang: Some(lang),
        train_exe: Some(Path::new(env!("CARGO_BIN_EXE_dezgah")).to_owned()),
        nvidia_smi: Some(smi),
        ..StartOptions::default()
    };
    Harness::builder()
        .with_size([1024.0, 700.0])
        .with_context_setup(dezgah::app::theme::install_fonts)
        .build_eframe(move |cc| DezgahApp::new(cc, options))
}

fn open_launch_form(harness: &mut Harness<'_, DezgahApp>, i18n: &I18n) {
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr(Area::Training.title_key()))
        .click();
    settle(harness);
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("training-tab-launch"))
        .click();
    settle(harness);
    assert_eq!(harness.state().training.tab, TrainingTab::Launch);
    let deadline = Instant::now() + Duration::from_secs(20);
    while harness.state().training.gpus.latest.is_none() {
        assert!(Instant::now() < deadline, "no GPU list after 20 s");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    settle(harness);
}

fn gpu_list_in_the_launch_form(lang: Lang) {
    let (tmp, ws) = sample_workspace();
    let corpora = Workspace::open(&ws)
        .expect("open")
        .snapshot()
        .expect("snapshot")
        .corpora;
    let config = dezgah::core::tokenizer::TrainConfig {
        kind: dezgah::core::tokenizer::Kind::Bpe,
        vocab_size: 600,
        ..dezgah::core::tokenizer::TrainConfig::default()
    };
    dezgah::core::tokenizer::train_in_workspace(&ws, &corpora, "az-bpe", &config, None)
        .expect("tokenizer");
    let i18n = I18n::new(lang);

    let smi = fake_smi(
        tmp.path(),
        "smi",
        "echo '0, GPU-5e1f, NVIDIA H200, 140000, 143771'",
    );
    let mut harness = harness(&ws, lang, smi);
    open_launch_form(&mut harness, &i18n);
    let gpus = harness.state().training.gpus.list().to_vec();
    assert_eq!(gpus.len(), 1, "{:?}", harness.state().training.gpus.latest);
    assert_eq!(
        (gpus[0].device.as_str(), gpus[0].name.as_str()),
        ("cuda:0", "NVIDIA H200")
    );
    assert_eq!(gpus[0].free_bytes, 140_000 << 20);
    if cfg!(feature = "cuda") {
        // A CUDA build lists the GPU only where one opens; the estimate line is checked on one.
        return;
    }
    let hint = i18n.tr_args(
        "training-gpu-no-cuda-build",
        &[("count", 1.into()), ("names", "NVIDIA H200".into())],
    );
    assert!(
        hint.contains("NVIDIA H200") && hint.contains("scripts/build-cuda.sh"),
        "{hint}"
    );
    harness.get_by_label(&hint);
    look(&mut harness, &format!("training-gpu-{lang:?}"));
    // The device stays the CPU: this build cannot train on the GPU it found.
    assert_eq!(harness.state().training.form.config.device, "cpu");
}

#[test]
fn gpu_list_in_the_launch_form_en() {
    gpu_list_in_the_launch_form(Lang::En);
}

#[test]
fn gpu_list_in_the_launch_form_az() {
    gpu_list_in_the_launch_form(Lang::Az);
}

#[test]
fn a_failing_or_absent_driver_leaves_the_form_working() {
    let (tmp, ws) = sample_workspace();
    let i18n = I18n::new(Lang::En);
    let smi = fake_smi(
        tmp.path(),
        "smi",
        "echo 'Failed to initialize NVML: Driver/library version mismatch'; exit 9",
    );
    let mut harness = harness(&ws, Lang::En, smi);
    open_launch_form(&mut harness, &i18n);
    let latest = harness.state().training.gpus.latest.clone();
    match latest {
        Some(Err(e)) => assert!(e.contains("Driver/library version mismatch"), "{e}"),
        other => panic!("expected the driver's failure, got {other:?}"),
    }
    assert!(harness.state().training.gpus.list().is_empty());
    harness.get_by_label(&i18n.tr("training-start"));

    // No driver at all is the usual CPU machine: an empty list, not an error.
    let mut harness = self::harness(&ws, Lang::En, tmp.path().join("no-such-nvidia-smi"));
    open_launch_form(&mut harness, &i18n);
    assert_eq!(harness.state().training.gpus.latest, Some(Ok(Vec::new())));
}
