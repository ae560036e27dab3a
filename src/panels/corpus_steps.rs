//! The step tabs of a selected corpus: Clean, Filter, Duplicates and Export. Each step is
//! previewed on the documents it changes before it makes a new corpus.

use crate::app::command::{Command, CorpusCommand};
use crate::app::corpus::{Pending, StepKind, StepsState};
use crate::app::theme;
use crate::core::corpus::derive::{ExportFormat, Keep, RULES, rule_enabled};
use crate::core::corpus::quality::{Flag, QualityConfig};
use crate::core::domain::Decision;
use crate::core::store::CorpusRow;
use crate::i18n::I18n;
use crate::panels::AreaView;
use crate::panels::corpus::flag_key;

fn rule_key(rule: &str) -> (&'static str, &'static str) {
    match rule {
        "nfc" => ("rule-nfc", "rule-nfc-hint"),
        "schwa" => ("rule-schwa", "rule-schwa-hint"),
        "mixed_script" => ("rule-mixed-script", "rule-mixed-script-hint"),
        "split_words" => ("rule-split-words", "rule-split-words-hint"),
        "whitespace" => ("rule-whitespace", "rule-whitespace-hint"),
        _ => ("rule-transliterate", "rule-transliterate-hint"),
    }
}

/// What a step's progress counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Documents,
    /// Passages of a document comparison.
    Passages,
    /// Something only a share is meaningful of (bytes read).
    Share,
}

/// A running step where it was started: how far it is, as counts, and its cancel button.
fn running_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    steps: &StepsState,
    what: fn(&Pending) -> bool,
    unit: Unit,
    out: &mut Vec<Command>,
) {
    let Some((id, progress)) = steps.running(what) else {
        return;
    };
    match progress.and_then(|p| p.total.map(|total| (p, total))) {
        None => {
            ui.spinner();
            ui.label(egui::RichText::new(i18n.tr("step-running")).color(theme::weak_color(ui)));
        }
        Some((p, total)) => {
            let fraction = p.fraction().unwrap_or(0.0);
            let text = match (unit, p.stage) {
                (Unit::Documents, Some((pass, passes))) => i18n.tr_args(
                    "step-progress-pass",
                    &[
                        ("pass", pass.into()),
                        ("passes", passes.into()),
                        ("done", p.done.into()),
                        ("total", total.into()),
                    ],
                ),
                (Unit::Documents, None) => i18n.tr_args(
                    "step-progress-documents",
                    &[("done", p.done.into()), ("total", total.into())],
                ),
                (Unit::Passages, _) => i18n.tr_args(
                    "step-progress-passages",
                    &[("done", p.done.into()), ("total", total.into())],
                ),
                (Unit::Share, _) => format!("{:.0}%", fraction * 100.0),
            };
            ui.add(
                egui::ProgressBar::new(fraction)
                    .desired_width(280.0)
                    .text(text),
            );
        }
    }
    if ui
        .small_button(i18n.tr("action-cancel"))
        .on_hover_text(i18n.tr("action-cancel-job-hint"))
        .clicked()
    {
        out.push(Command::CancelJob(id));
    }
}

fn error_ui(ui: &mut egui::Ui, error: &str) {
    ui.colored_label(theme::error_color(ui), error);
}

/// The result of the last "make a new corpus" of this corpus, and the button that starts one.
fn derive_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    steps: &StepsState,
    corpus: &CorpusRow,
    kind: StepKind,
    out: &mut Vec<Command>,
) {
    let (key, suffix) = match kind {
        StepKind::Clean => ("step-apply-clean", "clean"),
        StepKind::Filter => ("step-apply-filter", "filtered"),
        StepKind::Dedup => ("step-apply-dedup", "dedup"),
    };
    let running = steps.is_running(|p| matches!(p, Pending::Derived(_)));
    ui.horizontal(|ui| {
        let name = format!("{}-{suffix}", corpus.name);
        if ui
            .add_enabled(
                !running,
                egui::Button::new(i18n.tr_args(key, &[("name", name.as_str().into())])),
            )
            .on_hover_text(i18n.tr("step-apply-hint"))
            .clicked()
        {
            out.push(Command::Corpus(CorpusCommand::Derive(kind)));
        }
        running_ui(
            ui,
            i18n,
            steps,
            |p| matches!(p, Pending::Derived(_)),
            Unit::Documents,
            out,
        );
    });
    if let Some(Err(e)) = &steps.derived {
        error_ui(ui, e);
    }
}

