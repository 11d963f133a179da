//! What a test send and a relayed delivery share: where a message goes, the
//! authentication of the configuration, the SMTP dialogue step by step, and the
//! connection a delivery keeps open for the next message.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::address::Envelope;

use crate::api::report::{Failure, Step};
use crate::domain::{MicrosoftOAuthConfig, PasswordConfig, SendConfig};
use crate::server::check::token::{Attempted, Target, TokenSource};
use crate::server::check::{Checks, Recorder};
use crate::server::config::Endpoint;
use crate::server::diagnosis;
use crate::server::microsoft::token_inspection::SMTP_ROLE;
use crate::server::smtp::reply::Reply;
use crate::server::smtp::{self, Credentials, Destination, Security, SmtpError};
use crate::server::store::Store;

/// Microsoft 365's SMTP submission port (STARTTLS), the same in every cloud.
const SUBMISSION_PORT: u16 = 587;

/// QUIT after the message was accepted: a failure changes nothing for the administrator.
pub(super) const QUIT_BOUND: Duration = Duration::from_secs(2);

/// What one send carries, and where: a test message, or a relayed one.
pub(super) struct Outgoing<'a> {
    pub destination: Destination,
    pub envelope: Envelope,
    pub message: Content<'a>,
    /// The DATA step's bound: a large relayed message takes longer than a test.
    pub data_bound: Duration,
    /// Where a delivery leaves its connection open for the next message (the relay),
    /// with the version of the configuration it is opened with; `None`: QUIT after the
    /// message (a test).
    pub keep: Option<(&'a KeptConnection, i64)>,
    pub context: diagnosis::smtp::Context<'a>,
}

/// A message as DATA sends it.
pub enum Content<'a> {
    /// Built here, whole (the test message).
    Whole(Vec<u8>),
    /// A relayed message: its header section, then its body's pieces read from the store
    /// one at a time, so that a delivery holds one piece whatever the message's size.
    Stored {
        store: &'a Store,
        id: &'a str,
        head: &'a [u8],
        pieces: i64,
        size: u64,
    },
}

impl Content<'_> {
    pub fn size(&self) -> u64 {
        match self {
            Content::Whole(bytes) => bytes.len() as u64,
            Content::Stored { size, .. } => *size,
        }
    }

    /// DATA with this message; a piece the store cannot give ends the connection
    /// before the final dot, so no truncated message is ever accepted.
    pub(super) async fn send(&self, session: &mut smtp::Session) -> Result<Reply, SmtpError> {
        let mut stuffing = session.data_start(self.size()).await?;
        match self {
            Content::Whole(bytes) => session.data_piece(&mut stuffing, bytes).await?,
            Content::Stored {
                store,
                id,
                head,
                pieces,
                ..
            } => {
                session.data_piece(&mut stuffing, head).await?;
                for seq in 0..*pieces {
                    let piece = store
                        .read_piece(id, seq)
                        .await
                        .map_err(|e| SmtpError::Unreadable(Box::new(e)))?;
                    session.data_piece(&mut stuffing, &piece).await?;
                }
            }
        }
        session.data_end(stuffing).await
    }
}

/// A kept connection serves at most this many messages, and is not reused once older
/// than [`KEEP_AT_MOST`]: a long-lived connection meets server-side limits and idle
/// timeouts sooner or later.
const MESSAGES_PER_CONNECTION: u32 = 100;
const KEEP_AT_MOST: Duration = Duration::from_secs(5 * 60);

/// The authenticated connection the last delivery left open, for the next message:
/// consecutive messages skip the TCP, TLS and AUTH round trips.
#[derive(Default)]
pub struct KeptConnection(Mutex<Option<Open>>);

pub(super) struct Open {
    pub(super) session: smtp::Session,
    pub(super) opened: Instant,
    pub(super) messages: u32,
    /// The configuration it was opened with: a new save means a new connection.
    pub(super) version: i64,
}

impl KeptConnection {
    /// Called by the send that opened `session` with configuration `version` (its first
    /// message just went).
    pub(super) fn put(&self, session: smtp::Session, version: i64) {
        self.set(Some(Open {
            session,
            opened: Instant::now(),
            messages: 1,
            version,
        }));
    }

    pub(super) fn set(&self, open: Option<Open>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = open;
    }

    pub(super) fn take(&self) -> Option<Open> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// QUIT, when the worker has nothing more to send for now.
    pub async fn close(&self) {
        if let Some(mut open) = self.take() {
            let _ = tokio::time::timeout(QUIT_BOUND, open.session.quit()).await;
        }
    }
}

/// Whether a connection opened with configuration `opened_with`, which has carried
/// `messages` and is `age` old, may carry the next message of configuration `version`.
pub(super) fn reusable(opened_with: i64, version: i64, messages: u32, age: Duration) -> bool {
    opened_with == version && messages < MESSAGES_PER_CONNECTION && age < KEEP_AT_MOST
}

impl Checks {
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
    ) -> Result<(), crate::server::check::StepFailed<smtp::SmtpError>> {
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
            outgoing.message.send(session),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kept connection is reused only for the configuration it was opened with, for
    /// fewer than 100 messages and for less than 5 minutes.
    #[test]
    fn a_kept_connection_is_reused_within_its_limits_only() {
        let minute = Duration::from_secs(60);
        assert!(reusable(3, 3, 99, 4 * minute));
        assert!(!reusable(3, 4, 1, Duration::ZERO), "a new save");
        assert!(!reusable(3, 3, 100, Duration::ZERO), "100 messages");
        assert!(!reusable(3, 3, 1, 5 * minute), "5 minutes");
    }
}
