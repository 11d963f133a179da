//! What the mail protocols share: a server that does not answer, a connection that fails
//! or closes, a certificate or TLS handshake refused, an answer that is not the
//! protocol. SMTP and IMAP say them with their own server's name.

use super::certificate;
use crate::api::report::{Failure, Step};
use crate::server::wire::WireError;

/// The server a check talks to, as the words name it.
pub struct Peer<'a> {
    /// "SMTP server", "IMAP server".
    pub kind: &'a str,
    /// `host:port`.
    pub server: &'a str,
    /// The step that opens the connection: failures there point at the network path.
    pub connect_step: Step,
    /// The step during which a message is in flight (SMTP's DATA): a failure there may
    /// or may not have delivered it.
    pub in_flight: Option<Step>,
    /// Why a connection may not get out, e.g. "port 587 is often blocked by firewalls".
    pub port_note: &'a str,
}

/// No complete answer within the step's bound.
pub fn timeout(step: Step, limit: std::time::Duration, peer: &Peer<'_>) -> Failure {
    let Peer { kind, server, .. } = peer;
    let failure = if step == peer.connect_step {
        Failure::at(step, format!("The {kind} did not answer in time.")).fix(format!(
            "Check that this server may open outbound TCP connections to {server} ({}).",
            peer.port_note
        ))
    } else {
        Failure::at(step, format!("The {kind} stopped answering.")).fix(format!(
            "Try again; if it persists, check the network path to the {kind}."
        ))
    };
    failure.detail(format!("No answer within {} s.", limit.as_secs().max(1)))
}

/// The connection itself failed. `None` for a wire error that is a protocol mistake of
/// the server's (the caller words those with the rest of its protocol).
pub fn wire(step: Step, error: &WireError, peer: &Peer<'_>) -> Option<Failure> {
    let Peer { kind, server, .. } = peer;
    let at = |summary: String| Failure::at(step, summary).detail(error.to_string());
    let in_flight = peer.in_flight == Some(step);
    Some(match error {
        WireError::Io(_) if in_flight => {
            at("The connection failed while the message was being sent.".to_owned()).fix(
                "The message may not have been delivered: check the recipient's mailbox before \
                 sending again.",
            )
        }
        WireError::Io(_) if step == peer.connect_step => {
            at(format!("Could not connect to the {kind}.")).fix(format!(
                "Check the server name and port ({server}) and that outbound connections \
                 to it are allowed."
            ))
        }
        WireError::Io(_) => at(format!("The connection to the {kind} failed.")).fix(format!(
            "Try again; if it persists, check the network path to the {kind}."
        )),
        WireError::Closed if in_flight => Failure::at(
            step,
            format!("The {kind} closed the connection while the message was being sent."),
        )
        .detail("The connection closed before the server accepted the message.")
        .fix(
            "The message may not have been delivered: check the recipient's mailbox before \
             sending again. If it keeps happening, check the network path and the server's \
             message size limit.",
        ),
        WireError::Closed => Failure::at(step, format!("The {kind} closed the connection."))
            .detail("The server closed the connection without a reply.")
            .fix(format!(
                "Check that {server} is the right {kind} and that this host's address is not \
                 blocked by it; the transcript shows the last reply."
            )),
        WireError::Certificate(problem) => at(format!(
            "The {kind}'s certificate was refused, so nothing was sent."
        ))
        .fix(certificate::fix(problem, kind)),
        WireError::Handshake(_) | WireError::ServerName { .. } | WireError::OutOfOrder => {
            at("The encrypted connection could not be set up.".to_owned()).fix(
                "Check that the server supports TLS 1.2 or later on this port, and that no \
                 proxy or firewall interferes with TLS.",
            )
        }
        WireError::LineTooLong | WireError::NotText | WireError::DataBeforeHandshake => {
            return None
        }
    })
}
