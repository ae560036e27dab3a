//! The `dezgah` binary: its help, its one-line errors, and a database that survives kill -9.

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dezgah::core::store::Store;

/// The built binary, quiet: tests read its stdout and its one-line errors.
pub fn dezgah() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dezgah"));
    cmd.env("RUST_LOG", "off");
    cmd
}

#[test]
fn help_lists_the_subcommands() {
    let out = dezgah().arg("--help").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Dəzgah"), "{text}");
    assert!(text.contains("workspace"), "{text}");
    assert!(text.contains("--workspace"), "{text}");
    assert!(
        !text.contains("hammer"),
        "internal commands stay hidden: {text}"
    );
}

#[test]
fn init_info_and_check_work_on_a_new_workspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("yeni iş sahəsi");
    let out = dezgah()
        .args(["workspace", "init"])
        .arg(&ws)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ws.join("dezgah.db").is_file());

    let out = dezgah()
        .arg("--workspace")
        .arg(&ws)
        .args(["workspace", "info"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(info["counts"]["sft_examples"], 0);
    assert_eq!(info["schema_version"], dezgah::core::store::SCHEMA_VERSION);

    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args(["workspace", "check"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("database sound"));
}

#[test]
fn errors_are_one_clear_line_and_exit_non_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("dezgah.db"), vec![0x42u8; 8192]).expect("write");
    let out = dezgah()
        .arg("-w")
        .arg(dir.path())
        .args(["workspace", "info"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("dezgah.db"), "{err}");
    assert!(err.contains("left untouched"), "{err}");

    let out = dezgah().args(["--area", "kitchen"]).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown area"));
}

#[test]
fn the_sample_workspace_checks_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("sample");
    copy_seed(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed"),
        &ws.join("seed"),
    );
    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args(["workspace", "info"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        info["counts"]["sft_examples"].as_u64() >= Some(12),
        "{info}"
    );
    assert!(
        info["counts"]["preference_items"].as_u64() >= Some(12),
        "{info}"
    );
    let documents: u64 = info["corpora"]
        .as_array()
        .expect("corpora")
        .iter()
        .filter_map(|c| c["documents"].as_u64())
        .sum();
    assert!(documents >= 150, "{info}");
    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args(["workspace", "check"])
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn copy_seed(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read_dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_seed(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// Kills a writer mid-stream several times; the database must stay sound and every item must
/// have both of its responses (a transaction lands whole or not at all).
#[test]
fn killing_a_writer_never_corrupts_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut last = 0;
    for round in 0..4u64 {
        let mut child = dezgah()
            .arg("-w")
            .arg(dir.path())
            .args(["workspace", "hammer"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("ready line");
        assert_eq!(line.trim(), "ready");
        std::thread::sleep(Duration::from_millis(150 + 70 * round));
        child.kill().expect("kill -9");
        child.wait().expect("reap");

        let started = Instant::now();
        let (store, _) = Store::open(&dir.path().join("dezgah.db")).expect("reopen after kill");
        assert!(started.elapsed() < Duration::from_secs(10));
        assert!(store.integrity_problems().expect("check").is_empty());
        let items = store.counts().expect("counts").preference_items;
        assert!(items > last, "round {round}: no progress ({items})");
        last = items;
        let broken: i64 = store
            .conn()
            .query_row(
                "SELECT count(*) FROM preference_items i
                 WHERE (SELECT count(*) FROM preference_responses r WHERE r.item_id = i.id) != 2",
                [],
                |r| r.get(0),
            )
            .expect("query");
        assert_eq!(broken, 0, "an item lost part of its responses");
    }
}

/// Root ignores permission bits, so as root the read-only case runs the binary as `nobody`
/// (when `setpriv` can); as anyone else it runs directly.
#[cfg(unix)]
#[test]
fn a_read_only_workspace_folder_is_refused_and_left_untouched() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    let out = dezgah()
        .args(["workspace", "init"])
        .arg(&ws)
        .output()
        .expect("run");
    assert!(out.status.success());
    let db = ws.join("dezgah.db");
    let before = std::fs::read(&db).expect("read");
    for path in [dir.path(), ws.as_path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    let as_user = |args: &[&str]| {
        let is_root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let mut cmd = if is_root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
                .arg(env!("CARGO_BIN_EXE_dezgah"));
            c
        } else {
            std::fs::set_permissions(&ws, std::fs::Permissions::from_mode(0o555)).expect("chmod");
            Command::new(env!("CARGO_BIN_EXE_dezgah"))
        };
        cmd.env("RUST_LOG", "off")
            .env("HOME", dir.path())
            .args(args);
        cmd.output()
    };
    let Ok(probe) = as_user(&["--version"]) else {
        eprintln!("skipped: cannot run the binary as another user");
        return;
    };
    if !probe.status.success() {
        eprintln!("skipped: `nobody` cannot run the binary here");
        return;
    }
    let ws_arg = ws.to_string_lossy().into_owned();
    let out = as_user(&["-w", &ws_arg, "workspace", "info"]).expect("run");
    let _ = std::fs::set_permissions(&ws, std::fs::Permissions::from_mode(0o755));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("read-only"), "{err}");
    assert_eq!(std::fs::read(&db).expect("read"), before);
}

#[test]
fn corpus_clean_streams_jsonl_keeps_ids_and_reports_per_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("xam.jsonl");
    std::fs::write(
        &input,
        concat!(
            "{\"id\": \"q1\", \"text\": \"Azәrbaycan  vǝ   dünya\"}\n",
            "{\"id\": \"q2\", \"text\": \"Азәрбајҹан Республикасы\"}\n",
            "{\"id\": \"q3\", \"text\": \"pozuq\n",
            "{\"id\": \"q4\", \"text\": \"Heç nə dəyişmir.\"}\n",
        ),
    )
    .expect("write");
    let out_path = dir.path().join("təmiz.jsonl");
    let out = dezgah()
        .args(["corpus", "clean", "--all", "--json", "--out"])
        .arg(&out_path)
        .arg(&input)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["documents_in"], 3);
    assert_eq!(report["documents_out"], 3);
    assert_eq!(report["bad_lines"], 1);
    assert_eq!(report["changed_by_rule"]["transliterate"], 1);
    assert_eq!(report["changed_by_rule"]["schwa"], 1);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&out_path)
        .expect("output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("jsonl"))
        .collect();
    assert_eq!(lines[0]["id"], "q1");
    assert_eq!(lines[0]["text"], "Azərbaycan və dünya");
    assert_eq!(lines[1]["text"], "Azərbaycan Respublikası");
    assert_eq!(lines[2]["id"], "q4");

    // Strict mode: one clear line naming file and line, and no output file.
    let strict_out = dir.path().join("strict.jsonl");
    let out = dezgah()
        .args(["corpus", "clean", "--schwa", "--bad-lines", "fail", "--out"])
        .arg(&strict_out)
        .arg(&input)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("xam.jsonl:3: malformed JSON"), "{err}");
    assert!(!strict_out.exists());

    let out = dezgah()
        .args(["corpus", "clean", "--out"])
        .arg(&strict_out)
        .arg(&input)
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule chosen"));
}

