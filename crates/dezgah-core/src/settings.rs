//! Range checks for every settings type, one `validate()` each, so that the CLI (flags and
//! config files) and the GUI's forms refuse the same values with the same reason. A value out
//! of range used to be accepted and to give a wrong result quietly (a NaN learning rate, a
//! 10-token vocabulary that became 264).

use crate::corpus::quality::QualityConfig;
use crate::model::generate::SamplingConfig;
use crate::tokenizer::{Kind, TrainConfig};
pub use crate::toml_text::{key_line, toml_message};
use crate::train::{OptimConfig, RunConfig};

/// One end of a valid range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    Incl(f64),
    Excl(f64),
    Open,
}

/// Where a value must lie; integers use whole-number bounds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: Bound,
    pub max: Bound,
}

impl Range {
    pub const fn new(min: Bound, max: Bound) -> Self {
        Self { min, max }
    }

    /// Whether `v` is finite and inside the range.
    pub fn holds(&self, v: f64) -> bool {
        let lo = match self.min {
            Bound::Incl(m) => v >= m,
            Bound::Excl(m) => v > m,
            Bound::Open => true,
        };
        let hi = match self.max {
            Bound::Incl(m) => v <= m,
            Bound::Excl(m) => v < m,
            Bound::Open => true,
        };
        v.is_finite() && lo && hi
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.min, self.max) {
            (Bound::Incl(a), Bound::Incl(b)) => write!(f, "from {a} to {b}"),
            (Bound::Excl(a), Bound::Incl(b)) => write!(f, "above {a} and at most {b}"),
            (Bound::Incl(a), Bound::Excl(b)) => write!(f, "at least {a} and below {b}"),
            (Bound::Excl(a), Bound::Excl(b)) => write!(f, "above {a} and below {b}"),
            (Bound::Incl(a), Bound::Open) => write!(f, "at least {a}"),
            (Bound::Excl(a), Bound::Open) => write!(f, "above {a}"),
            (Bound::Open, Bound::Incl(b)) => write!(f, "at most {b}"),
            (Bound::Open, Bound::Excl(b)) => write!(f, "below {b}"),
            (Bound::Open, Bound::Open) => f.write_str("a finite number"),
        }
    }
}

/// Why a range's end is where it is, when that is not obvious.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// A vocabulary holds every byte and every special token.
    BytesAndSpecials { bytes: usize, special: usize },
    /// A maximum may not be below the minimum set beside it.
    NotBelow { other: &'static str },
}

/// A setting outside its valid range: the field (dotted, as in `config.toml`), the value as
/// given and the range it must lie in.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} = {value} is out of range: {}", self.rule())]
pub struct OutOfRange {
    pub field: &'static str,
    pub value: String,
    pub range: Range,
    pub why: Option<Why>,
}

impl OutOfRange {
    /// "must be …", without the field: what a flag's or a form's message ends with.
    pub fn rule(&self) -> String {
        let why = match self.why {
            Some(Why::BytesAndSpecials { bytes, special }) => {
                format!(" ({bytes} bytes + {special} special tokens)")
            }
            Some(Why::NotBelow { other }) => format!(" (not below {other})"),
            None => String::new(),
        };
        format!("must be {}{why}", self.range)
    }

    /// The command-line flag that sets this field: its last part in kebab case.
    pub fn flag(&self) -> String {
        let last = self.field.rsplit('.').next().unwrap_or(self.field);
        let name = match last {
            "dpo_beta" => "beta",
            "vocab_size" => "vocab",
            other => other,
        };
        format!("--{}", name.replace('_', "-"))
    }

    /// The message for a value given as a flag: `--lr -1: must be above 0 and at most 1`.
    pub fn as_flag(&self) -> String {
        format!("{} {}: {}", self.flag(), self.value, self.rule())
    }

    /// The message for a value read from the TOML `text`, with the line that sets it when
    /// found (the caller names the file).
    pub fn in_text(&self, text: &str) -> String {
        match key_line(text, self.field) {
            Some(line) => format!("line {line}: {self}"),
            None => self.to_string(),
        }
    }
}

const POSITIVE_INT: Range = Range::new(Bound::Incl(1.0), Bound::Open);
const SHARE: Range = Range::new(Bound::Incl(0.0), Bound::Incl(1.0));

fn check(field: &'static str, v: f64, range: Range) -> Result<(), OutOfRange> {
    if range.holds(v) {
        Ok(())
    } else {
        Err(OutOfRange {
            field,
            value: v.to_string(),
            range,
            why: None,
        })
    }
}

fn check_int(field: &'static str, v: usize, range: Range) -> Result<(), OutOfRange> {
    check(field, v as f64, range).map_err(|e| OutOfRange {
        value: v.to_string(),
        ..e
    })
}

