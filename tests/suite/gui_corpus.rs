//! The Corpus area at the smallest window we support (1024×700), in both languages: the
//! document reader and the duplicate review get the room, the list folds away, and the review
//! shows what two versions of a code share.

use dezgah::app::DezgahApp;
use dezgah::app::command::{Command, CorpusCommand};
use dezgah::app::state::Area;
use dezgah::core::corpus::diff::Block;
use dezgah::core::corpus::read::TextUnit;
use dezgah::i18n::{I18n, Lang};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{harness_sized, look, sample_workspace, settle, wait_for_job, wait_for_label};

const SIZE: [f32; 2] = [1024.0, 700.0];

/// Article `n` of a code in the official conversion (headings, double spaces).
fn article(n: usize) -> String {
    format!(
        "## Maddə {n}. Mülki hüquq münasibətlərinin tənzimlənməsi\n\n\
         {n}.1. Bu  Məcəllənin  məqsədi üçüncü şəxslərin hüquqlarına xələl gətirmədən mülki \
         dövriyyənin azadlığını onun iştirakçılarının bərabərliyi əsasında təmin etməkdir.\n\n"
    )
}

/// The same code in another conversion: other headings, one article reworded.
fn variant(n: usize) -> String {
    let text = article(n).replace("## ", "###### ").replace("\n\n", "\n");
    if n == 20 {
        text.replace("məqsədi", "vəzifəsi")
    } else {
        text
    }
}

/// A workspace with a corpus of two versions of a code (one document per file), open on the
/// Corpus area.
fn two_versions(lang: Lang) -> (tempfile::TempDir, Harness<'static, DezgahApp>, I18n) {
    let (tmp, ws) = sample_workspace();
    let mut harness = harness_sized(
        &ws,
        lang,
        std::path::Path::new(env!("CARGO_BIN_EXE_dezgah")),
        SIZE,
    );
    let i18n = I18n::new(lang);
    let dir = tmp.path().join("mecelle");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let official: String = (1..=40).map(article).collect();
    let other: String = (1..=40).map(variant).collect();
    std::fs::write(dir.join("resmi.md"), official).expect("write");
    std::fs::write(dir.join("variant.md"), other).expect("write");
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr(Area::Corpus.title_key()))
        .click();
    settle(&mut harness);
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::SetImportUnit(
            TextUnit::File,
        )));
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::Import(vec![dir])));
    harness.step();
    wait_for_job(&mut harness, &i18n, "job-import-corpus", "mecelle");
    harness.get_by_label("mecelle").click();
    settle(&mut harness);
    (tmp, harness, i18n)
}

