use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::SmtpForm;
use crate::report::TestReport;

/// Sends a test email with the form's values (an empty secret field takes the stored
/// secret). The report (sent, invalid input, a failure with its step and fix, or too many
/// tests) is always `Ok`: an `Err` means the call itself could not be made.
#[server(prefix = "/api", endpoint = "send_test_email", input = Json)]
pub async fn send_test_email(form: SmtpForm) -> Result<TestReport, ServerFnError> {
    use crate::report::{TestOutcome, TestReport};
    use crate::saved::HistoryEntry;
    use crate::server::configuration::with_stored_secrets;

    let ctx = super::context::server_context()?;
    if let Err(wait) = ctx.admin.allow_test_send(ctx.session) {
        return Ok(TestReport {
            outcome: TestOutcome::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            },
            steps: Vec::new(),
            transcript: Vec::new(),
        });
    }
    let filled = with_stored_secrets(&ctx.store, &form)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    let report = ctx.sender.run(&filled).await;
    // Sends and failures go into the history; refused inputs never reached a server.
    let result = match &report.outcome {
        TestOutcome::Sent { recipient } => Some((recipient.clone(), None)),
        TestOutcome::Failed(failure) => {
            let recipient = filled.parse().map(|s| s.sender().recipient.to_string());
            Some((recipient.unwrap_or_default(), Some(failure)))
        }
        TestOutcome::Invalid(_) | TestOutcome::RateLimited { .. } => None,
    };
    let entry = result.map(|(recipient, failure)| HistoryEntry {
        at: String::new(),
        auth_type: form.auth_type.label().to_owned(),
        recipient,
        sent: failure.is_none(),
        step: failure.map(|f| f.step),
        code: failure.and_then(|f| f.code.clone()),
        detail: failure.map(|f| f.summary.clone()),
    });
    if let Some(entry) = entry {
        if let Err(e) = ctx.store.record_test(&entry).await {
            tracing::error!(error = %e, "cannot record the test in the history");
        }
    }
    Ok(report)
}
