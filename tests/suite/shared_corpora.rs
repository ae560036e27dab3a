//! Checks against the real text in `../shared/corpora/az` (development data, not shipped).
//! Each test skips cleanly when that folder is absent, as in a user's fresh clone.

use std::path::PathBuf;

use dezgah::core::corpus::clean::{RuleCounts, Rules, clean_text};
use dezgah::core::corpus::text;

fn shared(rel: &str) -> Option<PathBuf> {
    let base = std::env::var_os("DEZGAH_SHARED").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"),
        PathBuf::from,
    );
    let path = base.join("corpora/az").join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: {} is absent", path.display());
        None
    }
}

fn normalise_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The Cyrillic UDHR, transliterated, against the official Latin one, line by line.
#[test]
fn cyrillic_udhr_transliterates_to_the_latin_udhr() {
    let (Some(cyrl), Some(latn)) = (
        shared("udhr/udhr-az-Cyrl.txt"),
        shared("udhr/udhr-az-Latn.txt"),
    ) else {
        return;
    };
    let cyrl = std::fs::read_to_string(cyrl).expect("read");
    let latn = std::fs::read_to_string(latn).expect("read");
    let rules = Rules {
        transliterate: true,
        ..Rules::default()
    };
    let mut counts = RuleCounts::default();
    let mut same = 0;
    let mut total = 0;
    for (c, l) in cyrl.lines().zip(latn.lines()) {
        if c.trim().is_empty() {
            continue;
        }
        total += 1;
        // Line by line, each line is judged on its own (a heading may be short).
        let out = text::transliterate_cyrillic(c);
        if normalise_spaces(&out) == normalise_spaces(l) {
            same += 1;
        } else {
            eprintln!("cyr: {c}\nout: {out}\nlat: {l}\n");
        }
        let _ = clean_text(c, rules, None, &mut counts);
    }
    eprintln!("{same}/{total} lines identical");
    assert!(total > 80, "{total}");
    assert!(same * 100 >= total * 85, "only {same}/{total} lines match");
    assert!(
        counts.transliterate as usize * 100 >= total * 80,
        "{counts:?}"
    );
}

/// The mislabelled `azb` UDHR is Turkish in Latin script: no rule may treat it as Cyrillic.
#[test]
fn turkish_udhr_is_not_cyrillic_azerbaijani() {
    let Some(azb) = shared("udhr/udhr-azb.txt") else {
        return;
    };
    let text = std::fs::read_to_string(azb).expect("read");
    assert!(!text::is_cyrillic_azerbaijani(&text));
}

/// The legal codes carry Cyrillic ә inside Latin words; cleaning removes every one.
#[test]
fn legal_codes_lose_their_cyrillic_schwas() {
    let Some(dir) = shared("legal") else {
        return;
    };
    let mut before = 0;
    let mut after = 0;
    let mut counts = RuleCounts::default();
    for entry in std::fs::read_dir(dir).expect("ls") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        before += text.chars().filter(|&c| c == 'ә' || c == 'Ә').count();
        for line in text.lines() {
            let cleaned = clean_text(line, Rules::all(), None, &mut counts);
            after += cleaned.chars().filter(|&c| c == 'ә' || c == 'Ә').count();
        }
    }
    eprintln!("Cyrillic schwas: {before} before, {after} after; {counts:?}");
    assert!(before > 100, "{before}");
    assert_eq!(after, 0);
}

