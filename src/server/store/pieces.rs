//! A message's body in pieces: written one piece at a time as the message arrives, read
//! back one piece at a time as it is delivered, so neither side holds the whole message.
//! The pieces are in the store before the outbox row that names them, and that row is
//! what makes the message accepted: pieces without it belong to a message still arriving
//! or abandoned, and are swept once their newest is an hour old.

use super::{Store, StoreError};

/// How long pieces may wait for their outbox row before they are taken for abandoned.
pub const ABANDONED_AFTER_MS: i64 = 60 * 60 * 1000;

impl Store {
    /// Piece `seq` (0, 1, …) of message `id`'s body. Not yet part of any message: the
    /// outbox row written after the last piece is, and its synced commit makes the pieces
    /// durable too (so theirs, on the pieces' pool, is not synced). A write refused for
    /// lack of disk space is remembered for `/healthz`, as a message's is. The piece is
    /// taken, not copied, on its way to the database.
    pub async fn write_piece(
        &self,
        id: &str,
        seq: i64,
        bytes: Vec<u8>,
        now: i64,
    ) -> Result<(), StoreError> {
        let written = async {
            on_pool!(pool &self.pieces, pool => {
                sqlx::query(
                    "INSERT INTO message_pieces (message_id, seq, bytes, written_at)
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(id)
                .bind(seq)
                .bind(bytes)
                .bind(now)
                .execute(pool)
                .await?;
            });
            Ok(())
        }
        .await;
        if written.is_err() {
            self.note_room(&written, now);
        }
        written
    }

    /// Piece `seq` of message `id`'s body.
    pub async fn read_piece(&self, id: &str, seq: i64) -> Result<Vec<u8>, StoreError> {
        let bytes: Option<Vec<u8>> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT bytes FROM message_pieces WHERE message_id = $1 AND seq = $2")
                .bind(id)
                .bind(seq)
                .fetch_optional(pool)
                .await?
        });
        bytes.ok_or_else(|| StoreError::Unknown {
            column: "message_pieces (missing)",
            value: format!("{id} piece {seq}"),
        })
    }

    /// Takes away the pieces of a message that was not accepted after all, unless an
    /// outbox row names them: a commit whose answer was lost (the database died as it
    /// committed) is refused to the client but kept, and its pieces with it.
    pub async fn drop_pieces(&self, id: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM message_pieces WHERE message_id = $1
                 AND NOT EXISTS (SELECT 1 FROM outbox WHERE id = $1)",
            )
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Takes away pieces that no outbox row names and whose newest was written before
    /// `before`: messages abandoned mid-way by their client or by a crash.
    pub async fn sweep_pieces(&self, before: i64) -> Result<u64, StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM message_pieces WHERE message_id IN (
                     SELECT p.message_id FROM message_pieces p
                     WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.id = p.message_id)
                     GROUP BY p.message_id HAVING MAX(p.written_at) < $1)",
            )
            .bind(before)
            .execute(pool)
            .await?
            .rows_affected()
        }))
    }
}
