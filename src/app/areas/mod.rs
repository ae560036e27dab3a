//! The work areas as controllers, the way egui's demo app holds its demos. Each area is one
//! type that owns its view state and implements [`AreaController`]: it applies its own
//! commands (matched exhaustively, so a new one nobody handles does not compile), takes the
//! typed result of the jobs it started, forgets what belonged to a workspace that was closed,
//! and draws itself. What areas share (the workspace, the jobs, the language, the native
//! dialog) comes in an [`AppContext`] for changing things and a [`ViewContext`] for drawing.
//!
//! A new area is a folder here (`mod.rs`: the controller and its command enum, `panel.rs`: the
//! drawing) and one line in [`areas!`] below, plus its `Area` entry, its `Command` variant,
//! its messages and its tests.

pub mod playground;
pub mod rating;
pub mod tokenizer;

use crate::app::WorkspaceSlot;
use crate::app::command::Command;
use crate::app::picker::{DialogEnv, DialogHealth, Dialogs};
use crate::app::state::Area;
use crate::core::jobs::{JobId, Jobs, Outcome};
use crate::core::workspace::{Snapshot, Workspace};
use crate::i18n::I18n;

/// What one area does; the app calls these and nothing else of it.
pub trait AreaController {
    /// This area's own commands (a variant of [`Command`] carries them).
    type Command;

    fn apply(&mut self, command: Self::Command, cx: &mut AppContext<'_>);

    /// Every finished job is offered to every area; an area keeps the [`JobHandle`]s of the
    /// jobs it started and takes its typed result from the one whose id this is.
    ///
    /// [`JobHandle`]: crate::core::jobs::JobHandle
    fn job_finished(&mut self, id: JobId, outcome: &Outcome, cx: &mut AppContext<'_>);

    /// Another workspace was opened: drop what belonged to the old one, keep the preferences.
    fn workspace_changed(&mut self, cx: &mut AppContext<'_>);

    /// Once a frame, before drawing (`open`: the area is on screen): read what it shows the
    /// first time it opens, work out what changed since.
    fn frame(&mut self, open: bool, cx: &mut AppContext<'_>) {
        let _ = (open, cx);
    }

    /// Another area changed data this one shows.
    fn data_changed(&mut self, what: Changed) {
        let _ = what;
    }

    /// Draws the area (a workspace is open) and pushes what the user asked for.
    fn ui(&self, ui: &mut egui::Ui, view: &ViewContext<'_>, out: &mut Vec<Command>);
}

/// What an area changed in the workspace that other areas show; the app tells them once the
/// command is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changed {
    /// SFT examples were added or edited.
    SftExamples,
    /// Ratings or adjudications changed (what the DPO form counts).
    Preferences,
    /// Preference items were added (the rating queue reads them again).
    PrefItems,
}

/// What an area may change while applying a command.
pub struct AppContext<'a> {
    pub workspace: &'a mut WorkspaceSlot,
    pub jobs: &'a mut Jobs,
    pub i18n: &'a I18n,
    pub dialogs: &'a mut Dialogs,
    /// The annotator name from Settings (signs ratings and examples).
    pub annotator: &'a str,
    changes: &'a mut Vec<Changed>,
}

impl<'a> AppContext<'a> {
    pub fn new(
        workspace: &'a mut WorkspaceSlot,
        jobs: &'a mut Jobs,
        i18n: &'a I18n,
        dialogs: &'a mut Dialogs,
        annotator: &'a str,
        changes: &'a mut Vec<Changed>,
    ) -> Self {
        Self {
            workspace,
            jobs,
            i18n,
            dialogs,
            annotator,
            changes,
        }
    }

    /// Tells the other areas, once this command is applied, that `what` changed.
    pub fn changed(&mut self, what: Changed) {
        if !self.changes.contains(&what) {
            self.changes.push(what);
        }
    }

    /// The open workspace and what was last read of it; `None` when none could be opened
    /// (the area then has nothing to act on, and the central panel says why).
    pub fn workspace(&self) -> Option<(&Workspace, &Snapshot)> {
        self.workspace.as_open()
    }

    /// Reads the workspace's rows again (after an area added or changed one).
    pub fn refresh_snapshot(&mut self) {
        self.workspace.refresh_snapshot();
    }

    /// Shows a native dialog (a blocking rfd call), learning whether dialogs open here.
    pub fn dialog<T>(&mut self, show: impl FnOnce() -> Option<T>) -> Option<T> {
        self.dialogs.run(&DialogEnv::current(), show)
    }
}

/// What an area reads while drawing: the language and the open workspace as last read.
#[derive(Clone, Copy)]
pub struct ViewContext<'a> {
    pub i18n: &'a I18n,
    pub workspace: &'a Workspace,
    pub snapshot: &'a Snapshot,
    /// The annotator name from Settings (signs ratings and examples).
    pub annotator: &'a str,
    /// Whether picker buttons open a dialog, or need the typed-path field beside them.
    pub dialogs: DialogHealth,
}

/// The list of areas: one line each, `field: Type = Area::Entry`. It makes the [`Areas`] struct,
/// the fan-outs that offer every area a finished job and a workspace change, and the drawing of
/// the open one.
macro_rules! areas {
    ($($field:ident: $area:ty = $entry:path),* $(,)?) => {
        /// Every area that is a controller, each owning its view state.
        #[derive(Debug, Default)]
        pub struct Areas {
            $(pub $field: $area,)*
        }

        impl Areas {
            pub fn job_finished(&mut self, id: JobId, outcome: &Outcome, cx: &mut AppContext<'_>) {
                $(self.$field.job_finished(id, outcome, cx);)*
            }

            pub fn workspace_changed(&mut self, cx: &mut AppContext<'_>) {
                $(self.$field.workspace_changed(cx);)*
            }

            pub fn data_changed(&mut self, what: Changed) {
                $(self.$field.data_changed(what);)*
            }

            /// Each area's once-a-frame work; `open` is the area on screen.
            pub fn frame(&mut self, open: Area, cx: &mut AppContext<'_>) {
                $(self.$field.frame(open == $entry, cx);)*
            }

            /// Draws `area` if it is one of these; `false` for an area the app draws itself.
            pub fn ui(
                &self,
                area: Area,
                ui: &mut egui::Ui,
                view: &ViewContext<'_>,
                out: &mut Vec<Command>,
            ) -> bool {
                $(if area == $entry {
                    self.$field.ui(ui, view, out);
                    return true;
                })*
                false
            }
        }
    };
}

areas! {
    tokenizer: tokenizer::TokenizerArea = Area::Tokenizer,
    rating: rating::RatingArea = Area::Rating,
    playground: playground::PlaygroundArea = Area::Playground,
}
