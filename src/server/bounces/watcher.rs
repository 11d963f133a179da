//! The mailbox watcher: every `SMTP_SETUP_BOUNCE_INTERVAL` (instances on one database
//! take turns, as for the scheduled check), the saved configuration's INBOX is visited
//! read-only and the delivery reports that arrived since are stored with the messages
//! they name. A visit that fails is logged in the mailbox check's words and tried again
//! at the next turn from where the last one stopped: nothing is skipped. With
//! `SMTP_SETUP_BOUNCE_FOLDER`, the reports are then moved there, once recorded.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch::Receiver;

use crate::api::report::TestOutcome;
use crate::domain::AuthType;
use crate::server::check::Checks;
use crate::server::saved_config;
use crate::server::store::reports::Recorded;
use crate::server::store::Store;
use crate::server::time::{every, unix_millis};

/// The limits' bucket of the visits.
const VISITS: &str = "bounce_visits";
/// Batches read in one turn at most (each [`crate::server::check::reports::BATCH`]
/// messages); a mailbox further behind catches up over the next turns.
const BATCHES_PER_TURN: usize = 20;

pub struct BounceWatch {
    store: Arc<Store>,
    checks: Arc<Checks>,
    interval: Option<Duration>,
    /// Where recorded reports are moved (`SMTP_SETUP_BOUNCE_FOLDER`); `None`: only read.
    folder: Option<String>,
}

impl BounceWatch {
    pub fn new(
        store: Arc<Store>,
        checks: Arc<Checks>,
        interval: Option<Duration>,
        folder: Option<String>,
    ) -> Self {
        Self {
            store,
            checks,
            interval,
            folder,
        }
    }

    /// A visit every interval, the first one interval after start (reports take minutes
    /// to come; a restart need not read at once), until `stopped` turns true.
    pub async fn run(self: Arc<Self>, stopped: Receiver<bool>) {
        let Some(interval) = self.interval else {
            return;
        };
        every(interval, interval, stopped, || async {
            self.visit_in_turn(interval).await;
        })
        .await;
    }

    /// A visit when it is this instance's turn (see `Watch::check_in_turn`).
    pub async fn visit_in_turn(&self, interval: Duration) -> Option<Recorded> {
        let window = interval.mul_f64(0.9);
        let now = unix_millis(SystemTime::now());
        match self.store.take_place(VISITS, 1, window, now).await {
            Ok(Ok(())) => self.visit().await,
            Ok(Err(_)) => None,
            Err(error) => {
                tracing::warn!(%error, "delivery reports: the store cannot say whose turn it is");
                None
            }
        }
    }

    /// Reads what arrived since the last visit, batch after batch; what was stored.
    /// `None` when there is nothing to read (no Microsoft configuration saved) or the
    /// visit failed.
    pub async fn visit(&self) -> Option<Recorded> {
        let saved = self
            .store
            .load()
            .await
            .inspect_err(|error| tracing::error!(%error, "delivery reports: cannot read the store"))
            .ok()?;
        if saved.version == 0 || saved.form.auth_type != AuthType::MicrosoftOAuth2 {
            return None;
        }
        let stored = saved_config::stored_secrets_for(&self.store, &saved.form)
            .await
            .inspect_err(
                |error| tracing::error!(%error, "delivery reports: cannot open the secrets"),
            )
            .ok()?;
        let mailbox = saved.form.email_address.trim().to_ascii_lowercase();
        let mut total = Recorded::default();
        for _ in 0..BATCHES_PER_TURN {
            let since = self
                .store
                .mailbox_position(&mailbox)
                .await
                .inspect_err(
                    |error| tracing::error!(%error, "delivery reports: cannot read the position"),
                )
                .ok()?;
            let now = SystemTime::now();
            let (report, visit) = self
                .checks
                .read_reports(&saved.form, &stored, since, now)
                .await;
            let Some(visit) = visit else {
                if let TestOutcome::Failed(failure) = &report.outcome {
                    tracing::warn!(
                        summary = %failure.summary.en,
                        fix = %failure.fix.en,
                        "delivery reports: the mailbox could not be read"
                    );
                }
                return None;
            };
            let recorded = self
                .store
                .record_reports(&mailbox, visit.position, &visit.reports, unix_millis(now))
                .await
                .inspect_err(|error| tracing::error!(%error, "delivery reports: cannot store them"))
                .ok()?;
            crate::server::metrics::reports_read(recorded.matched, recorded.unmatched);
            if recorded != Recorded::default() {
                tracing::info!(
                    matched = recorded.matched,
                    unmatched = recorded.unmatched,
                    "delivery reports read"
                );
            }
            // Moved only once recorded: a move that fails leaves them in INBOX, read.
            if let (Some(folder), false) = (&self.folder, visit.report_uids.is_empty()) {
                let moved = self
                    .checks
                    .move_reports(&saved.form, &stored, visit.report_uids.clone(), folder)
                    .await;
                if let TestOutcome::Failed(failure) = &moved.outcome {
                    tracing::warn!(
                        summary = %failure.summary.en,
                        detail = %failure.detail,
                        "delivery reports: recorded, but not moved to their folder"
                    );
                }
            }
            total.matched += recorded.matched;
            total.unmatched += recorded.unmatched;
            if !visit.more {
                break;
            }
        }
        Some(total)
    }
}
