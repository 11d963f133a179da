//! The relay's outbox: accepted messages, written before the application hears "queued"
//! (synchronous FULL: the insert that returned is on disk), and their way to Exchange.
//! One worker delivers; a message it was sending when the process died is found again at
//! start-up and sent again (at-least-once).

use super::{known, words_from_column, words_to_column, Store, StoreError};
use crate::api::relay::{MessageStatus, OutboxEntry};
use crate::api::report::Words;

/// How long an `Idempotency-Key` names the message it first came with.
pub const IDEMPOTENCY_MS: i64 = 24 * 60 * 60 * 1000;

/// A message the relay accepted, about to be stored.
pub struct NewMessage<'a> {
    pub id: &'a str,
    pub accepted_at: i64,
    pub submitted_by: &'a str,
    pub mail_from: &'a str,
    pub recipients: &'a [String],
    pub subject: &'a str,
    pub message: &'a [u8],
    pub idempotency_key: Option<&'a str>,
}

/// What the store made of a new message.
#[derive(Debug, PartialEq, Eq)]
pub enum Enqueued {
    Queued {
        id: String,
    },
    /// The same idempotency key came before, within the day: that message's id.
    AlreadyQueued {
        id: String,
    },
}

/// A message the worker is about to deliver.
pub struct Due {
    pub id: String,
    pub accepted_at: i64,
    pub mail_from: String,
    pub recipients: Vec<String>,
    pub message: Vec<u8>,
    /// Including this one.
    pub attempts: i64,
}

#[derive(sqlx::FromRow)]
struct EntryRow {
    id: String,
    accepted_at: i64,
    submitted_by: String,
    mail_from: String,
    recipients: String,
    subject: String,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
}

impl EntryRow {
    fn into_entry(self) -> Result<OutboxEntry, StoreError> {
        let status = known("status", self.status, MessageStatus::from_key)?;
        Ok(OutboxEntry {
            recipients: recipients_from_json(self.recipients)?,
            id: self.id,
            accepted_at: self.accepted_at,
            submitted_by: self.submitted_by,
            mail_from: self.mail_from,
            subject: self.subject,
            status,
            attempts: self.attempts,
            next_attempt_at: (!status.is_final()).then_some(self.next_attempt_at),
            last_error: self.last_error.map(words_from_column),
        })
    }
}

fn recipients_from_json(json: String) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(&json).map_err(|_| StoreError::Unknown {
        column: "recipients",
        value: json,
    })
}

const ENTRY_COLUMNS: &str = "id, accepted_at, submitted_by, mail_from, recipients, subject, \
     status, attempts, next_attempt_at, last_error";

impl Store {
    /// Stores `message`, to be tried at once; with an idempotency key seen in the last
    /// day (from the same submitter), stores nothing and names the first message.
    pub async fn enqueue(&self, message: &NewMessage<'_>) -> Result<Enqueued, StoreError> {
        let recipients =
            serde_json::to_string(message.recipients).map_err(|e| StoreError::Unknown {
                column: "recipients",
                value: e.to_string(),
            })?;
        let mut tx = self.pool.begin().await?;
        if let Some(key) = message.idempotency_key {
            // Keys older than a day name nothing any more.
            sqlx::query(
                "UPDATE outbox SET idempotency_key = NULL
                 WHERE idempotency_key IS NOT NULL AND accepted_at < ?",
            )
            .bind(message.accepted_at - IDEMPOTENCY_MS)
            .execute(&mut *tx)
            .await?;
            let earlier: Option<String> = sqlx::query_scalar(
                "SELECT id FROM outbox WHERE submitted_by = ? AND idempotency_key = ?",
            )
            .bind(message.submitted_by)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = earlier {
                tx.commit().await?;
                return Ok(Enqueued::AlreadyQueued { id });
            }
        }
        sqlx::query(
            "INSERT INTO outbox (id, accepted_at, submitted_by, mail_from, recipients, subject,
                                 message, status, next_attempt_at, idempotency_key)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(message.id)
        .bind(message.accepted_at)
        .bind(message.submitted_by)
        .bind(message.mail_from)
        .bind(recipients)
        .bind(message.subject)
        .bind(message.message)
        .bind(MessageStatus::Queued.key())
        .bind(message.accepted_at)
        .bind(message.idempotency_key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Enqueued::Queued {
            id: message.id.to_owned(),
        })
    }

