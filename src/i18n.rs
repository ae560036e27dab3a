//! The two UI languages, from Fluent files under `i18n/` compiled into the binary.
//!
//! An `I18n` value is owned by the UI and passed down to panels, so switching language is one
//! assignment and tests running in parallel never share a global locale.

use std::collections::BTreeSet;

use fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};

pub const EN_FTL: &str = include_str!("../i18n/en.ftl");
pub const AZ_FTL: &str = include_str!("../i18n/az.ftl");

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
        }
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
        log::warn!("i18n: missing message {id}");
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
    if let Err(errs) = bundle.add_resource(resource) {
        log::error!("i18n/{}.ftl: {errs:?}", lang.code());
    }
    bundle
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
    fn a_missing_id_falls_back_to_the_id() {
        let i18n = I18n::new(Lang::Az);
        let unknown = "no-such-message";
        assert_eq!(i18n.tr(unknown), unknown);
    }
}
