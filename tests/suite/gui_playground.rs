//! The Playground area in the window: build a search index, chat with a checkpoint with
//! retrieval on (the answer streams and both messages are stored), compare two checkpoints
//! and send the pair to the rating queue, and run a batch — in Azerbaijani and in English.

use std::path::Path;
use std::time::{Duration, Instant};

use dezgah::app::DezgahApp;
use dezgah::app::areas::playground::PlayTab;
use dezgah::app::command::{Command, PlaygroundCommand};
use dezgah::app::state::Area;
use dezgah::core::chat::BatchMode;
use dezgah::core::store::Store;
use dezgah::i18n::{I18n, Lang};
use egui::Key;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{look, sample_workspace, settle};

/// The app on `workspace`. A tiny model writes any bytes its tokenizer can make, emoji too, and
/// the window draws what the fonts lack as boxes (as the app does) instead of failing the test.
fn harness(workspace: &Path, lang: Lang) -> Harness<'static, DezgahApp> {
    harness_at(workspace, lang, [1280.0, 800.0])
}

fn harness_at(workspace: &Path, lang: Lang, size: [f32; 2]) -> Harness<'static, DezgahApp> {
    let options = dezgah::app::StartOptions {
        workspace: Some(workspace.to_owned()),
        area: None,
        lang: Some(lang),
        train_exe: Some(Path::new(env!("CARGO_BIN_EXE_dezgah")).to_owned()),
        ..dezgah::app::StartOptions::default()
    };
    Harness::builder()
        .with_size(size)
        .allow_missing_glyphs()
        .with_context_setup(dezgah::app::theme::install_fonts)
        .build_eframe(move |cc| DezgahApp::new(cc, options))
}

