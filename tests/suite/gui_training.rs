//! The Training area clicked through with egui_kittest: a tiny pretrain is launched from the
//! form, watched, stopped and resumed; an SFT run starts from its best checkpoint; the two are
//! overlaid in the history — in English and in Azerbaijani. Also: a crashing training process
//! is reported, and a reopened window follows a run still going.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use dezgah::app::DezgahApp;
use dezgah::app::command::{Command, TrainingCommand};
use dezgah::app::state::Area;
use dezgah::app::training::{LaunchForm, TrainingTab};
use dezgah::core::train::Stage;
use dezgah::core::workspace::Workspace;
use dezgah::i18n::{I18n, Lang};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{harness, harness_with, look, sample_workspace, settle};

/// The sample workspace with a small BPE tokenizer trained on its corpora, as a user would
/// make one in the Tokenizer area first.
fn prepared_workspace() -> (tempfile::TempDir, PathBuf) {
    let (tmp, ws) = sample_workspace();
    let corpora = {
        let workspace = Workspace::open(&ws).expect("open");
        workspace.snapshot().expect("snapshot").corpora
    };
    let config = dezgah::core::tokenizer::TrainConfig {
        kind: dezgah::core::tokenizer::Kind::Bpe,
        vocab_size: 600,
        ..dezgah::core::tokenizer::TrainConfig::default()
    };
    dezgah::core::tokenizer::train_in_workspace(&ws, &corpora, "az-bpe", &config, None)
        .expect("tokenizer");
    // A second one, bigger, to pick by mistake.
    let bigger = dezgah::core::tokenizer::TrainConfig {
        vocab_size: 700,
        ..config
    };
    dezgah::core::tokenizer::train_in_workspace(&ws, &corpora, "az-bpe-700", &bigger, None)
        .expect("tokenizer");
    (tmp, ws)
}

fn click(harness: &mut Harness<'_, DezgahApp>, role: Role, label: &str) {
    harness.get_by_role_and_label(role, label).click();
    settle(harness);
}

