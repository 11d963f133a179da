use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::codec::Json;
use super::report::TestReport;
use super::saved::HistoryEntry;
use super::ApiError;
use crate::domain::SmtpForm;

/// A test's report, and the recent tests when this one joined them: one round trip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestAnswer {
    pub report: TestReport,
    /// `None` when the history did not change (nothing was sent) or cannot be read.
    pub history: Option<Vec<HistoryEntry>>,
}

/// Sends a test email with the form's values (an empty secret field takes the stored
/// secret). The report (sent, invalid input, a failure with its step and fix, or too many
/// tests) is always `Ok`: an `Err` means the call itself could not be made.
#[server(prefix = "/api", endpoint = "send_test_email", input = Json, output = Json)]
pub async fn send_test_email(form: SmtpForm) -> Result<TestAnswer, ApiError> {
    use super::report::TestKind;

    super::context::server_context()?
        .run_check(TestKind::SendTest, &form)
        .await
}
