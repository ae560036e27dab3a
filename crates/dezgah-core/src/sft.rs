//! Writing SFT examples: the edit session that saves as the annotator types and keeps undo
//! history, the checks shown inline beside an example, token counts, and drafts made from a
//! corpus passage or by a model.
//!
//! The GUI's editor and `dezgah sft hammer` (the kill test's writer, in `cli::sft`) share
//! [`EditSession`], so what the kill test proves holds for the window.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokenizers::Tokenizer;

use crate::corpus::dedup::{self, DedupConfig, KeepPolicy, Permutations, Shingle};
use crate::corpus::lang::LanguageId;
use crate::corpus::text::{self, Script, ScriptCounts};
use crate::domain::{Role, SftStatus};
use crate::store::{Message, SftExample, Store};
use crate::train::TrainError;

/// A save happens once typing pauses this long…
pub const QUIET: Duration = Duration::from_millis(300);
/// …or at the latest this long after the first unsaved change, even while typing goes on: a
/// kill loses at most this much.
pub const MAX_UNSAVED: Duration = Duration::from_secs(1);
/// Keystrokes in one field closer together than this are undone together.
const UNDO_GROUP: Duration = Duration::from_millis(1500);
const UNDO_LIMIT: usize = 500;

pub const STATUSES: [&str; 3] = ["draft", "ready", "rejected"];
pub const PROVENANCES: [&str; 5] = [
    "written",
    "translated",
    "paraphrased",
    "imported",
    "model-generated",
];

/// The part of an example one edit touched, so typing in one field makes one undo step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    System,
    Turn(usize),
    Tags,
    Domain,
    /// Status, provenance, turns added, removed or moved: each is its own step.
    Other,
}

#[derive(Debug, Clone)]
struct Step {
    before: SftExample,
    field: Field,
    at: Instant,
}

/// One example being edited: what is on screen, what the database has, and the undo history.
#[derive(Debug, Clone)]
pub struct EditSession {
    example: SftExample,
    saved: SftExample,
    first_unsaved: Option<Instant>,
    last_change: Option<Instant>,
    undo: Vec<Step>,
    redo: Vec<SftExample>,
    /// Turn texts a model wrote, as it wrote them: while they stand unedited the example stays
    /// model-generated, even when marked ready.
    generated: Vec<(usize, String)>,
}

impl EditSession {
    pub fn new(example: SftExample) -> Self {
        Self {
            saved: example.clone(),
            example,
            first_unsaved: None,
            last_change: None,
            undo: Vec::new(),
            redo: Vec::new(),
            generated: Vec::new(),
        }
    }

    pub fn example(&self) -> &SftExample {
        &self.example
    }

    pub fn id(&self) -> i64 {
        self.example.id
    }

    /// Takes the edited copy. A change of status to ready approves model text that a person
    /// has since edited: the example then counts as the person's (written, or paraphrased for a
    /// paraphrase).
    pub fn edit(&mut self, mut edited: SftExample, now: Instant) {
        edited.id = self.example.id;
        if edited == self.example {
            return;
        }
        if edited.status == SftStatus::Ready && self.example.status != SftStatus::Ready {
            self.approve(&mut edited);
        }
        let field = changed_field(&self.example, &edited);
        let extend = matches!(
            (self.undo.last(), field),
            (Some(last), f) if last.field == f && f != Field::Other
                && now.saturating_duration_since(last.at) < UNDO_GROUP
        );
        if extend {
            if let Some(last) = self.undo.last_mut() {
                last.at = now;
            }
        } else {
            self.undo.push(Step {
                before: self.example.clone(),
                field,
                at: now,
            });
            if self.undo.len() > UNDO_LIMIT {
                self.undo.remove(0);
            }
        }
        self.redo.clear();
        self.example = edited;
        self.touch(now);
    }