#[test]
fn corpus_clean_source_az_cyrl_transliterates_what_detection_leaves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("adlar.txt");
    // Names and a short phrase without ә ғ ҝ ө ү һ ҹ ј: detection takes them for Russian.
    std::fs::write(&input, "Сабир Исмаилов\nГала гапысы\nБакы\n").expect("write");
    let clean = |source: Option<&str>, out: &Path| {
        let mut cmd = dezgah();
        cmd.args(["corpus", "clean", "--transliterate", "--json", "--out"])
            .arg(out)
            .arg(&input);
        if let Some(source) = source {
            cmd.args(["--source", source]);
        }
        cmd.output().expect("run")
    };
    let texts = |path: &Path| -> Vec<String> {
        std::fs::read_to_string(path)
            .expect("output")
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("jsonl");
                v["text"].as_str().expect("text").to_owned()
            })
            .collect()
    };
    let auto = dir.path().join("auto.jsonl");
    let out = clean(None, &auto);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(texts(&auto), ["Сабир Исмаилов", "Гала гапысы", "Бакы"]);

    let cyrillic = dir.path().join("latin.jsonl");
    let out = clean(Some("az-Cyrl"), &cyrillic);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json report");
    assert_eq!(report["changed_by_rule"]["transliterate"], 3);
    assert_eq!(report["rules"]["source"], "az-Cyrl");
    assert_eq!(texts(&cyrillic), ["Sabir İsmailov", "Qala qapısı", "Bakı"]);

    let out = clean(Some("ru"), &dir.path().join("x.jsonl"));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auto, az-Latn, az-Cyrl"), "{err}");
}

