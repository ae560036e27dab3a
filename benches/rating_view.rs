//! Rating view benchmark: the Rating area on a workspace of many items already judged by two
//! annotators. Opens the real app headless (egui_kittest) as a third annotator and times every
//! frame while they judge items with the keyboard (a choice key, then Enter: each judgement is
//! committed and the summary and agreement recomputed), and the Agreement tab.
//!
//!     cargo bench --bench rating_view -- [ITEMS]
//!
//! Goal: no frame over 16 ms with 10,000 items and 20,000 judgements.

mod frames;
use frames::{report, timed_frame};

use std::time::Instant;

use dezgah::app::areas::rating::RatingTab;
use dezgah::app::command::{Command, RatingCommand};
use dezgah::app::state::Area;
use dezgah::app::{DezgahApp, StartOptions};
use dezgah::core::domain::Choice;
use dezgah::core::prefs;
use dezgah::core::store::RatingRow;
use dezgah::i18n::Lang;
use egui_kittest::Harness;

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this as a quick smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if benching { 10_000 } else { 300 });
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("ws");
    let t = Instant::now();
    {
        let mut ws = dezgah::core::workspace::Workspace::open(&root).expect("workspace");
        let store = ws.store_mut();
        let items: Vec<(String, Vec<(String, String)>)> = (0..n)
            .map(|i| {
                (
                    format!("{i}-ci sual: Azərbaycanın hansı şəhərində nə var?"),
                    vec![
                        (format!("Bakıda Qız qalası var ({i})."), "run-a".into()),
                        (format!("Bilmirəm, bəlkə Gəncədə ({i})."), "run-b".into()),
                    ],
                )
            })
            .collect();
        store
            .add_preference_items(&items, "bench", 3)
            .expect("items");
        let all = store.preference_items_full().expect("read");
        for (k, name) in ["Aysel", "Murad"].into_iter().enumerate() {
            for (i, item) in all.iter().enumerate() {
                let ids: Vec<i64> = item.responses.iter().map(|r| r.id).collect();
                store
                    .submit_rating(&RatingRow {
                        item_id: item.id,
                        annotator: name.into(),
                        choice: [Choice::A, Choice::B, Choice::Tie, Choice::A][(i + k) % 4],
                        shown_order: prefs::shown_order(name, item.id, &ids),
                        ranking: Vec::new(),
                        scores: std::collections::BTreeMap::new(),
                        comment: String::new(),
                        duration_ms: 1000,
                    })
                    .expect("rate");
            }
        }
    }
    let prepared = t.elapsed();
    let options = StartOptions {
        workspace: Some(root.clone()),
        area: Some(Area::Rating),
        lang: Some(Lang::Az),
        ..StartOptions::default()
    };
    let t = Instant::now();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .with_context_setup(dezgah::app::theme::install_fonts)
        .build_eframe(move |cc| DezgahApp::new(cc, options));
    harness
        .state_mut()
        .push(Command::SetAnnotator("Leyla".into()));
    harness.run_steps(3);
    assert_eq!(harness.state().areas.rating.items.len(), n);
    let opened = t.elapsed();

    let frames_each = if benching { 200 } else { 20 };
    let mut judging = Vec::new();
    for i in 0..frames_each {
        let key = if i % 2 == 0 {
            egui::Key::Num1
        } else {
            egui::Key::Num2
        };
        harness.key_press(key);
        timed_frame(&mut harness, &mut judging);
        harness.key_press(egui::Key::Enter);
        timed_frame(&mut harness, &mut judging);
    }
    assert_eq!(
        harness.state().areas.rating.progress("Leyla").0,
        frames_each
    );
    harness
        .state_mut()
        .push(Command::Rating(RatingCommand::Tab(RatingTab::Agreement)));
    harness.run_steps(2);
    let mut agreement = Vec::new();
    for i in 0..frames_each {
        harness.event(egui::Event::PointerMoved(egui::pos2(
            400.0,
            200.0 + (i % 40) as f32 * 10.0,
        )));
        timed_frame(&mut harness, &mut agreement);
    }
    println!("{n} items, {} judgements before the run:", 2 * n);
    println!(
        "workspace written in {:.2} s; the area opened (all items and ratings read, agreement computed) in {:.2} s",
        prepared.as_secs_f64(),
        opened.as_secs_f64()
    );
    report("judging with the keyboard (choice, then Enter)", &judging);
    report("agreement tab", &agreement);
}
