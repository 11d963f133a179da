use leptos::prelude::*;

use crate::api::codec::Json;
use crate::api::saved::TestAnswer;
use crate::api::ApiError;
use crate::domain::SmtpForm;

/// Sends a test email with the form's values (an empty secret field takes the stored
/// secret). The report (sent, invalid input, a failure with its step and fix, or too many
/// tests) is always `Ok`: an `Err` means the call itself could not be made.
#[server(prefix = "/api", endpoint = "send_test_email", input = Json, output = Json)]
pub async fn send_test_email(form: SmtpForm) -> Result<TestAnswer, ApiError> {
    use crate::api::report::TestKind;

    crate::serverfns::context::server_context()?
        .run_check(TestKind::SendTest, &form)
        .await
}
