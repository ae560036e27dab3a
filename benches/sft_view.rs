//! SFT view benchmark: the SFT area on a workspace of many examples. Opens the real app
//! headless (egui_kittest), with a tokenizer chosen so every keystroke also recounts tokens, and
//! times every frame while the annotator scrolls the list, types into a turn, and types a search;
//! also how long the background checks take (all examples at first, then after one edit).
//!
//!     cargo bench --bench sft_view -- [EXAMPLES]
//!
//! Goal: no frame over 16 ms with 50,000 examples.

mod frames;
use frames::{report, timed_frame};

use std::time::{Duration, Instant};

use dezgah::app::state::Area;
use dezgah::app::{DezgahApp, StartOptions};
use dezgah::core::domain::{Role, SftStatus};
use dezgah::core::store::{Message, NewSftExample};
use dezgah::i18n::Lang;
use egui_kittest::Harness;

/// Questions an annotator might write around a sentence of the sample corpus.
const QUESTIONS: [&str; 5] = [
    "Bu cümləni izah et: ",
    "Aşağıdakı fikrə münasibət bildir: ",
    "Bu mətni uşağa necə danışardın? ",
    "Bu barədə üç sual yaz: ",
    "Bunu daha sadə dillə de: ",
];

/// A small xorshift generator: the same examples on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Examples built from the sample corpus's real sentences: prompts and answers are mostly
/// distinct, with 2% exact and 2% near copies, and some Turkish, as a real set has.
fn examples(n: usize) -> Vec<NewSftExample> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora");
    let mut sentences: Vec<String> = Vec::new();
    for file in ["nesr.txt", "elm.txt"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("sample corpus");
        sentences.extend(
            text.split(['.', '?', '!', '\n'])
                .map(str::trim)
                .filter(|s| s.chars().count() > 20)
                .map(str::to_owned),
        );
    }
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut out: Vec<NewSftExample> = Vec::with_capacity(n);
    for i in 0..n {
        if i > 50 && i % 50 == 0 {
            // An exact copy of an earlier example.
            let j = rng.below(i);
            out.push(out[j].clone());
            continue;
        }
        if i > 50 && i % 50 == 1 {
            // A near copy: one word of the answer changed.
            let j = rng.below(i);
            let mut copy = out[j].clone();
            copy.messages[1].content = copy.messages[1].content.replacen(' ', " həmçinin ", 1);
            out.push(copy);
            continue;
        }
        let mut pick = || sentences[rng.below(sentences.len())].clone();
        let prompt = if i % 97 == 0 {
            "Türkiye'nin başkenti neresidir ve nüfusu ne kadardır?".to_owned()
        } else {
            format!("{}{}?", QUESTIONS[i % QUESTIONS.len()], pick())
        };
        let answer = format!("{}. {}. {}.", pick(), pick(), pick());
        out.push(NewSftExample {
            system_prompt: String::new(),
            messages: vec![
                Message::new(Role::User, prompt),
                Message::new(Role::Assistant, answer),
            ],
            tags: vec![format!("dəst-{}", i % 20)],
            domain: ["hüquq", "tibb", "ədəbiyyat", "səyahət"][i % 4].into(),
            provenance: "written".into(),
            status: [SftStatus::Draft, SftStatus::Ready, SftStatus::Rejected][i % 3],
            author: Some(format!("annotator-{}", i % 5)),
        });
    }
    out
}

