//! The delivery worker (one per instance): one at a time, each due message goes to
//! Exchange with the saved configuration. Sent: done. Refused for good (a 5xx to the
//! envelope or content): failed, with the server's words. Anything else waits and is
//! retried, from one minute to one hour apart with jitter, for a day. Messages are paced
//! to the mailbox's submission limit, across all instances (the store's claim).
//!
//! A worker holds the message it delivers under a lease, renewed while the delivery
//! lasts. A message being sent when its instance died is sent again: on SQLite (one
//! instance) at the next start, on PostgreSQL by any instance once the lease has run
//! out. At-least-once, never lost. An outcome the store cannot take (PostgreSQL down) is
//! offered again until it can, so that a sent message is not sent again for that.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::time::Instant;

use crate::api::relay::MessageStatus;
use crate::api::report::{Failure, Words};
use crate::domain::SendConfig;
use crate::server::check::delivery::Undelivered;
use crate::server::check::Checks;
use crate::server::check::{Content, KeptConnection};
use crate::server::diagnosis;
use crate::server::relay::Relay;
use crate::server::store::{Backend, Claim, Due, StoreError};
use crate::server::time::unix_millis;

const LONGEST_WAIT: Duration = Duration::from_secs(60 * 60);
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// Without a wake-up, the worker still looks at the outbox this often.
const IDLE_LOOK: Duration = Duration::from_secs(60);
/// After the store failed, the worker waits this long before looking again.
const STORE_PAUSE: Duration = Duration::from_secs(5);
/// A delivery's outcome the store refused is offered again this often: sooner than the
/// outbox is looked at, since the message is sent and only its record is missing.
const OUTCOME_PAUSE: Duration = Duration::from_secs(1);
/// While every connection slot is held by other instances, the worker looks again this
/// often (a slot given back is not announced across instances).
const SLOT_LOOK: Duration = Duration::from_secs(1);

/// Runs until `stop` turns true; a delivery under way is finished first.
pub async fn run(relay: Arc<Relay>, checks: Arc<Checks>, mut stop: watch::Receiver<bool>) {
    // On SQLite this is the only instance: what it was sending when it stopped is due
    // again now. On PostgreSQL another instance may be sending it: its lease decides.
    if relay.store.backend() == Backend::Sqlite {
        match relay.store.requeue_interrupted(now_millis()).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                messages = n,
                "messages interrupted mid-delivery by the last stop are sent again"
            ),
            Err(error) => tracing::error!(%error, "cannot look for interrupted deliveries"),
        }
    }
    let spacing = match relay.settings.sends_per_minute {
        0 => 0,
        n => millis(Duration::from_secs(60) / n),
    };
    let worker = worker_name();
    tracing::info!(%worker, "the delivery worker starts");
    let kept = KeptConnection::default();
    let mut swept_at: Option<Instant> = None;
    while !*stop.borrow() {
        let now = now_millis();
        let lease_until = now + millis(relay.settings.lease);
        // A connection only while this worker holds a slot: Exchange's limit holds
        // across all instances.
        let wait = match slot_wait(&relay, &kept, &worker, now, lease_until).await {
            Some(until) => Some(until),
            None => match relay
                .store
                .claim_due(now, &worker, lease_until, spacing)
                .await
            {
                Ok(Claim::Message(due)) => {
                    deliver(&relay, &checks, &kept, &worker, due, &stop).await;
                    None
                }
                Ok(Claim::Paced(until)) => Some(Instant::now() + until_millis(until)),
                Ok(Claim::Nothing) => {
                    // Nothing due: the kept connection is not held open while idle, nor its
                    // slot.
                    kept.close().await;
                    give_back_slot(&relay, &worker).await;
                    if swept_at.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
                        sweep_abandoned(&relay).await;
                        swept_at = Some(Instant::now());
                    }
                    let until = next_wake(&relay).await;
                    tokio::select! {
                        () = tokio::time::sleep_until(until) => {}
                        () = relay.wake.notified() => {}
                        _ = stop.changed() => {}
                    }
                    None
                }
                Err(error) => {
                    tracing::error!(%error, "the outbox cannot be read");
                    Some(Instant::now() + STORE_PAUSE)
                }
            },
        };
        // Paced, every slot held, or the store paused: only a stop ends the wait early.
        if let Some(until) = wait {
            tokio::select! {
                () = tokio::time::sleep_until(until) => {}
                _ = stop.changed() => {}
            }
        }
    }
    kept.close().await;
    give_back_slot(&relay, &worker).await;
}

/// `None` while this worker holds a connection slot (taken or renewed until
/// `lease_until`); else when to look again (with its connection closed): once the first
/// slot held by another runs out, within [`SLOT_LOOK`], or after [`STORE_PAUSE`] if the
/// store failed.
async fn slot_wait(
    relay: &Relay,
    kept: &KeptConnection,
    worker: &str,
    now: i64,
    lease_until: i64,
) -> Option<Instant> {
    let slots = relay.settings.connections;
    match relay.store.take_slot(worker, slots, now, lease_until).await {
        Ok(Some(_)) => None,
        Ok(None) => {
            kept.close().await;
            tracing::debug!(%worker, "every connection slot is held by another instance");
            let wait = match relay.store.next_slot_free_at(slots).await {
                Ok(Some(at)) => until_millis(at + 1).min(SLOT_LOOK),
                _ => SLOT_LOOK,
            };
            Some(Instant::now() + wait)
        }
        Err(error) => {
            tracing::error!(%error, "the connection slots cannot be read");
            Some(Instant::now() + STORE_PAUSE)
        }
    }
}

