//! The test send: the form parsed against the stored secrets, a token and its
//! inspection (Microsoft OAuth2), then the SMTP dialogue up to the server accepting the
//! message. Returns the report the page renders; never an `Err` the page would have to
//! guess about.

use std::time::{Duration, SystemTime};

use lettre::address::Envelope;

use super::delivery::KeptConnection;
use super::token::{Attempted, Target, TokenSource};
use super::{every_field_valid, failed, Checks, Recorder};
use crate::api::report::{Failure, Step, TestOutcome, TestReport};
use crate::domain::{MicrosoftOAuthConfig, PasswordConfig, SendConfig, SmtpForm, StoredSecrets};
use crate::server::diagnosis;
use crate::server::message;
use crate::server::settings::Endpoint;
use crate::server::smtp::{self, Credentials, Destination, Security};
use crate::server::token_inspection::SMTP_ROLE;

/// Microsoft 365's SMTP submission port (STARTTLS), the same in every cloud.
const SUBMISSION_PORT: u16 = 587;

/// QUIT after the message was accepted: a failure changes nothing for the administrator.
const QUIT_BOUND: Duration = Duration::from_secs(2);

/// What one send carries, and where: a test message, or a relayed one.
pub(super) struct Outgoing<'a> {
    pub destination: Destination,
    pub envelope: Envelope,
    pub message: std::borrow::Cow<'a, [u8]>,
    /// The DATA step's bound: a large relayed message takes longer than a test.
    pub data_bound: Duration,
    /// Where a delivery leaves its connection open for the next message (the relay),
    /// with the version of the configuration it is opened with; `None`: QUIT after the
    /// message (a test).
    pub keep: Option<(&'a KeptConnection, i64)>,
    pub context: diagnosis::smtp::Context<'a>,
}

impl Checks {
    /// The whole test: one parse of the form (an empty secret field takes the stored
    /// secret), then the steps of its authentication type.
    pub async fn send_test(&self, form: &SmtpForm, stored: &StoredSecrets) -> TestReport {
        let mut run = Recorder::new(Step::plan(form.auth_type), self.timeouts.total);
        let parsed = form
            .parse(stored)
            .map(|config| (config, every_field_valid()));
        let (outcome, recipient) = match run.record(Step::Inputs, parsed) {
            Err(refused) => {
                let errors = refused.error;
                tracing::info!(fields = ?errors.labels(), "test send refused: invalid input");
                (TestOutcome::Invalid(errors), None)
            }
            Ok(config) => {
                let recipient = config.sender().recipient.to_string();
                let outcome = match self.send(&mut run, &config).await {
                    Ok(()) => {
                        tracing::info!(%recipient, "test email sent");
                        TestOutcome::Sent {
                            recipient: recipient.clone(),
                        }
                    }
                    Err(failure) => failed("test send", failure),
                };
                (outcome, Some(recipient))
            }
        };
        run.report(outcome, recipient)
    }

    async fn send(&self, run: &mut Recorder, config: &SendConfig) -> Result<(), Failure> {
        let destination = self.destination(config);
        let server = destination.endpoint.to_string();
        let email = message::build(&message::Context {
            config,
            smtp_server: server.clone(),
            sent_at: SystemTime::now(),
        })
        .map_err(|e| diagnosis::internal(Step::Inputs, &e))?;
        let outgoing = Outgoing {
            destination,
            envelope: email.envelope().clone(),
            message: email.formatted().into(),
            data_bound: self.timeouts.step,
            keep: None,
            context: diagnosis::smtp::Context {
                server: &server,
                mailbox: config.sender().mailbox.as_str(),
                auth: config.auth_type(),
            },
        };
        self.send_outgoing(run, config, &outgoing).await
    }

    /// Where `config` sends: the cloud's submission host (or the override) for OAuth2,
    /// the configured server for a password.
    pub(super) fn destination(&self, config: &SendConfig) -> Destination {
        match config {
            SendConfig::MicrosoftOAuth2(microsoft) => Destination {
                endpoint: self.smtp_override.clone().unwrap_or_else(|| Endpoint {
                    host: microsoft.cloud.smtp_host().to_owned(),
                    port: SUBMISSION_PORT,
                }),
                security: Security::StartTls,
            },
            SendConfig::Password(password) => Destination {
                endpoint: Endpoint {
                    host: password.host.as_str().to_owned(),
                    port: password.port.get(),
                },
                security: password.security,
            },
        }
    }

