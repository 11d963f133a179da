//! The server watching the saved credential on its own: a scheduled check every
//! `SMTP_SETUP_CHECK_INTERVAL` (a fresh token, inspected; recorded in the history; with a
//! monitoring address, a whole test email to it at most once a day instead), and
//! once a day a log line while the credential is within 30 days of its end. A change
//! from working to failing is logged at warn level; `/healthz` reports the last check.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch::{self, Receiver};

use crate::api::report::{TestKind, TestOutcome, TestReport};
use crate::api::saved::{ExpiryLevel, ExpiryNotice, ExpirySource};
use crate::domain::{AuthType, SmtpForm};
use crate::server::check::Checks;
use crate::server::saved_config;
use crate::server::store::Store;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// The last scheduled check, for `/healthz`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastCheck {
    /// RFC 3339, UTC.
    pub at: String,
    pub passed: bool,
    /// Our summary (English) of a failure.
    pub summary: Option<String>,
}

/// The limits' bucket of the scheduled checks.
const SCHEDULED_CHECKS: &str = "scheduled_checks";

pub struct Watch {
    store: Arc<Store>,
    checks: Arc<Checks>,
    interval: Option<Duration>,
    last: watch::Sender<Option<LastCheck>>,
}

impl Watch {
    pub fn new(store: Arc<Store>, checks: Arc<Checks>, interval: Option<Duration>) -> Self {
        Self {
            store,
            checks,
            interval,
            last: watch::Sender::new(None),
        }
    }

    pub fn last_check(&self) -> Option<LastCheck> {
        self.last.borrow().clone()
    }

    /// Each scheduled check's result as it comes.
    pub fn subscribe(&self) -> Receiver<Option<LastCheck>> {
        self.last.subscribe()
    }

    /// Checks at start and then every interval, and logs the expiry at start and then
    /// daily, until `stopped` turns true.
    pub async fn run(self: Arc<Self>, mut stopped: Receiver<bool>) {
        let mut checks = self.interval.map(tokio::time::interval);
        if let Some(ticker) = checks.as_mut() {
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        }
        let mut daily = tokio::time::interval(DAY);
        daily.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let stop = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        tokio::pin!(stop);
        let interval = self.interval;
        loop {
            let check_due = async {
                match (checks.as_mut(), interval) {
                    (Some(ticker), Some(interval)) => {
                        ticker.tick().await;
                        interval
                    }
                    _ => std::future::pending().await,
                }
            };
            tokio::select! {
                () = &mut stop => return,
                interval = check_due => {
                    self.check_in_turn(interval).await;
                }
                _ = daily.tick() => self.log_expiry().await,
            }
        }
    }

    /// The scheduled check, when it is this instance's turn: instances on one database
    /// take turns (a place in the store's limits), so that together they check once per
    /// `interval`, not once each. `None` also when another instance checked within it.
    pub async fn check_in_turn(&self, interval: Duration) -> Option<TestReport> {
        // A little short of the interval, so that this instance's own next tick, which
        // comes one interval later (or a few milliseconds early), always finds its turn.
        let window = interval.mul_f64(0.9);
        let now = crate::server::time::unix_millis(std::time::SystemTime::now());
        match self
            .store
            .take_place(SCHEDULED_CHECKS, 1, window, now)
            .await
        {
            Ok(Ok(())) => self.check_once().await,
            Ok(Err(_)) => {
                tracing::debug!("scheduled check: another instance checked within the interval");
                None
            }
            Err(error) => {
                tracing::warn!(%error, "scheduled check: the store cannot say whose turn it is");
                self.check_once().await
            }
        }
    }

    /// One scheduled check of the saved configuration (Microsoft only: a password has
    /// no token to ask for, and a login attempt would count against the mailbox).
    /// `None` when there is nothing to check.
    pub async fn check_once(&self) -> Option<TestReport> {
        self.check_once_at(SystemTime::now()).await
    }

