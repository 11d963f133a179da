use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use crate::domain::SmtpForm;
use crate::report::TestReport;

/// Sends a test email with the form's values. The report (outcome and checklist: sent,
/// invalid input, or a failure with its step and fix) is always `Ok`: an `Err` means the
/// call itself could not be made, never that the test failed.
#[server(prefix = "/api", endpoint = "send_test_email", input = Json)]
pub async fn send_test_email(form: SmtpForm) -> Result<TestReport, ServerFnError> {
    use std::sync::Arc;

    use crate::server::test_send::TestSender;

    let sender = use_context::<Arc<TestSender>>()
        .ok_or_else(|| ServerFnError::new("the test sender is not configured"))?;
    Ok(sender.run(&form).await)
}
