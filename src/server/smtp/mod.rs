//! SMTP submission, one step at a time, so that a failure names the step it happened
//! in and the administrator sees the dialogue as it was. The dialogue is ours rather
//! than lettre's: lettre hides the wire (no transcript, no TLS details) and gives up on
//! the server's XOAUTH2 error challenge instead of answering it to read the final reply.

pub mod reply;
mod session;

use std::time::Duration;

use secrecy::SecretString;

use self::reply::{Reply, ReplyError};
pub use crate::domain::Security;
use crate::server::config::Endpoint;
use crate::server::net::sasl::Mechanism;
use crate::server::net::wire::WireError;
use crate::server::time::TimedOut;
pub use session::{DotStuffing, Session};

/// What connecting saw: the server's greeting and EHLO (STARTTLS), or an open TCP
/// connection (implicit TLS greets after the handshake).
pub enum Connected {
    Greeted { endpoint: Endpoint, server: String },
    Open { endpoint: Endpoint },
}

/// What the TLS handshake agreed (`TLS 1.3, TLS13_AES_256_GCM_SHA384`), for the host
/// the certificate was valid for.
pub struct Secured {
    pub agreed: String,
    pub host: String,
}

/// The mechanism the session will use, and the server that offers it.
pub struct Offered {
    pub mechanism: Mechanism,
    pub server: String,
}

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
    /// The mechanisms these credentials can use, the preferred first.
    pub fn mechanisms(&self) -> &'static [Mechanism] {
        match self {
            Credentials::XOAuth2 { .. } => &[Mechanism::XOAuth2],
            Credentials::Password { .. } => &[Mechanism::Plain, Mechanism::Login],
        }
    }
}

/// Where one test send goes.
#[derive(Clone, Debug)]
pub struct Destination {
    pub endpoint: Endpoint,
    pub security: Security,
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    /// No complete answer within the step's bound.
    #[error("no answer within {} s", .0.as_secs().max(1))]
    Timeout(Duration),
    /// The connection itself: network, TLS, a peer that went away.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// The server refused (a 4xx or 5xx reply).
    #[error("{0}")]
    Refused(Reply),
    /// A positive reply that makes no sense at this point of the dialogue.
    #[error("unexpected reply: {0}")]
    Unexpected(Reply),
    /// Not an SMTP reply at all.
    #[error(transparent)]
    Malformed(#[from] ReplyError),
    /// The message itself could not be read (a relayed message's piece, from the
    /// store): the connection is dropped before the final dot, so nothing is sent.
    #[error("the message could not be read: {0}")]
    Unreadable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The server does not offer STARTTLS: we never send credentials in clear text.
    #[error("STARTTLS is not offered")]
    StartTlsNotOffered,
    /// The server (after TLS) offers none of the mechanisms we can use.
    #[error("AUTH {wanted} is not offered ({})", offered_text(.offered))]
    AuthNotOffered {
        wanted: Mechanism,
        offered: Vec<String>,
    },
}

fn offered_text(offered: &[String]) -> String {
    if offered.is_empty() {
        "no AUTH at all".to_owned()
    } else {
        format!("the server offers {}", offered.join(" "))
    }
}

impl From<TimedOut> for SmtpError {
    fn from(TimedOut(limit): TimedOut) -> Self {
        SmtpError::Timeout(limit)
    }
}
