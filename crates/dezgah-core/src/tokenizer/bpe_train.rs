//! Byte-level BPE training of our own, writing the same `tokenizer.json` as `tokenizers`'
//! `BpeTrainer` (the same merges, in the same order, on the same text: the tests compare them).
//!
//! The crate's trainer spends most of its time outside the merges: every document goes through
//! its normaliser and the GPT-2 regex with alignment bookkeeping. Here words are counted with
//! the normaliser and pre-tokenizer of [`super::fast`] on all cores, and the merge loop is the
//! crate's algorithm (a heap of pair counts, refreshed lazily; each merge rewrites only the
//! words that hold the pair) on plain vectors.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use tokenizers::AddedToken;

use super::TokenizerError;
use super::fast::{self, MixMap, Norm};
use crate::jobs::JobCtx;

type Pair = (u32, u32);

/// A queued merge: a pair, its count when queued, and the words that gained it since.
#[derive(Debug, PartialEq, Eq)]
struct Merge {
    count: u64,
    pair: Pair,
    words: Vec<usize>,
}

impl Ord for Merge {
    fn cmp(&self, other: &Self) -> Ordering {
        // Highest count first; among equal counts the smallest pair.
        self.count
            .cmp(&other.count)
            .then_with(|| other.pair.cmp(&self.pair))
    }
}

impl PartialOrd for Merge {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Word counts kept across batches: each parallel task takes one, counts its documents into
/// it and gives it back, so counts are merged once at the end rather than after every batch.
pub(super) type Counts = MixMap<Vec<u8>, u64>;

/// How documents are cut into words before counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Split {
    /// The GPT-2 pattern of byte-level BPE.
    Gpt2,
    /// Metaspace (`▁` before each word), as Unigram pipelines cut.
    Metaspace,
}

/// The longest word the trainers count, in bytes: a longer pre-tokenized word (a run of
/// letters with no space, a base64 blob) is counted as pieces of at most this many bytes, cut at
/// character boundaries. No useful token is that long, and a single 200 MB "word" would
/// otherwise be held, and merged over, whole. (SentencePiece's trainer has the same kind of
/// cap: `max_sentence_length`, 4192 bytes.)
pub(super) const MAX_WORD_BYTES: usize = 256;

/// Documents are normalised and pre-tokenized in pieces of about this many bytes (cut before a
/// space where there is one), so that the per-character bookkeeping of the word splitter and the
/// normaliser is bounded by the piece, not by the longest line.
const MAX_PIECE_BYTES: usize = 1 << 16;

/// `text` in pieces of at most `max` bytes (or one character, if longer), each cut just before
/// a space when there is one in its second half, else at a character boundary.
pub(super) fn pieces(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        if rest.len() <= max {
            return Some(std::mem::take(&mut rest));
        }
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let half = (max / 2).min(cut);
        if let Some(space) = rest.as_bytes()[half..cut].iter().rposition(|&b| b == b' ') {
            cut = half + space;
        }
        if cut == 0 {
            cut = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (head, tail) = rest.split_at(cut);
        rest = tail;
        Some(head)
    })
}

/// `word` as it is, or in pieces of at most `max` bytes cut at UTF-8 character boundaries.
pub(super) fn capped(word: &[u8], max: usize) -> impl Iterator<Item = &[u8]> {
    let mut rest = word;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut cut = rest.len().min(max);
        // Back up to a character start (a continuation byte is 0b10xx_xxxx).
        while cut < rest.len() && cut > 0 && rest[cut] & 0xC0 == 0x80 {
            cut -= 1;
        }
        if cut == 0 {
            cut = rest.len().min(max);
        }
        let (head, tail) = rest.split_at(cut);
        rest = tail;
        Some(head)
    })
}

/// Counts the pre-tokenized words (as raw UTF-8 bytes) of a batch of documents into `pool`.
/// Long documents are handled in pieces and long words capped (see [`MAX_WORD_BYTES`]).
pub(super) fn count_words(
    texts: &[String],
    norm: Norm,
    normalizer: Option<&tokenizers::NormalizerWrapper>,
    split: Split,
    pool: &std::sync::Mutex<Vec<Counts>>,
) {
    texts.par_chunks(256).for_each(|chunk| {
        let mut counts = pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        let mut normalised = String::new();
        let mut word = Vec::new();
        for text in chunk.iter().flat_map(|t| pieces(t, MAX_PIECE_BYTES)) {
            if !fast::normalise_with(norm, text, &mut normalised) {
                // Characters NFC may change: the crate's own normaliser.
                let mut n = tokenizers::NormalizedString::from(text);
                if let Some(normalizer) = normalizer {
                    let _ = tokenizers::Normalizer::normalize(normalizer, &mut n);
                }
                n.get().clone_into(&mut normalised);
            }
            let mut count = |w: &[u8]| {
                for w in capped(w, MAX_WORD_BYTES) {
                    if let Some(c) = counts.get_mut(w) {
                        *c += 1;
                    } else {
                        counts.insert(w.to_vec(), 1);
                    }
                }
                true
            };
            match split {
                Split::Gpt2 => {
                    fast::gpt2_words(&normalised, |w| count(w.as_bytes()));
                }
                Split::Metaspace => {
                    fast::metaspace_words(&normalised, &mut word, count);
                }
            }
        }
        if let Ok(mut p) = pool.lock() {
            p.push(counts);
        }
    });
}

