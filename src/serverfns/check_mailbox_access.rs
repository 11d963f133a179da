use leptos::prelude::*;

use crate::api::codec::Json;
use crate::api::saved::TestAnswer;
use crate::api::ApiError;
use crate::domain::SmtpForm;

/// Checks that the application can read the mailbox over IMAP with the form's values
/// (an empty secret field takes the stored secret): the token, its `IMAP.AccessAsApp`
/// role, TLS, `AUTHENTICATE XOAUTH2`, INBOX opened read-only. Counted with the test
/// emails against the session's limit.
#[server(prefix = "/api", endpoint = "check_mailbox_access", input = Json, output = Json)]
pub async fn check_mailbox_access(form: SmtpForm) -> Result<TestAnswer, ApiError> {
    use crate::api::report::TestKind;

    crate::serverfns::context::server_context()?
        .run_check(TestKind::MailboxAccess, &form)
        .await
}