    /// Puts a model's text into a turn (adding the turn when it is one past the end) and marks
    /// the example model-generated.
    pub fn put_generated(&mut self, turn: usize, role: Role, text: &str, now: Instant) {
        let mut edited = self.example.clone();
        let message = Message {
            role,
            content: text.to_owned(),
        };
        if turn < edited.messages.len() {
            edited.messages[turn] = message;
        } else {
            edited.messages.push(message);
        }
        "model-generated".clone_into(&mut edited.provenance);
        self.undo.push(Step {
            before: self.example.clone(),
            field: Field::Other,
            at: now,
        });
        self.redo.clear();
        self.example = edited;
        self.generated.retain(|(t, _)| *t != turn);
        self.generated.push((turn, text.to_owned()));
        self.touch(now);
    }

    /// Is any turn still exactly as the model wrote it?
    pub fn has_unedited_model_text(&self) -> bool {
        self.generated.iter().any(|(turn, text)| {
            self.example
                .messages
                .get(*turn)
                .is_some_and(|m| &m.content == text)
        })
    }

    fn approve(&self, edited: &mut SftExample) {
        if edited.provenance == "model-generated"
            && !self.generated.is_empty()
            && !self.generated.iter().any(|(turn, text)| {
                edited
                    .messages
                    .get(*turn)
                    .is_some_and(|m| &m.content == text)
            })
        {
            "written".clone_into(&mut edited.provenance);
        }
    }

    fn touch(&mut self, now: Instant) {
        if self.example == self.saved {
            self.first_unsaved = None;
        } else if self.first_unsaved.is_none() {
            self.first_unsaved = Some(now);
        }
        self.last_change = Some(now);
    }

    pub fn can_undo(&self) -> bool {
        !self.undo.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.redo.is_empty()
    }

    pub fn undo(&mut self, now: Instant) -> bool {
        let Some(step) = self.undo.pop() else {
            return false;
        };
        self.redo
            .push(std::mem::replace(&mut self.example, step.before));
        self.touch(now);
        true
    }

    pub fn redo(&mut self, now: Instant) -> bool {
        let Some(next) = self.redo.pop() else {
            return false;
        };
        let before = std::mem::replace(&mut self.example, next);
        self.undo.push(Step {
            before,
            field: Field::Other,
            at: now,
        });
        self.touch(now);
        true
    }

    /// Does the database lack something on screen?
    pub fn is_dirty(&self) -> bool {
        self.first_unsaved.is_some()
    }

    /// Typing paused long enough, or the oldest unsaved change is a second old.
    pub fn save_due(&self, now: Instant) -> bool {
        match (self.first_unsaved, self.last_change) {
            (Some(first), Some(last)) => {
                now.saturating_duration_since(last) >= QUIET
                    || now.saturating_duration_since(first) >= MAX_UNSAVED
            }
            _ => false,
        }
    }

    /// When the next save falls due, so the window can wake for it without input.
    pub fn next_save_in(&self, now: Instant) -> Option<Duration> {
        let (first, last) = (self.first_unsaved?, self.last_change?);
        let quiet = (last + QUIET).saturating_duration_since(now);
        let most = (first + MAX_UNSAVED).saturating_duration_since(now);
        Some(quiet.min(most))
    }

    /// Writes the example if it changed, in one transaction. Returns false when the example was
    /// deleted meanwhile (elsewhere).
    pub fn flush(&mut self, store: &mut Store) -> crate::store::Result<bool> {
        if !self.is_dirty() {
            return Ok(true);
        }
        let exists = store.update_sft_example(&self.example)?;
        self.saved = self.example.clone();
        self.first_unsaved = None;
        Ok(exists)
    }
}

