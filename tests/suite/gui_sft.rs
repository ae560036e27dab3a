//! The SFT area driven by the keyboard alone, in English and Azerbaijani: examples are written,
//! moved between, marked, undone and redone; what was typed is in the database within a second
//! without any save, and a restarted window finds it. Also: inline checks and the shortcut
//! overlay.

use std::path::Path;
use std::time::{Duration, Instant};

use dezgah::app::DezgahApp;
use dezgah::app::command::{Command, SftCommand};
use dezgah::core::domain::SftStatus;
use dezgah::core::sft::QUIET;
use dezgah::core::store::{SftExample, Store};
use dezgah::i18n::{I18n, Lang};
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{harness, look, sample_workspace, settle};

fn key(harness: &mut Harness<'_, DezgahApp>, modifiers: Modifiers, key: Key) {
    harness.key_press_modifiers(modifiers, key);
    settle(harness);
}

fn type_text(harness: &mut Harness<'_, DezgahApp>, text: &str) {
    harness.event(egui::Event::Text(text.to_owned()));
    settle(harness);
}

/// Lets the quiet time pass so the editor's save falls due, then runs frames to take it.
fn pause(harness: &mut Harness<'_, DezgahApp>) {
    std::thread::sleep(QUIET + Duration::from_millis(50));
    settle(harness);
}

fn from_disk(ws: &Path, id: i64) -> SftExample {
    let (store, _) = Store::open(&ws.join("dezgah.db")).expect("open a second connection");
    store
        .sft_example(id)
        .expect("read")
        .expect("the example is in the database")
}

fn current_id(harness: &Harness<'_, DezgahApp>) -> i64 {
    harness
        .state()
        .sft
        .current()
        .expect("an example is open")
        .id
}