/// The text of message `id` before its argument `arg` (the part that does not change).
fn prefix(i18n: &I18n, id: &str, args: &[&str], arg: &str) -> String {
    let values: Vec<(&str, fluent_bundle::FluentValue<'_>)> = args
        .iter()
        .map(|a| (*a, if *a == arg { "\u{1}".into() } else { "".into() }))
        .collect();
    let text = i18n.tr_args(id, &values);
    text.split('\u{1}').next().unwrap_or_default().to_owned()
}

fn inside_window(rect: egui::Rect, what: &str) {
    assert!(
        rect.min.x >= 0.0 && rect.max.x <= SIZE[0] && rect.min.y >= 0.0 && rect.min.y < SIZE[1],
        "{what} lies outside the window: {rect:?}"
    );
}

fn duplicate_review_shows_what_is_shared_with_room(lang: Lang) {
    let (_tmp, mut harness, i18n) = two_versions(lang);
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("corpus-tab-duplicates"))
        .click();
    settle(&mut harness);
    harness.get_by_label(&i18n.tr("dedup-find")).click();
    wait_for_job(&mut harness, &i18n, "job-find-duplicates", "mecelle");
    wait_for_job(&mut harness, &i18n, "job-compare-documents", "mecelle");
    let name = match lang {
        Lang::En => "en",
        Lang::Az => "az",
    };
    look(&mut harness, &format!("dedup-1024-{name}"));

    // The figures: every word but the reworded one is shared, and the shared run is folded.
    let Some(Ok(diff)) = harness.state().corpus.steps.diff.clone() else {
        panic!("no comparison");
    };
    assert_eq!(diff.changed_passages, 1, "{:?}", diff.blocks);
    assert_eq!(diff.shared_words + 1, diff.left_words);
    assert_eq!(diff.shared_words + 1, diff.right_words);
    // Only all is 100%: one word in 960 differs, so 99% of each is shared.
    let figures = i18n.tr_args(
        "dedup-diff-figures",
        &[
            ("left", 1.into()),
            ("right", 2.into()),
            ("left_words", diff.left_words.into()),
            ("right_words", diff.right_words.into()),
            ("shared", diff.shared_words.into()),
            ("left_share", "99%".into()),
            ("right_share", "99%".into()),
        ],
    );
    let shown = harness.get_by_label(&figures).rect();
    inside_window(shown, "the figures");
    let Some(Block::Shared {
        hidden,
        hidden_words,
        ..
    }) = diff.blocks.first()
    else {
        panic!("{:?}", diff.blocks.first());
    };
    let folded = i18n.tr_args(
        "dedup-shared-run",
        &[
            ("paragraphs", (*hidden).into()),
            ("words", (*hidden_words).into()),
        ],
    );
    inside_window(
        harness.get_by_label(&folded).rect(),
        "the folded shared run",
    );
    // The reworded sentence, on both sides, with the review's buttons, all on screen.
    let right = harness
        .get_by_label_contains("20.1. Bu Məcəllənin vəzifəsi")
        .rect();
    inside_window(right, "the right side of the change");
    assert!(right.min.x > SIZE[0] / 2.0, "the right column: {right:?}");
    let left = harness
        .get_by_label_contains("20.1. Bu Məcəllənin məqsədi")
        .rect();
    inside_window(left, "the left side of the change");
    inside_window(
        harness
            .get_by_label(&i18n.tr("dedup-not-duplicates"))
            .rect(),
        "the decision button",
    );

    // The review gets the window's height below the figures; more with the list folded.
    let room_open = SIZE[1] - shown.min.y;
    assert!(room_open > 220.0, "room for the comparison: {room_open}");
    harness.get_by_label(&i18n.tr("corpus-list-hide")).click();
    harness.run_steps(12);
    assert!(!harness.state().corpus.list_open);
    let folded_top = harness.get_by_label(&figures).rect().min.y;
    assert!(
        shown.min.y - folded_top > 120.0,
        "folding the list gives the review its room: {} → {folded_top}",
        shown.min.y
    );
    look(&mut harness, &format!("dedup-1024-folded-{name}"));
    harness
        .get_by_label_contains(&prefix(&i18n, "corpus-list-show", &["count"], "count"))
        .click();
    harness.run_steps(12);
    assert!(harness.state().corpus.list_open);
}

#[test]
fn duplicate_review_shows_what_is_shared_with_room_at_1024x700_in_english() {
    duplicate_review_shows_what_is_shared_with_room(Lang::En);
}

#[test]
fn duplicate_review_shows_what_is_shared_with_room_at_1024x700_in_azerbaijani() {
    duplicate_review_shows_what_is_shared_with_room(Lang::Az);
}

fn the_reader_gets_the_room(lang: Lang) {
    let (_tmp, mut harness, i18n) = two_versions(lang);
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("corpus-tab-documents"))
        .click();
    wait_for_label(
        &mut harness,
        &i18n.tr_args(
            "corpus-browse-count",
            &[("shown", 2.into()), ("total", 2.into())],
        ),
    );
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::OpenDocument(0)));
    settle(&mut harness);
    let name = match lang {
        Lang::En => "en",
        Lang::Az => "az",
    };
    look(&mut harness, &format!("reader-1024-{name}"));
    // The document's text starts high enough to leave the reader most of the window.
    let text = harness
        .get_by_label_contains("Maddə 30. Mülki hüquq")
        .rect();
    inside_window(text, "the document's text");
    assert!(text.min.x > 300.0, "beside the list: {text:?}");
    assert!(SIZE[1] - text.min.y > 200.0, "room to read: {text:?}");
    harness.get_by_label(&i18n.tr("corpus-list-hide")).click();
    harness.run_steps(12);
    let folded = harness
        .get_by_label_contains("Maddə 30. Mülki hüquq")
        .rect();
    assert!(
        SIZE[1] - folded.min.y > 380.0,
        "with the list folded the reader has the window: {folded:?}"
    );
}

