//! A workspace's tokenizers: trained or copied into `tokenizers/NAME/` and registered.

use std::path::{Path, PathBuf};

use super::{Kind, Loaded, TokenizerError, TrainConfig, TrainReport, save, train};
use crate::corpus::read::ReadOptions;
use crate::jobs::JobCtx;

/// A tokenizer name no tokenizer of the workspace has yet.
fn free_tokenizer_name(
    store: &crate::store::Store,
    name: &str,
) -> Result<String, crate::store::StoreError> {
    let taken: Vec<String> = store.tokenizers()?.into_iter().map(|t| t.name).collect();
    let clean: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let base = if clean.trim_matches('-').is_empty() {
        "tokenizer".to_owned()
    } else {
        clean
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

#[derive(Debug, thiserror::Error)]
pub enum WorkspaceTokenizerError {
    #[error(transparent)]
    Tokenizer(#[from] TokenizerError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Trains on workspace corpora into `tokenizers/NAME/tokenizer.json`, with a `training.json`
/// record beside it (corpora, settings, report), and registers it.
pub fn train_in_workspace(
    root: &Path,
    corpora: &[crate::store::CorpusRow],
    name: &str,
    config: &TrainConfig,
    ctx: Option<&JobCtx>,
) -> Result<(String, TrainReport), WorkspaceTokenizerError> {
    let (mut store, _) = crate::store::Store::open(&root.join(crate::workspace::DB_FILE))?;
    let name = free_tokenizer_name(&store, name)?;
    let rel = format!("tokenizers/{name}/tokenizer.json");
    let out = root.join(&rel);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|source| TokenizerError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    let inputs: Vec<PathBuf> = corpora.iter().map(|c| root.join(&c.path)).collect();
    let report = train(&inputs, &ReadOptions::default(), config, &out, ctx)?;
    let record = serde_json::json!({
        "corpora": corpora.iter().map(|c| &c.name).collect::<Vec<_>>(),
        "settings": config,
        "report": report,
    });
    let record_path = out.with_file_name("training.json");
    crate::write_atomic(
        &record_path,
        serde_json::to_string_pretty(&record)
            .unwrap_or_default()
            .as_bytes(),
    )
    .map_err(|source| TokenizerError::Io {
        path: record_path,
        source,
    })?;
    let kind = match config.kind {
        Kind::Bpe => "bpe",
        Kind::Unigram => "unigram",
    };
    store.add_tokenizer(
        &name,
        &rel,
        kind,
        report.vocab_size as u64,
        corpora.first().map(|c| c.id),
        &record,
    )?;
    Ok((name, report))
}

/// Copies a `tokenizer.json` from elsewhere (e.g. a Hugging Face model folder) into the
/// workspace and registers it, after checking that it loads.
pub fn add_to_workspace(root: &Path, file: &Path) -> Result<String, WorkspaceTokenizerError> {
    let loaded = Loaded::open(file)?;
    let (mut store, _) = crate::store::Store::open(&root.join(crate::workspace::DB_FILE))?;
    let stem = file.parent().and_then(Path::file_name).map_or_else(
        || "tokenizer".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    let name = free_tokenizer_name(&store, &stem)?;
    let rel = format!("tokenizers/{name}/tokenizer.json");
    let out = root.join(&rel);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).map_err(|source| TokenizerError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    save(&loaded.tokenizer, &out)?;
    store.add_tokenizer(
        &name,
        &rel,
        &loaded.kind.to_lowercase(),
        loaded.vocab_size() as u64,
        None,
        &serde_json::json!({"imported_from": file.display().to_string()}),
    )?;
    Ok(name)
}