    /// The authentication of `config`, then the SMTP dialogue for `outgoing`.
    pub(super) async fn send_outgoing(
        &self,
        run: &mut Recorder,
        config: &SendConfig,
        outgoing: &Outgoing<'_>,
    ) -> Result<(), Failure> {
        match config {
            SendConfig::MicrosoftOAuth2(microsoft) => {
                self.send_microsoft(run, microsoft, outgoing).await
            }
            SendConfig::Password(password) => self.send_password(run, password, outgoing).await,
        }
    }

    async fn send_microsoft(
        &self,
        run: &mut Recorder,
        config: &MicrosoftOAuthConfig,
        outgoing: &Outgoing<'_>,
    ) -> Result<(), Failure> {
        let target = self.tokens.target(config)?;
        let target = &target;
        self.tokens
            .with_retry(
                run,
                target,
                (Step::Authenticate, "AUTH"),
                |mut attempt, source| async move {
                    let result = self
                        .token_then_send(&mut attempt, config, target, source, outgoing)
                        .await;
                    (attempt, result)
                },
            )
            .await
    }

    async fn token_then_send(
        &self,
        run: &mut Recorder,
        config: &MicrosoftOAuthConfig,
        target: &Target,
        source: TokenSource,
        outgoing: &Outgoing<'_>,
    ) -> Result<(), Attempted> {
        let obtained = self
            .tokens
            .ready(run, config, target, SMTP_ROLE, source)
            .await?;
        let credentials = Credentials::XOAuth2 {
            user: config.sender.mailbox.as_str(),
            token: obtained.token.expose(),
        };
        self.send_message(run, outgoing, &credentials)
            .await
            .map_err(|failure| Attempted {
                failure,
                cached: obtained.cached,
            })
    }

    async fn send_password(
        &self,
        run: &mut Recorder,
        config: &PasswordConfig,
        outgoing: &Outgoing<'_>,
    ) -> Result<(), Failure> {
        let credentials = Credentials::Password {
            username: config.username.as_str(),
            password: config.password.secret(),
        };
        self.send_message(run, outgoing, &credentials).await
    }

    /// The SMTP dialogue, a recorded step per method of the session; its transcript is
    /// kept whatever happens. After the message, QUIT, or the open session is kept.
    async fn send_message(
        &self,
        run: &mut Recorder,
        outgoing: &Outgoing<'_>,
        credentials: &Credentials<'_>,
    ) -> Result<(), Failure> {
        let mut session = smtp::Session::new(outgoing.destination.clone(), self.tls.clone());
        let sent = self
            .smtp_dialogue(run, &mut session, outgoing, credentials)
            .await;
        match (sent, outgoing.keep) {
            (Ok(()), Some((keep, version))) => {
                keep.put(session, version);
                Ok(())
            }
            (sent, _) => {
                if sent.is_ok() {
                    let _ = run.deadline().run(QUIT_BOUND, session.quit()).await;
                }
                run.transcript(session.into_transcript());
                sent.map_err(|failed| diagnosis::smtp::failure(&failed, &outgoing.context))
            }
        }
    }

    async fn smtp_dialogue(
        &self,
        run: &mut Recorder,
        session: &mut smtp::Session,
        outgoing: &Outgoing<'_>,
        credentials: &Credentials<'_>,
    ) -> Result<(), super::StepFailed<smtp::SmtpError>> {
        let bound = self.timeouts.step;
        run.step(Step::Connect, bound, session.connect()).await?;
        run.step(Step::StartTls, bound, session.secure()).await?;
        let mechanism = run.record(Step::Capabilities, session.mechanism(credentials))?;
        run.step(
            Step::Authenticate,
            bound,
            session.authenticate(credentials, mechanism),
        )
        .await?;
        run.step(Step::Envelope, bound, session.envelope(&outgoing.envelope))
            .await?;
        run.step(
            Step::Data,
            outgoing.data_bound,
            session.data(&outgoing.message),
        )
        .await?;
        Ok(())
    }
}
