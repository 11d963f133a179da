//! A delivery status notification (RFC 3464) read from the mailbox: whether a message is
//! one, which message it reports on, and what became of each recipient. Recognised by
//! its structure (`multipart/report; report-type=delivery-status`, or Exchange Online's
//! `X-MS-Exchange-Message-Is-Ndr`), never by its subject, which Exchange translates into
//! the mailbox's language.

use mail_parser::{HeaderName, HeaderValue, Message, MessageParser, MimeHeaders as _, PartType};

pub use crate::api::relay::ReportAction as Action;

/// Exchange Online's mark on a non-delivery report it generated.
pub const EXCHANGE_NDR_HEADER: &str = "X-MS-Exchange-Message-Is-Ndr";

/// One per-recipient block of the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecipientReport {
    /// The address of `Final-Recipient` (its `rfc822;` type taken off).
    pub recipient: String,
    pub action: Action,
    /// The enhanced status code, `5.1.10`.
    pub status: String,
    /// The remote server's words (`Diagnostic-Code`, its `smtp;` type taken off).
    pub diagnostic: Option<String>,
}

/// A delivery status notification as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The Message-IDs it names as the original, without angle brackets, the most
    /// telling first: the attached original's, then `In-Reply-To`, then `References`.
    pub original_ids: Vec<String>,
    /// `Reporting-MTA`, its `dns;` type taken off.
    pub reporting_mta: Option<String>,
    pub recipients: Vec<RecipientReport>,
}

/// Whether a header section (as far as it was fetched) is a report's: the cheap test
/// before the whole message is fetched.
pub fn looks_like_report(head: &[u8]) -> bool {
    let Some(parsed) = MessageParser::new().parse_headers(head) else {
        return false;
    };
    is_report(&parsed)
}

fn is_report(message: &Message<'_>) -> bool {
    let delivery_report = message.content_type().is_some_and(|kind| {
        kind.ctype().eq_ignore_ascii_case("multipart")
            && kind
                .subtype()
                .is_some_and(|sub| sub.eq_ignore_ascii_case("report"))
            && kind
                .attribute("report-type")
                .is_some_and(|report| report.to_ascii_lowercase().ends_with("delivery-status"))
    });
    delivery_report
        || message
            .header_raw(HeaderName::Other(EXCHANGE_NDR_HEADER.into()))
            .is_some()
}

impl Report {
    /// The report in `message` (maybe cut short: the first part of a large one suffices,
    /// as the status comes before the attached original); `None` if it is none.
    pub fn read(message: &[u8]) -> Option<Report> {
        let parsed = MessageParser::new().parse(message)?;
        if !is_report(&parsed) {
            return None;
        }
        let mut report = Report {
            original_ids: Vec::new(),
            reporting_mta: None,
            recipients: Vec::new(),
        };
        for part in &parsed.parts {
            let Some(kind) = part.content_type() else {
                continue;
            };
            let (ctype, subtype) = (
                kind.ctype().to_ascii_lowercase(),
                kind.subtype().unwrap_or_default().to_ascii_lowercase(),
            );
            match (ctype.as_str(), subtype.as_str()) {
                ("message", "delivery-status" | "global-delivery-status") => {
                    report.read_status(part.contents());
                }
                ("message", "rfc822" | "global") => {
                    if let PartType::Message(original) = &part.body {
                        report.note_id(original.message_id());
                    }
                }
                ("text", "rfc822-headers") => {
                    if let Some(headers) = MessageParser::new().parse_headers(part.contents()) {
                        report.note_id(headers.message_id());
                    }
                }
                _ => {}
            }
        }
        for value in [parsed.in_reply_to(), parsed.references()] {
            for id in ids(value) {
                report.note_id(Some(id));
            }
        }
        Some(report)
    }

    fn note_id(&mut self, id: Option<&str>) {
        if let Some(id) = id.map(|id| id.trim_matches(['<', '>', ' '])) {
            if !id.is_empty() && !self.original_ids.iter().any(|known| known == id) {
                self.original_ids.push(id.to_owned());
            }
        }
    }

    /// The `message/delivery-status` body: a per-message block, then one per recipient,
    /// each a header section of its own (RFC 3464 section 2.1), read by the same parser.
    fn read_status(&mut self, body: &[u8]) {
        let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
        for (n, block) in text
            .split("\n\n")
            .filter(|b| !b.trim().is_empty())
            .enumerate()
        {
            let block = format!("{}\n\n", block.trim_start_matches('\n'));
            let Some(fields) = MessageParser::new().parse_headers(block.as_bytes()) else {
                continue;
            };
            let field = |name: &str| {
                fields
                    .headers_raw()
                    .find(|(key, _)| key.eq_ignore_ascii_case(name))
                    .map(|(_, value)| unfold(value))
                    .filter(|value| !value.is_empty())
            };
            if n == 0 {
                self.reporting_mta = field("Reporting-MTA").map(|v| typed(&v));
            }
            let (Some(recipient), Some(action)) = (
                field("Final-Recipient").or_else(|| field("Original-Recipient")),
                field("Action").and_then(|a| Action::from_key(&a)),
            ) else {
                continue;
            };
            self.recipients.push(RecipientReport {
                recipient: typed(&recipient),
                action,
                status: field("Status")
                    .map(|s| s.split_whitespace().next().unwrap_or_default().to_owned())
                    .unwrap_or_default(),
                diagnostic: field("Diagnostic-Code").map(|d| typed(&d)),
            });
        }
    }
}

/// The Message-IDs of an `In-Reply-To` or `References` value.
fn ids<'a>(value: &'a HeaderValue<'_>) -> Vec<&'a str> {
    match value {
        HeaderValue::Text(id) => vec![id.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(AsRef::as_ref).collect(),
        _ => Vec::new(),
    }
}

/// A header value on one line, its folds undone.
fn unfold(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A typed field's value without its type: `rfc822; a@b` → `a@b`, `smtp; 550 …` → `550 …`.
fn typed(value: &str) -> String {
    match value.split_once(';') {
        Some((kind, rest)) if !kind.contains(' ') && !kind.is_empty() => rest.trim().to_owned(),
        _ => value.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests;
