//! Time as the server keeps it: instants as the store, the tokens and the assertions
//! write them (whole seconds or milliseconds since the Unix epoch; 0 before it,
//! `i64::MAX` past its range), one time budget for a whole check, shared by its steps
//! (each step gets its own bound, cut short so that the sum never exceeds the total),
//! and the loop of the tasks that come back at an interval.

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

/// Runs `tick` every `period`, the first time `first` from now, until `stopped` turns
/// true (looked at between ticks). A tick that runs late delays the next ones instead
/// of bunching them up.
pub async fn every<F, Fut>(
    first: Duration,
    period: Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    mut tick: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticker = tokio::time::interval_at(Instant::now() + first, period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stop = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return,
            _ = ticker.tick() => tick().await,
        }
    }
}
