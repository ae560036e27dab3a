//! The two UI languages, from Fluent files under `i18n/` compiled into the binary.
//!
//! An `I18n` value is owned by the UI and passed down to panels, so switching language is one
//! assignment and tests running in parallel never share a global locale.

use std::collections::BTreeSet;
use std::sync::Mutex;

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};

pub const EN_FTL: &str = include_str!("../../../i18n/en.ftl");
pub const AZ_FTL: &str = include_str!("../../../i18n/az.ftl");

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    En,
    Az,
}

impl Lang {
    pub const ALL: [Self; 2] = [Self::En, Self::Az];

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Az => "az",
        }
    }

    /// The language's name in itself, as language pickers show it.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Az => "Azərbaycanca",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == code)
    }

    pub fn source(self) -> &'static str {
        match self {
            Self::En => EN_FTL,
            Self::Az => AZ_FTL,
        }
    }
}

pub struct I18n {
    lang: Lang,
    en: FluentBundle<FluentResource>,
    az: FluentBundle<FluentResource>,
    /// Ids asked for that neither language has (an empty one included), so a GUI test that
    /// clicks through the window can fail on them instead of a log line nobody reads.
    missing: Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I18n")
            .field("lang", &self.lang)
            .finish_non_exhaustive()
    }
}

impl I18n {
    pub fn new(lang: Lang) -> Self {
        Self {
            lang,
            en: bundle(Lang::En),
            az: bundle(Lang::Az),
            missing: Mutex::new(BTreeSet::new()),
        }
    }

    /// The ids looked up so far that no language defines.
    pub fn missing(&self) -> Vec<String> {
        self.missing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }

    /// `value` with `decimals` digits after the separator the language writes: `0.1` in
    /// English, `0,1` in Azerbaijani (CLDR's decimal comma for `az`).
    pub fn decimal(&self, value: impl Into<f64>, decimals: usize) -> String {
        let value: f64 = value.into();
        localize_decimal(self.lang, &format!("{value:.decimals$}"))
    }

    /// A share as a percentage with `decimals` digits: `12.5%`, `12,5%`.
    pub fn percent(&self, share: f64, decimals: usize) -> String {
        format!("{}%", self.decimal(share * 100.0, decimals))
    }

    /// A number already written by other code (scientific notation, a tick label) with the
    /// language's decimal separator.
    pub fn localize_number(&self, text: &str) -> String {
        localize_decimal(self.lang, text)
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    /// The message `id` in the current language; English if it is missing there, the id itself
    /// if missing in both (the i18n tests keep that from reaching a user).
    pub fn tr(&self, id: &str) -> String {
        self.format(id, None)
    }

    pub fn tr_args(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        self.format(id, Some(&fluent_args))
    }

    /// A job's name in the current language.
    pub fn job_name(&self, name: &crate::jobs::JobName) -> String {
        use crate::jobs::{JobArg, JobName};
        match name {
            JobName::Text(text) => text.clone(),
            JobName::Message { key, args } => {
                let args: Vec<(&str, FluentValue<'_>)> = args
                    .iter()
                    .map(|(name, value)| {
                        let value = match value {
                            JobArg::Text(text) => FluentValue::from(text.as_str()),
                            JobArg::Number(n) => FluentValue::from(*n),
                        };
                        (name.as_str(), value)
                    })
                    .collect();
                self.tr_args(key, &args)
            }
        }
    }

    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle_for(lang).has_message(id)
    }

    fn bundle_for(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::En => &self.en,
            Lang::Az => &self.az,
        }
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        for bundle in [self.bundle_for(self.lang), &self.en] {
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors);
                if !errors.is_empty() {
                    log::warn!("i18n {id}: {errors:?}");
                }
                return text.into_owned();
            }
        }
        log::warn!("i18n: missing message {id:?}");
        self.missing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id.to_owned());
        id.to_owned()
    }
}

fn bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let resource =
        FluentResource::try_new(lang.source().to_owned()).unwrap_or_else(|(res, errs)| {
            log::error!("i18n/{}.ftl: {errs:?}", lang.code());
            res
        });
    let langid = lang
        .code()
        .parse()
        .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
    let mut bundle = FluentBundle::new(vec![langid]);
    // egui would draw the Unicode isolation marks Fluent puts around arguments.
    bundle.set_use_isolating(false);
    if lang == Lang::Az {
        bundle.set_formatter(Some(az_number_formatter));
    }
    if let Err(e) = bundle.add_function("ORDINAL", ordinal_function) {
        log::error!("i18n ORDINAL: {e:?}");
    }
    if let Err(errs) = bundle.add_resource(resource) {
        log::error!("i18n/{}.ftl: {errs:?}", lang.code());
    }
    bundle
}