/// Steps the app until `done` holds, failing after `secs`.
fn wait_until(
    harness: &mut Harness<'_, DezgahApp>,
    what: &str,
    secs: u64,
    done: impl Fn(&DezgahApp) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(harness.state()) {
        if Instant::now() > deadline {
            let app = harness.state();
            let live: Vec<_> = app
                .training
                .live
                .iter()
                .map(|(id, l)| (id, l.status, l.error.clone(), l.history.metrics.len()))
                .collect();
            panic!("{what}: not after {secs} s; runs {live:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    harness.run_steps(2);
}

/// Numbers the form takes through drag values, set the way the form sets them: small enough
/// for a debug build on two cores.
fn set_numbers(harness: &mut Harness<'_, DezgahApp>, steps: usize, batch: usize, seq: usize) {
    let mut form: LaunchForm = harness.state().training.form.clone();
    form.config.optim.max_steps = steps;
    form.config.optim.batch_size = batch;
    form.config.optim.seq_len = seq;
    form.config.optim.warmup_steps = 5;
    form.config.eval_every = 10;
    form.config.sample_every = 40;
    form.config.checkpoint_every = 40;
    form.config.sampling.max_tokens = 8;
    harness
        .state_mut()
        .push(Command::Training(TrainingCommand::SetLaunchForm(Box::new(
            form,
        ))));
    settle(harness);
}

fn type_name(harness: &mut Harness<'_, DezgahApp>, i18n: &I18n, name: &str) {
    let label = i18n.tr("training-field-name");
    harness
        .get_by_role_and_label(Role::TextInput, &label)
        .click();
    settle(harness);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    harness
        .get_by_role_and_label(Role::TextInput, &label)
        .type_text(name);
    settle(harness);
}

fn run_id(app: &DezgahApp, name: &str) -> i64 {
    let dezgah::app::WorkspaceSlot::Open { snapshot, .. } = &app.workspace else {
        panic!("workspace not open");
    };
    snapshot
        .runs
        .iter()
        .find(|r| r.name == name)
        .map_or_else(|| panic!("no run {name}"), |r| r.id)
}

fn last_step(app: &DezgahApp, id: i64) -> u64 {
    app.training
        .live
        .get(&id)
        .and_then(|l| l.last())
        .map_or(0, |m| m.step)
}

fn status(app: &DezgahApp, id: i64) -> String {
    app.training
        .live
        .get(&id)
        .map(|l| l.status.name().to_owned())
        .unwrap_or_default()
}

#[expect(
    clippy::too_many_lines,
    reason = "one user scenario, step by step; split, its steps would lose their order"
)]
fn launch_watch_stop_resume_then_sft_and_overlay(lang: Lang) {
    let (_tmp, ws) = prepared_workspace();
    let mut harness = harness(&ws, lang);
    let i18n = I18n::new(lang);
    click(
        &mut harness,
        Role::Button,
        &i18n.tr(Area::Training.title_key()),
    );
    click(&mut harness, Role::Button, &i18n.tr("training-tab-launch"));
    assert_eq!(harness.state().training.tab, TrainingTab::Launch);

    // Fill the form: a name typed, small numbers, the corpus and tokenizer it proposes.
    let name = "kiçik-əsas";
    type_name(&mut harness, &i18n, name);
    set_numbers(&mut harness, 200, 2, 32);
    {
        let app = harness.state();
        assert_eq!(app.training.form.name, name);
        assert!(app.training.form.corpus.is_some() && app.training.form.tokenizer.is_some());
        assert_eq!(app.training.check.problems, Vec::new());
        assert!(
            app.training
                .check
                .command
                .contains("dezgah train --config run.toml")
        );
    }
    harness.get_by_label(&i18n.tr("training-ready"));
    look(&mut harness, &format!("training-form-{lang:?}"));
    click(&mut harness, Role::Button, &i18n.tr("training-start"));
    let id = run_id(harness.state(), name);
    assert_eq!(harness.state().training.tab, TrainingTab::Monitor);

    // Points appear on the plot: train loss every step, validation every 10.
    wait_until(&mut harness, "first validation point", 120, |app| {
        app.training.live[&id]
            .history
            .metrics
            .iter()
            .any(|m| m.val_loss.is_some())
    });
    harness.get_by_label(&i18n.tr("training-smoothing"));
    look(&mut harness, &format!("training-live-{lang:?}"));

    // Stop: a checkpoint, then the run says it stopped.
    click(&mut harness, Role::Button, &i18n.tr("training-stop"));
    wait_until(&mut harness, "stopped", 120, |app| {
        status(app, id) == "stopped" && app.training.live[&id].channel.is_none()
    });
    let stopped_at = last_step(harness.state(), id);
    assert!(stopped_at < 200, "stopped at {stopped_at}");
    harness.get_by_label(&i18n.tr("training-status-stopped"));

    // Resume from the last checkpoint and let it finish.
    click(&mut harness, Role::Button, &i18n.tr("training-resume"));
    wait_until(&mut harness, "finished after resume", 240, |app| {
        status(app, id) == "finished" && app.training.live[&id].channel.is_none()
    });
    let steps: Vec<u64> = harness.state().training.live[&id]
        .history
        .metrics
        .iter()
        .map(|m| m.step)
        .collect();
    assert_eq!(steps, (1..=200).collect::<Vec<_>>(), "one point per step");
    {
        let dezgah::app::WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
            panic!("closed");
        };
        let row = snapshot.runs.iter().find(|r| r.id == id).expect("row");
        assert_eq!((row.status.name(), row.last_step), ("finished", 200));
        assert!(row.best_val_loss.is_some());
    }
    settle(&mut harness);
    // Finished, from its last checkpoint: Resume has nothing left to run and is disabled.
    {
        use egui_kittest::kittest::NodeT as _;
        let label = i18n.tr("training-resume");
        let resume = harness.get_by_role_and_label(Role::Button, &label);
        assert!(resume.accesskit_node().is_disabled());
    }

    // SFT from its best checkpoint: the base run is proposed, the tokenizer is the base's.
    click(&mut harness, Role::Button, &i18n.tr("training-tab-launch"));
    // The navigation has an "SFT" area too; the stage button is the one in the form.
    harness
        .get_all_by_role_and_label(Role::Button, &i18n.tr("training-stage-sft"))
        .last()
        .expect("stage button")
        .click();
    settle(&mut harness);
    let sft_name = "kiçik-sft";
    type_name(&mut harness, &i18n, sft_name);
    set_numbers(&mut harness, 20, 2, 128);
    {
        let form = &harness.state().training.form;
        assert_eq!(form.stage, Stage::Sft);
        assert_eq!(
            (form.base_run, form.base_checkpoint.as_str()),
            (Some(id), "best")
        );
        let check = &harness.state().training.check;
        assert_eq!(check.problems, Vec::new());
        assert!(
            check.facts.data_items.unwrap_or(0) > 0,
            "ready SFT examples"
        );
        let init = check.config.init.clone().expect("init");
        assert!(init.ends_with("checkpoints/best"), "{}", init.display());
    }
    // The wrong tokenizer for this base is explained before anything starts.
    let other = {
        let dezgah::app::WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
            panic!("closed");
        };
        snapshot
            .tokenizers
            .iter()
            .find(|t| t.name == "az-bpe-700")
            .map(|t| t.id)
    };
    let mut wrong = harness.state().training.form.clone();
    wrong.tokenizer = other;
    harness
        .state_mut()
        .push(Command::Training(TrainingCommand::SetLaunchForm(Box::new(
            wrong,
        ))));
    settle(&mut harness);
    let mismatch = i18n.tr_args(
        "training-problem-vocab",
        &[("tokenizer", 700.into()), ("model", 600.into())],
    );
    harness.get_by_label(&mismatch);
    let mut right = harness.state().training.form.clone();
    right.tokenizer = None;
    harness
        .state_mut()
        .push(Command::Training(TrainingCommand::SetLaunchForm(Box::new(
            right,
        ))));
    settle(&mut harness);
    assert_eq!(harness.state().training.check.problems, Vec::new());
    click(&mut harness, Role::Button, &i18n.tr("training-start"));
    let sft = run_id(harness.state(), sft_name);
    wait_until(&mut harness, "SFT finished", 240, |app| {
        status(app, sft) == "finished" && app.training.live[&sft].channel.is_none()
    });
    // Its lineage names the base run, as a link.
    harness.get_by_label(&format!("{name} (pretrain)"));

    // Export it for Ollama: the check first, then the GGUF file and its Modelfile.
    harness.get_by_label(&i18n.tr("model-export-title")).click();
    settle(&mut harness);
    click(&mut harness, Role::Button, &i18n.tr("model-export-check"));
    wait_until(&mut harness, "export check", 60, |app| {
        app.training.export.findings.is_some() && !app.training.export.busy()
    });
    harness.get_by_label_contains(&i18n.tr("export-check-special"));
    click(&mut harness, Role::Button, &i18n.tr("model-export-run"));
    wait_until(&mut harness, "export written", 60, |app| {
        app.training.export.done.is_some() && !app.training.export.busy()
    });
    let modelfile = ws
        .join("exports")
        .join(format!("{sft_name}-ollama"))
        .join("Modelfile");
    assert!(
        modelfile.is_file(),
        "{:?}",
        harness.state().training.export.done
    );
    assert!(
        ws.join("exports")
            .join(format!("{sft_name}-ollama"))
            .join(format!("{sft_name}.gguf"))
            .is_file()
    );
    harness.get_by_label_contains("ollama create");
    look(&mut harness, &format!("training-export-{lang:?}"));

    // The history lists both; ticking them overlays their curves and diffs their settings.
    click(
        &mut harness,
        Role::Button,
        &i18n.tr_args("training-tab-history", &[("count", 2.into())]),
    );
    for checkbox in harness.get_all_by_role(Role::CheckBox).collect::<Vec<_>>() {
        checkbox.click();
    }
    settle(&mut harness);
    let compare = harness.state().training.compare.clone();
    assert_eq!(compare.len(), 2, "{compare:?}");
    harness.get_by_label(&i18n.tr("training-overlay-title"));
    harness.get_by_label(&i18n.tr("training-diff-title"));
    harness.get_by_label("stage");
    look(&mut harness, &format!("training-history-{lang:?}"));

    // The tokenizer links to the runs that used it.
    click(
        &mut harness,
        Role::Button,
        &i18n.tr(Area::Tokenizer.title_key()),
    );
    harness
        .get_all_by_label(sft_name)
        .next()
        .expect("link")
        .click();
    settle(&mut harness);
    assert_eq!(harness.state().state.area, Area::Training);
    assert_eq!(harness.state().training.selected, Some(sft));

    // Delete the SFT run, after confirming.
    click(&mut harness, Role::Button, &i18n.tr("training-delete"));
    harness.get_by_label_contains(
        &i18n.tr_args("training-delete-confirm", &[("name", sft_name.into())]),
    );
    click(&mut harness, Role::Button, &i18n.tr("training-delete-yes"));
    assert!(!ws.join("runs").join(sft_name).exists());
    assert!(!harness.state().training.live.contains_key(&sft));
    assert!(ws.join("runs").join(name).join("checkpoints").is_dir());
}