fn changed_field(a: &SftExample, b: &SftExample) -> Field {
    if a.messages.len() != b.messages.len()
        || a.messages
            .iter()
            .zip(&b.messages)
            .any(|(x, y)| x.role != y.role)
        || a.status != b.status
        || a.provenance != b.provenance
    {
        return Field::Other;
    }
    let turns: Vec<usize> = a
        .messages
        .iter()
        .zip(&b.messages)
        .enumerate()
        .filter(|(_, (x, y))| x.content != y.content)
        .map(|(i, _)| i)
        .collect();
    match (
        turns.as_slice(),
        a.system_prompt != b.system_prompt,
        a.tags != b.tags,
        a.domain != b.domain,
    ) {
        ([turn], false, false, false) => Field::Turn(*turn),
        ([], true, false, false) => Field::System,
        ([], false, true, false) => Field::Tags,
        ([], false, false, true) => Field::Domain,
        _ => Field::Other,
    }
}

/// A blank example to start writing: one empty user turn and one empty assistant turn.
pub fn blank(author: &str) -> crate::store::NewSftExample {
    crate::store::NewSftExample {
        system_prompt: String::new(),
        messages: vec![
            Message {
                role: Role::User,
                content: String::new(),
            },
            Message {
                role: Role::Assistant,
                content: String::new(),
            },
        ],
        tags: Vec::new(),
        domain: String::new(),
        provenance: "written".into(),
        status: SftStatus::Draft,
        author: Some(author.trim().to_owned()).filter(|a| !a.is_empty()),
    }
}

/// Something wrong with an example, shown beside it and usable as a list filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// No user turn or no assistant turn: nothing to learn from.
    MissingTurn {
        role: Role,
    },
    EmptyTurn {
        turn: usize,
    },
    ExactDuplicate {
        of: i64,
    },
    NearDuplicate {
        of: i64,
        similarity: f32,
    },
    /// Cyrillic letters in text written in Latin script (`None`: the system prompt).
    CyrillicInLatin {
        turn: Option<usize>,
        words: Vec<String>,
    },
    /// A turn whose language is detected as another (`tr`, `ru`, `en` …).
    NotAzerbaijani {
        turn: usize,
        lang: String,
    },
    /// The conversation, templated, takes more tokens than the model's context.
    TooLong {
        tokens: usize,
        context: usize,
    },
}

/// Problem families, for the list's filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    Empty,
    Duplicate,
    Cyrillic,
    Language,
    TooLong,
}

impl ProblemKind {
    pub const ALL: [Self; 5] = [
        Self::Empty,
        Self::Duplicate,
        Self::Cyrillic,
        Self::Language,
        Self::TooLong,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Empty => "sft-problem-kind-empty",
            Self::Duplicate => "sft-problem-kind-duplicate",
            Self::Cyrillic => "sft-problem-kind-cyrillic",
            Self::Language => "sft-problem-kind-language",
            Self::TooLong => "sft-problem-kind-too-long",
        }
    }
}

impl Problem {
    pub fn kind(&self) -> ProblemKind {
        match self {
            Self::MissingTurn { .. } | Self::EmptyTurn { .. } => ProblemKind::Empty,
            Self::ExactDuplicate { .. } | Self::NearDuplicate { .. } => ProblemKind::Duplicate,
            Self::CyrillicInLatin { .. } => ProblemKind::Cyrillic,
            Self::NotAzerbaijani { .. } => ProblemKind::Language,
            Self::TooLong { .. } => ProblemKind::TooLong,
        }
    }
}

/// Turns shorter than this many letters get no language verdict: a greeting or a number says
/// too little.
const MIN_LANG_LETTERS: usize = 20;
/// Near-duplicate threshold on character 5-gram Jaccard similarity.
const NEAR_THRESHOLD: f64 = 0.8;

/// Per-example checks that depend on the example alone, kept while its text is unchanged.
#[derive(Debug, Clone)]
struct Local {
    hash: u64,
    problems: Vec<Problem>,
    print: Option<dedup::Fingerprint>,
    /// (which tokenizer, tokens of the templated conversation).
    tokens: Option<(usize, usize)>,
}