    /// The next message due at `now`, marked as being sent (its attempt counted).
    pub async fn claim_due(&self, now: i64) -> Result<Option<Due>, StoreError> {
        let row: Option<(String, i64, String, String, Vec<u8>, i64)> = sqlx::query_as(
            "UPDATE outbox SET status = ?, attempts = attempts + 1
             WHERE seq = (SELECT seq FROM outbox
                          WHERE status IN (?, ?) AND next_attempt_at <= ?
                          ORDER BY next_attempt_at, seq LIMIT 1)
             RETURNING id, accepted_at, mail_from, recipients, message, attempts",
        )
        .bind(MessageStatus::Sending.key())
        .bind(MessageStatus::Queued.key())
        .bind(MessageStatus::Retrying.key())
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(
            |(id, accepted_at, mail_from, recipients, message, attempts)| {
                Ok(Due {
                    recipients: recipients_from_json(recipients)?,
                    id,
                    accepted_at,
                    mail_from,
                    message,
                    attempts,
                })
            },
        )
        .transpose()
    }

    /// When the next waiting message is due, if any waits.
    pub async fn next_due_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT MIN(next_attempt_at) FROM outbox WHERE status IN (?, ?)")
                .bind(MessageStatus::Queued.key())
                .bind(MessageStatus::Retrying.key())
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Messages a previous process was sending when it stopped: due again at once.
    pub async fn requeue_interrupted(&self, now: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("UPDATE outbox SET status = ?, next_attempt_at = ? WHERE status = ?")
                .bind(MessageStatus::Queued.key())
                .bind(now)
                .bind(MessageStatus::Sending.key())
                .execute(&self.pool)
                .await?
                .rows_affected(),
        )
    }

    /// How many messages wait (queued, sending or to be retried) and when the oldest
    /// was accepted (ms), for the metrics.
    pub async fn queue_stats(&self) -> Result<(u64, Option<i64>), StoreError> {
        let (count, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(accepted_at) FROM outbox
             WHERE status IN ('queued', 'sending', 'retrying')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((u64::try_from(count).unwrap_or_default(), oldest))
    }

    /// The end of an attempt: sent, failed for good, or to be retried at `next_attempt_at`.
    pub async fn record_attempt(
        &self,
        id: &str,
        status: MessageStatus,
        now: i64,
        next_attempt_at: i64,
        error: Option<&Words>,
    ) -> Result<(), StoreError> {
        let error = words_to_column(error);
        sqlx::query(
            "UPDATE outbox SET status = ?, next_attempt_at = ?, last_error = COALESCE(?, last_error),
                    finished_at = CASE WHEN ? THEN ? ELSE NULL END
             WHERE id = ?",
        )
        .bind(status.key())
        .bind(next_attempt_at)
        .bind(error)
        .bind(status.is_final())
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One message as the API shows it; only to the credential that submitted it.
    pub async fn outbox_entry(
        &self,
        id: &str,
        submitted_by: &str,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        let row: Option<EntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = ? AND submitted_by = ?"
        ))
        .bind(id)
        .bind(submitted_by)
        .fetch_optional(&self.pool)
        .await?;
        row.map(EntryRow::into_entry).transpose()
    }

    /// The most recent messages, newest first (the page's Outbox).
    pub async fn recent_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows: Vec<EntryRow> = sqlx::query_as(&format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox ORDER BY seq DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(EntryRow::into_entry).collect()
    }

    /// A waiting or failed message, due again at `now`. `false`: no such message, or it
    /// is being sent or was sent.
    pub async fn retry_now(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "UPDATE outbox SET status = ?, next_attempt_at = ?, finished_at = NULL
             WHERE id = ? AND status IN (?, ?, ?)",
        )
        .bind(MessageStatus::Queued.key())
        .bind(now)
        .bind(id)
        .bind(MessageStatus::Queued.key())
        .bind(MessageStatus::Retrying.key())
        .bind(MessageStatus::Failed.key())
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Deletes a waiting or failed message. `false`: no such message, or it is being sent
    /// or was sent.
    pub async fn delete_message(&self, id: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("DELETE FROM outbox WHERE id = ? AND status IN (?, ?, ?)")
                .bind(id)
                .bind(MessageStatus::Queued.key())
                .bind(MessageStatus::Retrying.key())
                .bind(MessageStatus::Failed.key())
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }
}