/// Fluent writes numbers with a decimal point; Azerbaijani writes a comma.
fn az_number_formatter<M>(value: &FluentValue<'_>, _intls: &M) -> Option<String> {
    match value {
        FluentValue::Number(n) => Some(localize_decimal(Lang::Az, &n.as_string())),
        _ => None,
    }
}

fn localize_decimal(lang: Lang, text: &str) -> String {
    match lang {
        Lang::En => text.to_owned(),
        Lang::Az => text.replace('.', ","),
    }
}

/// `ORDINAL($n)` in a message: the number with its Azerbaijani ordinal suffix (`3-cü`), for
/// the az file; any other argument comes back as it is.
fn ordinal_function<'a>(positional: &[FluentValue<'a>], _named: &FluentArgs) -> FluentValue<'a> {
    let number = match positional.first() {
        Some(FluentValue::Number(n)) => Some(n.value),
        Some(FluentValue::String(s)) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match (number, positional.first()) {
        (Some(n), _) if n.fract() == 0.0 && n.abs() < 1e15 => {
            FluentValue::String(ordinal_az(n as i64).into())
        }
        (_, Some(other)) => other.clone(),
        (_, None) => FluentValue::None,
    }
}

/// `n` as an Azerbaijani ordinal in digits: `1-ci`, `3-cü`, `6-cı`, `9-cu`, `40-cı`, `100-cü`.
///
/// The suffix follows the vowel harmony of the number's last spoken word: the units word when
/// there are units, else the tens, else yüz, min, milyon, milyard.
pub fn ordinal_az(n: i64) -> String {
    format!("{n}-{}", ordinal_suffix_az(n.unsigned_abs()))
}

fn ordinal_suffix_az(n: u64) -> &'static str {
    // bir iki üç dörd beş altı yeddi səkkiz doqquz
    const UNITS: [&str; 10] = ["", "ci", "ci", "cü", "cü", "ci", "cı", "ci", "ci", "cu"];
    // on iyirmi otuz qırx əlli altmış yetmiş səksən doxsan
    const TENS: [&str; 10] = ["", "cu", "ci", "cu", "cı", "ci", "cı", "ci", "ci", "cı"];
    if n == 0 {
        return "cı"; // sıfır
    }
    if !n.is_multiple_of(10) {
        return UNITS[(n % 10) as usize];
    }
    if !n.is_multiple_of(100) {
        return TENS[(n / 10 % 10) as usize];
    }
    if !n.is_multiple_of(1000) {
        return "cü"; // yüz
    }
    // The last word of the highest group past the thousands that is not all zeros.
    let mut rest = n / 1000;
    for word_suffix in ["ci", "cu", "cı", "cu"] {
        // min, milyon, milyard, trilyon
        if !rest.is_multiple_of(1000) {
            return word_suffix;
        }
        rest /= 1000;
    }
    "cu"
}

