//! The mailbox check: the form parsed as for a test email, the token (the same one
//! serves IMAP and SMTP, so the cache is shared) inspected for `IMAP.AccessAsApp`, then
//! IMAP over TLS up to INBOX opened read-only and a clean logout.

use crate::api::report::{Failure, Step, TestOutcome, TestReport};
use crate::domain::{MicrosoftOAuthConfig, SmtpForm, StoredSecrets};
use crate::server::check::token::{Attempted, Target, TokenSource};
use crate::server::check::{failed, Checks, Recorder, StepFailed};
use crate::server::config::Endpoint;
use crate::server::diagnosis;
use crate::server::imap::{self, Examined, ImapError};
use crate::server::microsoft::token_inspection::IMAP_ROLE;

/// Exchange Online's IMAP port: TLS from the first byte, the same in every cloud.
const IMAPS_PORT: u16 = 993;

impl Checks {
    /// The whole mailbox check; never an `Err` the page would have to guess about.
    pub async fn mailbox_access(&self, form: &SmtpForm, stored: &StoredSecrets) -> TestReport {
        self.microsoft_only(
            &Step::MAILBOX_ACCESS,
            form,
            stored,
            |mut run, config| async move {
                let mailbox = config.sender.mailbox.to_string();
                let outcome = match self.open_mailbox(&mut run, &config).await {
                    Ok(examined) => {
                        tracing::info!(%mailbox, messages = examined.messages, "mailbox opened");
                        TestOutcome::MailboxOpened {
                            mailbox,
                            messages: examined.messages,
                        }
                    }
                    Err(failure) => failed("mailbox access", failure),
                };
                (run, outcome)
            },
        )
        .await
    }

    async fn open_mailbox(
        &self,
        run: &mut Recorder,
        config: &MicrosoftOAuthConfig,
    ) -> Result<Examined, Failure> {
        let endpoint = self.imap_override.clone().unwrap_or_else(|| Endpoint {
            host: config.cloud.imap_host().to_owned(),
            port: IMAPS_PORT,
        });
        let target = self.tokens.target(config)?;
        let (target, endpoint) = (&target, &endpoint);
        self.tokens
            .with_retry(
                run,
                target,
                (Step::ImapAuthenticate, "AUTHENTICATE"),
                |mut attempt, source| async move {
                    let result = self
                        .token_then_imap(&mut attempt, config, target, source, endpoint)
                        .await;
                    (attempt, result)
                },
            )
            .await
    }

    async fn token_then_imap(
        &self,
        run: &mut Recorder,
        config: &MicrosoftOAuthConfig,
        target: &Target,
        source: TokenSource,
        endpoint: &Endpoint,
    ) -> Result<Examined, Attempted> {
        let obtained = self
            .tokens
            .ready(run, config, target, IMAP_ROLE, source)
            .await?;
        let mut session = imap::Session::new(endpoint.clone(), self.tls.clone());
        let user = config.sender.mailbox.as_str();
        let opened = self
            .imap_dialogue(run, &mut session, user, obtained.token.expose())
            .await;
        run.transcript(session.into_transcript());
        let server = endpoint.to_string();
        opened.map_err(|failed| Attempted {
            failure: diagnosis::imap::failure(
                &failed,
                &diagnosis::imap::Context {
                    server: &server,
                    config,
                },
            ),
            cached: obtained.cached,
        })
    }

    async fn imap_dialogue(
        &self,
        run: &mut Recorder,
        session: &mut imap::Session,
        user: &str,
        token: &str,
    ) -> Result<Examined, StepFailed<ImapError>> {
        let bound = self.timeouts.step;
        run.step(Step::ImapConnect, bound, session.connect())
            .await?;
        run.step(Step::ImapTls, bound, session.secure()).await?;
        run.step(Step::ImapCapabilities, bound, session.capabilities())
            .await?;
        run.step(
            Step::ImapAuthenticate,
            bound,
            session.authenticate(user, token),
        )
        .await?;
        let examined = run.step(Step::Examine, bound, session.examine()).await?;
        run.step(Step::Logout, bound, session.logout()).await?;
        Ok(examined)
    }
}
