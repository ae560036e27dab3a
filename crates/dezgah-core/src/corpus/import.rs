//! Importing files into a workspace corpus: every input is streamed into one JSONL file under
//! `corpora/`, statistics are gathered on the way, and the corpus is registered with its
//! sources in the database. Nothing is registered unless the file was written whole.

use std::path::{Path, PathBuf};

use crate::corpus::clean::CleanError;
use crate::corpus::index::{IndexBuilder, IndexError, index_path};
use crate::corpus::progress::InputProgress;
use crate::corpus::read::{DocumentReader, ReadOptions};
use crate::corpus::stats::{CorpusStats, StatsBuilder};
use crate::corpus::write::JsonlSink;
use crate::jobs::JobCtx;
use crate::store::{CorpusSource, Store, StoreError};
use crate::workspace::DB_FILE;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Read(#[from] CleanError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("{0}: nothing to import (no documents)")]
    Empty(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where a corpus's statistics are kept, beside its JSONL.
pub fn stats_path(root: &Path, corpus_rel_path: &str) -> PathBuf {
    root.join(corpus_rel_path).with_extension("stats.json")
}

/// How a source file is named in the browser: its file name, with its parent folder when it
/// came from a folder (laws/civil.txt), never the whole path.
fn source_label(input: &Path) -> String {
    let name = input
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    match input.parent().and_then(Path::file_name) {
        Some(parent) => format!("{}/{name}", parent.to_string_lossy()),
        None => name,
    }
}

/// A name no corpus of the workspace has yet: `name`, else `name-2`, `name-3` …
pub fn free_name(store: &Store, name: &str) -> Result<String, StoreError> {
    let taken: Vec<String> = store.corpora()?.into_iter().map(|c| c.name).collect();
    let mut candidate = name.to_owned();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    Ok(candidate)
}

/// The corpus name for some inputs: a file's name without its extensions, or for a folder or
/// several files, the folder they are in.
pub fn default_name(inputs: &[PathBuf]) -> String {
    let named = match inputs {
        [one] => Some(one.as_path()),
        [first, ..] => first.parent(),
        [] => None,
    };
    let stem = named
        .and_then(|p| p.file_name())
        .map_or_else(|| "korpus".to_owned(), |n| n.to_string_lossy().into_owned());
    let base = stem.split('.').next().unwrap_or(&stem);
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.trim_matches('-').is_empty() {
        "korpus".to_owned()
    } else {
        clean
    }
}

/// Imports `inputs` into the workspace at `root` as one corpus; returns its name and stats.
pub fn import_corpus(
    root: &Path,
    inputs: &[PathBuf],
    name: &str,
    read: &ReadOptions,
    ctx: Option<&JobCtx>,
) -> Result<(String, CorpusStats), ImportError> {
    let (mut store, _) = Store::open(&root.join(DB_FILE))?;
    let name = free_name(&store, name)?;
    let rel = format!("corpora/{name}.jsonl");
    let mut progress = InputProgress::new(ctx, inputs, &root.join(&rel));
    let mut sink = JsonlSink::create(&root.join(&rel))?;
    let mut builder = StatsBuilder::new(true);
    let mut index = IndexBuilder::new();
    let mut sources = Vec::new();
    let mut documents = 0u64;
    let mut bad = crate::corpus::read::BadLineLog::default();
    for input in inputs {
        let mut reader = DocumentReader::open(input, read.clone()).map_err(CleanError::from)?;
        let source = index.source_id(&source_label(input));
        while let Some(doc) = reader.next() {
            let doc = doc.map_err(CleanError::from)?;
            let facts = builder.add(&doc.text);
            let written = sink.write(&doc.id, &doc.text, &doc.extra)?;
            index.add(written, &doc.text, &facts, source);
            documents += 1;
            progress.document(reader.bytes_read)?;
        }
        bad.absorb(&reader.problems);
        progress.file_done(input);
        let bytes = input.metadata().map_or(0, |m| m.len());
        sources.push((input.display().to_string(), bytes));
    }
    if let Some(ctx) = ctx {
        for line in bad.lines() {
            ctx.log(line);
        }
    }
    if documents == 0 {
        return Err(ImportError::Empty(
            inputs
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    sink.finish()?;
    index.finish().save(&index_path(&root.join(&rel)))?;
    let mut stats = builder.finish(50);
    stats.bad_lines = bad.count();
    stats.bad_line_examples = bad.examples();
    let stats_file = stats_path(root, &rel);
    let json = serde_json::to_vec_pretty(&stats).map_err(|e| ImportError::Io {
        path: stats_file.clone(),
        source: e.into(),
    })?;
    crate::write_atomic(&stats_file, &json).map_err(|source| ImportError::Io {
        path: stats_file.clone(),
        source,
    })?;
    let format = match read.text_unit {
        crate::corpus::read::TextUnit::Line => "line",
        crate::corpus::read::TextUnit::Paragraph => "paragraph",
        crate::corpus::read::TextUnit::File => "file",
    };
    store.atomically(|store| {
        let sources: Vec<CorpusSource<'_>> = sources
            .iter()
            .map(|(path, bytes)| CorpusSource {
                path,
                format,
                byte_count: *bytes,
            })
            .collect();
        store.add_corpus_with_sources(&name, &rel, stats.documents, stats.characters, &sources)
    })?;
    progress.finish();
    Ok((name, stats))
}

/// Computes and saves the statistics of a corpus already in the workspace (one imported
/// before statistics were kept, or from the sample seed).
pub fn compute_stats(
    root: &Path,
    corpus_rel_path: &str,
    ctx: Option<&JobCtx>,
) -> Result<CorpusStats, ImportError> {
    let path = root.join(corpus_rel_path);
    let stats = crate::corpus::stats::stats_files(
        std::slice::from_ref(&path),
        &ReadOptions::default(),
        true,
        50,
        ctx,
    )?;
    let stats_file = stats_path(root, corpus_rel_path);
    let json = serde_json::to_vec_pretty(&stats).map_err(|e| ImportError::Io {
        path: stats_file.clone(),
        source: e.into(),
    })?;
    crate::write_atomic(&stats_file, &json).map_err(|source| ImportError::Io {
        path: stats_file,
        source,
    })?;
    Ok(stats)
}

/// Reads saved statistics; `Ok(None)` when there are none yet.
pub fn load_stats(root: &Path, corpus_rel_path: &str) -> Result<Option<CorpusStats>, String> {
    let path = stats_path(root, corpus_rel_path);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Workspace;

    #[test]
    fn import_writes_jsonl_and_stats_and_registers_sources() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = Workspace::open(&dir.path().join("ws")).expect("ws");
        let root = ws.root().to_owned();
        drop(ws);
        let a = dir.path().join("xəbər.txt");
        std::fs::write(&a, "Bakıda hava küləklidir.\n\nQubada qar yağır.\n").expect("write");
        let b = dir.path().join("b.jsonl");
        std::fs::write(
            &b,
            "{\"id\": \"x\", \"text\": \"Şəkidə bayram keçirilir.\"}\n",
        )
        .expect("write");
        let read = ReadOptions::default();
        let (name, stats) = import_corpus(&root, &[a.clone(), b], &default_name(&[a]), &read, None)
            .expect("import");
        assert_eq!(name, "xəbər");
        assert_eq!(stats.documents, 3);
        assert!(root.join("corpora/xəbər.jsonl").is_file());
        assert_eq!(
            load_stats(&root, "corpora/xəbər.jsonl")
                .expect("load")
                .map(|s| s.documents),
            Some(3)
        );
        let ws = Workspace::open(&root).expect("reopen");
        let snap = ws.snapshot().expect("snapshot");
        assert_eq!(snap.corpora[0].doc_count, 3);
        let sources: i64 = ws
            .store()
            .conn()
            .query_row("SELECT count(*) FROM corpus_sources", [], |r| r.get(0))
            .expect("count");
        assert_eq!(sources, 2);
        drop(ws);
        // The same name again gets a suffix.
        let c = dir.path().join("xəbər.md");
        std::fs::write(&c, "Yenə xəbər.\n").expect("write");
        let (second, _) = import_corpus(&root, &[c], "xəbər", &read, None).expect("again");
        assert_eq!(second, "xəbər-2");
    }

    #[test]
    fn an_empty_input_registers_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = Workspace::open(dir.path()).expect("ws");
        let root = ws.root().to_owned();
        drop(ws);
        let empty = dir.path().join("boş.txt");
        std::fs::write(&empty, "\n\n").expect("write");
        let err = import_corpus(&root, &[empty], "boş", &ReadOptions::default(), None)
            .expect_err("empty");
        assert!(err.to_string().contains("boş.txt"), "{err}");
        assert!(!root.join("corpora/boş.jsonl").exists());
        let ws = Workspace::open(&root).expect("reopen");
        assert_eq!(ws.snapshot().expect("snap").counts.corpora, 0);
    }
}
