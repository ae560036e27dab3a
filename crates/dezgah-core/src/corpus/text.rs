//! Azerbaijani text rules: Turkic casing, the schwa and its look-alikes, Cyrillic → Latin by the
//! official 1991/92 table, script detection, and white-space clean-up. Each rule returns
//! `Cow::Borrowed` when it changes nothing, so a cleaner can count the documents a rule touched
//! without comparing strings.
//!
//! The facts come from `shared/corpora/az/ORTHOGRAPHY.md` (SpecialCasing "Turkish and Azeri",
//! BGN/PCGN 1993 via CLDR `Azerbaijani-Latin-BGN`).

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization as _, is_nfc_quick};

/// Lower-cases with the Azerbaijani rules: `I → ı`, `İ → i` (and `I` + U+0307 → `i`), where the
/// default Unicode mapping gives `i` and `i̇`.
pub fn to_lower_az(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            'İ' => out.push('i'),
            'I' if chars.peek() == Some(&'\u{307}') => {
                chars.next();
                out.push('i');
            }
            'I' => out.push('ı'),
            // ǝ's default upper/lower pair is Ǝ, not Ə; keep the schwa pair whole.
            'Ə' => out.push('ə'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Upper-cases with the Azerbaijani rules: `i → İ`, `ı → I`.
pub fn to_upper_az(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'i' => out.push('İ'),
            'ı' => out.push('I'),
            'ə' => out.push('Ə'),
            c => out.extend(c.to_uppercase()),
        }
    }
    out
}

/// Title case for one word (first letter upper, rest lower), Azerbaijani rules.
pub fn to_title_az(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => {
            let mut out = to_upper_az(&first.to_string());
            out.push_str(&to_lower_az(chars.as_str()));
            out
        }
        None => String::new(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    Latin,
    Cyrillic,
}

/// The script of a letter, for the two scripts Azerbaijani is written in.
pub fn script_of(c: char) -> Option<Script> {
    match c {
        // Basic Latin, Latin-1, Extended-A/B, IPA (ə is U+0259 there), Extended Additional.
        'A'..='Z' | 'a'..='z' | '\u{00C0}'..='\u{02AF}' | '\u{1E00}'..='\u{1EFF}' => {
            c.is_alphabetic().then_some(Script::Latin)
        }
        '\u{0400}'..='\u{052F}' => c.is_alphabetic().then_some(Script::Cyrillic),
        _ => None,
    }
}

/// Letters by script in a piece of text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptCounts {
    pub latin: usize,
    pub cyrillic: usize,
    /// Letters of any other script (Arabic, Greek, CJK …).
    pub other: usize,
}

impl ScriptCounts {
    pub fn of(text: &str) -> Self {
        let mut counts = Self::default();
        for c in text.chars().filter(|c| c.is_alphabetic()) {
            match script_of(c) {
                Some(Script::Latin) => counts.latin += 1,
                Some(Script::Cyrillic) => counts.cyrillic += 1,
                None => counts.other += 1,
            }
        }
        counts
    }

    pub fn letters(&self) -> usize {
        self.latin + self.cyrillic + self.other
    }

    /// The script most letters are in, if any letters are Latin or Cyrillic.
    pub fn dominant(&self) -> Option<Script> {
        match (self.latin, self.cyrillic) {
            (0, 0) => None,
            (l, c) if l >= c => Some(Script::Latin),
            _ => Some(Script::Cyrillic),
        }
    }

    /// Both Latin and Cyrillic letters: inside one word that is nearly always an error.
    pub fn is_mixed(&self) -> bool {
        self.latin > 0 && self.cyrillic > 0
    }
}

/// Letters only Azerbaijani Cyrillic has (Russian lacks them).
const AZ_CYRILLIC: &str = "ӘәҒғҜҝӨөҮүҺһҸҹЈј";

/// True for text written mostly in Cyrillic with the letters of the Azerbaijani Cyrillic
/// alphabet, as opposed to Russian (or Latin text with a stray Cyrillic letter).
pub fn is_cyrillic_azerbaijani(text: &str) -> bool {
    let counts = ScriptCounts::of(text);
    if counts.dominant() != Some(Script::Cyrillic) || counts.cyrillic * 2 < counts.letters() {
        return false;
    }
    let specific = text.chars().filter(|c| AZ_CYRILLIC.contains(*c)).count();
    // Azerbaijani Cyrillic text has ә alone in roughly one letter in ten; 2% is a safe floor that
    // short texts without any such letter fail.
    specific * 50 >= counts.cyrillic
}

pub use crate::domain::Source;

