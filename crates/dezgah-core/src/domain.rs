//! The project's vocabulary: the closed sets that the database, the files and every area share
//! (a message's role, a training stage, a run's or an example's status, a reviewer's decision).
//! A leaf: it imports nothing from the rest of the core, so any module may use it without making
//! a cycle. Each type keeps the spelling the database and the files have always had, and an
//! unknown spelling is an error that names it, never a silent default.

use std::fmt;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use serde::{Deserialize, Serialize};

/// A spelling that none of a type's values has: read from a database column or a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of: {expected}")]
pub struct UnknownValue {
    pub what: &'static str,
    pub value: String,
    pub expected: String,
}

/// A closed set with one spelling per value: parsing, `Display`, serde and SQLite all go
/// through [`Named::name`] and [`Named::parse`], so the spellings are written once.
pub trait Named: Sized + Copy + 'static {
    /// What the set is called in an error ("role", "stage").
    const WHAT: &'static str;
    const ALL: &'static [Self];
    fn name(self) -> &'static str;

    /// The value spelled `name`, exactly (the database and the files never vary the case).
    fn parse(name: &str) -> Result<Self, UnknownValue> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.name() == name)
            .ok_or_else(|| UnknownValue {
                what: Self::WHAT,
                value: name.to_owned(),
                expected: Self::ALL
                    .iter()
                    .map(|v| v.name())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// Declares a [`Named`] enum with its spellings and the `Display`, `FromStr`, serde and
/// rusqlite impls that use them.
macro_rules! named {
    (
        $(#[$meta:meta])*
        $name:ident, $what:literal {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl Named for $name {
            const WHAT: &'static str = $what;
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn name(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }
        }

        impl $name {
            /// Every value, in the order the database's CHECK lists them.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The spelling in the database and the files.
            pub fn name(self) -> &'static str {
                Named::name(self)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <Self as Named>::parse(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<'de, str>::deserialize(d)?;
                <Self as Named>::parse(&text).map_err(serde::de::Error::custom)
            }
        }

        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.name()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let text = value.as_str()?;
                <Self as Named>::parse(text).map_err(|e| FromSqlError::Other(Box::new(e)))
            }
        }
    };
}

named! {
    /// Who speaks a chat turn (TRL `messages`, chat templates, the chat table).
    Role, "role" {
        System = "system",
        User = "user",
        Assistant = "assistant",
    }
}

named! {
    /// A training stage: what a run starts from and what data it learns on.
    #[derive(Default)]
    Stage, "stage" {
        /// From random weights on plain text.
        #[default]
        Pretrain = "pretrain",
        /// More plain text, starting from a checkpoint.
        Continue = "continue",
        /// Chat examples; the loss covers the assistant's tokens only.
        Sft = "sft",
        /// Preference pairs against a frozen copy of the starting model.
        Dpo = "dpo",
    }
}

/// What a stage learns on, which decides how its data is read and batched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// Plain text, cut into windows.
    Text,
    /// Conversations (TRL `messages`).
    Conversations,
    /// Preference pairs (TRL `prompt/chosen/rejected`).
    Pairs,
}

impl Stage {
    /// Whether the stage starts from a trained model (`--init`, the form's base run). Every
    /// stage but pretraining does: SFT on random weights learns to answer with no language.
    pub fn needs_base(self) -> bool {
        !matches!(self, Self::Pretrain)
    }

    pub fn data_kind(self) -> DataKind {
        match self {
            Self::Pretrain | Self::Continue => DataKind::Text,
            Self::Sft => DataKind::Conversations,
            Self::Dpo => DataKind::Pairs,
        }
    }
}

named! {
    /// A run's row in the database.
    #[derive(Default)]
    RunStatus, "run status" {
        #[default]
        Created = "created",
        Running = "running",
        Stopped = "stopped",
        Finished = "finished",
        Failed = "failed",
    }
}

named! {
    /// An SFT example's place in review: only `ready` examples are trained on.
    #[derive(Default)]
    SftStatus, "SFT status" {
        #[default]
        Draft = "draft",
        Ready = "ready",
        Rejected = "rejected",
    }
}

named! {
    /// Who settled a duplicate cluster's kept document.
    Decision, "duplicate decision" {
        /// The keep policy chose.
        Policy = "policy",
        /// A reviewer chose.
        Chosen = "chosen",
        /// A reviewer said the members are not duplicates: all are kept.
        NotDuplicates = "not-duplicates",
    }
}

named! {
    /// An annotator's rating of a preference item, in screen terms (`a` is the left response).
    Choice, "rating choice" {
        A = "a",
        B = "b",
        Tie = "tie",
        BothBad = "both-bad",
        /// Three or more responses, ordered best first.
        Ranked = "ranked",
        Skipped = "skipped",
    }
}

/// What a corpus is written in, as its owner says. Detection needs the letters only
/// Azerbaijani Cyrillic has (ә ғ ҝ ө ү һ ҹ ј), so a short name or phrase without them looks
/// like Russian and stays Cyrillic; a corpus marked `az-Cyrl` has all its Cyrillic converted.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Source {
    /// Each document judged by its letters (`corpus::text::is_cyrillic_azerbaijani`).
    #[default]
    #[serde(rename = "auto")]
    Auto,
    /// Azerbaijani in the Latin alphabet: Cyrillic passages (quoted Russian, names) stay.
    #[serde(rename = "az-Latn")]
    AzLatn,
    /// Azerbaijani in the Cyrillic alphabet: every Cyrillic letter is transliterated.
    #[serde(rename = "az-Cyrl")]
    AzCyrl,
}