#[test]
fn the_document_reader_gets_the_room_at_1024x700_in_both_languages() {
    the_reader_gets_the_room(Lang::En);
    the_reader_gets_the_room(Lang::Az);
}

/// Peak resident memory of this process (kB), as the kernel reports it.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// The window's memory while it shows the clean preview of the shared legal corpus (a
/// document per file). Run alone, it is the process's peak:
/// `cargo test --test suite clean_preview_memory -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement on the shared legal corpus (minutes in a debug build)"]
fn clean_preview_memory_on_the_legal_corpus() {
    let legal = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora/az/legal");
    if !legal.exists() {
        eprintln!("skipped: {} is absent", legal.display());
        return;
    }
    let (_tmp, ws) = sample_workspace();
    let bytes: u64 = std::fs::read_dir(&legal)
        .expect("dir")
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    let mut harness = harness_sized(
        &ws,
        Lang::En,
        std::path::Path::new(env!("CARGO_BIN_EXE_dezgah")),
        [1280.0, 800.0],
    );
    let i18n = I18n::new(Lang::En);
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr(Area::Corpus.title_key()))
        .click();
    settle(&mut harness);
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::SetImportUnit(
            TextUnit::File,
        )));
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::Import(vec![legal])));
    harness.step();
    wait_for_job(&mut harness, &i18n, "job-import-corpus", "legal");
    harness.get_by_label("legal").click();
    settle(&mut harness);
    let before = peak_rss_kb();
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("corpus-tab-clean"))
        .click();
    settle(&mut harness);
    let started = std::time::Instant::now();
    harness.get_by_label(&i18n.tr("step-preview")).click();
    wait_for_job(&mut harness, &i18n, "job-clean-preview", "legal");
    let seconds = started.elapsed().as_secs_f64();
    // Frames with the preview laid out, as the window draws it.
    harness.run_steps(10);
    let Some(Ok(preview)) = &harness.state().corpus.steps.clean_preview else {
        panic!("no preview");
    };
    let example_bytes: usize = preview
        .rules
        .iter()
        .flat_map(|r| &r.examples)
        .map(|e| e.before_text().len() + e.after_text().len())
        .sum();
    let peak = peak_rss_kb();
    eprintln!(
        "legal corpus {:.1} MB, {} documents: preview {seconds:.1} s, examples {example_bytes} bytes, \
         peak RSS {:.0} MB before the preview, {:.0} MB after ({:.1}× the corpus)",
        bytes as f64 / 1e6,
        preview.documents,
        before as f64 / 1024.0,
        peak as f64 / 1024.0,
        peak as f64 * 1024.0 / bytes as f64
    );
    assert!(
        (peak * 1024) < bytes * 20,
        "the window's memory stays within a small multiple of the corpus"
    );
}

/// Every area at 1024×700, in both languages: no button runs past the window's right edge
/// (a cut-off button cannot be clicked).
#[test]
fn every_area_keeps_its_buttons_inside_a_1024x700_window_in_both_languages() {
    for lang in [Lang::En, Lang::Az] {
        let (_tmp, ws) = sample_workspace();
        let mut harness = harness_sized(
            &ws,
            lang,
            std::path::Path::new(env!("CARGO_BIN_EXE_dezgah")),
            SIZE,
        );
        let i18n = I18n::new(lang);
        for area in Area::ALL {
            harness
                .get_by_role_and_label(Role::Button, &i18n.tr(area.title_key()))
                .click();
            harness.run_steps(6);
            look(
                &mut harness,
                &format!("area-1024-{}-{}", area.title_key(), lang.code()),
            );
            let cut: Vec<String> = harness
                .get_all_by_role(Role::Button)
                .filter(|b| b.rect().max.x > SIZE[0] + 0.5 && b.rect().min.y < SIZE[1])
                .map(|b| format!("{b:?}"))
                .collect();
            assert!(cut.is_empty(), "{area:?} in {lang:?}: {cut:?}");
        }
    }
}