#[test]
fn corpus_stats_reports_languages_scripts_and_anomalies_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("qarışıq.txt");
    std::fs::write(
        &input,
        concat!(
            "Bakı Xəzər dənizinin sahilində yerləşən böyük bir şəhərdir.\n",
            "Бүтүн инсанлар ләјагәт вә һүгугларына ҝөрә азад вә бәрабәр доғулурлар.\n",
            "Bugün hava çok güzel, parkta yürüyüş yapmaya karar verdik.\n",
            "Bu M ə c ə ll ə nin vә maddələri\n",
        ),
    )
    .expect("write");
    let out = dezgah()
        .args(["corpus", "stats", "--json"])
        .arg(&input)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(s["documents"], 4);
    assert_eq!(s["languages"]["tr"], 1, "{s}");
    assert!(s["languages"]["az"].as_u64() >= Some(2), "{s}");
    assert_eq!(s["scripts"]["cyrillic"], 1);
    assert_eq!(s["scripts"]["latin"], 3);
    assert_eq!(s["anomalies"]["split_word_fragments"], 1);
    assert_eq!(s["anomalies"]["schwa_look_alikes"], 1);
}

#[test]
fn corpus_dedup_keeps_one_of_each_cluster_and_reports_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("xəbərlər.jsonl");
    let base = "Bakıda keçirilən beynəlxalq konfransda alimlər süni intellektin Azərbaycan dilinə \
        tətbiqi məsələlərini müzakirə etdilər və yeni layihələrin təqdimatı baş tutdu. Tədbirdə \
        universitetlərin nümayəndələri, tələbələr və jurnalistlər iştirak edirdi.";
    let near = base.replace("müzakirə etdilər", "geniş müzakirə etdilər");
    let other = "Qubada alma bağlarında məhsul yığımı başlayıb və fermerlər bu il yüksək \
        məhsuldarlıq gözləyirlər, çünki yaz aylarında yağış kifayət qədər olub.";
    let lines = [
        serde_json::json!({"id": "a", "text": base}),
        serde_json::json!({"id": "b", "text": other}),
        serde_json::json!({"id": "c", "text": near}),
        serde_json::json!({"id": "d", "text": base.to_owned() + "  "}),
    ];
    let body = lines
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    std::fs::write(&input, body).expect("write");
    let out_path = dir.path().join("təkrarsız.jsonl");
    let report_path = dir.path().join("hesabat.json");
    let out = dezgah()
        .args([
            "corpus",
            "dedup",
            "--ngram",
            "3",
            "--threshold",
            "0.7",
            "--out",
        ])
        .arg(&out_path)
        .arg("--report")
        .arg(&report_path)
        .arg(&input)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kept: Vec<String> = std::fs::read_to_string(&out_path)
        .expect("output")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("jsonl")["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    assert_eq!(kept, ["a", "b"]);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_path).expect("report"))
            .expect("json");
    assert_eq!(report["clusters"][0]["kept"], "a");
    assert_eq!(
        report["clusters"][0]["removed"],
        serde_json::json!(["c", "d"])
    );
    assert_eq!(report["exact_removed"], 1);
    assert_eq!(report["near_removed"], 1);
    assert!(report["timings"]["total_secs"].as_f64().is_some());

    let out = dezgah()
        .args(["corpus", "dedup", "--threshold", "1.5", "--out"])
        .arg(&out_path)
        .arg(&input)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--threshold"));
}

