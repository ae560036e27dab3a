//! Issue 22, points 3, 4 and 9 as regression tests: no dead-end run folders, no orphaned
//! temporary files after kills, and outputs whose mode follows the umask. Each case runs the
//! real binary on tiny inputs, as a user (or a crash) would.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dezgah::core::corpus::read::ReadOptions;
use dezgah::core::model::{ModelConfig, Preset};
use dezgah::core::tmpfile;
use dezgah::core::tokenizer::{Kind, TrainConfig};
use dezgah::core::train::{RunConfig, Stage};

use crate::cli::dezgah;

/// A PID no process has: above the kernel's largest (2^22).
const DEAD_PID: u32 = 4_000_000_000;

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample/seed/corpora");
    vec![dir.join("nesr.txt"), dir.join("elm.txt")]
}

fn tokenizer(dir: &Path) -> PathBuf {
    let out = dir.join("tok.json");
    let cfg = TrainConfig {
        kind: Kind::Bpe,
        vocab_size: 400,
        ..TrainConfig::default()
    };
    dezgah::core::tokenizer::train(&corpus(), &ReadOptions::default(), &cfg, &out, None)
        .expect("train tokenizer");
    out
}

/// A run configuration file for a very small model.
fn run_toml(dir: &Path, tok: &Path, name: &str, steps: usize, every: usize) -> PathBuf {
    let mut cfg = RunConfig::for_stage(Stage::Pretrain);
    cfg.data = corpus();
    tok.clone_into(&mut cfg.tokenizer);
    cfg.model = Some(ModelConfig {
        vocab_size: 0,
        hidden_size: 32,
        intermediate_size: 64,
        num_hidden_layers: 1,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 64,
        ..Preset::Tiny.config(0)
    });
    cfg.optim.max_steps = steps;
    cfg.optim.batch_size = 2;
    cfg.optim.seq_len = 16;
    cfg.optim.warmup_steps = 1;
    cfg.eval_every = 0;
    cfg.eval_batches = 1;
    cfg.sample_every = 0;
    cfg.checkpoint_every = every;
    let path = dir.join(name);
    std::fs::write(&path, cfg.to_toml().expect("toml")).expect("write");
    path
}

fn ok(cmd: &mut Command) -> (String, String) {
    let out = cmd.output().expect("run dezgah");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "{cmd:?} failed:\n{stderr}");
    (stdout, stderr)
}

fn refused(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run dezgah");
    assert!(!out.status.success(), "{cmd:?} was not refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Starts a long run into `run` and SIGKILLs it once it has logged a step, before any checkpoint.
fn kill_before_first_checkpoint(long_toml: &Path, run: &Path) {
    let mut child = dezgah()
        .args(["train", "--config"])
        .arg(long_toml)
        .arg("--out")
        .arg(run)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_mins(2);
    while !std::fs::read_to_string(run.join("metrics.jsonl")).is_ok_and(|m| !m.is_empty()) {
        assert!(Instant::now() < deadline, "the run never logged a step");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(
        dezgah::core::train::checkpoint::list(run).is_empty(),
        "a checkpoint was written before the kill"
    );
}

/// Every name under `dir` that is a temp of ours (or any hidden `tmp`/`old` leftover).
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if tmpfile::writer_pid(&name).is_some()
            || (name.starts_with('.') && (name.contains("tmp") || name.contains("old")))
        {
            out.push(entry.path());
        }
        if entry.path().is_dir() {
            out.extend(leftovers(&entry.path()));
        }
    }
    out
}

#[test]
fn refusals_checkable_before_training_leave_no_folder() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path());
    let run = tmp.path().join("run");
    let base = |cmd: &mut Command| {
        cmd.args(["train", "pretrain", "--max-steps", "2", "--tokenizer"])
            .arg(&tok)
            .arg("--out")
            .arg(&run);
    };
    let mut cmd = dezgah();
    base(&mut cmd);
    let err = refused(
        cmd.arg("--data")
            .args(corpus())
            .args(["--seq-len", "100000"]),
    );
    assert!(err.contains("context"), "{err}");
    assert!(!run.exists(), "the seq-len refusal made the folder");
    let mut cmd = dezgah();
    base(&mut cmd);
    let err = refused(cmd.arg("--data").arg(tmp.path().join("missing.txt")));
    assert!(err.contains("missing.txt"), "{err}");
    assert!(!run.exists(), "the missing-data refusal made the folder");
    let mut cmd = dezgah();
    base(&mut cmd);
    let err = refused(
        cmd.arg("--data")
            .args(corpus())
            .arg("--init")
            .arg(tmp.path().join("no-base")),
    );
    assert!(err.contains("no-base"), "{err}");
    assert!(!run.exists(), "the missing-base refusal made the folder");
}

