//! Group commit of accepted messages. Each message's outbox row is on disk before its
//! 250, and a synced commit costs about the same for one row as for fifty: SQLite has one
//! writer at a time, so without this every message would wait for the sync of each one
//! before it. One task stores the messages: those that arrived while its last commit
//! synced go in the next transaction together, each answered once it is committed. A
//! message alone is committed at once, as before; nothing waits for company. PostgreSQL
//! shares the flushes of concurrent commits by itself; there the batch saves round trips.

use tokio::sync::{mpsc, oneshot};

use super::outbox::{insert_message, NewMessage};
use super::{Enqueued, Pool, StoreError};

/// At most this many messages in one transaction…
const MOST_MESSAGES: usize = 64;
/// …and about this many bytes of them (header sections and last pieces).
const MOST_BYTES: usize = 8 * 1024 * 1024;
/// Messages waiting for the committer (the relay takes 256 sessions at most).
const WAITING: usize = 256;

/// A [`NewMessage`] on its way to the committer: its own copy of the fields (the header
/// section and the last piece are bounded; the rest of the body is already stored).
struct Pending {
    id: String,
    accepted_at: i64,
    submitted_by: String,
    mail_from: String,
    recipients: Vec<String>,
    subject: String,
    internet_message_id: Option<String>,
    head: Vec<u8>,
    last_piece: Vec<u8>,
    pieces: i64,
    size: i64,
    idempotency_key: Option<String>,
}

impl Pending {
    fn of(message: &NewMessage<'_>) -> Self {
        Self {
            id: message.id.to_owned(),
            accepted_at: message.accepted_at,
            submitted_by: message.submitted_by.to_owned(),
            mail_from: message.mail_from.to_owned(),
            recipients: message.recipients.to_vec(),
            subject: message.subject.to_owned(),
            internet_message_id: message.internet_message_id.map(str::to_owned),
            head: message.head.to_vec(),
            last_piece: message.last_piece.to_vec(),
            pieces: message.pieces,
            size: message.size,
            idempotency_key: message.idempotency_key.map(str::to_owned),
        }
    }

    fn message(&self) -> NewMessage<'_> {
        NewMessage {
            id: &self.id,
            accepted_at: self.accepted_at,
            submitted_by: &self.submitted_by,
            mail_from: &self.mail_from,
            recipients: &self.recipients,
            subject: &self.subject,
            internet_message_id: self.internet_message_id.as_deref(),
            head: &self.head,
            last_piece: &self.last_piece,
            pieces: self.pieces,
            size: self.size,
            idempotency_key: self.idempotency_key.as_deref(),
        }
    }

    fn bytes(&self) -> usize {
        self.head.len() + self.last_piece.len()
    }
}

type Reply = oneshot::Sender<Result<Enqueued, StoreError>>;

/// The way to the committing task; it ends when the store is dropped.
pub(super) struct Committer {
    to_task: mpsc::Sender<(Pending, Reply)>,
}

impl Committer {
    pub(super) fn start(pool: Pool) -> Self {
        let (to_task, from_store) = mpsc::channel(WAITING);
        tokio::spawn(commit_loop(pool, from_store));
        Self { to_task }
    }

    /// Stores `message`; returns once it is committed (or refused). A caller that goes
    /// away before the answer leaves its message to be committed all the same: accepted,
    /// though nobody was told (the client's retry sends it again, at-least-once).
    pub(super) async fn store(&self, message: &NewMessage<'_>) -> Result<Enqueued, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.to_task
            .send((Pending::of(message), reply))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

async fn commit_loop(pool: Pool, mut from_store: mpsc::Receiver<(Pending, Reply)>) {
    while let Some(first) = from_store.recv().await {
        let mut bytes = first.0.bytes();
        let mut batch = vec![first];
        while batch.len() < MOST_MESSAGES && bytes < MOST_BYTES {
            match from_store.try_recv() {
                Ok(next) => {
                    bytes += next.0.bytes();
                    batch.push(next);
                }
                Err(_) => break,
            }
        }
        commit(&pool, batch).await;
    }
}

/// One transaction for the batch; if it fails, each message alone, so that each gets
/// its own answer (one message's error is not its neighbours').
async fn commit(pool: &Pool, batch: Vec<(Pending, Reply)>) {
    let messages: Vec<NewMessage<'_>> =
        batch.iter().map(|(pending, _)| pending.message()).collect();
    let together = insert_message(pool, &messages).await;
    drop(messages);
    match together {
        Ok(answers) => {
            for ((_, reply), answer) in batch.into_iter().zip(answers) {
                let _ = reply.send(Ok(answer));
            }
        }
        Err(error) if batch.len() == 1 => {
            if let Some((_, reply)) = batch.into_iter().next() {
                let _ = reply.send(Err(error));
            }
        }
        Err(_) => {
            for (pending, reply) in batch {
                let alone = insert_message(pool, &[pending.message()]).await;
                let _ = reply.send(
                    alone.and_then(|answers| answers.into_iter().next().ok_or(StoreError::Closed)),
                );
            }
        }
    }
}
