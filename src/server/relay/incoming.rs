//! A message as it arrives, over SMTP's DATA or the HTTP API: its header section is
//! held (bounded by [`MAX_HEAD`]) until it is whole and checked, the rest goes to the
//! store piece by piece as it comes ([`PIECE`] at a time), and the outbox row that
//! names the pieces is written last, before the application hears "queued". Memory per
//! message is bounded whatever its size. A refusal is kept and the rest of the message
//! read and dropped, so that the client hears it at the end, as SMTP requires.

use std::sync::Arc;
use std::time::SystemTime;

use super::message::{self, HeadEnd, Headers};
use super::submitter::Submitter;
use super::{new_message_id, Refusal, Relay, MAX_RECIPIENTS};
use crate::server::store::{Enqueued, NewMessage, Store};
use crate::server::time::unix_millis;

/// The largest header section the relay holds (Exchange Online's own limit is 256 KB).
pub const MAX_HEAD: usize = 256 * 1024;
/// The body is written to the store in pieces of this size: a transaction costs about
/// the same for 256 KiB as for 1 MiB, and at 1 MiB large messages are taken as fast as
/// Postfix takes them (BENCHMARKS.md, section 7), for 1 MiB held per session at most.
pub const PIECE: usize = 1024 * 1024;

/// Who hands a message over, and for whom, before its bytes arrive.
pub struct Submission {
    /// The credential (and its limits) or the allowed address.
    pub submitter: Submitter,
    pub mail_from: String,
    /// Whether the application chose `mail_from` (SMTP's MAIL FROM), so that the
    /// credential's senders bind it too; the API's is the relay's own, the mailbox.
    pub mail_from_chosen: bool,
    pub recipients: Recipients,
    pub idempotency_key: Option<String>,
}

/// Where the recipients come from.
pub enum Recipients {
    /// The envelope's (SMTP's RCPT TO, the API's JSON).
    Given(Vec<String>),
    /// The message's own To, Cc and Bcc headers (the API's `message/rfc822`); its Bcc
    /// header is taken out, so that the other recipients do not see it.
    FromHeaders,
}

/// A message on its way into the outbox.
pub struct Incoming<'r> {
    relay: &'r Relay,
    submission: Submission,
    /// Bytes received so far, as the client sent them.
    received: usize,
    stage: Stage,
}

enum Stage {
    Head(Vec<u8>, HeadEnd),
    Body(Body),
    Refused(Refusal),
}

/// A checked message whose body is being written.
struct Body {
    id: String,
    head: Vec<u8>,
    subject: String,
    /// The Message-ID it goes out with, which bounce reports name.
    internet_message_id: Option<String>,
    recipients: Vec<String>,
    /// What has not made a whole piece yet.
    pending: Vec<u8>,
    pieces: i64,
    /// Takes the pieces away if the message never reaches the outbox.
    written: Written,
}

impl Relay {
    /// A message from `submission` is about to arrive: [`Incoming::push`] its bytes as
    /// they come, then [`Incoming::finish`].
    pub fn receive(&self, submission: Submission) -> Incoming<'_> {
        Incoming {
            relay: self,
            submission,
            received: 0,
            stage: Stage::Head(Vec::new(), HeadEnd::default()),
        }
    }
}

impl Incoming<'_> {
    /// The next bytes of the message. Never fails: a refusal is kept for
    /// [`Incoming::finish`], and what follows it is dropped.
    pub async fn push(&mut self, mut bytes: &[u8]) {
        if self.refused() {
            return;
        }
        self.received = self.received.saturating_add(bytes.len());
        let limit = self.relay.settings.max_bytes;
        if self.received > limit {
            return self.refuse(Refusal::TooLarge { limit }).await;
        }
        if let Stage::Head(head, end) = &mut self.stage {
            match end.find(bytes) {
                Some(at) => {
                    head.extend_from_slice(&bytes[..at]);
                    bytes = &bytes[at..];
                    let head = std::mem::take(head);
                    self.stage = match checked(self.relay, &self.submission, head).await {
                        Ok(body) => Stage::Body(body),
                        Err(refusal) => Stage::Refused(refusal),
                    };
                }
                None if head.len() + bytes.len() > MAX_HEAD => {
                    return self.refuse(Refusal::HeadTooLarge { limit: MAX_HEAD }).await;
                }
                None => return head.extend_from_slice(bytes),
            }
        }
        let relay = self.relay;
        let store = &relay.store;
        while let (Stage::Body(body), false) = (&mut self.stage, bytes.is_empty()) {
            let room = PIECE - body.pending.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            body.pending.extend_from_slice(now);
            bytes = later;
            if body.pending.len() == PIECE {
                if let Err(refusal) = write_pending(store, body).await {
                    return self.refuse(refusal).await;
                }
            }
        }
    }

    /// Whether the message is refused already (the rest of it need not be read, where
    /// the protocol allows answering early).
    pub fn refused(&self) -> bool {
        matches!(self.stage, Stage::Refused(_))
    }

    /// The message is whole: stored and queued (the worker woken), or refused with
    /// nothing kept.
    pub async fn finish(self) -> Result<Enqueued, Refusal> {
        let Incoming {
            relay,
            submission,
            received,
            stage,
        } = self;
        let mut body = match stage {
            Stage::Refused(refusal) => return Err(refusal),
            // No empty line: the message is all header.
            Stage::Head(head, _) => checked(relay, &submission, head).await?,
            Stage::Body(body) => body,
        };
        let enqueued = relay
            .store
            .enqueue(&NewMessage {
                id: &body.id,
                accepted_at: unix_millis(SystemTime::now()),
                submitted_by: submission.submitter.submitted_by(),
                mail_from: &submission.mail_from,
                recipients: &body.recipients,
                subject: &body.subject,
                internet_message_id: body.internet_message_id.as_deref(),
                head: &body.head,
                last_piece: &body.pending,
                pieces: body.pieces,
                size: i64::try_from(received).unwrap_or(i64::MAX),
                idempotency_key: submission.idempotency_key.as_deref(),
            })
            .await;
        match &enqueued {
            Ok(Enqueued::Queued { id }) => {
                body.written.keep();
                tracing::info!(
                    %id,
                    submitted_by = %submission.submitter.submitted_by(),
                    recipients = body.recipients.len(),
                    bytes = received,
                    "message queued"
                );
                relay.wake.notify_one();
            }
            // The first message with that key is the one kept: these pieces go.
            Ok(Enqueued::AlreadyQueued { .. }) | Err(_) => body.written.drop_now().await,
        }
        Ok(enqueued?)
    }

    /// From now on the message is refused; what was written of it is taken away.
    async fn refuse(&mut self, refusal: Refusal) {
        if let Stage::Body(body) = std::mem::replace(&mut self.stage, Stage::Refused(refusal)) {
            body.written.drop_now().await;
        }
    }
}