fn doc_link(ui: &mut egui::Ui, i18n: &I18n, doc: u32, out: &mut Vec<Command>) {
    if ui
        .link(format!("#{}", doc + 1))
        .on_hover_text(i18n.tr("step-open-document"))
        .clicked()
    {
        out.push(Command::Corpus(CorpusCommand::ShowDocument(doc)));
    }
}

pub fn clean_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    corpus: &CorpusRow,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let steps = &view.corpus.steps;
    ui.label(egui::RichText::new(i18n.tr("clean-about")).color(theme::weak_color(ui)));
    let mut rules = steps.rules;
    for rule in RULES {
        let (name, hint) = rule_key(rule);
        let mut on = rule_enabled(&rules, rule);
        if ui
            .checkbox(&mut on, i18n.tr(name))
            .on_hover_text(i18n.tr(hint))
            .changed()
        {
            match rule {
                "nfc" => rules.nfc = on,
                "schwa" => rules.schwa = on,
                "mixed_script" => rules.mixed_script = on,
                "split_words" => rules.split_words = on,
                "whitespace" => rules.whitespace = on,
                _ => rules.transliterate = on,
            }
            out.push(Command::Corpus(CorpusCommand::SetCleanRules(rules)));
        }
    }
    ui.label(egui::RichText::new(i18n.tr("clean-casing-note")).color(theme::weak_color(ui)));
    let running = steps.is_running(|p| matches!(p, Pending::CleanPreview(_)));
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !running && rules.any(),
                egui::Button::new(i18n.tr("step-preview")),
            )
            .clicked()
        {
            out.push(Command::Corpus(CorpusCommand::PreviewClean));
        }
        running_ui(
            ui,
            i18n,
            steps,
            |p| matches!(p, Pending::CleanPreview(_)),
            Unit::Documents,
            out,
        );
    });
    derive_ui(ui, i18n, steps, corpus, StepKind::Clean, out);
    match &steps.clean_preview {
        None => {}
        Some(Err(e)) => error_ui(ui, e),
        Some(Ok(preview)) => {
            ui.strong(i18n.tr_args(
                "clean-preview-summary",
                &[
                    ("changed", preview.changed.into()),
                    ("documents", preview.documents.into()),
                ],
            ));
            for rule in &preview.rules {
                let (name, _) = rule_key(&rule.rule);
                let title = i18n.tr_args(
                    "clean-preview-rule",
                    &[
                        ("rule", i18n.tr(name).into()),
                        ("count", rule.documents.into()),
                    ],
                );
                egui::CollapsingHeader::new(title)
                    .id_salt(("clean_rule", &rule.rule))
                    .default_open(rule.documents > 0)
                    .show(ui, |ui| {
                        if rule.examples.is_empty() {
                            ui.label(i18n.tr("clean-preview-none"));
                        }
                        for example in &rule.examples {
                            ui.horizontal_wrapped(|ui| {
                                doc_link(ui, i18n, example.doc, out);
                                ui.vertical(|ui| {
                                    side_ui(ui, &example.before, false);
                                    side_ui(ui, &example.after, true);
                                });
                            });
                            ui.add_space(4.0);
                        }
                    });
            }
        }
    }
}

