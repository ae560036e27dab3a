//! The Rating area driven by the keyboard: two annotators judge the sample items, each seeing
//! the responses in their own recorded order; the app shows their agreement and the items they
//! disagree on; an adjudicator settles one; the export is read by the DPO stage.

use std::time::{Duration, Instant};

use dezgah::app::DezgahApp;
use dezgah::app::areas::rating::RatingTab;
use dezgah::app::command::{Command, RatingCommand};
use dezgah::core::domain::Choice;
use dezgah::core::prefs::{self, Verdict};
use dezgah::core::store::Store;
use dezgah::i18n::{I18n, Lang};
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{harness, look, sample_workspace, settle};

fn key(harness: &mut Harness<'_, DezgahApp>, key: Key) {
    harness.key_press_modifiers(Modifiers::NONE, key);
    settle(harness);
}

fn annotator(harness: &mut Harness<'_, DezgahApp>, name: &str) {
    harness.state_mut().push(Command::SetAnnotator(name.into()));
    settle(harness);
}

/// Judges the item on screen with the keyboard: the imported `chosen` response wins when
/// `agree`, else the other; returns the item's id.
fn judge(harness: &mut Harness<'_, DezgahApp>, agree: bool) -> i64 {
    let app = harness.state();
    let item = app
        .areas
        .rating
        .current()
        .expect("an item on screen")
        .clone();
    let order = app.areas.rating.order(&app.state.annotator, &item);
    let chosen = item
        .responses
        .iter()
        .find(|r| r.origin == "chosen")
        .expect("a chosen response")
        .id;
    let chosen_on_left = order[0] == chosen;
    key(
        harness,
        if chosen_on_left == agree {
            Key::Num1
        } else {
            Key::Num2
        },
    );
    key(harness, Key::Enter);
    item.id
}

#[test]
fn two_annotators_rate_agree_disagree_and_an_adjudicator_settles() {
    let (tmp, ws) = sample_workspace();
    let i18n = I18n::new(Lang::Az);
    let mut harness = harness(&ws, Lang::Az);
    annotator(&mut harness, "Aysel");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    settle(&mut harness);
    let (_, total) = harness.state().areas.rating.progress("Aysel");
    assert_eq!(total, 12, "every sample item waits for Aysel");

    // Aysel: five items with the keyboard, then one skipped with Backspace.
    let mut rated = Vec::new();
    for _ in 0..5 {
        rated.push(judge(&mut harness, true));
    }
    let skipped = harness.state().areas.rating.current().expect("item").id;
    key(&mut harness, Key::Backspace);
    assert_eq!(harness.state().areas.rating.progress("Aysel").0, 6);
    look(&mut harness, "rating_aysel_az");

    // Each judgement is in the database at once, with the order Aysel saw.
    let (store, _) = Store::open(&ws.join("dezgah.db")).expect("second connection");
    let ratings = store.ratings().expect("ratings");
    assert_eq!(ratings.len(), 6);
    let items = store.preference_items_full().expect("items");
    for r in &ratings {
        let item = items.iter().find(|i| i.id == r.item_id).expect("item");
        let ids: Vec<i64> = item.responses.iter().map(|x| x.id).collect();
        assert_eq!(r.shown_order, prefs::shown_order("Aysel", item.id, &ids));
        if r.item_id == skipped {
            assert_eq!(r.choice, Choice::Skipped);
        } else {
            // Read back through the recorded order, the winner is the chosen response.
            let chosen = item
                .responses
                .iter()
                .find(|x| x.origin == "chosen")
                .expect("chosen");
            assert_eq!(
                Verdict::from_choice(r.choice, &r.shown_order),
                Some(Verdict::Won(chosen.id))
            );
        }
    }
    // Sides were not always the same: the order is randomised.
    let lefts: Vec<&str> = ratings.iter().map(|r| r.choice.name()).collect();
    assert!(lefts.contains(&"a") && lefts.contains(&"b"), "{lefts:?}");

    // Murad: the same five items, agreeing on three.
    annotator(&mut harness, "Murad");
    for (n, expected) in rated.iter().enumerate() {
        let id = judge(&mut harness, n < 3);
        assert_eq!(id, *expected, "Murad's queue starts where Aysel's did");
    }
    // The summary is worked out when the Agreement tab shows.
    harness
        .state_mut()
        .push(Command::Rating(RatingCommand::Tab(RatingTab::Agreement)));
    settle(&mut harness);
    let summary = harness
        .state()
        .areas
        .rating
        .summary
        .clone()
        .expect("summary");
    assert_eq!(summary.agreement.disagreements, rated[3..].to_vec());
    let pair = &summary.agreement.pairs[0];
    assert_eq!(
        (pair.first.as_str(), pair.second.as_str(), pair.items),
        ("Aysel", "Murad", 5)
    );
    assert!(pair.kappa.is_some());
    assert!(summary.left_won_share.is_some());

    // The agreement tab lists the two disagreements; the adjudicator settles one by click.
    harness
        .state_mut()
        .push(Command::Rating(RatingCommand::Tab(RatingTab::Agreement)));
    settle(&mut harness);
    harness.get_by_label(&i18n.tr_args("rating-disagreements", &[("count", 2.into())]));
    look(&mut harness, "rating_agreement_az");
    let first_button = i18n.tr_args("rating-verdict-won", &[("n", 1.into())]);
    harness
        .query_all_by_role_and_label(Role::Button, &first_button)
        .next()
        .expect("an adjudication button")
        .click();
    settle(&mut harness);
    let summary = harness
        .state()
        .areas
        .rating
        .summary
        .clone()
        .expect("summary");
    assert_eq!(summary.adjudicated, 1);
    assert_eq!(summary.agreement.disagreements, vec![rated[4]]);

    // Export: TRL preference JSONL that the DPO stage reads.
    let out = tmp.path().join("prefs.jsonl");
    harness
        .state_mut()
        .push(Command::Rating(RatingCommand::Export(out.clone())));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !out.with_extension("summary.json").exists() {
        assert!(Instant::now() < deadline, "the export never finished");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    let pairs = dezgah::core::train::data::read_dpo_jsonl(&out).expect("the DPO stage reads it");
    // 4 decided items (3 agreed + 1 adjudicated; the split one decides nothing), then the
    // imported labels of the items nobody judged (the skipped one and the untouched ones).
    let labelled_unjudged = items
        .iter()
        .filter(|i| !rated.contains(&i.id))
        .filter(|i| {
            i.responses.iter().any(|r| r.origin == "chosen")
                && i.responses.iter().any(|r| r.origin == "rejected")
        })
        .count();
    assert!(labelled_unjudged > 0);
    assert_eq!(pairs.len(), 4 + labelled_unjudged);
    let summary: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.with_extension("summary.json")).expect("summary"),
    )
    .expect("json");
    assert_eq!(summary["exported"], pairs.len());
    assert_eq!(summary["judgements"], 10);
}

