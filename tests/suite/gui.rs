//! Click through the real app with egui_kittest, in English and Azerbaijani, on a copy of the
//! sample workspace.

use std::path::Path;

use dezgah::app::state::Area;
use dezgah::app::{DezgahApp, StartOptions, WorkspaceSlot};
use dezgah::i18n::{I18n, Lang};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;

use crate::common::{
    copy_dir, harness, look, sample_workspace, settle, wait_for_job, wait_for_label,
};

fn click_area(harness: &mut Harness<'_, DezgahApp>, i18n: &I18n, area: Area) {
    let label = i18n.tr(area.title_key());
    harness.get_by_role_and_label(Role::Button, &label).click();
    // Steps, not `run`: a background job may keep the UI repainting.
    harness.run_steps(3);
    assert_eq!(harness.state().state.area, area, "clicking {label:?}");
}

#[test]
fn every_area_opens_in_both_languages_and_language_switches_at_runtime() {
    let (_tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::En);
    assert!(matches!(
        harness.state().workspace,
        WorkspaceSlot::Open { .. }
    ));
    let mut i18n = I18n::new(Lang::En);

    for area in Area::ALL {
        click_area(&mut harness, &i18n, area);
        // The heading shows the area's name too.
        assert!(
            harness
                .query_all_by_label(&i18n.tr(area.title_key()))
                .count()
                >= 2
        );
    }

    // Switch to Azerbaijani from Settings, without a restart.
    harness.get_by_label("Azərbaycanca").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.lang, Lang::Az);
    i18n.set_lang(Lang::Az);
    harness.get_by_label("İnterfeys dili");
    assert!(harness.query_by_label("Interface language").is_none());

    for area in Area::ALL {
        click_area(&mut harness, &i18n, area);
    }

    // And back.
    click_area(&mut harness, &i18n, Area::Settings);
    harness.get_by_label("English").click();
    settle(&mut harness);
    assert_eq!(harness.state().state.lang, Lang::En);
    harness.get_by_label("Interface language");
}

#[test]
fn sample_content_is_shown_in_its_areas() {
    let (_tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::Az);
    let i18n = I18n::new(Lang::Az);
    click_area(&mut harness, &i18n, Area::Corpus);
    let WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
        panic!("sample workspace did not open");
    };
    let corpus = snapshot
        .corpora
        .first()
        .expect("sample corpus")
        .name
        .clone();
    let first_prompt = snapshot.preferences.first().expect("item").prompt.clone();
    harness.get_by_label(&corpus);

    click_area(&mut harness, &i18n, Area::Sft);
    let rows: usize = ["+ #1", "· #1", "× #1"]
        .iter()
        .map(|label| harness.query_all_by_label(label).count())
        .sum();
    assert_eq!(rows, 1, "first SFT example listed once");

    click_area(&mut harness, &i18n, Area::Rating);
    let short = dezgah::panels::preview(&first_prompt, 90);
    harness.get_by_label(&short);

    // Areas with nothing in them say so, and where their files will live.
    click_area(&mut harness, &i18n, Area::Training);
    harness.get_by_label(&i18n.tr("training-empty-title"));
    harness.get_by_label(&i18n.tr("action-reveal-folder"));
}

#[test]
fn keyboard_shortcuts_switch_areas() {
    let (_tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::En);
    for area in Area::ALL.into_iter().rev() {
        let shortcut = area.shortcut();
        harness.key_press_modifiers(shortcut.modifiers, shortcut.logical_key);
        settle(&mut harness);
        assert_eq!(harness.state().state.area, area);
    }
}

#[test]
fn theme_choice_applies_and_is_kept_in_state() {
    let (_tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::En);
    let i18n = I18n::new(Lang::En);
    click_area(&mut harness, &i18n, Area::Settings);
    harness.get_by_label("Light").click();
    settle(&mut harness);
    assert_eq!(
        harness.state().state.theme,
        dezgah::app::state::ThemeChoice::Light
    );
    assert!(!harness.ctx.global_style().visuals.dark_mode);
    harness.get_by_label("Dark").click();
    settle(&mut harness);
    assert!(harness.ctx.global_style().visuals.dark_mode);
}