#[test]
fn a_run_killed_before_its_first_checkpoint_can_be_resumed_or_restarted() {
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path());
    let long = run_toml(tmp.path(), &tok, "long.toml", 1_000_000, 1_000_000);
    let short = run_toml(tmp.path(), &tok, "short.toml", 3, 1_000);

    // --resume starts it again from step 0, saying so.
    let run = tmp.path().join("resumed");
    kill_before_first_checkpoint(&long, &run);
    let err = refused(
        dezgah()
            .args(["train", "--config"])
            .arg(&short)
            .arg("--out")
            .arg(&run),
    );
    assert!(
        err.contains("--restart") && err.contains("--resume"),
        "{err}"
    );
    // The killed run's own settings, shortened so the test ends.
    std::fs::copy(&short, run.join("config.toml")).expect("shorten");
    let (stdout, _) = ok(dezgah().args(["train", "--resume"]).arg(&run));
    assert!(
        stdout.contains("starting the run again from step 0"),
        "{stdout}"
    );
    let steps: Vec<u64> = std::fs::read_to_string(run.join("metrics.jsonl"))
        .expect("metrics")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("step").and_then(serde_json::Value::as_u64))
        .collect();
    assert_eq!(steps, [1, 2, 3], "the killed run's steps were kept");
    assert!(!dezgah::core::train::checkpoint::list(&run).is_empty());
    // A folder with checkpoints is never wiped by --restart.
    let err = refused(
        dezgah()
            .args(["train", "--restart", "--config"])
            .arg(&short)
            .arg("--out")
            .arg(&run),
    );
    assert!(err.contains("holds checkpoints"), "{err}");
    assert!(!dezgah::core::train::checkpoint::list(&run).is_empty());

    // --restart starts a fresh run in a killed run's folder.
    let run = tmp.path().join("restarted");
    kill_before_first_checkpoint(&long, &run);
    ok(dezgah()
        .args(["train", "--restart", "--config"])
        .arg(&short)
        .arg("--out")
        .arg(&run));
    let cfg = std::fs::read_to_string(run.join("config.toml")).expect("config");
    assert!(cfg.contains("max_steps = 3"), "{cfg}");
    assert_eq!(
        dezgah::core::train::checkpoint::list(&run)
            .last()
            .map(|(s, _)| *s),
        Some(3)
    );
    assert!(leftovers(&run).is_empty(), "{:?}", leftovers(&run));
}

