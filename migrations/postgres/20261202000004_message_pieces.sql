-- A message's body, stored as it arrives in pieces of a bounded size (issue 30): the
-- relay never holds a whole message in memory. The outbox row's `message` then holds
-- only the header section (as completed: Message-ID and Date added, Bcc taken out),
-- `pieces` says how many rows here follow it, in `seq` order, and `size` is the whole.
-- Rows written before this hold the whole message in `message` and no pieces.
-- Pieces whose message never reached the outbox (a client gone mid-DATA, a crash) are
-- swept once their last piece is an hour old.
CREATE TABLE message_pieces (
    message_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    written_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, seq)
);
-- Stored out of line without compression: mail is mostly compressed already (base64 of
-- PDFs and images), and pglz on every piece costs CPU for nothing.
ALTER TABLE message_pieces ALTER COLUMN bytes SET STORAGE EXTERNAL;

ALTER TABLE outbox ADD COLUMN pieces BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN size BIGINT NOT NULL DEFAULT 0;
UPDATE outbox SET size = octet_length(message);
