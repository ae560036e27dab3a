//! Every user action, as data. Panels return commands; `DezgahApp::logic` applies them once
//! per frame, outside any UI closure, so no drawing code changes state behind another's back.

use std::path::PathBuf;

use crate::app::state::{Area, ThemeChoice};
use crate::core::jobs::JobId;
use crate::i18n::Lang;

#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Open(Area),
    SetLang(Lang),
    SetTheme(ThemeChoice),
    SetAnnotator(String),
    /// Shows the native folder picker, then opens what was picked.
    ChooseWorkspace,
    OpenWorkspace(PathBuf),
    CheckWorkspace,
    CancelJob(JobId),
    DismissJob(JobId),
    /// Shows a folder in the system's file manager.
    RevealFolder(PathBuf),
    /// Closes the window (state is saved on the way out).
    Quit,
}