/// How often an idle worker takes away the pieces of messages abandoned mid-way.
const SWEEP_EVERY: Duration = Duration::from_secs(60 * 60);

/// Pieces of messages whose client went mid-way, or whose instance died while they
/// arrived: nothing names them, and their newest is an hour old.
async fn sweep_abandoned(relay: &Relay) {
    let before = now_millis() - crate::server::store::pieces::ABANDONED_AFTER_MS;
    match relay.store.sweep_pieces(before).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            pieces = n,
            "pieces of messages abandoned mid-way taken away"
        ),
        Err(error) => tracing::warn!(%error, "pieces of abandoned messages could not be swept"),
    }
}

/// Once the connection is closed. If the store cannot take it back now, the slot is free
/// again when its lease runs out.
async fn give_back_slot(relay: &Relay, worker: &str) {
    if let Err(error) = relay.store.release_slot(worker).await {
        tracing::warn!(%error, "a connection slot could not be given back; it is free once its lease runs out");
    }
}

/// This worker's name in the outbox's `claimed_by`: the host, the process and a random
/// part (a restarted process may get the same id).
fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "host".to_owned());
    let random = crate::server::store::sealing::random_bytes::<4>()
        .map(|bytes| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
        .unwrap_or_default();
    format!("{host}:{}:{random}", std::process::id())
}

fn until_millis(at: i64) -> Duration {
    Duration::from_millis(u64::try_from(at - now_millis()).unwrap_or(0))
}

/// When the earliest waiting message is due or a lease runs out (at most [`IDLE_LOOK`]
/// away). On PostgreSQL other instances queue messages and hold leases too, and their
/// wake-ups do not reach this worker: it looks again at least once per lease.
async fn next_wake(relay: &Relay) -> Instant {
    let now = now_millis();
    let look = match relay.store.backend() {
        Backend::Sqlite => IDLE_LOOK,
        Backend::Postgres => IDLE_LOOK.min(relay.settings.lease),
    };
    let wait = match relay.store.next_due_at().await {
        // A lease is over one millisecond after its end.
        Ok(Some(at)) => Duration::from_millis(u64::try_from(at + 1 - now).unwrap_or(0)),
        Ok(None) => look,
        Err(_) => STORE_PAUSE,
    };
    Instant::now() + wait.min(look)
}

async fn deliver(
    relay: &Relay,
    checks: &Checks,
    kept: &KeptConnection,
    worker: &str,
    due: Due,
    stop: &watch::Receiver<bool>,
) {
    let Due {
        id,
        accepted_at,
        mail_from,
        recipients,
        head,
        pieces,
        size,
        attempts,
    } = due;
    let message = Content::Stored {
        store: &relay.store,
        id: &id,
        head: &head,
        pieces,
        size: u64::try_from(size).unwrap_or_default(),
    };
    let attempt = async {
        match saved_config(relay).await {
            Ok((config, version)) => {
                checks
                    .deliver(kept, (&config, version), &mail_from, &recipients, message)
                    .await
            }
            Err(failure) => Err(Undelivered::Temporary(failure)),
        }
    };
    let result = tokio::select! {
        result = attempt => result,
        () = keep_lease(relay, worker, &id) => {
            // Another worker has the message now; it will send it (at-least-once).
            tracing::warn!(%id, "the lease on a message ran out mid-delivery; another worker has it");
            return;
        }
    };
    let now = now_millis();
    let (status, next, failure) = match result {
        Ok(()) => (MessageStatus::Sent, now, None),
        Err(Undelivered::Permanent(failure)) => (MessageStatus::Failed, now, Some(failure)),
        Err(Undelivered::Temporary(failure)) => {
            let next = now + millis(retry_delay(relay.settings.first_retry, attempts));
            if next - accepted_at > millis(GIVE_UP_AFTER) {
                let hours = GIVE_UP_AFTER.as_secs() / 3600;
                let failure = diagnosis::relay::gave_up(&failure, hours);
                (MessageStatus::Failed, now, Some(failure))
            } else {
                (MessageStatus::Retrying, next, Some(failure))
            }
        }
    };
    let words = failure.as_ref().map(last_error);
    let outcome = Outcome {
        id: &id,
        worker,
        status,
        now,
        next,
        words: words.as_ref(),
    };
    match record(relay, &outcome, stop.clone()).await {
        Some(true) => {}
        Some(false) => {
            tracing::warn!(%id, "a delivery's outcome came after another worker took the message over");
            return;
        }
        None => {
            // Stopped with the store away: sent again at the next start or once the
            // lease runs out (at-least-once).
            tracing::error!(%id, "the outcome of a delivery could not be stored before the stop");
            return;
        }
    }
    crate::server::metrics::delivered(status.key());
    // Logged once stored: a line that says "delivered" is never followed by a resend.
    match status {
        MessageStatus::Sent => tracing::info!(%id, attempts, "message delivered"),
        _ => tracing::warn!(
            %id,
            attempts,
            status = status.key(),
            error = words.as_ref().map(|w| w.en.as_str()).unwrap_or_default(),
            "message not delivered"
        ),
    }
}

