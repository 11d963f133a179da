//! One client's SMTP submission dialogue (RFC 5321, with RFC 3207 STARTTLS, RFC 4954
//! AUTH, RFC 2920 PIPELINING and RFC 1870 SIZE). Replies to pipelined commands are
//! written together when the client's input runs dry; input that arrived before the TLS
//! handshake is thrown away, so nothing sent in clear text is read as if protected.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt as _, AsyncRead, AsyncWrite, AsyncWriteExt as _, BufReader};

use crate::server::relay::credentials::{CredentialName, Verdict};
use crate::server::relay::{Refusal, Relay, Submission};
use crate::server::store::Enqueued;

/// RFC 5321 section 4.5.3.1.4: a command line, CRLF included.
const MAX_COMMAND_LINE: usize = 512;
/// A line of the message is read in pieces of at most this much.
const DATA_PIECE: usize = 64 * 1024;
/// RFC 5321 section 4.5.3.2 asks servers to wait at least 5 minutes for a command.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
/// Exchange Online's recipients per message.
const MAX_RECIPIENTS: usize = 500;
/// A client that keeps failing is cut off.
const MAX_ERRORS: u32 = 20;
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
    submitter: Option<CredentialName>,
    envelope: Option<Envelope>,
    errors: u32,
}

struct Envelope {
    from: String,
    submitted_by: String,
    recipients: Vec<String>,
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
    fn may_authenticate(&self) -> bool {
        self.tls || self.peer.ip().is_loopback()
    }
}

pub struct Connection<S> {
    io: BufReader<S>,
    out: Vec<u8>,
}

enum Piece {
    /// Up to and including the line's LF.
    Line(Vec<u8>),
    /// Part of a longer line.
    Part(Vec<u8>),
}

#[derive(Debug)]
enum ReadError {
    Closed,
    TimedOut,
    Io,
}

/// Replies are queued here and written when the client's input runs dry.
impl<S> Connection<S> {
    fn reply(&mut self, code: u16, text: &str) {
        self.out
            .extend_from_slice(format!("{code} {text}\r\n").as_bytes());
    }