#[test]
fn annotator_name_is_registered_in_the_workspace() {
    let (_tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::Az);
    let i18n = I18n::new(Lang::Az);
    click_area(&mut harness, &i18n, Area::Settings);
    let label = i18n.tr("settings-annotator");
    harness
        .get_by_role_and_label(Role::TextInput, &label)
        .click();
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::TextInput, &label)
        .type_text("Günay Əliyeva");
    settle(&mut harness);
    harness.key_press(egui::Key::Tab);
    settle(&mut harness);
    let app = harness.state();
    assert_eq!(app.state.annotator, "Günay Əliyeva");
    let WorkspaceSlot::Open { snapshot, .. } = &app.workspace else {
        panic!("workspace not open");
    };
    assert!(snapshot.annotators.contains(&"Günay Əliyeva".to_owned()));
}

#[test]
fn workspace_check_runs_as_a_job_and_reports_in_the_status_bar() {
    let (_tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::Az);
    let i18n = I18n::new(Lang::Az);
    click_area(&mut harness, &i18n, Area::Settings);
    harness
        .get_by_label(&i18n.tr("settings-workspace-check"))
        .click();
    let done = i18n.tr_args(
        "status-job-done",
        &[("name", i18n.tr("job-check-workspace").into())],
    );
    wait_for_label(&mut harness, &done);
    harness.get_by_label("×").click();
    settle(&mut harness);
    assert!(harness.query_by_label_contains(&done).is_none());
    harness.get_by_label(&i18n.tr("status-no-jobs"));
}

#[test]
fn a_corrupt_workspace_shows_its_error_and_the_app_keeps_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("dezgah.db");
    let garbage = vec![0xA5u8; 16_384];
    std::fs::write(&db, &garbage).expect("write");
    let mut harness = harness(dir.path(), Lang::En);
    let i18n = I18n::new(Lang::En);
    click_area(&mut harness, &i18n, Area::Sft);
    harness.get_by_label(&i18n.tr("workspace-failed-title"));
    harness.get_by_label_contains("left untouched");
    assert_eq!(std::fs::read(&db).expect("read"), garbage);
    // Move on to a good workspace from Settings.
    harness
        .get_by_label(&i18n.tr("workspace-go-settings"))
        .click();
    settle(&mut harness);
    assert_eq!(harness.state().state.area, Area::Settings);
    let (_tmp, good) = sample_workspace();
    harness
        .state_mut()
        .push(dezgah::app::command::Command::OpenWorkspace(good));
    settle(&mut harness);
    assert!(matches!(
        harness.state().workspace,
        WorkspaceSlot::Open { .. }
    ));
}

#[test]
fn snapshots_of_areas_in_azerbaijani() {
    // A fixed path, so the path shown on screen is the same on every machine and clone.
    let ws = std::env::temp_dir()
        .join("dezgah-kittest-snapshots")
        .join("sample");
    let _ = std::fs::remove_dir_all(&ws);
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/sample"),
        &ws,
    );
    let mut harness = harness(&ws, Lang::Az);
    let i18n = I18n::new(Lang::Az);
    for area in [Area::Corpus, Area::Sft, Area::Training, Area::Settings] {
        click_area(&mut harness, &i18n, area);
        if area == Area::Training {
            // The launch form: the longest labels of the area.
            harness
                .get_by_role_and_label(Role::Button, &i18n.tr("training-tab-launch"))
                .click();
            settle(&mut harness);
        }
        if area == Area::Corpus {
            // A corpus with its statistics and length histogram.
            harness.get_by_label("nesr").click();
            wait_for_label(&mut harness, &i18n.tr("corpus-stats-length"));
            // Both jobs (statistics and index) finished, so the status bar is the same each run.
            wait_for_job(&mut harness, &i18n, "job-corpus-index", "nesr");
            wait_for_job(&mut harness, &i18n, "job-corpus-stats", "nesr");
        }
        harness.snapshot(format!("az_{}", area.slug()));
    }
}

