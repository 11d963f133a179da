//! The handlers of the mail transaction: EHLO (what is offered), MAIL FROM (who may send
//! as whom, the declared size), RCPT TO, DATA (the message checked and queued), and how
//! a refusal is told.

use tokio::io::{AsyncRead, AsyncWrite};

use super::io::{Connection, ReadError, Unstuff};
use super::state::{Envelope, State, HOSTNAME};
use super::syntax::{mail_argument, path, strip_prefix_ignore_case};
use crate::server::relay::incoming::{Recipients, Submission};
use crate::server::relay::submitter::Submitter;
use crate::server::relay::{Refusal, Relay, MAX_RECIPIENTS};
use crate::server::store::Enqueued;

pub(super) fn ehlo<S: AsyncRead + AsyncWrite + Unpin>(
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

pub(super) async fn mail<S: AsyncRead + AsyncWrite + Unpin>(
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
    let submitter = match &state.submitter {
        Some(submitter) => submitter.clone(),
        None if relay.settings.allows_without_auth(state.peer.ip()) => {
            Submitter::allowed_address(state.peer.ip())
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
    let checked = match relay.allowed_senders().await {
        Ok(senders) => submitter.check_sender(&senders, &from),
        Err(refusal) => Err(refusal),
    };
    let now = crate::server::time::unix_millis(std::time::SystemTime::now());
    let checked = match checked {
        Ok(()) => submitter.check_quota(&relay.store, now).await,
        refused => refused,
    };
    match checked {
        Ok(()) => {
            state.envelope = Some(Envelope {
                from,
                submitter,
                recipients: Vec::new(),
            });
            connection.reply(250, "2.1.0 Sender OK");
        }
        Err(refusal) => refuse(connection, &refusal),
    }
}

pub(super) fn rcpt<S>(connection: &mut Connection<S>, state: &mut State, argument: &str) {
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

pub(super) async fn data<S: AsyncRead + AsyncWrite + Unpin>(
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
    // Read to its end whatever happens: a refusal is the reply to the whole message.
    let mut incoming = relay.receive(Submission {
        submitter: envelope.submitter,
        mail_from: envelope.from,
        mail_from_chosen: true,
        recipients: Recipients::Given(envelope.recipients),
        idempotency_key: None,
    });
    let mut unstuff = Unstuff::default();
    while let Some(piece) = connection.message_piece(&mut unstuff).await? {
        incoming.push(&piece).await;
    }
    match incoming.finish().await {
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
        // RFC 3463's "mail system full", as Postfix says it.
        Refusal::Store(error) if error.is_out_of_space() => (452, "4.3.1"),
        Refusal::NoConfiguration | Refusal::Store(_) => (451, "4.3.0"),
        Refusal::ForeignSender { .. }
        | Refusal::ForeignSenderHeader { .. }
        | Refusal::SenderOutsideCredential { .. }
        | Refusal::NoFromHeader => (550, "5.7.1"),
        // RFC 3463's "delivery not authorized", for now: the quota's hour slides.
        Refusal::QuotaReached { .. } => (451, "4.7.1"),
        Refusal::TooLarge { .. } | Refusal::HeadTooLarge { .. } => (552, "5.3.4"),
        // The envelope has its recipients; only the API's raw message can lack them.
        Refusal::NoRecipients => (554, "5.5.1"),
        // RCPT TO stops at the limit first; the same words as there.
        Refusal::TooManyRecipients { .. } => (452, "4.5.3"),
    };
    connection.reply(code, &format!("{enhanced} {}", refusal.words()));
}
