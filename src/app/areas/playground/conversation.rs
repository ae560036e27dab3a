//! The Chat tab: the conversations, sending a message, the answer streaming in, regenerating.

use std::path::PathBuf;

use crate::app::areas::AppContext;
use crate::core::chat;
use crate::core::chat::{ChatSettings, Reply};
use crate::core::domain::Role;

use super::{PlaygroundArea, Streaming, Turn};

impl PlaygroundArea {
    /// Runs that have saved a checkpoint, newest first: (id, folder relative to the workspace).
    pub(super) fn finished_runs(cx: &AppContext<'_>) -> Vec<(i64, String)> {
        let Some((_, snapshot)) = cx.workspace() else {
            return Vec::new();
        };
        let mut runs: Vec<_> = snapshot
            .trained_runs()
            .map(|r| (r.id, r.dir.clone()))
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.0));
        runs
    }

    pub(super) fn reload_conversations(&mut self, cx: &mut AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        match workspace.store().conversations() {
            Ok(list) => self.conversations = list,
            Err(e) => self.error = Some(crate::error_line(&e)),
        }
    }

    pub(super) fn open_conversation(&mut self, id: i64, cx: &mut AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        let Some(row) = self.conversations.iter().find(|c| c.id == id) else {
            return;
        };
        match serde_json::from_str::<ChatSettings>(&row.settings) {
            Ok(settings) => self.settings = settings,
            Err(e) => {
                log::warn!(
                    "conversation {id}: settings unreadable ({e}); keeping the current ones"
                );
            }
        }
        match workspace.store().chat_messages(id) {
            Ok(rows) => {
                self.turns = rows
                    .into_iter()
                    .map(|row| Turn {
                        meta: serde_json::from_str(&row.meta).unwrap_or_default(),
                        row,
                    })
                    .collect();
                self.current = Some(id);
                self.error = None;
            }
            Err(e) => self.error = Some(crate::error_line(&e)),
        }
    }

    pub(super) fn delete_conversation(&mut self, id: i64, cx: &mut AppContext<'_>) {
        if self
            .streaming
            .as_ref()
            .is_some_and(|s| s.conversation == Some(id))
        {
            return;
        }
        let Some((workspace, _)) = cx.workspace.as_open_mut() else {
            return;
        };
        if let Err(e) = workspace.store_mut().delete_conversation(id) {
            self.error = Some(crate::error_line(&e));
            return;
        }
        if self.current == Some(id) {
            self.current = None;
            self.turns.clear();
        }
        self.reload_conversations(cx);
    }

    pub(super) fn set_chat_settings(&mut self, settings: ChatSettings, cx: &mut AppContext<'_>) {
        let new_model = settings.run != self.settings.run;
        if new_model && let Some(dir) = &settings.run {
            self.read_steps(dir.clone(), cx);
        }
        self.settings = settings;
        if new_model {
            // Another model: the defaults follow its context and training.
            self.fit_settings_to_model(cx);
        }
        self.save_conversation_settings(cx);
    }

    /// Reads the checkpoint steps of a run (by id) not read yet, e.g. one that finished since.
    pub(super) fn ensure_steps(&mut self, run: Option<i64>, cx: &mut AppContext<'_>) {
        if let Some(dir) = Self::run_dir_of(run, cx)
            && !self.steps.contains_key(&dir)
        {
            self.read_steps(dir, cx);
        }
    }

    /// Reads a run's checkpoint steps for the checkpoint menu.
    pub(crate) fn read_steps(&mut self, dir: String, cx: &mut AppContext<'_>) {
        let Some((workspace, _)) = cx.workspace() else {
            return;
        };
        let steps = crate::core::train::checkpoint::list(&workspace.root().join(&dir))
            .into_iter()
            .map(|(step, _)| step)
            .collect();
        self.steps.insert(dir, steps);
    }

    pub(super) fn save_conversation_settings(&mut self, cx: &mut AppContext<'_>) {
        let Some(id) = self.current else {
            return;
        };
        let Some((workspace, _)) = cx.workspace.as_open_mut() else {
            return;
        };
        let title = self
            .conversations
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.title.clone())
            .unwrap_or_default();
        let json = serde_json::to_string(&self.settings).unwrap_or_default();
        if let Err(e) = workspace.store_mut().update_conversation(id, &title, &json) {
            self.error = Some(crate::error_line(&e));
        } else if let Some(c) = self.conversations.iter_mut().find(|c| c.id == id) {
            c.settings = json;
        }
    }

    /// The run's folder and name for a chat, or why there is none.
    pub(super) fn run_for(
        dir: Option<&str>,
        cx: &AppContext<'_>,
    ) -> Result<(PathBuf, PathBuf, String), String> {
        let Some((workspace, snapshot)) = cx.workspace() else {
            return Err(String::new());
        };
        let Some(dir) = dir else {
            return Err(cx.i18n.tr("play-needs-model"));
        };
        let name = snapshot
            .runs
            .iter()
            .find(|r| r.dir == dir)
            .map_or_else(|| dir.to_owned(), |r| r.name.clone());
        Ok((
            workspace.root().to_owned(),
            workspace.root().join(dir),
            name,
        ))
    }

    pub(super) fn run_dir_of(id: Option<i64>, cx: &AppContext<'_>) -> Option<String> {
        let (_, snapshot) = cx.workspace()?;
        snapshot
            .runs
            .iter()
            .find(|r| Some(r.id) == id)
            .map(|r| r.dir.clone())
    }

    pub(super) fn send_message(&mut self, cx: &mut AppContext<'_>) {
        let text = self.input.trim().to_owned();
        if text.is_empty() || self.streaming.is_some() {
            return;
        }
        if let Err(e) = Self::run_for(self.settings.run.as_deref(), cx) {
            self.error = Some(e);
            return;
        }
        let Some((workspace, _)) = cx.workspace.as_open_mut() else {
            return;
        };
        let settings_json = serde_json::to_string(&self.settings).unwrap_or_default();
        let conversation = if let Some(id) = self.current {
            id
        } else {
            let title: String = text.chars().take(48).collect();
            match workspace
                .store_mut()
                .create_conversation(&title, &settings_json)
            {
                Ok(id) => id,
                Err(e) => {
                    self.error = Some(crate::error_line(&e));
                    return;
                }
            }
        };
        // The question is stored before anything is generated: it is never lost.
        if let Err(e) =
            workspace
                .store_mut()
                .add_chat_message(conversation, Role::User, &text, "{}")
        {
            self.error = Some(crate::error_line(&e));
            return;
        }
        self.input.clear();
        self.reload_conversations(cx);
        self.open_conversation(conversation, cx);
        self.generate_reply(cx);
    }

    /// Starts the answer to the conversation as it stands (its last message is the user's).
    pub(super) fn generate_reply(&mut self, cx: &mut AppContext<'_>) {
        let settings = self.settings.clone();
        let (workspace, run_dir, run_name) = match Self::run_for(settings.run.as_deref(), cx) {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let history: Vec<(Role, String)> = self
            .turns
            .iter()
            .map(|t| (t.row.role, t.row.content.clone()))
            .collect();
        if history.last().is_none_or(|(role, _)| *role != Role::User) {
            return;
        }
        let request = chat::Request {
            slot: 0,
            workspace,
            run_dir,
            run_name,
            settings,
            history,
        };
        match chat::start(request, self.cache.clone(), cx.jobs.waker()) {
            Ok(handle) => {
                self.streaming = Some(Streaming::new(handle, self.current));
                self.error = None;
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// Drops the last answer and asks again with the next seed (the same seed would give the
    /// same answer).
    pub(super) fn regenerate(&mut self, cx: &mut AppContext<'_>) {
        if self.streaming.is_some() {
            return;
        }
        let Some(conversation) = self.current else {
            return;
        };
        if let Some(last) = self.turns.last()
            && last.row.role == Role::Assistant
        {
            let id = last.row.id;
            let Some((workspace, _)) = cx.workspace.as_open_mut() else {
                return;
            };
            if let Err(e) = workspace
                .store_mut()
                .truncate_conversation(conversation, id)
            {
                self.error = Some(crate::error_line(&e));
                return;
            }
        }
        self.settings.sampling.seed = self.settings.sampling.seed.wrapping_add(1);
        self.save_conversation_settings(cx);
        self.open_conversation(conversation, cx);
        self.generate_reply(cx);
    }

    /// Takes what the generation threads sent since the last frame.
    pub(super) fn tick(&mut self, cx: &mut AppContext<'_>) {
        if let Some(streaming) = &mut self.streaming
            && let Some(result) = streaming.absorb()
        {
            let conversation = streaming.conversation;
            self.streaming = None;
            self.finish_reply(conversation, result, cx);
        }
        let compare = &mut self.compare;
        for slot in 0..2 {
            if let Some(streaming) = &mut compare.running[slot]
                && let Some(result) = streaming.absorb()
            {
                compare.replies[slot] = Some(result);
                compare.running[slot] = None;
            }
        }
    }

    pub(super) fn finish_reply(
        &mut self,
        conversation: Option<i64>,
        result: Result<Reply, String>,
        cx: &mut AppContext<'_>,
    ) {
        let Some(conversation) = conversation else {
            return;
        };
        match result {
            Ok(reply) => {
                let Some((workspace, _)) = cx.workspace.as_open_mut() else {
                    return;
                };
                let meta = serde_json::to_string(&reply.meta).unwrap_or_else(|_| "{}".into());
                if let Err(e) = workspace.store_mut().add_chat_message(
                    conversation,
                    Role::Assistant,
                    &reply.text,
                    &meta,
                ) {
                    self.error = Some(crate::error_line(&e));
                }
                self.reload_conversations(cx);
                // Show the answer only where its conversation is still the open one.
                if self.current == Some(conversation) {
                    self.open_conversation(conversation, cx);
                }
                self.refresh_fit(cx);
            }
            Err(e) => self.error = Some(e),
        }
    }
}