impl OptimConfig {
    pub fn validate(&self) -> Result<(), OutOfRange> {
        check(
            "optim.lr",
            self.lr,
            Range::new(Bound::Excl(0.0), Bound::Incl(1.0)),
        )?;
        check("optim.min_lr_ratio", self.min_lr_ratio, SHARE)?;
        check_int("optim.max_steps", self.max_steps, POSITIVE_INT)?;
        check("optim.weight_decay", self.weight_decay, SHARE)?;
        let beta = Range::new(Bound::Incl(0.0), Bound::Excl(1.0));
        check("optim.beta1", self.beta1, beta)?;
        check("optim.beta2", self.beta2, beta)?;
        check(
            "optim.eps",
            self.eps,
            Range::new(Bound::Excl(0.0), Bound::Incl(1.0)),
        )?;
        check(
            "optim.grad_clip",
            self.grad_clip,
            Range::new(Bound::Incl(0.0), Bound::Open),
        )?;
        check_int("optim.batch_size", self.batch_size, POSITIVE_INT)?;
        check_int("optim.grad_accum", self.grad_accum, POSITIVE_INT)?;
        // A sequence predicts its next token, so it needs two.
        check_int(
            "optim.seq_len",
            self.seq_len,
            Range::new(Bound::Incl(2.0), Bound::Open),
        )
    }
}

impl RunConfig {
    pub fn validate(&self) -> Result<(), OutOfRange> {
        self.optim.validate()?;
        check(
            "val_fraction",
            self.val_fraction,
            Range::new(Bound::Incl(0.0), Bound::Excl(1.0)),
        )?;
        // The step intervals take any count: 0 turns each off.
        check(
            "dpo_beta",
            self.dpo_beta,
            Range::new(Bound::Excl(0.0), Bound::Open),
        )?;
        self.sampling.validate_as("sampling")
    }
}

impl SamplingConfig {
    pub fn validate(&self) -> Result<(), OutOfRange> {
        self.validate_as("")
    }

    /// `prefix` is the table the settings sit in, for the field names.
    fn validate_as(&self, prefix: &str) -> Result<(), OutOfRange> {
        let name = |plain: &'static str, nested: &'static str| {
            if prefix.is_empty() { plain } else { nested }
        };
        check(
            name("temperature", "sampling.temperature"),
            self.temperature,
            Range::new(Bound::Incl(0.0), Bound::Incl(100.0)),
        )?;
        check(
            name("top_p", "sampling.top_p"),
            self.top_p,
            Range::new(Bound::Excl(0.0), Bound::Incl(1.0)),
        )?;
        check(
            name("repetition_penalty", "sampling.repetition_penalty"),
            self.repetition_penalty,
            Range::new(Bound::Excl(0.0), Bound::Incl(100.0)),
        )
    }
}

impl QualityConfig {
    pub fn validate(&self) -> Result<(), OutOfRange> {
        let words = Range::new(Bound::Incl(0.0), Bound::Open);
        check_int("min_words", self.min_words, words)?;
        check_int("max_words", self.max_words, words)?;
        if self.max_words < self.min_words {
            return Err(OutOfRange {
                field: "max_words",
                value: self.max_words.to_string(),
                range: Range::new(Bound::Incl(self.min_words as f64), Bound::Open),
                why: Some(Why::NotBelow { other: "min_words" }),
            });
        }
        let length = Range::new(Bound::Incl(0.0), Bound::Open);
        check("min_mean_word_len", self.min_mean_word_len, length)?;
        check("max_mean_word_len", self.max_mean_word_len, length)?;
        if self.max_mean_word_len < self.min_mean_word_len {
            return Err(OutOfRange {
                field: "max_mean_word_len",
                value: self.max_mean_word_len.to_string(),
                range: Range::new(Bound::Incl(self.min_mean_word_len), Bound::Open),
                why: Some(Why::NotBelow {
                    other: "min_mean_word_len",
                }),
            });
        }
        for (field, v) in [
            ("max_symbol_ratio", self.max_symbol_ratio),
            ("max_digit_ratio", self.max_digit_ratio),
            ("max_non_alpha_words", self.max_non_alpha_words),
            ("max_bullet_lines", self.max_bullet_lines),
            ("max_ellipsis_lines", self.max_ellipsis_lines),
            ("max_duplicate_lines", self.max_duplicate_lines),
            ("max_top_bigram_chars", self.max_top_bigram_chars),
            ("max_repeated_5gram_chars", self.max_repeated_5gram_chars),
            ("max_boilerplate_lines", self.max_boilerplate_lines),
        ] {
            check(field, v, SHARE)?;
        }
        Ok(())
    }
}

/// Byte pieces every byte-level vocabulary holds.
const BYTES: usize = 256;