/// eframe's storage, in memory.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn area_theme_language_and_annotator_survive_a_restart() {
    use eframe::App as _;
    let (_tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::En);
    let i18n = I18n::new(Lang::En);
    click_area(&mut harness, &i18n, Area::Settings);
    harness.get_by_label("Light").click();
    harness.get_by_label("Azərbaycanca").click();
    settle(&mut harness);
    let az = I18n::new(Lang::Az);
    click_area(&mut harness, &az, Area::Rating);
    harness
        .state_mut()
        .push(dezgah::app::command::Command::SetAnnotator("Rəşad".into()));
    settle(&mut harness);
    let mut storage = MemoryStorage::default();
    harness.state_mut().save(&mut storage);
    drop(harness);

    let storage: &'static MemoryStorage = Box::leak(Box::new(storage));
    let harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_context_setup(dezgah::app::theme::install_fonts)
        .build_eframe(move |cc| {
            cc.storage = Some(storage);
            DezgahApp::new(cc, StartOptions::default())
        });
    let state = &harness.state().state;
    assert_eq!(state.area, Area::Rating);
    assert_eq!(state.lang, Lang::Az);
    assert_eq!(state.theme, dezgah::app::state::ThemeChoice::Light);
    assert_eq!(state.workspace.as_deref(), Some(ws.as_path()));
    assert_eq!(state.annotator, "Rəşad");
    harness.get_by_label(&az.tr("rating-about"));
}

