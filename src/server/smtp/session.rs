//! One SMTP session, a method per step of the dialogue (as lettre's connection has
//! `connect`, `starttls`, `auth`, `send`). Each returns what it saw, as protocol facts
//! (the server's name, what TLS agreed, its reply), or why it failed; the words, the
//! bounds and the recording are the caller's.

use std::sync::Arc;

use lettre::address::Envelope;
use secrecy::{ExposeSecret as _, SecretString};

use crate::server::net::sasl::{self, Mechanism};
use crate::server::net::wire::{Party, Transcript, Wire};
use crate::server::smtp::reply::{Capabilities, Reply, ReplyBuilder};
use crate::server::smtp::{
    Connected, Credentials, Destination, Offered, Secured, Security, SmtpError,
};

/// RFC 5321's limit for a command line, CRLF included.
const MAX_COMMAND_LINE: usize = 512;

/// What the transcript shows for a line carrying credentials.
const REDACTED: &str = "[redacted]";

pub struct Session {
    wire: Wire,
    destination: Destination,
    tls: Arc<rustls::ClientConfig>,
    capabilities: Capabilities,
}

impl Session {
    pub fn new(destination: Destination, tls: Arc<rustls::ClientConfig>) -> Self {
        Self {
            wire: Wire::default(),
            destination,
            tls,
            capabilities: Capabilities::default(),
        }
    }

    /// Every line of the session so far, credentials left out.
    pub fn into_transcript(self) -> Transcript {
        self.wire.into_transcript()
    }

    /// TCP, and for STARTTLS the greeting and EHLO in clear text.
    pub async fn connect(&mut self) -> Result<Connected, SmtpError> {
        let endpoint = self.destination.endpoint.clone();
        self.wire.connect(&endpoint.host, endpoint.port).await?;
        match self.destination.security {
            Security::StartTls => {
                self.greet().await?;
                Ok(Connected::Greeted {
                    endpoint,
                    server: self.capabilities.server.clone(),
                })
            }
            Security::ImplicitTls => Ok(Connected::Open { endpoint }),
        }
    }

    /// STARTTLS and EHLO again over TLS; or, for implicit TLS, the handshake at once and
    /// then the greeting and EHLO.
    pub async fn secure(&mut self) -> Result<Secured, SmtpError> {
        let host = self.destination.endpoint.host.clone();
        let agreed = match self.destination.security {
            Security::StartTls => {
                if !self.capabilities.starttls {
                    return Err(SmtpError::StartTlsNotOffered);
                }
                expect(self.command("STARTTLS").await?, |c| c == 220)?;
                let agreed = self.wire.upgrade(self.tls.clone(), &host).await?;
                self.ehlo().await?;
                agreed
            }
            Security::ImplicitTls => {
                let agreed = self.wire.upgrade(self.tls.clone(), &host).await?;
                self.greet().await?;
                agreed
            }
        };
        Ok(Secured { agreed, host })
    }

    /// The first mechanism of `credentials` that the server offers (after TLS).
    pub fn mechanism(&self, credentials: &Credentials<'_>) -> Result<Offered, SmtpError> {
        let wanted = credentials.mechanisms();
        let offered = wanted
            .iter()
            .copied()
            .find(|m| self.capabilities.offers(*m));
        match (offered, wanted.first()) {
            (Some(mechanism), _) => Ok(Offered {
                mechanism,
                server: self.capabilities.server.clone(),
            }),
            (None, wanted) => Err(SmtpError::AuthNotOffered {
                wanted: wanted.copied().unwrap_or(Mechanism::Plain),
                offered: self.capabilities.auth.clone(),
            }),
        }
    }

    pub async fn authenticate(
        &mut self,
        credentials: &Credentials<'_>,
        mechanism: Mechanism,
    ) -> Result<Reply, SmtpError> {
        let reply = match (credentials, mechanism) {
            (Credentials::XOAuth2 { user, token }, _) => {
                let initial = sasl::xoauth2_initial_response(user, token);
                let reply = self.initial_response(Mechanism::XOAuth2, &initial).await?;
                if reply.code == 334 {
                    // The error challenge (base64 JSON): a positive 3xx cannot be the
                    // end; an empty answer yields the real, negative, reply.
                    self.command("").await?
                } else {
                    reply
                }
            }
            (Credentials::Password { username, password }, Mechanism::Login) => {
                expect(self.command("AUTH LOGIN").await?, |c| c == 334)?;
                let username = sasl::base64(username.as_bytes());
                expect(
                    self.secret_command(username.expose_secret(), REDACTED)
                        .await?,
                    |c| c == 334,
                )?;
                let password = sasl::base64(password.expose_secret().as_bytes());
                self.secret_command(password.expose_secret(), REDACTED)
                    .await?
            }
            (Credentials::Password { username, password }, _) => {
                let initial = sasl::plain_initial_response(username, password);
                self.initial_response(Mechanism::Plain, &initial).await?
            }
        };
        expect(reply, |c| c == 235)
    }

