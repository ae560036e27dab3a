//! A bounded-time fuzz of the readers, without nightly cargo-fuzz: valid seed files (JSONL,
//! plain text, CSV-ish text, SFT lines in each format, a run configuration) mutated by a seeded
//! generator (byte flips, truncation, NUL and invalid UTF-8, huge lines, duplicated spans) and
//! fed to the corpus reader in each bad-line mode, to `sft_io::import` in each format and to
//! `RunConfig::from_toml`. Nothing may panic, and every error must name its file (and, for a
//! bad line, the line). `DEZGAH_FUZZ_SECS` sets the time (default 20 s), `DEZGAH_FUZZ_SEED`
//! the seed; both are printed, with the iteration count.

use std::path::Path;
use std::time::{Duration, Instant};

use dezgah::core::corpus::read::{BadLines, DocumentReader, ReadError, ReadOptions, TextUnit};
use dezgah::core::sft_io::{self, Format, SftIoError};
use dezgah::core::workspace::Workspace;

/// xorshift64*: small, seeded, the same sequence everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SEEDS_JSONL: &str = concat!(
    "{\"id\": 1, \"text\": \"Azərbaycan Respublikası\", \"source\": \"x\"}\n",
    "{\"text\": \"Bakı şəhəri\"}\n",
    "\n",
    "{\"id\": \"ç\", \"text\": \"Gəncə, Şəki; Quba.\"}\r\n",
);
const SEEDS_TEXT: &str = "Birinci sətir\nİkinci sətir\n\nÜçüncü abzas ə ğ ı ö ü ş ç\n";
const SEEDS_CSV: &str = "id,text\n1,\"Salam, dünya\"\n2,Xəzər\n";
const SEEDS_SFT: &[&str] = &[
    r#"{"messages":[{"role":"user","content":"Sual?"},{"role":"assistant","content":"Cavab."}]}"#,
    r#"{"prompt":[{"role":"user","content":"Sual?"}],"completion":[{"role":"assistant","content":"Cavab."}]}"#,
    r#"{"instruction":"Paytaxt?","input":"","output":"Bakı."}"#,
    r#"{"conversations":[{"from":"human","value":"Salam"},{"from":"gpt","value":"Salam!"}]}"#,
];
const SEED_TOML: &str = "stage = \"pretrain\"\ndata = [\"a.txt\"]\ntokenizer = \"t.json\"\nseed = 7\n\n[optim]\nlr = 0.001\nmax_steps = 3\n";

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(8) {
            0 if !data.is_empty() => {
                let i = rng.below(data.len());
                data[i] ^= 1 << rng.below(8);
            }
            1 => data.truncate(at),
            2 => data.insert(at, 0),
            3 => {
                let bad: &[u8] =
                    [&b"\xff"[..], b"\xc3", b"\xe2\x96", b"\xed\xa0\x80"][rng.below(4)];
                data.splice(at..at, bad.iter().copied());
            }
            4 => {
                // A huge line (up to 256 KiB) of one character or of words.
                let len = 1 + rng.below(1 << 18);
                let fill: &[u8] = if rng.below(2) == 0 {
                    b"a"
                } else {
                    b"s\xc9\x99z "
                };
                let huge: Vec<u8> = fill.iter().copied().cycle().take(len).collect();
                data.splice(at..at, huge);
            }
            5 if !data.is_empty() => {
                let from = rng.below(data.len());
                let to = (from + rng.below(64)).min(data.len());
                let span = data[from..to].to_vec();
                data.splice(at..at, span);
            }
            6 => data.insert(at, b'\n'),
            _ => {
                let byte = (rng.next() & 0xff) as u8;
                data.insert(at, byte);
            }
        }
    }
    data
}

fn check_read_error(err: &ReadError, path: &Path) {
    let text = err.to_string();
    let name = path.display().to_string();
    assert!(text.contains(&name), "error does not name the file: {text}");
    if let ReadError::BadLine(line) = err {
        assert!(line.line >= 1, "line numbers are 1-based: {text}");
        assert!(
            text.contains(&format!("{name}:{}:", line.line)),
            "error does not name the line: {text}"
        );
    }
}

fn read_corpus(path: &Path, mode: BadLines, unit: TextUnit) {
    let options = ReadOptions {
        bad_lines: mode,
        text_unit: unit,
        ..ReadOptions::default()
    };
    let mut reader = match DocumentReader::open(path, options) {
        Ok(reader) => reader,
        Err(e) => return check_read_error(&e, path),
    };
    for doc in reader.by_ref() {
        match doc {
            Ok(doc) => assert!(doc.line >= 1, "documents have 1-based lines"),
            Err(e) => {
                assert_eq!(mode, BadLines::Fail, "only fail mode stops: {e}");
                return check_read_error(&e, path);
            }
        }
    }
    for problem in &reader.problems {
        assert!(problem.line >= 1);
        assert!(problem.to_string().starts_with(&path.display().to_string()));
    }
    assert!(reader.problems.first().len() <= dezgah::core::corpus::read::BAD_LINES_SHOWN);
}

#[test]
fn readers_survive_mutated_inputs() {
    let secs: u64 = std::env::var("DEZGAH_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let seed: u64 = std::env::var("DEZGAH_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_DE29_A4C1);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut ws = Workspace::open(&dir.path().join("ws")).expect("workspace");
    let mut rng = Rng(seed | 1);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut iterations = 0u64;
    let modes = [BadLines::Skip, BadLines::Repair, BadLines::Fail];
    let units = [TextUnit::Line, TextUnit::Paragraph, TextUnit::File];
    while Instant::now() < deadline || iterations < 50 {
        iterations += 1;
        let (name, seed_bytes): (&str, Vec<u8>) = match rng.below(4) {
            0 => ("f.jsonl", SEEDS_JSONL.as_bytes().to_vec()),
            1 => ("f.txt", SEEDS_TEXT.as_bytes().to_vec()),
            2 => ("f.md", SEEDS_CSV.as_bytes().to_vec()),
            _ => ("sft.jsonl", SEEDS_SFT.join("\n").into_bytes()),
        };
        let path = dir.path().join(name);
        std::fs::write(&path, mutate(&mut rng, &seed_bytes)).expect("write");
        let mode = modes[rng.below(3)];
        read_corpus(&path, mode, units[rng.below(3)]);
        if name == "sft.jsonl" {
            let format = Format::ALL[rng.below(4)];
            match sft_io::import(
                ws.store_mut(),
                &path,
                format,
                dezgah::core::domain::SftStatus::Draft,
                None,
            ) {
                Ok(report) => {
                    assert!(report.imported > 0);
                    assert!(report.errors.iter().all(|(line, _)| *line >= 1));
                }
                Err(e @ SftIoError::NothingImported { .. }) => {
                    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
                }
                Err(e) => panic!("unexpected error: {e}"),
            }
        }
        if rng.below(8) == 0 {
            let toml_path = dir.path().join("run.toml");
            let text =
                String::from_utf8_lossy(&mutate(&mut rng, SEED_TOML.as_bytes())).into_owned();
            if let Err(e) = dezgah::core::train::RunConfig::from_toml(&text, &toml_path) {
                assert!(e.to_string().contains("run.toml"), "{e}");
            }
        }
    }
    println!("fuzz_readers: seed {seed}, {iterations} iterations in {secs} s");
}
