//! Browse benchmark: the Corpus area's Documents tab on a corpus of 1,000,000 documents.
//! Writes a synthetic corpus (JSONL + index, registered in a fresh workspace), opens the real
//! app headless (egui_kittest), and times every frame while scrolling the list, filtering,
//! and reading documents: egui's pass plus tessellation, the work done on the UI thread.
//!
//!     cargo bench --bench browse -- [DOCUMENTS]
//!
//! Goal (corpus issue): no frame over 16 ms.

mod frames;
use frames::timed_frame;

use std::time::{Duration, Instant};

use dezgah::app::command::{Command, CorpusCommand};
use dezgah::app::corpus::CorpusTab;
use dezgah::app::state::Area;
use dezgah::app::{DezgahApp, StartOptions, WorkspaceSlot};
use dezgah::core::corpus::browse::{Filters, QualityFilter};
use dezgah::core::corpus::index::{IndexBuilder, index_path};
use dezgah::core::corpus::stats::DocFacts;
use dezgah::core::corpus::text::Anomalies;
use dezgah::core::corpus::write::JsonlSink;
use dezgah::core::store::{CorpusSource, Store};
use dezgah::i18n::Lang;
use egui_kittest::Harness;

const WORDS: [&str; 16] = [
    "Azərbaycan",
    "Respublikasının",
    "Məcəlləsi",
    "maddə",
    "hüquq",
    "şəxs",
    "müqavilə",
    "öhdəlik",
    "Bakı",
    "Xəzər",
    "dənizi",
    "sahilində",
    "yerləşir",
    "və",
    "bir",
    "qanun",
];

fn make_corpus(root: &std::path::Path, n: usize) -> i64 {
    let rel = "corpora/bench.jsonl";
    let path = root.join(rel);
    let mut sink = JsonlSink::create(&path).expect("sink");
    let mut index = IndexBuilder::new();
    let sources: Vec<u16> = (0..8)
        .map(|i| index.source_id(&format!("part-{i}.txt")))
        .collect();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut text = String::new();
    for i in 0..n {
        text.clear();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let words = 8 + (seed % 60) as usize;
        for w in 0..words {
            if w > 0 {
                text.push(' ');
            }
            text.push_str(WORDS[((seed >> (w % 48)) as usize + w) % WORDS.len()]);
        }
        let written = sink
            .write(&serde_json::json!(i), &text, &serde_json::Map::new())
            .expect("write");
        let facts = DocFacts {
            chars: text.chars().count() as u64,
            words: words as u64,
            script: "latin",
            language: Some(if i % 50 == 0 { "tr" } else { "az" }.to_owned()),
            anomalies: Anomalies {
                schwa_look_alikes: usize::from(i % 97 == 0),
                ..Anomalies::default()
            },
        };
        index.add(written, &text, &facts, sources[i % sources.len()]);
    }
    sink.finish().expect("finish");
    index.finish().save(&index_path(&path)).expect("index");
    let (mut store, _) = Store::open(&root.join("dezgah.db")).expect("store");
    store
        .add_corpus(
            "bench",
            rel,
            n as u64,
            0,
            &CorpusSource {
                path: "synthetic",
                format: "line",
                byte_count: 0,
            },
        )
        .expect("register")
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this as a quick smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if benching { 1_000_000 } else { 2_000 });
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("ws");
    dezgah::core::workspace::Workspace::open(&root).expect("workspace");
    let t = Instant::now();
    let id = make_corpus(&root, n);
    let bytes = std::fs::metadata(root.join("corpora/bench.jsonl")).map_or(0, |m| m.len());
    eprintln!(
        "corpus: {n} documents, {:.0} MB, written in {:.1} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );

    let options = StartOptions {
        workspace: Some(root.clone()),
        area: Some(Area::Corpus),
        lang: Some(Lang::En),
        ..StartOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .with_context_setup(dezgah::app::theme::install_fonts)
        .build_eframe(move |cc| DezgahApp::new(cc, options));
    harness.run_steps(2);
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::Select(id)));
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::SetTab(CorpusTab::Documents)));
    let t = Instant::now();
    while harness.state().corpus.browser.is_none() {
        assert!(t.elapsed() < Duration::from_mins(5), "index never loaded");
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    eprintln!("index loaded in {:.2} s", t.elapsed().as_secs_f64());
    assert!(matches!(
        harness.state().workspace,
        WorkspaceSlot::Open { .. }
    ));
    harness.run_steps(5);

    let mut frames = Vec::new();
    // Scroll the list: the pointer over it, wheel events, then a jump by dragging far down.
    harness.event(egui::Event::PointerMoved(egui::pos2(400.0, 700.0)));
    for _ in 0..if benching { 200 } else { 20 } {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -600.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        timed_frame(&mut harness, &mut frames);
    }
    let scroll = frames.len();
    // Filters over all documents, and opening documents.
    for (i, filters) in [
        Filters {
            min_chars: 300,
            ..Filters::default()
        },
        Filters {
            language: Some(1),
            ..Filters::default()
        },
        Filters {
            quality: QualityFilter::Flagged,
            ..Filters::default()
        },
        Filters {
            anomalies: 4,
            ..Filters::default()
        },
        Filters::default(),
    ]
    .into_iter()
    .enumerate()
    {
        harness
            .state_mut()
            .push(Command::Corpus(CorpusCommand::SetBrowseFilters(Box::new(
                filters,
            ))));
        timed_frame(&mut harness, &mut frames);
        harness
            .state_mut()
            .push(Command::Corpus(CorpusCommand::OpenDocument(
                (i * 199_999 % n) as u32,
            )));
        for _ in 0..5 {
            timed_frame(&mut harness, &mut frames);
        }
    }
    let mut sorted: Vec<f64> = frames.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    sorted.sort_by(f64::total_cmp);
    let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p).round() as usize];
    println!(
        "{} frames ({scroll} scrolling, {} filtering and opening documents) over {n} documents: \
         median {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal: no frame over 16 ms)",
        sorted.len(),
        sorted.len() - scroll,
        pct(0.5),
        pct(0.99),
        sorted[sorted.len() - 1],
    );
}
