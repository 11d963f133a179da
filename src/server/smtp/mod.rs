//! SMTP submission one step at a time, so that a failure names the step it happened in
//! and the administrator sees the dialogue as it was. The dialogue is ours rather than
//! lettre's: lettre hides the wire (no transcript, no TLS details) and gives up on the
//! server's XOAUTH2 error challenge instead of answering it to read the final reply.

pub mod reply;
pub mod tls;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use lettre::address::Envelope;
use secrecy::{ExposeSecret as _, SecretString};

use self::reply::{Capabilities, Reply};
use self::tls::CertificateProblem;
use self::wire::{Transcript, Wire, WireError};
use super::checklist::Checklist;
use super::config::SmtpEndpoint;
use super::deadline::{Deadline, TimedOut};
pub use crate::domain::Security;
use crate::report::Step;

/// Who we authenticate as, and how.
pub enum Credentials<'a> {
    /// `AUTH XOAUTH2` with an Entra access token, as the mailbox.
    XOAuth2 { user: &'a str, token: &'a str },
    /// `AUTH PLAIN` (or `AUTH LOGIN` when PLAIN is not offered).
    Password {
        username: &'a str,
        password: &'a SecretString,
    },
}

impl Credentials<'_> {
    fn mechanisms(&self) -> &'static [&'static str] {
        match self {
            Credentials::XOAuth2 { .. } => &["XOAUTH2"],
            Credentials::Password { .. } => &["PLAIN", "LOGIN"],
        }
    }
}

pub struct SmtpClient {
    tls: Arc<rustls::ClientConfig>,
    step_timeout: Duration,
}

/// Where one test send goes.
#[derive(Clone, Debug)]
pub struct Destination {
    pub endpoint: SmtpEndpoint,
    pub security: Security,
}

#[derive(Debug, PartialEq, Eq)]
pub struct SmtpFailure {
    pub step: Step,
    pub kind: SmtpFailureKind,
}

#[derive(Debug, PartialEq, Eq)]
pub enum SmtpFailureKind {
    /// No complete answer within the step's bound.
    Timeout(Duration),
    /// The server answered with a negative reply (4xx/5xx).
    Reply { code: u16, text: String },
    /// TCP-level failure: DNS, refused, reset.
    Network(String),
    /// The server closed the connection.
    Closed,
    /// The server's certificate was refused.
    Certificate(CertificateProblem),
    /// The TLS handshake failed for another reason (protocol version, alert…).
    Tls(String),
    /// The server does not offer STARTTLS: we never send credentials in clear text.
    StartTlsNotOffered,
    /// The server (after TLS) offers none of the mechanisms we can use.
    AuthNotOffered {
        wanted: &'static str,
        offered: Vec<String>,
    },
    /// An answer that makes no sense at this point of the dialogue.
    Protocol(String),
}

impl std::fmt::Display for SmtpFailureKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SmtpFailureKind::Timeout(limit) => {
                write!(f, "no answer within {} s", limit.as_secs().max(1))
            }
            SmtpFailureKind::Reply { code, text } => write!(f, "{code} {text}"),
            SmtpFailureKind::Network(text)
            | SmtpFailureKind::Tls(text)
            | SmtpFailureKind::Protocol(text) => f.write_str(text),
            SmtpFailureKind::Closed => f.write_str("the server closed the connection"),
            SmtpFailureKind::Certificate(problem) => problem.fmt(f),
            SmtpFailureKind::StartTlsNotOffered => f.write_str("STARTTLS is not offered"),
            SmtpFailureKind::AuthNotOffered { wanted, offered } if offered.is_empty() => {
                write!(f, "AUTH {wanted} is not offered (no AUTH at all)")
            }
            SmtpFailureKind::AuthNotOffered { wanted, offered } => write!(
                f,
                "AUTH {wanted} is not offered (the server offers {})",
                offered.join(" ")
            ),
        }
    }
}

