//! Time as the server keeps it: instants as the store, the tokens and the assertions
//! write them (whole seconds or milliseconds since the Unix epoch; 0 before it,
//! `i64::MAX` past its range), and one time budget for a whole check, shared by its
//! steps (each step gets its own bound, cut short so that the sum never exceeds the
//! total).

use std::future::Future;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

pub fn unix_seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub fn unix_millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[derive(Clone, Copy, Debug)]
pub struct Deadline(Instant);

/// The step did not finish within the bound it was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedOut(pub Duration);

impl Deadline {
    pub fn after(total: Duration) -> Self {
        Self(Instant::now() + total)
    }

    /// The bound for a step: its own limit, or what is left of the total if less.
    pub fn limit(&self, step: Duration) -> Duration {
        step.min(self.0.saturating_duration_since(Instant::now()))
    }

    /// Runs `future` for at most [`Self::limit`]`(step)`.
    pub async fn run<F: Future>(&self, step: Duration, future: F) -> Result<F::Output, TimedOut> {
        let limit = self.limit(step);
        tokio::time::timeout(limit, future)
            .await
            .map_err(|_| TimedOut(limit))
    }
}