/// The Tax Code is split around ə, ğ and ş some 28k times; with the vocabulary learned from all
/// the codes' unsplit lines, nearly every fragment is joined back into a known word.
#[test]
fn split_words_in_the_legal_codes_are_repaired() {
    use dezgah::core::corpus::split_words::{Lexicon, count_fragments, repair};
    let Some(dir) = shared("legal") else {
        return;
    };
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(dir).expect("ls") {
        let path = entry.expect("entry").path();
        texts.push((path.clone(), std::fs::read_to_string(&path).expect("read")));
    }
    let mut lexicon = Lexicon::new();
    for (_, text) in &texts {
        lexicon.add_text(&text::fold_schwa(text));
    }
    let (_, tax) = texts
        .iter()
        .find(|(p, _)| p.to_string_lossy().contains("Vergi"))
        .expect("the Tax Code");
    let tax = text::fold_schwa(tax);
    let before = count_fragments(&tax);
    let repaired = repair(&tax, &lexicon);
    let after = count_fragments(&repaired);
    eprintln!(
        "lexicon {} words; fragments in the Tax Code: {before} before, {after} after",
        lexicon.len()
    );
    for line in repaired.lines().filter(|l| l.starts_with("- 1.4.")).take(1) {
        eprintln!("{}", &line[..line.len().min(400)]);
    }
    assert!(before > 20_000, "{before}");
    assert!(after * 50 < before, "{after} of {before} fragments left");
    assert!(repaired.contains("Bu Məcəllənin vergitutmanın ümumi əsasları"));
}

/// Language identification on real text: the golden cases of the lexicon folder, the UDHR in
/// Latin and Cyrillic Azerbaijani, the Turkish UDHR mislabelled `azb`, and Tatoeba sentences.
#[test]
fn language_identification_on_real_text() {
    use dezgah::core::corpus::lang::LanguageId;
    let id = LanguageId::new();
    if let Some(golden) = shared("lexicon/golden_detect.json") {
        let cases: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(golden).expect("read")).expect("json");
        let mut wrong = Vec::new();
        for case in &cases {
            let input = case["input"].as_str().expect("input");
            let want = case["want_code"].as_str().expect("code");
            let got = id.detect(input).unwrap_or_default();
            if got != want {
                wrong.push(format!("{input:?}: want {want:?}, got {got:?}"));
            }
        }
        eprintln!(
            "golden: {} of {} right",
            cases.len() - wrong.len(),
            cases.len()
        );
        assert!(wrong.len() <= 1, "{wrong:#?}");
    }
    let share = |rel: &str, want: &str| -> Option<f64> {
        let text = std::fs::read_to_string(shared(rel)?).expect("read");
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.split_whitespace().count() >= 4)
            .collect();
        let hits = lines
            .iter()
            .filter(|l| id.detect(l).as_deref() == Some(want))
            .count();
        let share = hits as f64 / lines.len().max(1) as f64;
        eprintln!("{rel}: {hits}/{} lines detected as {want}", lines.len());
        Some(share)
    };
    if let Some(s) = share("udhr/udhr-az-Latn.txt", "az") {
        assert!(s >= 0.95, "{s}");
    }
    if let Some(s) = share("udhr/udhr-az-Cyrl.txt", "az") {
        assert!(s >= 0.95, "{s}");
    }
    if let Some(s) = share("udhr/udhr-azb.txt", "tr") {
        assert!(s >= 0.90, "{s}");
    }
    if let Some(s) = share("tatoeba/tatoeba.aze-eng.aze", "az") {
        assert!(s >= 0.90, "{s}");
    }
}