#[test]
fn keys_typed_into_the_comment_are_text_not_choices() {
    let (_tmp, ws) = sample_workspace();
    let i18n = I18n::new(Lang::En);
    let mut harness = harness(&ws, Lang::En);
    annotator(&mut harness, "Aysel");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    settle(&mut harness);
    key(&mut harness, Key::Num3);
    assert_eq!(harness.state().areas.rating.draft.choice, Some(Choice::Tie));
    harness
        .get_by_role_and_label(Role::TextInput, &i18n.tr("rating-comment"))
        .click();
    settle(&mut harness);
    harness.event(egui::Event::Text("1 2".into()));
    key(&mut harness, Key::Num1);
    settle(&mut harness);
    let draft = harness.state().areas.rating.draft.clone();
    assert_eq!(
        draft.choice,
        Some(Choice::Tie),
        "typing did not change the choice"
    );
    assert!(draft.comment.starts_with("1 2"), "{:?}", draft.comment);
    // Without a name nothing can be submitted, and the area says why.
    annotator(&mut harness, "");
    harness.get_by_label(&i18n.tr("rating-need-annotator"));
}

/// Candidates from a model: typed prompts, a tiny checkpoint sampled with two seeds, every
/// prompt with two distinct answers becomes an item to rate, marked with where it came from.
#[test]
fn candidates_generated_with_a_model_become_items() {
    let (_tmp, ws) = sample_workspace();
    crate::common::tiny_run(&ws, "tiny");
    let mut harness = harness(&ws, Lang::En);
    annotator(&mut harness, "Aysel");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    settle(&mut harness);
    let before = harness.state().areas.rating.items.len();
    let run = {
        let dezgah::app::WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
            panic!("workspace not open");
        };
        snapshot
            .runs
            .iter()
            .find(|r| r.name == "tiny")
            .expect("run")
            .id
    };
    let mut form = harness.state().areas.rating.generate.clone();
    form.source = dezgah::app::areas::rating::PromptSource::Typed;
    form.typed = "Bakı haqqında danış.\nŞəki harada yerləşir?\n".into();
    form.model_a = Some(run);
    form.per_model = 2;
    form.max_tokens = 12;
    form.temperature_a = 1.0;
    harness
        .state_mut()
        .push(Command::Rating(RatingCommand::SetGenerate(Box::new(form))));
    settle(&mut harness);
    harness
        .state_mut()
        .push(Command::Rating(RatingCommand::Generate));
    settle(&mut harness);
    let deadline = Instant::now() + Duration::from_mins(2);
    while harness.state().areas.rating.generate_job.is_some() {
        assert!(Instant::now() < deadline, "generation never ended");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.areas.rating.error, None);
    let added: Vec<_> = app.areas.rating.items[before..].to_vec();
    assert!(!added.is_empty(), "no item had two distinct answers");
    for item in &added {
        assert!(item.responses.len() >= 2);
        assert_eq!(item.source, "generated");
        assert!(
            item.responses
                .iter()
                .all(|r| r.origin.starts_with("tiny@best"))
        );
        assert_eq!(item.judgements_required, 2);
    }
}

