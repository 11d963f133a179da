//! The relay's outbox: accepted messages, written before the application hears "queued"
//! (on SQLite with synchronous FULL, on PostgreSQL by its commit: the insert that returned
//! is on disk), and their way to Exchange.
//!
//! Each instance runs one worker. A worker claims a message for a lease (`claimed_by`,
//! `lease_until`) and renews it while it delivers; on PostgreSQL the claim skips rows
//! another worker holds (`FOR UPDATE SKIP LOCKED`), so no two workers take the same
//! message. A message whose worker died is taken over once its lease runs out, and sent
//! again: at-least-once, never lost. The pace (messages a minute through the mailbox)
//! is one row every claim locks, so it holds across all instances together.

use crate::api::relay::{MessageStatus, OutboxEntry};
use crate::api::report::Words;
use crate::server::store::webhooks::{emitted, event_id, EMIT};
use crate::server::store::{
    known, throttle, words_from_column, words_to_column, Pool, Store, StoreError,
};
use crate::server::webhooks::event::{About, Event};

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
    /// The Message-ID it goes out with, without angle brackets.
    pub internet_message_id: Option<&'a str>,
    /// The header section, as completed (the whole message when it has no pieces).
    pub head: &'a [u8],
    /// How many pieces of the body [`Store::write_piece`] wrote before.
    pub pieces: i64,
    /// The body's last piece (empty if none is left), stored with the row: one
    /// transaction fewer for a message smaller than a piece, the usual case.
    pub last_piece: &'a [u8],
    /// The whole message's size in bytes.
    pub size: i64,
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

/// The message an idempotency key (`$2`) of a submitter (`$1`) names.
const EARLIER: &str = "SELECT id FROM outbox WHERE submitted_by = $1 AND idempotency_key = $2";

/// What a worker's claim found.
pub enum Claim {
    /// A message, now this worker's until its lease runs out.
    Message(Due),
    /// Messages may be due, but the pace allows the next one only at this instant (ms).
    Paced(i64),
    /// Nothing is due.
    Nothing,
}

/// The claim's row that paces every instance's deliveries.
const PACE: &str = "relay_pace";

/// A message the worker is about to deliver.
pub struct Due {
    pub id: String,
    pub accepted_at: i64,
    pub mail_from: String,
    pub recipients: Vec<String>,
    /// The header section; then its body's pieces, read one at a time.
    pub head: Vec<u8>,
    pub pieces: i64,
    /// The whole message's size in bytes.
    pub size: i64,
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
    internet_message_id: Option<String>,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    body_dropped_at: Option<i64>,
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
            internet_message_id: self.internet_message_id,
            status,
            attempts: self.attempts,
            next_attempt_at: (!status.is_final()).then_some(self.next_attempt_at),
            last_error: self.last_error.map(words_from_column),
            body_dropped_at: self.body_dropped_at,
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
     internet_message_id, status, attempts, next_attempt_at, last_error, body_dropped_at";

impl Store {
    /// Stores `message`, to be tried at once; with an idempotency key seen in the last
    /// day (from the same submitter), stores nothing and names the first message.
    /// A write refused for lack of disk space is remembered for `/healthz`.
    pub async fn enqueue(&self, message: &NewMessage<'_>) -> Result<Enqueued, StoreError> {
        let stored = self.committer.store(message).await;
        self.note_room(&stored, message.accepted_at);
        stored
    }

    /// The next message due at `now` (waiting and due, or sending under a lease that ran
    /// out), claimed by `worker` until `lease_until`, its attempt counted. With a
    /// `spacing` (ms), claims across all instances are at least that far apart.
    pub async fn claim_due(
        &self,
        now: i64,
        worker: &str,
        lease_until: i64,
        spacing: i64,
    ) -> Result<Claim, StoreError> {
        // SQLite has one writer at a time, so its claim needs no row locks; PostgreSQL
        // lets another worker's claim run beside this one, and skips the row it holds.
        let skip_locked = match self.backend() {
            crate::server::store::Backend::Sqlite => "",
            crate::server::store::Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        };
        let claim = format!(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1,
                    claimed_by = $1, lease_until = $2
             WHERE seq = (SELECT seq FROM outbox
                          WHERE (status IN ('queued', 'retrying') AND next_attempt_at <= $3)
                             OR (status = 'sending' AND lease_until < $3)
                          ORDER BY next_attempt_at, seq LIMIT 1 {skip_locked})
             RETURNING id, accepted_at, mail_from, recipients, message, pieces, size, attempts"
        );
        type Row = (String, i64, String, String, Vec<u8>, i64, i64, i64);
        let row: Option<Row> = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            if spacing > 0 {
                let next_at: i64 = sqlx::query_scalar(throttle::LOCK)
                    .bind(PACE)
                    .fetch_one(&mut *tx)
                    .await?;
                if next_at > now {
                    tx.commit().await?;
                    return Ok(Claim::Paced(next_at));
                }
            }
            let row = sqlx::query_as(&claim)
                .bind(worker)
                .bind(lease_until)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?;
            if spacing > 0 && row.is_some() {
                sqlx::query(throttle::SET_NEXT)
                    .bind(PACE)
                    .bind(now + spacing)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            row
        });
        let Some((id, accepted_at, mail_from, recipients, head, pieces, size, attempts)) = row
        else {
            return Ok(Claim::Nothing);
        };
        Ok(Claim::Message(Due {
            recipients: recipients_from_json(recipients)?,
            id,
            accepted_at,
            mail_from,
            head,
            pieces,
            size,
            attempts,
        }))
    }