/// What a corpus's [`Source`] means for its text; here rather than on the type, which lives
/// in the domain leaf and knows no letters.
pub trait SourceText {
    /// Whether transliteration converts `text`, a document of a corpus written in `self`.
    fn converts(self, text: &str) -> bool;
}

impl SourceText for Source {
    fn converts(self, text: &str) -> bool {
        match self {
            Self::Auto => is_cyrillic_azerbaijani(text),
            Self::AzLatn => false,
            Self::AzCyrl => text.chars().any(|c| script_of(c) == Some(Script::Cyrillic)),
        }
    }
}

/// The official Cyrillic → Latin correspondence (BGN/PCGN 1993), with the obsolete and Russian
/// loan letters as common practice writes them (й э ю я щ ц → y e yu ya şç ts; ь ъ dropped).
fn cyrillic_to_latin(c: char) -> Option<&'static str> {
    Some(match c {
        'А' => "A",
        'а' => "a",
        'Б' => "B",
        'б' => "b",
        'В' => "V",
        'в' => "v",
        'Г' => "Q",
        'г' => "q",
        'Ғ' => "Ğ",
        'ғ' => "ğ",
        'Д' => "D",
        'д' => "d",
        'Е' | 'Э' => "E",
        'е' | 'э' => "e",
        'Ә' => "Ə",
        'ә' => "ə",
        'Ж' => "J",
        'ж' => "j",
        'З' => "Z",
        'з' => "z",
        'И' => "İ",
        'и' => "i",
        'Ы' => "I",
        'ы' => "ı",
        'Ј' | 'Й' => "Y",
        'ј' | 'й' => "y",
        'К' => "K",
        'к' => "k",
        'Ҝ' => "G",
        'ҝ' => "g",
        'Л' => "L",
        'л' => "l",
        'М' => "M",
        'м' => "m",
        'Н' => "N",
        'н' => "n",
        'О' => "O",
        'о' => "o",
        'Ө' => "Ö",
        'ө' => "ö",
        'П' => "P",
        'п' => "p",
        'Р' => "R",
        'р' => "r",
        'С' => "S",
        'с' => "s",
        'Т' => "T",
        'т' => "t",
        'У' => "U",
        'у' => "u",
        'Ү' => "Ü",
        'ү' => "ü",
        'Ф' => "F",
        'ф' => "f",
        'Х' => "X",
        'х' => "x",
        'Һ' => "H",
        'һ' => "h",
        'Ч' => "Ç",
        'ч' => "ç",
        'Ҹ' => "C",
        'ҹ' => "c",
        'Ш' => "Ş",
        'ш' => "ş",
        'Ю' => "Yu",
        'ю' => "yu",
        'Я' => "Ya",
        'я' => "ya",
        'Ё' => "Yo",
        'ё' => "yo",
        'Щ' => "Şç",
        'щ' => "şç",
        'Ц' => "Ts",
        'ц' => "ts",
        'Ь' | 'ь' | 'Ъ' | 'ъ' => "",
        _ => return None,
    })
}

/// Transliterates Cyrillic letters to Latin by the official table. A two-letter result of a
/// capital (Ю → Yu) is all capitals inside an all-capital word (ЮНЕСКО → YUNESKO).
pub fn transliterate_cyrillic(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| cyrillic_to_latin(c).is_some()) {
        return Cow::Borrowed(text);
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let Some(latin) = cyrillic_to_latin(c) else {
            out.push(c);
            continue;
        };
        if latin.chars().count() > 1 && c.is_uppercase() {
            let neighbour_upper = chars
                .get(i + 1)
                .or_else(|| i.checked_sub(1).and_then(|p| chars.get(p)))
                .is_some_and(|n| n.is_uppercase());
            if neighbour_upper {
                out.push_str(&to_upper_az(latin));
                continue;
            }
        }
        out.push_str(latin);
    }
    Cow::Owned(out)
}

/// Latin letters a Cyrillic one is mistaken for inside Latin words (the keyboard or OCR swapped
/// them): judged by shape, not sound, so Cyrillic р is Latin p here (the transliteration says r).
fn latin_look_alike(c: char) -> Option<char> {
    Some(match c {
        'ә' => 'ə',
        'Ә' => 'Ə',
        'а' => 'a',
        'А' => 'A',
        'В' => 'B',
        'е' => 'e',
        'Е' => 'E',
        'і' => 'i',
        'І' => 'I',
        'ј' => 'j',
        'Ј' => 'J',
        'К' => 'K',
        'к' => 'k',
        'М' => 'M',
        'Н' => 'H',
        'һ' => 'h',
        'о' => 'o',
        'О' => 'O',
        'р' => 'p',
        'Р' => 'P',
        'с' => 'c',
        'С' => 'C',
        'Т' => 'T',
        'х' => 'x',
        'Х' => 'X',
        'у' => 'y',
        'ү' => 'ü',
        'ө' => 'ö',
        'ғ' => 'ğ',
        _ => return None,
    })
}

