//! Fills a newly created workspace database from the files in its `seed/` folder:
//!
//! - `seed/corpora/*.txt`: plain text, one document per blank-line-separated block; stored in
//!   `corpora/` as JSONL (the workspace's one corpus format) and registered with its provenance;
//! - `seed/sft.jsonl`: TRL `messages` lines (`{"messages": [{"role", "content"}, ...]}`), with
//!   optional `domain`, `tags` and `status`;
//! - `seed/preferences.jsonl`: TRL `prompt`/`chosen`/`rejected` lines, or `prompt` + `responses`.
//!
//! Every file is read and checked before anything is written; then all rows land in one
//! transaction. A bad line is reported with its file and line number.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::{Role, SftStatus};
use crate::store::{CorpusSource, Message, NewSftExample, Store, StoreError};

pub const SEED_DIR: &str = "seed";
/// Set in the `meta` table, in the same transaction as the seeded rows.
pub const SEEDED_KEY: &str = "seeded_at";

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub corpora: usize,
    pub sft_examples: usize,
    pub preference_items: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SftLine {
    messages: Vec<Message>,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default = "default_status")]
    status: SftStatus,
}

fn default_status() -> SftStatus {
    SftStatus::Ready
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferenceLine {
    prompt: String,
    #[serde(default)]
    chosen: Option<String>,
    #[serde(default)]
    rejected: Option<String>,
    #[serde(default)]
    responses: Vec<String>,
}

struct SeedCorpus {
    name: String,
    source: PathBuf,
    text: String,
    docs: u64,
}

pub fn import(root: &Path, store: &mut Store) -> Result<SeedReport, SeedError> {
    let seed = root.join(SEED_DIR);
    let corpora = read_corpora(&seed.join("corpora"))?;
    let sft = read_jsonl(&seed.join("sft.jsonl"), parse_sft)?;
    let preferences = read_jsonl(&seed.join("preferences.jsonl"), parse_preference)?;

    // Files first (atomic, and harmless if the transaction below fails), then the rows.
    let corpora_dir = root.join("corpora");
    for corpus in &corpora {
        let target = corpora_dir.join(format!("{}.jsonl", corpus.name));
        let mut jsonl = String::with_capacity(corpus.text.len() * 2);
        let blocks = corpus.text.split("\n\n").map(str::trim);
        for (i, block) in blocks.filter(|b| !b.is_empty()).enumerate() {
            jsonl.push_str(&serde_json::json!({"id": i + 1, "text": block}).to_string());
            jsonl.push('\n');
        }
        crate::write_atomic(&target, jsonl.as_bytes()).map_err(|source| SeedError::Io {
            path: target.clone(),
            source,
        })?;
    }
    store.atomically(|store| {
        for corpus in &corpora {
            let rel = format!("corpora/{}.jsonl", corpus.name);
            let source = corpus
                .source
                .strip_prefix(root)
                .unwrap_or(&corpus.source)
                .display()
                .to_string();
            store.add_corpus(
                &corpus.name,
                &rel,
                corpus.docs,
                corpus
                    .text
                    .split("\n\n")
                    .map(|b| b.trim().chars().count() as u64)
                    .sum(),
                &CorpusSource {
                    path: &source,
                    format: "txt-paragraphs",
                    byte_count: corpus.text.len() as u64,
                },
            )?;
        }
        for example in &sft {
            store.add_sft_example(example)?;
        }
        // Two judgements each, so the sample shows agreement between two annotators.
        store.add_preference_items(&preferences, "seed", 2)?;
        store.set_meta(SEEDED_KEY, &unix_time_secs().to_string())?;
        Ok::<_, SeedError>(())
    })?;
    Ok(SeedReport {
        corpora: corpora.len(),
        sft_examples: sft.len(),
        preference_items: preferences.len(),
    })
}

fn unix_time_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn read_corpora(dir: &Path) -> Result<Vec<SeedCorpus>, SeedError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| SeedError::Io { path, source }
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let bytes = std::fs::read(&path).map_err(io(&path))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
                SeedError::Line {
                    path: path.clone(),
                    line: valid.split(|&b| b == b'\n').count(),
                    message: "invalid UTF-8".into(),
                }
            })?;
            let docs = text
                .split("\n\n")
                .filter(|block| !block.trim().is_empty())
                .count() as u64;
            let name = path
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
            Ok(SeedCorpus {
                name,
                source: path,
                text,
                docs,
            })
        })
        .collect()
}

fn read_jsonl<T>(
    path: &Path,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, SeedError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(SeedError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut rows = Vec::new();
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let err = |message: String| SeedError::Line {
            path: path.to_owned(),
            line: index + 1,
            message,
        };
        let line = std::str::from_utf8(raw).map_err(|_| err("invalid UTF-8".into()))?;
        if line.trim().is_empty() {
            continue;
        }
        rows.push(parse(line).map_err(err)?);
    }
    Ok(rows)
}