fn wait(harness: &mut Harness<'_, DezgahApp>, what: &str, done: impl Fn(&DezgahApp) -> bool) {
    let deadline = Instant::now() + Duration::from_mins(2);
    while !done(harness.state()) {
        assert!(Instant::now() < deadline, "{what} never happened");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    settle(harness);
}

fn store(ws: &Path) -> Store {
    Store::open(&ws.join("dezgah.db"))
        .expect("a second connection")
        .0
}

#[expect(
    clippy::too_many_lines,
    reason = "one user scenario, step by step; split, its steps would lose their order"
)]
fn chat_and_compare(lang: Lang) {
    let (_tmp, ws) = sample_workspace();
    crate::common::tiny_run(&ws, "tiny");
    let i18n = I18n::new(lang);
    let mut harness = harness(&ws, lang);
    harness.state_mut().push(Command::Open(Area::Playground));
    settle(&mut harness);

    // Index the sample rules from the Index tab.
    harness.get_by_label(&i18n.tr("play-tab-index")).click();
    settle(&mut harness);
    // The rows follow the corpora's order (by name): elm, nesr, qaydalar.
    let build = i18n.tr("play-index-build");
    let buttons: Vec<_> = harness.get_all_by_label(&build).collect();
    assert_eq!(buttons.len(), 3);
    buttons[2].click();
    settle(&mut harness);
    wait(&mut harness, "indexing", |app| {
        app.areas.playground.index_job.is_none() && !app.areas.playground.indexes.is_empty()
    });
    assert_eq!(
        harness.state().areas.playground.indexes[0].corpus,
        "qaydalar"
    );
    assert_eq!(harness.state().areas.playground.indexes[0].articles, 14);
    // A question typed into the search box finds the article.
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::Search(
            "qaydalar".into(),
            "Kitab evə neçə günə verilir?".into(),
        )));
    settle(&mut harness);
    assert_eq!(
        harness.state().areas.playground.search_hits[0]
            .article
            .as_deref(),
        Some("5")
    );
    look(&mut harness, &format!("playground-index-{}", lang.code()));

    // Chat with retrieval on: short answers keep the test quick.
    harness.get_by_label(&i18n.tr("play-tab-chat")).click();
    settle(&mut harness);
    let mut settings = harness.state().areas.playground.settings.clone();
    assert!(settings.run.is_some(), "the newest run is chosen");
    settings.sampling.max_tokens = 12;
    settings.rag.k = 2;
    // The tiny model's window is 64 tokens: a short template leaves room for a passage.
    settings.rag.template = "{context}\n{question}".into();
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::Settings(Box::new(
            settings,
        ))));
    settle(&mut harness);
    harness.get_by_label(&i18n.tr("play-rag")).click();
    settle(&mut harness);
    assert!(harness.state().areas.playground.settings.rag.enabled);
    assert_eq!(
        harness.state().areas.playground.settings.rag.corpus,
        "qaydalar"
    );
    harness.get_by_label(&i18n.tr("play-input")).focus();
    settle(&mut harness);
    harness.event(egui::Event::Text("Kitab neçə günə verilir?".into()));
    settle(&mut harness);
    harness.key_press(Key::Enter);
    settle(&mut harness);
    // The question is stored at once, before any answer.
    let conversations = store(&ws).conversations().expect("conversations");
    assert_eq!(conversations.len(), 1);
    let id = conversations[0].id;
    let rows = store(&ws).chat_messages(id).expect("messages");
    assert_eq!(rows[0].content, "Kitab neçə günə verilir?");
    assert_eq!(
        harness.state().areas.playground.input,
        "",
        "the field is cleared"
    );
    wait(&mut harness, "the answer", |app| {
        app.areas.playground.streaming.is_none() && app.areas.playground.turns.len() == 2
    });
    assert_eq!(harness.state().areas.playground.error, None);
    let rows = store(&ws).chat_messages(id).expect("messages");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].role.name(), "assistant");
    let meta: dezgah::core::chat::TurnMeta = serde_json::from_str(&rows[1].meta).expect("meta");
    assert!(!meta.passages.is_empty(), "{meta:?}");
    assert!(meta.passages[0].label.starts_with("Maddə 5"), "{meta:?}");
    assert!(meta.model.starts_with("tiny@"));
    look(&mut harness, &format!("playground-chat-{}", lang.code()));

    // Regenerate: the answer is replaced, with the next seed.
    let seed = harness.state().areas.playground.settings.sampling.seed;
    harness.get_by_label(&i18n.tr("play-regenerate")).click();
    settle(&mut harness);
    wait(&mut harness, "the regenerated answer", |app| {
        app.areas.playground.streaming.is_none() && app.areas.playground.turns.len() == 2
    });
    let rows = store(&ws).chat_messages(id).expect("messages");
    assert_eq!(rows.len(), 2);
    let meta: dezgah::core::chat::TurnMeta = serde_json::from_str(&rows[1].meta).expect("meta");
    assert_eq!(meta.seed, seed + 1);

    // Side by side: best against last, then the pair goes to the rating queue.
    harness.get_by_label(&i18n.tr("play-tab-compare")).click();
    settle(&mut harness);
    let mut form = harness.state().areas.playground.compare.form.clone();
    form.b.checkpoint = "last".into();
    form.prompt = "Oxu zalında nə qadağandır?".into();
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::CompareForm(
            Box::new(form),
        )));
    settle(&mut harness);
    let items_before = store(&ws).preference_items_full().expect("items").len();
    harness.get_by_label(&i18n.tr("play-compare-run")).click();
    settle(&mut harness);
    wait(&mut harness, "both answers", |app| {
        !app.areas.playground.compare.busy()
            && app
                .areas
                .playground
                .compare
                .replies
                .iter()
                .all(Option::is_some)
    });
    assert_eq!(harness.state().areas.playground.error, None);
    look(&mut harness, &format!("playground-compare-{}", lang.code()));
    harness.get_by_label(&i18n.tr("play-to-rating")).click();
    settle(&mut harness);
    let items = store(&ws).preference_items_full().expect("items");
    assert_eq!(items.len(), items_before + 1);
    let item = items.last().expect("the new item");
    assert_eq!(item.prompt, "Oxu zalında nə qadağandır?");
    assert_eq!(item.source, "playground");
    assert_eq!(item.responses.len(), 2);
    assert!(item.responses[0].origin.ends_with("@best"));
    assert!(item.responses[1].origin.ends_with("@last"));
    assert_eq!(harness.state().areas.playground.compare.sent, Some(item.id));
    // A conversation is deleted only on a second click.
    harness.get_by_label(&i18n.tr("play-tab-chat")).click();
    settle(&mut harness);
    harness.get_by_label(&i18n.tr("play-delete")).click();
    settle(&mut harness);
    assert_eq!(store(&ws).conversations().expect("conversations").len(), 1);
    harness.get_by_label(&i18n.tr("play-delete-yes")).click();
    settle(&mut harness);
    assert!(
        store(&ws)
            .conversations()
            .expect("conversations")
            .is_empty()
    );
    assert!(store(&ws).chat_messages(id).expect("messages").is_empty());
    // The rating queue shows it.
    harness
        .state_mut()
        .push(Command::SetAnnotator("Aysel".into()));
    harness.state_mut().push(Command::Open(Area::Rating));
    settle(&mut harness);
    assert!(
        harness
            .state()
            .areas
            .rating
            .items
            .iter()
            .any(|i| i.id == item.id),
        "the pair is in the rating queue"
    );
}