impl From<WireError> for SmtpFailureKind {
    fn from(error: WireError) -> Self {
        match error {
            // A peer that goes away mid-dialogue, TLS or not, has closed the connection.
            WireError::Io(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::UnexpectedEof
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::BrokenPipe
                ) =>
            {
                SmtpFailureKind::Closed
            }
            WireError::Io(e) => SmtpFailureKind::Network(e.to_string()),
            WireError::Closed => SmtpFailureKind::Closed,
            WireError::Certificate(problem) => SmtpFailureKind::Certificate(problem),
            WireError::Handshake(text) => SmtpFailureKind::Tls(text),
            other @ (WireError::LineTooLong
            | WireError::NotText
            | WireError::Reply(_)
            | WireError::DataBeforeHandshake) => SmtpFailureKind::Protocol(other.to_string()),
        }
    }
}

/// A step's outcome before it is recorded: its detail, or why it failed.
type StepOutcome<T> = Result<T, SmtpFailureKind>;

impl SmtpClient {
    pub fn new(extra_roots_pem: Option<&[u8]>, step_timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            tls: tls::client_config(extra_roots_pem)?,
            step_timeout,
        })
    }

    /// Connects, encrypts, authenticates and sends `message`, recording each step in
    /// `checklist` and each line in `transcript`. Success means the server accepted the
    /// message at the end of DATA.
    #[allow(clippy::too_many_arguments)]
    pub async fn send(
        &self,
        destination: &Destination,
        credentials: &Credentials<'_>,
        envelope: &Envelope,
        message: &[u8],
        deadline: &Deadline,
        checklist: &mut Checklist,
        transcript: &mut Transcript,
    ) -> Result<(), SmtpFailure> {
        let limit = self.step_timeout;
        let host = destination.endpoint.host.as_str();
        let mut record = |step: Step, outcome: Result<StepOutcome<String>, TimedOut>| {
            let outcome = outcome.unwrap_or_else(|TimedOut(l)| Err(SmtpFailureKind::Timeout(l)));
            match outcome {
                Ok(detail) => {
                    checklist.passed(step, detail);
                    Ok(())
                }
                Err(kind) => {
                    checklist.failed(step, kind.to_string());
                    Err(SmtpFailure { step, kind })
                }
            }
        };

        let opened = deadline.run(limit, open(destination, transcript)).await;
        let (mut wire, mut capabilities) = match opened {
            Ok(Ok((wire, capabilities, detail))) => {
                record(Step::Connect, Ok(Ok(detail)))?;
                (wire, capabilities)
            }
            Ok(Err(kind)) => return record(Step::Connect, Ok(Err(kind))),
            Err(timed_out) => return record(Step::Connect, Err(timed_out)),
        };

        // Encryption, then the capabilities offered over it.
        let encrypted = deadline
            .run(limit, async {
                let agreed = match destination.security {
                    Security::StartTls => {
                        if !capabilities.starttls {
                            return Err(SmtpFailureKind::StartTlsNotOffered);
                        }
                        expect(wire.command("STARTTLS").await?, |c| c == 220)?;
                        let agreed = wire.upgrade(self.tls.clone(), host).await?;
                        capabilities = ehlo(&mut wire).await?;
                        agreed
                    }
                    Security::ImplicitTls => {
                        let agreed = wire.upgrade(self.tls.clone(), host).await?;
                        capabilities = greet(&mut wire).await?;
                        agreed
                    }
                };
                Ok(format!("{agreed}; certificate valid for {host}"))
            })
            .await;
        record(Step::StartTls, encrypted)?;

        let mechanism = credentials
            .mechanisms()
            .iter()
            .copied()
            .find(|m| capabilities.offers_auth(m));
        let offered = match mechanism {
            Some(m) => Ok(Ok(format!(
                "AUTH {m} is offered by {}",
                capabilities.server
            ))),
            None => Ok(Err(SmtpFailureKind::AuthNotOffered {
                wanted: credentials.mechanisms()[0],
                offered: capabilities.auth.clone(),
            })),
        };
        record(Step::Capabilities, offered)?;
        let mechanism = mechanism.unwrap_or_default();

        let authenticated = deadline
            .run(limit, authenticate(&mut wire, credentials, mechanism))
            .await;
        record(Step::Authenticate, authenticated)?;

        let addressed = deadline
            .run(
                limit,
                send_envelope(&mut wire, envelope, capabilities.smtputf8),
            )
            .await;
        record(Step::Envelope, addressed)?;

        let accepted = deadline
            .run(limit, async {
                expect(wire.command("DATA").await?, |c| c == 354)?;
                let reply = expect(wire.message(message).await?, |c| c == 250)?;
                Ok(reply.to_string())
            })
            .await;
        record(Step::Data, accepted)?;

        // The message is accepted; a failing QUIT changes nothing for the administrator.
        let _ = deadline
            .run(Duration::from_secs(2), wire.command("QUIT"))
            .await;
        Ok(())
    }
}

