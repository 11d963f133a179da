//! What a session has learned: who the client is (its address, TLS, the credential it
//! signed in with), the mail transaction under way, its errors; and the limits that
//! bound them.

use std::net::SocketAddr;
use std::time::Duration;

use crate::server::relay::submitter::Submitter;

/// RFC 5321 section 4.5.3.1.4: a command line, CRLF included.
pub(super) const MAX_COMMAND_LINE: usize = 512;
/// What one read from a client brings at most: a message arrives in pieces this large
/// (the reader's buffer, held per session).
pub(super) const READ_BUFFER: usize = 32 * 1024;
/// RFC 5321 section 4.5.3.2 asks servers to wait at least 5 minutes for a command.
pub(super) const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
/// A client that keeps failing is cut off.
pub(super) const MAX_ERRORS: u32 = 20;
pub const HOSTNAME: &str = "smtp-setup.relay";

/// Where the dialogue left the connection.
pub enum Next {
    /// The client asked for TLS and was told to go ahead.
    StartTls,
    Closed,
}

/// Who the client is, as far as the dialogue has learned.
pub struct State {
    pub peer: SocketAddr,
    pub tls: bool,
    pub(super) submitter: Option<Submitter>,
    pub(super) envelope: Option<Envelope>,
    pub(super) errors: u32,
}

pub(super) struct Envelope {
    pub(super) from: String,
    pub(super) submitter: Submitter,
    pub(super) recipients: Vec<String>,
}

impl State {
    pub fn new(peer: SocketAddr) -> Self {
        Self {
            peer,
            tls: false,
            submitter: None,
            envelope: None,
            errors: 0,
        }
    }

    /// After the TLS handshake: the client starts over (RFC 3207 section 4.2).
    pub fn secured(&mut self) {
        self.tls = true;
        self.submitter = None;
        self.envelope = None;
    }

    /// AUTH is offered and taken only over TLS, or from this machine.
    pub(super) fn may_authenticate(&self) -> bool {
        self.tls || self.peer.ip().is_loopback()
    }
}
