//! A corpus's script, set in the Corpus area: names without the letters only Azerbaijani
//! Cyrillic has stay Cyrillic under detection, and are transliterated once the corpus is marked
//! Azerbaijani Cyrillic — in both languages, at 1024×700.

use dezgah::app::WorkspaceSlot;
use dezgah::app::command::{Command, CorpusCommand};
use dezgah::app::state::Area;
use dezgah::core::corpus::text::Source;
use dezgah::i18n::{I18n, Lang};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{harness_sized, look, sample_workspace, settle, wait_for_job};
use dezgah::app::DezgahApp;

fn corpus(harness: &Harness<'_, DezgahApp>, name: &str) -> dezgah::core::store::CorpusRow {
    let WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
        panic!("workspace closed");
    };
    snapshot
        .corpora
        .iter()
        .find(|c| c.name == name)
        .expect("corpus listed")
        .clone()
}

fn mark_a_corpus_cyrillic(lang: Lang) {
    let (tmp, ws) = sample_workspace();
    let i18n = I18n::new(lang);
    let mut harness = harness_sized(
        &ws,
        lang,
        std::path::Path::new(env!("CARGO_BIN_EXE_dezgah")),
        [1024.0, 700.0],
    );
    harness.state_mut().push(Command::Open(Area::Corpus));
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::SetImportUnit(
            dezgah::core::corpus::read::TextUnit::Paragraph,
        )));
    settle(&mut harness);
    // Names and a short phrase without ә ғ ҝ ө ү һ ҹ ј: detection takes them for Russian.
    let file = tmp.path().join("adlar.txt");
    std::fs::write(&file, "Сабир Исмаилов\n\nГала гапысы\n\nБакы\n").expect("write");
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::Import(vec![file])));
    harness.step();
    wait_for_job(&mut harness, &i18n, "job-import-corpus", "adlar");
    let id = corpus(&harness, "adlar").id;
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::Select(id)));
    settle(&mut harness);
    assert_eq!(corpus(&harness, "adlar").source, Source::Auto);

    // The script picker: detection until the user says otherwise.
    harness
        .get_by_role_and_label(Role::ComboBox, &i18n.tr("corpus-source"))
        .click();
    settle(&mut harness);
    harness
        .get_by_label(&i18n.tr("corpus-source-az-cyrl"))
        .click();
    settle(&mut harness);
    assert_eq!(corpus(&harness, "adlar").source, Source::AzCyrl);
    let stored = dezgah::core::store::Store::open(&ws.join("dezgah.db"))
        .expect("a second connection")
        .0
        .corpora()
        .expect("corpora");
    assert_eq!(
        stored.iter().find(|c| c.id == id).map(|c| c.source),
        Some(Source::AzCyrl),
        "kept in the workspace"
    );
    look(&mut harness, &format!("corpus-source-{}", lang.code()));

    // Cleaning now transliterates all three.
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("corpus-tab-clean"))
        .click();
    settle(&mut harness);
    harness.get_by_label(&i18n.tr("step-preview")).click();
    wait_for_job(&mut harness, &i18n, "job-clean-preview", "adlar");
    let preview = harness
        .state()
        .corpus
        .steps
        .clean_preview
        .clone()
        .expect("preview")
        .expect("preview ok");
    let transliterated = preview
        .rules
        .iter()
        .find(|r| r.rule == "transliterate")
        .expect("rule");
    assert_eq!(transliterated.documents, 3);
    harness
        .get_by_label(&i18n.tr_args("step-apply-clean", &[("name", "adlar-clean".into())]))
        .click();
    wait_for_job(&mut harness, &i18n, "job-derive-corpus", "adlar");
    let clean = corpus(&harness, "adlar-clean");
    let text = std::fs::read_to_string(ws.join(&clean.path)).expect("derived corpus");
    for latin in ["Sabir İsmailov", "Qala qapısı", "Bakı"] {
        assert!(text.contains(latin), "{latin} in {text}");
    }
    assert_eq!(clean.source, Source::AzLatn, "the cleaned corpus is Latin");
}

#[test]
fn a_corpus_marked_cyrillic_is_transliterated_whole_in_azerbaijani() {
    mark_a_corpus_cyrillic(Lang::Az);
}

#[test]
fn a_corpus_marked_cyrillic_is_transliterated_whole_in_english() {
    mark_a_corpus_cyrillic(Lang::En);
}
