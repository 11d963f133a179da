-- The one saved SMTP configuration. Secrets are stored only sealed (XChaCha20-Poly1305):
-- a 24-byte nonce followed by the ciphertext and tag. Their fingerprints (the first
-- three characters, as Entra shows a client secret, and the length) are kept apart so
-- the page can show which secret is stored without ever opening it.
CREATE TABLE configuration (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    auth_type TEXT NOT NULL,
    cloud TEXT NOT NULL,
    email_address TEXT NOT NULL,
    name TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    smtp_user TEXT NOT NULL,
    object_id TEXT NOT NULL,
    smtp_host TEXT NOT NULL,
    smtp_port TEXT NOT NULL,
    security TEXT NOT NULL,
    username TEXT NOT NULL,
    send_test_to TEXT NOT NULL,
    client_secret_sealed BLOB,
    client_secret_hint TEXT,
    client_secret_length INTEGER,
    client_secret_saved_at TEXT,
    password_sealed BLOB,
    password_length INTEGER,
    password_saved_at TEXT,
    saved_at TEXT NOT NULL
) STRICT;

-- What the key must open: a sealed constant, written with the first key. A wrong key is
-- then a clear start-up error, not garbage or a silent new key.
CREATE TABLE key_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
) STRICT;

-- Every test send: what an administrator needs to see, never a secret or token.
CREATE TABLE test_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    auth_type TEXT NOT NULL,
    recipient TEXT NOT NULL,
    outcome TEXT NOT NULL,
    step TEXT,
    code TEXT,
    detail TEXT
) STRICT;
