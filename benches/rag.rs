//! Retrieval benchmark: index the legal codes of `../shared/corpora/az/legal` (imported one
//! document per file, as a user would) and ask questions by article number and by topic.
//! Reports the index build time, the median and worst query time, and how often the answering
//! article comes first and within the first three — with and without the stemmer.
//!
//! `cargo bench --bench rag` (skips when the shared data is absent).

use std::path::PathBuf;
use std::time::Instant;

use dezgah::core::corpus::read::{ReadOptions, TextUnit};
use dezgah::core::rag::{self, IndexSettings, Retriever};

/// (question, words the answer's label must contain, article number or "").
const QUESTIONS: &[(&str, &str, &str)] = &[
    ("Ailə Məcəlləsinin 9-cu maddəsi nə deyir?", "Ailə", "9"),
    ("Su Məcəlləsinin 12-ci maddəsi", "Su", "12"),
    ("Mülki Məcəllənin 1-ci maddəsi", "Mülki Məcəllə", "1"),
    ("Vergi Məcəlləsi maddə 13", "Vergi", "13"),
    ("Nikahın bağlanma qaydası necədir?", "Ailə", "9"),
    ("Nikah yaşı neçədir?", "Ailə", "10"),
    ("Boşanma zamanı uşaqlar kimin yanında qalır?", "Ailə", ""),
    ("Meşə fondunun torpaqları hansılardır?", "Meşə", ""),
    ("Gömrük ödənişləri nədir?", "Gömrük", ""),
    ("Əmək müqaviləsinə xitam verilməsi", "Əmək", ""),
];

fn main() {
    let base = std::env::var_os("DEZGAH_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    let legal = base.join("corpora/az/legal");
    let Ok(entries) = std::fs::read_dir(&legal) else {
        eprintln!("skipped: {} is absent", legal.display());
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let tmp = tempfile::tempdir().expect("tempdir");
    let ws = tmp.path().join("ws");
    dezgah::core::workspace::Workspace::open(&ws).expect("workspace");
    let read = ReadOptions {
        text_unit: TextUnit::File,
        ..ReadOptions::default()
    };
    let (name, _) =
        dezgah::core::corpus::import::import_corpus(&ws, &files, "qanunlar", &read, None)
            .expect("import");
    let path = format!("corpora/{name}.jsonl");
    for stem in [true, false] {
        let settings = IndexSettings {
            stem,
            ..IndexSettings::default()
        };
        let started = Instant::now();
        let meta = rag::build(&ws, &name, &path, &settings, &|_, _| {}, &|| false).expect("build");
        let build = started.elapsed().as_secs_f64();
        let retriever = Retriever::open_corpus(&ws, &name).expect("open");
        let mut times = Vec::new();
        let (mut first, mut top3) = (0, 0);
        for _ in 0..5 {
            for (question, code, article) in QUESTIONS {
                let t = Instant::now();
                let hits = retriever.search(question, 5).expect("search");
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                let ok = |h: &rag::Hit| {
                    h.label.contains(code)
                        && (article.is_empty() || h.article.as_deref() == Some(*article))
                };
                first += usize::from(hits.first().is_some_and(ok));
                top3 += usize::from(hits.iter().take(3).any(ok));
            }
        }
        times.sort_by(f64::total_cmp);
        let n = QUESTIONS.len();
        println!(
            "stem={stem}: {} files, {:.1} MB, {} passages ({} articles): index built in {build:.2} s ({:.1} MB/s); query median {:.2} ms, max {:.2} ms; answering article first {}/{n}, in top 3 {}/{n}",
            meta.documents,
            bytes as f64 / 1e6,
            meta.passages,
            meta.articles,
            bytes as f64 / 1e6 / build,
            times[times.len() / 2],
            times[times.len() - 1],
            first / 5,
            top3 / 5,
        );
    }
}
