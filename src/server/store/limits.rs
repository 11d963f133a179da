//! Limits over a sliding window (wrong sign-in tokens, test sends per session, whose turn
//! the scheduled check is), kept in
//! the database so that they hold across every instance together. Each event is a row;
//! a count and its insert run under one lock row, so two instances cannot both take the
//! last place.

use std::time::Duration;

use crate::server::store::{throttle, Store, StoreError};

/// The named row every limit's transaction locks first.
const LIMITS_LOCK: &str = "limits";
/// Events older than this are deleted whatever their bucket (every window is shorter: the
/// longest is the scheduled checks' interval, at most a week).
const LONGEST_WINDOW_MS: i64 = 8 * 24 * 60 * 60 * 1000;

/// A limit that is full: the wait until its oldest event leaves the window.
#[derive(Debug, PartialEq, Eq)]
pub struct Limited(pub Duration);

impl Store {
    /// Takes a place in `bucket` (at most `limit` events within `window` before `now`,
    /// Unix ms), or says how long to wait.
    pub async fn take_place(
        &self,
        bucket: &str,
        limit: usize,
        window: Duration,
        now: i64,
    ) -> Result<Result<(), Limited>, StoreError> {
        let window = i64::try_from(window.as_millis()).unwrap_or(LONGEST_WINDOW_MS);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let _: i64 = sqlx::query_scalar(throttle::LOCK)
                .bind(LIMITS_LOCK)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM limit_event WHERE at <= $1 OR (bucket = $2 AND at <= $3)")
                .bind(now - LONGEST_WINDOW_MS)
                .bind(bucket)
                .bind(now - window)
                .execute(&mut *tx)
                .await?;
            let (count, oldest): (i64, Option<i64>) =
                sqlx::query_as("SELECT COUNT(*), MIN(at) FROM limit_event WHERE bucket = $1")
                    .bind(bucket)
                    .fetch_one(&mut *tx)
                    .await?;
            if count >= limit {
                tx.commit().await?;
                let wait = oldest.map_or(window, |at| at + window - now).clamp(0, window);
                return Ok(Err(Limited(Duration::from_millis(
                    u64::try_from(wait).unwrap_or_default(),
                ))));
            }
            sqlx::query("INSERT INTO limit_event (bucket, at) VALUES ($1, $2)")
                .bind(bucket)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Ok(()))
        })
    }

    /// Whether `bucket` is full at `now`, without taking a place.
    pub async fn is_full(
        &self,
        bucket: &str,
        limit: usize,
        window: Duration,
        now: i64,
    ) -> Result<bool, StoreError> {
        let window = i64::try_from(window.as_millis()).unwrap_or(LONGEST_WINDOW_MS);
        let count: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM limit_event WHERE bucket = $1 AND at > $2")
                .bind(bucket)
                .bind(now - window)
                .fetch_one(pool)
                .await?
        });
        Ok(usize::try_from(count).unwrap_or(usize::MAX) >= limit)
    }
}
