//! What is dropped with age, a small batch per statement so that the relay's own writes
//! (one writer at a time on SQLite) never wait long behind a delete: the body of a
//! delivered message (its header section and pieces; the row keeps the envelope, the
//! subject, the attempts and the reports), then finished messages' rows with their
//! reports, the test history and finished webhook deliveries.
//!
//! Each batch picks its rows again (`… LIMIT $n` in a subquery), so a run that stops
//! half-way, or two instances running at once, leave nothing half-dropped: a message's
//! pieces and its body's mark go in one transaction.

use crate::api::relay::utc;
use crate::server::store::{Store, StoreError};

/// The statuses of a message that was handed to Exchange: its body is no longer needed.
const DELIVERED: &str = "('sent', 'bounced', 'delayed')";
/// The statuses of a message the relay is done with (a failed one can still be retried
/// by the admin until its row goes).
const FINISHED: &str = "('sent', 'bounced', 'delayed', 'failed')";

impl Store {
    /// Drops the bodies of at most `batch` messages delivered before `before` (ms),
    /// marking them dropped at `now`; how many.
    pub async fn drop_delivered_bodies(
        &self,
        before: i64,
        now: i64,
        batch: u32,
    ) -> Result<u64, StoreError> {
        let chosen = format!(
            "SELECT seq FROM outbox WHERE status IN {DELIVERED} AND finished_at < $1
               AND body_dropped_at IS NULL ORDER BY finished_at LIMIT $2"
        );
        let pieces = format!(
            "DELETE FROM message_pieces WHERE message_id IN
               (SELECT id FROM outbox WHERE seq IN ({chosen}))"
        );
        let mark = format!(
            "UPDATE outbox SET message = $3, pieces = 0, body_dropped_at = $4
             WHERE seq IN ({chosen})"
        );
        let dropped;
        on_pool_tx!(self, tx => {
            sqlx::query(&pieces)
                .bind(before)
                .bind(i64::from(batch))
                .execute(&mut *tx)
                .await?;
            dropped = sqlx::query(&mark)
                .bind(before)
                .bind(i64::from(batch))
                .bind(Vec::<u8>::new())
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        });
        Ok(dropped)
    }

    /// Deletes at most `batch` messages finished before `before` (ms), with their pieces
    /// and delivery reports; how many.
    pub async fn drop_finished_messages(&self, before: i64, batch: u32) -> Result<u64, StoreError> {
        let chosen = format!(
            "SELECT seq FROM outbox WHERE status IN {FINISHED} AND finished_at < $1
             ORDER BY finished_at LIMIT $2"
        );
        let ids = format!("SELECT id FROM outbox WHERE seq IN ({chosen})");
        let deleted;
        on_pool_tx!(self, tx => {
            for child in ["message_pieces WHERE message_id", "delivery_reports WHERE outbox_id"] {
                sqlx::query(&format!("DELETE FROM {child} IN ({ids})"))
                    .bind(before)
                    .bind(i64::from(batch))
                    .execute(&mut *tx)
                    .await?;
            }
            deleted = sqlx::query(&format!("DELETE FROM outbox WHERE seq IN ({chosen})"))
                .bind(before)
                .bind(i64::from(batch))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        });
        Ok(deleted)
    }

    /// Deletes at most `batch` tests of the history made before `before` (ms); how many.
    pub async fn drop_old_history(&self, before: i64, batch: u32) -> Result<u64, StoreError> {
        // The history keeps its instants as UTC text, which sorts as time does.
        let before = utc(before);
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM test_history WHERE id IN
                   (SELECT id FROM test_history WHERE at < $1 ORDER BY at LIMIT $2)",
            )
            .bind(&before)
            .bind(i64::from(batch))
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }

    /// Deletes at most `batch` webhook deliveries made before `before` (ms) that are
    /// delivered or given up (never one still to be tried); how many.
    pub async fn drop_old_webhook_deliveries(
        &self,
        before: i64,
        batch: u32,
    ) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM webhook_deliveries WHERE seq IN
                   (SELECT seq FROM webhook_deliveries
                    WHERE status IN ('delivered', 'failed') AND created_at < $1
                    ORDER BY seq LIMIT $2)",
            )
            .bind(before)
            .bind(i64::from(batch))
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}