/// Applies `fix` to every word (a run of letters and combining marks), copying the rest.
fn map_words(text: &str, mut fix: impl FnMut(&str) -> Option<String>) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut copied_to = 0;
    for range in word_ranges(text) {
        if let Some(fixed) = fix(&text[range.clone()]) {
            let buf = out.get_or_insert_with(|| String::with_capacity(text.len()));
            buf.push_str(&text[copied_to..range.start]);
            buf.push_str(&fixed);
            copied_to = range.end;
        }
    }
    match out {
        Some(mut buf) => {
            buf.push_str(&text[copied_to..]);
            Cow::Owned(buf)
        }
        None => Cow::Borrowed(text),
    }
}

/// Byte ranges of the words (runs of letters and combining marks) of `text`.
pub fn word_ranges(text: &str) -> impl Iterator<Item = std::ops::Range<usize>> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let in_word = |c: char| c.is_alphabetic() || is_combining_mark(c);
        let (start, _) = chars.by_ref().find(|&(_, c)| in_word(c))?;
        let mut end = text.len();
        while let Some(&(i, c)) = chars.peek() {
            if !in_word(c) {
                end = i;
                break;
            }
            chars.next();
        }
        Some(start..end)
    })
}

fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// The schwa's look-alikes become ə/Ə: Cyrillic ә/Ә inside Latin words (and standing alone in
/// Latin text, as PDF extraction leaves it: `m ә bl әğ`), ǝ/Ǝ (U+01DD/U+018E, whose case pair is
/// not the schwa's), and ä/Ä of the 1991–92 spelling. Cyrillic words keep their ә:
/// transliteration handles them.
pub fn fold_schwa(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| matches!(c, 'ә' | 'Ә' | 'ǝ' | 'Ǝ' | 'ä' | 'Ä'))
    {
        return Cow::Borrowed(text);
    }
    let latin_text = ScriptCounts::of(text).dominant() == Some(Script::Latin);
    map_words(text, |word| {
        let latin_word = ScriptCounts::of(word).latin > 0
            || (latin_text && word.chars().all(|c| matches!(c, 'ә' | 'Ә')));
        let mut changed = false;
        let fixed: String = word
            .chars()
            .map(|c| {
                let to = match c {
                    'ǝ' | 'ä' => 'ə',
                    'Ǝ' | 'Ä' => 'Ə',
                    'ә' if latin_word => 'ə',
                    'Ә' if latin_word => 'Ə',
                    c => c,
                };
                changed |= to != c;
                to
            })
            .collect();
        changed.then_some(fixed)
    })
}

/// Cyrillic letters inside mostly-Latin words become the Latin letters they look like
/// (`mәblәğ`, `Azеrbaycan` with Cyrillic е).
pub fn fix_mixed_script_words(text: &str) -> Cow<'_, str> {
    map_words(text, |word| {
        let counts = ScriptCounts::of(word);
        if !counts.is_mixed() || counts.latin < counts.cyrillic {
            return None;
        }
        let mut changed = false;
        let fixed: String = word
            .chars()
            .map(|c| match latin_look_alike(c) {
                Some(l) => {
                    changed = true;
                    l
                }
                None => c,
            })
            .collect();
        changed.then_some(fixed)
    })
}

/// Words that mix Latin and Cyrillic letters, with their byte ranges (for highlighting).
pub fn mixed_script_words(text: &str) -> Vec<std::ops::Range<usize>> {
    word_ranges(text)
        .filter(|r| ScriptCounts::of(&text[r.clone()]).is_mixed())
        .collect()
}

/// Unicode NFC (composed letters: `ə` + U+0301 stays, `i` + U+0307 sequences compose where they can).
pub fn nfc(text: &str) -> Cow<'_, str> {
    if is_nfc_quick(text.chars()) == IsNormalized::Yes {
        return Cow::Borrowed(text);
    }
    let normalized: String = text.nfc().collect();
    if normalized == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(normalized)
    }
}

/// Characters that are never content: C0/C1 controls except tab and newline, zero-width
/// spaces and joiners, the BOM, soft hyphens.
pub fn is_invisible_junk(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}'
        )
}

