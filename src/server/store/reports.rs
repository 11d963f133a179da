//! The delivery reports read from the sending mailbox: each recipient's line kept with
//! the message it names, the message marked bounced or delayed, and where the watcher
//! is in the mailbox, stored together so that a report counts once, even across a crash.

use crate::api::relay::{DeliveryReport, MessageStatus, ReportAction};
use crate::api::report::Words;
use crate::server::bounces::report::Report;
use crate::server::store::webhooks::{emitted, event_id, EMIT};
use crate::server::store::{known, words_to_column, Store, StoreError};
use crate::server::webhooks::event::{About, Event};

/// Where the watcher is in a mailbox's INBOX.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub uid_validity: u32,
    /// The last UID read; the next read starts after it.
    pub last_uid: u32,
}

/// What became of the reports of one batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Reports that named a message of the outbox.
    pub matched: u32,
    /// Reports that named none (a message sent by another program, or long gone).
    pub unmatched: u32,
}

impl Store {
    /// Where the watcher is in `mailbox`; `None` before its first read.
    pub async fn mailbox_position(&self, mailbox: &str) -> Result<Option<Position>, StoreError> {
        let row: Option<(i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT uid_validity, last_uid FROM mailbox_positions WHERE mailbox = $1")
                .bind(mailbox)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|(uid_validity, last_uid)| Position {
            uid_validity: u32::try_from(uid_validity).unwrap_or_default(),
            last_uid: u32::try_from(last_uid).unwrap_or_default(),
        }))
    }

    /// How many reports named no message of the outbox, in every mailbox together.
    pub async fn unmatched_reports(&self) -> Result<u64, StoreError> {
        // PostgreSQL's SUM of a BIGINT is a NUMERIC: cast back, on both.
        let count: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(unmatched), 0) AS BIGINT) FROM mailbox_positions",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// Stores the `reports` read in `mailbox` up to `position`, in one transaction with
    /// the position: each recipient's line with the message it names (found by its
    /// Message-ID), the message bounced (a recipient failed) or delayed (one is late).
    pub async fn record_reports(
        &self,
        mailbox: &str,
        position: Position,
        reports: &[Report],
        now: i64,
    ) -> Result<Recorded, StoreError> {
        let mut recorded = Recorded::default();
        on_pool_tx!(self, tx => {
            for report in reports {
                let mut named = None;
                for id in &report.original_ids {
                    named = sqlx::query_scalar::<_, String>(
                        "SELECT id FROM outbox WHERE internet_message_id = $1 ORDER BY seq DESC LIMIT 1",
                    )
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if named.is_some() {
                        break;
                    }
                }
                let Some(outbox_id) = named else {
                    recorded.unmatched += 1;
                    continue;
                };
                recorded.matched += 1;
                for line in &report.recipients {
                    sqlx::query(
                        "INSERT INTO delivery_reports (outbox_id, recipient, action, status,
                                                       diagnostic, reporting_mta, read_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (outbox_id, recipient, action) DO UPDATE SET
                             status = excluded.status, diagnostic = excluded.diagnostic,
                             reporting_mta = excluded.reporting_mta, read_at = excluded.read_at",
                    )
                    .bind(&outbox_id)
                    .bind(&line.recipient)
                    .bind(line.action.key())
                    .bind(&line.status)
                    .bind(&line.diagnostic)
                    .bind(&report.reporting_mta)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                if let Some((status, from, words)) = outcome(report) {
                    let changed: Option<(String, Option<String>)> = sqlx::query_as(&format!(
                        "UPDATE outbox SET status = $1, last_error = $2
                          WHERE id = $3 AND status IN ({from})
                          RETURNING submitted_by, internet_message_id"
                    ))
                    .bind(status.key())
                    .bind(words_to_column(Some(&words)))
                    .bind(&outbox_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    // Told to the webhooks in the same transaction, once per change.
                    if let Some((submitted_by, internet_message_id)) = changed {
                        let (event, action) = match status {
                            MessageStatus::Bounced => (Event::Bounced, ReportAction::Failed),
                            _ => (Event::Delayed, ReportAction::Delayed),
                        };
                        let concerned: Vec<String> = report
                            .recipients
                            .iter()
                            .filter(|line| line.action == action)
                            .map(|line| line.recipient.clone())
                            .collect();
                        let about = About {
                            id: &outbox_id,
                            submitted_by: &submitted_by,
                            recipients: &concerned,
                            internet_message_id: internet_message_id.as_deref(),
                            words: Some(&words.en),
                        };
                        let (event, payload, at) = emitted(event, &about, now);
                        sqlx::query(EMIT)
                            .bind(event_id()?)
                            .bind(event)
                            .bind(payload)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
            }
            sqlx::query(
                "INSERT INTO mailbox_positions (mailbox, uid_validity, last_uid, unmatched, read_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (mailbox) DO UPDATE SET
                     uid_validity = excluded.uid_validity, last_uid = excluded.last_uid,
                     unmatched = mailbox_positions.unmatched + excluded.unmatched,
                     read_at = excluded.read_at",
            )
            .bind(mailbox)
            .bind(i64::from(position.uid_validity))
            .bind(i64::from(position.last_uid))
            .bind(i64::from(recorded.unmatched))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(recorded)
    }

    /// The report lines about message `id`, oldest first.
    pub async fn delivery_reports(&self, id: &str) -> Result<Vec<DeliveryReport>, StoreError> {
        type Row = (String, String, String, Option<String>, Option<String>, i64);
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT recipient, action, status, diagnostic, reporting_mta, read_at
                   FROM delivery_reports WHERE outbox_id = $1 ORDER BY read_at, recipient",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(
                |(recipient, action, status, diagnostic, reporting_mta, read_at)| {
                    Ok(DeliveryReport {
                        recipient,
                        action: known("action", action, ReportAction::from_key)?,
                        status,
                        diagnostic,
                        reporting_mta,
                        read_at,
                    })
                },
            )
            .collect()
    }
}

/// What a report makes of its message: the new status, the statuses it may come from
/// (a bounce outranks a delay; nothing undoes a bounce), and the words the Outbox
/// shows. `None` when every recipient was delivered, relayed or expanded.
fn outcome(report: &Report) -> Option<(MessageStatus, &'static str, Words)> {
    let lines = |action: ReportAction| -> Vec<String> {
        report
            .recipients
            .iter()
            .filter(|line| line.action == action)
            .map(|line| {
                let said = line.diagnostic.as_deref().unwrap_or(&line.status);
                format!("{}: {said}", line.recipient)
            })
            .collect()
    };
    let by = report
        .reporting_mta
        .as_deref()
        .map(|mta| format!(" (reported by {mta})"))
        .unwrap_or_default();
    let failed = lines(ReportAction::Failed);
    if !failed.is_empty() {
        return Some((
            MessageStatus::Bounced,
            "'sent', 'delayed'",
            Words::same(format!("{}{by}", failed.join("; "))),
        ));
    }
    let delayed = lines(ReportAction::Delayed);
    (!delayed.is_empty()).then(|| {
        (
            MessageStatus::Delayed,
            "'sent'",
            Words::same(format!("{}{by}", delayed.join("; "))),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::bounces::report::RecipientReport;

    /// The statements name the statuses by their keys, as text: they must be the keys.
    #[test]
    fn the_statements_name_the_statuses_by_their_keys() {
        assert_eq!(
            [MessageStatus::Sent.key(), MessageStatus::Delayed.key()],
            ["sent", "delayed"]
        );
    }

    #[test]
    fn a_failed_recipient_outranks_a_late_one() {
        let line = |recipient: &str, action, diagnostic: Option<&str>| RecipientReport {
            recipient: recipient.into(),
            action,
            status: "4.4.7".into(),
            diagnostic: diagnostic.map(str::to_owned),
        };
        let mut report = Report {
            original_ids: vec!["x@y".into()],
            reporting_mta: None,
            recipients: vec![
                line("a@x", ReportAction::Delayed, None),
                line("b@x", ReportAction::Failed, Some("550 5.1.1 no such user")),
                line("c@x", ReportAction::Delivered, None),
            ],
        };
        let (status, from, words) = outcome(&report).expect("an outcome");
        assert_eq!(status, MessageStatus::Bounced);
        assert_eq!(from, "'sent', 'delayed'");
        assert_eq!(words.en, "b@x: 550 5.1.1 no such user");
        report.recipients.remove(1);
        let (status, from, words) = outcome(&report).expect("an outcome");
        assert_eq!((status, from), (MessageStatus::Delayed, "'sent'"));
        assert_eq!(words.en, "a@x: 4.4.7", "the status when no words came");
        report.recipients.remove(0);
        assert_eq!(outcome(&report), None, "delivered changes nothing");
    }
}