impl TrainConfig {
    /// The smallest vocabulary this kind of tokenizer can be trained to: every byte (byte-level
    /// BPE, or Unigram's byte fallback) plus the special tokens, plus two pieces for Unigram.
    pub fn min_vocab(&self) -> usize {
        let special = self.special_tokens.len();
        match self.kind {
            Kind::Bpe => BYTES + special,
            Kind::Unigram if self.byte_fallback => BYTES + special + 2,
            Kind::Unigram => special + 2,
        }
    }

    pub fn validate(&self) -> Result<(), OutOfRange> {
        let min = self.min_vocab();
        if self.vocab_size < min {
            let uses_bytes = self.kind == Kind::Bpe || self.byte_fallback;
            return Err(OutOfRange {
                field: "vocab_size",
                value: self.vocab_size.to_string(),
                range: Range::new(Bound::Incl(min as f64), Bound::Open),
                why: uses_bytes.then_some(Why::BytesAndSpecials {
                    bytes: BYTES,
                    special: self.special_tokens.len(),
                }),
            });
        }
        check_int(
            "max_piece_length",
            self.max_piece_length,
            Range::new(Bound::Incl(1.0), Bound::Open),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_negative_or_non_finite_learning_rate_is_refused_with_its_range() {
        let mut cfg = RunConfig::default();
        assert_eq!(cfg.validate(), Ok(()));
        for lr in [-1.0, 0.0, f64::INFINITY, f64::NAN, 5.0] {
            cfg.optim.lr = lr;
            let err = cfg.validate().expect_err("bad lr");
            assert_eq!(err.field, "optim.lr");
            assert_eq!(err.rule(), "must be above 0 and at most 1", "{err}");
        }
        assert_eq!(err_flag(&cfg), "--lr 5: must be above 0 and at most 1");
    }

    fn err_flag(cfg: &RunConfig) -> String {
        cfg.validate().expect_err("bad").as_flag()
    }

    #[test]
    fn zero_batch_and_sequence_are_refused() {
        let mut cfg = RunConfig::default();
        cfg.optim.batch_size = 0;
        assert_eq!(err_flag(&cfg), "--batch-size 0: must be at least 1");
        cfg.optim.batch_size = 1;
        cfg.optim.seq_len = 0;
        assert_eq!(err_flag(&cfg), "--seq-len 0: must be at least 2");
    }

    #[test]
    fn sampling_refuses_nan_temperature_and_top_p_above_one() {
        let mut s = SamplingConfig {
            temperature: f64::NAN,
            ..SamplingConfig::default()
        };
        assert_eq!(
            s.validate().expect_err("nan").as_flag(),
            "--temperature NaN: must be from 0 to 100"
        );
        s.temperature = 0.0;
        s.top_p = 2.0;
        assert_eq!(
            s.validate().expect_err("top-p").as_flag(),
            "--top-p 2: must be above 0 and at most 1"
        );
        s.top_p = 1.0;
        s.repetition_penalty = 0.0;
        assert!(s.validate().is_err());
        s.repetition_penalty = 1.0;
        s.top_k = 0;
        assert_eq!(s.validate(), Ok(()), "top-k 0 keeps every token");
    }

    #[test]
    fn the_vocabulary_minimum_counts_bytes_and_special_tokens() {
        let cfg = TrainConfig {
            vocab_size: 10,
            ..TrainConfig::default()
        };
        assert_eq!(cfg.min_vocab(), 256 + cfg.special_tokens.len());
        let err = cfg.validate().expect_err("too small");
        assert_eq!(
            err.as_flag(),
            format!(
                "--vocab 10: must be at least {} (256 bytes + {} special tokens)",
                cfg.min_vocab(),
                cfg.special_tokens.len()
            )
        );
        let ok = TrainConfig {
            vocab_size: cfg.min_vocab(),
            ..cfg
        };
        assert_eq!(ok.validate(), Ok(()));
    }

    #[test]
    fn quality_thresholds_refuse_nan_and_shares_above_one() {
        let q = QualityConfig {
            max_digit_ratio: f64::NAN,
            ..QualityConfig::default()
        };
        assert_eq!(q.validate().expect_err("nan").field, "max_digit_ratio");
        let q = QualityConfig {
            min_words: 10,
            max_words: 5,
            ..QualityConfig::default()
        };
        assert!(
            q.validate()
                .expect_err("max below min")
                .rule()
                .contains("min_words")
        );
    }

    #[test]
    fn the_line_of_a_key_is_found_in_its_table() {
        let text = "stage = \"sft\"\nlog_every = 3\n\n[optim]\nmax_steps = 3\nlr = -1\n";
        assert_eq!(key_line(text, "optim.lr"), Some(6));
        assert_eq!(key_line(text, "log_every"), Some(2));
        assert_eq!(key_line(text, "optim.beta1"), None);
    }
}
