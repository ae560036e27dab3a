//! Whether the native file dialog can open here, and the typed path that stands in for it.
//!
//! rfd's xdg-portal backend talks to the desktop portal over D-Bus and falls back to `zenity`;
//! with neither it logs a line and returns `None` at once, exactly as a cancelled dialog does.
//! [`Dialogs`] tells the two apart (nothing to talk to, or a "cancel" faster than a person can
//! click) and remembers for the session, so the areas can offer a path field instead.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A dialog that returns nothing sooner than this never showed: a person needs longer to see
/// it and press Cancel.
pub const SHOWN_AT_LEAST: Duration = Duration::from_millis(400);

/// What this session has learned about the native dialog.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DialogHealth {
    /// Not asked for yet.
    #[default]
    Untried,
    /// A dialog opened (or at least took a person's time to answer).
    Opened,
    /// It cannot open here: the areas show a path field.
    Unavailable,
}

/// The part of the environment that decides whether rfd has anything to talk to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialogEnv {
    /// A D-Bus session bus is reachable (the portal's way in).
    pub session_bus: bool,
    /// `zenity` is on PATH (rfd's fallback).
    pub zenity: bool,
    /// An X11 or Wayland display to show zenity on.
    pub display: bool,
}

impl DialogEnv {
    /// Reads this process's environment.
    pub fn current() -> Self {
        let var = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let bus_socket = std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| Path::new(&dir).join("bus").exists());
        Self {
            session_bus: var("DBUS_SESSION_BUS_ADDRESS") || bus_socket,
            zenity: on_path("zenity"),
            display: var("DISPLAY") || var("WAYLAND_DISPLAY"),
        }
    }

    /// Whether rfd could show anything at all (only Linux and the BSDs need a portal or zenity).
    pub fn can_try(&self) -> bool {
        if !cfg!(any(
            target_os = "linux",
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "netbsd",
            target_os = "openbsd"
        )) {
            return true;
        }
        self.session_bus || (self.zenity && self.display)
    }
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths)
            .any(|dir| std::fs::metadata(dir.join(program)).is_ok_and(|m| m.is_file()))
    })
}

/// The native dialog, as this session knows it.
#[derive(Debug, Clone, Default)]
pub struct Dialogs {
    pub health: DialogHealth,
}

impl Dialogs {
    /// A session where the dialog is known not to open (the GUI tests start so).
    pub fn unavailable() -> Self {
        Self {
            health: DialogHealth::Unavailable,
        }
    }

    /// Shows a dialog through `show` (a blocking rfd call) and learns from how it went.
    pub fn run<T>(&mut self, env: &DialogEnv, show: impl FnOnce() -> Option<T>) -> Option<T> {
        if !env.can_try() {
            self.mark_unavailable("no D-Bus session for a desktop portal, and no zenity");
            return None;
        }
        let started = Instant::now();
        let picked = show();
        self.learn(picked.is_some(), started.elapsed());
        picked
    }

    /// Learns from one dialog: something picked, or a person's time spent, means it opened.
    pub fn learn(&mut self, picked: bool, took: Duration) {
        if picked || took >= SHOWN_AT_LEAST {
            self.health = DialogHealth::Opened;
        } else {
            self.mark_unavailable("the dialog returned at once");
        }
    }

    fn mark_unavailable(&mut self, why: &str) {
        if self.health != DialogHealth::Unavailable {
            log::warn!(
                "file dialog unavailable ({why}); the areas offer a path field instead \
                 (install xdg-desktop-portal-gtk or zenity to get the dialog)"
            );
        }
        self.health = DialogHealth::Unavailable;
    }
}

/// What a typed path is for, which decides what must already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathMode {
    /// A file to read.
    OpenFile,
    /// A file, or a folder whose files are read.
    OpenFileOrFolder,
    /// A file to write: its folder must exist.
    SaveFile,
}

/// Why a typed path was not taken; each names the path as the user will recognise it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    Empty,
    NotFound(PathBuf),
    /// A folder where a file is wanted.
    IsFolder(PathBuf),
    /// The folder a file would be written into does not exist.
    NoFolder(PathBuf),
}

impl PathProblem {
    /// The message id and the path to show with it.
    pub fn message(&self) -> (&'static str, Option<&Path>) {
        match self {
            Self::Empty => ("path-empty", None),
            Self::NotFound(p) => ("path-not-found", Some(p)),
            Self::IsFolder(p) => ("path-is-folder", Some(p)),
            Self::NoFolder(p) => ("path-no-folder", Some(p)),
        }
    }
}

/// Reads a typed or pasted path: surrounding quotes (a file manager's "copy path"), a
/// `file://` URI (a browser's or a file manager's drag), and `~/` are understood.
pub fn parse_typed_path(text: &str, home: Option<&Path>) -> Option<PathBuf> {
    let mut s = text.trim();
    for quote in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(quote) && s.ends_with(quote) {
            s = &s[1..s.len() - 1];
        }
    }
    if s.is_empty() {
        return None;
    }
    if let Some(rest) = s.strip_prefix("file://") {
        // file:///home/x or file://localhost/home/x
        let rest = rest.strip_prefix("localhost").unwrap_or(rest);
        return Some(PathBuf::from(percent_decode(rest)));
    }
    if let (Some(rest), Some(home)) = (s.strip_prefix("~/"), home) {
        return Some(home.join(rest));
    }
    if s == "~"
        && let Some(home) = home
    {
        return Some(home.to_owned());
    }
    Some(PathBuf::from(s))
}

