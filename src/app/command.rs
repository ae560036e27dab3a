//! Every user action, as data. Panels return commands; `DezgahApp::logic` applies them once
//! per frame, outside any UI closure, so no drawing code changes state behind another's back.

use std::path::PathBuf;

use crate::app::corpus::{CorpusTab, DedupSettings, ImportOptions, StepKind};
use crate::app::playground::{BatchForm, CompareForm, PlayTab};
use crate::app::rating::{Draft, GenerateForm, RatingTab};
use crate::app::sft::{AssistForm, Focus, ListFilter};
use crate::app::state::{Area, ThemeChoice};
use crate::app::tokenizer::TrainForm;
use crate::app::training::{ExportForm, LaunchForm, PlotOptions, TrainingTab};
use crate::core::chat::ChatSettings;
use crate::core::corpus::browse::{Filters, Query};
use crate::core::corpus::clean::Rules;
use crate::core::corpus::derive::{ExportFormat, Keep};
use crate::core::corpus::quality::QualityConfig;
use crate::core::corpus::read::TextUnit;
use crate::core::corpus::text::Source;
use crate::core::jobs::JobId;
use crate::core::prefs::{ExportOptions as PrefsExport, Verdict};
use crate::core::rag::IndexSettings;
use crate::core::sft::DraftKind;
use crate::core::sft_io::Format;
use crate::core::store::SftExample;
use crate::i18n::Lang;

