//! Dəzgah: an offline workbench for building Azerbaijani language models.
//!
//! `core` is the `dezgah-core` crate (crates/dezgah-core): everything that works without a
//! window, with no egui in its dependencies; `app` and `panels` are the GUI that drives it;
//! `cli` runs the same core headless.

pub mod app;
pub mod cli;
pub mod panels;
pub mod widgets;

/// The core crate under its old path, so `crate::core::…` reads the same in the GUI and CLI.
pub use dezgah_core as core;
pub use dezgah_core::{error_line, i18n};
