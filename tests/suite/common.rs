//! Helpers the GUI test files share: a fresh copy of the sample workspace and the app on it.
// Each test file uses its own subset of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use dezgah::app::{DezgahApp, StartOptions};
use dezgah::i18n::{I18n, Lang};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        // Only what git tracks: the seed, never a database a developer's run left behind.
        if name_str.starts_with("dezgah.db") || name_str == ".gitignore" {
            continue;
        }
        let target = to.join(&name);
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// A fresh copy of `datasets/sample`, so tests never write into the repository.
pub fn sample_workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("sample");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample"),
        &ws,
    );
    (dir, ws)
}

pub fn harness(workspace: &Path, lang: Lang) -> Harness<'static, DezgahApp> {
    harness_with(workspace, lang, Path::new(env!("CARGO_BIN_EXE_dezgah")))
}

/// The app on `workspace`, training with `train_exe` (a stand-in for `dezgah` in crash tests).
pub fn harness_with(workspace: &Path, lang: Lang, train_exe: &Path) -> Harness<'static, DezgahApp> {
    harness_sized(workspace, lang, train_exe, [1280.0, 800.0])
}

/// The app in a window of `size` (a tall one shows a whole form without scrolling).
pub fn harness_sized(
    workspace: &Path,
    lang: Lang,
    train_exe: &Path,
    size: [f32; 2],
) -> Harness<'static, DezgahApp> {
    let options = StartOptions {
        workspace: Some(workspace.to_owned()),
        area: None,
        lang: Some(lang),
        train_exe: Some(train_exe.to_owned()),
        ..StartOptions::default()
    };
    Harness::builder()
        .with_size(size)
        .with_context_setup(dezgah::app::theme::install_fonts)
        .build_eframe(move |cc| DezgahApp::new(cc, options))
}

/// A few frames: enough for a command to be applied and drawn. Unlike `Harness::run`, it does
/// not fail while something (a job's progress bar, a theme fade) keeps repainting.
pub fn settle(harness: &mut Harness<'_, DezgahApp>) {
    harness.run_steps(4);
}

pub fn look(harness: &mut Harness<'_, DezgahApp>, name: &str) {
    if let Ok(dir) = std::env::var("DEZGAH_LOOK") {
        let image = harness.render().expect("render");
        image.save(format!("{dir}/{name}.png")).expect("save");
    }
}

/// A tokenizer trained on the workspace's corpora and a tiny model pretrained for a few steps
/// into `runs/NAME`, as a user would have before drafting or generating with a model.
pub fn tiny_run(ws: &Path, name: &str) {
    tiny_run_with_context(ws, name, 64);
}

/// [`tiny_run`] with another context window (the tiny preset's is 128).
pub fn tiny_run_with_context(ws: &Path, name: &str, context: usize) {
    use dezgah::core::model::{ModelConfig, Preset};
    use dezgah::core::train::{RunConfig, Stage};
    let corpora = dezgah::core::workspace::Workspace::open(ws)
        .expect("open")
        .snapshot()
        .expect("snapshot")
        .corpora;
    let (tok_name, _) = dezgah::core::tokenizer::train_in_workspace(
        ws,
        &corpora,
        "az-bpe",
        &dezgah::core::tokenizer::TrainConfig {
            kind: dezgah::core::tokenizer::Kind::Bpe,
            vocab_size: 600,
            ..dezgah::core::tokenizer::TrainConfig::default()
        },
        None,
    )
    .expect("tokenizer");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora");
    let mut cfg = RunConfig::for_stage(Stage::Pretrain);
    cfg.data = vec![seed.join("nesr.txt"), seed.join("elm.txt")];
    cfg.tokenizer = ws.join("tokenizers").join(&tok_name).join("tokenizer.json");
    cfg.model = Some(ModelConfig {
        vocab_size: 0,
        hidden_size: 64,
        intermediate_size: 128,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: context,
        ..Preset::Tiny.config(0)
    });
    cfg.optim.max_steps = 4;
    cfg.optim.batch_size = 2;
    cfg.optim.seq_len = 32;
    cfg.eval_every = 2;
    cfg.sample_every = 0;
    dezgah::core::train::start(
        &ws.join("runs").join(name),
        &cfg,
        &mut |_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .expect("train");
}

/// Steps the app (jobs keep it repainting) until a label containing `text` shows, failing after
/// two minutes; then lets the last frames settle (the status bar's outcome, a plot).
pub fn wait_for_label(harness: &mut Harness<'_, DezgahApp>, text: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(2);
    while harness.query_by_label_contains(text).is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "{text:?} never showed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
    harness.run_steps(3);
}

/// Waits for the status bar to say the job `job_key` (with `name`) is done.
pub fn wait_for_job(harness: &mut Harness<'_, DezgahApp>, i18n: &I18n, job_key: &str, name: &str) {
    let done = i18n.tr_args(
        "status-job-done",
        &[(
            "name",
            i18n.tr_args(job_key, &[("name", name.into())]).into(),
        )],
    );
    wait_for_label(harness, &done);
}
