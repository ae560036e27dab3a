//! The UI state that survives a restart. `#[serde(default)]` lets an older saved state load
//! after fields are added.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// The work areas, in navigation order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Area {
    #[default]
    Corpus,
    Tokenizer,
    Sft,
    Rating,
    Training,
    Playground,
    Settings,
}

impl Area {
    pub const ALL: [Self; 7] = [
        Self::Corpus,
        Self::Tokenizer,
        Self::Sft,
        Self::Rating,
        Self::Training,
        Self::Playground,
        Self::Settings,
    ];

    pub fn title_key(self) -> &'static str {
        match self {
            Self::Corpus => "area-corpus",
            Self::Tokenizer => "area-tokenizer",
            Self::Sft => "area-sft",
            Self::Rating => "area-rating",
            Self::Training => "area-training",
            Self::Playground => "area-playground",
            Self::Settings => "area-settings",
        }
    }

    /// The name used on the command line (`--area`) and by `scripts/screenshot.sh`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Corpus => "corpus",
            Self::Tokenizer => "tokenizer",
            Self::Sft => "sft",
            Self::Rating => "rating",
            Self::Training => "training",
            Self::Playground => "playground",
            Self::Settings => "settings",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.slug() == slug)
    }

    /// Ctrl+1 … Ctrl+7, in navigation order.
    pub fn shortcut(self) -> egui::KeyboardShortcut {
        let key = match self {
            Self::Corpus => egui::Key::Num1,
            Self::Tokenizer => egui::Key::Num2,
            Self::Sft => egui::Key::Num3,
            Self::Rating => egui::Key::Num4,
            Self::Training => egui::Key::Num5,
            Self::Playground => egui::Key::Num6,
            Self::Settings => egui::Key::Num7,
        };
        egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, key)
    }
}

/// Ctrl+Q closes the window, saving the UI state on the way out.
pub const QUIT_SHORTCUT: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::Q);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    Light,
    #[default]
    Dark,
}

impl ThemeChoice {
    pub const ALL: [Self; 2] = [Self::Light, Self::Dark];

    pub fn label_key(self) -> &'static str {
        match self {
            Self::Light => "settings-theme-light",
            Self::Dark => "settings-theme-dark",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UiState {
    pub area: Area,
    pub theme: ThemeChoice,
    pub lang: Lang,
    pub annotator: String,
    /// The last workspace opened; `None` means the per-user default.
    pub workspace: Option<PathBuf>,
}

/// Where eframe keeps [`UiState`].
pub const STORAGE_KEY: &str = "dezgah-ui-state";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_saved_state_with_missing_fields_still_loads() {
        let state: UiState = serde_json::from_str(r#"{"area":"Rating"}"#).expect("parse");
        assert_eq!(state.area, Area::Rating);
        assert_eq!(state.lang, Lang::En);
    }

    #[test]
    fn slugs_round_trip() {
        for area in Area::ALL {
            assert_eq!(Area::from_slug(area.slug()), Some(area));
        }
    }
}
