//! Every user action, as data. Panels return commands; `DezgahApp::logic` applies them once
//! per frame, outside any UI closure, so no drawing code changes state behind another's back.
//! A command is either app-wide or one area's own (`Command::Corpus(CorpusCommand::…)`); each
//! area's commands are applied by that area alone, matched exhaustively, so a new variant that
//! nobody handles does not compile.

use std::path::PathBuf;

use crate::app::corpus::{CorpusTab, DedupSettings, ImportOptions, StepKind};
use crate::app::sft::{AssistForm, Focus, ListFilter};
use crate::app::state::{Area, ThemeChoice};
use crate::app::training::{ExportForm, LaunchForm, PlotOptions, TrainingTab};
use crate::core::corpus::browse::{Filters, Query};
use crate::core::corpus::clean::Rules;
use crate::core::corpus::derive::{ExportFormat, Keep};
use crate::core::corpus::quality::QualityConfig;
use crate::core::corpus::read::TextUnit;
use crate::core::corpus::text::Source;
use crate::core::jobs::JobId;
use crate::core::sft::DraftKind;
use crate::core::sft_io::Format;
use crate::core::store::SftExample;
use crate::i18n::Lang;

pub use crate::app::areas::playground::PlaygroundCommand;
pub use crate::app::areas::rating::RatingCommand;
pub use crate::app::areas::tokenizer::TokenizerCommand;

#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// One area's own commands, applied by that area.
    Corpus(CorpusCommand),
    Tokenizer(TokenizerCommand),
    Training(TrainingCommand),
    Sft(SftCommand),
    Rating(RatingCommand),
    Playground(PlaygroundCommand),
    // App-wide: navigation, settings, the workspace, jobs and moves between areas.
    Open(Area),
    SetLang(Lang),
    SetTheme(ThemeChoice),
    SetAnnotator(String),
    /// Shows the native folder picker, then opens what was picked.
    ChooseWorkspace,
    OpenWorkspace(PathBuf),
    CheckWorkspace,
    CancelJob(JobId),
    DismissJob(JobId),
    /// Shows a folder in the system's file manager.
    RevealFolder(PathBuf),
    /// Closes the window (state is saved on the way out).
    Quit,
    /// Shows a run in the Monitor tab (reading its folder if needed).
    ShowRun(i64),
    /// Shows a corpus of the workspace in the Corpus area.
    ShowCorpus(i64),
    /// Shows a workspace tokenizer in the Tokenizer area.
    ShowTokenizer(i64),
    CopyText(String),
}

/// The Corpus area: importing, browsing and the cleaning, filtering and deduplicating steps.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum CorpusCommand {
    /// Shows the native file picker, then imports what was picked.
    ChooseFiles,
    /// Shows the native folder picker, then imports every corpus file under the folder.
    ChooseFolder,
    /// Imports files (picked or dropped on the window) as one new corpus.
    Import(Vec<PathBuf>),
    /// What one document of a plain-text file is, for the next import.
    SetImportUnit(TextUnit),
    SetImportOptions(ImportOptions),
    /// Shows a corpus's details (and computes its statistics if it has none yet).
    Select(i64),
    SetTab(CorpusTab),
    /// What a corpus is written in (what its cleaning transliterates).
    SetSource(i64, Source),
    /// Shows or folds the import controls and the corpus table above a corpus's details.
    SetListOpen(bool),
    /// Boxed: filters are the largest payload and commands are moved every frame.
    SetBrowseFilters(Box<Filters>),
    /// Searches the selected corpus (an empty pattern clears the search).
    Search(Query),
    OpenDocument(u32),
    /// Lays out the open document whole, however long.
    ShowWholeDocument,
    /// Opens a document of the selected corpus in the Documents tab.
    ShowDocument(u32),
    SetCleanRules(Rules),
    PreviewClean,
    SetQualityConfig(Box<QualityConfig>),
    PreviewFilter,
    SetDedupSettings(DedupSettings),
    FindDuplicates,
    SelectCluster(usize),
    /// Shows a member of the selected cluster beside the one kept.
    CompareWith(i64),
    /// A reviewer's decision on the selected cluster.
    DecideCluster {
        keep: i64,
        not_duplicates: bool,
    },
    ApplyKeepPolicy(Keep),
    /// Raises a source one place in the keep-by-source order.
    MoveSourceUp(usize),
    /// Makes a new corpus from the selected one by a step.
    Derive(StepKind),
    /// Asks where to save, then exports the selected corpus.
    ChooseExport(ExportFormat),
    ExportTo(ExportFormat, PathBuf),
    /// Shows the file picker for a tokenizer.json, then estimates the corpus's tokens with it.
    ChooseTokenizerForEstimate,
    EstimateTokens(PathBuf),
}

/// The Training area: launching, watching, comparing and exporting runs.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum TrainingCommand {
    SetTab(TrainingTab),
    /// Boxed: the form carries a whole run configuration.
    SetLaunchForm(Box<LaunchForm>),
    /// Starts the form's run as a `dezgah train` child process.
    Launch,
    /// Asks a running run to save a checkpoint and stop.
    Stop(i64),
    /// Which checkpoint the next resume starts from: last, best or a step.
    SetResumeFrom(String),
    Resume(i64),
    /// Copies a run's settings into the launch form.
    Clone(i64),
    /// Asks for confirmation (`None` takes the question back).
    AskDelete(Option<i64>),
    /// Removes a run's folder and record, once confirmed.
    Delete(i64),
    /// Runs ticked in the history, overlaid and diffed.
    SetCompare(Vec<i64>),
    SetPlotOptions(PlotOptions),
    SetExportForm(ExportForm),
    /// Runs the pre-export check on a run's checkpoint.
    CheckExport(i64),
    /// Writes a run's export into the workspace's exports folder.
    Export(i64),
}

/// The SFT area: writing and reviewing instruction examples.
#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum SftCommand {
    /// A blank example, opened in the editor with the first turn focused.
    New,
    Select(i64),
    /// Moves through the visible list (+1 next, -1 previous).
    Step(isize),
    /// The edited example, whole (boxed: it carries every turn).
    Edit(Box<SftExample>),
    Undo,
    Redo,
    SetStatus(crate::core::domain::SftStatus),
    /// To the turn after this one (or the first), adding a turn after the last.
    NextTurn(Option<usize>),
    Filter(Box<ListFilter>),
    /// Moves the keyboard to a field (`None`: the request was served).
    Focus(Option<Focus>),
    ShowKeys(bool),
    AskDelete(Option<i64>),
    Delete(i64),
    SetTokenizer(Option<i64>),
    SetContext(usize),
    SetAssist(Box<AssistForm>),
    /// Takes the document open in the Corpus area into the SFT assist box.
    PassageFromCorpus,
    /// A new draft whose user turn is the template filled with this passage.
    DraftFromPassage(String),
    /// Asks the assist box's model for an answer at, or a paraphrase of, a turn.
    DraftWithModel(DraftKind, usize),
    /// Shows the file picker, then imports the JSONL file in this format.
    ChooseImport(Format),
    Import(Format, std::path::PathBuf),
    /// Asks where to save, then exports the listed examples' status, domain and tag filter.
    ChooseExport(Format, f64),
    Export(Format, f64, std::path::PathBuf),
}
