//! Issue 22, points 7 and 8: a full disk is said to be full (not a damaged database), an empty
//! or non-UTF-8 database is named for what it is, and every setting out of its range is refused
//! naming the key, the file or the flag, and the range. Each case runs the binary and asserts
//! its exit code and its one-line message.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::cli::dezgah;

fn run(args: &[&str]) -> Output {
    dezgah().args(args).output().expect("run")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The command failed with exit code 1 and one `error:` line containing every `needle`.
fn fails_with(out: &Output, needles: &[&str]) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    for needle in needles {
        assert!(line.contains(needle), "{needle:?} missing from: {line}");
    }
    line.to_owned()
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn sample_text(dir: &Path) -> PathBuf {
    let path = dir.join("metn.txt");
    std::fs::write(
        &path,
        "Bakı Azərbaycanın paytaxtıdır.\nXəzər dənizi böyük göldür.\nBu gün hava gözəldir.\n",
    )
    .expect("write");
    path
}

// ------------------------------------------------------------------ point 7: the disk is full

/// A tmpfs of `size` mounted on a fresh folder, unmounted on drop; `None` (with the reason
/// printed) where this process may not mount.
struct Tmpfs {
    _dir: tempfile::TempDir,
    mount: PathBuf,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::tempdir().expect("tempdir");
        let mount = dir.path().join("small");
        std::fs::create_dir(&mount).expect("mkdir");
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .stderr(std::process::Stdio::null())
            .status();
        match status {
            Ok(s) if s.success() => Some(Self { _dir: dir, mount }),
            other => {
                eprintln!("skipped: cannot mount a tmpfs here ({other:?}); needs root and mount");
                None
            }
        }
    }

    /// Fills the file system to the last byte.
    fn fill(&self) {
        use std::io::Write as _;
        let mut file = std::fs::File::create(self.mount.join("fill")).expect("fill file");
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        // Tail bytes smaller than a block.
        while file.write_all(&[0]).is_ok() {}
        let _ = file.sync_all();
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(&self.mount)
            .status();
    }
}