#[test]
fn stale_temps_are_swept_by_the_next_write_and_by_workspace_check() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out_dir = tmp.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");
    let dead = out_dir.join(format!(".təmiz.jsonl.dezgah-tmp-{DEAD_PID}-0badf00d"));
    std::fs::write(&dead, vec![b'x'; 1500]).expect("write");
    let legacy = out_dir.join(format!(".model.gguf.tmp-{}", DEAD_PID + 1));
    std::fs::write(&legacy, vec![b'x'; 500]).expect("write");
    // This test process is alive: its temp must survive every sweep.
    let live = out_dir.join(format!(
        ".təmiz.jsonl.dezgah-tmp-{}-00c0ffee",
        std::process::id()
    ));
    std::fs::write(&live, b"being written").expect("write");
    ok(dezgah()
        .args(["corpus", "clean", "--all", "--out"])
        .arg(out_dir.join("təmiz.jsonl"))
        .args(corpus()));
    assert!(
        !dead.exists() && !legacy.exists(),
        "stale temps survived the next write"
    );
    assert!(live.exists(), "a live writer's temp was removed");

    let ws = tmp.path().join("ws");
    ok(dezgah().args(["workspace", "init", "-w"]).arg(&ws));
    let ckpts = ws.join("runs/r/checkpoints");
    let dead_ckpt = ckpts.join(format!(".step-0000002.dezgah-tmp-{DEAD_PID}-00000001"));
    std::fs::create_dir_all(&dead_ckpt).expect("mkdir");
    std::fs::write(dead_ckpt.join("model.safetensors"), vec![0u8; 2000]).expect("write");
    let dead_corpus = ws.join(format!("corpora/.c.jsonl.dezgah-tmp-{DEAD_PID}-00000002"));
    std::fs::write(&dead_corpus, vec![0u8; 1000]).expect("write");
    let live_ws = ws.join(format!(
        "corpora/.d.jsonl.dezgah-tmp-{}-3",
        std::process::id()
    ));
    std::fs::write(&live_ws, b"live").expect("write");
    let (stdout, _) = ok(dezgah().args(["workspace", "check", "-w"]).arg(&ws));
    assert!(
        stdout.contains("removed 2 stale temporary files") && stdout.contains("3.0 kB reclaimed"),
        "{stdout}"
    );
    assert!(!dead_ckpt.exists() && !dead_corpus.exists());
    assert!(live_ws.exists(), "a live writer's temp was removed");
    let (stdout, _) = ok(dezgah().args(["workspace", "check", "-w"]).arg(&ws));
    assert!(!stdout.contains("reclaimed"), "{stdout}");
}

/// A small deterministic generator for the kill moments (no dependency for three numbers).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// SIGKILLs `cmd` `kills` times at random moments up to `window_ms` after it starts; returns
/// how many kills left a temp of ours in `dir` (each next write sweeps the one before).
fn kill_loop(
    kills: usize,
    window_ms: u64,
    rng: &mut Lcg,
    dir: &Path,
    cmd: &dyn Fn() -> Command,
) -> usize {
    let mut hits = 0;
    for _ in 0..kills {
        let mut child = cmd()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(rng.below(window_ms)));
        let _ = child.kill();
        child.wait().expect("wait");
        hits += usize::from(!leftovers(dir).is_empty());
    }
    hits
}

