//! SFT examples in and out of the workspace, in the four formats people exchange them in: TRL
//! `messages`, TRL prompt/completion, Alpaca (instruction/input/output) and ShareGPT
//! (conversations/from/value). Imports report every bad line with its number and write the
//! good ones in one transaction; exports write a filtered subset, optionally split into train
//! and validation, atomically.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::domain::{Role, SftStatus};
use crate::store::{Message, NewSftExample, SftExample, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Messages,
    PromptCompletion,
    Alpaca,
    ShareGpt,
}

impl Format {
    pub const ALL: [Self; 4] = [
        Self::Messages,
        Self::PromptCompletion,
        Self::Alpaca,
        Self::ShareGpt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::PromptCompletion => "prompt-completion",
            Self::Alpaca => "alpaca",
            Self::ShareGpt => "sharegpt",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SftIoError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path}: cannot be written: {source}")]
    DiskFull {
        path: PathBuf,
        source: crate::diskfull::DiskFull,
    },
    /// Nothing could be imported: every line was bad (or the file held none). What the lines
    /// look like points at the right `--format`.
    #[error("{path}: no example imported as {format}: {bad} bad line(s) of {lines}{}{}", shape_hint(.format, *.looks_like), listed(.first))]
    NothingImported {
        path: PathBuf,
        format: &'static str,
        lines: u64,
        bad: usize,
        looks_like: Option<Shape>,
        /// The first bad lines as `file:line: reason`.
        first: Vec<String>,
    },
}

/// What a JSONL line of examples looks like, judged by its keys alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Sft(Format),
    /// `prompt` / `chosen` / `rejected`: preference pairs for DPO, not SFT examples.
    Preference,
}

impl Shape {
    /// By the keys of one JSON object.
    pub fn of(v: &Value) -> Option<Self> {
        let has = |k: &str| v.get(k).is_some();
        if has("chosen") && has("rejected") {
            Some(Self::Preference)
        } else if has("messages") {
            Some(Self::Sft(Format::Messages))
        } else if has("conversations") {
            Some(Self::Sft(Format::ShareGpt))
        } else if has("instruction") && has("output") {
            Some(Self::Sft(Format::Alpaca))
        } else if has("prompt") && has("completion") {
            Some(Self::Sft(Format::PromptCompletion))
        } else {
            None
        }
    }

    /// The most common shape among `lines` (JSON text), if any line has one.
    pub fn of_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut counts: Vec<(Self, usize)> = Vec::new();
        for line in lines {
            let Some(shape) = serde_json::from_str::<Value>(line)
                .ok()
                .as_ref()
                .and_then(Self::of)
            else {
                continue;
            };
            match counts.iter_mut().find(|(s, _)| *s == shape) {
                Some((_, n)) => *n += 1,
                None => counts.push((shape, 1)),
            }
        }
        counts.into_iter().max_by_key(|&(_, n)| n).map(|(s, _)| s)
    }
}

fn shape_hint(format: &str, shape: Option<Shape>) -> String {
    match shape {
        Some(Shape::Sft(f)) if f.name() == format => String::new(),
        Some(Shape::Sft(f)) => format!("; the lines look like {} (try --format {})", f.name(), f.name()),
        Some(Shape::Preference) => "; the lines look like DPO preference pairs (prompt/chosen/rejected): import them with `dezgah prefs import`".to_owned(),
        None => "; the lines look like none of messages, prompt-completion, alpaca, sharegpt".to_owned(),
    }
}

fn listed(first: &[String]) -> String {
    crate::corpus::read::indented(first)
}

/// Lines looked at to say what a file's lines look like.
const SHAPE_SAMPLE: usize = 200;

/// One conversation as read from a line: system prompt, turns, and the labels a line may carry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Parsed {
    pub system_prompt: String,
    pub messages: Vec<Message>,
    pub tags: Vec<String>,
    pub domain: String,
}

/// A turn as a line spells it, before its role is read (ShareGPT says `human` and `gpt`).
struct Turn {
    role: String,
    content: String,
}

fn msg(role: &str, content: &str) -> Turn {
    Turn {
        role: role.to_owned(),
        content: content.to_owned(),
    }
}

fn text_field<'a>(v: &'a Value, name: &str) -> Result<&'a str, String> {
    match v.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("\"{name}\" is not text")),
        None => Err(format!("missing \"{name}\"")),
    }
}