#[test]
fn corpus_filter_splits_good_from_noisy_documents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("veb.jsonl");
    let good = "Bakı şəhəri Xəzər dənizinin sahilində yerləşir və ölkənin ən böyük şəhəridir. \
        Burada çoxlu muzey, teatr və park var, küçələri isə axşamlar gəzintiyə çıxan sakinlərlə dolu olur.";
    let spam = "Endirim! Ən ucuz qiymətlər burada. ".repeat(10);
    let lines = [
        serde_json::json!({"id": 1, "text": good}),
        serde_json::json!({"id": 2, "text": spam}),
        serde_json::json!({"id": 3, "text": "12 34 56 78 90"}),
    ];
    let body = lines
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    std::fs::write(&input, body).expect("write");
    let (out_path, rejected) = (dir.path().join("ok.jsonl"), dir.path().join("rədd.jsonl"));
    let out = dezgah()
        .args([
            "corpus",
            "filter",
            "--json",
            "--set",
            "min_words=10",
            "--out",
        ])
        .arg(&out_path)
        .arg("--rejected")
        .arg(&rejected)
        .arg(&input)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(report["documents_out"], 1, "{report}");
    assert_eq!(report["failed_by_filter"]["top-bigram"], 1, "{report}");
    assert_eq!(report["failed_by_filter"]["too-short"], 1, "{report}");
    let rejected_text = std::fs::read_to_string(&rejected).expect("rejected");
    assert_eq!(rejected_text.lines().count(), 2);
    assert!(rejected_text.contains("\"quality_flags\""));

    let out = dezgah()
        .args(["corpus", "filter", "--set", "min_wordz=1", "--out"])
        .arg(&out_path)
        .arg(&input)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown threshold"));
}

#[test]
fn corpus_clean_reads_hugging_face_style_parquet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/hf_style.parquet");
    let out_path = dir.path().join("out.jsonl");
    let out = dezgah()
        .args(["corpus", "clean", "--all"])
        .arg(&fixture)
        .arg("--out")
        .arg(&out_path)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("hf_style.parquet:3"),
        "the null text of row 3 is reported with file and row: {stderr}"
    );
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&out_path)
        .expect("read")
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(records.len(), 4, "two row groups, one null text skipped");
    assert_eq!(records[0]["id"], 101);
    assert_eq!(records[1]["meta"]["source"], "news");
    assert_eq!(records[3]["id"], 105);
    assert_eq!(records[3]["tags"][0], "xəbər");
}

/// A word-level tokenizer.json: whitespace words, [UNK] for the rest.
fn word_tokenizer(dir: &Path) -> std::path::PathBuf {
    let vocab = [
        "[UNK]",
        "Bakı",
        "Xəzər",
        "dənizi",
        "sahilində",
        "yerləşir",
        ".",
    ]
    .iter()
    .enumerate()
    .map(|(i, w)| ((*w).to_owned(), i as u32))
    .collect();
    let model = tokenizers::models::wordlevel::WordLevel::builder()
        .vocab(vocab)
        .unk_token("[UNK]".into())
        .build()
        .expect("model");
    let mut tokenizer = tokenizers::Tokenizer::new(model);
    tokenizer.with_pre_tokenizer(Some(tokenizers::pre_tokenizers::whitespace::Whitespace {}));
    let path = dir.join("tokenizer.json");
    tokenizer.save(&path, false).expect("save");
    path
}

#[test]
fn corpus_stats_estimates_tokens_with_a_tokenizer_and_names_a_bad_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("x.txt");
    std::fs::write(&input, "Bakı Xəzər dənizi sahilində yerləşir.\n".repeat(50)).expect("write");
    let tok = word_tokenizer(dir.path());
    let out = dezgah()
        .args(["corpus", "stats", "--json", "--no-languages", "--tokenizer"])
        .arg(&tok)
        .arg(&input)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        stats["estimated_tokens"]["estimated_tokens"], 300,
        "{stats}"
    );

    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "{").expect("write");
    let out = dezgah()
        .args(["corpus", "stats", "--tokenizer"])
        .arg(&bad)
        .arg(&input)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
}

