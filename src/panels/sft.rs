//! SFT area: the workspace's prompt/answer examples, read-only until the editor arrives.

use crate::app::command::Command;
use crate::core::workspace::Folder;
use crate::panels::{AreaView, about_ui, empty_state_ui, preview};

pub fn sft_ui(ui: &mut egui::Ui, view: &AreaView<'_>, out: &mut Vec<Command>) {
    let i18n = view.i18n;
    about_ui(ui, i18n, "sft-about");
    let examples = &view.snapshot.sft;
    if examples.is_empty() {
        empty_state_ui(
            ui,
            view,
            "sft-empty-title",
            "sft-empty-body",
            Folder::Exports,
            out,
        );
        return;
    }
    ui.label(i18n.tr_args(
        "count-sft-examples",
        &[("count", view.snapshot.counts.sft_examples.into())],
    ));
    ui.label(egui::RichText::new(i18n.tr("sft-readonly")).weak());
    crate::panels::training::used_by_runs_ui(ui, view, |r| r.data == "sft", out);
    ui.add_space(4.0);
    for example in examples {
        let first_prompt = example
            .messages
            .iter()
            .find(|m| m.role == "user")
            .map_or("", |m| m.content.as_str());
        let status = i18n.tr(match example.status.as_str() {
            "ready" => "status-ready",
            "rejected" => "status-rejected",
            _ => "status-draft",
        });
        let domain = if example.domain.is_empty() {
            String::new()
        } else {
            format!("  · {}", example.domain)
        };
        let title = format!(
            "#{}  {}{domain}  · {status}",
            example.id,
            preview(first_prompt, 80)
        );
        egui::CollapsingHeader::new(title)
            .id_salt(("sft_example", example.id))
            .show(ui, |ui| {
                for message in &example.messages {
                    let role = i18n.tr(if message.role == "assistant" {
                        "role-assistant"
                    } else {
                        "role-user"
                    });
                    ui.horizontal_wrapped(|ui| {
                        ui.strong(format!("{role}:"));
                        ui.label(&message.content);
                    });
                }
            });
    }
}
