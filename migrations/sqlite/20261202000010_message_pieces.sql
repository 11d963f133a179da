-- A message's body, stored as it arrives in pieces of a bounded size (issue 30): the
-- relay never holds a whole message in memory. The outbox row's `message` then holds
-- only the header section (as completed: Message-ID and Date added, Bcc taken out),
-- `pieces` says how many rows here follow it, in `seq` order, and `size` is the whole.
-- Rows written before this hold the whole message in `message` and no pieces.
-- Pieces whose message never reached the outbox (a client gone mid-DATA, a crash) are
-- swept once their last piece is an hour old.
CREATE TABLE message_pieces (
    message_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    written_at INTEGER NOT NULL,
    PRIMARY KEY (message_id, seq)
) STRICT;

ALTER TABLE outbox ADD COLUMN pieces INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
UPDATE outbox SET size = length(message);