#[test]
fn a_command_line_pipeline_leaves_a_provenance_chain_and_exports_parquet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = dir.path().join("qanun.txt");
    let law = "Azərbaycan Respublikasının Mülki Məcəlləsi mülki qanunvericiliyin əsaslarını müəyyən edir və mülkiyyət hüququnu tənzimləyir.";
    std::fs::write(&raw, format!("{law}\nM ə c ə ll ə si maddәsi.\n{law}\n")).expect("write");
    let clean = dir.path().join("clean.jsonl");
    let dedup = dir.path().join("dedup.jsonl");
    let parquet = dir.path().join("final.parquet");
    for args in [
        vec![
            "corpus",
            "clean",
            "--all",
            raw.to_str().expect("path"),
            "--out",
            clean.to_str().expect("path"),
        ],
        vec![
            "corpus",
            "dedup",
            clean.to_str().expect("path"),
            "--out",
            dedup.to_str().expect("path"),
        ],
        vec![
            "corpus",
            "export",
            dedup.to_str().expect("path"),
            "--out",
            parquet.to_str().expect("path"),
        ],
    ] {
        let out = dezgah().args(&args).output().expect("run");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let record: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("final.parquet.provenance.json")).expect("provenance"),
    )
    .expect("json");
    assert!(
        record["import"]["sources"][0]["path"]
            .as_str()
            .expect("path")
            .ends_with("qanun.txt")
    );
    let steps: Vec<&str> = record["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["step"].as_str().expect("step"))
        .collect();
    assert_eq!(steps, vec!["clean", "dedup", "export"]);
    assert_eq!(record["steps"][1]["removed"], 1);
    assert_eq!(record["steps"][0]["settings"]["schwa"], true);
    // The Parquet reads back.
    let out = dezgah()
        .args(["corpus", "stats", "--json", "--no-languages"])
        .arg(&parquet)
        .output()
        .expect("run");
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(stats["documents"], 2);
}

#[test]
fn tokenizer_train_and_encode_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora");
    for kind in ["bpe", "unigram"] {
        let out_path = dir.path().join(format!("{kind}.json"));
        let out = dezgah()
            .args([
                "tokenizer",
                "train",
                "--kind",
                kind,
                "--vocab",
                "800",
                "--json",
                "--out",
            ])
            .arg(&out_path)
            .arg(&corpus)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert!(report["documents"].as_u64().expect("documents") > 100);

        let mut child = dezgah()
            .args(["tokenizer", "encode", "--tokenizer"])
            .arg(&out_path)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn");
        {
            use std::io::Write as _;
            let mut stdin = child.stdin.take().expect("stdin");
            stdin.write_all("Bakı şəhəri".as_bytes()).expect("write");
        }
        let out = child.wait_with_output().expect("wait");
        assert!(out.status.success());
        let encoded: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let ids = encoded["ids"].as_array().expect("ids");
        assert_eq!(
            ids.len(),
            encoded["tokens"].as_array().expect("tokens").len()
        );
        // Same ids as the library computes.
        let tokenizer = tokenizers::Tokenizer::from_file(&out_path).expect("load");
        let want = tokenizer.encode("Bakı şəhəri", false).expect("encode");
        let got: Vec<u32> = ids.iter().map(|v| v.as_u64().expect("id") as u32).collect();
        assert_eq!(got, want.get_ids());

        // A whole corpus: token count and throughput.
        let out = dezgah()
            .args(["tokenizer", "encode", "--tokenizer"])
            .arg(&out_path)
            .arg("--input")
            .arg(&corpus)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert!(report["documents"].as_u64().expect("documents") > 100);
        assert!(
            report["tokens"].as_u64().expect("tokens")
                > report["documents"].as_u64().expect("documents")
        );
    }
    let out = dezgah()
        .args([
            "tokenizer",
            "encode",
            "--tokenizer",
            "/nonexistent/tokenizer.json",
            "x",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/tokenizer.json"));
}

#[test]
fn tokenizer_compare_prints_fertility_overlap_and_word_splits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora");
    let mut paths = Vec::new();
    for (kind, vocab) in [("bpe", "900"), ("unigram", "900")] {
        let out_path = dir.path().join(format!("{kind}.json"));
        let out = dezgah()
            .args([
                "tokenizer",
                "train",
                "--kind",
                kind,
                "--vocab",
                vocab,
                "--out",
            ])
            .arg(&out_path)
            .arg(&corpus)
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        paths.push(out_path);
    }
    let out = dezgah()
        .args(["tokenizer", "compare", "--json", "--tokenizer"])
        .arg(&paths[0])
        .arg("--tokenizer")
        .arg(&paths[1])
        .arg(&corpus)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(c["rows"].as_array().map(Vec::len), Some(2));
    assert!(c["rows"][0]["fertility"].as_f64().expect("fertility") > 1.0);
    assert_eq!(c["overlap"][0][0], 1.0);
    assert!(!c["words"].as_array().expect("words").is_empty());
    let out = dezgah()
        .args(["tokenizer", "compare", "--tokenizer"])
        .arg(&paths[0])
        .arg(&corpus)
        .output()
        .expect("run");
    assert!(!out.status.success(), "one tokenizer is not a comparison");
}