/// What became of one delivery, as the outbox records it.
struct Outcome<'a> {
    id: &'a str,
    worker: &'a str,
    status: MessageStatus,
    now: i64,
    next: i64,
    words: Option<&'a Words>,
}

/// Stores the outcome, waiting for the store while it does not answer (PostgreSQL
/// restarted, say): an outcome given up would have the message sent again once its lease
/// runs out. Whether the message was still this worker's; `None` if the instance stops
/// first.
async fn record(
    relay: &Relay,
    outcome: &Outcome<'_>,
    mut stop: watch::Receiver<bool>,
) -> Option<bool> {
    loop {
        match relay
            .store
            .record_attempt(
                outcome.id,
                outcome.worker,
                outcome.status,
                outcome.now,
                outcome.next,
                outcome.words,
            )
            .await
        {
            Ok(stored) => return Some(stored),
            Err(error) => {
                tracing::error!(id = %outcome.id, %error, "the outcome of a delivery could not be stored yet");
            }
        }
        if *stop.borrow() {
            return None;
        }
        // A stop ends the wait; a closed channel (no one left to stop it) does not.
        tokio::select! {
            () = tokio::time::sleep(OUTCOME_PAUSE) => {}
            Ok(()) = stop.changed() => {}
        }
    }
}

/// Renews the lease on `id` every third of its length; returns only when the message
/// is no longer this worker's. A renewal the store refuses is tried again until the lease
/// itself has run out.
async fn keep_lease(relay: &Relay, worker: &str, id: &str) {
    let lease = relay.settings.lease;
    let mut held_until = now_millis() + millis(lease);
    loop {
        tokio::time::sleep(lease / 3).await;
        let now = now_millis();
        let until = now + millis(lease);
        // The connection's slot lasts as long as the message's lease.
        if let Err(error) = relay
            .store
            .take_slot(worker, relay.settings.connections, now, until)
            .await
        {
            tracing::warn!(%error, "a connection slot's lease could not be renewed");
        }
        match relay.store.renew_lease(id, worker, until).await {
            Ok(true) => held_until = until,
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(%id, %error, "a delivery's lease could not be renewed");
                if now_millis() >= held_until {
                    return;
                }
            }
        }
    }
}

/// The saved configuration with its secrets, parsed as a test send parses it, and its
/// version.
async fn saved_config(relay: &Relay) -> Result<(SendConfig, i64), Failure> {
    let stored = async {
        let saved = relay.store.load().await?;
        let secrets = relay.store.secrets().await?;
        Ok::<_, StoreError>((saved, secrets))
    };
    let (saved, secrets) = stored
        .await
        .map_err(|e| diagnosis::relay::unreadable_configuration(&e))?;
    if saved.version == 0 {
        return Err(diagnosis::relay::nothing_saved());
    }
    let config = saved
        .form
        .parse(&secrets)
        .map_err(|errors| diagnosis::relay::incomplete_configuration(&errors))?;
    Ok((config, saved.version))
}

/// What the Outbox shows: the server's own words when it gave any, else ours.
fn last_error(failure: &Failure) -> Words {
    if failure.detail.is_empty() {
        failure.summary.clone()
    } else {
        Words::same(failure.detail.clone())
    }
}

/// `first`, then twice as long each time (1, 2, 4 … minutes by default), at most an
/// hour, each within ±20 % so that messages refused together are not all retried in the
/// same second.
fn retry_delay(first: Duration, attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 16)).unwrap_or(16);
    let base = first.saturating_mul(1u32 << doublings).min(LONGEST_WAIT);
    let jitter =
        crate::server::store::sealing::random_bytes::<1>().map_or(0.5, |[b]| f64::from(b) / 255.0);
    base.mul_f64(0.8 + 0.4 * jitter)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn now_millis() -> i64 {
    unix_millis(SystemTime::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_from_a_minute_to_an_hour_with_jitter() {
        for (attempts, minutes) in [
            (1, 1.0),
            (2, 2.0),
            (3, 4.0),
            (6, 32.0),
            (7, 60.0),
            (40, 60.0),
        ] {
            let delay = retry_delay(Duration::from_secs(60), attempts).as_secs_f64() / 60.0;
            assert!(
                delay >= minutes * 0.8 - 1e-9 && delay <= minutes * 1.2 + 1e-9,
                "attempt {attempts}: {delay} minutes"
            );
        }
        // The jitter is there: fifty draws are not all the same.
        let draws: std::collections::BTreeSet<Duration> = (0..50)
            .map(|_| retry_delay(Duration::from_secs(60), 1))
            .collect();
        assert!(draws.len() > 1, "{draws:?}");
    }
}