#[must_use]
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
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
    /// Shows the native file picker, then imports what was picked.
    ChooseCorpusFiles,
    /// Shows the native folder picker, then imports every corpus file under the folder.
    ChooseCorpusFolder,
    /// Imports files (picked or dropped on the window) as one new corpus.
    ImportCorpus(Vec<PathBuf>),
    /// What one document of a plain-text file is, for the next import.
    SetImportUnit(TextUnit),
    SetImportOptions(ImportOptions),
    /// Shows a corpus's details (and computes its statistics if it has none yet).
    SelectCorpus(i64),
    SetCorpusTab(CorpusTab),
    /// What a corpus is written in (what its cleaning transliterates).
    SetCorpusSource(i64, Source),
    /// Shows or folds the import controls and the corpus table above a corpus's details.
    SetCorpusListOpen(bool),
    /// Boxed: filters are the largest payload and commands are moved every frame.
    SetBrowseFilters(Box<Filters>),
    /// Searches the selected corpus (an empty pattern clears the search).
    SearchCorpus(Query),
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
    DeriveCorpus(StepKind),
    /// Asks where to save, then exports the selected corpus.
    ChooseExport(ExportFormat),
    ExportCorpusTo(ExportFormat, PathBuf),
    /// Shows the file picker for a tokenizer.json, then estimates the corpus's tokens with it.
    ChooseTokenizerForEstimate,
    EstimateTokens(PathBuf),
    SetTrainForm(Box<TrainForm>),
    /// Trains a tokenizer on the form's corpora and settings.
    TrainTokenizer,
    /// Loads a workspace tokenizer into the inspector.
    SelectTokenizer(i64),
    SetInspectText(String),
    /// Shows the file picker for a tokenizer.json to copy into the workspace.
    ChooseTokenizerFile,
    AddTokenizerFile(PathBuf),
    /// Which tokenizers to compare, and on which corpus's sample (none: the inspector's text).
    SetComparison(Vec<i64>, Option<i64>),
    CompareTokenizers,
    SetTrainingTab(TrainingTab),
    /// Boxed: the form carries a whole run configuration.
    SetLaunchForm(Box<LaunchForm>),
    /// Starts the form's run as a `dezgah train` child process.
    LaunchRun,
    /// Shows a run in the Monitor tab (reading its folder if needed).
    ShowRun(i64),
    /// Asks a running run to save a checkpoint and stop.
    StopRun(i64),
    /// Which checkpoint the next resume starts from: last, best or a step.
    SetResumeFrom(String),
    ResumeRun(i64),
    /// Copies a run's settings into the launch form.
    CloneRun(i64),
    /// Asks for confirmation (`None` takes the question back).
    AskDeleteRun(Option<i64>),
    /// Removes a run's folder and record, once confirmed.
    DeleteRun(i64),
    /// Runs ticked in the history, overlaid and diffed.
    SetCompare(Vec<i64>),
    SetPlotOptions(PlotOptions),
    /// Shows a corpus of the workspace in the Corpus area.
    ShowCorpus(i64),
    /// Shows a workspace tokenizer in the Tokenizer area.
    ShowTokenizer(i64),
    CopyText(String),
    SetExportForm(ExportForm),
    /// Runs the pre-export check on a run's checkpoint.
    CheckExport(i64),
    /// Writes a run's export into the workspace's exports folder.
    ExportRun(i64),
    /// A blank example, opened in the editor with the first turn focused.
    SftNew,
    SftSelect(i64),
    /// Moves through the visible list (+1 next, -1 previous).
    SftStep(isize),
    /// The edited example, whole (boxed: it carries every turn).
    SftEdit(Box<SftExample>),
    SftUndo,
    SftRedo,
    SftSetStatus(crate::core::domain::SftStatus),
    /// To the turn after this one (or the first), adding a turn after the last.
    SftNextTurn(Option<usize>),
    SftFilter(Box<ListFilter>),
    /// Moves the keyboard to a field (`None`: the request was served).
    SftFocus(Option<Focus>),
    SftShowKeys(bool),
    SftAskDelete(Option<i64>),
    SftDelete(i64),
    SftSetTokenizer(Option<i64>),
    SftSetContext(usize),
    SftSetAssist(Box<AssistForm>),
    /// Takes the document open in the Corpus area into the SFT assist box.
    SftPassageFromCorpus,
    /// A new draft whose user turn is the template filled with this passage.
    SftDraftFromPassage(String),
    /// Asks the assist box's model for an answer at, or a paraphrase of, a turn.
    SftDraftWithModel(DraftKind, usize),
    /// Shows the file picker, then imports the JSONL file in this format.
    SftChooseImport(Format),
    SftImport(Format, std::path::PathBuf),
    /// Asks where to save, then exports the listed examples' status, domain and tag filter.
    SftChooseExport(Format, f64),
    SftExport(Format, f64, std::path::PathBuf),
    RateTab(RatingTab),
    /// To the previous (-1) or next (+1) item.
    RateMove(isize),
    /// Opens an item in the Rate tab (from the disagreement list).
    RateShow(i64),
    /// The judgement on screen as the annotator changes it (boxed: it carries their texts).
    RateDraft(Box<Draft>),
    /// Commits the judgement on screen and moves to the next item that wants this annotator.
    RateSubmit,
    RateSkip,
    /// Saves the better answer written for the item on screen as a new SFT example.
    RateSaveBetter,
    RateGuidelines(String),
    RateEditGuidelines(bool),
    /// An adjudicator settles an item the annotators disagree on.
    RateAdjudicate(i64, Verdict),
    RateSetExport(Box<PrefsExport>),
    /// Shows the file picker, then imports items needing this many judgements each.
    RateChooseImport(u32),
    RateImport(std::path::PathBuf, u32),
    /// Asks where to save, then exports with the current export options.
    RateChooseExport,
    RateExport(std::path::PathBuf),
    RateSetGenerate(Box<GenerateForm>),
    /// Samples candidate answers for the form's prompts in a background job.
    RateGenerate,
    /// Shows the file picker, then reads a text file's lines as prompts.
    RateChoosePromptFile,
    /// Reads a text file's lines as prompts (a path typed where the dialog cannot open).
    RatePromptFile(PathBuf),
    PlayTab(PlayTab),
    /// Starts a new conversation (stored with its first message).
    PlayNew,
    PlayOpen(i64),
    /// Asks to delete a conversation (a second click confirms); `None` takes it back.
    PlayAskDelete(Option<i64>),
    PlayDelete(i64),
    /// The open conversation's model, sampling and retrieval settings (saved with it).
    PlaySettings(Box<ChatSettings>),
    /// Sets answer length, passages, template and plain-text mode to what the chosen model's
    /// context and training suit.
    PlayFitToModel,
    PlayInput(String),
    PlaySend,
    /// Stops the answers being generated (what was written so far is kept).
    PlayStop,
    /// Drops the last answer and generates it again with the next seed.
    PlayRegenerate,
    PlayCompareForm(Box<CompareForm>),
    PlayCompare,
    /// The two answers of the comparison become a preference item to rate.
    PlayCompareToRating,
    PlayBatchForm(Box<BatchForm>),
    PlayBatch,
    PlayBatchToRating,
    PlayBatchToSft,
    PlayIndexForm(IndexSettings),
    /// Builds (or rebuilds) the search index of a corpus, by name.
    PlayBuildIndex(String),
    /// Searches a corpus's index: (corpus, question).
    PlaySearch(String, String),
}
