//! The events and their JSON bodies (Standard Webhooks' shape: `type`, `timestamp`,
//! `data`), made where the change is stored, in the same transaction.

use serde_json::json;

use crate::api::relay::utc;

/// What happened to a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Accepted,
    Sent,
    Failed,
    Bounced,
    Delayed,
    /// The admin's "send a test event".
    Test,
}

impl Event {
    pub fn key(self) -> &'static str {
        match self {
            Event::Accepted => "message.accepted",
            Event::Sent => "message.sent",
            Event::Failed => "message.failed",
            Event::Bounced => "message.bounced",
            Event::Delayed => "message.delayed",
            Event::Test => "webhook.test",
        }
    }
}

/// The message an event is about.
pub struct About<'a> {
    pub id: &'a str,
    /// The credential's name (or `ip:<address>`).
    pub submitted_by: &'a str,
    /// The recipients concerned.
    pub recipients: &'a [String],
    pub internet_message_id: Option<&'a str>,
    /// The server's words (Exchange's reply, a report's diagnostic), when there are any.
    pub words: Option<&'a str>,
}

/// The body of `event` about `about`, at `now` (Unix ms).
pub fn body(event: Event, about: &About<'_>, now: i64) -> String {
    json!({
        "type": event.key(),
        "timestamp": utc(now),
        "data": {
            "id": about.id,
            "submitted_by": about.submitted_by,
            "recipients": about.recipients,
            "internet_message_id": about.internet_message_id,
            "words": about.words,
        },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_names_the_message_and_what_happened() {
        let recipients = ["jose@fabrikam.com".to_owned()];
        let text = body(
            Event::Bounced,
            &About {
                id: "m1",
                submitted_by: "erp",
                recipients: &recipients,
                internet_message_id: Some("a@b"),
                words: Some("550 5.1.10 RESOLVER.ADR.RecipientNotFound"),
            },
            1_796_256_000_000,
        );
        let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(value["type"], "message.bounced");
        assert_eq!(value["timestamp"], "2026-12-03T00:00:00Z");
        assert_eq!(value["data"]["recipients"][0], "jose@fabrikam.com");
        assert_eq!(value["data"]["submitted_by"], "erp");
    }
}