/// Merges the per-task word counts of [`count_words`] into one map (the largest takes in the
/// others).
pub(super) fn merge_counts(pool: std::sync::Mutex<Vec<Counts>>) -> Counts {
    let mut maps = pool.into_inner().unwrap_or_default();
    maps.sort_by_key(|m| std::cmp::Reverse(m.len()));
    let mut counts = if maps.is_empty() {
        MixMap::default()
    } else {
        maps.swap_remove(0)
    };
    for map in maps {
        for (w, c) in map {
            *counts.entry(w).or_default() += c;
        }
    }
    counts
}

/// Merges `(a, b)` into `new` throughout `word`, left to right, and lists the pair counts that
/// change (per occurrence: −1 for the pairs it broke, +1 for those it made), as the crate does.
fn merge_word(word: &mut Vec<u32>, a: u32, b: u32, new: u32, changes: &mut Vec<(Pair, i64)>) {
    let mut i = 0;
    while i < word.len() {
        if word[i] == a && i + 1 < word.len() && word[i + 1] == b {
            if i > 0 {
                changes.push(((word[i - 1], a), -1));
                changes.push(((word[i - 1], new), 1));
            }
            word[i] = new;
            word.remove(i + 1);
            if i + 1 < word.len() {
                changes.push(((b, word[i + 1]), -1));
                changes.push(((new, word[i + 1]), 1));
            }
        }
        i += 1;
    }
}

/// What training needs besides the text.
pub(super) struct Settings<'a> {
    pub vocab_size: usize,
    pub min_frequency: u64,
    pub special: &'a [AddedToken],
    pub normalizer: Option<tokenizers::NormalizerWrapper>,
    pub norm: Norm,
}

/// The vocabulary (by id) and the merges, in order.
pub(super) type Trained = (Vec<String>, Vec<(String, String)>);

