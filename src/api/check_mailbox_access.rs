use leptos::prelude::*;

use super::codec::Json;
use super::send_test_email::TestAnswer;
use super::ApiError;
use crate::domain::SmtpForm;

/// Checks that the application can read the mailbox over IMAP with the form's values
/// (an empty secret field takes the stored secret): the token, its `IMAP.AccessAsApp`
/// role, TLS, `AUTHENTICATE XOAUTH2`, INBOX opened read-only. Counted with the test
/// emails against the session's limit.
#[server(prefix = "/api", endpoint = "check_mailbox_access", input = Json, output = Json)]
pub async fn check_mailbox_access(form: SmtpForm) -> Result<TestAnswer, ApiError> {
    use super::report::TestKind;

    super::context::server_context()?
        .run_check(TestKind::MailboxAccess, &form)
        .await
}