impl Source {
    pub const ALL: [Self; 3] = [Self::Auto, Self::AzLatn, Self::AzCyrl];

    /// The BCP 47 style name the database and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::AzLatn => "az-Latn",
            Self::AzCyrl => "az-Cyrl",
        }
    }

    /// Case-insensitive, as BCP 47 tags are (`az-cyrl` is `az-Cyrl`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl ToSql for Source {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.name()))
    }
}

/// The `source` column's CHECK admits only these names; anything else is an error naming it.
impl FromSql for Source {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        Self::ALL
            .into_iter()
            .find(|s| s.name() == text)
            .ok_or_else(|| {
                FromSqlError::Other(Box::new(UnknownValue {
                    what: "corpus source",
                    value: text.to_owned(),
                    expected: Self::ALL.map(Self::name).join(", "),
                }))
            })
    }
}

/// One chat turn, in the TRL `messages` shape: the same type in the database, the run
/// folders, the exports and the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T>()
    where
        T: Named + PartialEq + fmt::Debug + Serialize + for<'de> Deserialize<'de> + ToSql + FromSql,
    {
        let db = rusqlite::Connection::open_in_memory().expect("db");
        for &v in T::ALL {
            let json = serde_json::to_string(&v).expect("json");
            assert_eq!(json, format!("\"{}\"", v.name()));
            assert_eq!(serde_json::from_str::<T>(&json).expect("back"), v);
            let back: T = db.query_row("SELECT ?1", [&v], |r| r.get(0)).expect("sql");
            let text: String = db.query_row("SELECT ?1", [&v], |r| r.get(0)).expect("sql");
            assert_eq!((back, text.as_str()), (v, v.name()));
        }
    }

    #[test]
    fn every_value_round_trips_through_json_and_sqlite_with_its_old_spelling() {
        round_trips::<Role>();
        round_trips::<Stage>();
        round_trips::<RunStatus>();
        round_trips::<SftStatus>();
        round_trips::<Decision>();
        round_trips::<Choice>();
        assert_eq!(Decision::NotDuplicates.name(), "not-duplicates");
        assert_eq!(Choice::BothBad.name(), "both-bad");
        let m = Message::new(Role::Assistant, "Salam");
        let json = serde_json::to_string(&m).expect("json");
        assert_eq!(json, r#"{"role":"assistant","content":"Salam"}"#);
    }

    #[test]
    fn an_unknown_spelling_is_an_error_naming_it() {
        let err = serde_json::from_str::<Message>(r#"{"role":"narrator","content":"x"}"#)
            .expect_err("unknown role");
        assert!(
            err.to_string().contains("unknown role \"narrator\""),
            "{err}"
        );
        assert!(err.to_string().contains("system, user, assistant"), "{err}");
        let db = rusqlite::Connection::open_in_memory().expect("db");
        let err = db
            .query_row("SELECT 'Ready'", [], |r| r.get::<_, SftStatus>(0))
            .expect_err("case matters");
        assert!(
            err.to_string().contains("unknown SFT status \"Ready\""),
            "{err}"
        );
        assert!("fly".parse::<Stage>().is_err());
        assert_eq!("dpo".parse::<Stage>(), Ok(Stage::Dpo));
    }

    #[test]
    fn the_stage_rules() {
        let needs: Vec<Stage> = Stage::ALL
            .iter()
            .copied()
            .filter(|s| s.needs_base())
            .collect();
        assert_eq!(needs, [Stage::Continue, Stage::Sft, Stage::Dpo]);
        assert_eq!(Stage::Continue.data_kind(), DataKind::Text);
        assert_eq!(Stage::Sft.data_kind(), DataKind::Conversations);
        assert_eq!(Stage::Dpo.data_kind(), DataKind::Pairs);
        assert_eq!(Stage::default(), Stage::Pretrain);
    }
}