fn write_examples_with_the_keyboard(lang: Lang, prompt: &str, answer: &str, follow_up: &str) {
    let (_tmp, ws) = sample_workspace();
    let i18n = I18n::new(lang);
    let mut harness = harness(&ws, lang);
    harness
        .state_mut()
        .push(Command::SetAnnotator("Aysel".into()));
    settle(&mut harness);
    key(&mut harness, Modifiers::COMMAND, Key::Num3);
    settle(&mut harness);
    let before = harness.state().sft.examples.len();
    assert!(before > 0, "the sample workspace has examples");

    // Ctrl+N: a new example with the keyboard in its first turn.
    key(&mut harness, Modifiers::COMMAND, Key::N);
    let id = current_id(&harness);
    assert_eq!(harness.state().sft.examples.len(), before + 1);
    type_text(&mut harness, prompt);
    key(&mut harness, Modifiers::COMMAND, Key::Enter);
    type_text(&mut harness, answer);
    // The text is in the database after a pause, with no save and no exit.
    pause(&mut harness);
    let saved = from_disk(&ws, id);
    assert_eq!(saved.messages[0].content, prompt);
    assert_eq!(saved.messages[1].content, answer);
    assert_eq!(saved.author.as_deref(), Some("Aysel"));
    assert_eq!(saved.status, SftStatus::Draft);

    // Ctrl+Enter after the last turn adds a user turn; typing goes there.
    key(&mut harness, Modifiers::COMMAND, Key::Enter);
    type_text(&mut harness, follow_up);
    let current = harness.state().sft.current().expect("open").clone();
    assert_eq!(current.messages.len(), 3);
    assert_eq!(current.messages[2].role, dezgah::core::domain::Role::User);
    assert_eq!(current.messages[2].content, follow_up);
    harness.get_by_label(&i18n.tr_args("sft-turn-field", &[("n", 3.into())]));

    // Ctrl+Z undoes the follow-up's typing, then the added turn; Ctrl+Shift+Z redoes.
    key(&mut harness, Modifiers::COMMAND, Key::Z);
    assert_eq!(
        harness.state().sft.current().expect("open").messages[2].content,
        ""
    );
    key(&mut harness, Modifiers::COMMAND, Key::Z);
    assert_eq!(
        harness.state().sft.current().expect("open").messages.len(),
        2
    );
    key(&mut harness, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    key(&mut harness, Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    assert_eq!(
        harness.state().sft.current().expect("open").messages[2].content,
        follow_up
    );

    // Ctrl+R marks it ready, saved at once.
    key(&mut harness, Modifiers::COMMAND, Key::R);
    assert_eq!(from_disk(&ws, id).status, SftStatus::Ready);

    // A second example, then back to the first with Alt+↓ (the list shows the newest first).
    key(&mut harness, Modifiers::COMMAND, Key::N);
    let second = current_id(&harness);
    assert_ne!(second, id);
    type_text(&mut harness, "İkinci sual: Şəki harada yerləşir?");
    key(&mut harness, Modifiers::ALT, Key::ArrowDown);
    assert_eq!(current_id(&harness), id);
    key(&mut harness, Modifiers::ALT, Key::ArrowUp);
    assert_eq!(current_id(&harness), second);
    // Switching examples saved the second one at once.
    assert_eq!(
        from_disk(&ws, second).messages[0].content,
        "İkinci sual: Şəki harada yerləşir?"
    );

    // Moving to an example puts the keyboard in its first empty turn (here the answer).
    // Steady typing with no pause is still saved within a second.
    let started = Instant::now();
    let mut typed = String::new();
    for word in "Şəki Azərbaycanın şimal-qərbində, Böyük Qafqazın ətəyindədir.".split_inclusive(' ')
    {
        typed.push_str(word);
        type_text(&mut harness, word);
        // Six words, 200 ms apart: longer than the one second the save must come within,
        // however quickly a frame settles.
        std::thread::sleep(Duration::from_millis(200));
        settle(&mut harness);
    }
    assert!(started.elapsed() > Duration::from_secs(1));
    let on_disk = from_disk(&ws, second).messages[1].content.clone();
    assert!(
        !on_disk.is_empty() && typed.starts_with(&on_disk),
        "mid-typing the database has {on_disk:?} of {typed:?}"
    );
    look(&mut harness, &format!("sft_keyboard_{}", lang.code()));

    // "Restart": the window goes away without any save or exit hook, as if killed, once the
    // last keystroke is a quiet moment old; a new one finds everything.
    pause(&mut harness);
    drop(harness);
    let mut harness = crate::common::harness(&ws, lang);
    key(&mut harness, Modifiers::COMMAND, Key::Num3);
    key(&mut harness, Modifiers::COMMAND, Key::F);
    type_text(&mut harness, "QAFQAZIN ətəyində");
    let app = harness.state();
    let shown: Vec<i64> = app
        .sft
        .visible
        .iter()
        .map(|&i| app.sft.examples[i].id)
        .collect();
    assert_eq!(shown, vec![second]);
    let found = &app.sft.examples[app.sft.visible[0]];
    assert_eq!(found.messages[1].content, typed);
    let first = app
        .sft
        .examples
        .iter()
        .find(|e| e.id == id)
        .expect("the first example");
    assert_eq!(first.status, SftStatus::Ready);
    assert_eq!(first.messages[2].content, follow_up);
    harness.get_by_label(&i18n.tr_args(
        "sft-shown",
        &[("shown", 1.into()), ("count", (before + 2).into())],
    ));
}

#[test]
fn an_annotator_writes_with_the_keyboard_alone_in_english() {
    write_examples_with_the_keyboard(
        Lang::En,
        "Bakı haqqında qısa məlumat ver.",
        "Bakı Azərbaycanın paytaxtı və ən böyük şəhəridir.",
        "Bəs əhalisi nə qədərdir?",
    );
}

#[test]
fn an_annotator_writes_with_the_keyboard_alone_in_azerbaijani() {
    write_examples_with_the_keyboard(
        Lang::Az,
        "İçərişəhər nədir?",
        "İçərişəhər Bakının qala divarları ilə əhatələnmiş tarixi hissəsidir.",
        "Ora nə vaxt UNESCO siyahısına düşüb?",
    );
}

#[test]
fn checks_show_inline_and_filter_the_list() {
    let (_tmp, ws) = sample_workspace();
    let i18n = I18n::new(Lang::En);
    let mut harness = harness(&ws, Lang::En);
    key(&mut harness, Modifiers::COMMAND, Key::Num3);
    key(&mut harness, Modifiers::COMMAND, Key::N);
    // Turkish, and a Cyrillic а inside a Latin word.
    type_text(
        &mut harness,
        "Türkiye'nin başkenti neresidir ve nüfusu ne kadardır?",
    );
    key(&mut harness, Modifiers::COMMAND, Key::Enter);
    type_text(&mut harness, "Bаkı");
    let id = current_id(&harness);
    pause(&mut harness);
    // Wait for the checker thread.
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness
        .state()
        .sft
        .checker
        .as_ref()
        .is_some_and(dezgah::app::sft::Checker::busy)
    {
        assert!(Instant::now() < deadline, "the checker never answered");
        std::thread::sleep(Duration::from_millis(50));
        settle(&mut harness);
    }
    settle(&mut harness);
    let problems = harness
        .state()
        .sft
        .problems
        .get(&id)
        .cloned()
        .unwrap_or_default();
    assert!(
        problems.iter().any(|p| matches!(p, dezgah::core::sft::Problem::NotAzerbaijani { turn: 0, lang } if lang == "tr")),
        "{problems:?}"
    );
    harness.get_by_label(&format!(
        "! {}",
        i18n.tr_args(
            "sft-problem-language",
            &[
                ("n", 1.into()),
                (
                    "lang",
                    i18n.tr_args("language-name", &[("code", "tr".into())])
                        .into()
                ),
            ],
        )
    ));
    harness.get_by_label(&format!(
        "! {}",
        i18n.tr_args(
            "sft-problem-cyrillic",
            &[
                ("where", i18n.tr_args("sft-turn", &[("n", 2.into())]).into()),
                ("words", "Bаkı".into()),
            ],
        )
    ));
    // The problem filter keeps this example and drops the clean sample ones.
    let mut filter = harness.state().sft.filter.clone();
    filter.problem = Some(dezgah::core::sft::ProblemKind::Cyrillic);
    harness
        .state_mut()
        .push(Command::Sft(SftCommand::Filter(Box::new(filter))));
    settle(&mut harness);
    let app = harness.state();
    let shown: Vec<i64> = app
        .sft
        .visible
        .iter()
        .map(|&i| app.sft.examples[i].id)
        .collect();
    assert_eq!(shown, vec![id]);
    look(&mut harness, "sft_checks_en");
}

#[test]
fn question_mark_shows_every_shortcut_in_both_languages() {
    for lang in [Lang::En, Lang::Az] {
        let (_tmp, ws) = sample_workspace();
        let i18n = I18n::new(lang);
        let mut harness = harness(&ws, lang);
        key(&mut harness, Modifiers::COMMAND, Key::Num3);
        // Nothing has the keyboard yet, so `?` is a command, not text.
        harness.event(egui::Event::Text("?".into()));
        settle(&mut harness);
        assert!(harness.state().sft.show_keys);
        harness.get_by_label(&i18n.tr("sft-keys-title"));
        for (_, key_name) in dezgah::panels::sft::SHORTCUTS {
            assert!(
                harness
                    .query_all_by_label(&i18n.tr(key_name))
                    .next()
                    .is_some(),
                "{key_name} is not listed"
            );
        }
        look(&mut harness, &format!("sft_keys_{}", lang.code()));
        key(&mut harness, Modifiers::NONE, Key::Escape);
        assert!(!harness.state().sft.show_keys);
        // In a field `?` is just a character.
        key(&mut harness, Modifiers::COMMAND, Key::N);
        type_text(&mut harness, "Niyə?");
        assert!(!harness.state().sft.show_keys);
        assert_eq!(
            harness.state().sft.current().expect("open").messages[0].content,
            "Niyə?"
        );
        let _ = harness.get_by_role_and_label(
            Role::TextInput,
            &i18n.tr_args("sft-turn-field", &[("n", 1.into())]),
        );
    }
}

/// The assist box: a corpus passage becomes a draft's prompt through a template; a tiny model
/// trained here drafts the answer, marked model-generated until a person edits and approves it.
#[test]
fn assist_drafts_from_a_passage_and_with_a_model() {
    let (_tmp, ws) = sample_workspace();
    crate::common::tiny_run(&ws, "tiny");

    let i18n = I18n::new(Lang::En);
    // Tall enough that the assist box shows below the example without scrolling.
    let mut harness = crate::common::harness_sized(
        &ws,
        Lang::En,
        Path::new(env!("CARGO_BIN_EXE_dezgah")),
        [1280.0, 1400.0],
    );
    key(&mut harness, Modifiers::COMMAND, Key::Num3);
    let run_id = {
        let dezgah::app::WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
            panic!("workspace not open");
        };
        snapshot
            .runs
            .iter()
            .find(|r| r.name == "tiny")
            .expect("the run folder is registered")
            .id
    };

    // From a passage, with the summary template.
    let passage = "Azərbaycan Respublikasının dövlət dili Azərbaycan dilidir.";
    let mut form = harness.state().sft.assist.clone();
    form.passage = format!("Giriş. {passage} Son.");
    form.source = "qanun#7".into();
    form.run = Some(run_id);
    form.max_tokens = 12;
    harness
        .state_mut()
        .push(Command::Sft(SftCommand::SetAssist(Box::new(form.clone()))));
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("sft-draft-from-passage"))
        .click();
    settle(&mut harness);
    let draft = harness.state().sft.current().expect("a draft").clone();
    assert_eq!(
        draft.messages[0].content,
        dezgah::core::sft::fill_template(&form.template, &form.passage)
    );
    assert_eq!(draft.tags, vec!["source:qanun#7".to_owned()]);
    assert_eq!(draft.messages[1].content, "");

    // The model drafts the answer.
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("sft-draft-answer"))
        .click();
    // The click becomes a job on the next frame: wait for it to start (or, on a fast machine,
    // to have finished already) before waiting for it to end.
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness.state().sft.draft.is_none()
        && harness
            .state()
            .sft
            .current()
            .is_none_or(|e| e.provenance != "model-generated")
        && harness.state().sft.draft_error.is_none()
    {
        assert!(Instant::now() < deadline, "the draft never started");
        std::thread::sleep(Duration::from_millis(10));
        harness.step();
    }
    let deadline = Instant::now() + Duration::from_mins(2);
    while harness.state().sft.draft.is_some() {
        assert!(Instant::now() < deadline, "the draft never came");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    settle(&mut harness);
    assert_eq!(harness.state().sft.draft_error, None);
    let drafted = harness.state().sft.current().expect("open").clone();
    assert_eq!(drafted.provenance, "model-generated");
    assert_eq!(from_disk(&ws, drafted.id).provenance, "model-generated");
    harness.get_by_label(&i18n.tr("sft-model-text"));

    // A person edits the answer and approves it: now it is theirs.
    let mut edited = drafted.clone();
    edited.messages[1].content = "Dövlət dili Azərbaycan dilidir.".into();
    harness
        .state_mut()
        .push(Command::Sft(SftCommand::Edit(Box::new(edited))));
    settle(&mut harness);
    key(&mut harness, Modifiers::COMMAND, Key::R);
    let approved = from_disk(&ws, drafted.id);
    assert_eq!(approved.status, SftStatus::Ready);
    assert_eq!(approved.provenance, "written");
    look(&mut harness, "sft_assist_en");
}

