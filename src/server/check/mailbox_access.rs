//! The mailbox check: the form parsed as for a test email, the token (the same one
//! serves IMAP and SMTP, so the cache is shared) inspected for `IMAP.AccessAsApp`, then
//! IMAP over TLS up to INBOX opened read-only and a clean logout.

use std::future::Future;

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

/// What is done in INBOX once it is open, before the logout.
pub(super) trait InMailbox: Sync {
    type Output;
    fn read<'a>(
        &'a self,
        run: &'a mut Recorder,
        session: &'a mut imap::Session,
        examined: Examined,
    ) -> impl Future<Output = Result<Self::Output, StepFailed<ImapError>>> + Send + 'a;
}

/// The mailbox check: opening it is all.
struct JustExamine;

impl InMailbox for JustExamine {
    type Output = Examined;
    async fn read(
        &self,
        _: &mut Recorder,
        _: &mut imap::Session,
        examined: Examined,
    ) -> Result<Examined, StepFailed<ImapError>> {
        Ok(examined)
    }
}

impl Checks {
    /// The whole mailbox check; never an `Err` the page would have to guess about.
    pub async fn mailbox_access(&self, form: &SmtpForm, stored: &StoredSecrets) -> TestReport {
        self.microsoft_only(
            &Step::MAILBOX_ACCESS,
            form,
            stored,
            |mut run, config| async move {
                let mailbox = config.sender.mailbox.to_string();
                let outcome = match self.open_mailbox(&mut run, &config, JustExamine).await {
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

    /// INBOX opened read-only as `config`'s mailbox (a cached token refused is retried
    /// once with a fresh one), `read` done in it, and a clean logout; or the failure in
    /// words.
    pub(super) async fn open_mailbox<T>(
        &self,
        run: &mut Recorder,
        config: &MicrosoftOAuthConfig,
        read: impl InMailbox<Output = T>,
    ) -> Result<T, Failure> {
        let endpoint = self.imap_override.clone().unwrap_or_else(|| Endpoint {
            host: config.cloud.imap_host().to_owned(),
            port: IMAPS_PORT,
        });
        let target = self.tokens.target(config)?;
        let (target, endpoint, read) = (&target, &endpoint, &read);
        self.tokens
            .with_retry(
                run,
                target,
                (Step::ImapAuthenticate, "AUTHENTICATE"),
                |mut attempt, source| async move {
                    let result = self
                        .token_then_imap(&mut attempt, config, target, source, endpoint, read)
                        .await;
                    (attempt, result)
                },
            )
            .await
    }

    async fn token_then_imap<T>(
        &self,
        run: &mut Recorder,
        config: &MicrosoftOAuthConfig,
        target: &Target,
        source: TokenSource,
        endpoint: &Endpoint,
        read: &impl InMailbox<Output = T>,
    ) -> Result<T, Attempted> {
        let obtained = self
            .tokens
            .ready(run, config, target, IMAP_ROLE, source)
            .await?;
        let mut session = imap::Session::new(endpoint.clone(), self.tls.clone());
        let user = config.sender.mailbox.as_str();
        let opened = self
            .imap_dialogue(run, &mut session, user, obtained.token.expose(), read)
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

    async fn imap_dialogue<T>(
        &self,
        run: &mut Recorder,
        session: &mut imap::Session,
        user: &str,
        token: &str,
        read: &impl InMailbox<Output = T>,
    ) -> Result<T, StepFailed<ImapError>> {
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
        let read = read.read(run, session, examined).await?;
        run.step(Step::Logout, bound, session.logout()).await?;
        Ok(read)
    }
}
