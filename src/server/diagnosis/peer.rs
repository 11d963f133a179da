//! The server a diagnosis speaks of: its kind and its address, shared by the words of
//! every connection failure and certificate refusal.

use crate::api::report::Step;

/// Which kind of server a check talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerKind {
    Smtp,
    Imap,
}

impl ServerKind {
    /// "the SMTP server", in each language.
    pub fn the(self) -> (&'static str, &'static str) {
        match self {
            ServerKind::Smtp => ("the SMTP server", "o servidor SMTP"),
            ServerKind::Imap => ("the IMAP server", "o servidor IMAP"),
        }
    }

    /// Why a connection may not get out.
    pub(super) fn port_note(self) -> (&'static str, &'static str) {
        match self {
            ServerKind::Smtp => (
                "port 587 is often blocked by firewalls and hosting providers",
                "a porta 587 costuma ser bloqueada por firewalls e provedores de hospedagem",
            ),
            ServerKind::Imap => (
                "port 993 is sometimes blocked by firewalls",
                "a porta 993 às vezes é bloqueada por firewalls",
            ),
        }
    }
}

/// The server a check talks to, as the words name it.
pub struct Peer<'a> {
    pub kind: ServerKind,
    /// `host:port`.
    pub server: &'a str,
    /// The step that opens the connection: failures there point at the network path.
    pub connect_step: Step,
    /// The step during which a message is in flight (SMTP's DATA): a failure there may
    /// or may not have delivered it.
    pub in_flight: Option<Step>,
}