#[test]
fn a_tiny_run_is_launched_watched_stopped_resumed_finetuned_and_compared_in_english() {
    launch_watch_stop_resume_then_sft_and_overlay(Lang::En);
}

#[test]
fn a_tiny_run_is_launched_watched_stopped_resumed_finetuned_and_compared_in_azerbaijani() {
    launch_watch_stop_resume_then_sft_and_overlay(Lang::Az);
}

#[cfg(unix)]
#[test]
fn a_crashing_training_process_is_reported_and_the_window_goes_on() {
    use std::os::unix::fs::PermissionsExt as _;
    let (tmp, ws) = prepared_workspace();
    let script = tmp.path().join("crashing-dezgah.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho '{\"event\":\"log\",\"message\":\"starting\"}'\necho 'memory allocation of 8589934592 bytes failed' >&2\nkill -SEGV $$\n",
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut harness = harness_with(&ws, Lang::En, &script);
    let i18n = I18n::new(Lang::En);
    click(
        &mut harness,
        Role::Button,
        &i18n.tr(Area::Training.title_key()),
    );
    click(&mut harness, Role::Button, &i18n.tr("training-tab-launch"));
    set_numbers(&mut harness, 50, 2, 32);
    click(&mut harness, Role::Button, &i18n.tr("training-start"));
    let id = *harness.state().training.live.keys().next().expect("run");
    wait_until(&mut harness, "failure reported", 60, |app| {
        status(app, id) == "failed" && app.training.live[&id].channel.is_none()
    });
    let error = harness.state().training.live[&id]
        .error
        .clone()
        .unwrap_or_default();
    assert!(
        error.contains("signal 11") && error.contains("memory allocation"),
        "{error}"
    );
    harness.get_by_label(&i18n.tr("training-failed-title"));
    harness.get_by_label_contains("signal 11");
    // The window goes on: the record says failed, another area opens.
    {
        let dezgah::app::WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
            panic!("closed");
        };
        assert_eq!(snapshot.runs[0].status.name(), "failed");
    }
    click(
        &mut harness,
        Role::Button,
        &i18n.tr(Area::Corpus.title_key()),
    );
    assert_eq!(harness.state().state.area, Area::Corpus);
}