/// The message ids a Fluent source defines (terms and attributes aside).
pub fn message_ids(source: &str) -> BTreeSet<String> {
    source
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|l| l.split_once('=').map(|(id, _)| id.trim().to_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_files_parse_without_errors() {
        for lang in Lang::ALL {
            let parsed = FluentResource::try_new(lang.source().to_owned());
            assert!(
                parsed.is_ok(),
                "i18n/{}.ftl: {:?}",
                lang.code(),
                parsed.err()
            );
        }
    }

    #[test]
    fn switching_language_changes_text() {
        let mut i18n = I18n::new(Lang::En);
        assert_eq!(i18n.tr("area-settings"), "Settings");
        i18n.set_lang(Lang::Az);
        assert_eq!(i18n.tr("area-settings"), "Tənzimləmələr");
    }

    #[test]
    fn arguments_are_filled_without_isolation_marks() {
        let i18n = I18n::new(Lang::Az);
        let text = i18n.tr_args("count-sft-examples", &[("count", 3.into())]);
        assert!(text.contains('3'), "{text}");
        assert!(!text.contains('\u{2068}'), "{text:?}");
    }

    #[test]
    fn a_missing_id_falls_back_to_the_id_and_is_recorded() {
        let i18n = I18n::new(Lang::Az);
        let unknown = "no-such-message";
        assert_eq!(i18n.tr(unknown), unknown);
        assert!(i18n.tr("area-corpus") != "area-corpus");
        i18n.tr("");
        assert_eq!(i18n.missing(), vec![String::new(), unknown.to_owned()]);
    }

    /// The last word said when `n` (1…999 999) is read aloud in Azerbaijani.
    fn last_spoken_word(n: u64) -> &'static str {
        const UNITS: [&str; 10] = [
            "", "bir", "iki", "üç", "dörd", "beş", "altı", "yeddi", "səkkiz", "doqquz",
        ];
        const TENS: [&str; 10] = [
            "", "on", "iyirmi", "otuz", "qırx", "əlli", "altmış", "yetmiş", "səksən", "doxsan",
        ];
        if !n.is_multiple_of(10) {
            UNITS[(n % 10) as usize]
        } else if !n.is_multiple_of(100) {
            TENS[(n / 10 % 10) as usize]
        } else if !n.is_multiple_of(1000) {
            "yüz"
        } else {
            "min"
        }
    }

    /// The ordinal suffix by four-way vowel harmony on the word's last vowel.
    fn harmonic_suffix(word: &str) -> &'static str {
        let vowel = word
            .chars()
            .rev()
            .find(|c| "aıoueəiöü".contains(*c))
            .expect("a vowel");
        match vowel {
            'a' | 'ı' => "cı",
            'e' | 'ə' | 'i' => "ci",
            'o' | 'u' => "cu",
            _ => "cü",
        }
    }

    #[test]
    fn ordinals_follow_the_vowel_harmony_of_the_last_spoken_word_from_1_to_1000() {
        for n in 1..=1000_u64 {
            let expected = format!("{n}-{}", harmonic_suffix(last_spoken_word(n)));
            assert_eq!(ordinal_az(n as i64), expected, "{n}");
        }
        // The rule's own table, spot-checked by hand.
        for (n, text) in [
            (1, "1-ci"),
            (3, "3-cü"),
            (4, "4-cü"),
            (6, "6-cı"),
            (9, "9-cu"),
            (10, "10-cu"),
            (40, "40-cı"),
            (60, "60-cı"),
            (90, "90-cı"),
            (100, "100-cü"),
            (500, "500-cü"),
            (1000, "1000-ci"),
            (2023, "2023-cü"),
            (1_000_000, "1000000-cu"),
        ] {
            assert_eq!(ordinal_az(n), text);
        }
    }

    #[test]
    fn ordinal_messages_use_the_rule_in_azerbaijani() {
        let az = I18n::new(Lang::Az);
        let text = |n: i64| az.tr_args("training-ckpt-step", &[("step", n.into())]);
        assert_eq!(text(3), "3-cü addım");
        assert_eq!(text(40), "40-cı addım");
        assert_eq!(text(100), "100-cü addım");
        let en = I18n::new(Lang::En);
        assert_eq!(
            en.tr_args("training-ckpt-step", &[("step", 3.into())]),
            "step 3"
        );
    }

    #[test]
    fn english_counts_agree_with_their_nouns() {
        let en = I18n::new(Lang::En);
        let summary = |n: usize| {
            en.tr_args(
                "settings-workspace-summary",
                &[
                    ("corpora", n.into()),
                    ("sft", n.into()),
                    ("preferences", n.into()),
                    ("runs", n.into()),
                    ("schema", 7.into()),
                ],
            )
        };
        assert_eq!(
            summary(1),
            "1 corpus · 1 SFT example · 1 preference item · 1 run · schema version 7"
        );
        assert_eq!(
            summary(2),
            "2 corpora · 2 SFT examples · 2 preference items · 2 runs · schema version 7"
        );
        let lines = en.tr_args("corpus-bad-lines", &[("count", 1.into())]);
        assert_eq!(lines, "1 unreadable line was reported at import:");
        // Azerbaijani nouns after a number stay singular.
        let az = I18n::new(Lang::Az);
        let text = az.tr_args("dedup-clusters", &[("count", 2.into())]);
        assert_eq!(text, "2 qrup");
    }

    #[test]
    fn azerbaijani_numbers_have_a_decimal_comma() {
        let az = I18n::new(Lang::Az);
        let en = I18n::new(Lang::En);
        assert_eq!(az.decimal(0.1, 1), "0,1");
        assert_eq!(en.decimal(0.1, 1), "0.1");
        assert_eq!(az.decimal(1234.5678, 2), "1234,57");
        assert_eq!(az.percent(0.125, 1), "12,5%");
        assert_eq!(az.localize_number("3.0e-4"), "3,0e-4");
        // Fluent's own number arguments too.
        let text = az.tr_args("status-eta", &[("time", 2.5.into())]);
        assert!(text.contains("2,5"), "{text}");
        let text = en.tr_args("status-eta", &[("time", 2.5.into())]);
        assert!(text.contains("2.5"), "{text}");
    }
}
