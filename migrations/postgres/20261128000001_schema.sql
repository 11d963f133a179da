-- The whole schema on PostgreSQL, as the SQLite migrations up to
-- 20261128000007_shared_instances leave it (PostgreSQL arrived with that version, so it
-- has no history to replay). Column for column the same names and meanings; integers
-- are BIGINT (Rust's i64), bytes BYTEA, the booleans BOOLEAN.

-- The one saved SMTP configuration. Secrets are stored only sealed (XChaCha20-Poly1305):
-- a 24-byte nonce followed by the ciphertext and tag; their fingerprints apart.
CREATE TABLE configuration (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    auth_type TEXT NOT NULL,
    cloud TEXT NOT NULL,
    email_address TEXT NOT NULL,
    name TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    smtp_host TEXT NOT NULL,
    smtp_port TEXT NOT NULL,
    security TEXT NOT NULL,
    username TEXT NOT NULL,
    send_test_to TEXT NOT NULL,
    client_secret_sealed BYTEA,
    client_secret_hint TEXT,
    client_secret_length BIGINT,
    client_secret_saved_at TEXT,
    password_sealed BYTEA,
    password_length BIGINT,
    password_saved_at TEXT,
    saved_at TEXT NOT NULL,
    credential TEXT NOT NULL DEFAULT 'client_secret',
    secret_expires TEXT NOT NULL DEFAULT '',
    secret_expires_from_graph BOOLEAN NOT NULL DEFAULT FALSE,
    certificate TEXT NOT NULL DEFAULT '',
    monitor_to TEXT NOT NULL DEFAULT '',
    private_key_sealed BYTEA,
    private_key_saved_at TEXT
);

-- What the key must open: a sealed constant, written with the first key.
CREATE TABLE key_check (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    sealed BYTEA NOT NULL
);

-- Every check: what an administrator needs to see, never a secret or token.
CREATE TABLE test_history (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at TEXT NOT NULL,
    auth_type TEXT NOT NULL,
    recipient TEXT NOT NULL,
    outcome TEXT NOT NULL,
    step TEXT,
    code TEXT,
    detail TEXT,
    kind TEXT NOT NULL DEFAULT 'send_test'
);

-- Signed-in administrators: only the SHA-256 of each session cookie.
CREATE TABLE session (
    key_hash BYTEA PRIMARY KEY,
    -- Unix seconds.
    expires_at BIGINT NOT NULL
);

-- The relay's application credentials: a name and the Argon2id hash (PHC string).
CREATE TABLE relay_credential (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    -- Unix milliseconds.
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);

-- The outbox: every message the relay accepted, committed before the application is
-- told it is queued, kept byte for byte until it is delivered or fails.
CREATE TABLE outbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    accepted_at BIGINT NOT NULL,
    submitted_by TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    message BYTEA NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    finished_at BIGINT,
    idempotency_key TEXT,
    claimed_by TEXT,
    lease_until BIGINT
);

CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE UNIQUE INDEX outbox_idempotency ON outbox (submitted_by, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- The relay's "Also allowed senders" (lower case), in the order they were saved.
CREATE TABLE relay_sender (
    address TEXT PRIMARY KEY,
    position BIGINT NOT NULL DEFAULT 0
);

-- Keys generated or opened on a server, waiting for the configuration that uses their
-- certificate to be saved; a day old, they are dropped.
CREATE TABLE pending_private_keys (
    certificate_sha256 TEXT PRIMARY KEY,
    private_key_sealed BYTEA NOT NULL,
    created_at TEXT NOT NULL
);

-- Named rows whose lock serializes work across instances (the limits, the relay's pace).
CREATE TABLE throttle (
    name TEXT PRIMARY KEY,
    next_at BIGINT NOT NULL
);

-- The limits' events (wrong sign-in tokens, test sends per session), Unix milliseconds.
CREATE TABLE limit_event (
    bucket TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX limit_event_bucket ON limit_event (bucket, at);