#[test]
fn chat_with_retrieval_and_send_a_comparison_to_rating_in_azerbaijani() {
    chat_and_compare(Lang::Az);
}

#[test]
fn a_batch_runs_both_ways_and_its_pairs_go_to_rating_in_english() {
    let (_tmp, ws) = sample_workspace();
    crate::common::tiny_run(&ws, "tiny");
    dezgah::core::rag::build(
        &ws,
        "qaydalar",
        "corpora/qaydalar.jsonl",
        &dezgah::core::rag::IndexSettings::default(),
        &|_, _| {},
        &|| false,
    )
    .expect("index");
    let i18n = I18n::new(Lang::En);
    let mut harness = harness(&ws, Lang::En);
    harness.state_mut().push(Command::Open(Area::Playground));
    settle(&mut harness);
    // A new conversation started while an answer streams does not take the answer: it goes to
    // the conversation it was asked in.
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::Input(
            "Salam!".into(),
        )));
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::Send));
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::New));
    settle(&mut harness);
    wait(&mut harness, "the answer", |app| {
        app.areas.playground.streaming.is_none()
    });
    assert_eq!(harness.state().areas.playground.current, None);
    let conversations = store(&ws).conversations().expect("conversations");
    assert_eq!(conversations.len(), 1);
    let rows = store(&ws)
        .chat_messages(conversations[0].id)
        .expect("messages");
    assert_eq!(
        rows.iter().map(|r| r.role.name()).collect::<Vec<_>>(),
        ["user", "assistant"]
    );
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::Tab(PlayTab::Batch)));
    settle(&mut harness);
    let mut form = harness.state().areas.playground.batch.form.clone();
    assert!(form.model.run.is_some());
    form.prompts = "Kitab neçə günə verilir?\nCərimə nə qədərdir?\n".into();
    form.mode = BatchMode::Both;
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::BatchForm(Box::new(
            form,
        ))));
    let mut settings = harness.state().areas.playground.settings.clone();
    settings.sampling.max_tokens = 10;
    settings.sampling.temperature = 1.0;
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::Settings(Box::new(
            settings,
        ))));
    settle(&mut harness);
    harness.get_by_label(&i18n.tr("play-batch-run")).click();
    settle(&mut harness);
    wait(&mut harness, "the batch", |app| {
        app.areas.playground.batch.job.is_none() && app.areas.playground.batch.out.is_some()
    });
    let batch = &harness.state().areas.playground.batch;
    assert_eq!(batch.rows.len(), 4);
    let out = batch.out.clone().expect("saved");
    assert!(out.starts_with(ws.join("exports")));
    assert_eq!(
        std::fs::read_to_string(&out).expect("file").lines().count(),
        4
    );
    look(&mut harness, "playground-batch-en");
    let pairs = dezgah::core::chat::batch_pairs(&harness.state().areas.playground.batch.rows).len();
    // An empty answer (a tiny model may end at once) makes no example.
    let answered = harness
        .state()
        .areas
        .playground
        .batch
        .rows
        .iter()
        .filter(|r| !r.output.is_empty())
        .count();
    let before = store(&ws).preference_items_full().expect("items").len();
    harness.get_by_label(&i18n.tr("play-batch-to-sft")).click();
    settle(&mut harness);
    assert_eq!(
        harness.state().areas.playground.batch.sent_sft,
        Some(answered)
    );
    if pairs > 0 {
        harness
            .get_by_label(&i18n.tr("play-batch-to-rating"))
            .click();
        settle(&mut harness);
        assert_eq!(
            store(&ws).preference_items_full().expect("items").len(),
            before + pairs
        );
    }
    let drafts = store(&ws)
        .sft_examples_full()
        .expect("examples")
        .into_iter()
        .filter(|e| e.provenance == "model-generated" && e.tags.contains(&"playground".into()))
        .count();
    assert_eq!(drafts, answered);
    assert!(answered > 0);
}