/// Removes control and zero-width characters, turns every kind of space into a plain one,
/// collapses runs of spaces, trims line ends, and keeps at most one empty line in a row.
pub fn clean_whitespace(text: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for (i, raw_line) in text.split('\n').enumerate() {
        let mut line = String::with_capacity(raw_line.len());
        let mut pending_space = false;
        for c in raw_line.chars() {
            if is_invisible_junk(c) {
                continue;
            }
            if c.is_whitespace() {
                pending_space = !line.is_empty();
                continue;
            }
            if pending_space {
                line.push(' ');
                pending_space = false;
            }
            line.push(c);
        }
        if line.is_empty() {
            blank_run += 1;
            if blank_run > 1 {
                continue;
            }
        } else {
            blank_run = 0;
        }
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&line);
    }
    // Leading and trailing blank lines carry nothing.
    let trimmed = out.trim_matches('\n');
    if trimmed == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(trimmed.to_owned())
    }
}

/// Anomalies a reader should see highlighted in a document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Anomalies {
    pub mixed_script_words: usize,
    /// Letters split off their words by PDF extraction (`M ə c ə ll ə nin`).
    pub split_word_fragments: usize,
    pub schwa_look_alikes: usize,
    pub replacement_chars: usize,
    pub control_chars: usize,
}

impl Anomalies {
    pub fn of(text: &str) -> Self {
        let mut a = Self {
            mixed_script_words: mixed_script_words(text).len(),
            split_word_fragments: crate::corpus::split_words::count_fragments(text),
            ..Self::default()
        };
        // Only the look-alikes the schwa rule would change: Cyrillic text keeps its ә.
        if let Cow::Owned(folded) = fold_schwa(text) {
            a.schwa_look_alikes = text
                .chars()
                .zip(folded.chars())
                .filter(|(x, y)| x != y)
                .count();
        }
        for c in text.chars() {
            match c {
                '\u{FFFD}' => a.replacement_chars += 1,
                c if is_invisible_junk(c) => a.control_chars += 1,
                _ => {}
            }
        }
        a
    }

    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkic_casing_round_trips_where_default_casing_fails() {
        assert_eq!(to_lower_az("İLHAM ƏLİYEV IĞDIR"), "ilham əliyev ığdır");
        assert_eq!(to_upper_az("iyi ılıq"), "İYİ ILIQ");
        assert_eq!(to_upper_az("ilham əliyev ığdır"), "İLHAM ƏLİYEV IĞDIR");
        // I + combining dot above is a dotted i.
        assert_eq!(to_lower_az("I\u{307}stanbul"), "istanbul");
        // What the default mapping gets wrong.
        assert_ne!("İ".to_lowercase(), "i");
        assert_eq!(to_title_az("istanbul"), "İstanbul");
        assert_eq!(to_title_az("IĞDIR"), "Iğdır");
    }

    #[test]
    fn every_azerbaijani_letter_has_its_script() {
        for c in "ABCÇDEƏFGĞHXIİJKQLMNOÖPRSŞTUÜVYZabcçdeəfgğhxıijkqlmnoöprsştuüvyz".chars()
        {
            assert_eq!(script_of(c), Some(Script::Latin), "{c}");
        }
        for c in "АаБбВвГгҒғДдЕеӘәЖжЗзИиЫыЈјКкҜҝЛлМмНнОоӨөПпРрСсТтУуҮүФфХхҺһЧчҸҹШш".chars()
        {
            assert_eq!(script_of(c), Some(Script::Cyrillic), "{c}");
        }
        assert_eq!(script_of('7'), None);
    }

    #[test]
    fn casing_covers_every_letter_of_the_alphabet() {
        let upper = "ABCÇDEƏFGĞHXIİJKQLMNOÖPRSŞTUÜVYZ";
        let lower = "abcçdeəfgğhxıijkqlmnoöprsştuüvyz";
        assert_eq!(to_lower_az(upper), lower);
        assert_eq!(to_upper_az(lower), upper);
    }

    #[test]
    fn schwa_look_alikes_fold_in_latin_words_only() {
        assert_eq!(fold_schwa("mәblәğ vǝ azärbaycan"), "məbləğ və azərbaycan");
        assert_eq!(fold_schwa("ƎLİ"), "ƏLİ");
        assert_eq!(fold_schwa("olan m ә bl әğ"), "olan m ə bl əğ");
        // A Cyrillic word keeps its Cyrillic schwa for the transliterator.
        assert_eq!(fold_schwa("әдәбијјат"), "әдәбијјат");
        assert!(matches!(fold_schwa("heç nə dəyişmir"), Cow::Borrowed(_)));
    }

