//! The connection slots to Exchange Online, shared by every instance through the store:
//! a worker opens a connection only while it holds a slot, so no more connections are
//! open at once than `SMTP_SETUP_RELAY_CONNECTIONS` (Exchange allows three per mailbox).
//! A slot is a lease, as a claimed message is: renewed while the connection is open,
//! given back when it closes, and free again once it runs out if its holder died.

use super::{throttle, Store, StoreError};

/// The throttle row every slot change locks first, so two instances never take the same
/// free slot.
const SLOTS: &str = "relay_slots";

impl Store {
    /// Takes a free slot for `worker` until `until`, or renews the one it holds: the
    /// slot's number, or `None` while all `slots` are held by others.
    pub async fn take_slot(
        &self,
        worker: &str,
        slots: u32,
        now: i64,
        until: i64,
    ) -> Result<Option<i64>, StoreError> {
        let slots = i64::from(slots);
        let taken = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query_scalar::<_, i64>(throttle::LOCK)
                .bind(SLOTS)
                .fetch_one(&mut *tx)
                .await?;
            for slot in 0..slots {
                sqlx::query("INSERT INTO relay_slots (slot) VALUES ($1) ON CONFLICT DO NOTHING")
                    .bind(slot)
                    .execute(&mut *tx)
                    .await?;
            }
            // Its own slot first, so a renewal never moves the worker to another.
            let free: Option<i64> = sqlx::query_scalar(
                "SELECT slot FROM relay_slots
                 WHERE slot < $1 AND (holder = $2 OR holder IS NULL OR lease_until < $3)
                 ORDER BY CASE WHEN holder = $2 THEN 0 ELSE 1 END, slot LIMIT 1",
            )
            .bind(slots)
            .bind(worker)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(slot) = free {
                sqlx::query("UPDATE relay_slots SET holder = $1, lease_until = $2 WHERE slot = $3")
                    .bind(worker)
                    .bind(until)
                    .bind(slot)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            free
        });
        Ok(taken)
    }

    /// Gives back the slot `worker` holds (its connection is closed).
    pub async fn release_slot(&self, worker: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE relay_slots SET holder = NULL, lease_until = 0 WHERE holder = $1")
                .bind(worker)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// When the first of the slots held by others runs out (Unix ms), if any is held.
    pub async fn next_slot_free_at(&self, slots: u32) -> Result<Option<i64>, StoreError> {
        let at = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT MIN(lease_until) FROM relay_slots WHERE slot < $1 AND holder IS NOT NULL",
            )
            .bind(i64::from(slots))
            .fetch_one(pool)
            .await?
        });
        Ok(at)
    }
}
