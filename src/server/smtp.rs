//! SMTP submission with STARTTLS and `AUTH XOAUTH2`, one step at a time, so that a
//! failure names the step it happened in. Built on lettre's connection type; the
//! XOAUTH2 exchange itself is done here because lettre gives up on the server's error
//! challenge (a 334 carrying a JSON status) instead of answering it and reading the
//! final reply, which is the reply an administrator needs to see.

use std::time::Duration;

use base64::Engine as _;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Mechanism;
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, Certificate, CertificateStore, TlsParameters,
};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{ClientId as HelloName, MailParameter};
use lettre::transport::smtp::response::Response;
use tokio::net::TcpStream;

use super::checklist::Checklist;
use super::config::SmtpEndpoint;
use super::deadline::{Deadline, TimedOut};
use super::entra::{error_chain, AccessToken};
use crate::domain::MailboxAddress;
use crate::report::Step;

pub struct SmtpClient {
    endpoint: SmtpEndpoint,
    tls: TlsParameters,
    hello: HelloName,
    step_timeout: Duration,
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
    /// TCP-level failure: DNS, refused, reset, closed.
    Network(String),
    /// The TLS handshake failed (certificate, protocol version…).
    Tls(String),
    /// The server does not offer STARTTLS: we never send a token in clear text.
    StartTlsNotOffered,
    /// The server (after STARTTLS) does not offer `AUTH XOAUTH2`.
    XOAuth2NotOffered { server: String },
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
            SmtpFailureKind::StartTlsNotOffered => f.write_str("STARTTLS is not offered"),
            SmtpFailureKind::XOAuth2NotOffered { server } => {
                write!(f, "AUTH XOAUTH2 is not offered ({server})")
            }
        }
    }
}

impl SmtpClient {
    pub fn new(
        endpoint: SmtpEndpoint,
        extra_roots_pem: Option<&[u8]>,
        step_timeout: Duration,
    ) -> Result<Self, String> {
        let mut tls = TlsParameters::builder(endpoint.host.clone())
            .certificate_store(CertificateStore::WebpkiRoots);
        if let Some(pem) = extra_roots_pem {
            let certificate =
                Certificate::from_pem(pem).map_err(|e| format!("SMTP_SETUP_CA_FILE: {e}"))?;
            tls = tls.add_root_certificate(certificate);
        }
        let tls = tls.build_rustls().map_err(|e| e.to_string())?;
        Ok(Self {
            endpoint,
            tls,
            hello: HelloName::default(),
            step_timeout,
        })
    }

    pub fn endpoint(&self) -> &SmtpEndpoint {
        &self.endpoint
    }

