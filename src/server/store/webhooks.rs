//! The webhook endpoints (signing secrets sealed) and their deliveries: emitted in the
//! transaction of the change they report, claimed under a lease by whichever instance
//! is free, retried on the schedule the deliverer gives, kept with the endpoint's last
//! answer for the delivery log.

use secrecy::{ExposeSecret as _, SecretString};

use crate::api::webhooks::{DeliveryStatus, WebhookDelivery, WebhookEndpoint};
use crate::server::store::sealing::random_bytes;
use crate::server::store::{known, Store, StoreError};
use crate::server::webhooks::event::{body, About, Event};

/// Associated data of a sealed signing secret.
const WEBHOOK_SECRET: &str = "webhook_secret";

/// One delivery per endpoint of an event: `$1` the event's id, `$2` its type, `$3` its
/// body, `$4` now. Run in the transaction of the change the event reports.
pub(super) const EMIT: &str = "INSERT INTO webhook_deliveries
        (id, endpoint_id, event, payload, created_at, status, next_attempt_at)
     SELECT $1 || '_' || id, id, $2, $3, $4, 'pending', $4 FROM webhook_endpoints";

/// A new event's id (`msg_` and 16 random bytes in hex; each delivery adds its endpoint).
pub(super) fn event_id() -> Result<String, StoreError> {
    let bytes = random_bytes::<16>()?;
    Ok(format!(
        "msg_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// The three binds of [`EMIT`] after the id: the type, the body, now.
pub(super) fn emitted(event: Event, about: &About<'_>, now: i64) -> (&'static str, String, i64) {
    (event.key(), body(event, about, now), now)
}

/// A delivery claimed for an attempt.
pub struct DueDelivery {
    pub seq: i64,
    pub id: String,
    pub url: String,
    pub secret: SecretString,
    pub payload: String,
    /// Including this one.
    pub attempts: i64,
    pub created_at: i64,
}

/// How an attempt went.
pub enum Attempted {
    Delivered(String),
    /// Tried again at this instant (ms).
    Retry {
        at: i64,
        reply: String,
    },
    GaveUp(String),
}

impl Store {
    /// Registers `url` with `secret`; its id.
    pub async fn add_webhook(
        &self,
        url: &str,
        secret: &SecretString,
        now: i64,
    ) -> Result<String, StoreError> {
        let bytes = random_bytes::<8>()?;
        let id = format!(
            "ep_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let sealed = self
            .key
            .seal(WEBHOOK_SECRET, secret.expose_secret().as_bytes())?;
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO webhook_endpoints (id, url, secret_sealed, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(&id)
            .bind(url)
            .bind(sealed)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(id)
    }

    pub async fn webhooks(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, url, created_at FROM webhook_endpoints ORDER BY created_at, id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, url, created_at)| WebhookEndpoint {
                id,
                url,
                created_at,
            })
            .collect())
    }

    /// Removes endpoint `id` and its deliveries; `false` when there was none.
    pub async fn remove_webhook(&self, id: &str) -> Result<bool, StoreError> {
        let removed;
        on_pool_tx!(self, tx => {
            removed = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM webhook_deliveries WHERE endpoint_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        });
        Ok(removed == 1)
    }

    /// Queues a test event to endpoint `id` only; `false` when there is none.
    pub async fn queue_test_event(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let about = About {
            id: "test",
            submitted_by: "smtp-setup",
            recipients: &[],
            internet_message_id: None,
            words: Some("a test event, sent from the command line or the page"),
        };
        let (event, payload, now) = emitted(Event::Test, &about, now);
        let queued = on_pool!(self, pool => {
            sqlx::query(&format!("{EMIT} WHERE id = $5"))
                .bind(event_id()?)
                .bind(event)
                .bind(payload)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(queued == 1)
    }

    /// The last `limit` deliveries to endpoint `id`, newest first: the delivery log.
    pub async fn webhook_deliveries(
        &self,
        id: &str,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        type Row = (String, String, String, i64, Option<String>, i64);
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, event, status, attempts, last_reply, created_at FROM webhook_deliveries
                  WHERE endpoint_id = $1 ORDER BY seq DESC LIMIT $2",
            )
            .bind(id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, event, status, attempts, last_reply, created_at)| {
                Ok(WebhookDelivery {
                    id,
                    event,
                    status: known("status", status, DeliveryStatus::from_key)?,
                    attempts,
                    last_reply,
                    created_at,
                })
            })
            .collect()
    }

    /// Up to `limit` deliveries due at `now`, each this instance's until `lease_until`,
    /// its attempt counted, with its endpoint's address and opened secret.
    pub async fn claim_webhook_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        type Row = (i64, String, String, Vec<u8>, String, i64, i64);
        let rows: Vec<Row> = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // The lease is checked again outside the subquery: on PostgreSQL, a claim
            // that waited for another's row lock sees its lease and leaves the row.
            let claimed: Vec<(i64,)> = sqlx::query_as(
                "UPDATE webhook_deliveries SET attempts = attempts + 1, lease_until = $1
                  WHERE seq IN (SELECT seq FROM webhook_deliveries
                                 WHERE status = 'pending' AND next_attempt_at <= $2
                                   AND (lease_until IS NULL OR lease_until < $2)
                                 ORDER BY next_attempt_at, seq LIMIT $3)
                    AND (lease_until IS NULL OR lease_until < $2)
                  RETURNING seq",
            )
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
            let mut rows = Vec::with_capacity(claimed.len());
            for (seq,) in claimed {
                let row: Option<Row> = sqlx::query_as(
                    "SELECT d.seq, d.id, e.url, e.secret_sealed, d.payload, d.attempts, d.created_at
                       FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                      WHERE d.seq = $1",
                )
                .bind(seq)
                .fetch_optional(&mut *tx)
                .await?;
                rows.extend(row);
            }
            tx.commit().await?;
            rows
        });
        rows.into_iter()
            .map(|(seq, id, url, sealed, payload, attempts, created_at)| {
                Ok(DueDelivery {
                    seq,
                    id,
                    url,
                    secret: self.key.open_secret(WEBHOOK_SECRET, &sealed)?,
                    payload,
                    attempts,
                    created_at,
                })
            })
            .collect()
    }

    /// The end of an attempt on delivery `seq`.
    pub async fn record_webhook_attempt(
        &self,
        seq: i64,
        attempted: &Attempted,
    ) -> Result<(), StoreError> {
        let (status, next, reply) = match attempted {
            Attempted::Delivered(reply) => (DeliveryStatus::Delivered, None, reply),
            Attempted::Retry { at, reply } => (DeliveryStatus::Pending, Some(*at), reply),
            Attempted::GaveUp(reply) => (DeliveryStatus::Failed, None, reply),
        };
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE webhook_deliveries
                    SET status = $1, next_attempt_at = COALESCE($2, next_attempt_at),
                        lease_until = NULL, last_reply = $3
                  WHERE seq = $4",
            )
            .bind(status.key())
            .bind(next)
            .bind(reply)
            .bind(seq)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}