/// Checks examples; remembers per-example results so that after one edit only that example is
/// looked at again (language detection dominates the cost).
#[derive(Debug)]
pub struct Validator {
    lang: LanguageId,
    perms: Permutations,
    config: DedupConfig,
    local: HashMap<i64, Local>,
}

impl Default for Validator {
    fn default() -> Self {
        Self::new()
    }
}

/// Token limits to check against: a tokenizer and the context length.
#[derive(Clone)]
pub struct TokenLimit {
    pub tokenizer: std::sync::Arc<Tokenizer>,
    pub context: usize,
}

impl std::fmt::Debug for TokenLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenLimit")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

impl Validator {
    pub fn new() -> Self {
        let config = DedupConfig {
            shingle: Shingle::Chars(5),
            num_perm: 64,
            threshold: NEAR_THRESHOLD,
            bands_rows: None,
            seed: 7,
        };
        Self {
            lang: LanguageId::new(),
            perms: Permutations::new(config.num_perm, config.seed),
            config,
            local: HashMap::new(),
        }
    }

    /// Every example's problems (examples without any are absent).
    pub fn check(
        &mut self,
        examples: &[SftExample],
        limit: Option<&TokenLimit>,
    ) -> HashMap<i64, Vec<Problem>> {
        use rayon::prelude::*;
        let live: std::collections::HashSet<i64> = examples.iter().map(|e| e.id).collect();
        self.local.retain(|id, _| live.contains(id));
        // Only examples whose text changed since the last check are looked at again, on all
        // cores (language detection dominates).
        let hashes: Vec<u64> = examples.par_iter().map(content_hash).collect();
        let stale: Vec<(&SftExample, u64)> = examples
            .iter()
            .zip(&hashes)
            .filter(|(e, h)| self.local.get(&e.id).is_none_or(|l| l.hash != **h))
            .map(|(e, h)| (e, *h))
            .collect();
        let this = &*self;
        let fresh: Vec<(i64, Local)> = stale
            .par_iter()
            .map(|(e, h)| (e.id, this.local_checks(e, *h)))
            .collect();
        self.local.extend(fresh);
        // Token counts are kept per tokenizer: choosing another one counts again.
        if let Some(limit) = limit {
            let key = std::sync::Arc::as_ptr(&limit.tokenizer) as usize;
            let counts: Vec<(i64, Option<usize>)> = examples
                .par_iter()
                .filter(|e| {
                    self.local
                        .get(&e.id)
                        .is_some_and(|l| l.tokens.is_none_or(|(k, _)| k != key))
                })
                .map(|e| (e.id, conversation_tokens(&limit.tokenizer, e)))
                .collect();
            for (id, count) in counts {
                if let (Some(local), Some(count)) = (self.local.get_mut(&id), count) {
                    local.tokens = Some((key, count));
                }
            }
        }
        let mut out: HashMap<i64, Vec<Problem>> = HashMap::new();
        let mut prints: Vec<dedup::Fingerprint> = Vec::new();
        let mut owners: Vec<i64> = Vec::new();
        for example in examples {
            let Some(local) = self.local.get(&example.id) else {
                continue;
            };
            if !local.problems.is_empty() {
                out.entry(example.id)
                    .or_default()
                    .extend(local.problems.iter().cloned());
            }
            if let Some(print) = &local.print {
                prints.push(print.clone());
                owners.push(example.id);
            }
            if let (Some(limit), Some((_, tokens))) = (limit, local.tokens)
                && tokens > limit.context
            {
                out.entry(example.id).or_default().push(Problem::TooLong {
                    tokens,
                    context: limit.context,
                });
            }
        }
        let result = dedup::cluster(&prints, &self.config, KeepPolicy::First);
        for cluster in &result.clusters {
            let kept = cluster.kept;
            for &member in &cluster.removed {
                let problem = |of: i64| {
                    if cluster.exact || prints[kept].exact == prints[member].exact {
                        Problem::ExactDuplicate { of }
                    } else {
                        Problem::NearDuplicate {
                            of,
                            similarity: dedup::jaccard(
                                &prints[kept].shingles,
                                &prints[member].shingles,
                            ) as f32,
                        }
                    }
                };
                out.entry(owners[member])
                    .or_default()
                    .push(problem(owners[kept]));
                // The first of a group is flagged too, so the filter shows both sides.
                let first = out.entry(owners[kept]).or_default();
                if !first.iter().any(|p| p.kind() == ProblemKind::Duplicate) {
                    first.push(problem(owners[member]));
                }
            }
        }
        out
    }