    /// Connects, upgrades with STARTTLS, authenticates as `login` with the token, and
    /// sends `message`, recording each step in `checklist`. Success means the server
    /// accepted the message at the end of DATA.
    pub async fn send_xoauth2(
        &self,
        login: &MailboxAddress,
        token: &AccessToken,
        envelope: &Envelope,
        message: &[u8],
        deadline: &Deadline,
        checklist: &mut Checklist,
    ) -> Result<(), SmtpFailure> {
        let step = self.step_timeout;
        let mut track = |name: Step, result: Result<String, SmtpFailure>| match result {
            Ok(detail) => {
                checklist.passed(name, detail);
                Ok(())
            }
            Err(failure) => {
                checklist.failed(name, failure.kind.to_string());
                Err(failure)
            }
        };

        let connected = match deadline.run(step, self.connect()).await {
            Err(TimedOut(limit)) => Err(failure(Step::Connect, SmtpFailureKind::Timeout(limit))),
            Ok(result) => result,
        };
        let mut connection = match connected {
            Ok(connection) => connection,
            Err(failure) => return track(Step::Connect, Err(failure)),
        };
        track(
            Step::Connect,
            Ok(format!(
                "{} answered as {}",
                self.endpoint,
                connection.server_info().name()
            )),
        )?;

        let upgraded = if connection.can_starttls() {
            bounded(
                Step::StartTls,
                deadline
                    .run(step, connection.starttls(self.tls.clone(), &self.hello))
                    .await,
            )
            .map(|()| format!("encrypted; certificate valid for {}", self.tls.domain()))
        } else {
            Err(failure(Step::StartTls, SmtpFailureKind::StartTlsNotOffered))
        };
        track(Step::StartTls, upgraded)?;

        let offered = if connection
            .server_info()
            .supports_auth_mechanism(Mechanism::Xoauth2)
        {
            Ok("AUTH XOAUTH2 is offered".to_owned())
        } else {
            Err(failure(
                Step::Capabilities,
                SmtpFailureKind::XOAuth2NotOffered {
                    server: connection.server_info().to_string(),
                },
            ))
        };
        track(Step::Capabilities, offered)?;

        let authenticated = bounded(
            Step::Authenticate,
            deadline
                .run(step, authenticate_xoauth2(&mut connection, login, token))
                .await,
        );
        track(Step::Authenticate, authenticated.map(|r| reply_text(&r)))?;

        let addressed = bounded(
            Step::Envelope,
            deadline
                .run(step, send_envelope(&mut connection, envelope))
                .await,
        );
        track(Step::Envelope, addressed.map(|r| reply_text(&r)))?;

        let accepted = bounded(
            Step::Data,
            deadline
                .run(step, send_data(&mut connection, message))
                .await,
        );
        track(Step::Data, accepted.map(|r| reply_text(&r)))?;

        // The message is accepted; a failing QUIT changes nothing for the administrator.
        let _ = deadline
            .run(Duration::from_secs(2), connection.quit())
            .await;
        Ok(())
    }
}

impl SmtpClient {
    /// TCP connect, banner and EHLO. The socket is ours rather than lettre's so that it
    /// can have TCP_NODELAY: lettre writes the message and its final dot separately, and
    /// with Nagle's algorithm the second write waits for a delayed ACK (40 ms on Linux).
    async fn connect(&self) -> Result<AsyncSmtpConnection, SmtpFailure> {
        let network =
            |e: std::io::Error| failure(Step::Connect, SmtpFailureKind::Network(e.to_string()));
        let tcp = TcpStream::connect((self.endpoint.host.as_str(), self.endpoint.port))
            .await
            .map_err(network)?;
        tcp.set_nodelay(true).map_err(network)?;
        AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
            .await
            .map_err(|e| classify(Step::Connect, &e))
    }
}

/// MAIL FROM and one RCPT TO per recipient, with SMTPUTF8 when an address needs it.
async fn send_envelope(
    connection: &mut AsyncSmtpConnection,
    envelope: &Envelope,
) -> Result<Response, lettre::transport::smtp::Error> {
    let non_ascii = envelope
        .from()
        .into_iter()
        .chain(envelope.to())
        .any(|address| !AsRef::<str>::as_ref(address).is_ascii());
    let parameters = if non_ascii {
        vec![MailParameter::SmtpUtfEight]
    } else {
        Vec::new()
    };
    let mut reply = connection
        .command(Mail::new(envelope.from().cloned(), parameters))
        .await?;
    for recipient in envelope.to() {
        reply = connection
            .command(Rcpt::new(recipient.clone(), Vec::new()))
            .await?;
    }
    Ok(reply)
}

/// DATA, then the message; the final reply is the server's acceptance. The message is
/// built by lettre's builder, which encodes every part as 7-bit safe text.
async fn send_data(
    connection: &mut AsyncSmtpConnection,
    message: &[u8],
) -> Result<Response, lettre::transport::smtp::Error> {
    connection.command(Data).await?;
    connection.message(message).await
}

fn reply_text(response: &Response) -> String {
    let text: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), text.join(" "))
}

/// RFC 5321's limit for a command line, CRLF included.
const MAX_COMMAND_LINE: usize = 512;