pub fn filter_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    corpus: &CorpusRow,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let steps = &view.corpus.steps;
    ui.label(egui::RichText::new(i18n.tr("filter-about")).color(theme::weak_color(ui)));
    let mut q: QualityConfig = steps.quality;
    let mut min_words = q.min_words as f64;
    let mut max_words = q.max_words as f64;
    egui::Grid::new("quality_thresholds")
        .num_columns(4)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            let fields: [(&str, &mut f64, f64); 13] = [
                ("qf-min-words", &mut min_words, 1.0),
                ("qf-max-words", &mut max_words, 100.0),
                ("qf-min-mean-word-len", &mut q.min_mean_word_len, 0.1),
                ("qf-max-mean-word-len", &mut q.max_mean_word_len, 0.1),
                ("qf-max-symbol-ratio", &mut q.max_symbol_ratio, 0.01),
                ("qf-max-digit-ratio", &mut q.max_digit_ratio, 0.01),
                ("qf-max-non-alpha-words", &mut q.max_non_alpha_words, 0.01),
                ("qf-max-bullet-lines", &mut q.max_bullet_lines, 0.01),
                ("qf-max-ellipsis-lines", &mut q.max_ellipsis_lines, 0.01),
                ("qf-max-duplicate-lines", &mut q.max_duplicate_lines, 0.01),
                ("qf-max-top-bigram", &mut q.max_top_bigram_chars, 0.01),
                (
                    "qf-max-repeated-5grams",
                    &mut q.max_repeated_5gram_chars,
                    0.01,
                ),
                (
                    "qf-max-boilerplate-lines",
                    &mut q.max_boilerplate_lines,
                    0.01,
                ),
            ];
            for (i, (key, value, speed)) in fields.into_iter().enumerate() {
                ui.label(i18n.tr(key));
                // Shares and ratios step by hundredths; counts by ones.
                let places = if speed < 1.0 { 2 } else { 0 };
                // Shares end at 1, as QualityConfig::validate (and the CLI's --set) asks.
                let max = if speed < 0.05 { 1.0 } else { f64::MAX };
                ui.add(super::localized(
                    egui::DragValue::new(value).speed(speed).range(0.0..=max),
                    i18n,
                    places,
                ));
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
        });
    q.min_words = min_words.round() as usize;
    q.max_words = max_words.round() as usize;
    ui.horizontal(|ui| {
        if ui.button(i18n.tr("filter-defaults")).clicked() {
            q = QualityConfig::default();
        }
        let running = steps.is_running(|p| matches!(p, Pending::FilterPreview(_)));
        if ui
            .add_enabled(!running, egui::Button::new(i18n.tr("step-preview")))
            .clicked()
        {
            out.push(Command::Corpus(CorpusCommand::PreviewFilter));
        }
        running_ui(
            ui,
            i18n,
            steps,
            |p| matches!(p, Pending::FilterPreview(_)),
            Unit::Documents,
            out,
        );
    });
    derive_ui(ui, i18n, steps, corpus, StepKind::Filter, out);
    if q != steps.quality {
        out.push(Command::Corpus(CorpusCommand::SetQualityConfig(Box::new(
            q,
        ))));
    }
    match &steps.filter_preview {
        None => {}
        Some(Err(e)) => error_ui(ui, e),
        Some(Ok(preview)) => {
            ui.strong(i18n.tr_args(
                "filter-preview-summary",
                &[
                    ("failing", preview.failing.into()),
                    ("documents", preview.documents.into()),
                ],
            ));
            egui::Grid::new("filter_preview")
                .num_columns(3)
                .striped(true)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    for flag in Flag::ALL {
                        let (n, examples) = preview
                            .flags
                            .get(&flag)
                            .map_or((0, &[][..]), |(n, e)| (*n, e.as_slice()));
                        ui.label(i18n.tr(flag_key(flag)));
                        ui.label(n.to_string());
                        ui.horizontal_wrapped(|ui| {
                            for &doc in examples.iter().take(12) {
                                doc_link(ui, i18n, doc, out);
                            }
                        });
                        ui.end_row();
                    }
                });
        }
    }
}