    fn reply_lines(&mut self, code: u16, lines: &[String]) {
        for (i, line) in lines.iter().enumerate() {
            let separator = if i + 1 == lines.len() { ' ' } else { '-' };
            self.out
                .extend_from_slice(format!("{code}{separator}{line}\r\n").as_bytes());
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Connection<S> {
    pub fn new(stream: S) -> Self {
        Self {
            io: BufReader::new(stream),
            out: Vec::new(),
        }
    }

    /// The stream, without what was read ahead (pipelined input before STARTTLS).
    pub fn into_inner(self) -> S {
        self.io.into_inner()
    }

    pub async fn greet(&mut self) -> bool {
        self.reply(220, &format!("{HOSTNAME} ESMTP smtp-setup relay ready"));
        self.flush().await.is_ok()
    }

    async fn flush(&mut self) -> std::io::Result<()> {
        if !self.out.is_empty() {
            let out = std::mem::take(&mut self.out);
            self.io.get_mut().write_all(&out).await?;
            self.io.get_mut().flush().await?;
        }
        Ok(())
    }

    /// Writes the pending replies unless more pipelined commands are already waiting.
    async fn flush_if_idle(&mut self) -> Result<(), ReadError> {
        if self.io.buffer().is_empty() {
            self.flush().await.map_err(|_| ReadError::Io)?;
        }
        Ok(())
    }

    async fn piece(&mut self, limit: usize) -> Result<Piece, ReadError> {
        self.flush_if_idle().await?;
        let read = async {
            let buffer = self.io.fill_buf().await.map_err(|_| ReadError::Io)?;
            if buffer.is_empty() {
                return Err(ReadError::Closed);
            }
            let (piece, used) = match buffer.iter().position(|&b| b == b'\n') {
                Some(i) if i < limit => (Piece::Line(buffer[..=i].to_vec()), i + 1),
                _ => {
                    let n = buffer.len().min(limit);
                    (Piece::Part(buffer[..n].to_vec()), n)
                }
            };
            self.io.consume(used);
            Ok(piece)
        };
        tokio::time::timeout(COMMAND_TIMEOUT, read)
            .await
            .map_err(|_| ReadError::TimedOut)?
    }

    /// One command line without its CRLF; `None` when it was longer than allowed (the
    /// rest of it is read and dropped).
    async fn command_line(&mut self) -> Result<Option<String>, ReadError> {
        let mut line = Vec::new();
        let mut too_long = false;
        loop {
            let (bytes, done) = match self.piece(MAX_COMMAND_LINE).await? {
                Piece::Line(bytes) => (bytes, true),
                Piece::Part(bytes) => (bytes, false),
            };
            if !too_long {
                line.extend_from_slice(&bytes);
                too_long = line.len() > MAX_COMMAND_LINE;
            }
            if done {
                break;
            }
        }
        if too_long {
            return Ok(None);
        }
        let text = String::from_utf8_lossy(&line);
        Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()))
    }

    /// The message after DATA's 354, unstuffed, up to the lone dot. `None`: it was
    /// larger than `max` (read to its end and dropped).
    async fn message(&mut self, max: usize) -> Result<Option<Vec<u8>>, ReadError> {
        let mut message = Vec::new();
        let mut too_large = false;
        let mut line_start = true;
        loop {
            let (mut bytes, ends_line) = match self.piece(DATA_PIECE).await? {
                Piece::Line(bytes) => (bytes, true),
                Piece::Part(bytes) => (bytes, false),
            };
            if line_start && ends_line && (bytes == b".\r\n" || bytes == b".\n") {
                break;
            }
            if line_start && bytes.first() == Some(&b'.') {
                bytes.remove(0);
            }
            line_start = ends_line;
            if !too_large {
                message.extend_from_slice(&bytes);
                if message.len() > max {
                    too_large = true;
                    message = Vec::new();
                }
            }
        }
        Ok((!too_large).then_some(message))
    }
}

/// The dialogue until QUIT, STARTTLS, a dropped connection or too many errors.
pub async fn dialogue<S: AsyncRead + AsyncWrite + Unpin>(
    relay: &Relay,
    connection: &mut Connection<S>,
    state: &mut State,
) -> Next {
    loop {
        let before = state.errors;
        let line = match connection.command_line().await {
            Ok(Some(line)) => line,
            Ok(None) => {
                connection.reply(500, "5.5.2 Line too long");
                state.errors += 1;
                String::new()
            }
            Err(ReadError::TimedOut) => {
                connection.reply(421, "4.4.2 Idle too long, closing");
                break;
            }
            Err(ReadError::Closed | ReadError::Io) => return Next::Closed,
        };
        let (verb, argument) = match line.split_once(' ') {
            Some((verb, argument)) => (verb.to_ascii_uppercase(), argument.trim()),
            None => (line.to_ascii_uppercase(), ""),
        };
        match verb.as_str() {
            // The line was too long (answered above).
            "" if state.errors > before => {}
            "EHLO" => ehlo(relay, connection, state, argument),
            "HELO" => {
                state.envelope = None;
                connection.reply(250, HOSTNAME);
            }
            "STARTTLS" if state.tls => connection.reply(503, "5.5.1 TLS is on already"),
            "STARTTLS" => {
                connection.reply(220, "2.0.0 Ready to start TLS");
                if connection.flush().await.is_err() {
                    return Next::Closed;
                }
                return Next::StartTls;
            }
            "AUTH" => {
                if auth(relay, connection, state, argument).await.is_err() {
                    return Next::Closed;
                }
            }
            "MAIL" => mail(relay, connection, state, argument).await,
            "RCPT" => rcpt(connection, state, argument),
            "DATA" => match data(relay, connection, state).await {
                Ok(()) => {}
                Err(ReadError::TimedOut) => {
                    connection.reply(421, "4.4.2 Idle too long, closing");
                    break;
                }
                Err(_) => return Next::Closed,
            },
            "RSET" => {
                state.envelope = None;
                connection.reply(250, "2.0.0 OK");
            }
            "NOOP" => connection.reply(250, "2.0.0 OK"),
            "VRFY" => connection.reply(252, "2.5.0 Cannot verify, but will accept"),
            "QUIT" => {
                connection.reply(221, "2.0.0 Bye");
                break;
            }
            _ => {
                connection.reply(502, "5.5.1 Command not recognized");
                state.errors += 1;
            }
        }
        if state.errors > before && state.errors >= MAX_ERRORS {
            connection.reply(421, "4.7.0 Too many errors, closing");
            break;
        }
    }
    let _ = connection.flush().await;
    Next::Closed
}

fn ehlo<S: AsyncRead + AsyncWrite + Unpin>(
    relay: &Relay,
    connection: &mut Connection<S>,
    state: &mut State,
    client: &str,
) {
    state.envelope = None;
    let mut lines = vec![
        format!("{HOSTNAME} greets {client}"),
        "PIPELINING".to_owned(),
        format!("SIZE {}", relay.settings.max_bytes),
        "8BITMIME".to_owned(),
        "ENHANCEDSTATUSCODES".to_owned(),
    ];
    if !state.tls {
        lines.push("STARTTLS".to_owned());
    }
    if state.may_authenticate() {
        lines.push("AUTH PLAIN LOGIN".to_owned());
    }
    connection.reply_lines(250, &lines);
}

fn decode(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
}

/// AUTH PLAIN or LOGIN, with or without an initial response. `Err`: the connection is
/// gone.
async fn auth<S: AsyncRead + AsyncWrite + Unpin>(
    relay: &Relay,
    connection: &mut Connection<S>,
    state: &mut State,
    argument: &str,
) -> Result<(), ReadError> {
    if state.submitter.is_some() {
        connection.reply(503, "5.5.1 Already authenticated");
        return Ok(());
    }
    if !state.may_authenticate() {
        connection.reply(538, "5.7.11 Encryption required: send STARTTLS first");
        state.errors += 1;
        return Ok(());
    }
    if state.envelope.is_some() {
        connection.reply(503, "5.5.1 AUTH is not allowed during a mail transaction");
        return Ok(());
    }
    let (mechanism, initial) = match argument.split_once(' ') {
        Some((mechanism, initial)) => (mechanism.to_ascii_uppercase(), Some(initial.trim())),
        None => (argument.to_ascii_uppercase(), None),
    };
    let (user, password) = match mechanism.as_str() {
        "PLAIN" => {
            let response = match initial {
                Some(initial) => initial.to_owned(),
                None => {
                    connection.reply(334, "");
                    challenge_answer(connection).await?
                }
            };
            match decode(&response).and_then(|bytes| plain_parts(&bytes)) {
                Some(parts) => parts,
                None => {
                    malformed_auth(connection, state, &response);
                    return Ok(());
                }
            }
        }
        "LOGIN" => {
            let user = match initial {
                Some(initial) => initial.to_owned(),
                None => {
                    connection.reply(334, "VXNlcm5hbWU6");
                    challenge_answer(connection).await?
                }
            };
            connection.reply(334, "UGFzc3dvcmQ6");
            let password = challenge_answer(connection).await?;
            match (decode(&user), decode(&password)) {
                (Some(user), Some(password)) => (
                    String::from_utf8_lossy(&user).into_owned(),
                    SecretString::from(String::from_utf8_lossy(&password).into_owned()),
                ),
                _ => {
                    malformed_auth(connection, state, &password);
                    return Ok(());
                }
            }
        }
        _ => {
            connection.reply(
                504,
                "5.5.4 Unrecognized authentication type: use PLAIN or LOGIN",
            );
            state.errors += 1;
            return Ok(());
        }
    };
    let ip = state.peer.ip();
    match relay.auth.check(ip, &user, &password).await {
        Ok(Verdict::Accepted(name)) => {
            tracing::info!(credential = %name, client = %ip, "relay sign-in");
            connection.reply(235, "2.7.0 Authentication successful");
            state.submitter = Some(name);
        }
        Ok(Verdict::Refused) => {
            tracing::info!(client = %ip, "relay sign-in refused");
            connection.reply(535, "5.7.8 Authentication credentials invalid");
            state.errors += 1;
        }
        Ok(Verdict::TooMany) => {
            connection.reply(
                454,
                "4.7.0 Too many failed sign-ins from your address, try again in a minute",
            );
            state.errors += 1;
        }
        Err(error) => {
            tracing::error!(%error, "relay sign-in could not be checked");
            connection.reply(454, "4.7.0 Temporary authentication failure");
        }
    }
    Ok(())
}

/// The client's answer to a 334 challenge; `*` cancels (RFC 4954 section 4).
async fn challenge_answer<S: AsyncRead + AsyncWrite + Unpin>(
    connection: &mut Connection<S>,
) -> Result<String, ReadError> {
    Ok(connection.command_line().await?.unwrap_or_default())
}

fn malformed_auth<S>(connection: &mut Connection<S>, state: &mut State, answer: &str) {
    if answer.trim() == "*" {
        connection.reply(501, "5.0.0 Authentication cancelled");
    } else {
        connection.reply(501, "5.5.2 Cannot decode the response");
        state.errors += 1;
    }
}

/// PLAIN's `authzid NUL authcid NUL password`; the authorization identity is ignored.
fn plain_parts(bytes: &[u8]) -> Option<(String, SecretString)> {
    let mut parts = bytes.split(|&b| b == 0);
    let _authzid = parts.next()?;
    let user = parts.next()?;
    let password = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    Some((
        String::from_utf8_lossy(user).into_owned(),
        SecretString::from(String::from_utf8_lossy(password).into_owned()),
    ))
}

/// `FROM:<address> [SIZE=n] [BODY=…]` → the address and the declared size.
fn mail_argument(argument: &str) -> Option<(String, Option<usize>)> {
    let rest = strip_prefix_ignore_case(argument, "FROM:")?.trim_start();
    let (address, parameters) = path(rest)?;
    let mut size = None;
    for parameter in parameters.split_whitespace() {
        let (key, value) = parameter.split_once('=').unwrap_or((parameter, ""));
        match key.to_ascii_uppercase().as_str() {
            "SIZE" => size = Some(value.parse().ok()?),
            "BODY" | "AUTH" => {}
            _ => return None,
        }
    }
    Some((address, size))
}

/// `<address>` and what follows it.
fn path(text: &str) -> Option<(String, &str)> {
    let inner = text.strip_prefix('<')?;
    let end = inner.find('>')?;
    Some((inner[..end].trim().to_owned(), &inner[end + 1..]))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

async fn mail<S: AsyncRead + AsyncWrite + Unpin>(
    relay: &Relay,
    connection: &mut Connection<S>,
    state: &mut State,
    argument: &str,
) {
    if state.envelope.is_some() {
        connection.reply(503, "5.5.1 Nested MAIL command");
        return;
    }
    let Some((from, size)) = mail_argument(argument) else {
        connection.reply(501, "5.5.4 Syntax: MAIL FROM:<address> [SIZE=n]");
        state.errors += 1;
        return;
    };
    let submitted_by = match &state.submitter {
        Some(name) => name.as_str().to_owned(),
        None if relay.settings.allows_without_auth(state.peer.ip()) => {
            format!("ip:{}", state.peer.ip())
        }
        None => {
            connection.reply(530, "5.7.0 Authentication required");
            state.errors += 1;
            return;
        }
    };
    if size.is_some_and(|size| size > relay.settings.max_bytes) {
        connection.reply(
            552,
            &format!(
                "5.3.4 Message size exceeds the limit of {} bytes",
                relay.settings.max_bytes
            ),
        );
        return;
    }
    match relay.allowed_senders().await.and_then(|s| s.check(&from)) {
        Ok(()) => {
            state.envelope = Some(Envelope {
                from,
                submitted_by,
                recipients: Vec::new(),
            });
            connection.reply(250, "2.1.0 Sender OK");
        }
        Err(refusal) => refuse(connection, &refusal),
    }
}

fn rcpt<S>(connection: &mut Connection<S>, state: &mut State, argument: &str) {
    let Some(envelope) = state.envelope.as_mut() else {
        connection.reply(503, "5.5.1 MAIL first");
        return;
    };
    let address = strip_prefix_ignore_case(argument, "TO:")
        .and_then(|rest| path(rest.trim_start()))
        .map(|(address, _)| address)
        .filter(|address| address.contains('@') && !address.contains(char::is_whitespace));
    let (code, text) = match address {
        None => {
            state.errors += 1;
            (501, "5.1.3 Syntax: RCPT TO:<address>")
        }
        Some(_) if envelope.recipients.len() >= MAX_RECIPIENTS => {
            (452, "4.5.3 Too many recipients")
        }
        Some(address) => {
            envelope.recipients.push(address);
            (250, "2.1.5 Recipient OK")
        }
    };
    connection.reply(code, text);
}

async fn data<S: AsyncRead + AsyncWrite + Unpin>(
    relay: &Relay,
    connection: &mut Connection<S>,
    state: &mut State,
) -> Result<(), ReadError> {
    let Some(envelope) = state.envelope.take() else {
        connection.reply(503, "5.5.1 MAIL first");
        return Ok(());
    };
    if envelope.recipients.is_empty() {
        connection.reply(554, "5.5.1 No valid recipients");
        return Ok(());
    }
    connection.reply(354, "Start mail input; end with <CRLF>.<CRLF>");
    let Some(message) = connection.message(relay.settings.max_bytes).await? else {
        refuse(
            connection,
            &Refusal::TooLarge {
                limit: relay.settings.max_bytes,
            },
        );
        return Ok(());
    };
    let submission = Submission {
        submitted_by: envelope.submitted_by,
        mail_from: envelope.from,
        recipients: envelope.recipients,
        message,
        idempotency_key: None,
    };
    match relay.accept(submission).await {
        Ok(Enqueued::Queued { id } | Enqueued::AlreadyQueued { id }) => {
            connection.reply(250, &format!("2.0.0 <{id}> queued"));
        }
        Err(refusal) => refuse(connection, &refusal),
    }
    Ok(())
}

/// A refusal as an SMTP reply.
fn refuse<S>(connection: &mut Connection<S>, refusal: &Refusal) {
    let (code, enhanced) = match refusal {
        Refusal::NoConfiguration | Refusal::Store(_) => (451, "4.3.0"),
        Refusal::ForeignSender { .. } | Refusal::NoFromHeader => (550, "5.7.1"),
        Refusal::TooLarge { .. } => (552, "5.3.4"),
    };
    connection.reply(code, &format!("{enhanced} {}", refusal.words()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_arguments() {
        assert_eq!(
            mail_argument("FROM:<a@b.com> SIZE=100 BODY=8BITMIME"),
            Some(("a@b.com".to_owned(), Some(100)))
        );
        assert_eq!(
            mail_argument("from: <a@b.com>"),
            Some(("a@b.com".to_owned(), None))
        );
        assert_eq!(mail_argument("FROM:<>"), Some((String::new(), None)));
        assert_eq!(mail_argument("FROM:a@b.com"), None);
        assert_eq!(mail_argument("FROM:<a@b.com> SIZE=x"), None);
        assert_eq!(mail_argument("FROM:<a@b.com> SMTPUTF8"), None);
    }

    #[test]
    fn plain_responses() {
        let (user, _) = plain_parts(b"\0app\0secret").unwrap();
        assert_eq!(user, "app");
        let (user, _) = plain_parts(b"someone\0app\0secret").unwrap();
        assert_eq!(user, "app");
        assert!(plain_parts(b"app\0secret").is_none());
        assert!(plain_parts(b"\0a\0b\0c").is_none());
    }
}