#[test]
fn a_sentencepiece_model_encodes_from_the_command_line_as_sentencepiece_does() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(data.join("az_unigram.expected.json")).expect("read"),
    )
    .expect("json");
    let case = &expected[0];
    let out = dezgah()
        .args(["tokenizer", "encode", "--tokenizer"])
        .arg(data.join("az_unigram.model"))
        .arg(case["text"].as_str().expect("text"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let encoded: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(encoded["ids"], case["ids"]);
    assert_eq!(encoded["tokens"], case["pieces"]);
}

/// `dezgah train` killed with SIGKILL mid-run resumes from its last checkpoint and finishes;
/// then `generate` streams text and `eval` prints a perplexity.
#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one user scenario, step by step; split, its steps would lose their order"
)]
fn train_survives_kill_9_then_generate_and_eval_work() {
    let tmp = tempfile::tempdir().expect("tmp");
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora/nesr.txt");
    let tok = tmp.path().join("tok.json");
    let out = dezgah()
        .args([
            "tokenizer",
            "train",
            "--kind",
            "bpe",
            "--vocab",
            "400",
            "--out",
        ])
        .arg(&tok)
        .arg(&corpus)
        .output()
        .expect("tokenizer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = tmp.path().join("run");
    let mut child = dezgah()
        .args([
            "train",
            "pretrain",
            "--max-steps",
            "400",
            "--seq-len",
            "32",
            "--batch-size",
            "4",
            "--checkpoint-every",
            "3",
            "--eval-every",
            "0",
            "--sample-every",
            "0",
            "--data",
        ])
        .arg(&corpus)
        .arg("--tokenizer")
        .arg(&tok)
        .arg("--out")
        .arg(&run)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufReader::new(stdout).lines();
    let deadline = Instant::now() + Duration::from_mins(2);
    let mut checkpoints = 0;
    while checkpoints < 2 && Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        let event: serde_json::Value = serde_json::from_str(&line).expect("a JSON event per line");
        if event["event"] == "checkpoint" {
            checkpoints += 1;
        }
    }
    assert_eq!(checkpoints, 2, "no checkpoints before the deadline");
    child.kill().expect("kill -9");
    let _ = child.wait();

    let resumed = dezgah()
        .args(["train", "--resume"])
        .arg(&run)
        .output()
        .expect("resume");
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let events = String::from_utf8_lossy(&resumed.stdout);
    let started: serde_json::Value =
        serde_json::from_str(events.lines().next().expect("first event")).expect("json");
    assert!(
        started["resumed_from"].as_u64().is_some_and(|s| s >= 6),
        "{started}"
    );
    assert!(events.contains("\"status\":\"finished\""), "{events}");
    let steps: Vec<u64> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .expect("metrics")
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("line")["step"]
                .as_u64()
                .expect("step")
        })
        .collect();
    assert_eq!(
        steps,
        (1..=400).collect::<Vec<_>>(),
        "one line per step, none lost or repeated"
    );

    let generated = dezgah()
        .args(["generate", "--run"])
        .arg(&run)
        .args([
            "--prompt",
            "Azərbaycan",
            "--max-tokens",
            "12",
            "--seed",
            "3",
        ])
        .output()
        .expect("generate");
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let text = String::from_utf8_lossy(&generated.stdout);
    assert!(
        text.starts_with("Azərbaycan") && text.trim().len() > "Azərbaycan".len(),
        "{text}"
    );

    let eval = dezgah()
        .args(["eval", "--json", "--run"])
        .arg(&run)
        .arg("--data")
        .arg(&corpus)
        .output()
        .expect("eval");
    assert!(
        eval.status.success(),
        "{}",
        String::from_utf8_lossy(&eval.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&eval.stdout).expect("json");
    let ppl = report["perplexity"].as_f64().expect("perplexity");
    assert!(ppl > 1.0 && ppl < 400.0, "{report}");

    // Evaluation reads its text like every other reader: each bad line named, or refused.
    let broken = tmp.path().join("broken.jsonl");
    std::fs::write(
        &broken,
        "{\"text\": \"Bakı Azərbaycanın paytaxtıdır və ən böyük şəhəridir.\"}\n{\"text\": \n",
    )
    .expect("write");
    let eval_bad = |mode: &str| {
        dezgah()
            .args(["eval", "--json", "--bad-lines", mode, "--run"])
            .arg(&run)
            .arg("--data")
            .arg(&broken)
            .output()
            .expect("eval")
    };
    let skipped = eval_bad("skip");
    let err = String::from_utf8_lossy(&skipped.stderr);
    assert!(skipped.status.success(), "{err}");
    assert!(
        err.contains("broken.jsonl:2"),
        "the bad line is named: {err}"
    );
    let report: serde_json::Value = serde_json::from_slice(&skipped.stdout).expect("json");
    assert_eq!(report["bad_lines"], 1, "{report}");
    let failed = eval_bad("fail");
    assert!(!failed.status.success());
    assert!(
        String::from_utf8_lossy(&failed.stderr).contains("broken.jsonl:2"),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );

    let bad = dezgah()
        .args(["train", "sft", "--data"])
        .arg(&corpus)
        .arg("--tokenizer")
        .arg(&tok)
        .arg("--init")
        .arg(&run)
        .arg("--out")
        .arg(tmp.path().join("sft"))
        .output()
        .expect("sft");
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("nesr.txt:1"),
        "a text file is not SFT data: {err}"
    );
}

