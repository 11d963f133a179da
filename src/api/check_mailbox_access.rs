use leptos::prelude::*;
use leptos::server_fn::codec::Json;

use super::send_test_email::TestAnswer;
use super::ApiError;
use crate::domain::SmtpForm;

/// Checks that the application can read the mailbox over IMAP with the form's values
/// (an empty secret field takes the stored secret): the token, its `IMAP.AccessAsApp`
/// role, TLS, `AUTHENTICATE XOAUTH2`, INBOX opened read-only. Counted with the test
/// emails against the session's limit.
#[server(prefix = "/api", endpoint = "check_mailbox_access", input = Json)]
pub async fn check_mailbox_access(form: SmtpForm) -> Result<TestAnswer, ApiError> {
    use super::report::{TestKind, TestReport};

    let ctx = super::context::server_context()?;
    let state = &ctx.state;
    if let Err(wait) = state.admin.allow_test_send(ctx.session) {
        return Ok(TestAnswer {
            report: TestReport::rate_limited(wait.as_secs().max(1)),
            history: None,
        });
    }
    let stored = crate::server::saved_config::stored_secrets_for(&state.store, &form).await?;
    let report = state.checks.mailbox_access(&form, &stored).await;
    let history = crate::server::history::after_test(
        &state.store,
        TestKind::MailboxAccess,
        form.auth_type,
        &report,
    )
    .await;
    Ok(TestAnswer { report, history })
}