/// A run that failed before its first checkpoint is not a dead end in the window either: it
/// offers Start again, which relaunches the same settings into the same folder (`--restart`).
#[test]
fn a_run_that_failed_before_its_first_checkpoint_can_be_started_again() {
    use std::os::unix::fs::PermissionsExt as _;
    let (tmp, ws) = prepared_workspace();
    let script = tmp.path().join("crashing-dezgah.sh");
    std::fs::write(&script, "#!/bin/sh\nkill -SEGV $$\n").expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let mut harness = harness_with(&ws, Lang::Az, &script);
    let i18n = I18n::new(Lang::Az);
    click(
        &mut harness,
        Role::Button,
        &i18n.tr(Area::Training.title_key()),
    );
    click(&mut harness, Role::Button, &i18n.tr("training-tab-launch"));
    set_numbers(&mut harness, 3, 2, 16);
    click(&mut harness, Role::Button, &i18n.tr("training-start"));
    let id = *harness.state().training.live.keys().next().expect("run");
    wait_until(&mut harness, "failure reported", 60, |app| {
        status(app, id) == "failed" && app.training.live[&id].channel.is_none()
    });
    assert!(
        harness
            .query_by_label(&i18n.tr("training-resume"))
            .is_none()
    );
    // The real engine this time.
    harness.state_mut().training.exe = PathBuf::from(env!("CARGO_BIN_EXE_dezgah"));
    click(&mut harness, Role::Button, &i18n.tr("training-restart"));
    wait_until(&mut harness, "finished after starting again", 120, |app| {
        status(app, id) == "finished" && app.training.live[&id].channel.is_none()
    });
    assert_eq!(last_step(harness.state(), id), 3);
}

