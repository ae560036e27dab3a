//! Where the native file dialog cannot open, the areas offer a path field instead: a typed
//! path imports a corpus and SFT examples, in both languages, in a 1024×700 window.

use std::path::Path;
use std::time::{Duration, Instant};

use dezgah::app::picker::Dialogs;
use dezgah::app::{DezgahApp, WorkspaceSlot};
use dezgah::i18n::{I18n, Lang};
use dezgah::widgets::path_field::field_label;
use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{harness_sized, look, sample_workspace, settle};

const SMALL: [f32; 2] = [1024.0, 700.0];

/// Runs frames until `done` holds, for at most `limit`.
fn wait_for(
    harness: &mut Harness<'_, DezgahApp>,
    limit: Duration,
    what: &str,
    done: impl Fn(&DezgahApp) -> bool,
) {
    let started = Instant::now();
    while !done(harness.state()) {
        assert!(started.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(Duration::from_millis(50));
        settle(harness);
    }
}

fn corpus_names(app: &DezgahApp) -> Vec<String> {
    match &app.workspace {
        WorkspaceSlot::Open { snapshot, .. } => {
            snapshot.corpora.iter().map(|c| c.name.clone()).collect()
        }
        WorkspaceSlot::Failed { error, .. } => panic!("workspace failed: {error}"),
    }
}

/// Clicks the field named for `action`, types `text` and presses Enter.
fn enter_path(harness: &mut Harness<'_, DezgahApp>, i18n: &I18n, action: &str, text: &str) {
    let label = field_label(i18n, action);
    harness
        .get_by_role_and_label(Role::TextInput, &label)
        .click();
    settle(harness);
    // Select what the field holds, so the typed path replaces it.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness
        .get_by_role_and_label(Role::TextInput, &label)
        .type_text(text);
    settle(harness);
    harness.key_press(Key::Enter);
    settle(harness);
}

fn typed_paths_import(lang: Lang) {
    let (tmp, ws) = sample_workspace();
    let i18n = I18n::new(lang);
    let exe = Path::new(env!("CARGO_BIN_EXE_dezgah"));
    let mut harness = harness_sized(&ws, lang, exe, SMALL);
    settle(&mut harness);

    // While the dialog is not known to fail, the area shows only its buttons.
    let import = i18n.tr("corpus-import");
    assert!(
        harness
            .query_by_label(&field_label(&i18n, &import))
            .is_none()
    );
    assert!(
        harness
            .query_by_label(&i18n.tr("path-dialog-unavailable"))
            .is_none()
    );

    // The session learned that the dialog cannot open: the field appears, and says why.
    harness.state_mut().dialogs = Dialogs::unavailable();
    settle(&mut harness);
    harness.get_by_label(&i18n.tr("path-dialog-unavailable"));

    // A path that is not there is named in the area, and nothing is imported.
    let before = corpus_names(harness.state());
    let missing = tmp.path().join("yoxdur.txt");
    enter_path(&mut harness, &i18n, &import, &missing.display().to_string());
    harness.get_by_label(&i18n.tr_args(
        "path-not-found",
        &[("path", missing.display().to_string().into())],
    ));
    assert_eq!(corpus_names(harness.state()), before);

    // A pasted, quoted path imports as the button's dialog would.
    let file = tmp.path().join("qanunlar.txt");
    std::fs::write(
        &file,
        "Azərbaycan Respublikasının Konstitusiyası.\nMülki Məcəllə.\nƏmək Məcəlləsi.\n",
    )
    .expect("write");
    enter_path(
        &mut harness,
        &i18n,
        &import,
        &format!("'{}'", file.display()),
    );
    wait_for(&mut harness, Duration::from_secs(45), "the import", |app| {
        corpus_names(app).iter().any(|n| n == "qanunlar")
    });
    assert_eq!(corpus_names(harness.state()).len(), before.len() + 1);
    look(&mut harness, &format!("paths_corpus_{}", lang.code()));

    // SFT: a typed JSONL path imports examples.
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Num3);
    settle(&mut harness);
    wait_for(
        &mut harness,
        Duration::from_secs(20),
        "the SFT list",
        |app| !app.sft.examples.is_empty(),
    );
    let examples = harness.state().sft.examples.len();
    let jsonl = tmp.path().join("numunələr.jsonl");
    std::fs::write(
        &jsonl,
        concat!(
            r#"{"messages":[{"role":"user","content":"Bakı hansı dənizin sahilindədir?"},"#,
            r#"{"role":"assistant","content":"Xəzər dənizinin."}]}"#,
            "\n",
            r#"{"messages":[{"role":"user","content":"Şəki harada yerləşir?"},"#,
            r#"{"role":"assistant","content":"Böyük Qafqazın ətəyində."}]}"#,
            "\n"
        ),
    )
    .expect("write");
    enter_path(
        &mut harness,
        &i18n,
        &i18n.tr("sft-import"),
        &jsonl.display().to_string(),
    );
    wait_for(
        &mut harness,
        Duration::from_secs(45),
        "the SFT import",
        |app| app.sft.examples.len() == examples + 2,
    );
    assert!(
        harness
            .state()
            .sft
            .examples
            .iter()
            .any(|e| e.messages.iter().any(|m| m.content == "Xəzər dənizinin."))
    );
    // The export field starts at the workspace's exports folder.
    let export = field_label(&i18n, &i18n.tr("sft-export"));
    harness.get_by_role_and_label(Role::TextInput, &export);
    look(&mut harness, &format!("paths_sft_{}", lang.code()));

    // The other areas that open files offer their fields too.
    for (area, action) in [
        (Key::Num2, "tokenizer-add-file"),
        (Key::Num4, "rating-import"),
    ] {
        harness.key_press_modifiers(Modifiers::COMMAND, area);
        settle(&mut harness);
        harness.get_by_role_and_label(Role::TextInput, &field_label(&i18n, &i18n.tr(action)));
        look(&mut harness, &format!("paths_{action}_{}", lang.code()));
    }
}

#[test]
fn a_typed_path_imports_where_the_dialog_cannot_open_in_english() {
    typed_paths_import(Lang::En);
}

#[test]
fn a_typed_path_imports_where_the_dialog_cannot_open_in_azerbaijani() {
    typed_paths_import(Lang::Az);
}
