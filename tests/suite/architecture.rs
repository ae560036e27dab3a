//! The core's module graph has no cycles: a module that imports another, directly or through
//! others, is never imported back. A cycle makes a module impossible to understand, test or
//! move (into a crate of its own) alone, and the engine reading the workspace made one.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The `.rs` files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without its unit tests (`#[cfg(test)] mod tests { … }` at the end,
/// as every file here has them): a test may use any module without making a cycle.
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests")
        .map_or(text, |at| &text[..at])
}

/// The top-level core modules `code` (a file of the dezgah-core crate) names: `crate::X`
/// anywhere, comments aside; names that are not modules are dropped by the caller.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

/// Edges between top-level core modules: `from → to`, with a file that makes each edge.
fn core_graph(core: &Path) -> BTreeMap<String, BTreeMap<String, PathBuf>> {
    let mut files = Vec::new();
    rust_files(core, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(core).ok()?;
            let first = rel.components().next()?.as_os_str().to_str()?;
            Some(first.trim_end_matches(".rs").to_owned())
        })
        .filter(|m| m != "lib")
        .collect();
    let mut graph: BTreeMap<String, BTreeMap<String, PathBuf>> = BTreeMap::new();
    for file in &files {
        let Some(rel) = file.strip_prefix(core).ok() else {
            continue;
        };
        let Some(from) = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .map(|s| s.trim_end_matches(".rs").to_owned())
        else {
            continue;
        };
        if from == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("read a core file");
        for to in imports(without_tests(&text)) {
            if to != from && modules.contains(&to) {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| rel.to_owned());
            }
        }
    }
    graph
}

/// A cycle in `graph`, as the modules along it (the first repeated at the end), if any.
fn find_cycle(graph: &BTreeMap<String, BTreeMap<String, PathBuf>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeMap<String, PathBuf>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flat_map(BTreeMap::keys) {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|start| visit(start, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_core_module_graph_has_no_cycles() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/dezgah-core/src");
    let graph = core_graph(&core);
    assert!(
        graph.contains_key("train") && graph.contains_key("chat"),
        "the graph was not read: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        let steps: Vec<String> = cycle
            .windows(2)
            .map(|w| format!("{} → {} ({})", w[0], w[1], graph[&w[0]][&w[1]].display()))
            .collect();
        panic!("a cycle between core modules:\n  {}", steps.join("\n  "));
    }
}

#[test]
fn the_domain_module_is_a_leaf_and_the_engine_reads_no_workspace() {
    let core = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/dezgah-core/src");
    let graph = core_graph(&core);
    assert_eq!(graph.get("domain"), None, "domain.rs imports core modules");
    let train: BTreeSet<&str> = graph["train"].keys().map(String::as_str).collect();
    for forbidden in ["workspace", "store", "prefs", "sft"] {
        assert!(
            !train.contains(forbidden),
            "train imports {forbidden}: {train:?}"
        );
    }
}

#[test]
fn a_cycle_is_found_and_named() {
    let edge = |to: &str| (to.to_owned(), PathBuf::from("x.rs"));
    let graph: BTreeMap<String, BTreeMap<String, PathBuf>> = [
        ("chat".to_owned(), [edge("train")].into()),
        ("train".to_owned(), [edge("prefs")].into()),
        ("prefs".to_owned(), [edge("sft"), edge("store")].into()),
        ("sft".to_owned(), [edge("chat")].into()),
    ]
    .into();
    assert_eq!(
        find_cycle(&graph),
        Some(vec![
            "chat".to_owned(),
            "train".to_owned(),
            "prefs".to_owned(),
            "sft".to_owned(),
            "chat".to_owned()
        ])
    );
    let mut acyclic = graph.clone();
    acyclic.remove("sft");
    assert_eq!(find_cycle(&acyclic), None);
    assert_eq!(
        imports("use crate::store::Store; // crate::chat\n// crate::rag"),
        ["store".to_owned()].into()
    );
}
