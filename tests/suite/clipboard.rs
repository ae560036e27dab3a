//! The system clipboard, in the real window under Xvfb: text another program (`xclip`) holds
//! is pasted with Ctrl+V into the tokenizer inspector and the SFT editor, and Ctrl+C in the app
//! hands text back to other programs (`xclip -o`). Skipped, saying why, where Xvfb, xclip or
//! xdotool is missing; every wait is bounded.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dezgah::core::store::Store;
use dezgah::i18n::{I18n, Lang};
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;

use crate::common::{harness_sized, sample_workspace, settle};

/// The real window's inner size (see `main.rs`), and the kittest window's.
const WINDOW: [f32; 2] = [1280.0, 800.0];
const INSPECTED: &str = "Azərbaycan Respublikasının Konstitusiyası — 1995-ci il";
const PROMPT: &str = "Mülki Məcəllənin 1-ci maddəsi nəyi tənzimləyir?";

/// A child process killed (and reaped) however the test ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// An Xvfb server on a free display, and its number.
fn start_xvfb() -> Option<(Killed, u32)> {
    let first = 140 + std::process::id() % 200;
    for display in first..first + 40 {
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{display}"));
        if socket.exists() || Path::new(&format!("/tmp/.X{display}-lock")).exists() {
            continue;
        }
        let child = Command::new("Xvfb")
            .arg(format!(":{display}"))
            .args(["-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut xvfb = Killed(child);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if socket.exists() {
                return Some((xvfb, display));
            }
            if matches!(xvfb.0.try_wait(), Ok(Some(_))) {
                break; // taken meanwhile: try the next one
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    None
}

/// Runs an X client on `display` and returns its stdout, or `None` if it fails or hangs.
fn x(display: u32, program: &str, args: &[&str], input: Option<&str>) -> Option<String> {
    let mut child = Command::new(program)
        .args(args)
        .env("DISPLAY", format!(":{display}"))
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(if input.is_some() {
            // xclip -i stays behind to serve the selection: it must not hold our pipe.
            Stdio::null()
        } else {
            Stdio::piped()
        })
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(text.as_bytes()).ok()?;
    }
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut out = String::new();
                if let Some(mut stdout) = child.stdout.take() {
                    std::io::Read::read_to_string(&mut stdout, &mut out).ok()?;
                }
                return status.success().then_some(out);
            }
            Ok(None) if started.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

fn set_clipboard(display: u32, text: &str) {
    x(
        display,
        "xclip",
        &["-selection", "clipboard", "-i"],
        Some(text),
    )
    .expect("xclip takes the clipboard");
    // xclip's server forks off; give it a moment to own the selection.
    std::thread::sleep(Duration::from_millis(300));
}

fn clipboard(display: u32) -> String {
    x(display, "xclip", &["-selection", "clipboard", "-o"], None).unwrap_or_default()
}

fn xdotool(display: u32, args: &[&str]) {
    x(display, "xdotool", args, None).expect("xdotool");
    std::thread::sleep(Duration::from_millis(400));
}

/// With DEZGAH_LOOK=DIR, a screenshot of the whole display (as `look` does for kittest).
fn shot(display: u32, name: &str) {
    if let Ok(dir) = std::env::var("DEZGAH_LOOK") {
        let out = format!("{dir}/{name}.png");
        let script = format!("xwd -root -silent | convert xwd:- '{out}'");
        let _ = x(display, "sh", &["-c", &script], None);
    }
}

fn click(display: u32, at: egui::Pos2) {
    let (px, py) = (at.x.round().to_string(), at.y.round().to_string());
    xdotool(display, &["mousemove", "--sync", &px, &py, "click", "1"]);
}

/// Where the tokenizer's row and, once it is selected, the inspector's text field are, asked of
/// the same app in kittest at the real window's size (no hook in the app for the test).
fn inspector_layout(ws: &Path, lang: Lang, tokenizer: &str) -> (egui::Pos2, egui::Pos2) {
    let i18n = I18n::new(lang);
    let exe = Path::new(env!("CARGO_BIN_EXE_dezgah"));
    let mut harness = harness_sized(ws, lang, exe, WINDOW);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num2);
    settle(&mut harness);
    let row = harness.get_by_label(tokenizer).rect().center();
    harness.get_by_label(tokenizer).click();
    settle(&mut harness);
    let field = harness
        .get_by_role_and_label(Role::MultilineTextInput, &i18n.tr("tokenizer-inspect-text"))
        .rect()
        .center();
    assert!(
        field.y < WINDOW[1] - 60.0,
        "the inspector must be on screen without scrolling: {field:?}"
    );
    (row, field)
}

#[test]
fn the_real_window_pastes_from_and_copies_to_the_system_clipboard() {
    for tool in ["Xvfb", "xclip", "xdotool"] {
        if !on_path(tool) {
            eprintln!("skipped: {tool} is not installed (scripts/setup.sh installs it)");
            return;
        }
    }
    let Some((_xvfb, display)) = start_xvfb() else {
        eprintln!("skipped: no Xvfb display could start");
        return;
    };
    let lang = Lang::Az;
    let (tmp, ws) = sample_workspace();
    let corpora = dezgah::core::workspace::Workspace::open(&ws)
        .expect("open")
        .snapshot()
        .expect("snapshot")
        .corpora;
    let (tokenizer, _) = dezgah::core::tokenizer::train_in_workspace(
        &ws,
        &corpora,
        "bpe-pano",
        &dezgah::core::tokenizer::TrainConfig {
            kind: dezgah::core::tokenizer::Kind::Bpe,
            vocab_size: 600,
            ..dezgah::core::tokenizer::TrainConfig::default()
        },
        None,
    )
    .expect("tokenizer");
    let (row, field) = inspector_layout(&ws, lang, &tokenizer);

    let xdg = tmp.path().join("xdg");
    std::fs::create_dir_all(&xdg).expect("mkdir");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&xdg, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    }
    let app = Command::new(env!("CARGO_BIN_EXE_dezgah"))
        .args(["--workspace"])
        .arg(&ws)
        .args(["--area", "tokenizer", "--lang", lang.code()])
        .env("DISPLAY", format!(":{display}"))
        .env("XDG_DATA_HOME", tmp.path().join("data"))
        .env("XDG_RUNTIME_DIR", &xdg)
        .env("WINIT_X11_SCALE_FACTOR", "1")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the app");
    let mut app = Killed(app);

    // The window is up once xdotool finds it; then a moment for the first frames.
    let started = Instant::now();
    let window = loop {
        let found = x(
            display,
            "xdotool",
            &["search", "--onlyvisible", "--class", "dezgah"],
            None,
        );
        if let Some(id) = found
            .as_deref()
            .and_then(|ids| ids.split_whitespace().last())
        {
            break id.to_owned();
        }
        assert!(
            app.0.try_wait().expect("poll").is_none(),
            "the app exited before its window showed"
        );
        assert!(
            started.elapsed() < Duration::from_mins(1),
            "no window within a minute"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    std::thread::sleep(Duration::from_secs(3));
    // No window manager gives it the keyboard: take it, as a click on a desktop would.
    xdotool(display, &["windowfocus", "--sync", &window]);

    // The inspector: paste what another program copied.
    click(display, row);
    click(display, field);
    set_clipboard(display, INSPECTED);
    xdotool(display, &["key", "ctrl+v"]);
    shot(display, "clipboard_inspector");
    // Another program takes the clipboard; copying in the app takes it back.
    set_clipboard(display, "başqa proqram");
    xdotool(display, &["key", "ctrl+a"]);
    xdotool(display, &["key", "ctrl+c"]);
    assert_eq!(
        clipboard(display),
        INSPECTED,
        "the inspector's text, pasted then copied out"
    );

    // The SFT editor: a new example, its first turn pasted into.
    xdotool(display, &["key", "Escape"]);
    xdotool(display, &["key", "ctrl+3"]);
    // The list is read when the area opens.
    std::thread::sleep(Duration::from_secs(1));
    xdotool(display, &["key", "ctrl+n"]);
    set_clipboard(display, PROMPT);
    xdotool(display, &["key", "ctrl+v"]);
    shot(display, "clipboard_sft");
    set_clipboard(display, "başqa proqram");
    xdotool(display, &["key", "ctrl+a"]);
    xdotool(display, &["key", "ctrl+c"]);
    assert_eq!(
        clipboard(display),
        PROMPT,
        "the turn's text, pasted then copied out"
    );
    // Ctrl+Q saves and closes; the pasted turn is in the workspace.
    xdotool(display, &["key", "ctrl+q"]);
    let started = Instant::now();
    while app.0.try_wait().expect("poll").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the app did not close on Ctrl+Q"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (store, _) = Store::open(&ws.join("dezgah.db")).expect("open the workspace");
    let saved = store.sft_examples_full().expect("examples");
    assert!(
        saved
            .iter()
            .any(|e| e.messages.first().is_some_and(|m| m.content == PROMPT)),
        "the pasted prompt is saved as an example's first turn"
    );
}