#[test]
fn a_reopened_window_follows_a_run_still_going_and_can_stop_it() {
    let (_tmp, ws) = prepared_workspace();
    let i18n = I18n::new(Lang::En);
    let id;
    let seen;
    {
        let mut first = harness(&ws, Lang::En);
        first.state_mut().push(Command::Open(Area::Training));
        settle(&mut first);
        set_numbers(&mut first, 100_000, 2, 32);
        first
            .state_mut()
            .push(Command::Training(TrainingCommand::Launch));
        settle(&mut first);
        id = *first.state().training.live.keys().next().expect("run");
        wait_until(&mut first, "a few steps", 120, |app| {
            last_step(app, id) >= 3
        });
        seen = last_step(first.state(), id);
        // The window closes; the training process does not.
    }
    let mut second = harness(&ws, Lang::En);
    {
        let live = &second.state().training.live[&id];
        assert!(live.channel.is_some(), "followed again: {:?}", live.error);
        assert!(live.history.metrics.len() as u64 >= seen);
    }
    wait_until(&mut second, "new steps while followed", 120, |app| {
        last_step(app, id) > seen + 3
    });
    second.state_mut().push(Command::ShowRun(id));
    settle(&mut second);
    click(&mut second, Role::Button, &i18n.tr("training-stop"));
    wait_until(&mut second, "stopped through the STOP file", 120, |app| {
        status(app, id) == "stopped" && app.training.live[&id].channel.is_none()
    });
    let dir = ws.join("runs");
    let status_file = std::fs::read_dir(&dir)
        .expect("runs")
        .flatten()
        .map(|e| e.path().join("status.json"))
        .find(|p| p.is_file())
        .expect("status.json");
    let text = std::fs::read_to_string(&status_file).expect("read");
    assert!(text.contains("\"stopped\""), "{text}");
}

#[test]
fn a_run_trained_outside_the_window_joins_the_history_with_its_lineage() {
    let (_tmp, ws) = prepared_workspace();
    let (corpus, tokenizer) = {
        let workspace = Workspace::open(&ws).expect("open");
        let snapshot = workspace.snapshot().expect("snapshot");
        (snapshot.corpora[0].clone(), snapshot.tokenizers[0].clone())
    };
    // As `dezgah train pretrain --out WORKSPACE/runs/cli-run` would.
    let mut cfg = dezgah::core::train::RunConfig::for_stage(Stage::Pretrain);
    cfg.data = vec![ws.join(&corpus.path)];
    cfg.tokenizer = ws.join(&tokenizer.path);
    cfg.optim.max_steps = 6;
    cfg.optim.batch_size = 2;
    cfg.optim.seq_len = 32;
    cfg.eval_every = 3;
    cfg.sample_every = 0;
    dezgah::core::train::start(
        &ws.join("runs").join("cli-run"),
        &cfg,
        &mut |_| {},
        &std::sync::atomic::AtomicBool::new(false),
    )
    .expect("train");

    let harness = harness(&ws, Lang::En);
    let dezgah::app::WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
        panic!("closed");
    };
    let row = snapshot
        .runs
        .iter()
        .find(|r| r.name == "cli-run")
        .expect("registered");
    assert_eq!((row.status.name(), row.last_step), ("finished", 6));
    assert_eq!(row.corpus_id, Some(corpus.id));
    assert_eq!(row.tokenizer_id, Some(tokenizer.id));
    assert!(row.best_val_loss.is_some());
}