/// Trains on `batches` of documents (read by the caller) and returns the model's vocabulary and
/// merges.
pub(super) fn train(
    batches: impl Iterator<Item = Vec<String>>,
    settings: &Settings<'_>,
    ctx: Option<&JobCtx>,
) -> Result<Trained, TokenizerError> {
    let cancelled = || ctx.is_some_and(JobCtx::is_cancelled);
    let pool = std::sync::Mutex::new(Vec::new());
    for batch in batches {
        count_words(
            &batch,
            settings.norm,
            settings.normalizer.as_ref(),
            Split::Gpt2,
            &pool,
        );
        if cancelled() {
            return Err(TokenizerError::Cancelled);
        }
    }
    let counts = merge_counts(pool);

    // Special tokens, then the alphabet (all 256 byte characters) by code point.
    let mut id_to_word: Vec<String> = Vec::new();
    let mut word_to_id: MixMap<String, u32> = MixMap::default();
    let mut add = |token: String, id_to_word: &mut Vec<String>| -> u32 {
        if let Some(&id) = word_to_id.get(&token) {
            return id;
        }
        let id = id_to_word.len() as u32;
        word_to_id.insert(token.clone(), id);
        id_to_word.push(token);
        id
    };
    for token in settings.special {
        add(token.content.clone(), &mut id_to_word);
    }
    let mut alphabet: Vec<char> = (0..=255u8).map(fast::byte_char).collect();
    alphabet.sort_unstable();
    for c in alphabet {
        add(c.to_string(), &mut id_to_word);
    }
    let mut byte_ids = [0u32; 256];
    for (b, id) in byte_ids.iter_mut().enumerate() {
        *id = add(fast::byte_char(b as u8).to_string(), &mut id_to_word);
    }

    let (mut words, word_counts): (Vec<Vec<u32>>, Vec<u64>) = counts
        .into_iter()
        .map(|(w, c)| (w.iter().map(|&b| byte_ids[usize::from(b)]).collect(), c))
        .unzip();

    // Pair counts, and the words that hold each pair.
    let (mut pair_counts, where_to_update) = words
        .par_iter()
        .enumerate()
        .fold(
            || {
                (
                    MixMap::<Pair, i64>::default(),
                    MixMap::<Pair, Vec<usize>>::default(),
                )
            },
            |(mut counts, mut places), (i, word)| {
                for w in word.windows(2) {
                    let pair = (w[0], w[1]);
                    *counts.entry(pair).or_default() += word_counts[i] as i64;
                    let at = places.entry(pair).or_default();
                    if at.last() != Some(&i) {
                        at.push(i);
                    }
                }
                (counts, places)
            },
        )
        .reduce(
            || (MixMap::default(), MixMap::default()),
            |(mut c1, mut p1), (c2, p2)| {
                for (pair, c) in c2 {
                    *c1.entry(pair).or_default() += c;
                }
                for (pair, at) in p2 {
                    p1.entry(pair).or_default().extend(at);
                }
                (c1, p1)
            },
        );
    let mut queue: BinaryHeap<Merge> = where_to_update
        .into_iter()
        .filter_map(|(pair, words)| {
            let count = pair_counts[&pair];
            (count > 0).then_some(Merge {
                count: count as u64,
                pair,
                words,
            })
        })
        .collect();

    let mut merges: Vec<(u32, u32)> = Vec::new();
    let mut changes = Vec::new();
    let mut gained: MixMap<Pair, Vec<usize>> = MixMap::default();
    while id_to_word.len() < settings.vocab_size {
        let Some(mut top) = queue.pop() else {
            break;
        };
        let now = pair_counts[&top.pair];
        if top.count != now as u64 {
            top.count = now.max(0) as u64;
            queue.push(top);
            continue;
        }
        if top.count < 1 || settings.min_frequency > top.count {
            break;
        }
        let token = format!(
            "{}{}",
            id_to_word[top.pair.0 as usize], id_to_word[top.pair.1 as usize]
        );
        let new = add(token, &mut id_to_word);
        merges.push(top.pair);
        for &i in &top.words {
            changes.clear();
            merge_word(&mut words[i], top.pair.0, top.pair.1, new, &mut changes);
            for &(pair, change) in &changes {
                *pair_counts.entry(pair).or_default() += change * word_counts[i] as i64;
                if change > 0 {
                    let at = gained.entry(pair).or_default();
                    if at.last() != Some(&i) {
                        at.push(i);
                    }
                }
            }
        }
        for (pair, mut at) in gained.drain() {
            let count = pair_counts[&pair];
            if count > 0 {
                at.sort_unstable();
                at.dedup();
                queue.push(Merge {
                    count: count as u64,
                    pair,
                    words: at,
                });
            }
        }
        // Progress stays in bytes read (the merges take a second or two); cancel still works.
        if merges.len().is_multiple_of(512) && cancelled() {
            return Err(TokenizerError::Cancelled);
        }
    }
    let merges = merges
        .into_iter()
        .map(|(a, b)| {
            (
                id_to_word[a as usize].clone(),
                id_to_word[b as usize].clone(),
            )
        })
        .collect();
    Ok((id_to_word, merges))
}