/// The tiny preset's model (a window of 128 tokens, pretrained only) at 1024×700: the form's
/// defaults leave room for a passage and the answer, a pretrained model is offered plain text,
/// the form warns before asking when passages will not fit, and one click fits it again.
fn chat_with_retrieval_on_the_tiny_model(lang: Lang) {
    let (_tmp, ws) = sample_workspace();
    crate::common::tiny_run_with_context(&ws, "tiny", 128);
    dezgah::core::rag::build(
        &ws,
        "qaydalar",
        "corpora/qaydalar.jsonl",
        &dezgah::core::rag::IndexSettings::default(),
        &|_, _| {},
        &|| false,
    )
    .expect("index");
    let i18n = I18n::new(lang);
    let mut harness = harness_at(&ws, lang, [1024.0, 700.0]);
    harness.state_mut().push(Command::Open(Area::Playground));
    settle(&mut harness);
    let settings = harness.state().areas.playground.settings.clone();
    assert_eq!(
        (settings.sampling.max_tokens, settings.rag.k),
        (32, 1),
        "the defaults follow the 128-token window"
    );
    assert_eq!(settings.rag.template, dezgah::core::rag::COMPACT_TEMPLATE);
    assert!(
        settings.completion,
        "a pretrained model is offered plain text"
    );
    // Asking it to chat says why plain text suits it.
    let suggested = i18n.tr("play-completion-suggested");
    assert!(harness.query_by_label(&suggested).is_none());
    harness.get_by_label(&i18n.tr("play-completion")).click();
    settle(&mut harness);
    assert!(!harness.state().areas.playground.settings.completion);
    harness.get_by_label(&suggested);
    harness.get_by_label(&i18n.tr("play-completion")).click();
    settle(&mut harness);
    assert!(harness.state().areas.playground.settings.completion);

    harness.get_by_label(&i18n.tr("play-rag")).click();
    settle(&mut harness);
    assert_eq!(
        harness.state().areas.playground.settings.rag.corpus,
        "qaydalar"
    );
    harness.get_by_label(&i18n.tr("play-input")).focus();
    settle(&mut harness);
    harness.event(egui::Event::Text("Kitab evə neçə günə verilir?".into()));
    settle(&mut harness);
    // Counted before asking, with the model's tokenizer: everything fits, no warning.
    let fit = harness
        .state()
        .areas
        .playground
        .fit
        .expect("the form counts the question");
    assert_eq!((fit.context, fit.found, fit.fitted), (128, 1, 1), "{fit:?}");
    assert!(!fit.overflows(), "{fit:?}");
    assert!(fit.prompt + fit.passages + fit.answer <= 128, "{fit:?}");
    let fit_button = i18n.tr("play-fit-to-model");
    assert!(harness.query_by_label(&fit_button).is_none());
    look(&mut harness, &format!("playground-tiny-{}", lang.code()));
    harness.key_press(Key::Enter);
    settle(&mut harness);
    wait(&mut harness, "the answer", |app| {
        app.areas.playground.streaming.is_none() && app.areas.playground.turns.len() == 2
    });
    assert_eq!(harness.state().areas.playground.error, None);
    let meta = harness.state().areas.playground.turns[1].meta.clone();
    assert_eq!(meta.context, 128);
    assert_eq!(
        (meta.retrieved, meta.passages.len()),
        (1, 1),
        "no passage was dropped: {meta:?}"
    );
    assert!(meta.passages[0].label.starts_with("Maddə 5"), "{meta:?}");
    assert!(meta.tokens <= 32, "{meta:?}");

    // Four passages do not fit: the form says so before asking, and fits them again.
    let mut more = harness.state().areas.playground.settings.clone();
    more.rag.k = 4;
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::Settings(Box::new(
            more,
        ))));
    harness
        .state_mut()
        .push(Command::Playground(PlaygroundCommand::Input(
            "Kitab evə neçə günə verilir?".into(),
        )));
    settle(&mut harness);
    let fit = harness.state().areas.playground.fit.expect("fit");
    assert_eq!(fit.found, 4, "{fit:?}");
    assert!(fit.dropped() > 0, "{fit:?}");
    look(
        &mut harness,
        &format!("playground-tiny-warning-{}", lang.code()),
    );
    harness.get_by_label(&fit_button).click();
    settle(&mut harness);
    assert_eq!(harness.state().areas.playground.settings.rag.k, 1);
    assert_eq!(
        harness.state().areas.playground.fit.map(|f| f.dropped()),
        Some(0)
    );
    assert!(harness.query_by_label(&fit_button).is_none());
    look(
        &mut harness,
        &format!("playground-tiny-fitted-{}", lang.code()),
    );
}

#[test]
fn chat_with_retrieval_fits_the_tiny_model_in_azerbaijani() {
    chat_with_retrieval_on_the_tiny_model(Lang::Az);
}

#[test]
fn chat_with_retrieval_fits_the_tiny_model_in_english() {
    chat_with_retrieval_on_the_tiny_model(Lang::En);
}