/// `%20` and friends back to bytes; a malformed escape is kept as typed.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A typed path, checked for what it is for.
pub fn check_typed_path(text: &str, mode: PathMode) -> Result<PathBuf, PathProblem> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let path = parse_typed_path(text, home.as_deref()).ok_or(PathProblem::Empty)?;
    match mode {
        PathMode::OpenFile | PathMode::OpenFileOrFolder => {
            let meta = std::fs::metadata(&path).map_err(|_| PathProblem::NotFound(path.clone()))?;
            if mode == PathMode::OpenFile && meta.is_dir() {
                return Err(PathProblem::IsFolder(path));
            }
        }
        PathMode::SaveFile => {
            if path.is_dir() {
                return Err(PathProblem::IsFolder(path));
            }
            let folder = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if !folder.is_dir() {
                return Err(PathProblem::NoFolder(folder.to_owned()));
            }
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dialog_with_nothing_to_talk_to_is_not_shown_and_is_remembered() {
        let env = DialogEnv::default();
        if env.can_try() {
            return; // not a portal platform
        }
        let mut dialogs = Dialogs::default();
        let mut shown = false;
        let picked: Option<PathBuf> = dialogs.run(&env, || {
            shown = true;
            Some(PathBuf::from("x"))
        });
        assert!(!shown && picked.is_none());
        assert_eq!(dialogs.health, DialogHealth::Unavailable);
    }

    #[test]
    fn an_instant_none_means_unavailable_and_a_slow_one_a_cancel() {
        let env = DialogEnv {
            session_bus: true,
            ..DialogEnv::default()
        };
        let mut dialogs = Dialogs::default();
        let none: Option<PathBuf> = dialogs.run(&env, || None);
        assert!(none.is_none());
        assert_eq!(dialogs.health, DialogHealth::Unavailable);

        let mut dialogs = Dialogs::default();
        let none: Option<PathBuf> = dialogs.run(&env, || {
            std::thread::sleep(SHOWN_AT_LEAST + Duration::from_millis(20));
            None
        });
        assert!(none.is_none());
        assert_eq!(dialogs.health, DialogHealth::Opened);

        // A dialog that works again after a failure is believed.
        let mut dialogs = Dialogs::unavailable();
        let picked = dialogs.run(&env, || Some(1));
        assert_eq!(picked, Some(1));
        assert_eq!(dialogs.health, DialogHealth::Opened);
    }

    #[test]
    fn zenity_needs_a_display_and_the_portal_a_bus() {
        let zenity_only = DialogEnv {
            zenity: true,
            ..DialogEnv::default()
        };
        let with_display = DialogEnv {
            display: true,
            ..zenity_only.clone()
        };
        if cfg!(target_os = "linux") {
            assert!(!zenity_only.can_try());
            assert!(with_display.can_try());
            assert!(
                DialogEnv {
                    session_bus: true,
                    ..DialogEnv::default()
                }
                .can_try()
            );
        }
    }

    #[test]
    fn pasted_paths_lose_quotes_uris_and_tilde() {
        let home = Path::new("/home/aysel");
        let parse = |s| parse_typed_path(s, Some(home));
        assert_eq!(parse("  /tmp/a.txt \n"), Some(PathBuf::from("/tmp/a.txt")));
        assert_eq!(
            parse("'/tmp/Mülki Məcəllə.txt'"),
            Some(PathBuf::from("/tmp/Mülki Məcəllə.txt"))
        );
        assert_eq!(parse("\"/tmp/b c\""), Some(PathBuf::from("/tmp/b c")));
        assert_eq!(
            parse("file:///tmp/M%C3%BClki%20kod.txt"),
            Some(PathBuf::from("/tmp/Mülki kod.txt"))
        );
        assert_eq!(
            parse("file://localhost/tmp/x%2"),
            Some(PathBuf::from("/tmp/x%2"))
        );
        assert_eq!(parse("~/korpus"), Some(PathBuf::from("/home/aysel/korpus")));
        assert_eq!(parse("   "), None);
        assert_eq!(parse("''"), None);
    }

    #[test]
    fn typed_paths_are_checked_for_what_they_are_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "salam").expect("write");
        let text = |p: &Path| p.display().to_string();

        assert_eq!(
            check_typed_path(&text(&file), PathMode::OpenFile),
            Ok(file.clone())
        );
        assert_eq!(
            check_typed_path(&text(dir.path()), PathMode::OpenFile),
            Err(PathProblem::IsFolder(dir.path().to_owned()))
        );
        assert_eq!(
            check_typed_path(&text(dir.path()), PathMode::OpenFileOrFolder),
            Ok(dir.path().to_owned())
        );
        let missing = dir.path().join("yox.txt");
        assert_eq!(
            check_typed_path(&text(&missing), PathMode::OpenFile),
            Err(PathProblem::NotFound(missing.clone()))
        );
        assert_eq!(
            check_typed_path(&text(&missing), PathMode::SaveFile),
            Ok(missing)
        );
        let nowhere = dir.path().join("yox").join("b.jsonl");
        assert_eq!(
            check_typed_path(&text(&nowhere), PathMode::SaveFile),
            Err(PathProblem::NoFolder(dir.path().join("yox")))
        );
        assert_eq!(
            check_typed_path(" ", PathMode::SaveFile),
            Err(PathProblem::Empty)
        );
    }
}
