//! Issue 22, points 5, 6 and 10 as regression tests: no command drops a malformed line without
//! naming it (`FILE:LINE: reason` on stderr, the count in `--json`), `--bad-lines fail` exits
//! non-zero, an input that yields no documents is an error, a binary file is refused by name,
//! and `sft import` of nothing usable fails naming the format the lines look like.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::cli::dezgah;

/// Three good documents and two malformed lines (3 and 5).
fn mixed_jsonl(dir: &Path) -> PathBuf {
    let path = dir.join("qarışıq.jsonl");
    std::fs::write(
        &path,
        concat!(
            "{\"id\": \"a\", \"text\": \"Bakı Xəzər dənizinin sahilində yerləşən böyük bir şəhərdir və ölkənin paytaxtıdır.\"}\n",
            "{\"id\": \"b\", \"text\": \"Gəncə Azərbaycanın ikinci böyük şəhəridir, tarixi abidələri ilə tanınır.\"}\n",
            "{\"id\": \"c\", \"text\": \"yarımçıq\n",
            "{\"id\": \"d\", \"text\": \"Şəki şəhəri dağların ətəyində yerləşir və xan sarayı ilə məşhurdur.\"}\n",
            "[1, 2]\n",
        ),
    )
    .expect("write");
    path
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_names_bad_lines(out: &Output, file: &Path) {
    let err = stderr(out);
    let name = file.display().to_string();
    assert!(err.contains(&format!("{name}:3: ")), "line 3 named: {err}");
    assert!(err.contains(&format!("{name}:5: ")), "line 5 named: {err}");
}

fn corpus(args: &[&str], inputs: &[&Path]) -> Output {
    let mut cmd = dezgah();
    cmd.arg("corpus").args(args);
    for input in inputs {
        cmd.arg(input);
    }
    cmd.output().expect("run")
}

#[test]
fn dedup_filter_stats_export_and_clean_name_each_bad_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = mixed_jsonl(dir.path());
    let out = dir.path().join("out.jsonl");
    let out_s = out.to_str().expect("utf-8 path");
    for args in [
        vec!["dedup", "--out", out_s],
        vec!["dedup", "--exact", "--out", out_s],
        vec!["filter", "--json", "--set", "min_words=1", "--out", out_s],
        vec!["stats", "--json", "--no-languages"],
        vec!["export", "--out", out_s],
        vec!["clean", "--nfc", "--json", "--out", out_s],
    ] {
        let run = corpus(&args, &[&input]);
        assert!(run.status.success(), "{args:?}: {}", stderr(&run));
        assert_names_bad_lines(&run, &input);
        if args.contains(&"--json") {
            let report: serde_json::Value =
                serde_json::from_slice(&run.stdout).expect("json report");
            assert_eq!(report["bad_lines"], 2, "{args:?}: {report}");
        }
    }
}

#[test]
fn fail_mode_exits_non_zero_naming_the_line_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = mixed_jsonl(dir.path());
    let out = dir.path().join("out.jsonl");
    let out_s = out.to_str().expect("utf-8 path");
    for args in [
        vec!["dedup", "--bad-lines", "fail", "--out", out_s],
        vec!["dedup", "--exact", "--bad-lines", "fail", "--out", out_s],
        vec!["filter", "--bad-lines", "fail", "--out", out_s],
        vec!["stats", "--bad-lines", "fail", "--no-languages"],
        vec!["export", "--bad-lines", "fail", "--out", out_s],
    ] {
        let run = corpus(&args, &[&input]);
        assert!(!run.status.success(), "{args:?} must fail");
        let err = stderr(&run);
        assert!(
            err.contains(&format!("{}:3", input.display())),
            "{args:?}: {err}"
        );
        assert!(!out.exists(), "{args:?} wrote {}", out.display());
    }
}

#[test]
fn an_input_without_documents_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("boş");
    std::fs::create_dir(&empty).expect("mkdir");
    let out = dir.path().join("o.jsonl");
    let out_s = out.to_str().expect("utf-8 path");
    for args in [
        vec!["clean", "--all", "--out", out_s],
        vec!["stats"],
        vec!["dedup", "--out", out_s],
        vec!["filter", "--out", out_s],
        vec!["export", "--out", out_s],
    ] {
        let run = corpus(&args, &[&empty]);
        assert!(!run.status.success(), "{args:?} on an empty folder");
        assert!(
            stderr(&run).contains(&empty.display().to_string()),
            "{args:?}: {}",
            stderr(&run)
        );
        assert!(!out.exists());
    }
    // A folder whose only file holds nothing readable.
    let unreadable = dir.path().join("pozuq");
    std::fs::create_dir(&unreadable).expect("mkdir");
    std::fs::write(unreadable.join("x.jsonl"), "{\"text\": 1}\nnot json\n").expect("write");
    for args in [
        vec!["clean", "--all", "--out", out_s],
        vec!["stats", "--no-languages"],
        vec!["dedup", "--out", out_s],
        vec!["filter", "--out", out_s],
        vec!["export", "--out", out_s],
    ] {
        let run = corpus(&args, &[&unreadable]);
        let err = stderr(&run);
        assert!(!run.status.success(), "{args:?} on unreadable lines");
        assert!(err.contains("no documents in"), "{args:?}: {err}");
        assert!(err.contains("x.jsonl:2"), "{args:?}: {err}");
        assert!(!out.exists());
    }
}