fn parse_sft(line: &str) -> Result<NewSftExample, String> {
    let parsed: SftLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let mut system_prompt = String::new();
    let mut messages = Vec::new();
    for m in parsed.messages {
        match m.role {
            Role::System => system_prompt = m.content,
            Role::User | Role::Assistant => {
                if m.content.trim().is_empty() {
                    return Err(format!("empty {} turn", m.role));
                }
                messages.push(m);
            }
        }
    }
    if !messages.iter().any(|m| m.role == Role::Assistant) {
        return Err("no assistant turn".into());
    }
    Ok(NewSftExample {
        system_prompt,
        messages,
        tags: parsed.tags,
        domain: parsed.domain,
        provenance: "written".into(),
        status: parsed.status,
        author: None,
    })
}

type PreferenceSeed = (String, Vec<(String, String)>);

fn parse_preference(line: &str) -> Result<PreferenceSeed, String> {
    let parsed: PreferenceLine = serde_json::from_str(line).map_err(|e| e.to_string())?;
    let responses: Vec<(String, String)> = match (parsed.chosen, parsed.rejected) {
        (Some(chosen), Some(rejected)) => {
            vec![(chosen, "chosen".into()), (rejected, "rejected".into())]
        }
        (None, None) => parsed
            .responses
            .into_iter()
            .map(|r| (r, String::new()))
            .collect(),
        _ => return Err("\"chosen\" and \"rejected\" must come together".into()),
    };
    if responses.len() < 2 {
        return Err("a preference item needs at least two responses".into());
    }
    if parsed.prompt.trim().is_empty() || responses.iter().any(|(r, _)| r.trim().is_empty()) {
        return Err("empty prompt or response".into());
    }
    Ok((parsed.prompt, responses))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::Workspace;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn seeds_a_new_workspace_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            "seed/corpora/nəsr.txt",
            "Birinci.\n\nİkinci abzas.\n\n\n",
        );
        write(
            root,
            "seed/sft.jsonl",
            r#"{"messages":[{"role":"system","content":"Kömək et."},{"role":"user","content":"Salam"},{"role":"assistant","content":"Salam! Necəsiniz?"}],"domain":"söhbət"}
"#,
        );
        write(
            root,
            "seed/preferences.jsonl",
            r#"{"prompt":"2+2?","chosen":"4","rejected":"5"}
{"prompt":"Paytaxt?","responses":["Bakı","Gəncə","Şəki"]}
"#,
        );
        let ws = Workspace::open(root).expect("open");
        assert_eq!(
            ws.seeded(),
            Some(&SeedReport {
                corpora: 1,
                sft_examples: 1,
                preference_items: 2
            })
        );
        let snap = ws.snapshot().expect("snapshot");
        assert_eq!(snap.corpora[0].name, "nəsr");
        assert_eq!(snap.corpora[0].doc_count, 2);
        let stored = std::fs::read_to_string(root.join("corpora/nəsr.jsonl")).expect("jsonl");
        assert_eq!(
            stored,
            "{\"id\":1,\"text\":\"Birinci.\"}\n{\"id\":2,\"text\":\"İkinci abzas.\"}\n"
        );
        assert_eq!(snap.preferences[1].responses, 3);
        drop(ws);
        let again = Workspace::open(root).expect("reopen");
        assert!(again.seeded().is_none());
        assert_eq!(again.snapshot().expect("snapshot").counts.sft_examples, 1);
    }

    #[test]
    fn a_bad_line_names_file_and_line_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        write(
            root,
            "seed/preferences.jsonl",
            "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n\n{\"prompt\": \"yarımçıq\"\n",
        );
        let err = Workspace::open(root).expect_err("bad seed");
        let text = err.to_string();
        assert!(text.contains("preferences.jsonl:3:"), "{text}");
        let (store, _) = Store::open(&root.join("dezgah.db")).expect("db still opens");
        assert_eq!(store.counts().expect("counts").preference_items, 0);
        drop(store);
        // Once the file is mended, the next open imports it.
        write(
            root,
            "seed/preferences.jsonl",
            "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n",
        );
        let ws = Workspace::open(root).expect("open after fix");
        assert_eq!(ws.seeded().map(|r| r.preference_items), Some(1));
    }

    #[test]
    fn sft_lines_need_an_assistant_turn() {
        assert!(
            parse_sft(r#"{"messages":[{"role":"user","content":"Salam"}]}"#)
                .expect_err("no answer")
                .contains("assistant")
        );
        assert!(
            parse_sft(r#"{"messages":[{"role":"robot","content":"x"}]}"#)
                .expect_err("role")
                .contains("robot")
        );
    }

    #[test]
    fn invalid_utf8_in_a_corpus_is_reported_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("seed/corpora")).expect("mkdir");
        std::fs::write(root.join("seed/corpora/bad.txt"), b"ok\nok\n\xff\xfe\n").expect("write");
        let err = Workspace::open(root).expect_err("bad utf8");
        assert!(
            err.to_string().contains("bad.txt:3: invalid UTF-8"),
            "{err}"
        );
    }
}