/// SIGTERM (what a service manager or the GUI's stop sends) and a `STOP` file both end a run
/// after saving a checkpoint, with a "stopped" event, and the run resumes from there.
#[test]
fn sigterm_and_a_stop_file_save_a_checkpoint_and_stop() {
    let tmp = tempfile::tempdir().expect("tmp");
    let corpus =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora/nesr.txt");
    let tok = tmp.path().join("tok.json");
    let out = dezgah()
        .args([
            "tokenizer",
            "train",
            "--kind",
            "bpe",
            "--vocab",
            "300",
            "--out",
        ])
        .arg(&tok)
        .arg(&corpus)
        .output()
        .expect("tokenizer");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for how in ["sigterm", "stop-file"] {
        let run = tmp.path().join(how);
        let mut child = dezgah()
            .args([
                "train",
                "pretrain",
                "--max-steps",
                "100000",
                "--seq-len",
                "16",
                "--batch-size",
                "2",
            ])
            .args([
                "--checkpoint-every",
                "0",
                "--eval-every",
                "0",
                "--sample-every",
                "0",
                "--data",
            ])
            .arg(&corpus)
            .arg("--tokenizer")
            .arg(&tok)
            .arg("--out")
            .arg(&run)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        // Wait for a few steps, then ask it to stop.
        let deadline = Instant::now() + Duration::from_mins(2);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if line.contains("\"step\":3,") {
                break;
            }
        }
        if how == "sigterm" {
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill -TERM");
            assert!(status.success());
        } else {
            std::fs::write(run.join("STOP"), b"").expect("STOP file");
        }
        let finished: Vec<String> = lines.map_while(Result::ok).collect();
        let status = child.wait().expect("wait");
        assert!(status.success(), "{how}: exit {status:?}");
        let last = finished.last().expect("a finished event");
        assert!(last.contains("\"status\":\"stopped\""), "{how}: {last}");
        assert!(
            finished
                .iter()
                .any(|l| l.contains("\"event\":\"checkpoint\"")),
            "{how}: no checkpoint saved"
        );
        assert!(!run.join("STOP").exists(), "the STOP file is consumed");
    }
}

