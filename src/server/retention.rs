//! Retention: every hour (instances on one database take turns), what has been kept long
//! enough is dropped (see `store::retention`): delivered messages' bodies after
//! `SMTP_SETUP_RETENTION_DAYS`, then finished messages' rows, the test history and
//! finished webhook deliveries after `SMTP_SETUP_RECORD_RETENTION_DAYS`. Batch after
//! batch, each its own short transaction, so the relay keeps accepting meanwhile.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch::Receiver;

use crate::server::config::Retention;
use crate::server::store::{Store, StoreError};
use crate::server::time::{every, unix_millis};

/// Rows one statement drops at most (its time: BENCHMARKS.md, "Retention").
pub const BATCH: u32 = 500;
/// How often a run comes.
pub const EVERY: Duration = Duration::from_secs(60 * 60);
/// The first run, after start: not in the way of the start itself.
const FIRST_AFTER: Duration = Duration::from_secs(60);
/// The limits' bucket of the runs.
const RUNS: &str = "retention_runs";
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What one run dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    pub bodies: u64,
    pub messages: u64,
    pub history: u64,
    pub webhook_deliveries: u64,
}

pub struct Retainer {
    store: Arc<Store>,
    retention: Retention,
    /// Rows a statement drops at most ([`BATCH`]).
    batch: u32,
}

impl Retainer {
    pub fn new(store: Arc<Store>, retention: Retention) -> Self {
        Self {
            store,
            retention,
            batch: BATCH,
        }
    }

    /// With batches of `rows` (at least one) instead of [`BATCH`].
    pub fn in_batches_of(self, rows: u32) -> Self {
        Self {
            batch: rows.max(1),
            ..self
        }
    }

    /// A run every hour, the first a minute after start, until `stopped` turns true.
    pub async fn run(self: Arc<Self>, stopped: Receiver<bool>) {
        if self.retention.body_days.is_none() && self.retention.record_days.is_none() {
            return;
        }
        every(FIRST_AFTER, EVERY, stopped, || self.run_in_turn()).await;
    }

    /// A run when it is this instance's turn (see `Watch::check_in_turn`).
    async fn run_in_turn(&self) {
        let now = unix_millis(SystemTime::now());
        match self
            .store
            .take_place(RUNS, 1, EVERY.mul_f64(0.9), now)
            .await
        {
            Ok(Ok(())) => match self.run_once(now).await {
                Ok(dropped) if dropped != Dropped::default() => {
                    tracing::info!(?dropped, "retention: dropped what was kept long enough");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "retention: the store refused a batch"),
            },
            Ok(Err(_)) => {}
            Err(error) => {
                tracing::warn!(%error, "retention: the store cannot say whose turn it is");
            }
        }
    }

    /// Drops, at `now` (ms), everything older than its retention.
    pub async fn run_once(&self, now: i64) -> Result<Dropped, StoreError> {
        let mut dropped = Dropped::default();
        let (store, batch) = (&self.store, self.batch);
        if let Some(days) = self.retention.body_days {
            let before = now - i64::from(days) * DAY_MS;
            dropped.bodies =
                batches(|| store.drop_delivered_bodies(before, now, batch), batch).await?;
        }
        if let Some(days) = self.retention.record_days {
            let before = now - i64::from(days) * DAY_MS;
            dropped.messages =
                batches(|| store.drop_finished_messages(before, batch), batch).await?;
            dropped.history = batches(|| store.drop_old_history(before, batch), batch).await?;
            dropped.webhook_deliveries =
                batches(|| store.drop_old_webhook_deliveries(before, batch), batch).await?;
        }
        Ok(dropped)
    }
}

/// Runs `one` until a batch drops fewer than `batch` rows, letting other tasks (the
/// relay's writes) run between two; how many in all.
async fn batches<F, Fut>(mut one: F, batch: u32) -> Result<u64, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64, StoreError>>,
{
    let mut total = 0;
    loop {
        let dropped = one().await?;
        total += dropped;
        if dropped < u64::from(batch) {
            return Ok(total);
        }
        tokio::task::yield_now().await;
    }
}