#[test]
fn a_full_disk_is_called_full_and_reading_still_works() {
    let Some(fs) = Tmpfs::mount("4m") else {
        return;
    };
    let ws = fs.mount.join("ws");
    let out = dezgah()
        .args(["workspace", "init"])
        .arg(&ws)
        .output()
        .expect("init");
    assert!(out.status.success(), "{}", stderr(&out));
    let examples = fs.mount.join("sft.jsonl");
    std::fs::write(
        &examples,
        r#"{"messages":[{"role":"user","content":"Salam?"},{"role":"assistant","content":"Salam!"}]}"#,
    )
    .expect("write");
    let out = run(&[
        "-w",
        p(&ws),
        "sft",
        "import",
        "--format",
        "messages",
        p(&examples),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let db = ws.join("dezgah.db");
    // A clean close leaves everything in the main file.
    assert!(!ws.join("dezgah.db-wal").exists());
    let before = std::fs::read(&db).expect("read db");
    fs.fill();

    // Reading: info and check work on the full disk.
    let out = run(&["-w", p(&ws), "workspace", "info"]);
    assert!(
        out.status.success(),
        "info on a full disk: {}",
        stderr(&out)
    );
    let info: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(info["counts"]["sft_examples"], 1);
    let out = run(&["-w", p(&ws), "workspace", "check"]);
    assert!(
        out.status.success(),
        "check on a full disk: {}",
        stderr(&out)
    );

    // Writing: the disk is named full, with the folder and the free bytes, and no backup.
    let out = run(&[
        "-w",
        p(&ws),
        "sft",
        "import",
        "--format",
        "messages",
        p(&examples),
    ]);
    let line = fails_with(&out, &["is full", "bytes free", p(&fs.mount)]);
    assert!(!line.contains("backup"), "{line}");
    assert!(!line.contains("not a readable"), "{line}");

    // An export names the file it could not write.
    let target = fs.mount.join("out.jsonl");
    let out = run(&[
        "-w",
        p(&ws),
        "sft",
        "export",
        "--format",
        "messages",
        "--out",
        p(&target),
    ]);
    fails_with(&out, &["out.jsonl: cannot be written", "is full"]);
    assert!(!target.exists());
    assert_eq!(
        std::fs::read(&db).expect("read db"),
        before,
        "database untouched"
    );

    // A new workspace on the full disk: said so, and no empty database left to trip over.
    let fresh = fs.mount.join("yeni");
    let out = dezgah()
        .args(["workspace", "init"])
        .arg(&fresh)
        .output()
        .expect("init");
    fails_with(&out, &["is full"]);
    assert!(
        !fresh.join("dezgah.db").exists(),
        "an empty dezgah.db was left"
    );
}

#[test]
fn export_gguf_on_a_full_disk_names_the_file() {
    let Some(fs) = Tmpfs::mount("2m") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    crate::common::copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed"),
        &ws.join("seed"),
    );
    crate::common::tiny_run(&ws, "kicik");
    fs.fill();
    let gguf = fs.mount.join("model.gguf");
    let run_dir = ws.join("runs/kicik");
    let out = run(&[
        "export",
        "gguf",
        "--run",
        p(&run_dir),
        "--out",
        p(&gguf),
        "--dtype",
        "f32",
    ]);
    let line = fails_with(&out, &["model.gguf: cannot be written", "is full"]);
    assert!(!line.contains("tmp-"), "names the file asked for: {line}");
    let hf = fs.mount.join("hf");
    let out = run(&[
        "export",
        "hf",
        "--run",
        p(&run_dir),
        "--out",
        p(&hf),
        "--dtype",
        "f32",
    ]);
    let line = fails_with(
        &out,
        &[&format!("{}: cannot be written", p(&hf)), "is full"],
    );
    assert!(!line.contains(".hf"), "names the folder asked for: {line}");
    let left: Vec<_> = std::fs::read_dir(&fs.mount)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .filter(|n| n != "fill")
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn an_empty_database_file_is_refused_not_made_a_workspace() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("dezgah.db");
    std::fs::write(&db, b"").expect("write");
    let out = run(&["-w", p(dir.path()), "workspace", "info"]);
    fails_with(
        &out,
        &[
            "dezgah.db is empty (0 bytes)",
            "not a Dəzgah workspace database",
        ],
    );
    assert_eq!(
        std::fs::metadata(&db).expect("stat").len(),
        0,
        "left as found"
    );
}

#[test]
fn text_that_is_not_utf8_is_found_by_check_and_named_by_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ws = dir.path().join("ws");
    let examples = dir.path().join("sft.jsonl");
    std::fs::write(
        &examples,
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Salam?\"},{\"role\":\"assistant\",\"content\":\"Salam!\"}]}\n\
         {\"messages\":[{\"role\":\"user\",\"content\":\"Necəsən?\"},{\"role\":\"assistant\",\"content\":\"Yaxşıyam.\"}]}\n",
    )
    .expect("write");
    let out = run(&[
        "-w",
        p(&ws),
        "sft",
        "import",
        "--format",
        "messages",
        p(&examples),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    {
        let conn = rusqlite::Connection::open(ws.join("dezgah.db")).expect("open");
        let id: i64 = conn
            .query_row("SELECT max(id) FROM sft_examples", [], |r| r.get(0))
            .expect("id");
        conn.execute(
            "UPDATE sft_examples SET domain = CAST(X'C328' AS TEXT) WHERE id = ?1",
            [id],
        )
        .expect("damage");
    }
    let out = run(&["-w", p(&ws), "workspace", "check"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("sft_examples row 2, column domain: the stored text is not valid UTF-8"),
        "{err}"
    );
    let out = run(&[
        "-w",
        p(&ws),
        "sft",
        "export",
        "--format",
        "messages",
        "--out",
        p(&dir.path().join("out.jsonl")),
    ]);
    fails_with(
        &out,
        &["sft_examples row 2, column domain", "not valid UTF-8"],
    );
}

// ------------------------------------------------------------ point 8: validated settings

fn train_config(dir: &Path, optim: &str) -> (PathBuf, Output) {
    let text = sample_text(dir);
    let config = dir.join("run.toml");
    std::fs::write(
        &config,
        format!(
            "data = [\"{}\"]\ntokenizer = \"tok.json\"\n\n[optim]\nmax_steps = 2\n{optim}\n",
            p(&text)
        ),
    )
    .expect("write");
    let out = run(&[
        "train",
        "--config",
        p(&config),
        "--out",
        p(&dir.join("run")),
    ]);
    (config, out)
}

#[test]
fn an_unknown_config_key_is_refused_naming_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (config, out) = train_config(dir.path(), "learning_rate = 5.0");
    let line = fails_with(
        &out,
        &[
            p(&config),
            "line 6",
            "unknown setting `optim.learning_rate`",
            "lr",
        ],
    );
    assert!(!dir.path().join("run").exists(), "{line}");
}

#[test]
fn a_learning_rate_out_of_range_is_refused_with_the_range() {
    for value in ["-1", "inf", "nan", "0"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let (config, out) = train_config(dir.path(), &format!("lr = {value}"));
        fails_with(
            &out,
            &[
                p(&config),
                "line 6",
                "optim.lr = ",
                "must be above 0 and at most 1",
            ],
        );
        assert!(!dir.path().join("run").exists());
    }
}

#[test]
fn train_flags_out_of_range_name_the_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = sample_text(dir.path());
    for (flag, value, rule) in [
        ("--seq-len", "0", "must be at least 2"),
        ("--batch-size", "0", "must be at least 1"),
        ("--lr", "-1", "must be above 0 and at most 1"),
        ("--max-steps", "0", "must be at least 1"),
    ] {
        let run_dir = dir.path().join("run");
        let out = run(&[
            "train",
            "pretrain",
            "--data",
            p(&text),
            "--tokenizer",
            "tok.json",
            "--out",
            p(&run_dir),
            &format!("{flag}={value}"),
        ]);
        fails_with(&out, &[&format!("{flag} {value}: {rule}")]);
        assert!(
            !run_dir.exists(),
            "{flag}: refused before the folder is made"
        );
    }
}

#[test]
fn generate_refuses_sampling_settings_out_of_range() {
    for (flag, value, message) in [
        (
            "--temperature",
            "NaN",
            "--temperature NaN: must be from 0 to 100",
        ),
        ("--top-p", "2", "--top-p 2: must be above 0 and at most 1"),
        ("--top-k", "0", "--top-k 0: must be at least 1"),
        (
            "--repetition-penalty",
            "0",
            "--repetition-penalty 0: must be above 0 and at most 100",
        ),
        (
            "--repetition-penalty",
            "-2",
            "--repetition-penalty -2: must be above 0",
        ),
    ] {
        let out = run(&[
            "generate",
            "--run",
            "no-such-run",
            "--prompt",
            "Salam",
            &format!("{flag}={value}"),
        ]);
        fails_with(&out, &[message]);
    }
}

#[test]
fn quality_thresholds_refuse_nan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = sample_text(dir.path());
    let out_file = dir.path().join("out.jsonl");
    for (set, message) in [
        ("min_words=nan", "min_words must be a whole number"),
        (
            "max_digit_ratio=nan",
            "max_digit_ratio must be a finite number",
        ),
        (
            "max_digit_ratio=2",
            "max_digit_ratio=2: must be from 0 to 1",
        ),
    ] {
        let out = run(&[
            "corpus",
            "filter",
            p(&text),
            "--out",
            p(&out_file),
            "--set",
            set,
        ]);
        fails_with(&out, &[message]);
        assert!(!out_file.exists());
    }
}

