//! Checks of a configuration against the real services: a sequence of protocol steps,
//! each bounded, timed and recorded by the one [`Recorder`], each failure turned into
//! words by `diagnosis`. Two so far: the test email (`test_send`, SMTP) and the mailbox
//! access (`mailbox_access`, IMAP); both begin with the token steps of [`token`].

pub mod delivery;
mod mailbox_access;
mod observed;
mod outgoing;
mod recorder;
pub mod reports;
mod scheduled;
mod secret_end;
pub mod test_message;
mod test_send;
pub mod token;

use std::future::Future;
use std::sync::Arc;

pub use crate::server::diagnosis::StepFailed;
pub use outgoing::{Content, KeptConnection};
pub use recorder::{every_field_valid, failed, Observed, Recorder};

use self::token::Tokens;
use crate::api::report::{Step, TestOutcome, TestReport};
use crate::domain::{MicrosoftOAuthConfig, SendConfig, SmtpForm, StoredSecrets};
use crate::server::config::{Endpoint, ServerSettings, Timeouts};
use crate::server::net::tls::{self, TlsSetupError};

/// What every check needs: the token client and its cache (one token serves SMTP and
/// IMAP), the TLS roots, where the mail goes, and the bounds.
pub struct Checks {
    tokens: Tokens,
    tls: Arc<rustls::ClientConfig>,
    /// Replaces the chosen cloud's SMTP host for OAuth2 sending (tests, relays).
    smtp_override: Option<Endpoint>,
    /// Replaces the chosen cloud's IMAP host of the mailbox check.
    imap_override: Option<Endpoint>,
    /// Replaces the chosen cloud's Microsoft Graph.
    graph_override: Option<reqwest::Url>,
    timeouts: Timeouts,
}

impl Checks {
    /// A check only Microsoft (OAuth2) has: the one parse of the form (its refusal, or a
    /// password configuration's, in words), then `check` with the parsed configuration,
    /// which owns the recording and hands it back with the outcome. The report names the
    /// mailbox.
    pub(super) async fn microsoft_only<F, A>(
        &self,
        plan: &'static [Step],
        form: &SmtpForm,
        stored: &StoredSecrets,
        check: F,
    ) -> TestReport
    where
        F: FnOnce(Recorder, MicrosoftOAuthConfig) -> A,
        A: Future<Output = (Recorder, TestOutcome)>,
    {
        let mut run = Recorder::new(plan, self.timeouts.total);
        let parsed = form
            .parse(stored)
            .map(|config| (config, every_field_valid()));
        match run.record(Step::Inputs, parsed) {
            Err(refused) => run.report(TestOutcome::Invalid(refused.error), None),
            Ok(SendConfig::Password(config)) => {
                let mailbox = config.sender.mailbox.to_string();
                let outcome =
                    TestOutcome::Failed(crate::server::diagnosis::imap::needs_microsoft());
                run.report(outcome, Some(mailbox))
            }
            Ok(SendConfig::MicrosoftOAuth2(config)) => {
                let mailbox = config.sender.mailbox.to_string();
                let (run, outcome) = check(run, config).await;
                run.report(outcome, Some(mailbox))
            }
        }
    }

    pub fn new(settings: &ServerSettings) -> Result<Self, TlsSetupError> {
        let pem = settings.extra_roots_pem.as_deref();
        Ok(Self {
            tokens: Tokens::new(
                pem,
                settings.timeouts.token,
                settings.authority_override.clone(),
            )?,
            tls: tls::client_config(pem)?,
            smtp_override: settings.smtp_override.clone(),
            imap_override: settings.imap_override.clone(),
            graph_override: settings.graph_override.clone(),
            timeouts: settings.timeouts,
        })
    }
}