/// The "done means", through the same core calls the Corpus area makes: import the legal
/// folder (one document per file), see the anomalies flagged, clean, find the alternative Civil
/// and Family code conversions as clusters, keep the official ones, export with provenance.
#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one user scenario, step by step; split, its steps would lose their order"
)]
fn legal_folder_from_import_to_provenance() {
    use dezgah::core::corpus::derive::{self, ExportFormat, Operation};
    use dezgah::core::corpus::index::{CorpusIndex, anomaly, index_path};
    use dezgah::core::corpus::read::{ReadOptions, TextUnit, expand_inputs};
    use dezgah::core::store::Store;

    let Some(dir) = shared("legal") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let ws = dezgah::core::workspace::Workspace::open(&tmp.path().join("ws")).expect("ws");
    let root = ws.root().to_owned();
    drop(ws);
    let read = ReadOptions {
        text_unit: TextUnit::File,
        ..ReadOptions::default()
    };
    // The two codes with alternative conversions, their alternatives and two small codes: the
    // whole folder takes minutes in an unoptimised test build (the release app: seconds).
    let files: Vec<PathBuf> = expand_inputs(&[dir])
        .expect("expand")
        .into_iter()
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            [
                "Mülki Məcəlləsi",
                "Ailə",
                "mulki-mecelle",
                "aile-mecellesi",
                "Meşə",
                "Su Məcəlləsi",
                "example",
            ]
            .iter()
            .any(|k| name.contains(k))
        })
        .collect();
    assert_eq!(files.len(), 7, "{files:?}");
    dezgah::core::corpus::import::import_corpus(&root, &files, "legal", &read, None)
        .expect("import");
    let db = root.join(dezgah::core::workspace::DB_FILE);
    let corpus = Store::open(&db)
        .expect("store")
        .0
        .corpora()
        .expect("corpora")[0]
        .clone();
    let index = CorpusIndex::load(&index_path(&root.join(&corpus.path)))
        .expect("load")
        .expect("index");
    let flagged =
        |index: &CorpusIndex, bit: u8| index.docs.iter().filter(|d| d.anomalies & bit != 0).count();
    assert!(
        flagged(&index, anomaly::SPLIT_WORDS) >= 3,
        "split words flagged"
    );
    assert!(
        flagged(&index, anomaly::SCHWA_LOOK_ALIKE) >= 1,
        "Cyrillic ә flagged"
    );

    let cleaned = derive::derive_corpus(
        &root,
        &corpus,
        &Operation::Clean(dezgah::core::corpus::clean::Rules::all()),
        None,
    )
    .expect("clean");
    let clean_row = Store::open(&db)
        .expect("store")
        .0
        .corpora()
        .expect("corpora")
        .into_iter()
        .find(|c| c.id == cleaned.id)
        .expect("row");
    let clean_index = CorpusIndex::load(&index_path(&root.join(&clean_row.path)))
        .expect("load")
        .expect("index");
    assert_eq!(flagged(&clean_index, anomaly::SCHWA_LOOK_ALIKE), 0);
    let fragments = |rel: &str| -> usize {
        std::fs::read_to_string(root.join(rel))
            .expect("read")
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("json");
                dezgah::core::corpus::split_words::count_fragments(
                    v["text"].as_str().expect("text"),
                )
            })
            .sum()
    };
    let (before, after) = (fragments(&corpus.path), fragments(&clean_row.path));
    eprintln!("split-off fragments: {before} before cleaning, {after} after");
    assert!(
        after * 10 < before,
        "repair joins most split words: {before} → {after}"
    );

    let config = dezgah::core::corpus::dedup::DedupConfig {
        threshold: 0.45,
        ..Default::default()
    };
    let found = derive::find_duplicates(&root, &clean_row, &config, None).expect("find");
    assert_eq!(found.clusters, 2, "{found:?}");
    let (mut store, _) = Store::open(&db).expect("store");
    let clusters = store.clusters(clean_row.id).expect("clusters");
    let name = |m: i64| clean_index.source(&clean_index.docs[m as usize]).to_owned();
    let mut pairs: Vec<Vec<String>> = clusters
        .iter()
        .map(|c| {
            let mut names: Vec<String> = c.members.iter().map(|&m| name(m)).collect();
            names.sort();
            names
        })
        .collect();
    pairs.sort();
    assert!(
        pairs[0].iter().any(|n| n.contains("Ailə"))
            && pairs[0].iter().any(|n| n.contains("aile-mecellesi")),
        "{pairs:?}"
    );
    assert!(
        pairs[1].iter().any(|n| n.contains("Mülki Məcəlləsi"))
            && pairs[1].iter().any(|n| n.contains("mulki-mecelle")),
        "{pairs:?}"
    );
    // Keep the official files: they are the longer ones in the Family pair, so choose by hand.
    for c in &clusters {
        let official = *c
            .members
            .iter()
            .find(|&&m| name(m).contains("Azərbaycan Respublikasının"))
            .expect("official member");
        store
            .decide_cluster(
                c.id,
                official,
                dezgah::core::domain::Decision::Chosen,
                Some("test"),
            )
            .expect("decide");
    }
    drop(store);
    let dedup = derive::derive_corpus(&root, &clean_row, &Operation::RemoveDuplicates, None)
        .expect("dedup");
    assert_eq!(dedup.docs_in - dedup.docs_out, 2);
    let dedup_row = Store::open(&db)
        .expect("store")
        .0
        .corpora()
        .expect("corpora")
        .into_iter()
        .find(|c| c.id == dedup.id)
        .expect("row");
    let out = tmp.path().join("legal-clean.jsonl");
    derive::export_corpus(&root, &dedup_row, &out, ExportFormat::Jsonl, None).expect("export");
    let provenance: serde_json::Value =
        serde_json::from_slice(&std::fs::read(derive::provenance_path(&out)).expect("read"))
            .expect("json");
    assert_eq!(
        provenance["import"]["sources"].as_array().map(Vec::len),
        Some(files.len())
    );
    assert_eq!(provenance["steps"][0]["step"], "clean");
    assert_eq!(provenance["steps"][1]["step"], "dedup");
    assert_eq!(provenance["steps"][1]["removed"], 2);
}

