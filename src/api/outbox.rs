//! The relay's outbox as the page and the HTTP API show it: each accepted message, its
//! status and, when it did not go, Exchange's own words.

use serde::{Deserialize, Serialize};

/// Where a message is on its way. `Sending` is set while a delivery is under way; a
/// restart finds such messages and tries them again (at-least-once).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Queued,
    Sending,
    Retrying,
    Sent,
    Failed,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 5] = [
        MessageStatus::Queued,
        MessageStatus::Sending,
        MessageStatus::Retrying,
        MessageStatus::Sent,
        MessageStatus::Failed,
    ];

    /// The stable key: in the store and in the API's JSON.
    pub fn key(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Retrying => "retrying",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether the relay is done with the message.
    pub fn is_final(self) -> bool {
        matches!(self, MessageStatus::Sent | MessageStatus::Failed)
    }
}

/// One message of the outbox, without its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: String,
    /// Unix milliseconds.
    pub accepted_at: i64,
    pub submitted_by: String,
    pub mail_from: String,
    pub recipients: Vec<String>,
    pub subject: String,
    pub status: MessageStatus,
    pub attempts: i64,
    /// Unix milliseconds; `None` once the message is sent or failed.
    pub next_attempt_at: Option<i64>,
    /// The last failure in the server's words (`550 5.1.10 RESOLVER.ADR.RecipientNotFound…`).
    pub last_error: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_key_reads_back() {
        for status in MessageStatus::ALL {
            assert_eq!(MessageStatus::from_key(status.key()), Some(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.key()));
        }
        assert_eq!(MessageStatus::from_key("lost"), None);
    }
}
