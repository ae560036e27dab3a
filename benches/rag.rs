//! Retrieval benchmark: index the legal codes of `../shared/corpora/az/legal` (imported one
//! document per file, as a user would) and ask questions by article number and by topic.
//! Reports the index build time, the median and worst query time, and how often the answering
//! article comes first and within the first three — with and without the stemmer.
//!
//! `cargo bench --bench rag` (skips when the shared data is absent; as a test, a smoke run on
//! three files).

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

/// The same passages under tantivy's default analyzer (split on non-alphanumerics, lower-case
/// with Unicode's rules, so `I` becomes `i` and `İ` becomes `i̇`) and its query parser: the
/// baseline an Azerbaijani-blind setup gets. Returns (first, top 3, median ms).
fn baseline(ws: &std::path::Path, corpus: &str) -> (usize, usize, f64) {
    use tantivy::schema::{STORED, Schema, TEXT, Value as _};
    let mut b = Schema::builder();
    let label = b.add_text_field("label", TEXT | STORED);
    let article = b.add_text_field("article", tantivy::schema::STRING | STORED);
    let text = b.add_text_field("text", TEXT);
    let index = tantivy::Index::create_in_ram(b.build());
    let mut writer = index
        .writer::<tantivy::TantivyDocument>(100_000_000)
        .expect("writer");
    let reader =
        dezgah::core::corpus::read::DocumentReader::open(&ws.join(corpus), ReadOptions::default())
            .expect("corpus");
    for (n, doc) in (0u64..).zip(reader) {
        let doc = doc.expect("doc");
        let id = doc
            .id
            .as_str()
            .map_or_else(|| doc.id.to_string(), str::to_owned);
        for p in rag::chunk(n, &id, &doc.text, &IndexSettings::default()) {
            let mut d = tantivy::TantivyDocument::default();
            d.add_text(label, &p.label);
            d.add_text(article, p.article.as_deref().unwrap_or(""));
            d.add_text(text, &p.text);
            writer.add_document(d).expect("add");
        }
    }
    writer.commit().expect("commit");
    let searcher = index.reader().expect("reader").searcher();
    let parser = tantivy::query::QueryParser::for_index(&index, vec![label, text]);
    let (mut first, mut top3, mut times) = (0, 0, Vec::new());
    for (question, code, wanted) in QUESTIONS {
        let t = Instant::now();
        let (query, _) = parser.parse_query_lenient(question);
        let top = searcher
            .search(
                &query,
                &tantivy::collector::TopDocs::with_limit(3).order_by_score(),
            )
            .expect("search");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        let hits: Vec<(String, String)> = top
            .iter()
            .map(|(_, a)| {
                let d: tantivy::TantivyDocument = searcher.doc(*a).expect("doc");
                let get = |f| {
                    d.get_first(f)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_owned()
                };
                (get(label), get(article))
            })
            .collect();
        let ok = |(l, a): &(String, String)| l.contains(code) && (wanted.is_empty() || a == wanted);
        first += usize::from(hits.first().is_some_and(ok));
        top3 += usize::from(hits.iter().any(ok));
    }
    times.sort_by(f64::total_cmp);
    (first, top3, times[times.len() / 2])
}

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
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this as a quick smoke test on
    // the three smallest files.
    if !std::env::args().any(|a| a == "--bench") {
        files.sort_by_key(|f| std::fs::metadata(f).map_or(0, |m| m.len()));
        files.truncate(3);
    }
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
    let (first, top3, median) = baseline(&ws, &path);
    let n = QUESTIONS.len();
    println!(
        "tantivy's default analyzer: query median {median:.2} ms; answering article first {first}/{n}, in top 3 {top3}/{n}"
    );
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
                if !hits.first().is_some_and(ok) && times.len() <= QUESTIONS.len() {
                    eprintln!(
                        "  stem={stem}: {question} → {:?}",
                        hits.iter().take(3).map(|h| &h.label).collect::<Vec<_>>()
                    );
                }
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