/// The trained vocabulary and merges as a `tokenizers` BPE model.
pub(super) fn model(
    id_to_word: &[String],
    merges: &[(String, String)],
) -> Result<tokenizers::models::bpe::BPE, TokenizerError> {
    let vocab: serde_json::Map<String, serde_json::Value> = id_to_word
        .iter()
        .enumerate()
        .map(|(id, w)| (w.clone(), serde_json::Value::from(id)))
        .collect();
    let json = serde_json::json!({
        "type": "BPE",
        "dropout": null,
        "unk_token": null,
        "continuing_subword_prefix": null,
        "end_of_word_suffix": null,
        "fuse_unk": false,
        "byte_fallback": false,
        "ignore_merges": false,
        "vocab": vocab,
        "merges": merges.iter().map(|(a, b)| [a, b]).collect::<Vec<_>>(),
    });
    serde_json::from_str(&json.to_string()).map_err(|e| TokenizerError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use tokenizers::models::bpe::{BPE, BpeTrainerBuilder};
    use tokenizers::pre_tokenizers::byte_level::ByteLevel;
    use tokenizers::{AddedToken, Tokenizer, TokenizerBuilder};

    use crate::corpus::read::ReadOptions;
    use crate::tokenizer::{Kind, SPECIAL_TOKENS, TrainConfig, az_normalizer, train};

    #[test]
    fn long_texts_are_cut_before_spaces_and_long_words_capped_at_characters() {
        use super::{MAX_WORD_BYTES, capped, pieces};
        let text = "söz ".repeat(100);
        let cut: Vec<&str> = pieces(&text, 64).collect();
        assert_eq!(cut.concat(), text, "nothing is lost");
        assert!(cut.iter().all(|p| p.len() <= 64));
        assert!(cut[1..].iter().all(|p| p.starts_with(' ')), "{cut:?}");
        let one = "ş".repeat(100);
        let cut: Vec<&str> = pieces(&one, 33).collect();
        assert_eq!(cut.concat(), one);
        assert!(cut.iter().all(|p| p.len() <= 33));

        let word = "ə".repeat(MAX_WORD_BYTES);
        let parts: Vec<&[u8]> = capped(word.as_bytes(), MAX_WORD_BYTES).collect();
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| std::str::from_utf8(p).is_ok()));
        assert_eq!(parts.concat(), word.as_bytes());
        assert_eq!(capped(b"qisa", MAX_WORD_BYTES).count(), 1);
    }

    #[test]
    fn one_huge_word_trains_a_tokenizer_without_holding_it_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join("uzun.txt");
        let mut text = "a".repeat(3 << 20);
        text.push_str("\nBakı Gəncə Şəki\n");
        std::fs::write(&input, text).expect("write");
        for kind in [Kind::Bpe, Kind::Unigram] {
            let out = dir.path().join(format!("{kind:?}.json"));
            let report = train(
                std::slice::from_ref(&input),
                &ReadOptions::default(),
                &TrainConfig {
                    kind,
                    vocab_size: 300,
                    ..TrainConfig::default()
                },
                &out,
                None,
            )
            .expect("train");
            assert_eq!(report.documents, 2);
        }
    }

    /// The crate's own trainer, set up as Dəzgah set it up before it had its own.
    fn crate_trained(lines: &[&str], config: &TrainConfig) -> Tokenizer {
        let special: Vec<AddedToken> = SPECIAL_TOKENS
            .iter()
            .map(|t| AddedToken::from((*t).to_owned(), true))
            .collect();
        let mut trainer = BpeTrainerBuilder::new()
            .vocab_size(config.vocab_size)
            .min_frequency(config.min_frequency)
            .special_tokens(special)
            .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
            .show_progress(false)
            .build();
        let normalizer = config
            .normalize_az
            .then(|| az_normalizer(config.lowercase).expect("normalizer"));
        let mut tokenizer = TokenizerBuilder::new()
            .with_model(BPE::default())
            .with_normalizer(normalizer)
            .with_pre_tokenizer(Some(ByteLevel::default().add_prefix_space(false)))
            .with_decoder(Some(ByteLevel::default()))
            .with_post_processor(Some(ByteLevel::default().trim_offsets(false)))
            .build()
            .expect("build");
        tokenizer
            .train(&mut trainer, lines.iter().map(|l| (*l).to_owned()))
            .expect("train");
        tokenizer.into()
    }

    #[test]
    fn our_trainer_writes_the_tokenizer_the_crates_trainer_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let lines = [
            "Azərbaycan Respublikasının Mülki Məcəlləsi mülki qanunvericiliyin əsaslarını müəyyən edir.",
            "Bakı şəhəri Xəzər dənizinin sahilində yerləşir və ölkənin paytaxtıdır.",
            "  Ağır günlərdə də insanlar bir-birinə kömək edirdilər,\tçünki birlik gücdür.",
            "İSTİQLAL küçəsində yeni kitab mağazası açıldı; oxucular çox sevindi!!",
            "It's 2024: we're reading 15 books, they've 3 more… «Kitab» — “sitat” 😀",
            "Məcəllәsi ǝlifba e\u{301}lavə Қазақ тілі",
            "aaaa aaaaaa abababab",
        ];
        let text: String = (0..50)
            .flat_map(|i| [lines[i % lines.len()], "\n"])
            .collect();
        let input = dir.path().join("az.txt");
        std::fs::write(&input, &text).expect("write");
        let docs: Vec<&str> = text.lines().collect();
        for (normalize_az, lowercase, min_frequency, vocab_size) in [
            (true, false, 2, 700),
            (true, true, 1, 900),
            (false, false, 3, 400),
        ] {
            let config = TrainConfig {
                kind: Kind::Bpe,
                vocab_size,
                min_frequency,
                normalize_az,
                lowercase,
                ..TrainConfig::default()
            };
            let out = dir.path().join("ours.json");
            train(
                std::slice::from_ref(&input),
                &ReadOptions::default(),
                &config,
                &out,
                None,
            )
            .expect("ours");
            let ours: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&out).expect("read")).expect("json");
            let theirs: serde_json::Value = serde_json::from_str(
                &crate_trained(&docs, &config)
                    .to_string(false)
                    .expect("json"),
            )
            .expect("json");
            let merges = ours["model"]["merges"].as_array().map_or(0, Vec::len);
            assert!(merges > 100, "{merges} merges");
            assert_eq!(
                ours, theirs,
                "az={normalize_az} lower={lowercase} min={min_frequency}"
            );
        }
        assert!(Path::new(&input).exists());
    }
}
