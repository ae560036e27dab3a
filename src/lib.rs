//! Dəzgah: an offline workbench for building Azerbaijani language models.
//!
//! `core` holds everything that works without a window (store, jobs, workspace) and never
//! imports egui; `app` and `panels` are the GUI that drives it; `cli` runs the same core headless.

pub mod app;
pub mod cli;
pub mod core;
pub mod i18n;
pub mod panels;
pub mod widgets;