/// The SFT editor's save path (`dezgah sft hammer` types through the same edit session) killed
/// with SIGKILL mid-typing: the database is sound and holds all but the last second of typing.
#[test]
fn killing_the_sft_editor_mid_typing_loses_at_most_a_second() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = "Azərbaycan Respublikasının Konstitusiyası 1995-ci il noyabrın 12-də ümumxalq səsverməsi ilə qəbul edilib. "
        .repeat(4);
    let every = Duration::from_millis(10);
    for round in 0..3u64 {
        let mut child = dezgah()
            .arg("-w")
            .arg(dir.path())
            .args(["sft", "hammer", "--every-ms", "10"])
            .arg(&text)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = lines.next().expect("a line").expect("read");
        let id: i64 = first
            .strip_prefix("example ")
            .and_then(|n| n.parse().ok())
            .expect("example id");
        // Type for a while, then kill between two keystrokes.
        let stop_after = 120 + 40 * round as usize;
        let mut typed = 0;
        for line in lines.by_ref() {
            let line = line.expect("read");
            if let Some(n) = line.strip_prefix("typed ") {
                typed = n.parse().expect("count");
                if typed >= stop_after {
                    break;
                }
            }
        }
        child.kill().expect("kill -9");
        child.wait().expect("reap");

        let (store, _) = Store::open(&dir.path().join("dezgah.db")).expect("reopen after kill");
        assert!(store.integrity_problems().expect("check").is_empty());
        let example = store
            .sft_example(id)
            .expect("read")
            .expect("the example exists");
        let saved = &example.messages[1].content;
        assert!(text.starts_with(saved.as_str()), "round {round}: {saved:?}");
        let saved_chars = saved.chars().count();
        // At one key per 10 ms a second is 100 keys; allow scheduling slack on a busy CI box.
        let per_second = (Duration::from_secs(1).as_millis() / every.as_millis()) as usize;
        assert!(
            saved_chars + per_second + 50 >= typed,
            "round {round}: {saved_chars} of {typed} typed characters were saved"
        );
    }
}

/// Judgements are committed one by one: a rater killed at any moment keeps every judgement it
/// reported, and the database stays sound.
#[test]
fn killing_a_rater_keeps_every_committed_judgement() {
    let (_tmp, ws) = {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = dir.path().join("sample");
        crate::common::copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample"),
            &ws,
        );
        (dir, ws)
    };
    for round in 0..3u64 {
        let mut child = dezgah()
            .arg("-w")
            .arg(&ws)
            .args(["prefs", "hammer"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let mut lines = std::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let stop_after = 30 + 25 * round;
        let mut reported = 0u64;
        for line in lines.by_ref() {
            let line = line.expect("read");
            if let Some(n) = line.strip_prefix("rated ") {
                reported = n.parse().expect("count");
                if reported >= stop_after {
                    break;
                }
            }
        }
        child.kill().expect("kill -9");
        child.wait().expect("reap");
        let (store, _) = Store::open(&ws.join("dezgah.db")).expect("reopen after kill");
        assert!(store.integrity_problems().expect("check").is_empty());
        let kept = store
            .ratings()
            .expect("ratings")
            .iter()
            .filter(|r| r.comment == "hammer")
            .count() as u64;
        // Each round starts over with the same annotators, replacing their judgements.
        assert!(
            kept >= reported,
            "round {round}: {kept} kept of {reported} reported"
        );
    }
}

#[test]
fn prefs_import_export_and_stats_on_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    let input = dir.path().join("items.jsonl");
    std::fs::write(
        &input,
        concat!(
            "{\"prompt\": \"Bakı harada yerləşir?\", \"responses\": [\"Abşeron yarımadasında.\", \"Bilmirəm.\"]}\n",
            "{\"prompt\": \"Salam\", \"responses\": [\"tək\"]}\n",
            "{\"prompt\": \"Gəncə?\", \"chosen\": \"Azərbaycanın ikinci böyük şəhəri.\", \"rejected\": \"Bir çay.\"}\n",
            "not json\n",
        ),
    )
    .expect("write");
    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args(["prefs", "import", "--judgements", "2"])
        .arg(&input)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("items.jsonl:2: fewer than two responses"),
        "{err}"
    );
    assert!(err.contains("items.jsonl:4: not JSON"), "{err}");
    assert!(err.contains("imported 2 items; 2 lines skipped"), "{err}");

    let trl = dir.path().join("trl.jsonl");
    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args(["prefs", "export", "--format", "trl-messages", "--out"])
        .arg(&trl)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Only the labelled item has a decision so far (nobody judged either).
    let text = std::fs::read_to_string(&trl).expect("export");
    assert_eq!(text.lines().count(), 1);
    let line: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
    assert_eq!(
        line["chosen"][0]["content"],
        "Azərbaycanın ikinci böyük şəhəri."
    );
    assert_eq!(line["prompt"][0]["role"], "user");

    let out = dezgah()
        .arg("-w")
        .arg(&ws)
        .args(["prefs", "stats"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stats json");
    assert_eq!(stats["items"], 2);
    assert_eq!(stats["judgements"], 0);
}
