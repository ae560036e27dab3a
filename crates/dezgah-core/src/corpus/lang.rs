//! Language identification: Azerbaijani told from Turkish, Russian, English and the other
//! languages Azerbaijani web text mixes in. Cyrillic Azerbaijani is recognised by its own letters
//! (the statistical models know Azerbaijani in Latin script only); everything else goes to lingua.

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};

use crate::corpus::text;

/// The languages a detector chooses among; anything else is reported as the nearest of these.
pub const LANGUAGES: [Language; 12] = [
    Language::Azerbaijani,
    Language::Turkish,
    Language::Russian,
    Language::English,
    Language::Persian,
    Language::Arabic,
    Language::German,
    Language::French,
    Language::Kazakh,
    Language::Ukrainian,
    Language::Georgian,
    Language::Armenian,
];

/// Texts shorter than this many letters get no verdict.
const MIN_LETTERS: usize = 5;

pub struct LanguageId {
    detector: LanguageDetector,
}

impl std::fmt::Debug for LanguageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LanguageId").finish_non_exhaustive()
    }
}

impl Default for LanguageId {
    fn default() -> Self {
        Self::new()
    }
}

impl LanguageId {
    pub fn new() -> Self {
        Self {
            detector: LanguageDetectorBuilder::from_languages(&LANGUAGES).build(),
        }
    }

    /// The ISO 639-1 code of the text's language (`"az"`, `"tr"` …), or `None` when the text is
    /// too short or gives no clear answer.
    pub fn detect(&self, input: &str) -> Option<String> {
        if text::ScriptCounts::of(input).letters() < MIN_LETTERS {
            return None;
        }
        if text::is_cyrillic_azerbaijani(input) {
            return Some("az".to_owned());
        }
        // Look-alikes would push Azerbaijani towards other languages.
        let folded = text::fold_schwa(input);
        self.detector
            .detect_language_of(folded.as_ref())
            .map(|lang| lang.iso_code_639_1().to_string().to_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_azerbaijani_from_its_neighbours() {
        let id = LanguageId::new();
        let cases = [
            ("Salam, necəsən? Bu gün hava çox gözəldir.", "az"),
            ("Bu mətn Azərbaycan dilindədir və Bakıda yazılıb.", "az"),
            ("Бу мәтн Азәрбајҹан дилиндәдир", "az"),
            ("Merhaba, nasılsın? Bugün hava çok güzel.", "tr"),
            ("Привет, как у тебя дела сегодня?", "ru"),
            ("Hello, how are you doing today?", "en"),
        ];
        for (text, want) in cases {
            assert_eq!(id.detect(text).as_deref(), Some(want), "{text}");
        }
        assert_eq!(id.detect("12 / 3"), None);
    }
}