/// A message list (`[{"role", "content"}]`) or, where a string stands for one turn, that turn.
fn turns(v: &Value, default_role: &str) -> Result<Vec<Turn>, String> {
    match v {
        Value::String(s) => Ok(vec![msg(default_role, s)]),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let role = text_field(m, "role").map_err(|e| format!("message {}: {e}", i + 1))?;
                let content =
                    text_field(m, "content").map_err(|e| format!("message {}: {e}", i + 1))?;
                Ok(msg(role, content))
            })
            .collect(),
        _ => Err("expected text or a list of messages".into()),
    }
}

/// Normalises roles (ShareGPT's human/gpt), moves the system turn out, and refuses what a
/// training run could not use: empty turns, unknown roles, no answer.
fn finish(mut messages: Vec<Turn>, v: &Value) -> Result<Parsed, String> {
    let mut system_prompt = String::new();
    let mut kept = Vec::with_capacity(messages.len());
    for (i, turn) in messages.drain(..).enumerate() {
        let role = match turn.role.as_str() {
            "human" | "user" => Role::User,
            "gpt" | "assistant" | "model" => Role::Assistant,
            "system" => Role::System,
            other => return Err(format!("turn {}: unknown role {other:?}", i + 1)),
        };
        let m = Message::new(role, turn.content);
        if m.content.trim().is_empty() && m.role != Role::System {
            return Err(format!("turn {}: empty {} turn", i + 1, m.role));
        }
        if m.role == Role::System {
            system_prompt = m.content;
        } else {
            kept.push(m);
        }
    }
    if !kept.iter().any(|m| m.role == Role::Assistant) {
        return Err("no assistant answer".into());
    }
    let tags = v
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let domain = v
        .get("domain")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok(Parsed {
        system_prompt,
        messages: kept,
        tags,
        domain,
    })
}

/// Reads one JSON line in `format`.
pub fn parse_line(format: Format, line: &str) -> Result<Parsed, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    if !v.is_object() {
        return Err("not a JSON object".into());
    }
    let messages = match format {
        Format::Messages => turns(v.get("messages").ok_or("missing \"messages\"")?, "user")?,
        Format::PromptCompletion => {
            let mut m = turns(v.get("prompt").ok_or("missing \"prompt\"")?, "user")?;
            m.extend(turns(
                v.get("completion").ok_or("missing \"completion\"")?,
                "assistant",
            )?);
            m
        }
        Format::Alpaca => {
            let instruction = text_field(&v, "instruction")?;
            let input = v.get("input").and_then(Value::as_str).unwrap_or_default();
            let output = text_field(&v, "output")?;
            let mut m = Vec::new();
            if let Some(system) = v.get("system").and_then(Value::as_str) {
                m.push(msg("system", system));
            }
            let prompt = if input.trim().is_empty() {
                instruction.to_owned()
            } else {
                format!("{instruction}\n\n{input}")
            };
            m.push(msg("user", &prompt));
            m.push(msg("assistant", output));
            m
        }
        Format::ShareGpt => {
            let list = v
                .get("conversations")
                .and_then(Value::as_array)
                .ok_or("missing \"conversations\" list")?;
            list.iter()
                .enumerate()
                .map(|(i, t)| {
                    let from = text_field(t, "from").map_err(|e| format!("turn {}: {e}", i + 1))?;
                    let value =
                        text_field(t, "value").map_err(|e| format!("turn {}: {e}", i + 1))?;
                    Ok(msg(from, value))
                })
                .collect::<Result<Vec<_>, String>>()?
        }
    };
    finish(messages, &v)
}

/// What an import did: how many examples it stored, and each line it could not use.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportReport {
    pub imported: usize,
    /// (line number, reason)
    pub errors: Vec<(u64, String)>,
}

