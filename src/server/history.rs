//! The test history: one entry per check that reached a server, for "Recent tests".

use crate::api::report::{TestKind, TestOutcome, TestReport};
use crate::api::saved::HistoryEntry;
use crate::domain::AuthType;
use crate::server::store::Store;

/// What a test leaves in the history: sends and failures; refused inputs and refused
/// tests (too many) never reached a server, so they leave nothing.
pub fn entry(kind: TestKind, auth_type: AuthType, report: &TestReport) -> Option<HistoryEntry> {
    let failure = match &report.outcome {
        TestOutcome::Sent { .. }
        | TestOutcome::MailboxOpened { .. }
        | TestOutcome::TokenIssued { .. } => None,
        TestOutcome::Failed(failure) => Some(failure),
        TestOutcome::Invalid(_) | TestOutcome::RateLimited { .. } => return None,
    };
    Some(HistoryEntry {
        at: String::new(),
        kind,
        auth_type,
        recipient: report.recipient.clone().unwrap_or_default(),
        passed: failure.is_none(),
        step: failure.map(|f| f.step),
        code: failure.and_then(|f| f.code.clone()),
        summary: failure.map(|f| f.summary.clone()),
    })
}

/// Records the test, then reads the history back for the page; `None` when nothing was
/// recorded or the store failed (the report still reaches the page, the error the log).
pub async fn after_test(
    store: &Store,
    kind: TestKind,
    auth_type: AuthType,
    report: &TestReport,
) -> Option<Vec<HistoryEntry>> {
    let entry = entry(kind, auth_type, report)?;
    if let Err(error) = store
        .record_test(&entry, std::time::SystemTime::now())
        .await
    {
        tracing::error!(%error, "cannot record the test in the history");
        return None;
    }
    store
        .history()
        .await
        .inspect_err(|error| tracing::error!(%error, "cannot read the test history"))
        .ok()
}
