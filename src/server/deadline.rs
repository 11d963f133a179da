//! One time budget for a whole test send, shared by its steps: each step gets its own
//! bound, cut short so that the sum never exceeds the total.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

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
