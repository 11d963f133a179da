//! What every server function needs from the server: the application's state, provided
//! for each call by the router (`edge::startup`), and the session the guard found.

use leptos::prelude::*;

use crate::api::report::{TestKind, TestReport};
use crate::api::{ApiError, TestAnswer};
use crate::domain::SmtpForm;
use crate::server::admin::SessionKey;
use crate::server::app_state::AppState;

pub struct ServerContext {
    pub state: AppState,
    pub session: SessionKey,
}

pub fn server_context() -> Result<ServerContext, ApiError> {
    let state = use_context::<AppState>()
        .ok_or_else(|| ApiError::Unavailable("the server is not configured".to_owned()))?;
    let session = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<SessionKey>().copied())
        .ok_or(ApiError::SignedOut)?;
    Ok(ServerContext { state, session })
}

impl ServerContext {
    /// Runs one check with the form's values (an empty secret field takes the stored
    /// secret), counted against the session's limit, and records it in the history.
    pub async fn run_check(&self, kind: TestKind, form: &SmtpForm) -> Result<TestAnswer, ApiError> {
        let state = &self.state;
        if let Err(wait) = state.admin.allow_test_send(self.session).await? {
            return Ok(TestAnswer {
                report: TestReport::rate_limited(wait.as_secs().max(1)),
                history: None,
            });
        }
        let stored = crate::server::saved_config::stored_secrets_for(&state.store, form).await?;
        let report = match kind {
            TestKind::SendTest => state.checks.send_test(form, &stored).await,
            TestKind::MailboxAccess => state.checks.mailbox_access(form, &stored).await,
            TestKind::ScheduledCheck => state.checks.credential_check(form, &stored).await,
            TestKind::ScheduledSend => state.checks.send_test(form, &stored).await,
        };
        crate::server::metrics::checked(kind, &report);
        let history =
            crate::server::history::after_test(&state.store, kind, form.auth_type, &report).await;
        Ok(TestAnswer { report, history })
    }
}

/// What the page is told when the store fails: the store's words, while the log keeps
/// the whole error. (`ApiError` is made here and at the edge, never in the services.)
impl From<crate::server::store::StoreError> for ApiError {
    fn from(error: crate::server::store::StoreError) -> Self {
        tracing::error!(%error, "the store failed");
        ApiError::Unavailable(error.to_string())
    }
}

/// A certificate pair that could not be made or kept.
impl From<crate::server::certificate_credential::keep::KeepError> for ApiError {
    fn from(error: crate::server::certificate_credential::keep::KeepError) -> Self {
        tracing::error!(%error, "the certificate could not be kept");
        ApiError::Unavailable(error.to_string())
    }
}
