-- The relay's application credentials: a name and the Argon2id hash (PHC string) of the
-- generated password. The password itself is shown once and never stored.
CREATE TABLE relay_credential (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    -- Unix milliseconds.
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
) STRICT;

-- The outbox: every message the relay accepted, written (and synced) before the
-- application is told it is queued, kept byte for byte until it is delivered or fails.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The id applications and the page see.
    id TEXT NOT NULL UNIQUE,
    -- Unix milliseconds.
    accepted_at INTEGER NOT NULL,
    -- The relay credential that submitted it, or "ip:<address>" for an allowed address.
    submitted_by TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    -- JSON array of addresses.
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    message BLOB NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    finished_at INTEGER,
    idempotency_key TEXT
) STRICT;

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE UNIQUE INDEX outbox_idempotency ON outbox (submitted_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- The relay's "Also allowed senders": addresses besides the configured mailbox that the
-- service principal may send as (lower case).
CREATE TABLE relay_sender (
    address TEXT PRIMARY KEY
) STRICT;
