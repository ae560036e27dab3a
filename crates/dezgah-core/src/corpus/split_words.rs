//! Repairs words that PDF extraction split around some letters: `M ə c ə ll ə nin` →
//! `Məcəllənin`, `v ə dövl ə t` → `və dövlət`.
//!
//! Which neighbours a stray letter belongs to cannot be told locally (`v ə dövl ə t` is two
//! words, `m ə s ə l ə l ə ri` one), so the repair learns the corpus's own vocabulary from the
//! lines that are not split, then picks, for each run of fragments, the joining whose words are
//! most probable under that vocabulary (a unigram word segmentation, solved exactly by dynamic
//! programming).

use std::borrow::Cow;
use std::collections::HashMap;

use crate::corpus::text::to_lower_az;

/// A token that is only a split-off letter or two: non-ASCII Latin letters, as extraction
/// drops exactly the glyphs its font maps oddly (ə, ğ, ş …). Azerbaijani has no such words.
/// (Short Cyrillic words such as `вә` are words, not fragments.)
pub fn is_fragment(token: &str) -> bool {
    let mut letters = 0;
    for c in token.chars() {
        let latin = crate::corpus::text::script_of(c) == Some(crate::corpus::text::Script::Latin);
        let cyrillic_schwa = matches!(c, 'ә' | 'Ә');
        if c.is_ascii() || !(latin || cyrillic_schwa) {
            return false;
        }
        letters += 1;
    }
    // Two stray letters happen too (`güz əş tl ə ri`), but only of the glyphs extraction
    // splits off; that keeps real two-letter words such as `üç` out.
    letters == 1
        || (letters == 2
            && token
                .chars()
                .all(|c| matches!(c, 'ə' | 'Ə' | 'ş' | 'Ş' | 'ğ' | 'Ğ' | 'ә' | 'Ә')))
}

/// How many split-off fragments a text holds (0 for clean text).
pub fn count_fragments(text: &str) -> usize {
    text.split_whitespace().filter(|t| is_fragment(t)).count()
}

/// Byte ranges of the split-off fragments in `text`, each fragment on its own.
pub fn fragment_runs(text: &str) -> Vec<std::ops::Range<usize>> {
    crate::corpus::text::word_ranges(text)
        .filter(|r| is_fragment(&text[r.clone()]))
        .collect()
}

/// Word counts from clean text, lower-cased the Azerbaijani way.
#[derive(Debug, Default, Clone)]
pub struct Lexicon {
    counts: HashMap<String, u64>,
    total: u64,
}

/// A glued word longer than this many pieces is not considered.
const MAX_PIECES: usize = 16;