    /// Extends `worker`'s lease on message `id`; `false`: the message is no longer its
    /// own (the lease ran out and another worker took it over).
    pub async fn renew_lease(
        &self,
        id: &str,
        worker: &str,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        let renewed = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE outbox SET lease_until = $1
                 WHERE id = $2 AND claimed_by = $3 AND status = 'sending'",
            )
            .bind(lease_until)
            .bind(id)
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(renewed == 1)
    }

    /// When the next message is due, or a lease runs out, if any.
    pub async fn next_due_at(&self) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT MIN(CASE WHEN status = 'sending' THEN lease_until ELSE next_attempt_at END)
                 FROM outbox WHERE status IN ('queued', 'retrying', 'sending')",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// SQLite only (one instance): messages the previous process was sending when it
    /// stopped are due again at once, without waiting for their leases.
    pub async fn requeue_interrupted(&self, now: i64) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "UPDATE outbox SET status = 'queued', next_attempt_at = $1, claimed_by = NULL,
                        lease_until = NULL
                 WHERE status = 'sending'",
            )
            .bind(now)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// How many messages wait (queued, sending or to be retried) and when the oldest
    /// was accepted (ms), for the metrics.
    pub async fn queue_stats(&self) -> Result<(u64, Option<i64>), StoreError> {
        let (count, oldest): (i64, Option<i64>) = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT COUNT(*), MIN(accepted_at) FROM outbox
                 WHERE status IN ('queued', 'sending', 'retrying')",
            )
            .fetch_one(pool)
            .await?
        });
        Ok((u64::try_from(count).unwrap_or_default(), oldest))
    }

    /// The end of `worker`'s attempt: sent, failed for good, or to be retried at
    /// `next_attempt_at`. `false`: the message was no longer this worker's (its lease
    /// ran out and another took it over), and nothing was written.
    pub async fn record_attempt(
        &self,
        id: &str,
        worker: &str,
        status: MessageStatus,
        now: i64,
        next_attempt_at: i64,
        error: Option<&Words>,
    ) -> Result<bool, StoreError> {
        let column = words_to_column(error);
        let event = match status {
            MessageStatus::Sent => Some(Event::Sent),
            MessageStatus::Failed => Some(Event::Failed),
            _ => None,
        };
        let recorded: Option<(String, String, Option<String>)>;
        on_pool_tx!(self, tx => {
            recorded = sqlx::query_as(
                "UPDATE outbox SET status = $1, next_attempt_at = $2,
                        last_error = COALESCE($3, last_error),
                        finished_at = CASE WHEN $4 THEN $5 ELSE NULL END,
                        lease_until = NULL
                 WHERE id = $6 AND claimed_by = $7 AND status = 'sending'
                 RETURNING submitted_by, recipients, internet_message_id",
            )
            .bind(status.key())
            .bind(next_attempt_at)
            .bind(&column)
            .bind(status.is_final())
            .bind(now)
            .bind(id)
            .bind(worker)
            .fetch_optional(&mut *tx)
            .await?;
            // The end of a message is told to the webhooks in the same transaction.
            if let (Some((submitted_by, recipients, internet_message_id)), Some(event)) = (&recorded, event) {
                let recipients = recipients_from_json(recipients.clone())?;
                let about = About {
                    id,
                    submitted_by,
                    recipients: &recipients,
                    internet_message_id: internet_message_id.as_deref(),
                    words: error.map(|words| words.en.as_str()),
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
        });
        Ok(recorded.is_some())
    }

    /// One message as the API shows it; only to the credential that submitted it.
    pub async fn outbox_entry(
        &self,
        id: &str,
        submitted_by: &str,
    ) -> Result<Option<OutboxEntry>, StoreError> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = $1 AND submitted_by = $2");
        let row: Option<EntryRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(id)
                .bind(submitted_by)
                .fetch_optional(pool)
                .await?
        });
        row.map(EntryRow::into_entry).transpose()
    }

    /// The most recent messages, newest first (the page's Outbox).
    pub async fn recent_outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let sql = format!("SELECT {ENTRY_COLUMNS} FROM outbox ORDER BY seq DESC LIMIT $1");
        let rows: Vec<EntryRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(i64::from(limit))
                .fetch_all(pool)
                .await?
        });
        rows.into_iter().map(EntryRow::into_entry).collect()
    }

    /// A waiting or failed message, due again at `now`. `false`: no such message, or it
    /// is being sent or was sent.
    pub async fn retry_now(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let changed = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE outbox SET status = 'queued', next_attempt_at = $1, finished_at = NULL
                 WHERE id = $2 AND status IN ('queued', 'retrying', 'failed')",
            )
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Deletes a waiting or failed message, and its pieces. `false`: no such message, or
    /// it is being sent or was sent.
    pub async fn delete_message(&self, id: &str) -> Result<bool, StoreError> {
        let deleted;
        on_pool_tx!(self, tx => {
            deleted = sqlx::query(
                "DELETE FROM outbox WHERE id = $1 AND status IN ('queued', 'retrying', 'failed')",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if deleted == 1 {
                sqlx::query("DELETE FROM message_pieces WHERE message_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM delivery_reports WHERE outbox_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        });
        Ok(deleted == 1)
    }
}

/// Stores `messages` in one transaction (see [`super::commits`]): each one's outbox row
/// and its last piece, or, for an idempotency key seen in the last day (from the same
/// submitter), nothing but the answer naming the first message. One answer per message.
pub(super) async fn insert_message(
    pool: &Pool,
    messages: &[NewMessage<'_>],
) -> Result<Vec<Enqueued>, StoreError> {
    let mut answers = Vec::with_capacity(messages.len());
    on_pool!(pool pool, pool => {
        let mut tx = pool.begin().await?;
        for message in messages {
            let recipients =
                serde_json::to_string(message.recipients).map_err(|e| StoreError::Unknown {
                    column: "recipients",
                    value: e.to_string(),
                })?;
            let answer = 'one: {
                if let Some(key) = message.idempotency_key {
                    // Keys older than a day name nothing any more.
                    sqlx::query(
                        "UPDATE outbox SET idempotency_key = NULL
                         WHERE idempotency_key IS NOT NULL AND accepted_at < $1",
                    )
                    .bind(message.accepted_at - IDEMPOTENCY_MS)
                    .execute(&mut *tx)
                    .await?;
                    let earlier: Option<String> = sqlx::query_scalar(EARLIER)
                        .bind(message.submitted_by)
                        .bind(key)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if let Some(id) = earlier {
                        break 'one Enqueued::AlreadyQueued { id };
                    }
                }
                let last = i64::from(!message.last_piece.is_empty());
                let inserted = sqlx::query(
                    "INSERT INTO outbox (id, accepted_at, submitted_by, mail_from, recipients, subject,
                                         message, pieces, size, status, next_attempt_at,
                                         idempotency_key, internet_message_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                     ON CONFLICT DO NOTHING",
                )
                .bind(message.id)
                .bind(message.accepted_at)
                .bind(message.submitted_by)
                .bind(message.mail_from)
                .bind(&recipients)
                .bind(message.subject)
                .bind(message.head)
                .bind(message.pieces + last)
                .bind(message.size)
                .bind(MessageStatus::Queued.key())
                .bind(message.accepted_at)
                .bind(message.idempotency_key)
                .bind(message.internet_message_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted == 0 {
                    // Another instance stored the same key between the look above and this
                    // insert (the unique index made this one wait for it): that message is
                    // the first.
                    let earlier: Option<String> = sqlx::query_scalar(EARLIER)
                        .bind(message.submitted_by)
                        .bind(message.idempotency_key)
                        .fetch_optional(&mut *tx)
                        .await?;
                    break 'one match earlier {
                        Some(id) => Enqueued::AlreadyQueued { id },
                        None => {
                            return Err(StoreError::Unknown {
                                column: "outbox.id (taken)",
                                value: message.id.to_owned(),
                            })
                        }
                    };
                }
                if last == 1 {
                    sqlx::query(
                        "INSERT INTO message_pieces (message_id, seq, bytes, written_at)
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(message.id)
                    .bind(message.pieces)
                    .bind(message.last_piece)
                    .bind(message.accepted_at)
                    .execute(&mut *tx)
                    .await?;
                }
                let about = About {
                    id: message.id,
                    submitted_by: message.submitted_by,
                    recipients: message.recipients,
                    internet_message_id: message.internet_message_id,
                    words: None,
                };
                let (event, payload, at) = emitted(Event::Accepted, &about, message.accepted_at);
                sqlx::query(EMIT)
                    .bind(event_id()?)
                    .bind(event)
                    .bind(payload)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                Enqueued::Queued {
                    id: message.id.to_owned(),
                }
            };
            answers.push(answer);
        }
        tx.commit().await?;
    });
    Ok(answers)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statements name the statuses by their keys, as text: they must be the keys.
    #[test]
    fn the_statements_name_the_statuses_by_their_keys() {
        assert_eq!(
            [
                MessageStatus::Queued.key(),
                MessageStatus::Sending.key(),
                MessageStatus::Retrying.key(),
                MessageStatus::Failed.key(),
                MessageStatus::Sent.key(),
            ],
            ["queued", "sending", "retrying", "failed", "sent"]
        );
    }
}