    /// The check as it runs at `now`: the clock that says whether the day's test email
    /// is due, and when the check is recorded.
    pub async fn check_once_at(&self, now: SystemTime) -> Option<TestReport> {
        let saved = self
            .store
            .load()
            .await
            .inspect_err(|error| tracing::error!(%error, "scheduled check: cannot read the store"))
            .ok()?;
        if saved.version == 0 || saved.form.auth_type != AuthType::MicrosoftOAuth2 {
            return None;
        }
        let stored = saved_config::stored_secrets_for(&self.store, &saved.form)
            .await
            .inspect_err(
                |error| tracing::error!(%error, "scheduled check: cannot open the secrets"),
            )
            .ok()?;
        // With a monitoring address, once a day the check is a whole test email.
        let send_due = !saved.form.monitor_to.trim().is_empty()
            && !self
                .store
                .recorded_within_a_day(TestKind::ScheduledSend, now)
                .await
                .unwrap_or(true);
        let (kind, report) = if send_due {
            let form = SmtpForm {
                send_test_to: saved.form.monitor_to.clone(),
                ..saved.form.clone()
            };
            let report = self.checks.send_test(&form, &stored).await;
            (TestKind::ScheduledSend, report)
        } else {
            let report = self.checks.credential_check(&saved.form, &stored).await;
            (TestKind::ScheduledCheck, report)
        };
        crate::server::metrics::checked(kind, &report);
        let entry = crate::server::history::entry(kind, AuthType::MicrosoftOAuth2, &report);
        if let Some(entry) = &entry {
            if let Err(error) = self.store.record_test(entry, now).await {
                tracing::error!(%error, "cannot record the scheduled check in the history");
            }
        }
        let passed = matches!(
            report.outcome,
            TestOutcome::TokenIssued { .. } | TestOutcome::Sent { .. }
        );
        let summary = match &report.outcome {
            TestOutcome::Failed(failure) => Some(failure.summary.en.clone()),
            TestOutcome::Invalid(errors) => Some(errors.to_string()),
            _ => None,
        };
        let previous = self.last.send_replace(Some(LastCheck {
            at: crate::api::relay::utc(crate::server::time::unix_millis(now)),
            passed,
            summary: summary.clone(),
        }));
        let passed_before = previous.map(|last| last.passed);
        match (passed_before, passed) {
            (Some(true) | None, false) => tracing::warn!(
                summary = summary.as_deref().unwrap_or_default(),
                "the scheduled check of the saved configuration failed: applications cannot send"
            ),
            (Some(false), false) => tracing::info!(
                summary = summary.as_deref().unwrap_or_default(),
                "the scheduled check still fails"
            ),
            (Some(false), true) => tracing::info!("the scheduled check passes again"),
            (_, true) => tracing::debug!("scheduled check passed"),
        }
        Some(report)
    }

    /// The daily line about a credential near its end.
    async fn log_expiry(&self) {
        let Ok(saved) = saved_config::load(&self.store, SystemTime::now()).await else {
            return;
        };
        if let Some(notice) = saved.expiry.filter(|n| n.level() != ExpiryLevel::Quiet) {
            tracing::warn!(
                date = %notice.date,
                days_left = notice.days_left,
                "{}",
                expiry_line(&notice)
            );
        }
    }
}

/// One line about a credential's end, for the log and `/healthz`.
pub fn expiry_line(notice: &ExpiryNotice) -> String {
    let what = match notice.source {
        ExpirySource::Certificate => "the certificate",
        ExpirySource::Administrator | ExpirySource::Graph => "the client secret",
    };
    match notice.days_left {
        i64::MIN..=-1 => format!(
            "{what} expired {} days ago, on {}",
            -notice.days_left, notice.date
        ),
        0 => format!("{what} expires within 24 hours, on {}", notice.date),
        days => format!("{what} expires in {days} days, on {}", notice.date),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_expiry_line_says_the_days_left_or_past() {
        let notice = |days_left| ExpiryNotice {
            date: "2027-03-31".into(),
            ends_at: 1_806_451_200,
            days_left,
            source: ExpirySource::Certificate,
        };
        assert_eq!(
            expiry_line(&notice(12)),
            "the certificate expires in 12 days, on 2027-03-31"
        );
        assert_eq!(
            expiry_line(&notice(0)),
            "the certificate expires within 24 hours, on 2027-03-31"
        );
        assert_eq!(
            expiry_line(&notice(-3)),
            "the certificate expired 3 days ago, on 2027-03-31"
        );
    }
}