/// The "done": ten examples written with the keyboard alone in Azerbaijani, the window
/// gone mid-sentence with no exit hook, a restart that finds all but the unsaved end, and the
/// ready ones exported as TRL messages JSONL that the training engine reads.
#[test]
fn ten_examples_by_keyboard_survive_a_kill_and_export_for_training() {
    let (tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::Az);
    key(&mut harness, Modifiers::COMMAND, Key::Num3);
    let before = harness.state().sft.examples.len();
    let mut ids = Vec::new();
    for i in 1..=10 {
        key(&mut harness, Modifiers::COMMAND, Key::N);
        ids.push(current_id(&harness));
        type_text(
            &mut harness,
            &format!("{i}-ci sual: Azərbaycanın {i} şəhərini sadala."),
        );
        key(&mut harness, Modifiers::COMMAND, Key::Enter);
        if i == 10 {
            // Mid-sentence, and gone before the quiet time passes.
            type_text(&mut harness, "Bakı, Gəncə, Şəki və");
            break;
        }
        type_text(
            &mut harness,
            &format!("Bakı, Gəncə, Sumqayıt, Şəki və daha {i} şəhər."),
        );
        key(&mut harness, Modifiers::COMMAND, Key::R);
    }
    drop(harness);

    let mut harness = crate::common::harness(&ws, Lang::Az);
    key(&mut harness, Modifiers::COMMAND, Key::Num3);
    let app = harness.state();
    assert_eq!(app.sft.examples.len(), before + 10);
    for (n, id) in ids.iter().enumerate().take(9) {
        let e = app.sft.examples.iter().find(|e| e.id == *id).expect("kept");
        assert_eq!(e.status, SftStatus::Ready, "example {n}");
        assert_eq!(
            e.messages[1].content,
            format!("Bakı, Gəncə, Sumqayıt, Şəki və daha {} şəhər.", n + 1)
        );
    }
    let last = app
        .sft
        .examples
        .iter()
        .find(|e| e.id == ids[9])
        .expect("the tenth");
    assert!("Bakı, Gəncə, Şəki və".starts_with(last.messages[1].content.as_str()));

    let out = tmp.path().join("ready.jsonl");
    let ws_handle = dezgah::core::workspace::Workspace::open(&ws).expect("open");
    let report = dezgah::core::sft_io::export(
        ws_handle.store(),
        dezgah::core::sft_io::Format::Messages,
        &dezgah::core::sft_io::Filter {
            status: Some(SftStatus::Ready),
            ..dezgah::core::sft_io::Filter::default()
        },
        &out,
        None,
    )
    .expect("export");
    let conversations =
        dezgah::core::train::data::read_sft_jsonl(&out).expect("the engine reads the export");
    assert_eq!(conversations.len(), report.train);
    let ours = conversations
        .iter()
        .filter(|c| c.iter().any(|m| m.content.contains("şəhərini sadala")))
        .count();
    assert_eq!(ours, 9);
}
