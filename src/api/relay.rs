//! The relay as the page and the HTTP API show it: the outbox (each accepted message,
//! its status and, when it did not go, Exchange's own words), the relay credentials, and
//! where applications connect. The page's calls about it are `serverfns::relay`.

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
    /// Sent, then a delivery report came back: a recipient's server refused it.
    Bounced,
    /// Sent, then a report came back: delivery to a recipient is late, still tried.
    Delayed,
}

impl MessageStatus {
    pub const ALL: [MessageStatus; 7] = [
        MessageStatus::Queued,
        MessageStatus::Sending,
        MessageStatus::Retrying,
        MessageStatus::Sent,
        MessageStatus::Failed,
        MessageStatus::Bounced,
        MessageStatus::Delayed,
    ];

    /// The stable key: in the store and in the API's JSON.
    pub fn key(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Retrying => "retrying",
            MessageStatus::Sent => "sent",
            MessageStatus::Failed => "failed",
            MessageStatus::Bounced => "bounced",
            MessageStatus::Delayed => "delayed",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Whether the relay is done with the message (a delivery report may still come).
    pub fn is_final(self) -> bool {
        !matches!(
            self,
            MessageStatus::Queued | MessageStatus::Sending | MessageStatus::Retrying
        )
    }
}

/// What the report says happened to one recipient (RFC 3464 section 2.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportAction {
    Failed,
    Delayed,
    Delivered,
    Relayed,
    Expanded,
}

impl ReportAction {
    pub fn key(self) -> &'static str {
        match self {
            ReportAction::Failed => "failed",
            ReportAction::Delayed => "delayed",
            ReportAction::Delivered => "delivered",
            ReportAction::Relayed => "relayed",
            ReportAction::Expanded => "expanded",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        [
            ReportAction::Failed,
            ReportAction::Delayed,
            ReportAction::Delivered,
            ReportAction::Relayed,
            ReportAction::Expanded,
        ]
        .into_iter()
        .find(|action| action.key().eq_ignore_ascii_case(key.trim()))
    }
}

/// One recipient's line of a delivery report that came back to the mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReport {
    pub recipient: String,
    pub action: ReportAction,
    /// The enhanced status code, `5.1.10`.
    pub status: String,
    /// The remote server's words, as reported.
    pub diagnostic: Option<String>,
    /// The server that wrote the report.
    pub reporting_mta: Option<String>,
    /// Unix milliseconds: when the relay read it.
    pub read_at: i64,
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
    /// The Message-ID header it goes out with, without angle brackets (the
    /// application's own, or the one the relay added); `None` for messages accepted
    /// before it was recorded.
    pub internet_message_id: Option<String>,
    pub status: MessageStatus,
    pub attempts: i64,
    /// Unix milliseconds; `None` once the message is sent or failed.
    pub next_attempt_at: Option<i64>,
    /// The last failure in the server's words (`550 5.1.10 RESOLVER.ADR.RecipientNotFound…`).
    /// The server's own words when it gave any (the same in every language), else ours.
    pub last_error: Option<crate::api::report::Words>,
    /// Unix milliseconds: when its body was dropped, `SMTP_SETUP_RETENTION_DAYS` after it
    /// was delivered; `None` while it is kept.
    pub body_dropped_at: Option<i64>,
}

/// A relay credential as listed (its password is never shown again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayCredential {
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// Its senders, client addresses and hourly quota (each off until set).
    pub scope: crate::domain::CredentialScope,
}

/// Everything the page's Relay section shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayOverview {
    /// `host:port` of the SMTP listener; `None` when it is off.
    pub smtp_address: Option<String>,
    /// The HTTP API's URL for new messages.
    pub api_url: String,
    /// The configured mailbox, always an allowed sender; empty before the first save.
    pub mailbox: String,
    /// The also allowed senders, one per line.
    pub also_allowed: String,
    pub credentials: Vec<RelayCredential>,
    /// The most recent messages, newest first.
    pub outbox: Vec<OutboxEntry>,
    /// The webhook endpoints.
    pub webhooks: Vec<crate::api::webhooks::WebhookEndpoint>,
    /// How long messages and their records are kept.
    pub retention: Retention,
}

/// How long what the relay and the checks wrote is kept, in days; `None` (`0`): for ever.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// `SMTP_SETUP_RETENTION_DAYS`: a delivered message's body (its headers and content).
    pub body_days: Option<u32>,
    /// `SMTP_SETUP_RECORD_RETENTION_DAYS`: a finished message's row (delivered or failed)
    /// with its reports, the test history, finished webhook deliveries.
    pub record_days: Option<u32>,
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            body_days: Some(Self::DEFAULT_BODY_DAYS),
            record_days: Some(Self::DEFAULT_RECORD_DAYS),
        }
    }
}

impl Retention {
    /// Unless `SMTP_SETUP_RETENTION_DAYS` says.
    pub const DEFAULT_BODY_DAYS: u32 = 30;
    /// Unless `SMTP_SETUP_RECORD_RETENTION_DAYS` says.
    pub const DEFAULT_RECORD_DAYS: u32 = 90;
}

/// The Outbox's buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxAction {
    RetryNow,
    Delete,
}

/// A new credential's password: shown once on the page, copied, never stored or shown
/// again. Its `Debug` says nothing of it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownOnce(pub String);

impl std::fmt::Debug for ShownOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShownOnce([redacted])")
    }
}

/// What adding a credential came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialAdded {
    Added {
        name: String,
        password: ShownOnce,
        overview: Box<RelayOverview>,
    },
    Refused(CredentialRefusal),
}

/// Why a credential was not added.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialRefusal {
    /// Not 1 to 64 letters, digits, dots, dashes or underscores.
    BadName,
    /// A credential of that name exists already.
    Exists(String),
}

/// What saving the also allowed senders came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SendersSaved {
    Saved(RelayOverview),
    /// The list's problem.
    Invalid(crate::domain::SenderListError),
}

/// What adding an endpoint on the page came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookAdded {
    /// Its signing secret, shown once.
    Added {
        id: String,
        secret: ShownOnce,
        overview: Box<RelayOverview>,
    },
    Invalid(crate::domain::WebhookUrlError),
}

/// What saving a credential's limits came to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeSaved {
    Saved(RelayOverview),
    /// The field at fault, and how.
    Invalid(crate::domain::CredentialScopeError),
}

/// Unix milliseconds as RFC 3339 UTC (`2026-11-27T10:00:00Z`).
pub fn utc(unix_millis: i64) -> String {
    let seconds = unix_millis.div_euclid(1000);
    let (days, day_seconds) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        day_seconds / 3600,
        day_seconds % 3600 / 60,
        day_seconds % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(1_795_780_800_000), "2026-11-27T12:00:00Z");
        assert_eq!(super::utc(951_782_400_000), "2000-02-29T00:00:00Z");
    }

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