    fn local_checks(&self, example: &SftExample, hash: u64) -> Local {
        let mut problems = Vec::new();
        for role in [Role::User, Role::Assistant] {
            if !example.messages.iter().any(|m| m.role == role) {
                problems.push(Problem::MissingTurn { role });
            }
        }
        for (turn, m) in example.messages.iter().enumerate() {
            if m.content.trim().is_empty() {
                problems.push(Problem::EmptyTurn { turn });
            }
        }
        let texts = std::iter::once((None, example.system_prompt.as_str())).chain(
            example
                .messages
                .iter()
                .enumerate()
                .map(|(i, m)| (Some(i), m.content.as_str())),
        );
        for (turn, content) in texts {
            let words = cyrillic_in_latin(content);
            if !words.is_empty() {
                problems.push(Problem::CyrillicInLatin { turn, words });
            }
            if let Some(turn) = turn
                && ScriptCounts::of(content).letters() >= MIN_LANG_LETTERS
                && !plainly_azerbaijani(content)
                && let Some(lang) = self.lang.detect(content)
                && lang != "az"
            {
                problems.push(Problem::NotAzerbaijani { turn, lang });
            }
        }
        let joined = joined_text(example);
        let print = (!dedup::normalise(&joined).trim().is_empty())
            .then(|| dedup::fingerprint(&joined, &self.config, &self.perms));
        Local {
            hash,
            problems,
            print,
            tokens: None,
        }
    }
}

/// Text with a fair share of ə is Azerbaijani: no neighbour in Latin script uses the letter
/// (it is 7–9% of the letters of Azerbaijani prose). Skipping the statistical model for it makes
/// checking 50,000 examples take seconds, not a minute.
fn plainly_azerbaijani(content: &str) -> bool {
    let (mut letters, mut schwa) = (0usize, 0usize);
    for c in content.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if matches!(c, 'ə' | 'Ə') {
            schwa += 1;
        }
    }
    letters > 0 && schwa * 100 >= letters * 3
}

fn joined_text(example: &SftExample) -> String {
    let mut text = example.system_prompt.clone();
    for m in &example.messages {
        text.push('\n');
        text.push_str(&m.content);
    }
    text
}

fn content_hash(example: &SftExample) -> u64 {
    let mut bytes = joined_text(example).into_bytes();
    for m in &example.messages {
        bytes.extend_from_slice(m.role.name().as_bytes());
    }
    xxhash_rust::xxh3::xxh3_64(&bytes)
}

/// Words holding Cyrillic letters in text mostly written in Latin script (a Cyrillic `а` or `ә`
/// typed on the wrong keyboard layout looks right and tokenizes wrong).
pub fn cyrillic_in_latin(content: &str) -> Vec<String> {
    let counts = ScriptCounts::of(content);
    if counts.dominant() != Some(Script::Latin) {
        return Vec::new();
    }
    let mut words: Vec<String> = Vec::new();
    for range in text::word_ranges(content) {
        let word = &content[range];
        if word
            .chars()
            .any(|c| text::script_of(c) == Some(Script::Cyrillic))
            && !words.iter().any(|w| w == word)
        {
            words.push(word.to_owned());
            if words.len() == 8 {
                break;
            }
        }
    }
    words
}

/// Token counts of one example with a tokenizer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenCounts {
    pub system: usize,
    pub turns: Vec<usize>,
    /// The whole conversation through the chat template, as training sees it.
    pub total: usize,
}