#[test]
fn kill_loops_of_every_writer_leave_nothing_behind() {
    // 20 in the suite; DEZGAH_KILLS=50 for the full count.
    let kills: usize = std::env::var("DEZGAH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let tmp = tempfile::tempdir().expect("tmp");
    let mut rng = Lcg(22);
    let tok = tokenizer(tmp.path());

    // corpus clean: a few MB of output, killed while it writes.
    let big = tmp.path().join("big.txt");
    let text: String = corpus()
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect::<Vec<_>>()
        .join("\n\n");
    std::fs::write(&big, text.repeat(40)).expect("write");
    let clean_dir = tmp.path().join("clean");
    std::fs::create_dir(&clean_dir).expect("mkdir");
    let clean = || {
        let mut cmd = dezgah();
        cmd.args(["corpus", "clean", "--all", "--out"])
            .arg(clean_dir.join("o.jsonl"))
            .arg(&big);
        cmd
    };
    let hit_clean = kill_loop(kills, 400, &mut rng, &clean_dir, &clean);
    // The kills really hit a writer (a loop that never did would prove nothing).
    assert!(
        hit_clean > 0,
        "no kill of corpus clean left a temp to sweep"
    );
    ok(&mut clean());

    // training writing a checkpoint every step, killed at random; then resumed to the end.
    let toml = run_toml(tmp.path(), &tok, "every.toml", 40, 1);
    let run = tmp.path().join("run");
    let train = || {
        let mut cmd = dezgah();
        if run.join("config.toml").exists() {
            cmd.args(["train", "--resume"]).arg(&run);
        } else {
            cmd.args(["train", "--config"])
                .arg(&toml)
                .arg("--out")
                .arg(&run);
        }
        cmd
    };
    let hit_train = kill_loop(kills, 1_500, &mut rng, &run, &train);
    ok(&mut train());
    assert_eq!(
        dezgah::core::train::checkpoint::list(&run)
            .last()
            .map(|(s, _)| *s),
        Some(40)
    );

    // export gguf, killed while it writes.
    let gguf_dir = tmp.path().join("gguf");
    std::fs::create_dir(&gguf_dir).expect("mkdir");
    let export = || {
        let mut cmd = dezgah();
        cmd.args(["export", "gguf", "--dtype", "f32", "--run"])
            .arg(&run)
            .arg("--out")
            .arg(gguf_dir.join("m.gguf"));
        cmd
    };
    let hit_export = kill_loop(kills, 400, &mut rng, &gguf_dir, &export);
    eprintln!("temps left by the kills: clean {hit_clean}, train {hit_train}, export {hit_export}");
    ok(&mut export());

    for dir in [&clean_dir, &run, &gguf_dir] {
        let left = leftovers(dir);
        assert!(left.is_empty(), "left behind after kills: {left:?}");
    }
    assert!(clean_dir.join("o.jsonl").is_file() && gguf_dir.join("m.gguf").is_file());
}

#[cfg(unix)]
#[test]
fn outputs_are_created_with_the_umask_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().expect("tmp");
    let tok = tokenizer(tmp.path());
    let toml = run_toml(tmp.path(), &tok, "r.toml", 2, 1);
    let under = |umask: &str, args: &[&std::ffi::OsStr]| {
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(format!("umask {umask}; exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_dezgah"))
            .args(args)
            .env("RUST_LOG", "off");
        ok(&mut cmd);
    };
    let mode = |p: &Path| {
        std::fs::metadata(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let os = |s: &Path| s.as_os_str().to_owned();
    let run = tmp.path().join("run");
    under(
        "022",
        &[
            "train".as_ref(),
            "--config".as_ref(),
            &os(&toml),
            "--out".as_ref(),
            &os(&run),
        ],
    );
    let ckpt = dezgah::core::train::checkpoint::list(&run)
        .last()
        .map(|(_, p)| p.clone())
        .expect("checkpoint");
    let mut files = vec![
        run.join("config.toml"),
        run.join("tokenizer.json"),
        ckpt.join("model.safetensors"),
        ckpt.join("optimizer.safetensors"),
    ];
    let cleaned = tmp.path().join("c.jsonl");
    let deduped = tmp.path().join("d.jsonl");
    let mut clean: Vec<std::ffi::OsString> = vec![
        "corpus".into(),
        "clean".into(),
        "--all".into(),
        "--out".into(),
    ];
    clean.push(os(&cleaned));
    clean.extend(corpus().iter().map(|p| os(p)));
    under("022", &clean.iter().map(AsRef::as_ref).collect::<Vec<_>>());
    under(
        "022",
        &[
            "corpus".as_ref(),
            "dedup".as_ref(),
            "--out".as_ref(),
            &os(&deduped),
            &os(&cleaned),
        ],
    );
    files.extend([cleaned.clone(), deduped]);
    let hf = tmp.path().join("hf");
    let gguf = tmp.path().join("m.gguf");
    under(
        "022",
        &[
            "export".as_ref(),
            "hf".as_ref(),
            "--run".as_ref(),
            &os(&run),
            "--out".as_ref(),
            &os(&hf),
        ],
    );
    under(
        "022",
        &[
            "export".as_ref(),
            "gguf".as_ref(),
            "--run".as_ref(),
            &os(&run),
            "--out".as_ref(),
            &os(&gguf),
        ],
    );
    for entry in std::fs::read_dir(&hf).expect("hf folder").flatten() {
        files.push(entry.path());
    }
    files.push(gguf);
    for file in &files {
        assert_eq!(mode(file), 0o644, "{}", file.display());
    }
    // Not a fixed 0644: a stricter umask is followed too.
    let strict = tmp.path().join("strict.jsonl");
    let mut clean: Vec<std::ffi::OsString> = vec![
        "corpus".into(),
        "clean".into(),
        "--all".into(),
        "--out".into(),
    ];
    clean.push(os(&strict));
    clean.extend(corpus().iter().map(|p| os(p)));
    under("027", &clean.iter().map(AsRef::as_ref).collect::<Vec<_>>());
    assert_eq!(mode(&strict), 0o640);
}