/// The two conversions of the Civil Code (a duplicate pair in the legal corpus) align: most of
/// their words are shared and shown folded, and the figures add up.
#[test]
fn the_two_conversions_of_the_civil_code_align_with_most_words_shared() {
    use dezgah::core::corpus::dedup::Shingle;
    use dezgah::core::corpus::diff::{Block, MAX_CHANGED, diff_documents};
    let (Some(a), Some(b)) = (
        shared("legal/Azərbaycan Respublikasının Mülki Məcəlləsi.md"),
        shared("legal/_variant_assets-outputs-mulki-mecelle-full.md"),
    ) else {
        return;
    };
    let a = std::fs::read_to_string(a).expect("read");
    let b = std::fs::read_to_string(b).expect("read");
    let started = std::time::Instant::now();
    let d = diff_documents(
        &a,
        &b,
        Shingle::Words(5),
        std::time::Duration::from_mins(1),
        None,
    )
    .expect("diff");
    let (mut left_only, mut right_only, mut shown) = (0, 0, 0);
    for block in &d.blocks {
        if let Block::Changed {
            left_only: l,
            right_only: r,
            left,
            right,
        } = block
        {
            left_only += l;
            right_only += r;
            shown += left
                .iter()
                .chain(right)
                .map(|(t, _)| t.len())
                .sum::<usize>();
        }
    }
    eprintln!(
        "civil code: {} / {} words, {} shared ({:.3} / {:.3}), jaccard {:.3}, {} shared paragraphs, \
         {} changed passages ({} not shown), {} bytes of passages shown, approximate {}, {:?}",
        d.left_words,
        d.right_words,
        d.shared_words,
        d.left_share(),
        d.right_share(),
        d.jaccard,
        d.shared_paragraphs,
        d.changed_passages,
        d.more_changed,
        shown,
        d.approximate,
        started.elapsed()
    );
    if d.more_changed == 0 {
        assert_eq!(d.shared_words + left_only, d.left_words);
        assert_eq!(d.shared_words + right_only, d.right_words);
    }
    // The official text carries amendment notes the other conversion lacks: most of the
    // variant is shared, less of the official text.
    assert!(d.left_share() > 0.65 && d.right_share() > 0.9, "{d:?}");
    // The figures agree: shared words over all the words either has is what the Jaccard of
    // their word 5-gram sets measures, near enough.
    let union = (d.left_words + d.right_words - d.shared_words) as f64;
    let expected = d.shared_words as f64 / union;
    assert!(
        (d.jaccard - expected).abs() < 0.05,
        "Jaccard {} vs shared/union {expected}",
        d.jaccard
    );
    assert!(shown < 2_000_000, "the passages shown are bounded: {shown}");
    let shared_blocks = d
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::Shared { .. }))
        .count();
    assert!(shared_blocks <= MAX_CHANGED + 1, "{shared_blocks}");
}