/// `AUTH XOAUTH2`. RFC 4954 section 4: when the initial response would make the command
/// line longer than the server's limit, it must not be sent on the AUTH line but after
/// the server's empty 334 challenge. Real Entra tokens (1.5–3 KB) always take that form,
/// which is also the one Microsoft documents for Exchange Online.
///
/// A 334 *after* the credentials is the server's error challenge (base64 JSON): it is
/// answered with an empty line, as the protocol requires, to receive the final reply
/// (e.g. `535 5.7.3 Authentication unsuccessful`).
async fn authenticate_xoauth2(
    connection: &mut AsyncSmtpConnection,
    login: &MailboxAddress,
    token: &AccessToken,
) -> Result<Response, lettre::transport::smtp::Error> {
    let initial = xoauth2_initial_response(login.as_str(), token.expose());
    let response = if fits_on_auth_line(&initial) {
        connection
            .command(format!("AUTH XOAUTH2 {initial}\r\n"))
            .await?
    } else {
        let challenge = connection.command("AUTH XOAUTH2\r\n").await?;
        if !challenge.has_code(334) {
            return Ok(challenge);
        }
        connection.command(format!("{initial}\r\n")).await?
    };
    if response.has_code(334) {
        // A positive 3xx cannot be the end: answering yields the real (negative) reply.
        return connection.command("\r\n").await;
    }
    Ok(response)
}

fn fits_on_auth_line(initial: &str) -> bool {
    "AUTH XOAUTH2 ".len() + initial.len() + 2 <= MAX_COMMAND_LINE
}

/// `base64("user=" user "^Aauth=Bearer " token "^A^A")`, per Microsoft's and Google's
/// XOAUTH2 description.
pub fn xoauth2_initial_response(user: &str, token: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"))
}

/// Folds a step's timeout and its lettre error into one [`SmtpFailure`] for that step.
fn bounded<T>(
    step: Step,
    outcome: Result<Result<T, lettre::transport::smtp::Error>, TimedOut>,
) -> Result<T, SmtpFailure> {
    match outcome {
        Err(TimedOut(limit)) => Err(failure(step, SmtpFailureKind::Timeout(limit))),
        Ok(result) => result.map_err(|e| classify(step, &e)),
    }
}

fn failure(step: Step, kind: SmtpFailureKind) -> SmtpFailure {
    SmtpFailure { step, kind }
}

/// Sorts a lettre error into what the administrator needs to know.
fn classify(step: Step, error: &lettre::transport::smtp::Error) -> SmtpFailure {
    use std::error::Error as _;
    let kind = if let Some(code) = error.status() {
        SmtpFailureKind::Reply {
            code: code.to_string().parse().unwrap_or(0),
            text: error.source().map(|s| s.to_string()).unwrap_or_default(),
        }
    } else if error.is_timeout() {
        SmtpFailureKind::Timeout(Duration::ZERO)
    } else if error.is_tls() {
        SmtpFailureKind::Tls(error_chain(error))
    } else if error.is_response() || error.is_client() {
        SmtpFailureKind::Protocol(error_chain(error))
    } else {
        SmtpFailureKind::Network(error_chain(error))
    };
    // A TLS handshake failure surfaces as an I/O error from the upgraded stream.
    let kind = match (step, kind) {
        (Step::StartTls, SmtpFailureKind::Network(text)) => SmtpFailureKind::Tls(text),
        (_, kind) => kind,
    };
    failure(step, kind)
}

#[cfg(test)]
mod tests {
    use super::{fits_on_auth_line, xoauth2_initial_response};

    #[test]
    fn long_initial_responses_wait_for_the_334_challenge() {
        let short = xoauth2_initial_response("a@contoso.com", "short-token");
        assert!(fits_on_auth_line(&short));
        // An Entra token is 1.5–3 KB: never on the AUTH line.
        let entra_sized = xoauth2_initial_response("a@contoso.com", &"x".repeat(1500));
        assert!(!fits_on_auth_line(&entra_sized));
        // The limit counts "AUTH XOAUTH2 " and CRLF: 512 octets in all.
        assert!(fits_on_auth_line(&"A".repeat(512 - 15)));
        assert!(!fits_on_auth_line(&"A".repeat(512 - 14)));
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