pub fn token_counts(tokenizer: &Tokenizer, example: &SftExample) -> Option<TokenCounts> {
    let count = |t: &str| tokenizer.encode(t, false).ok().map(|e| e.len());
    Some(TokenCounts {
        system: count(&example.system_prompt)?,
        turns: example
            .messages
            .iter()
            .map(|m| count(&m.content))
            .collect::<Option<Vec<_>>>()?,
        total: conversation_tokens(tokenizer, example)?,
    })
}

/// Tokens of the templated conversation, the start token included.
pub fn conversation_tokens(tokenizer: &Tokenizer, example: &SftExample) -> Option<usize> {
    let messages = train_messages(example);
    crate::train::data::encode_chat(tokenizer, &messages, usize::MAX - 1)
        .ok()
        .map(|s| s.ids.len() + 1)
}

/// The example as the training engine's messages (system prompt first when set).
pub fn train_messages(example: &SftExample) -> Vec<crate::train::data::Message> {
    use crate::train::data::{Message as TrainMessage, Role};
    let mut out = Vec::new();
    if !example.system_prompt.trim().is_empty() {
        out.push(TrainMessage {
            role: Role::System,
            content: example.system_prompt.clone(),
        });
    }
    for m in &example.messages {
        out.push(TrainMessage {
            role: m.role,
            content: m.content.clone(),
        });
    }
    out
}

/// Prompt templates for drafts made from a corpus passage; `{passage}` marks where it goes.
pub const PASSAGE_TEMPLATES: [(&str, &str); 4] = [
    (
        "sft-template-summary",
        "Aşağıdakı mətnin qısa xülasəsini yaz:\n\n{passage}",
    ),
    (
        "sft-template-questions",
        "Bu mətnə əsasən üç sual yaz və hər birinə cavab ver:\n\n{passage}",
    ),
    (
        "sft-template-explain",
        "Bu mətni sadə dillə izah et:\n\n{passage}",
    ),
    (
        "sft-template-title",
        "Bu mətn üçün uyğun başlıq təklif et:\n\n{passage}",
    ),
];

/// The user turn of a draft: the template with the passage in place of `{passage}` (or after
/// it, when the template has no placeholder).
pub fn fill_template(template: &str, passage: &str) -> String {
    let passage = passage.trim();
    if template.contains("{passage}") {
        template.replace("{passage}", passage)
    } else {
        format!("{}\n\n{passage}", template.trim_end())
    }
}

/// What a model is asked to draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftKind {
    /// The assistant's answer to the conversation so far.
    Answer,
    /// The same turn said in other words.
    Paraphrase,
}

/// A model and how to sample from it.
#[derive(Debug, Clone)]
pub struct DraftModel {
    pub run_dir: std::path::PathBuf,
    /// `best`, `last` or a step number.
    pub checkpoint: String,
    pub sampling: crate::model::generate::SamplingConfig,
}

pub use crate::chat::ChatModel;

