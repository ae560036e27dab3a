//! The playground's conversations and their messages.

use rusqlite::params;

use super::{Result, Store, classify};
use crate::domain::Role;

/// A playground conversation, without its messages.
#[derive(Debug, Clone, PartialEq)]
pub struct ConversationRow {
    pub id: i64,
    pub title: String,
    /// `core::chat::ChatSettings` as JSON.
    pub settings: String,
    pub updated_at: String,
    pub messages: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessageRow {
    pub id: i64,
    /// `user` or `assistant` (the table's CHECK).
    pub role: Role,
    pub content: String,
    /// `core::chat::TurnMeta` as JSON.
    pub meta: String,
}

impl Store {
    /// Starts a conversation; returns its id.
    pub fn create_conversation(&mut self, title: &str, settings: &str) -> Result<i64> {
        self.conn
            .execute(
                "INSERT INTO conversations (title, settings) VALUES (?1, ?2)",
                params![title, settings],
            )
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Every conversation, the most recently active first.
    pub fn conversations(&self) -> Result<Vec<ConversationRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.id, c.title, c.settings, c.updated_at,
                        (SELECT count(*) FROM chat_messages m WHERE m.conversation_id = c.id)
                 FROM conversations c ORDER BY c.updated_at DESC, c.id DESC",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([], |r| {
            Ok(ConversationRow {
                id: r.get(0)?,
                title: r.get(1)?,
                settings: r.get(2)?,
                updated_at: r.get(3)?,
                messages: r.get::<_, i64>(4)?.max(0) as u64,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    pub fn update_conversation(&mut self, id: i64, title: &str, settings: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE conversations SET title = ?2, settings = ?3 WHERE id = ?1",
                params![id, title, settings],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    pub fn delete_conversation(&mut self, id: i64) -> Result<()> {
        self.conn
            .execute("DELETE FROM conversations WHERE id = ?1", [id])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The messages of a conversation, in order.
    pub fn chat_messages(&self, conversation: i64) -> Result<Vec<ChatMessageRow>> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, role, content, meta FROM chat_messages
                 WHERE conversation_id = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        stmt.query_map([conversation], |r| {
            Ok(ChatMessageRow {
                id: r.get(0)?,
                role: r.get(1)?,
                content: r.get(2)?,
                meta: r.get(3)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(|e| self.err(e))
    }

    /// Appends a message and marks the conversation active, in one transaction; returns the
    /// message's id.
    pub fn add_chat_message(
        &mut self,
        conversation: i64,
        role: Role,
        content: &str,
        meta: &str,
    ) -> Result<i64> {
        let path = self.path.clone();
        let err = |e| classify(&path, e);
        let tx = self.conn.savepoint().map_err(err)?;
        tx.execute(
            "INSERT INTO chat_messages (conversation_id, role, content, meta) VALUES (?1, ?2, ?3, ?4)",
            params![conversation, role, content, meta],
        )
        .map_err(err)?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "UPDATE conversations SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?1",
            [conversation],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(id)
    }

    /// Removes a message and every later one of its conversation (an answer regenerated).
    pub fn truncate_conversation(&mut self, conversation: i64, from_message: i64) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM chat_messages WHERE conversation_id = ?1 AND id >= ?2",
                [conversation, from_message],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}