    #[test]
    fn mixed_script_words_are_found_and_fixed_by_shape() {
        let text = "Azеrbaycan Respublikası və Рrezident"; // Cyrillic е and Р
        assert_eq!(mixed_script_words(text).len(), 2);
        assert_eq!(
            fix_mixed_script_words(text),
            "Azerbaycan Respublikası və Prezident"
        );
        assert!(matches!(
            fix_mixed_script_words("Бакы və Gəncə"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn cyrillic_transliterates_by_the_official_table() {
        assert_eq!(
            transliterate_cyrillic("Азәрбајҹан Республикасы"),
            "Azərbaycan Respublikası"
        );
        // The traps: Г→Q, Ҝ→G, Ј→Y, Ҹ→C, Ч→Ç, Х→X, Һ→H, И→İ, Ы→I.
        assert_eq!(transliterate_cyrillic("ГҜЈҸЧХҺИЫ"), "QGYCÇXHİI");
        assert_eq!(transliterate_cyrillic("гҝјҹчхһиы"), "qgycçxhiı");
        assert_eq!(transliterate_cyrillic("ЮНЕСКО Юлиј"), "YUNESKO Yuliy");
        assert!(matches!(transliterate_cyrillic("Bakı"), Cow::Borrowed(_)));
    }

    #[test]
    fn azerbaijani_cyrillic_is_told_from_russian_and_latin() {
        assert!(is_cyrillic_azerbaijani(
            "Бүтүн инсанлар ләјагәт вә һүгугларына ҝөрә азад вә бәрабәр доғулурлар."
        ));
        assert!(!is_cyrillic_azerbaijani(
            "Все люди рождаются свободными и равными в своем достоинстве и правах."
        ));
        assert!(!is_cyrillic_azerbaijani(
            "Bütün insanlar ləyaqət və hüquqlarına görə azad"
        ));
    }

    #[test]
    fn a_corpus_marked_cyrillic_converts_what_detection_misses() {
        // No ә ғ ҝ ө ү һ ҹ ј: detection cannot tell these from Russian.
        for short in ["Бакы", "Сабир Исмаилов", "Гала"] {
            assert!(!Source::Auto.converts(short), "{short}");
            assert!(Source::AzCyrl.converts(short), "{short}");
        }
        assert_eq!(transliterate_cyrillic("Сабир Исмаилов"), "Sabir İsmailov");
        assert_eq!(transliterate_cyrillic("Гала"), "Qala");
        // With a tell-tale letter, detection sees it too; a Latin corpus keeps its Cyrillic.
        assert!(Source::Auto.converts("Бүтүн инсанлар ләјагәт вә һүгугларына"));
        assert!(!Source::AzLatn.converts("Бүтүн инсанлар ләјагәт вә һүгугларына"));
        assert!(!Source::AzCyrl.converts("Bakı"));
        assert_eq!(Source::from_name("az-cyrl"), Some(Source::AzCyrl));
        assert_eq!(Source::from_name(" AZ-Latn "), Some(Source::AzLatn));
        assert_eq!(Source::from_name("ru"), None);
        for s in Source::ALL {
            assert_eq!(Source::from_name(s.name()), Some(s));
        }
    }

    #[test]
    fn whitespace_and_invisible_characters_are_cleaned() {
        let messy =
            "\u{FEFF}Salam,\u{00A0}\u{00A0}dünya!\u{200B}  \r\n\n\n\nYeni\tsətir\u{0007}.  \n\n";
        assert_eq!(clean_whitespace(messy), "Salam, dünya!\n\nYeni sətir.");
        assert!(matches!(
            clean_whitespace("Təmiz mətn.\nİkinci sətir."),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn nfc_composes_and_leaves_composed_text_alone() {
        assert_eq!(nfc("c\u{327}ay"), "çay");
        assert!(matches!(nfc("çay və şəkər"), Cow::Borrowed(_)));
    }

    #[test]
    fn anomalies_are_counted() {
        let a = Anomalies::of("vә Azеrbaycan \u{FFFD} x\u{0001} M ə c ə ll ə nin");
        assert_eq!(a.split_word_fragments, 3);
        assert_eq!(a.schwa_look_alikes, 1);
        assert_eq!(a.mixed_script_words, 2);
        assert_eq!(a.replacement_chars, 1);
        assert_eq!(a.control_chars, 1);
        assert!(!Anomalies::of("Hər şey qaydasındadır.").any());
        assert!(!Anomalies::of("Бүтүн инсанлар ләјагәт вә һүгугларына").any());
    }
}