/// TCP, and for STARTTLS the plain-text greeting and EHLO.
async fn open<'t>(
    destination: &Destination,
    transcript: &'t mut Transcript,
) -> StepOutcome<(Wire<'t>, Capabilities, String)> {
    let endpoint = &destination.endpoint;
    let mut wire = Wire::connect(&endpoint.host, endpoint.port, transcript).await?;
    match destination.security {
        Security::StartTls => {
            let capabilities = greet(&mut wire).await?;
            let detail = format!("{endpoint} answered as {}", capabilities.server);
            Ok((wire, capabilities, detail))
        }
        Security::ImplicitTls => {
            let detail = format!("TCP connection to {endpoint} open");
            Ok((wire, Capabilities::default(), detail))
        }
    }
}

/// The greeting (220) and EHLO.
async fn greet(wire: &mut Wire<'_>) -> StepOutcome<Capabilities> {
    expect(wire.read_reply().await?, |c| c == 220)?;
    ehlo(wire).await
}

async fn ehlo(wire: &mut Wire<'_>) -> StepOutcome<Capabilities> {
    let name = wire.hello_name();
    let reply = expect(wire.command(&format!("EHLO {name}")).await?, |c| c == 250)?;
    Ok(Capabilities::from_ehlo(&reply))
}

/// A reply with an expected code passes; a negative one is the server's refusal; any
/// other is out of place.
fn expect(reply: Reply, wanted: impl Fn(u16) -> bool) -> StepOutcome<Reply> {
    if wanted(reply.code) {
        Ok(reply)
    } else if reply.is_positive() {
        Err(SmtpFailureKind::Protocol(format!(
            "unexpected reply: {reply}"
        )))
    } else {
        Err(SmtpFailureKind::Reply {
            code: reply.code,
            text: reply.text(),
        })
    }
}

/// MAIL FROM and one RCPT TO per recipient, with SMTPUTF8 when an address needs it.
async fn send_envelope(
    wire: &mut Wire<'_>,
    envelope: &Envelope,
    smtputf8: bool,
) -> StepOutcome<String> {
    let from = envelope.from().map(|a| a.to_string()).unwrap_or_default();
    let non_ascii = std::iter::once(from.as_str())
        .chain(envelope.to().iter().map(AsRef::as_ref))
        .any(|address| !address.is_ascii());
    let parameter = if non_ascii && smtputf8 {
        " SMTPUTF8"
    } else {
        ""
    };
    let mut reply = expect(
        wire.command(&format!("MAIL FROM:<{from}>{parameter}"))
            .await?,
        |c| c == 250,
    )?;
    for recipient in envelope.to() {
        reply = expect(
            wire.command(&format!("RCPT TO:<{recipient}>")).await?,
            |c| c == 250 || c == 251,
        )?;
    }
    Ok(reply.to_string())
}

/// RFC 5321's limit for a command line, CRLF included.
const MAX_COMMAND_LINE: usize = 512;

/// What the transcript shows for a line carrying credentials.
const REDACTED: &str = "[redacted]";