/// Three responses are ranked with the keyboard (digits best first, the last falls in place);
/// the ranking is stored in response ids and the export pairs the best with the worst.
#[test]
fn three_responses_are_ranked_with_the_keyboard() {
    let (tmp, ws) = sample_workspace();
    let file = tmp.path().join("three.jsonl");
    std::fs::write(
        &file,
        "{\"prompt\": \"Ən uzun çay hansıdır?\", \"responses\": [\"Kür çayı.\", \"Araz çayı.\", \"Bilmirəm.\"]}\n",
    )
    .expect("write");
    let mut harness = harness(&ws, Lang::En);
    annotator(&mut harness, "Aysel");
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num4);
    settle(&mut harness);
    harness
        .state_mut()
        .push(Command::Rating(RatingCommand::Import(file, 1)));
    let deadline = Instant::now() + Duration::from_secs(30);
    while harness.state().areas.rating.items.len() < 13 {
        assert!(Instant::now() < deadline, "the import never landed");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    let item = harness
        .state()
        .areas
        .rating
        .items
        .last()
        .expect("item")
        .clone();
    harness
        .state_mut()
        .push(Command::Rating(RatingCommand::Show(item.id)));
    settle(&mut harness);
    let order = harness.state().areas.rating.order("Aysel", &item);
    key(&mut harness, Key::Num2);
    key(&mut harness, Key::Num3);
    look(&mut harness, "rating_rank_en");
    key(&mut harness, Key::Enter);
    assert_eq!(harness.state().areas.rating.error, None);
    let (store, _) = Store::open(&ws.join("dezgah.db")).expect("second connection");
    let rating = store
        .ratings()
        .expect("ratings")
        .into_iter()
        .find(|r| r.item_id == item.id)
        .expect("stored");
    assert_eq!(rating.choice, Choice::Ranked);
    assert_eq!(rating.ranking, vec![order[1], order[2], order[0]]);
    let text = |id: i64| {
        item.responses
            .iter()
            .find(|r| r.id == id)
            .expect("response")
            .text
            .clone()
    };
    let out = tmp.path().join("out.jsonl");
    prefs::export(
        &store,
        &prefs::ExportOptions {
            include_imported: false,
            ..prefs::ExportOptions::default()
        },
        &out,
    )
    .expect("export");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .expect("read")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["chosen"], text(order[1]));
    assert_eq!(lines[0]["rejected"], text(order[0]));
}

/// The last step: what the annotators decided, exported, trains a DPO run.
#[test]
fn the_rating_export_trains_a_dpo_run() {
    use dezgah::core::train::{RunConfig, Stage};
    let (tmp, ws) = sample_workspace();
    crate::common::tiny_run(&ws, "base");
    let (mut store, _) = Store::open(&ws.join("dezgah.db")).expect("open");
    let items = store.preference_items_full().expect("items");
    for name in ["Aysel", "Murad"] {
        for item in items.iter().take(4) {
            let ids: Vec<i64> = item.responses.iter().map(|r| r.id).collect();
            let order = prefs::shown_order(name, item.id, &ids);
            let chosen = item
                .responses
                .iter()
                .find(|r| r.origin == "chosen")
                .map_or(ids[0], |r| r.id);
            store
                .submit_rating(&dezgah::core::store::RatingRow {
                    item_id: item.id,
                    annotator: name.into(),
                    choice: if order[0] == chosen {
                        Choice::A
                    } else {
                        Choice::B
                    },
                    shown_order: order,
                    ranking: Vec::new(),
                    scores: std::collections::BTreeMap::new(),
                    comment: String::new(),
                    duration_ms: 1000,
                })
                .expect("rate");
        }
    }
    let out = tmp.path().join("prefs.jsonl");
    let summary = prefs::export(
        &store,
        &prefs::ExportOptions {
            include_imported: false,
            min_agreement: 1.0,
            ..prefs::ExportOptions::default()
        },
        &out,
    )
    .expect("export");
    assert_eq!(summary.exported, 4);
    let mut cfg = RunConfig::for_stage(Stage::Dpo);
    cfg.data = vec![out];
    cfg.tokenizer = ws.join("runs/base/tokenizer.json");
    cfg.init = Some(ws.join("runs/base"));
    cfg.optim.max_steps = 3;
    cfg.optim.seq_len = 64;
    cfg.eval_every = 0;
    cfg.sample_every = 0;
    let mut rewards = Vec::new();
    dezgah::core::train::start(
        &tmp.path().join("dpo"),
        &cfg,
        &mut |e| {
            if let dezgah::core::train::Event::Metrics(m) = e {
                rewards.push(m.reward_margin);
            }
        },
        &std::sync::atomic::AtomicBool::new(false),
    )
    .expect("the DPO run trains on the export");
    assert_eq!(rewards.len(), 3);
    assert!(rewards.iter().all(Option::is_some));
}
