//! Retrieval and the playground's generation path: the sample rules' articles are found by the
//! questions a reader would ask, the CLI indexes and answers, batches are written, and a seed
//! makes an answer repeat.

use std::path::{Path, PathBuf};
use std::process::Command;

use dezgah::core::chat::{self, BatchMode, ChatSettings, ModelCache, Request};
use dezgah::core::rag::{self, IndexSettings, Retriever};

use crate::cli::dezgah;
use crate::common::sample_workspace;

fn corpus_path(ws: &Path, name: &str) -> String {
    dezgah::core::workspace::Workspace::open(ws)
        .expect("open")
        .snapshot()
        .expect("snapshot")
        .corpora
        .into_iter()
        .find(|c| c.name == name)
        .expect("corpus")
        .path
}

/// Questions written against `datasets/sample/seed/corpora/qaydalar.txt`, with the article
/// that answers each.
const QUESTIONS: &[(&str, &str)] = &[
    ("Kitabı evə neçə günlüyə götürmək olar?", "5"),
    (
        "Kitabı vaxtında qaytarmasam nə qədər cərimə ödəyəcəyəm?",
        "7",
    ),
    ("Kitabxana bazar günü işləyirmi?", "4"),
    ("Uşaq neçə kitab götürə bilər?", "6"),
    ("Kitabı itirsəm nə etməliyəm?", "8"),
    ("Oxu zalında telefonla danışmaq olarmı?", "9"),
    ("Kompüterdən gündə neçə saat istifadə etmək olar?", "10"),
    ("Neçə yaşdan oxucu olmaq olar?", "2"),
    ("13-cü maddə nə deyir?", "13"),
    ("Maddə 3 haqqında danış", "3"),
    // Typed without the Azerbaijani letters, and in capitals.
    ("oxu zalinda telefonla danismaq olarmi", "9"),
    ("QEYDİYYAT ÜÇÜN HANSI SƏNƏD LAZIMDIR?", "3"),
];