#[test]
fn a_vocabulary_below_the_minimum_is_refused_with_the_real_minimum() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = sample_text(dir.path());
    let out_file = dir.path().join("tok.json");
    let special = dezgah::core::tokenizer::TrainConfig::default()
        .special_tokens
        .len();
    for (kind, min) in [("bpe", 256 + special), ("unigram", 256 + special + 2)] {
        let out = run(&[
            "tokenizer",
            "train",
            p(&text),
            "--kind",
            kind,
            "--vocab",
            "10",
            "--out",
            p(&out_file),
        ]);
        fails_with(
            &out,
            &[&format!(
                "--vocab 10: must be at least {min} (256 bytes + {special} special tokens)"
            )],
        );
        assert!(!out_file.exists());
    }
}

#[test]
fn tokenizer_out_under_a_file_or_onto_a_folder_says_so() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = sample_text(dir.path());
    let file = dir.path().join("qeyd");
    std::fs::write(&file, "x").expect("write");
    let under = file.join("tok.json");
    let out = run(&[
        "tokenizer",
        "train",
        p(&text),
        "--vocab",
        "300",
        "--out",
        p(&under),
    ]);
    let line = fails_with(&out, &[&format!("{} is a file, not a folder", p(&file))]);
    assert!(!line.contains("os error"), "{line}");
    let folder = dir.path().join("qovluq");
    std::fs::create_dir(&folder).expect("mkdir");
    let out = run(&[
        "tokenizer",
        "train",
        p(&text),
        "--vocab",
        "300",
        "--out",
        p(&folder),
    ]);
    fails_with(&out, &["is a folder; give the file to write"]);
    // A pipe (or a device such as /dev/null) would be replaced by the file's rename.
    let fifo = dir.path().join("boru");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        let out = run(&[
            "tokenizer",
            "train",
            p(&text),
            "--vocab",
            "300",
            "--out",
            p(&fifo),
        ]);
        fails_with(&out, &["is not a regular file"]);
        assert!(!fifo.is_file(), "the pipe was replaced");
    } else {
        eprintln!("skipped the pipe case: no mkfifo here");
    }
}

#[test]
fn a_damaged_zstd_file_is_one_short_sentence() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in [
        (
            "bad.txt.zst",
            b"\x28\xb5\x2f\xfd\x00\x00garbage-garbage".to_vec(),
        ),
        ("magic.txt.zst", b"not zstd at all, just text".to_vec()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write");
        let out = run(&["corpus", "stats", p(&path)]);
        let line = fails_with(&out, &[name, "not a valid zstd file"]);
        assert!(line.len() < 200, "{} characters: {line}", line.len());
        assert_eq!(line.matches("zstd").count(), 1, "{line}");
    }
}

#[test]
fn an_os_error_is_printed_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("yoxdur.txt");
    let out = run(&["corpus", "stats", p(&missing)]);
    let line = fails_with(&out, &["yoxdur.txt", "(os error 2)"]);
    assert_eq!(line.matches("(os error").count(), 1, "{line}");
}