/// Steps until the background checker has caught up; returns how long that took.
fn wait_for_checks(harness: &mut Harness<'_, DezgahApp>) -> Duration {
    let started = Instant::now();
    while harness
        .state()
        .sft
        .checker
        .as_ref()
        .is_none_or(dezgah::app::sft::Checker::busy)
    {
        assert!(
            started.elapsed() < Duration::from_mins(10),
            "checks never ended"
        );
        std::thread::sleep(Duration::from_millis(5));
        harness.step();
    }
    started.elapsed()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this as a quick smoke test.
    let benching = std::env::args().any(|a| a == "--bench");
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if benching { 50_000 } else { 1_000 });
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().join("ws");
    {
        let mut ws = dezgah::core::workspace::Workspace::open(&root).expect("workspace");
        ws.store_mut()
            .add_sft_examples(&examples(n))
            .expect("examples");
        // A tokenizer trained on the examples' text, so the editor counts tokens as one types.
        let text: String = examples(2_000)
            .iter()
            .flat_map(|e| e.messages.iter().map(|m| m.content.clone() + "\n"))
            .collect();
        let file = tmp.path().join("text.txt");
        std::fs::write(&file, text).expect("text");
        let config = dezgah::core::tokenizer::TrainConfig {
            kind: dezgah::core::tokenizer::Kind::Bpe,
            vocab_size: 2_000,
            ..dezgah::core::tokenizer::TrainConfig::default()
        };
        let out = tmp.path().join("bench-bpe").join("tokenizer.json");
        std::fs::create_dir_all(out.parent().expect("folder")).expect("mkdir");
        dezgah::core::tokenizer::train(
            &[file],
            &dezgah::core::corpus::read::ReadOptions::default(),
            &config,
            &out,
            None,
        )
        .expect("tokenizer");
        dezgah::core::tokenizer::add_to_workspace(&root, &out).expect("add tokenizer");
    }
    let options = StartOptions {
        workspace: Some(root.clone()),
        area: Some(Area::Sft),
        lang: Some(Lang::Az),
        ..StartOptions::default()
    };
    let t = Instant::now();
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .with_context_setup(dezgah::app::theme::install_fonts)
        .build_eframe(move |cc| DezgahApp::new(cc, options));
    harness.step();
    assert_eq!(harness.state().sft.examples.len(), n);
    let loaded = t.elapsed();
    let first_check = wait_for_checks(&mut harness);
    let flagged = harness.state().sft.problems.len();
    assert!(
        harness.state().sft.limit.is_some(),
        "the tokenizer is chosen"
    );

    let frames_each = if benching { 200 } else { 20 };
    // Scroll the list with the wheel over it.
    let mut scrolling = Vec::new();
    harness.event(egui::Event::PointerMoved(egui::pos2(300.0, 500.0)));
    for _ in 0..frames_each {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Line,
            delta: egui::vec2(0.0, -3.0),
            modifiers: egui::Modifiers::NONE,
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Wheel,
        });
        timed_frame(&mut harness, &mut scrolling);
    }
    // Type into the answer of the open example: each key is an edit, an undo step and a
    // recount of its tokens; saves happen on the UI thread when due.
    harness.state_mut().push(dezgah::app::command::Command::Sft(
        dezgah::app::command::SftCommand::Focus(Some(dezgah::app::sft::Focus::Turn(1))),
    ));
    harness.run_steps(2);
    let mut typing = Vec::new();
    let words = "Bu cavabı daha dəqiq yazmaq üçün mənbəyə baxmaq lazımdır ";
    for c in words.chars().cycle().take(frames_each) {
        harness.event(egui::Event::Text(c.to_string()));
        timed_frame(&mut harness, &mut typing);
        // About 12 keys a second, a fast typist: saves fall due as they would.
        std::thread::sleep(Duration::from_millis(80));
    }
    let t = Instant::now();
    std::thread::sleep(dezgah::core::sft::QUIET);
    harness.step();
    let recheck = wait_for_checks(&mut harness) + t.elapsed();
    // Search: Ctrl+F, then one key per frame; the list is filtered on each.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    harness.run_steps(2);
    let mut searching = Vec::new();
    for c in "təndir çörəyi".chars() {
        harness.event(egui::Event::Text(c.to_string()));
        timed_frame(&mut harness, &mut searching);
    }
    let shown = harness.state().sft.visible.len();
    assert!(
        shown > 0 && shown < n,
        "the search narrows the list ({shown})"
    );

    println!("{n} SFT examples:");
    println!(
        "loaded in {:.2} s; first check of all examples {:.2} s off the UI thread ({flagged} flagged); \
         check after one edit {:.2} s",
        loaded.as_secs_f64(),
        first_check.as_secs_f64(),
        recheck.as_secs_f64()
    );
    report("scrolling the list", &scrolling);
    report("typing an answer (token counts on)", &typing);
    report("typing a search", &searching);
}