pub fn duplicates_ui(
    ui: &mut egui::Ui,
    view: &AreaView<'_>,
    corpus: &CorpusRow,
    out: &mut Vec<Command>,
) {
    let i18n = view.i18n;
    let steps = &view.corpus.steps;
    // Once there are clusters to review, the explanation moves to a hover to leave them room.
    if steps.clusters.is_empty() {
        ui.label(egui::RichText::new(i18n.tr("dedup-about")).color(theme::weak_color(ui)));
    }
    let mut s = steps.dedup;
    ui.horizontal_wrapped(|ui| {
        ui.label(i18n.tr("dedup-shingles"));
        ui.radio_value(&mut s.words, true, i18n.tr("dedup-words"));
        ui.radio_value(&mut s.words, false, i18n.tr("dedup-chars"));
        ui.label("n");
        ui.add(egui::DragValue::new(&mut s.ngram).range(1..=32));
        ui.label(i18n.tr("dedup-permutations"));
        ui.add(
            egui::DragValue::new(&mut s.num_perm)
                .range(16..=1024)
                .speed(4.0),
        );
        ui.label(i18n.tr("dedup-threshold"));
        ui.add(egui::Slider::new(&mut s.threshold, 0.1..=1.0).fixed_decimals(2));
        let (bands, rows) = crate::core::corpus::dedup::optimal_bands_rows(s.threshold, s.num_perm);
        ui.label(
            egui::RichText::new(i18n.tr_args(
                "dedup-bands",
                &[("bands", bands.into()), ("rows", rows.into())],
            ))
            .color(theme::weak_color(ui)),
        );
    });
    if s != steps.dedup {
        out.push(Command::Corpus(CorpusCommand::SetDedupSettings(s)));
    }
    let running = steps.is_running(|p| matches!(p, Pending::Found(_)));
    ui.horizontal_wrapped(|ui| {
        if ui
            .add_enabled(!running, egui::Button::new(i18n.tr("dedup-find")))
            .on_hover_text(i18n.tr("dedup-about"))
            .clicked()
        {
            out.push(Command::Corpus(CorpusCommand::FindDuplicates));
        }
        running_ui(
            ui,
            i18n,
            steps,
            |p| matches!(p, Pending::Found(_)),
            Unit::Share,
            out,
        );
        if let Some(Ok(found)) = &steps.found {
            ui.label(i18n.tr_args(
                "dedup-found",
                &[
                    ("clusters", found.clusters.into()),
                    ("exact", found.exact_removed.into()),
                    ("near", found.near_removed.into()),
                    ("seconds", i18n.decimal(found.seconds, 1).into()),
                ],
            ));
        }
    });
    if let Some(Err(e)) = &steps.found {
        error_ui(ui, e);
    }
    if steps.clusters.is_empty() {
        if steps.found.is_some() {
            ui.label(i18n.tr("dedup-none"));
        }
        return;
    }
    derive_ui(ui, i18n, steps, corpus, StepKind::Dedup, out);
    keep_policy_ui(ui, view, out);
    ui.add_space(4.0);
    // The clusters and the review split the rest of the area; the split can be dragged.
    let width = ui.available_width();
    egui::Panel::left("dedup_clusters_panel")
        .resizable(true)
        .default_size((width * 0.3).clamp(180.0, 360.0))
        .size_range(140.0..=(width - 320.0).max(140.0))
        .show(ui, |ui| clusters_list_ui(ui, view, out));
    egui::CentralPanel::default().show(ui, |ui| cluster_review_ui(ui, view, out));
}

fn keep_policy_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let steps = &view.corpus.steps;
    let sources: Vec<String> = if steps.source_order.is_empty() {
        view.corpus
            .browser
            .as_ref()
            .map(|b| b.index.sources.clone())
            .unwrap_or_default()
    } else {
        steps.source_order.clone()
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(i18n.tr("dedup-keep"));
        for (keep, key) in [
            (Keep::First, "dedup-keep-first"),
            (Keep::Longest, "dedup-keep-longest"),
            (Keep::SourcePriority(sources.clone()), "dedup-keep-source"),
        ] {
            let selected = std::mem::discriminant(&steps.keep) == std::mem::discriminant(&keep);
            if ui
                .selectable_label(selected, i18n.tr(key))
                .on_hover_text(i18n.tr("dedup-keep-hint"))
                .clicked()
            {
                out.push(Command::Corpus(CorpusCommand::ApplyKeepPolicy(keep)));
            }
        }
    });
    if matches!(steps.keep, Keep::SourcePriority(_)) && sources.len() > 1 {
        ui.horizontal_wrapped(|ui| {
            ui.label(i18n.tr("dedup-source-order"));
            for (i, source) in sources.iter().enumerate() {
                ui.label(format!("{}. {source}", i + 1));
                if i > 0 && ui.small_button(i18n.tr("dedup-move-up")).clicked() {
                    out.push(Command::Corpus(CorpusCommand::MoveSourceUp(i)));
                }
            }
        });
    }
}

