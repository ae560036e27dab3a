//! Both languages define the same messages with the same arguments, and every message id the
//! code asks for exists in both.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use dezgah::app::state::{Area, ThemeChoice};
use dezgah::i18n::{AZ_FTL, EN_FTL, I18n, Lang, message_ids};

/// Message id → the `$variables` its pattern uses.
fn variables(source: &str) -> BTreeMap<String, BTreeSet<String>> {
    let var = regex::Regex::new(r"\$([a-zA-Z_][a-zA-Z0-9_-]*)").expect("regex");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        if line.starts_with(|c: char| c.is_ascii_lowercase())
            && let Some((id, _)) = line.split_once('=')
        {
            current = Some(id.trim().to_owned());
        } else if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(id) = &current {
            let entry = out.entry(id.clone()).or_default();
            entry.extend(var.captures_iter(line).map(|c| c[1].to_owned()));
        }
    }
    out
}

#[test]
fn both_languages_have_the_same_message_ids() {
    let en = message_ids(EN_FTL);
    let az = message_ids(AZ_FTL);
    let only_en: Vec<_> = en.difference(&az).collect();
    let only_az: Vec<_> = az.difference(&en).collect();
    assert!(
        only_en.is_empty() && only_az.is_empty(),
        "only in en.ftl: {only_en:?}; only in az.ftl: {only_az:?}"
    );
    assert!(en.len() > 50, "suspiciously few messages: {}", en.len());
}

#[test]
fn both_languages_use_the_same_arguments() {
    let en = variables(EN_FTL);
    let az = variables(AZ_FTL);
    for (id, vars) in &en {
        assert_eq!(Some(vars), az.get(id), "arguments of {id} differ");
    }
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Ids the code passes as literals to `tr`/`tr_args`, and the `*_key` tables' literals.
fn ids_used_in_code() -> BTreeSet<String> {
    let call = regex::Regex::new(r#"tr(?:_args)?\(\s*"([a-z0-9-]+)""#).expect("regex");
    let literal = regex::Regex::new(r#""([a-z]+(?:-[a-z0-9]+)+)""#).expect("regex");
    let known = message_ids(EN_FTL);
    let prefixes: BTreeSet<String> = known
        .iter()
        .filter_map(|id| id.split('-').next().map(str::to_owned))
        .collect();
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut used = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        used.extend(call.captures_iter(&text).map(|c| c[1].to_owned()));
        // String literals that look like message ids (e.g. `"corpus-empty-title"` passed to a
        // helper) must exist too, but only in UI code.
        let rel = file.to_string_lossy();
        if rel.contains("/panels/") || rel.contains("/app/") {
            used.extend(
                literal
                    .captures_iter(&text)
                    .map(|c| c[1].to_owned())
                    .filter(|id| id.split('-').next().is_some_and(|p| prefixes.contains(p))),
            );
        }
    }
    used
}

#[test]
fn every_id_used_in_code_exists_in_both_languages() {
    let i18n = I18n::new(Lang::En);
    let used = ids_used_in_code();
    assert!(used.len() > 40, "the scan found too little: {used:?}");
    let mut missing = Vec::new();
    for id in &used {
        for lang in Lang::ALL {
            if !i18n.has(lang, id) {
                missing.push(format!("{id} ({})", lang.code()));
            }
        }
    }
    for area in Area::ALL {
        for lang in Lang::ALL {
            if !i18n.has(lang, area.title_key()) {
                missing.push(format!("{} ({})", area.title_key(), lang.code()));
            }
        }
    }
    for theme in ThemeChoice::ALL {
        if !i18n.has(Lang::Az, theme.label_key()) {
            missing.push(theme.label_key().to_owned());
        }
    }
    assert!(missing.is_empty(), "missing messages: {missing:?}");
}

#[test]
fn azerbaijani_text_is_really_azerbaijani() {
    // A copy-pasted English file would pass the key checks; ə must appear in the Azerbaijani one.
    let az = I18n::new(Lang::Az);
    let en = I18n::new(Lang::En);
    let differing = message_ids(EN_FTL)
        .iter()
        .filter(|id| en.tr(id) != az.tr(id))
        .count();
    assert!(differing > 60, "only {differing} messages are translated");
    assert!(AZ_FTL.matches('ə').count() > 100);
}

#[test]
fn no_message_id_is_defined_twice() {
    // Fluent keeps the first of two messages with one id, so a second one would be silently
    // dropped (and its arguments shown raw).
    for (name, source) in [("en.ftl", EN_FTL), ("az.ftl", AZ_FTL)] {
        let mut seen = BTreeSet::new();
        for line in source.lines() {
            let Some((id, _)) = line.split_once(" =") else {
                continue;
            };
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                continue;
            }
            assert!(seen.insert(id.to_owned()), "{name}: {id} is defined twice");
        }
    }
}