/// Checks a whole header section (the envelope sender and every header From and Sender
/// must be allowed), adds a Message-ID and Date when missing, and names the message.
async fn checked(relay: &Relay, submission: &Submission, head: Vec<u8>) -> Result<Body, Refusal> {
    let senders = relay.allowed_senders().await?;
    let submitter = &submission.submitter;
    if submission.mail_from_chosen {
        submitter.check_sender(&senders, &submission.mail_from)?;
    } else {
        senders.check(&submission.mail_from)?;
    }
    let headers = Headers::read(&head);
    if headers.from.is_empty() {
        return Err(Refusal::NoFromHeader);
    }
    for address in &headers.from {
        submitter.check_sender(&senders, address)?;
    }
    // A Sender header is checked as the From is: Exchange sends on its behalf.
    for address in &headers.sender {
        submitter
            .check_sender(&senders, address)
            .map_err(|refusal| match refusal {
                Refusal::ForeignSender { found, allowed } => {
                    Refusal::ForeignSenderHeader { found, allowed }
                }
                other => other,
            })?;
    }
    let (recipients, head) = match &submission.recipients {
        Recipients::Given(recipients) => (recipients.clone(), head),
        Recipients::FromHeaders => (
            headers.recipients.clone(),
            message::without_header(&head, "Bcc"),
        ),
    };
    if recipients.is_empty() {
        return Err(Refusal::NoRecipients);
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(Refusal::TooManyRecipients {
            limit: MAX_RECIPIENTS,
        });
    }
    let completed = headers.complete(head, senders.domain(), SystemTime::now());
    let id = new_message_id()?;
    Ok(Body {
        subject: headers.subject,
        internet_message_id: completed.message_id,
        written: Written::new(relay.store.clone(), id.clone()),
        id,
        head: completed.message,
        recipients,
        pending: Vec::with_capacity(PIECE),
        pieces: 0,
    })
}

/// Writes what is pending as the body's next piece; a new buffer takes its place.
async fn write_pending(store: &Store, body: &mut Body) -> Result<(), Refusal> {
    let now = unix_millis(SystemTime::now());
    let piece = std::mem::replace(&mut body.pending, Vec::with_capacity(PIECE));
    store.write_piece(&body.id, body.pieces, piece, now).await?;
    body.pieces += 1;
    Ok(())
}

/// The pieces written for a message not yet in the outbox: taken away when it is
/// refused, or when its client goes before the end (the session is dropped mid-DATA).
struct Written {
    store: Arc<Store>,
    id: String,
    kept: bool,
}

impl Written {
    fn new(store: Arc<Store>, id: String) -> Self {
        Self {
            store,
            id,
            kept: false,
        }
    }

    /// The outbox row names them now.
    fn keep(&mut self) {
        self.kept = true;
    }

    async fn drop_now(mut self) {
        self.kept = true;
        take_away(&self.store, &self.id).await;
    }
}

/// The pieces of message `id`, which never reached the outbox; if the store cannot
/// take them now, the hourly sweep does.
async fn take_away(store: &Store, id: &str) {
    if let Err(error) = store.drop_pieces(id).await {
        tracing::warn!(%error, %id, "the pieces of a message not accepted stay until the hourly sweep");
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        // The client went mid-message: nothing awaits this, so a task takes the pieces.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, id) = (self.store.clone(), std::mem::take(&mut self.id));
            runtime.spawn(async move { take_away(&store, &id).await });
        }
    }
}