fn decision_key(decision: Decision) -> &'static str {
    match decision {
        Decision::Chosen => "dedup-decision-chosen",
        Decision::NotDuplicates => "dedup-decision-not-duplicates",
        Decision::Policy => "dedup-decision-policy",
    }
}

fn clusters_list_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let steps = &view.corpus.steps;
    ui.strong(i18n.tr_args("dedup-clusters", &[("count", steps.clusters.len().into())]));
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    egui::ScrollArea::vertical()
        .id_salt("dedup_clusters")
        .auto_shrink([false, false])
        .show_rows(ui, row_height, steps.clusters.len(), |ui, rows| {
            for i in rows {
                let c = &steps.clusters[i];
                let kind = if c.exact {
                    i18n.tr("dedup-exact")
                } else {
                    i18n.tr("dedup-near")
                };
                let label = i18n.tr_args(
                    "dedup-cluster-row",
                    &[
                        ("number", (i + 1).into()),
                        ("size", c.members.len().into()),
                        ("kind", kind.into()),
                        ("keep", (c.keep + 1).into()),
                        ("decision", i18n.tr(decision_key(c.decision)).into()),
                    ],
                );
                if ui
                    .add(egui::Button::selectable(steps.cluster == Some(i), label).truncate())
                    .clicked()
                {
                    out.push(Command::Corpus(CorpusCommand::SelectCluster(i)));
                }
            }
        });
}

fn cluster_review_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let steps = &view.corpus.steps;
    let Some(cluster) = steps.cluster.and_then(|i| steps.clusters.get(i)) else {
        ui.label(egui::RichText::new(i18n.tr("dedup-pick")).color(theme::weak_color(ui)));
        return;
    };
    let browser = view.corpus.browser.as_ref();
    ui.horizontal_wrapped(|ui| {
        ui.strong(i18n.tr(decision_key(cluster.decision)));
        if let Some(by) = &cluster.decided_by {
            ui.label(egui::RichText::new(by).color(theme::weak_color(ui)));
        }
        let not_dup = cluster.decision == Decision::NotDuplicates;
        let label = if not_dup {
            i18n.tr("dedup-are-duplicates")
        } else {
            i18n.tr("dedup-not-duplicates")
        };
        if ui.button(label).clicked() {
            out.push(Command::Corpus(CorpusCommand::DecideCluster {
                keep: cluster.keep,
                not_duplicates: !not_dup,
            }));
        }
    });
    egui::Grid::new("cluster_members")
        .num_columns(4)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            for &m in &cluster.members {
                let kept = m == cluster.keep;
                if ui.radio(kept, i18n.tr("dedup-keep-this")).clicked() && !kept {
                    out.push(Command::Corpus(CorpusCommand::DecideCluster {
                        keep: m,
                        not_duplicates: false,
                    }));
                }
                doc_link(ui, i18n, m as u32, out);
                if let Some(b) = browser
                    && let Some(doc) = b.index.docs.get(m as usize)
                {
                    let source = b.index.source(doc);
                    ui.label(
                        egui::RichText::new(format!(
                            "{} · {}",
                            crate::panels::preview(source, 28),
                            doc.chars
                        ))
                        .color(theme::weak_color(ui)),
                    )
                    .on_hover_text(source);
                } else {
                    ui.label("");
                }
                if !kept
                    && ui
                        .selectable_label(steps.compare == Some(m), i18n.tr("dedup-compare"))
                        .clicked()
                {
                    out.push(Command::Corpus(CorpusCommand::CompareWith(m)));
                }
                ui.end_row();
            }
        });
    ui.separator();
    match &steps.diff {
        None => {
            ui.horizontal(|ui| {
                running_ui(
                    ui,
                    i18n,
                    steps,
                    |p| matches!(p, Pending::Diff(_)),
                    Unit::Passages,
                    out,
                );
            });
        }
        Some(Err(e)) => error_ui(ui, e),
        Some(Ok(diff)) => {
            let other = steps.compare.unwrap_or(cluster.keep);
            diff_ui(ui, i18n, diff, cluster.keep + 1, other + 1);
        }
    }
}