#[test]
fn retrieval_finds_the_article_that_answers_each_question() {
    let (_tmp, ws) = sample_workspace();
    let path = corpus_path(&ws, "qaydalar");
    let meta = rag::build(
        &ws,
        "qaydalar",
        &path,
        &IndexSettings::default(),
        &|_, _| {},
        &|| false,
    )
    .expect("build");
    assert_eq!((meta.documents, meta.articles), (14, 14));
    let retriever = Retriever::open_corpus(&ws, "qaydalar").expect("open");
    // Retrieval feeds the model several passages (4 by default): the answering article must be
    // among the first three, and first for most questions.
    let (mut first, mut wrong) = (0, Vec::new());
    for (question, article) in QUESTIONS {
        let hits = retriever.search(question, 3).expect("search");
        let articles: Vec<_> = hits.iter().filter_map(|h| h.article.as_deref()).collect();
        first += usize::from(articles.first() == Some(article));
        if !articles.contains(article) {
            wrong.push(format!("{question}: expected {article}, got {articles:?}"));
        }
        eprintln!("{question} → {articles:?}");
    }
    eprintln!("first: {first}/{}", QUESTIONS.len());
    assert!(wrong.is_empty(), "{wrong:#?}");
    assert!(first + 1 >= QUESTIONS.len(), "first for only {first}");
    // The same questions against an index with stemming, for the README's comparison.
    rag::build(
        &ws,
        "qaydalar",
        &path,
        &IndexSettings {
            stem: true,
            ..IndexSettings::default()
        },
        &|_, _| {},
        &|| false,
    )
    .expect("build stemmed");
    let stemmed = Retriever::open_corpus(&ws, "qaydalar").expect("open");
    let (mut stemmed_first, mut stemmed_top3) = (0, 0);
    for (q, a) in QUESTIONS {
        let hits = stemmed.search(q, 3).expect("search");
        stemmed_first += usize::from(hits.first().and_then(|h| h.article.as_deref()) == Some(*a));
        stemmed_top3 += usize::from(hits.iter().any(|h| h.article.as_deref() == Some(*a)));
    }
    eprintln!(
        "stemmed: first {stemmed_first}, top 3 {stemmed_top3} of {}",
        QUESTIONS.len()
    );
    assert_eq!(
        stemmed_top3,
        QUESTIONS.len(),
        "with stemming too, every answer is in the top 3"
    );
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_cli_indexes_answers_from_passages_and_runs_batches() {
    let (tmp, ws) = sample_workspace();
    crate::common::tiny_run(&ws, "tiny");
    let out = run_ok(
        dezgah()
            .arg("-w")
            .arg(&ws)
            .args(["rag", "index", "--corpus", "qaydalar"]),
    );
    assert!(out.contains("14 articles"), "{out}");
    // Questions only: the passages, best first.
    let out = run_ok(
        dezgah()
            .args(["rag", "query", "--workspace"])
            .arg(&ws)
            .args(["Kitab evə neçə günlüyə verilir?", "--k", "3", "--json"]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["passages"][0]["article"], "5", "{v}");
    assert_eq!(v["passages"].as_array().map(Vec::len), Some(3));
    // With a run: passages, an answer and which passages it used.
    let run = ws.join("runs/tiny");
    let out = run_ok(
        dezgah()
            .arg("-w")
            .arg(&ws)
            .args([
                "rag",
                "query",
                "Kitab neçə günə verilir?",
                "--k",
                "2",
                "--json",
            ])
            .arg("--run")
            .arg(&run)
            // The tiny model's window is 64 tokens: a short template leaves room for a passage.
            .args([
                "--max-tokens",
                "4",
                "--seed",
                "3",
                "--template",
                "{context}\n{question}",
            ]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert!(v["answer"].is_string(), "{v}");
    // Two passages were found; what fits the window went to the model, cut short.
    assert_eq!(v["passages"].as_array().map(Vec::len), Some(2), "{v}");
    let given = v["meta"]["passages"].as_array().expect("passages");
    assert_eq!(given.len(), 1, "{v}");
    assert_eq!(
        (
            v["meta"]["retrieved"].as_u64(),
            v["meta"]["context"].as_u64()
        ),
        (Some(2), Some(64))
    );
    assert!(
        given[0]["label"]
            .as_str()
            .is_some_and(|l| l.starts_with("Maddə 5")),
        "{v}"
    );
    assert!(
        given[0]["text"].as_str().is_some_and(|t| t.ends_with('…')),
        "{v}"
    );
    assert_eq!(v["meta"]["seed"], 3);
    // A batch both ways: one output per prompt and mode, written as JSONL.
    let prompts = tmp.path().join("prompts.txt");
    std::fs::write(
        &prompts,
        "Kitab neçə günə verilir?\n\nCərimə nə qədərdir?\n",
    )
    .expect("write");
    let batch = tmp.path().join("out/batch.jsonl");
    run_ok(
        dezgah()
            .arg("-w")
            .arg(&ws)
            .args([
                "rag",
                "batch",
                "--corpus",
                "qaydalar",
                "--both",
                "--max-tokens",
                "4",
                "--template",
                "{context}\n{question}",
            ])
            .arg("--prompts")
            .arg(&prompts)
            .arg("--out")
            .arg(&batch)
            .arg("--run")
            .arg(&run),
    );
    let rows: Vec<chat::BatchRow> = std::fs::read_to_string(&batch)
        .expect("batch file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("row"))
        .collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows.iter().map(|r| r.mode.as_str()).collect::<Vec<_>>(),
        ["plain", "rag", "plain", "rag"]
    );
    assert!(
        rows[1].passages.iter().any(|p| p.starts_with("Maddə 5")),
        "{rows:?}"
    );
    // A corpus that was never indexed is named, with the way to index it.
    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args(["rag", "query", "salam", "--corpus", "nesr"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("dezgah rag index --corpus nesr"), "{err}");
}

#[test]
fn the_cli_fits_its_defaults_to_the_tiny_model() {
    let (_tmp, ws) = sample_workspace();
    // The tiny preset's window: 128 tokens, where 200 new tokens and 4 passages leave no room.
    crate::common::tiny_run_with_context(&ws, "tiny", 128);
    run_ok(
        dezgah()
            .arg("-w")
            .arg(&ws)
            .args(["rag", "index", "--corpus", "qaydalar"]),
    );
    let run = ws.join("runs/tiny");
    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args(["rag", "query", "Kitab evə neçə günə verilir?", "--json"])
        .arg("--run")
        .arg(&run)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    // What was chosen, and why, on stderr.
    assert!(
        err.contains("context 128 tokens: 32 new tokens, 1 passage"),
        "{err}"
    );
    assert!(err.contains("plain text (no SFT or DPO stage"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let given = v["meta"]["passages"].as_array().expect("passages");
    assert_eq!(given.len(), 1, "{v}");
    assert_eq!(v["meta"]["retrieved"], 1, "nothing was dropped: {v}");
    assert!(
        given[0]["label"]
            .as_str()
            .is_some_and(|l| l.starts_with("Maddə 5")),
        "{v}"
    );
    assert!(v["meta"]["tokens"].as_u64().is_some_and(|t| t <= 32), "{v}");
    // Given values win, and --chat keeps the template for a model without chat training.
    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args([
            "rag",
            "query",
            "Kitab evə neçə günə verilir?",
            "--json",
            "--chat",
        ])
        .args(["--k", "3", "--max-tokens", "5"])
        .arg("--run")
        .arg(&run)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("5 new tokens, 3 passages"), "{err}");
    assert!(!err.contains("plain text"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["meta"]["retrieved"], 3, "{v}");
    // In text mode, passages that did not fit are said, with what leaves room.
    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args(["rag", "query", "Kitab evə neçə günə verilir?", "--k", "4"])
        .args(["--max-tokens", "4"])
        .arg("--run")
        .arg(&run)
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("of 4 passages did not fit the model's context of 128"),
        "{err}"
    );
}

fn request(ws: &Path, run: PathBuf, seed: u64) -> Request {
    Request {
        slot: 0,
        workspace: ws.to_owned(),
        run_dir: run,
        run_name: "tiny".into(),
        settings: ChatSettings {
            sampling: dezgah::core::model::generate::SamplingConfig {
                max_tokens: 16,
                temperature: 1.0,
                seed,
                ..Default::default()
            },
            ..ChatSettings::default()
        },
        history: vec![(
            dezgah::core::domain::Role::User,
            "Bakı haqqında danış.".into(),
        )],
    }
}

#[test]
fn a_seed_makes_the_answer_repeat_and_streams_what_it_returns() {
    let (_tmp, ws) = sample_workspace();
    crate::common::tiny_run(&ws, "tiny");
    let run = ws.join("runs/tiny");
    let cache = ModelCache::default();
    let answer = |seed: u64| {
        let mut streamed = String::new();
        let reply = chat::answer(
            &request(&ws, run.clone(), seed),
            &cache,
            &mut |event| {
                if let chat::Event::Text { piece, .. } = event {
                    streamed.push_str(&piece);
                }
            },
            &|| false,
        )
        .expect("answer");
        assert_eq!(
            streamed.trim_end_matches('\u{FFFD}').trim(),
            reply.text,
            "the stream is the answer"
        );
        reply
    };
    let first = answer(11);
    let again = answer(11);
    assert_eq!(first.text, again.text);
    assert_eq!(first.meta.tokens, again.meta.tokens);
    assert!(first.meta.tokens > 0);
    let others: Vec<String> = (12..16).map(|s| answer(s).text).collect();
    assert!(
        others.iter().any(|t| *t != first.text),
        "five seeds, one answer: {first:?} {others:?}"
    );
    // The thread version reports the same answer, then Done.
    let handle = chat::start(request(&ws, run.clone(), 11), cache.clone(), None).expect("start");
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    let reply = loop {
        assert!(std::time::Instant::now() < deadline, "no Done");
        if let Some(chat::Event::Done { result, .. }) = handle
            .drain()
            .into_iter()
            .find(|e| matches!(e, chat::Event::Done { .. }))
        {
            break result.expect("reply");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_eq!(reply.text, first.text);
    // Batches answer each prompt alone.
    let rows = chat::run_batch(
        &request(&ws, run, 11),
        &["Bakı haqqında danış.".to_owned()],
        BatchMode::Plain,
        &cache,
        &|_, _| {},
        &|| false,
    )
    .expect("batch");
    assert_eq!(rows[0].output, first.text);
}

/// The seed's example: the real legal codes, asked about an article by number and by topic.
#[test]
fn legal_codes_answer_questions_by_article() {
    let base = std::env::var_os("DEZGAH_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    let legal = base.join("corpora/az/legal");
    let files: Vec<PathBuf> = [
        "Azərbaycan Respublikasının Ailə Məcəlləsi.md",
        "Azərbaycan Respublikasının Su Məcəlləsi.md",
        "Azərbaycan Respublikasının Meşə Məcəlləsi.md",
    ]
    .iter()
    .map(|f| legal.join(f))
    .collect();
    if !files.iter().all(|f| f.is_file()) {
        eprintln!("skipped: {} is absent", legal.display());
        return;
    }
    let (_tmp, ws) = sample_workspace();
    // Opening makes the workspace (folders, seeded database), as the app does.
    corpus_path(&ws, "nesr");
    let read = dezgah::core::corpus::read::ReadOptions {
        text_unit: dezgah::core::corpus::read::TextUnit::File,
        ..Default::default()
    };
    let (name, _) =
        dezgah::core::corpus::import::import_corpus(&ws, &files, "qanunlar", &read, None)
            .expect("import");
    let path = corpus_path(&ws, &name);
    let meta = rag::build(
        &ws,
        &name,
        &path,
        &IndexSettings::default(),
        &|_, _| {},
        &|| false,
    )
    .expect("build");
    eprintln!("{meta:?}");
    assert!(meta.articles > 300, "{meta:?}");
    let retriever = Retriever::open_corpus(&ws, &name).expect("open");
    // By number, the article itself comes first; by topic, it is among the first three.
    for (question, code, article, first) in [
        (
            "Ailə Məcəlləsinin 9-cu maddəsi nə deyir?",
            "Ailə",
            "9",
            true,
        ),
        ("Su Məcəlləsinin 12-ci maddəsi", "Su", "12", true),
        ("Nikahın bağlanma qaydası necədir?", "Ailə", "9", false),
        ("Meşə fondunun torpaqları hansılardır?", "Meşə", "", true),
    ] {
        let hits = retriever.search(question, 5).expect("search");
        for h in &hits {
            eprintln!("{question} → {} ({:.2})", h.label, h.score);
        }
        let considered = if first { &hits[..1] } else { &hits[..3] };
        assert!(
            considered.iter().any(|h| h.label.contains(code)
                && (article.is_empty() || h.article.as_deref() == Some(article))),
            "{question}: {:?}",
            hits.iter().map(|h| &h.label).collect::<Vec<_>>()
        );
    }
}