async fn authenticate(
    wire: &mut Wire<'_>,
    credentials: &Credentials<'_>,
    mechanism: &str,
) -> StepOutcome<String> {
    let reply = match credentials {
        Credentials::XOAuth2 { user, token } => {
            let initial = xoauth2_initial_response(user, token);
            let reply = initial_response(wire, "XOAUTH2", &initial).await?;
            if reply.code == 334 {
                // The error challenge (base64 JSON): a positive 3xx cannot be the end;
                // an empty answer yields the real, negative, reply.
                wire.command("").await?
            } else {
                reply
            }
        }
        Credentials::Password { username, password } if mechanism == "PLAIN" => {
            let initial = base64(&format!("\0{username}\0{}", password.expose_secret()));
            initial_response(wire, "PLAIN", &initial).await?
        }
        Credentials::Password { username, password } => {
            expect(wire.command("AUTH LOGIN").await?, |c| c == 334)?;
            expect(
                wire.secret_command(&base64(username), REDACTED).await?,
                |c| c == 334,
            )?;
            wire.secret_command(&base64(password.expose_secret()), REDACTED)
                .await?
        }
    };
    Ok(expect(reply, |c| c == 235)?.to_string())
}

/// `AUTH <mechanism> <initial response>`. RFC 4954 section 4: when the initial response
/// would make the line longer than the server's limit, it is sent after the server's
/// empty 334 challenge instead. Real Entra tokens (1.5–3 KB) always take that form, which
/// is also the one Microsoft documents for Exchange Online.
async fn initial_response(
    wire: &mut Wire<'_>,
    mechanism: &str,
    initial: &str,
) -> Result<Reply, SmtpFailureKind> {
    if fits_on_auth_line(mechanism, initial) {
        return Ok(wire
            .secret_command(
                &format!("AUTH {mechanism} {initial}"),
                &format!("AUTH {mechanism} {REDACTED}"),
            )
            .await?);
    }
    let challenge = wire.command(&format!("AUTH {mechanism}")).await?;
    if challenge.code != 334 {
        return Ok(challenge);
    }
    Ok(wire.secret_command(initial, REDACTED).await?)
}

fn fits_on_auth_line(mechanism: &str, initial: &str) -> bool {
    "AUTH ".len() + mechanism.len() + 1 + initial.len() + 2 <= MAX_COMMAND_LINE
}

fn base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// `base64("user=" user "^Aauth=Bearer " token "^A^A")`, per Microsoft's and Google's
/// XOAUTH2 description.
pub fn xoauth2_initial_response(user: &str, token: &str) -> String {
    base64(&format!("user={user}\x01auth=Bearer {token}\x01\x01"))
}

#[cfg(test)]
mod tests {
    use super::{fits_on_auth_line, xoauth2_initial_response};

    #[test]
    fn long_initial_responses_wait_for_the_334_challenge() {
        let short = xoauth2_initial_response("a@contoso.com", "short-token");
        assert!(fits_on_auth_line("XOAUTH2", &short));
        // An Entra token is 1.5–3 KB: never on the AUTH line.
        let entra_sized = xoauth2_initial_response("a@contoso.com", &"x".repeat(1500));
        assert!(!fits_on_auth_line("XOAUTH2", &entra_sized));
        // The limit counts "AUTH XOAUTH2 " and CRLF: 512 octets in all.
        assert!(fits_on_auth_line("XOAUTH2", &"A".repeat(512 - 15)));
        assert!(!fits_on_auth_line("XOAUTH2", &"A".repeat(512 - 14)));
    }

    #[test]
    fn xoauth2_initial_response_matches_the_documented_example() {
        // The worked example from Microsoft's "Authenticate an IMAP, POP or SMTP
        // connection using OAuth" page.
        assert_eq!(
            xoauth2_initial_response("test@contoso.onmicrosoft.com", "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA"),
            "dXNlcj10ZXN0QGNvbnRvc28ub25taWNyb3NvZnQuY29tAWF1dGg9QmVhcmVyIEV3QkFBbDNCQUFVRkZwVUFvN0ozVmUwYmpMQldaV0NjbFJDM0VvQUEBAQ=="
        );
    }
}