/// A fraction as a whole percentage that never rounds a difference away: only all is 100%,
/// only nothing is 0%.
fn percent(share: f64) -> String {
    let p = (share * 100.0).round();
    let p = if share < 1.0 { p.min(99.0) } else { p };
    let p = if share > 0.0 { p.max(1.0) } else { p };
    format!("{p:.0}%")
}

/// The aligned pair: what the figures count, then the passages in document order, shared
/// runs folded to their ends and a count.
fn diff_ui(
    ui: &mut egui::Ui,
    i18n: &I18n,
    diff: &crate::core::corpus::diff::DocDiff,
    left: i64,
    right: i64,
) {
    use crate::core::corpus::diff::Block;
    ui.add(
        egui::Label::new(i18n.tr_args(
            "dedup-diff-figures",
            &[
                ("left", left.into()),
                ("right", right.into()),
                ("left_words", diff.left_words.into()),
                ("right_words", diff.right_words.into()),
                ("shared", diff.shared_words.into()),
                ("left_share", percent(diff.left_share()).into()),
                ("right_share", percent(diff.right_share()).into()),
            ],
        ))
        .wrap(),
    )
    .on_hover_text(i18n.tr("dedup-diff-defs"));
    ui.label(
        egui::RichText::new(i18n.tr_args(
            "dedup-diff-passages",
            &[
                ("shared", diff.shared_paragraphs.into()),
                ("changed", diff.changed_passages.into()),
                ("jaccard", i18n.decimal(diff.jaccard, 2).into()),
            ],
        ))
        .color(theme::weak_color(ui)),
    );
    if diff.identical {
        ui.label(i18n.tr("dedup-diff-same-words"));
    }
    if diff.approximate {
        ui.colored_label(theme::error_color(ui), i18n.tr("dedup-diff-approximate"));
    }
    egui::ScrollArea::vertical()
        .id_salt("dedup_diff")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            let weak = theme::weak_color(ui);
            for block in &diff.blocks {
                match block {
                    Block::Shared {
                        head,
                        hidden,
                        hidden_words,
                        tail,
                        ..
                    } => {
                        for text in head {
                            ui.add(egui::Label::new(egui::RichText::new(text).color(weak)).wrap());
                        }
                        if *hidden > 0 {
                            ui.label(
                                egui::RichText::new(i18n.tr_args(
                                    "dedup-shared-run",
                                    &[
                                        ("paragraphs", (*hidden).into()),
                                        ("words", (*hidden_words).into()),
                                    ],
                                ))
                                .italics()
                                .color(weak),
                            );
                        }
                        for text in tail {
                            ui.add(egui::Label::new(egui::RichText::new(text).color(weak)).wrap());
                        }
                    }
                    Block::Changed {
                        left: l,
                        right: r,
                        left_only,
                        right_only,
                    } => {
                        ui.separator();
                        ui.label(
                            egui::RichText::new(i18n.tr_args(
                                "dedup-changed-counts",
                                &[
                                    ("left", left.into()),
                                    ("right", right.into()),
                                    ("left_only", (*left_only).into()),
                                    ("right_only", (*right_only).into()),
                                ],
                            ))
                            .small()
                            .color(weak),
                        );
                        ui.columns(2, |cols| {
                            side_ui(&mut cols[0], l, false);
                            side_ui(&mut cols[1], r, true);
                        });
                        ui.separator();
                    }
                }
            }
            if diff.more_changed > 0 {
                ui.label(
                    i18n.tr_args("dedup-more-changed", &[("count", diff.more_changed.into())]),
                );
            }
        });
}