#[test]
fn a_running_job_shows_progress_and_eta_and_can_be_cancelled_from_the_status_bar() {
    let (_tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::Az);
    let i18n = I18n::new(Lang::Az);
    harness
        .state_mut()
        .jobs
        .spawn("Uzun iş", |ctx| {
            let total = 100_000u64;
            for step in 0..total {
                if ctx.is_cancelled() {
                    break;
                }
                ctx.progress(step, Some(total));
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Ok("bitdi".into())
        })
        .expect("spawn");
    let eta_word = i18n.tr_args("status-eta", &[("time", "".into())]);
    let eta_word = eta_word.trim();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while harness.query_by_label_contains(eta_word).is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "no progress with ETA shown"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
    harness.get_by_label("Uzun iş");
    harness.get_by_label(&i18n.tr("action-cancel")).click();
    let cancelled = i18n.tr_args("status-job-cancelled", &[("name", "Uzun iş".into())]);
    while harness.query_by_label(&cancelled).is_none() {
        assert!(std::time::Instant::now() < deadline, "cancel not reported");
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
}

#[test]
fn a_failing_job_shows_its_error_and_the_app_keeps_running() {
    let (_tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::En);
    let i18n = I18n::new(Lang::En);
    std::fs::remove_file(ws.join("corpora/nesr.jsonl")).expect("remove a corpus file");
    click_area(&mut harness, &i18n, Area::Settings);
    harness
        .get_by_label(&i18n.tr("settings-workspace-check"))
        .click();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while harness
        .query_by_label_contains("corpora/nesr.jsonl is missing")
        .is_none()
    {
        assert!(std::time::Instant::now() < deadline, "failure not shown");
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
    harness
        .state_mut()
        .jobs
        .spawn("panics", |_| panic!("boom"))
        .expect("spawn");
    while harness.query_by_label_contains("boom").is_none() {
        assert!(std::time::Instant::now() < deadline, "panic not shown");
        std::thread::sleep(std::time::Duration::from_millis(20));
        harness.step();
    }
    // Still alive and responsive.
    click_area(&mut harness, &i18n, Area::Corpus);
}

#[test]
fn files_are_imported_as_a_corpus_and_its_statistics_shown() {
    let (tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::Az);
    let i18n = I18n::new(Lang::Az);
    click_area(&mut harness, &i18n, Area::Corpus);
    harness
        .get_by_label(&i18n.tr("corpus-unit-paragraph"))
        .click();
    settle(&mut harness);
    let file = tmp.path().join("xəbərlər.txt");
    std::fs::write(
        &file,
        "Bakıda beynəlxalq konfrans keçirildi.\n\nQubada alma yığımı başladı.\n\nБакыда һава ајдындыр.\n",
    )
    .expect("write");
    harness
        .state_mut()
        .push(dezgah::app::command::Command::Corpus(
            dezgah::app::command::CorpusCommand::Import(vec![file]),
        ));
    harness.step();
    let done = i18n.tr_args(
        "status-job-done",
        &[(
            "name",
            i18n.tr_args("job-import-corpus", &[("name", "xəbərlər".into())])
                .into(),
        )],
    );
    wait_for_label(&mut harness, &done);
    let WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
        panic!("workspace closed");
    };
    let corpus = snapshot
        .corpora
        .iter()
        .find(|c| c.name == "xəbərlər")
        .expect("imported corpus listed")
        .clone();
    assert_eq!(corpus.doc_count, 3, "one document per paragraph");
    harness.get_by_label("xəbərlər").click();
    harness.step();
    let summary = i18n.tr_args(
        "corpus-stats-summary",
        &[
            ("documents", 3.into()),
            ("characters", corpus.char_count.into()),
            ("words", 13.into()),
        ],
    );
    let documents_part = summary.split(" · ").next().expect("part").to_owned();
    wait_for_label(&mut harness, &documents_part);
    harness.get_by_label_contains("cyrillic 1");
}

#[test]
fn documents_are_browsed_searched_filtered_and_read_with_anomalies_marked() {
    let (tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::Az);
    let i18n = I18n::new(Lang::Az);
    click_area(&mut harness, &i18n, Area::Corpus);
    let file = tmp.path().join("qanun.txt");
    std::fs::write(
        &file,
        "Azərbaycan Respublikasının M ə c ə ll ə nin birinci maddәsi qüvvəyə minir.\n\
         Bakı şəhəri Xəzər dənizinin sahilində yerləşir, İSTİQLAL küçəsi məşhurdur.\n\
         Bugün hava çok güzel, parkta yürüyüş yapmaya karar verdik.\n\
         Gizli\u{200B}simvol və \u{FFFD} əvəzedici olan sətir burada yazılıb.\n",
    )
    .expect("write");
    harness
        .state_mut()
        .push(dezgah::app::command::Command::Corpus(
            dezgah::app::command::CorpusCommand::Import(vec![file]),
        ));
    harness.step();
    let done = i18n.tr_args(
        "status-job-done",
        &[(
            "name",
            i18n.tr_args("job-import-corpus", &[("name", "qanun".into())])
                .into(),
        )],
    );
    wait_for_label(&mut harness, &done);
    harness.get_by_label("qanun").click();
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("corpus-tab-documents"))
        .click();
    let count = |shown: usize| {
        i18n.tr_args(
            "corpus-browse-count",
            &[("shown", shown.into()), ("total", 4.into())],
        )
    };
    wait_for_label(&mut harness, &count(4));

    // Turkic case folding: "istiqlal" finds "İSTİQLAL".
    let query = dezgah::core::corpus::browse::Query {
        pattern: "istiqlal".into(),
        regex: false,
        ignore_case: true,
    };
    harness
        .state_mut()
        .push(dezgah::app::command::Command::Corpus(
            dezgah::app::command::CorpusCommand::Search(query),
        ));
    harness.step();
    wait_for_label(&mut harness, &count(1));
    harness.get_by_label("#2").click();
    settle(&mut harness);
    harness.get_by_label_contains(&i18n.tr("mark-hit"));
    harness
        .get_by_label(&i18n.tr("corpus-search-clear"))
        .click();
    wait_for_label(&mut harness, &count(4));

    // The split words and the Cyrillic ә of the first document are marked.
    harness.get_by_label("#1").click();
    settle(&mut harness);
    harness.get_by_label_contains(&i18n.tr("mark-split-word"));
    harness.get_by_label_contains(&i18n.tr("mark-schwa"));

    // Language filter: only the Turkish line.
    let tr = {
        let dezgah::app::corpus::CorpusView {
            browser: Some(b), ..
        } = &harness.state().corpus
        else {
            panic!("no browser");
        };
        b.index
            .languages
            .iter()
            .position(|l| l == "tr")
            .expect("tr detected") as u8
    };
    harness
        .state_mut()
        .push(dezgah::app::command::Command::Corpus(
            dezgah::app::command::CorpusCommand::SetBrowseFilters(Box::new(
                dezgah::core::corpus::browse::Filters {
                    language: Some(tr),
                    ..Default::default()
                },
            )),
        ));
    settle(&mut harness);
    harness.get_by_label(&count(1));
    harness.get_by_label(&i18n.tr("filter-reset")).click();
    settle(&mut harness);
    harness.get_by_label(&count(4));
    harness.get_by_label("#4").click();
    settle(&mut harness);
    harness.get_by_label_contains(&i18n.tr("mark-control"));
    harness.get_by_label_contains(&i18n.tr("mark-replacement"));
    look(&mut harness, "browse");

    // Estimated tokens with a tokenizer.json (any; here a word-level one).
    let vocab = ["[UNK]", "Bakı", "şəhəri", "Xəzər"]
        .iter()
        .enumerate()
        .map(|(i, w)| ((*w).to_owned(), i as u32))
        .collect();
    let model = tokenizers::models::wordlevel::WordLevel::builder()
        .vocab(vocab)
        .unk_token("[UNK]".into())
        .build()
        .expect("model");
    let mut tokenizer = tokenizers::Tokenizer::new(model);
    tokenizer.with_pre_tokenizer(Some(tokenizers::pre_tokenizers::whitespace::Whitespace {}));
    let tok = tmp.path().join("tokenizer.json");
    tokenizer.save(&tok, false).expect("save");
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("corpus-tab-overview"))
        .click();
    harness
        .state_mut()
        .push(dezgah::app::command::Command::Corpus(
            dezgah::app::command::CorpusCommand::EstimateTokens(tok),
        ));
    harness.step();
    wait_for_job(&mut harness, &i18n, "job-estimate-tokens", "qanun");
    let estimate = harness.state().corpus.steps.tokens.clone();
    let estimate = estimate.expect("estimated").expect("ok");
    assert_eq!(estimate.sample_documents, 4);
    harness.get_by_label_contains(&format!("≈ {} ", estimate.estimated_tokens));
}