impl Lexicon {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts the words of every line that has no fragments (split lines would teach the
    /// fragments as words).
    pub fn add_text(&mut self, text: &str) {
        for line in text.lines() {
            if count_fragments(line) > 0 {
                continue;
            }
            for token in line.split_whitespace() {
                let word = token.trim_matches(|c: char| !c.is_alphabetic());
                if word.chars().count() >= 2 && word.chars().all(char::is_alphabetic) {
                    *self.counts.entry(to_lower_az(word)).or_insert(0) += 1;
                    self.total += 1;
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.counts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    pub fn count(&self, word: &str) -> u64 {
        self.counts.get(&to_lower_az(word)).copied().unwrap_or(0)
    }

    /// Log-probability of a word; unknown words cost more the longer they are, so joining
    /// pieces into an unknown word never beats known words.
    fn score(&self, word: &str) -> f64 {
        let total = self.total.max(1) as f64;
        match self.counts.get(&to_lower_az(word)) {
            Some(&n) => (n as f64 / total).ln(),
            None => (1.0 / total).ln() - 10.0 - 2.0 * word.chars().count() as f64,
        }
    }
}

/// The letters of a token without the punctuation around it, and what was around.
fn split_punctuation(token: &str) -> (&str, &str, &str) {
    let start = token
        .char_indices()
        .find(|(_, c)| c.is_alphabetic())
        .map_or(token.len(), |(i, _)| i);
    let end = token
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_alphabetic())
        .map_or(start, |(i, c)| i + c.len_utf8());
    (
        &token[..start],
        &token[start..end.max(start)],
        &token[end.max(start)..],
    )
}

/// Rejoins split words in `text` using `lexicon`. Only single spaces next to a fragment are
/// candidates for removal; every other space stays.
pub fn repair<'a>(text: &'a str, lexicon: &Lexicon) -> Cow<'a, str> {
    if lexicon.is_empty() || count_fragments(text) == 0 {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        changed |= repair_line(line, lexicon, &mut out);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// Appends the repaired `line` to `out`; true if anything was joined.
fn repair_line(line: &str, lexicon: &Lexicon, out: &mut String) -> bool {
    // Tokens with the exact separator that follows each.
    let mut tokens: Vec<(&str, &str)> = Vec::new();
    let mut rest = line;
    let lead_len = rest.len() - rest.trim_start_matches(' ').len();
    out.push_str(&rest[..lead_len]);
    rest = &rest[lead_len..];
    while !rest.is_empty() {
        let end = rest.find(' ').unwrap_or(rest.len());
        let token = &rest[..end];
        let after = &rest[end..];
        let sep_len = after.len() - after.trim_start_matches(' ').len();
        tokens.push((token, &after[..sep_len]));
        rest = &after[sep_len..];
    }
    let n = tokens.len();
    // May the space after token i be removed?
    let joinable: Vec<bool> = (0..n.saturating_sub(1))
        .map(|i| {
            let (a, sep) = tokens[i];
            let b = tokens[i + 1].0;
            sep == " "
                && (is_fragment(split_punctuation(a).1) || is_fragment(split_punctuation(b).1))
                && a.ends_with(char::is_alphabetic)
                && b.starts_with(char::is_alphabetic)
        })
        .collect();

    // best[j]: best score of tokens[..j]; back[j]: where the last word starts.
    let mut best = vec![f64::NEG_INFINITY; n + 1];
    let mut back = vec![0usize; n + 1];
    best[0] = 0.0;
    for j in 1..=n {
        let mut i = j - 1;
        loop {
            if best[i] > f64::NEG_INFINITY {
                let glued: String = tokens[i..j].iter().map(|(t, _)| *t).collect();
                let score = best[i] + lexicon.score(split_punctuation(&glued).1);
                if score > best[j] {
                    best[j] = score;
                    back[j] = i;
                }
            }
            if i == 0 || j - i >= MAX_PIECES || !joinable[i - 1] {
                break;
            }
            i -= 1;
        }
    }
    let mut starts = Vec::new();
    let mut j = n;
    while j > 0 {
        starts.push(back[j]);
        j = back[j];
    }
    starts.reverse();
    let mut joined_any = false;
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(n);
        for (t, (token, _)) in tokens[start..end].iter().enumerate() {
            out.push_str(token);
            if t + 1 < end - start {
                joined_any = true;
            }
        }
        out.push_str(tokens[end - 1].1);
    }
    joined_any
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        let mut lex = Lexicon::new();
        lex.add_text(
            "Bu Məcəllənin vergitutmanın ümumi əsasları və dövlət vergi orqanlarının hüquq və vəzifələri.\n\
             Vergi məsələləri ilə bağlı hüquq və vəzifələri dövlət tərəfindən müəyyən edilir.\n\
             Vergilərin ödənilməsi qaydaları və mənbələri.\n\
             Bu sətir də bölünüb: m ə s ə l ə\n",
        );
        lex
    }

    #[test]
    fn fragments_are_stray_non_ascii_letters() {
        assert!(is_fragment("ə"));
        assert!(is_fragment("əş"));
        assert!(is_fragment("Ə"));
        assert!(!is_fragment("və"));
        assert!(!is_fragment("o"));
        assert!(!is_fragment("ll"));
        assert!(!is_fragment("вә"));
        assert!(!is_fragment("üç"), "a word, not a fragment");
        assert!(is_fragment("ә"), "a Cyrillic schwa split off a Latin word");
        assert_eq!(count_fragments("M ə c ə ll ə nin"), 3);
    }

    #[test]
    fn split_lines_do_not_teach_the_lexicon() {
        let lex = lexicon();
        assert!(lex.count("məcəllənin") > 0);
        assert_eq!(lex.count("sətir"), 0, "the split line was skipped");
        assert!(lex.count("Və") >= 3, "lower-cased the Azerbaijani way");
    }

    #[test]
    fn split_words_are_rejoined_where_the_vocabulary_says() {
        let lex = lexicon();
        assert_eq!(
            repair(
                "- 1.4. Bu M ə c ə ll ə nin vergitutmanın ümumi ə sasları, vergil ə rin öd ə nilm ə si qaydaları",
                &lex
            ),
            "- 1.4. Bu Məcəllənin vergitutmanın ümumi əsasları, vergilərin ödənilməsi qaydaları"
        );
        assert_eq!(
            repair("hüquq v ə v ə zif ə l ə ri, v ə dövl ə t  vergi", &lex),
            "hüquq və vəzifələri, və dövlət  vergi"
        );
        assert_eq!(
            repair("vergi m ə s ə l ə l ə ri il ə ba ğ lı", &lex),
            "vergi məsələləri ilə bağlı"
        );
        // Punctuation stays where it was.
        assert_eq!(
            repair("(öd ə nilm ə si m ə nb ə l ə ri)", &lex),
            "(ödənilməsi mənbələri)"
        );
    }

    #[test]
    fn clean_text_is_returned_as_it_was() {
        let lex = lexicon();
        let clean = "Vergi məsələləri ilə bağlı hüquq və vəzifələri.";
        assert!(matches!(repair(clean, &lex), Cow::Borrowed(_)));
        assert!(matches!(
            repair("M ə c ə ll ə nin", &Lexicon::new()),
            Cow::Borrowed(_)
        ));
    }
}