fn side_ui(ui: &mut egui::Ui, side: &[(String, bool)], right: bool) {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let plain = egui::TextFormat {
        font_id: font,
        color: ui.visuals().text_color(),
        ..egui::TextFormat::default()
    };
    let mark = if right {
        theme::added_color(ui)
    } else {
        theme::removed_color(ui)
    };
    let mut job = egui::text::LayoutJob::default();
    for (text, changed) in side {
        let format = if *changed {
            egui::TextFormat {
                background: mark,
                ..plain.clone()
            }
        } else {
            plain.clone()
        };
        job.append(text, 0.0, format);
    }
    // Columns are justified layouts, which would stretch the words of a short line apart.
    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
        ui.add(egui::Label::new(job).wrap());
    });
}

pub fn export_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    let steps = &view.corpus.steps;
    ui.label(egui::RichText::new(i18n.tr("export-about")).color(theme::weak_color(ui)));
    ui.strong(i18n.tr("export-lineage"));
    for (i, entry) in steps.lineage.iter().enumerate() {
        let line = match &entry.step {
            None => i18n.tr_args(
                "export-lineage-import",
                &[
                    ("name", entry.corpus.name.as_str().into()),
                    ("documents", entry.corpus.doc_count.into()),
                    ("sources", entry.sources.len().into()),
                ],
            ),
            Some(step) => i18n.tr_args(
                "export-lineage-step",
                &[
                    ("name", entry.corpus.name.as_str().into()),
                    ("step", step.step.as_str().into()),
                    ("in", step.docs_in.into()),
                    ("out", step.docs_out.into()),
                ],
            ),
        };
        ui.label(format!("{}. {line}", i + 1));
    }
    ui.add_space(6.0);
    let running = steps.is_running(|p| matches!(p, Pending::Exported(_)));
    ui.horizontal(|ui| {
        for (format, label) in [
            (ExportFormat::Jsonl, "JSONL"),
            (ExportFormat::Parquet, "Parquet"),
        ] {
            if ui
                .add_enabled(
                    !running,
                    egui::Button::new(i18n.tr_args("export-as", &[("format", label.into())])),
                )
                .clicked()
            {
                out.push(Command::Corpus(CorpusCommand::ChooseExport(format)));
            }
        }
        running_ui(
            ui,
            i18n,
            steps,
            |p| matches!(p, Pending::Exported(_)),
            Unit::Share,
            out,
        );
    });
    let name = view
        .corpus
        .selected
        .and_then(|id| view.snapshot.corpora.iter().find(|c| c.id == id))
        .map_or("korpus", |c| c.name.as_str());
    let field = crate::widgets::path_field::PathField::new(
        "corpus_export",
        i18n.tr_args("export-as", &[("format", "JSONL / Parquet".into())]),
        crate::app::picker::PathMode::SaveFile,
    )
    .with_default(
        view.workspace
            .root()
            .join("exports")
            .join(format!("{name}.jsonl")),
    );
    if !running
        && let Some(path) = crate::widgets::path_field::typed_path_ui(ui, i18n, view.dialogs, field)
    {
        // The typed name says the format.
        let format = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
        {
            ExportFormat::Parquet
        } else {
            ExportFormat::Jsonl
        };
        out.push(Command::Corpus(CorpusCommand::ExportTo(format, path)));
    }
    match &steps.exported {
        None => {}
        Some(Err(e)) => error_ui(ui, e),
        Some(Ok((path, n))) => {
            ui.colored_label(
                theme::success_color(ui),
                i18n.tr_args(
                    "export-done",
                    &[
                        ("count", (*n).into()),
                        ("path", path.display().to_string().into()),
                    ],
                ),
            );
            ui.label(
                egui::RichText::new(
                    i18n.tr_args(
                        "export-provenance",
                        &[(
                            "path",
                            crate::core::corpus::derive::provenance_path(path)
                                .display()
                                .to_string()
                                .into(),
                        )],
                    ),
                )
                .color(theme::weak_color(ui)),
            );
        }
    }
}