#[test]
fn a_corpus_is_cleaned_deduplicated_reviewed_and_exported_from_the_gui() {
    use dezgah::app::command::{Command, CorpusCommand};
    let (tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::En);
    let i18n = I18n::new(Lang::En);
    click_area(&mut harness, &i18n, Area::Corpus);
    let law = "Azərbaycan Respublikasının Mülki Məcəlləsi mülki qanunvericiliyin əsaslarını \
        müəyyən edir və mülkiyyət hüququnu, müqavilə öhdəliklərini, vərəsəlik qaydalarını və \
        digər əmlak münasibətlərini tənzimləyir. Bu Məcəllə fiziki və hüquqi şəxslər arasında \
        yaranan münasibətlərə tətbiq edilir.";
    let file = tmp.path().join("mecelle.txt");
    std::fs::write(
        &file,
        format!(
            "{law}\nM ə c ə ll ə si birinci maddәsi qüvvəyə minir və mətni dərc olunur.\n{}\n",
            law.replace("tətbiq edilir", "tətbiq olunur")
        ),
    )
    .expect("write");
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::Import(vec![file])));
    harness.step();
    wait_for_job(&mut harness, &i18n, "job-import-corpus", "mecelle");
    harness.get_by_label("mecelle").click();
    settle(&mut harness);

    // Clean: the preview lists the split word and the Cyrillic ә, then a new corpus is made.
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("corpus-tab-clean"))
        .click();
    settle(&mut harness);
    harness.get_by_label(&i18n.tr("step-preview")).click();
    wait_for_job(&mut harness, &i18n, "job-clean-preview", "mecelle");
    assert!(
        harness
            .query_all_by_label_contains("Məcəlləsi birinci")
            .count()
            >= 1
    );
    assert!(harness.query_all_by_label_contains("maddəsi").count() >= 2);
    look(&mut harness, "clean");
    harness
        .get_by_label(&i18n.tr_args("step-apply-clean", &[("name", "mecelle-clean".into())]))
        .click();
    wait_for_job(&mut harness, &i18n, "job-derive-corpus", "mecelle");
    assert_eq!(
        harness.state().corpus.steps.lineage.len(),
        2,
        "the new corpus is selected, with its parent in its lineage"
    );

    // Duplicates: one near-duplicate cluster, reviewed side by side.
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("corpus-tab-duplicates"))
        .click();
    settle(&mut harness);
    let mut settings = harness.state().corpus.steps.dedup;
    settings.threshold = 0.5;
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::SetDedupSettings(settings)));
    settle(&mut harness);
    harness.get_by_label(&i18n.tr("dedup-find")).click();
    wait_for_job(&mut harness, &i18n, "job-find-duplicates", "mecelle-clean");
    wait_for_job(
        &mut harness,
        &i18n,
        "job-compare-documents",
        "mecelle-clean",
    );
    harness.get_by_label_contains("#1 (kept): ");
    harness.get_by_label_contains(" words · #3: ");
    look(&mut harness, "duplicates");
    // Keep the second copy instead, by hand.
    let radios = harness
        .get_all_by_label(&i18n.tr("dedup-keep-this"))
        .count();
    assert_eq!(radios, 2);
    harness
        .get_all_by_label(&i18n.tr("dedup-keep-this"))
        .nth(1)
        .expect("second member")
        .click();
    settle(&mut harness);
    let cluster = harness.state().corpus.steps.clusters[0].clone();
    assert_eq!((cluster.keep, cluster.decision.name()), (2, "chosen"));
    harness
        .get_by_label(&i18n.tr("dedup-not-duplicates"))
        .click();
    settle(&mut harness);
    assert_eq!(
        harness.state().corpus.steps.clusters[0].decision.name(),
        "not-duplicates"
    );
    harness
        .get_by_label(&i18n.tr("dedup-are-duplicates"))
        .click();
    settle(&mut harness);
    harness
        .get_by_label(&i18n.tr_args(
            "step-apply-dedup",
            &[("name", "mecelle-clean-dedup".into())],
        ))
        .click();
    wait_for_job(&mut harness, &i18n, "job-derive-corpus", "mecelle-clean");
    let WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
        panic!("closed");
    };
    let dedup = snapshot
        .corpora
        .iter()
        .find(|c| c.name == "mecelle-clean-dedup")
        .expect("dedup corpus");
    assert_eq!(dedup.doc_count, 2);

    // Export with provenance.
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("corpus-tab-export"))
        .click();
    settle(&mut harness);
    let out = tmp.path().join("mecelle.parquet");
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::ExportTo(
            dezgah::core::corpus::derive::ExportFormat::Parquet,
            out.clone(),
        )));
    harness.step();
    wait_for_job(
        &mut harness,
        &i18n,
        "job-export-corpus",
        "mecelle-clean-dedup",
    );
    look(&mut harness, "export");
    let provenance: serde_json::Value = serde_json::from_slice(
        &std::fs::read(tmp.path().join("mecelle.parquet.provenance.json")).expect("provenance"),
    )
    .expect("json");
    let steps: Vec<&str> = provenance["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["step"].as_str().expect("step"))
        .collect();
    assert_eq!(steps, vec!["clean", "dedup"]);
    assert_eq!(provenance["export"]["documents"], 2);
}