/// Asks a trained model for a draft: the answer that follows `history`, or a paraphrase of
/// `text`. Runs on the CPU; `cancel` is polled between tokens.
pub fn draft_with_model(
    model: &DraftModel,
    kind: DraftKind,
    history: &[crate::train::data::Message],
    text: &str,
    cancel: &dyn Fn() -> bool,
) -> Result<String, TrainError> {
    use crate::train::data;
    let chat = ChatModel::load(&model.run_dir, &model.checkpoint)?;
    let messages = match kind {
        DraftKind::Answer => history.to_vec(),
        DraftKind::Paraphrase => vec![data::Message {
            role: data::Role::User,
            content: format!(
                "Bu mətni başqa sözlərlə, eyni mənada yaz:\n\n{}",
                text.trim()
            ),
        }],
    };
    chat.answer(&messages, &model.sampling, cancel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(id: i64, user: &str, assistant: &str) -> SftExample {
        SftExample {
            id,
            system_prompt: String::new(),
            messages: vec![
                Message {
                    role: Role::User,
                    content: user.into(),
                },
                Message {
                    role: Role::Assistant,
                    content: assistant.into(),
                },
            ],
            tags: Vec::new(),
            domain: String::new(),
            provenance: "written".into(),
            status: SftStatus::Draft,
            author: None,
            updated_at: String::new(),
        }
    }

    fn typed(session: &mut EditSession, turn: usize, text: &str, at: Instant) {
        let mut e = session.example().clone();
        e.messages[turn].content = text.into();
        session.edit(e, at);
    }

    #[test]
    fn typing_in_one_field_is_one_undo_step_and_redo_restores_it() {
        let t0 = Instant::now();
        let mut s = EditSession::new(example(1, "", ""));
        typed(&mut s, 0, "S", t0);
        typed(&mut s, 0, "Sa", t0 + Duration::from_millis(100));
        typed(&mut s, 0, "Sal", t0 + Duration::from_millis(200));
        // A pause starts a new step; so does another field.
        typed(&mut s, 0, "Salam", t0 + Duration::from_secs(3));
        typed(&mut s, 1, "Əleykum", t0 + Duration::from_millis(3100));
        assert!(s.undo(t0));
        assert_eq!(s.example().messages[1].content, "");
        assert_eq!(s.example().messages[0].content, "Salam");
        assert!(s.undo(t0));
        assert_eq!(s.example().messages[0].content, "Sal");
        assert!(s.undo(t0));
        assert_eq!(s.example().messages[0].content, "");
        assert!(!s.undo(t0));
        assert!(s.redo(t0));
        assert_eq!(s.example().messages[0].content, "Sal");
        // A new edit drops the redo history.
        typed(&mut s, 0, "Salam!", t0 + Duration::from_secs(9));
        assert!(!s.redo(t0));
    }

    #[test]
    fn saves_when_typing_pauses_or_after_one_second_of_typing() {
        let t0 = Instant::now();
        let mut s = EditSession::new(example(1, "", ""));
        assert!(!s.save_due(t0));
        typed(&mut s, 0, "a", t0);
        assert!(!s.save_due(t0 + Duration::from_millis(100)));
        assert!(s.save_due(t0 + QUIET));
        // Steady typing every 100 ms: due after a second however fast the keys come.
        for i in 1..10 {
            typed(
                &mut s,
                0,
                &"a".repeat(i + 1),
                t0 + Duration::from_millis(100 * i as u64),
            );
            assert!(!s.save_due(t0 + Duration::from_millis(100 * i as u64)));
        }
        assert!(s.save_due(t0 + MAX_UNSAVED));
        // Undoing back to what is saved leaves nothing to save.
        let mut s = EditSession::new(example(1, "x", ""));
        typed(&mut s, 0, "xy", t0);
        assert!(s.is_dirty());
        s.undo(t0);
        assert!(!s.is_dirty());
    }

    #[test]
    fn edits_reach_the_database_and_survive_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("dezgah.db");
        let (mut store, _) = Store::open(&path).expect("open");
        let id = store.add_sft_example(&blank("Aysel")).expect("add");
        let mut s = EditSession::new(store.sft_example(id).expect("read").expect("row"));
        let t0 = Instant::now();
        typed(&mut s, 0, "Bakı haqqında danış.", t0);
        let mut e = s.example().clone();
        e.tags = vec!["coğrafiya".into()];
        e.status = SftStatus::Ready;
        s.edit(e, t0);
        assert!(s.flush(&mut store).expect("flush"));
        drop(store);
        let (store, _) = Store::open(&path).expect("reopen");
        let back = store.sft_example(id).expect("read").expect("row");
        assert_eq!(back.messages[0].content, "Bakı haqqında danış.");
        assert_eq!(back.tags, vec!["coğrafiya".to_owned()]);
        assert_eq!(back.status, SftStatus::Ready);
        assert_eq!(back.author.as_deref(), Some("Aysel"));
    }

    #[test]
    fn model_text_stays_model_generated_until_edited_and_approved() {
        let t0 = Instant::now();
        let mut s = EditSession::new(example(1, "Sual?", ""));
        s.put_generated(1, Role::Assistant, "Modelin cavabı.", t0);
        assert_eq!(s.example().provenance, "model-generated");
        assert!(s.has_unedited_model_text());
        // Approving unedited model text keeps the mark.
        let mut e = s.example().clone();
        e.status = SftStatus::Ready;
        s.edit(e, t0);
        assert_eq!(s.example().provenance, "model-generated");
        // Edited, then approved: the annotator's work.
        let mut e = s.example().clone();
        e.status = SftStatus::Draft;
        s.edit(e, t0);
        typed(&mut s, 1, "Düzəldilmiş cavab.", t0);
        assert!(!s.has_unedited_model_text());
        let mut e = s.example().clone();
        e.status = SftStatus::Ready;
        s.edit(e, t0);
        assert_eq!(s.example().provenance, "written");
    }

    #[test]
    fn finds_empty_turns_duplicates_cyrillic_and_other_languages() {
        let mut v = Validator::new();
        let answer = "Azərbaycanın paytaxtı Bakı şəhəridir, ölkənin ən böyük şəhəri də odur.";
        let examples = vec![
            example(1, "Azərbaycanın paytaxtı hansı şəhərdir?", answer),
            example(2, "Azərbaycanın paytaxtı hansı şəhərdir?", answer),
            example(3, "Azərbaycanın paytaxtı hansı şəhərdir??", answer),
            example(4, "", "Cavab"),
            // Cyrillic а and ә typed inside Latin words.
            example(
                5,
                "Gəncə hаqqında yаz",
                "Gəncə qədim şəhərdir, Nizami Gəncəvi orada yaşayıb.",
            ),
            example(
                6,
                "Türkiye'nin başkenti neresidir ve nüfusu ne kadardır?",
                "Ankara, Türkiye Cumhuriyeti'nin başkentidir ve nüfusu beş milyonu aşar.",
            ),
        ];
        let found = v.check(&examples, None);
        let kinds = |id: i64| -> Vec<ProblemKind> {
            found
                .get(&id)
                .map(|p| p.iter().map(Problem::kind).collect())
                .unwrap_or_default()
        };
        assert!(found[&2].contains(&Problem::ExactDuplicate { of: 1 }));
        assert!(kinds(1).contains(&ProblemKind::Duplicate));
        assert!(
            found[&3].iter().any(|p| matches!(
                p,
                Problem::ExactDuplicate { of: 1 } | Problem::NearDuplicate { of: 1, .. }
            )),
            "{:?}",
            found.get(&3)
        );
        assert!(found[&4].contains(&Problem::EmptyTurn { turn: 0 }));
        assert!(matches!(
            &found[&5][..],
            [Problem::CyrillicInLatin { turn: Some(0), words }] if words == &["hаqqında", "yаz"]
        ));
        assert!(
            kinds(6).contains(&ProblemKind::Language),
            "{:?}",
            found.get(&6)
        );
        assert!(!found.contains_key(&7));
        // Fixing an example clears its problems on the next check.
        let mut fixed = examples.clone();
        fixed[4].messages[0].content = "Gəncə haqqında yaz".into();
        let again = v.check(&fixed, None);
        assert!(!again.contains_key(&5));
    }

    #[test]
    fn templates_put_the_passage_in_place() {
        assert_eq!(
            fill_template("Xülasə et:\n\n{passage}", " Mətn. "),
            "Xülasə et:\n\nMətn."
        );
        assert_eq!(fill_template("Xülasə et:", "Mətn."), "Xülasə et:\n\nMətn.");
    }
}
