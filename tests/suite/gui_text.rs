//! The window's text: every area and tab asks only for messages that exist, job names follow
//! the language when it changes, and the New run form's rows keep to themselves — in both
//! languages and at the smallest window size.

use std::path::Path;

use dezgah::app::DezgahApp;
use dezgah::app::areas::playground::PlayTab;
use dezgah::app::areas::rating::RatingTab;
use dezgah::app::command::{
    Command, CorpusCommand, PlaygroundCommand, RatingCommand, TrainingCommand,
};
use dezgah::app::corpus::CorpusTab;
use dezgah::app::state::Area;
use dezgah::app::training::TrainingTab;
use dezgah::i18n::{I18n, Lang};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{harness_sized, look, sample_workspace, settle};

const SMALL: [f32; 2] = [1024.0, 700.0];

fn small_harness(ws: &Path, lang: Lang) -> Harness<'static, DezgahApp> {
    harness_sized(ws, lang, Path::new(env!("CARGO_BIN_EXE_dezgah")), SMALL)
}

fn go(harness: &mut Harness<'_, DezgahApp>, command: Command) {
    harness.state_mut().push(command);
    settle(harness);
}

#[test]
fn every_area_and_tab_asks_only_for_messages_that_exist_in_both_languages() {
    let (_tmp, ws) = sample_workspace();
    for lang in Lang::ALL {
        let mut harness = small_harness(&ws, lang);
        let corpus = {
            let dezgah::app::WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace
            else {
                panic!("the sample workspace did not open");
            };
            snapshot.corpora.first().expect("a sample corpus").id
        };
        for area in Area::ALL {
            go(&mut harness, Command::Open(area));
        }
        go(&mut harness, Command::Open(Area::Corpus));
        go(&mut harness, Command::Corpus(CorpusCommand::Select(corpus)));
        for tab in [
            CorpusTab::Overview,
            CorpusTab::Documents,
            CorpusTab::Clean,
            CorpusTab::Filter,
            CorpusTab::Duplicates,
            CorpusTab::Export,
        ] {
            go(&mut harness, Command::Corpus(CorpusCommand::SetTab(tab)));
        }
        go(&mut harness, Command::Open(Area::Rating));
        for tab in [RatingTab::Rate, RatingTab::Agreement] {
            go(&mut harness, Command::Rating(RatingCommand::Tab(tab)));
        }
        go(&mut harness, Command::Open(Area::Training));
        for tab in [
            TrainingTab::Launch,
            TrainingTab::Monitor,
            TrainingTab::History,
        ] {
            go(
                &mut harness,
                Command::Training(TrainingCommand::SetTab(tab)),
            );
        }
        go(&mut harness, Command::Open(Area::Playground));
        for tab in [
            PlayTab::Chat,
            PlayTab::Compare,
            PlayTab::Batch,
            PlayTab::Index,
        ] {
            go(
                &mut harness,
                Command::Playground(PlaygroundCommand::Tab(tab)),
            );
        }
        look(&mut harness, &format!("text-search-indexes-{lang:?}"));
        // An empty id (a table column without a heading) once flooded the log from here.
        let missing = harness.state().i18n.missing();
        assert!(missing.is_empty(), "{lang:?}: missing messages {missing:?}");
    }
}

#[test]
fn a_job_s_name_in_the_status_bar_follows_the_language_it_is_switched_to() {
    let (_tmp, ws) = sample_workspace();
    let mut harness = small_harness(&ws, Lang::En);
    let en = I18n::new(Lang::En);
    let az = I18n::new(Lang::Az);
    go(&mut harness, Command::Open(Area::Settings));
    harness
        .get_by_label(&en.tr("settings-workspace-check"))
        .click();
    let done = |i18n: &I18n| {
        i18n.tr_args(
            "status-job-done",
            &[("name", i18n.tr("job-check-workspace").into())],
        )
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while harness.query_by_label(&done(&en)).is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the check never ended"
        );
        harness.run_steps(2);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Switched after the job started: its name is said in Azerbaijani now.
    harness.get_by_label("Azərbaycanca").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.lang, Lang::Az);
    harness.get_by_label(&done(&az));
    assert!(harness.query_by_label(&done(&en)).is_none());
}

#[test]
fn the_new_run_form_keeps_the_data_row_above_the_tokenizer_row() {
    let (_tmp, ws) = sample_workspace();
    // The window seeds the sample; then enough corpora with long names that their choices wrap
    // onto several lines at this width.
    drop(small_harness(&ws, Lang::En));
    for i in 0..10 {
        let file = ws.join(format!("law-{i}.txt"));
        std::fs::write(&file, "Maddə 1. Mülki hüquq.\nMaddə 2. Vergi.\n").expect("write");
        dezgah::core::corpus::import::import_corpus(
            &ws,
            &[file],
            &format!("azərbaycan-respublikasının-məcəlləsi-{i}"),
            &dezgah::core::corpus::read::ReadOptions::default(),
            None,
        )
        .expect("import");
    }
    for lang in Lang::ALL {
        let i18n = I18n::new(lang);
        let mut harness = small_harness(&ws, lang);
        go(&mut harness, Command::Open(Area::Training));
        go(
            &mut harness,
            Command::Training(TrainingCommand::SetTab(TrainingTab::Launch)),
        );
        // Frames for the grid to settle its row heights, as a user would see it.
        harness.run_steps(6);
        look(&mut harness, &format!("text-new-run-{lang:?}"));
        let corpora = {
            let dezgah::app::WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace
            else {
                panic!("closed");
            };
            snapshot.corpora.clone()
        };
        assert!(corpora.len() >= 2, "the sample has several corpora");
        let data_bottom = corpora
            .iter()
            .map(|c| {
                let label = i18n.tr_args(
                    "training-corpus-choice",
                    &[
                        ("name", c.name.as_str().into()),
                        ("documents", c.doc_count.into()),
                    ],
                );
                harness
                    .get_by_role_and_label(Role::RadioButton, &label)
                    .rect()
                    .bottom()
            })
            .fold(f32::MIN, f32::max);
        // The form's label, not the navigation's button of the same name.
        let tokenizer_top = harness
            .get_by_role_and_label(Role::Label, &i18n.tr("training-field-tokenizer"))
            .rect()
            .top();
        assert!(
            data_bottom <= tokenizer_top,
            "{lang:?}: the corpus choices end at {data_bottom}, the tokenizer row starts at {tokenizer_top}"
        );
    }
}