#[test]
fn import_reads_a_chosen_field_and_reports_unreadable_lines_by_file_and_line() {
    use dezgah::app::command::{Command, CorpusCommand};
    let (tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::En);
    let i18n = I18n::new(Lang::En);
    click_area(&mut harness, &i18n, Area::Corpus);
    let file = tmp.path().join("xeber.jsonl");
    std::fs::write(
        &file,
        b"{\"key\": \"a\", \"body\": \"Bak\xc4\xb1da hava g\xc3\xbcn\xc9\x99\xc5\x9flidir.\"}\n{\"key\": \"b\", \"body\": \"Qubada qar \xff ya\xc4\x9f\xc4\xb1r.\"}\nnot json\n",
    )
    .expect("write");
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::SetImportOptions(
            dezgah::app::corpus::ImportOptions {
                text_field: "body".into(),
                id_field: "key".into(),
                repair: true,
            },
        )));
    harness
        .state_mut()
        .push(Command::Corpus(CorpusCommand::Import(vec![file])));
    harness.step();
    wait_for_job(&mut harness, &i18n, "job-import-corpus", "xeber");
    harness.get_by_label("xeber").click();
    wait_for_label(
        &mut harness,
        &i18n.tr_args("corpus-bad-lines", &[("count", 2.into())]),
    );
    harness.get_by_label_contains("xeber.jsonl:2: invalid UTF-8");
    harness.get_by_label_contains("xeber.jsonl:3: malformed JSON");
    let WorkspaceSlot::Open { workspace, .. } = &harness.state().workspace else {
        panic!("closed");
    };
    let text = std::fs::read_to_string(workspace.root().join("corpora/xeber.jsonl")).expect("read");
    assert!(text.contains("\"id\":\"a\""), "{text}");
    assert!(
        text.contains('\u{FFFD}'),
        "the invalid byte was repaired: {text}"
    );
}

