//! IMAP, as far as the mailbox check and the bounce watcher go (RFC 9051 / 3501): TLS
//! from the start, the greeting, `CAPABILITY`, `AUTHENTICATE XOAUTH2`, `EXAMINE INBOX`
//! (read-only: neither ever selects a mailbox for writing or changes a flag or a
//! message), `UID SEARCH`, `UID FETCH` of `BODY.PEEK` items, `LOGOUT`.

mod fetch;
mod response;
mod session;

use std::time::Duration;

use crate::server::net::wire::WireError;
use crate::server::time::TimedOut;
pub use fetch::{Fetched, MAX_LITERAL};
pub use session::{
    Authenticated, Connected, Examined, LoggedOut, Secured, Session, XOAuth2Offered,
};

/// The server's refusal of a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    No,
    Bad,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Status::No => "NO",
            Status::Bad => "BAD",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// No complete answer within the step's bound.
    #[error("no answer within {} s", .0.as_secs().max(1))]
    Timeout(Duration),
    /// The connection itself: network, TLS, a peer that went away.
    #[error(transparent)]
    Wire(#[from] WireError),
    /// `NO` or `BAD` to a command, with the server's words.
    #[error("{status} {text}")]
    Refused { status: Status, text: String },
    /// The server ended the session (`* BYE`), with its words.
    #[error("BYE {0}")]
    Bye(String),
    /// The server offers no `AUTH=XOAUTH2`.
    #[error("AUTH=XOAUTH2 is not offered (the server offers {})", offered_text(.offered))]
    AuthNotOffered { offered: Vec<String> },
    /// Not what IMAP allows at this point.
    #[error("unexpected response: {0}")]
    Unexpected(String),
}

fn offered_text(offered: &[String]) -> String {
    if offered.is_empty() {
        "no AUTH= mechanism".to_owned()
    } else {
        offered.join(" ")
    }
}

impl From<TimedOut> for ImapError {
    fn from(TimedOut(limit): TimedOut) -> Self {
        ImapError::Timeout(limit)
    }
}
