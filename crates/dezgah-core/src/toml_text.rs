//! Line numbers and one-line messages for TOML settings files. A leaf: it imports nothing of
//! the core, so every module that reads settings can use it without an import cycle.

/// A TOML parse error as one line: `line N: what` (the crate's own text draws the line with
/// carets over several lines).
pub fn toml_message(text: &str, message: &str, span: Option<std::ops::Range<usize>>) -> String {
    let message = message.trim().replace('\n', "; ");
    match span {
        Some(span) => {
            let line = text
                .get(..span.start)
                .map_or(0, |before| before.matches('\n').count())
                + 1;
            format!("line {line}: {message}")
        }
        None => message,
    }
}

/// The first key of the TOML `table` that `known` (the JSON of a value with every optional part
/// filled in) lacks, as a message naming it, its line and the keys its table knows.
pub fn unknown_in(
    table: &toml::Table,
    known: &serde_json::Value,
    prefix: &str,
    text: &str,
) -> Option<String> {
    let known_keys = known.as_object()?;
    for (key, value) in table {
        let dotted = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match known_keys.get(key) {
            None => {
                let mut names: Vec<&str> = known_keys.keys().map(String::as_str).collect();
                names.sort_unstable();
                let place = if prefix.is_empty() {
                    String::new()
                } else {
                    format!(" in [{prefix}]")
                };
                let head =
                    key_line(text, &dotted).map_or_else(String::new, |l| format!("line {l}: "));
                return Some(format!(
                    "{head}unknown setting `{dotted}`; the settings{place} are: {}",
                    names.join(", ")
                ));
            }
            Some(inner) => {
                if let (toml::Value::Table(sub), true) = (value, inner.is_object())
                    && let Some(found) = unknown_in(sub, inner, &dotted, text)
                {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// The 1-based line of `text` (TOML) that sets the dotted `field`, by its table and key.
pub fn key_line(text: &str, field: &str) -> Option<usize> {
    let (table, key) = field.rsplit_once('.').unwrap_or(("", field));
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix('[') {
            name.trim_end_matches(']').trim().clone_into(&mut current);
            continue;
        }
        let Some((k, _)) = t.split_once('=') else {
            continue;
        };
        let k = k.trim().trim_matches('"');
        if (current == table && k == key) || (current.is_empty() && k == field) {
            return Some(i + 1);
        }
    }
    None
}