/// Imports a JSONL file: good lines become examples (status `status`, provenance `imported`,
/// author `author`) in one transaction; bad lines are reported with their numbers.
pub fn import(
    store: &mut Store,
    path: &Path,
    format: Format,
    status: SftStatus,
    author: Option<&str>,
) -> Result<ImportReport, SftIoError> {
    let file = std::fs::File::open(path).map_err(|source| SftIoError::Io {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = std::io::BufReader::new(file);
    let mut report = ImportReport::default();
    let mut examples = Vec::new();
    let mut line = Vec::new();
    let mut n = 0u64;
    // The first bad lines' text, to say what format they look like if none imports.
    let mut sample: Vec<String> = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|source| SftIoError::Io {
                path: path.to_owned(),
                source,
            })?;
        if read == 0 {
            break;
        }
        n += 1;
        let Ok(text) = std::str::from_utf8(&line) else {
            report.errors.push((n, "not valid UTF-8".into()));
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match parse_line(format, text) {
            Ok(p) => examples.push(NewSftExample {
                system_prompt: p.system_prompt,
                messages: p.messages,
                tags: p.tags,
                domain: p.domain,
                provenance: "imported".into(),
                status,
                author: author.map(str::to_owned),
            }),
            Err(e) => {
                if sample.len() < SHAPE_SAMPLE {
                    sample.push(text.to_owned());
                }
                report.errors.push((n, e));
            }
        }
    }
    if examples.is_empty() {
        return Err(SftIoError::NothingImported {
            path: path.to_owned(),
            format: format.name(),
            lines: n,
            bad: report.errors.len(),
            looks_like: Shape::of_lines(sample.iter().map(String::as_str)),
            first: crate::corpus::read::bad_line_lines(
                report.errors.len() as u64,
                &report
                    .errors
                    .iter()
                    .take(crate::corpus::read::BAD_LINES_SHOWN)
                    .map(|(line, why)| format!("{}:{line}: {why}", path.display()))
                    .collect::<Vec<_>>(),
            ),
        });
    }
    store.add_sft_examples(&examples)?;
    report.imported = examples.len();
    Ok(report)
}

/// One example as a line of `format`; `None` when the format cannot hold it (Alpaca holds one
/// question and one answer).
pub fn to_line(format: Format, ex: &SftExample) -> Option<Value> {
    let mut all: Vec<Value> = Vec::new();
    if !ex.system_prompt.is_empty() {
        all.push(json!({"role": "system", "content": ex.system_prompt}));
    }
    all.extend(
        ex.messages
            .iter()
            .map(|m| json!({"role": m.role, "content": m.content})),
    );
    let mut v = match format {
        Format::Messages => json!({ "messages": all }),
        Format::PromptCompletion => {
            let last = ex
                .messages
                .iter()
                .rposition(|m| m.role == Role::Assistant)?;
            let offset = usize::from(!ex.system_prompt.is_empty());
            let (prompt, completion) = all.split_at(last + offset);
            json!({"prompt": prompt, "completion": completion})
        }
        Format::Alpaca => {
            let [user, answer] = ex.messages.as_slice() else {
                return None;
            };
            if user.role != Role::User || answer.role != Role::Assistant {
                return None;
            }
            let mut v = json!({"instruction": user.content, "input": "", "output": answer.content});
            if !ex.system_prompt.is_empty() {
                v["system"] = json!(ex.system_prompt);
            }
            v
        }
        Format::ShareGpt => {
            let mut turns = Vec::new();
            if !ex.system_prompt.is_empty() {
                turns.push(json!({"from": "system", "value": ex.system_prompt}));
            }
            for m in &ex.messages {
                let from = if m.role == Role::Assistant {
                    "gpt"
                } else {
                    "human"
                };
                turns.push(json!({"from": from, "value": m.content}));
            }
            json!({ "conversations": turns })
        }
    };
    if !ex.domain.is_empty() {
        v["domain"] = json!(ex.domain);
    }
    if !ex.tags.is_empty() {
        v["tags"] = json!(ex.tags);
    }
    Some(v)
}

/// Which examples an export takes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    pub status: Option<SftStatus>,
    pub domain: Option<String>,
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportReport {
    pub train: usize,
    pub validation: usize,
    /// Examples the format cannot hold (multi-turn ones in Alpaca).
    pub skipped: usize,
}

/// Writes the filtered examples to `out` (and every k-th, k = 1/`val_fraction`, to
/// `validation` when given), each file atomically.
pub fn export(
    store: &Store,
    format: Format,
    filter: &Filter,
    out: &Path,
    validation: Option<(&Path, f64)>,
) -> Result<ExportReport, SftIoError> {
    let examples = store.sft_examples_full()?;
    let mut report = ExportReport::default();
    let (mut train, mut val) = (String::new(), String::new());
    let every = validation.map(|(_, f)| {
        if f > 0.0 {
            (1.0 / f).round().max(2.0) as usize
        } else {
            usize::MAX
        }
    });
    let mut kept = 0usize;
    for ex in examples.iter().filter(|ex| {
        filter.status.as_ref().is_none_or(|s| &ex.status == s)
            && filter.domain.as_ref().is_none_or(|d| &ex.domain == d)
            && filter.tag.as_ref().is_none_or(|t| ex.tags.contains(t))
    }) {
        let Some(line) = to_line(format, ex) else {
            report.skipped += 1;
            continue;
        };
        kept += 1;
        let to_val = every.is_some_and(|k| kept.is_multiple_of(k));
        let target = if to_val { &mut val } else { &mut train };
        target.push_str(&line.to_string());
        target.push('\n');
        if to_val {
            report.validation += 1;
        } else {
            report.train += 1;
        }
    }
    let write = |path: &Path, text: &str| {
        crate::write_atomic(path, text.as_bytes()).map_err(|source| {
            if crate::diskfull::io_is_full(&source) {
                SftIoError::DiskFull {
                    path: path.to_owned(),
                    source: crate::diskfull::DiskFull::at(path),
                }
            } else {
                SftIoError::Io {
                    path: path.to_owned(),
                    source,
                }
            }
        })
    };
    write(out, &train)?;
    if let Some((path, _)) = validation {
        write(path, &val)?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_of_lines_names_their_format() {
        let shape = |l: &str| Shape::of_lines([l]);
        assert_eq!(
            shape(r#"{"instruction":"a","input":"","output":"b"}"#),
            Some(Shape::Sft(Format::Alpaca))
        );
        assert_eq!(
            shape(r#"{"messages":[]}"#),
            Some(Shape::Sft(Format::Messages))
        );
        assert_eq!(
            shape(r#"{"conversations":[]}"#),
            Some(Shape::Sft(Format::ShareGpt))
        );
        assert_eq!(
            shape(r#"{"prompt":"a","completion":"b"}"#),
            Some(Shape::Sft(Format::PromptCompletion))
        );
        assert_eq!(
            shape(r#"{"prompt":"a","chosen":"b","rejected":"c"}"#),
            Some(Shape::Preference)
        );
        assert_eq!(shape("{"), None);
        assert_eq!(
            Shape::of_lines([
                r#"{"messages":[]}"#,
                r#"{"conversations":[]}"#,
                r#"{"conversations":[]}"#
            ]),
            Some(Shape::Sft(Format::ShareGpt)),
            "the most common shape"
        );
    }

    #[test]
    fn every_format_reads_its_own_shape() {
        let m = parse_line(
            Format::Messages,
            r#"{"messages":[{"role":"system","content":"S"},{"role":"user","content":"Sual?"},{"role":"assistant","content":"Cavab."}],"domain":"hüquq"}"#,
        )
        .expect("messages");
        assert_eq!(
            (
                m.system_prompt.as_str(),
                m.messages.len(),
                m.domain.as_str()
            ),
            ("S", 2, "hüquq")
        );
        let p = parse_line(
            Format::PromptCompletion,
            r#"{"prompt":"Sual?","completion":"Cavab."}"#,
        )
        .expect("pc");
        assert_eq!(p.messages[1].role, Role::Assistant);
        let a = parse_line(
            Format::Alpaca,
            r#"{"instruction":"Tərcümə et","input":"hello","output":"salam"}"#,
        )
        .expect("alpaca");
        assert_eq!(a.messages[0].content, "Tərcümə et\n\nhello");
        let s = parse_line(
            Format::ShareGpt,
            r#"{"conversations":[{"from":"human","value":"Salam"},{"from":"gpt","value":"Salam!"}]}"#,
        )
        .expect("sharegpt");
        assert_eq!(s.messages[1].role, Role::Assistant);
    }

    #[test]
    fn bad_lines_say_why() {
        for (format, line, want) in [
            (Format::Messages, "{", "not JSON"),
            (
                Format::Messages,
                r#"{"messages":[{"role":"user","content":"x"}]}"#,
                "no assistant",
            ),
            (
                Format::Messages,
                r#"{"messages":[{"role":"user","content":" "},{"role":"assistant","content":"y"}]}"#,
                "empty user turn",
            ),
            (
                Format::Alpaca,
                r#"{"instruction":"x"}"#,
                "missing \"output\"",
            ),
            (
                Format::ShareGpt,
                r#"{"conversations":[{"from":"bot","value":"x"}]}"#,
                "unknown role",
            ),
        ] {
            let err = parse_line(format, line).expect_err(line);
            assert!(err.contains(want), "{line}: {err}");
        }
    }
}
