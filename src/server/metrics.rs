//! What the server counts, for `/metrics` in the Prometheus text format (the
//! `metrics` facade, rendered by `metrics-exporter-prometheus`). Labels name steps,
//! outcomes and routes only: never an address, a tenant or a secret.

use std::sync::OnceLock;

use metrics::{counter, gauge};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::api::report::{TestKind, TestOutcome, TestReport};

/// The process's one recorder (several applications in one test process share it).
static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder once; `None` if another recorder was installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .inspect_err(|error| tracing::error!(%error, "metrics: no recorder"))
                .ok()
        })
        .as_ref()
}

/// A finished check (a test send, a mailbox check, a scheduled check): its kind, its
/// outcome, and for a failure the step.
pub fn checked(kind: TestKind, report: &TestReport) {
    let (outcome, step) = match &report.outcome {
        TestOutcome::Sent { .. }
        | TestOutcome::MailboxOpened { .. }
        | TestOutcome::TokenIssued { .. } => ("passed", ""),
        TestOutcome::Failed(failure) => ("failed", failure.step.key()),
        TestOutcome::Invalid(_) => ("invalid", ""),
        TestOutcome::RateLimited { .. } => ("rate_limited", ""),
    };
    counter!(
        "smtp_setup_checks_total",
        "kind" => kind.key(),
        "outcome" => outcome,
        "step" => step
    )
    .increment(1);
}

/// A token request that reached (or tried to reach) Entra ID.
pub fn token_requested(outcome: &'static str) {
    counter!("smtp_setup_token_requests_total", "outcome" => outcome).increment(1);
}

/// A token served from the cache.
pub fn token_cache_hit() {
    counter!("smtp_setup_token_cache_hits_total").increment(1);
}

/// A relay delivery attempt's end: `sent`, `retrying` or `failed`.
pub fn delivered(outcome: &'static str) {
    counter!("smtp_setup_relay_deliveries_total", "outcome" => outcome).increment(1);
}

/// Delivery reports read from the mailbox: those that named a message of the outbox and
/// those that named none.
pub fn reports_read(matched: u32, unmatched: u32) {
    for (matched, count) in [("true", matched), ("false", unmatched)] {
        counter!("smtp_setup_delivery_reports_total", "matched" => matched)
            .increment(u64::from(count));
    }
}

/// A message's write refused for lack of disk space.
pub fn store_out_of_space() {
    counter!("smtp_setup_store_out_of_space_total").increment(1);
}

/// An HTTP request answered, by route pattern (never the path itself).
pub fn http_request(route: &str, status: u16) {
    counter!(
        "smtp_setup_http_requests_total",
        "route" => route.to_owned(),
        "status" => status.to_string()
    )
    .increment(1);
}

/// What is read from the store at each scrape: the credential's end and the queue.
pub struct Snapshot {
    /// Seconds since the epoch; `None`: unknown (no date, or a password).
    pub credential_expiry: Option<i64>,
    pub queue_depth: u64,
    /// Seconds since the oldest undelivered message was accepted.
    pub oldest_message_age: f64,
}

/// The text of `/metrics`, with the store's snapshot set first.
pub fn render(snapshot: &Snapshot) -> Option<String> {
    let handle = handle()?;
    match snapshot.credential_expiry {
        Some(end) => gauge!("smtp_setup_credential_expiry_timestamp_seconds").set(end as f64),
        None => gauge!("smtp_setup_credential_expiry_timestamp_seconds").set(f64::NAN),
    }
    gauge!("smtp_setup_relay_queue_depth").set(snapshot.queue_depth as f64);
    gauge!("smtp_setup_relay_oldest_message_age_seconds").set(snapshot.oldest_message_age);
    Some(handle.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The operations page's metrics table row of `metric`.
    fn documented_row(metric: &str) -> &'static str {
        include_str!("../../docs/src/operations.md")
            .lines()
            .find(|line| line.starts_with(&format!("| `{metric}`")))
            .unwrap_or_else(|| panic!("the operations page's table has no row for {metric}"))
    }

    /// The labels the operations page's table promises are the ones the code emits: an alert
    /// written from the table sees every kind of check.
    #[test]
    fn the_readme_names_every_label_value() {
        let checks = documented_row("smtp_setup_checks_total");
        for kind in TestKind::ALL {
            assert!(
                checks.contains(&format!("`{}`", kind.key())),
                "{kind:?}: {checks}"
            );
        }
        for outcome in ["passed", "failed", "invalid", "rate_limited"] {
            assert!(
                checks.contains(&format!("`{outcome}`")),
                "{outcome}: {checks}"
            );
        }
        let tokens = documented_row("smtp_setup_token_requests_total");
        for outcome in [
            "issued",
            "refused",
            "timeout",
            "unreachable",
            "unexpected",
            "unsigned",
        ] {
            assert!(
                tokens.contains(&format!("`{outcome}`")),
                "{outcome}: {tokens}"
            );
        }
        let reports = documented_row("smtp_setup_delivery_reports_total");
        for matched in ["true", "false"] {
            assert!(
                reports.contains(&format!("`{matched}`")),
                "{matched}: {reports}"
            );
        }
        let deliveries = documented_row("smtp_setup_relay_deliveries_total");
        for status in [
            crate::api::relay::MessageStatus::Sent,
            crate::api::relay::MessageStatus::Retrying,
            crate::api::relay::MessageStatus::Failed,
        ] {
            assert!(
                deliveries.contains(&format!("`{}`", status.key())),
                "{status:?}: {deliveries}"
            );
        }
    }
}
