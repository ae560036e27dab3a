//! Corpora: reading files as streams of documents, Azerbaijani text rules, cleaning.

pub mod browse;
pub mod clean;
pub mod dedup;
pub mod derive;
pub mod diff;
pub mod exact;
pub mod import;
pub mod index;
pub mod lang;
pub mod progress;
pub mod provenance;
pub mod quality;
pub mod read;
pub mod simd_norm;
pub mod split_words;
pub mod stats;
pub mod text;
pub mod tokens;
pub mod write;