#[test]
fn a_tokenizer_is_trained_inspected_and_another_added_from_disk() {
    use dezgah::app::command::{Command, TokenizerCommand};
    let (tmp, ws) = sample_workspace();
    let mut harness = harness(&ws, Lang::Az);
    let i18n = I18n::new(Lang::Az);
    click_area(&mut harness, &i18n, Area::Tokenizer);
    harness.get_by_label_contains("nesr (").click();
    settle(&mut harness);
    let mut form = harness.state().areas.tokenizer.form.clone();
    form.config.vocab_size = 600;
    form.name = "nesr-600".into();
    harness
        .state_mut()
        .push(Command::Tokenizer(TokenizerCommand::SetTrainForm(
            Box::new(form),
        )));
    settle(&mut harness);
    harness
        .get_by_role_and_label(Role::Button, &i18n.tr("tokenizer-train"))
        .click();
    wait_for_job(&mut harness, &i18n, "job-train-tokenizer", "nesr-600");
    assert!(matches!(
        harness.state().areas.tokenizer.loaded,
        Some(Ok(_))
    ));
    harness
        .state_mut()
        .push(Command::Tokenizer(TokenizerCommand::SetInspectText(
            "Bakı şəhəri Ж gözəldir".into(),
        )));
    settle(&mut harness);
    let inspection = harness
        .state()
        .areas
        .tokenizer
        .inspection
        .clone()
        .expect("inspected")
        .expect("ok");
    assert!(inspection.round_trip, "{inspection:?}");
    assert!(inspection.pieces.iter().any(|p| p.byte_fallback));
    harness.get_by_label_contains(&format!("{} token ·", inspection.pieces.len()));
    harness.get_by_label_contains("<0xD0>");
    look(&mut harness, "tokenizer");

    // A tokenizer.json from elsewhere is copied in and selected.
    let mut other = tmp.path().join("hf-model");
    std::fs::create_dir_all(&other).expect("mkdir");
    other.push("tokenizer.json");
    let config = dezgah::core::tokenizer::TrainConfig {
        kind: dezgah::core::tokenizer::Kind::Bpe,
        vocab_size: 400,
        ..Default::default()
    };
    dezgah::core::tokenizer::train(
        &[ws.join("seed/corpora/nesr.txt")],
        &dezgah::core::corpus::read::ReadOptions::default(),
        &config,
        &other,
        None,
    )
    .expect("train");
    harness
        .state_mut()
        .push(Command::Tokenizer(TokenizerCommand::AddFile(other)));
    settle(&mut harness);
    assert!(harness.query_all_by_label("hf-model").count() >= 1);
    let WorkspaceSlot::Open { snapshot, .. } = &harness.state().workspace else {
        panic!("closed");
    };
    assert_eq!(snapshot.tokenizers.len(), 2);
    let (ids, nesr): (Vec<i64>, i64) = (
        snapshot.tokenizers.iter().map(|t| t.id).collect(),
        snapshot
            .corpora
            .iter()
            .find(|c| c.name == "nesr")
            .expect("nesr")
            .id,
    );

    // Compare the two on the nesr corpus.
    harness
        .state_mut()
        .push(Command::Tokenizer(TokenizerCommand::SetComparison(
            ids,
            Some(nesr),
        )));
    settle(&mut harness);
    // The button sits below the fold of the area's scroll view: the command it sends.
    assert!(
        harness
            .query_by_label(&i18n.tr("tokenizer-compare"))
            .is_some()
    );
    harness
        .state_mut()
        .push(Command::Tokenizer(TokenizerCommand::Compare));
    settle(&mut harness);
    wait_for_label(
        &mut harness,
        &i18n.tr_args(
            "status-job-done",
            &[("name", i18n.tr("job-compare-tokenizers").into())],
        ),
    );
    let comparison = harness
        .state()
        .areas
        .tokenizer
        .comparison
        .clone()
        .expect("compared")
        .expect("ok");
    assert_eq!(comparison.rows.len(), 2);
    assert!(!comparison.words.is_empty());
    harness.get_by_label(&i18n.tr("tokenizer-compare-words"));
    look(&mut harness, "tokenizer_compare");
}
