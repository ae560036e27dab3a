//! The integration tests, linked into one binary: each test file used to be its own binary of
//! ~300 MB, and linking ten of them filled small CI disks and cost minutes on two cores.

mod architecture;
mod cli;
mod clipboard;
mod common;
mod export;
mod file_sizes;
mod fonts;
mod fuzz_readers;
mod gpu_check;
mod gui;
mod gui_corpus;
mod gui_corpus_source;
mod gui_gpu;
mod gui_paths;
mod gui_playground;
mod gui_rating;
mod gui_sft;
mod gui_text;
mod gui_training;
mod i18n;
mod package;
mod rag;
mod reliability_env;
mod reliability_input;
mod reliability_runs;
mod sft_io;
mod shared_corpora;
mod train;