    /// MAIL FROM and one RCPT TO per recipient, with SMTPUTF8 when an address needs it.
    pub async fn envelope(&mut self, envelope: &Envelope) -> Result<Reply, SmtpError> {
        let from = envelope.from().map(|a| a.to_string()).unwrap_or_default();
        let non_ascii = std::iter::once(from.as_str())
            .chain(envelope.to().iter().map(AsRef::as_ref))
            .any(|address| !address.is_ascii());
        let parameter = if non_ascii && self.capabilities.smtputf8 {
            " SMTPUTF8"
        } else {
            ""
        };
        let mut reply = expect(
            self.command(&format!("MAIL FROM:<{from}>{parameter}"))
                .await?,
            |c| c == 250,
        )?;
        for recipient in envelope.to() {
            reply = expect(
                self.command(&format!("RCPT TO:<{recipient}>")).await?,
                |c| c == 250 || c == 251,
            )?;
        }
        Ok(reply)
    }

    /// DATA: the server is ready for the `size` bytes [`Session::data_piece`] sends.
    pub async fn data_start(&mut self, size: u64) -> Result<DotStuffing, SmtpError> {
        expect(self.command("DATA").await?, |c| c == 354)?;
        let transcript = self.wire.transcript();
        transcript.note(format!("[message: {size} octets, not shown]"));
        transcript.push(Party::Client, ".");
        Ok(DotStuffing::default())
    }

    /// The next piece of the message, dot-stuffed where it stands in the whole.
    pub async fn data_piece(
        &mut self,
        stuffing: &mut DotStuffing,
        piece: &[u8],
    ) -> Result<(), SmtpError> {
        let out = stuffing.stuff(piece);
        Ok(self.wire.write_all(out).await?)
    }

    /// The end of the message (`CRLF.CRLF`). Success means the server accepted it.
    pub async fn data_end(&mut self, stuffing: DotStuffing) -> Result<Reply, SmtpError> {
        self.wire.write_all(&stuffing.end()).await?;
        expect(self.read_reply().await?, |c| c == 250)
    }

    pub async fn quit(&mut self) -> Result<Reply, SmtpError> {
        self.command("QUIT").await
    }

    /// The greeting (220) and EHLO.
    async fn greet(&mut self) -> Result<(), SmtpError> {
        expect(self.read_reply().await?, |c| c == 220)?;
        self.ehlo().await
    }

    async fn ehlo(&mut self) -> Result<(), SmtpError> {
        let name = self.hello_name();
        let reply = expect(self.command(&format!("EHLO {name}")).await?, |c| c == 250)?;
        self.capabilities = Capabilities::from_ehlo(&reply);
        Ok(())
    }

    /// The address literal for EHLO (RFC 5321 section 4.1.3): this host's side of the
    /// connection, which is true and needs no DNS name.
    fn hello_name(&self) -> String {
        match self.wire.local_ip() {
            Some(std::net::IpAddr::V4(ip)) => format!("[{ip}]"),
            Some(std::net::IpAddr::V6(ip)) => format!("[IPv6:{ip}]"),
            None => "[127.0.0.1]".to_owned(),
        }
    }

    /// `AUTH <mechanism> <initial response>`. RFC 4954 section 4: when the initial
    /// response would make the line longer than the server's limit, it is sent after the
    /// server's empty 334 challenge instead. Real Entra tokens always take that form,
    /// which is also the one Microsoft documents for Exchange Online.
    async fn initial_response(
        &mut self,
        mechanism: Mechanism,
        initial: &SecretString,
    ) -> Result<Reply, SmtpError> {
        let initial = initial.expose_secret();
        if fits_on_auth_line(mechanism, initial) {
            return self
                .secret_command(
                    &format!("AUTH {mechanism} {initial}"),
                    &format!("AUTH {mechanism} {REDACTED}"),
                )
                .await;
        }
        let challenge = self.command(&format!("AUTH {mechanism}")).await?;
        if challenge.code != 334 {
            return Ok(challenge);
        }
        self.secret_command(initial, REDACTED).await
    }

    /// Sends one command line (without CRLF) and reads the reply.
    async fn command(&mut self, line: &str) -> Result<Reply, SmtpError> {
        self.secret_command(line, line).await
    }

    /// Sends a line that carries credentials; the transcript shows `shown` instead.
    async fn secret_command(&mut self, line: &str, shown: &str) -> Result<Reply, SmtpError> {
        self.wire.write_line(line, shown).await?;
        self.read_reply().await
    }