#[test]
fn a_binary_file_is_refused_by_name_and_gzip_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let binary = dir.path().join("şəkil.txt");
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..4000u32).map(|i| (i * 7919 % 251) as u8));
    std::fs::write(&binary, &bytes).expect("write");
    let run = corpus(&["stats"], &[&binary]);
    assert!(!run.status.success());
    let err = stderr(&run);
    assert!(
        err.contains(&format!(
            "{} looks like a binary file, not text",
            binary.display()
        )),
        "{err}"
    );
    let nul = dir.path().join("nul.jsonl");
    std::fs::write(&nul, b"{\"text\": \"a\"}\n\0\0\0\0garbage\n").expect("write");
    let run = corpus(&["stats"], &[&nul]);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("looks like a binary file"));

    // Gzip under a plain .txt name is decompressed, not refused.
    let gz = dir.path().join("sıxılmış.txt");
    {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).expect("create"),
            flate2::Compression::fast(),
        );
        enc.write_all("Salam dünya\nİkinci sətir\n".as_bytes())
            .expect("write");
        enc.finish().expect("finish");
    }
    let run = corpus(&["stats", "--json", "--no-languages"], &[&gz]);
    assert!(run.status.success(), "{}", stderr(&run));
    let stats: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json");
    assert_eq!(stats["documents"], 2);
}

#[test]
fn tokenizer_training_encoding_and_pretraining_name_the_bad_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    let input = mixed_jsonl(dir.path());
    let tok = dir.path().join("tok.json");
    let run = dezgah()
        .args(["tokenizer", "train", "--vocab", "300", "--out"])
        .arg(&tok)
        .arg(&input)
        .output()
        .expect("run");
    assert!(run.status.success(), "{}", stderr(&run));
    assert_names_bad_lines(&run, &input);
    let run = dezgah()
        .args(["tokenizer", "encode", "--tokenizer"])
        .arg(&tok)
        .arg("--input")
        .arg(&input)
        .output()
        .expect("run");
    assert!(run.status.success(), "{}", stderr(&run));
    assert_names_bad_lines(&run, &input);
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).expect("json");
    assert_eq!(report["bad_lines"], 2);
    let out = dezgah()
        .args([
            "train",
            "pretrain",
            "--max-steps",
            "1",
            "--seq-len",
            "16",
            "--batch-size",
            "1",
            "--eval-every",
            "0",
            "--sample-every",
            "0",
            "--data",
        ])
        .arg(&input)
        .arg("--tokenizer")
        .arg(&tok)
        .arg("--out")
        .arg(dir.path().join("run"))
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_names_bad_lines(&out, &input);
    let events = String::from_utf8_lossy(&out.stdout);
    assert!(events.contains("\"event\":\"bad-lines\""), "{events}");

    let strict = dezgah()
        .args([
            "train",
            "pretrain",
            "--bad-lines",
            "fail",
            "--max-steps",
            "1",
            "--data",
        ])
        .arg(&input)
        .arg("--tokenizer")
        .arg(&tok)
        .arg("--out")
        .arg(dir.path().join("strict"))
        .output()
        .expect("run");
    assert!(!strict.status.success());
    assert!(
        stderr(&strict).contains(&format!("{}:3", input.display())),
        "{}",
        stderr(&strict)
    );
}

fn sft_import(ws: &Path, format: &str, file: &Path) -> Output {
    dezgah()
        .arg("-w")
        .arg(ws)
        .args(["sft", "import", "--format", format])
        .arg(file)
        .output()
        .expect("run")
}

#[test]
fn sft_import_of_nothing_usable_fails_naming_the_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    let alpaca = dir.path().join("alpaca.jsonl");
    std::fs::write(
        &alpaca,
        concat!(
            "{\"instruction\": \"Paytaxt?\", \"input\": \"\", \"output\": \"Bakı.\"}\n",
            "{\"instruction\": \"Çay?\", \"input\": \"\", \"output\": \"Kür.\"}\n",
        ),
    )
    .expect("write");
    let run = sft_import(&ws, "messages", &alpaca);
    assert!(!run.status.success(), "the wrong --format must fail");
    let err = stderr(&run);
    assert!(err.contains("look like alpaca"), "{err}");
    assert!(err.contains(&format!("{}:1", alpaca.display())), "{err}");

    let dpo = dir.path().join("dpo.jsonl");
    std::fs::write(
        &dpo,
        "{\"prompt\": \"Sual\", \"chosen\": \"Yaxşı\", \"rejected\": \"Pis\"}\n",
    )
    .expect("write");
    let run = sft_import(&ws, "prompt-completion", &dpo);
    assert!(!run.status.success());
    assert!(
        stderr(&run).contains("preference pairs"),
        "{}",
        stderr(&run)
    );

    let junk = dir.path().join("junk.jsonl");
    std::fs::write(&junk, "not json\n{\"x\": 1}\n").expect("write");
    let run = sft_import(&ws, "alpaca", &junk);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("look like none"), "{}", stderr(&run));

    // Good lines among bad: the good land, the bad are named, exit 0.
    let mixed = dir.path().join("mixed.jsonl");
    std::fs::write(
        &mixed,
        concat!(
            "{\"instruction\": \"Paytaxt?\", \"input\": \"\", \"output\": \"Bakı.\"}\n",
            "{\"instruction\": \"yarım\n",
        ),
    )
    .expect("write");
    let run = sft_import(&ws, "alpaca", &mixed);
    assert!(run.status.success(), "{}", stderr(&run));
    let err = stderr(&run);
    assert!(err.contains(&format!("{}:2:", mixed.display())), "{err}");
    assert!(err.contains("imported 1 examples"), "{err}");
}