    async fn read_reply(&mut self) -> Result<Reply, SmtpError> {
        let mut builder = ReplyBuilder::default();
        loop {
            let line = self.wire.read_line().await?;
            if let Some(reply) = builder.push(&line)? {
                return Ok(reply);
            }
        }
    }
}

/// A reply with an expected code passes; a negative one is the server's refusal; any
/// other is out of place.
fn expect(reply: Reply, wanted: impl Fn(u16) -> bool) -> Result<Reply, SmtpError> {
    if wanted(reply.code) {
        Ok(reply)
    } else if reply.is_positive() {
        Err(SmtpError::Unexpected(reply))
    } else {
        Err(SmtpError::Refused(reply))
    }
}

fn fits_on_auth_line(mechanism: Mechanism, initial: &str) -> bool {
    "AUTH ".len() + mechanism.name().len() + 1 + initial.len() + 2 <= MAX_COMMAND_LINE
}

/// RFC 5321 section 4.5.2: a line starting with "." gets another one; the message ends
/// with CRLF "." CRLF. The message may come in pieces cut anywhere: where the last one
/// left off is kept.
#[derive(Debug)]
pub struct DotStuffing {
    at_line_start: bool,
    /// The last two bytes of the message so far (whether it ends with CRLF).
    last: [u8; 2],
    /// The stuffed piece on its way out, kept from piece to piece (one allocation).
    out: Vec<u8>,
}

impl Default for DotStuffing {
    fn default() -> Self {
        Self {
            at_line_start: true,
            last: [0, 0],
            out: Vec::new(),
        }
    }
}

impl DotStuffing {
    /// `piece` stuffed, in `self.out`: a line at a time, a dot added before each that
    /// starts with one.
    fn stuff(&mut self, piece: &[u8]) -> &[u8] {
        self.out.clear();
        let mut rest = piece;
        while let Some(&first) = rest.first() {
            if self.at_line_start && first == b'.' {
                self.out.push(b'.');
            }
            match memchr::memchr(b'\n', rest) {
                Some(end) => {
                    self.out.extend_from_slice(&rest[..=end]);
                    rest = &rest[end + 1..];
                    self.at_line_start = true;
                }
                None => {
                    self.out.extend_from_slice(rest);
                    rest = &[];
                    self.at_line_start = false;
                }
            }
        }
        self.last = match piece {
            [.., a, b] => [*a, *b],
            [b] => [self.last[1], *b],
            [] => self.last,
        };
        &self.out
    }

    fn end(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(5);
        if self.last != *b"\r\n" {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_initial_responses_wait_for_the_334_challenge() {
        let response = |token: &str| {
            sasl::xoauth2_initial_response("a@contoso.com", token)
                .expose_secret()
                .to_owned()
        };
        assert!(fits_on_auth_line(
            Mechanism::XOAuth2,
            &response("short-token")
        ));
        // An Entra token is 1.5–3 KB: never on the AUTH line.
        let entra_sized = response(&"x".repeat(1500));
        assert!(!fits_on_auth_line(Mechanism::XOAuth2, &entra_sized));
        // The limit counts "AUTH XOAUTH2 " and CRLF: 512 octets in all.
        assert!(fits_on_auth_line(Mechanism::XOAuth2, &"A".repeat(512 - 15)));
        assert!(!fits_on_auth_line(
            Mechanism::XOAuth2,
            &"A".repeat(512 - 14)
        ));
    }

    /// Stuffed whole or in pieces cut anywhere, a message comes out the same.
    #[test]
    fn dot_stuffing() {
        let stuffed = |pieces: &[&[u8]]| {
            let mut stuffing = DotStuffing::default();
            let mut out = Vec::new();
            for piece in pieces {
                out.extend_from_slice(stuffing.stuff(piece));
            }
            out.extend_from_slice(&stuffing.end());
            out
        };
        let cases: [(&[u8], &[u8]); 7] = [
            (b"a\r\n.b\r\n", b"a\r\n..b\r\n.\r\n"),
            (b"", b"\r\n.\r\n"),
            (b"\n.\n\n.", b"\n..\n\n..\r\n.\r\n"),
            (b".\r\n", b"..\r\n.\r\n"),
            (b"no newline", b"no newline\r\n.\r\n"),
            (b"a.b\r\n", b"a.b\r\n.\r\n"),
            (b"x\r\n..\r\n.\r", b"x\r\n...\r\n..\r\r\n.\r\n"),
        ];
        for (message, expected) in cases {
            assert_eq!(stuffed(&[message]), expected, "{message:?} whole");
            for cut in 0..=message.len() {
                let (a, b) = message.split_at(cut);
                assert_eq!(stuffed(&[a, b]), expected, "{message:?} cut at {cut}");
            }
        }
    }
}
