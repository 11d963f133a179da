-- The certificate credential: which credential the saved configuration uses, the
-- certificate (public, PEM), its private key (sealed like the secrets) and the client
-- secret's expiry date as the administrator gave it.
ALTER TABLE configuration ADD COLUMN credential TEXT NOT NULL DEFAULT 'client_secret';
ALTER TABLE configuration ADD COLUMN secret_expires TEXT NOT NULL DEFAULT '';
-- 1: the date was read from Microsoft Graph, 0: typed by the administrator.
ALTER TABLE configuration ADD COLUMN secret_expires_from_graph INTEGER NOT NULL DEFAULT 0;
ALTER TABLE configuration ADD COLUMN certificate TEXT NOT NULL DEFAULT '';
-- Where the scheduled check sends a real test email at most daily ('' : nowhere).
ALTER TABLE configuration ADD COLUMN monitor_to TEXT NOT NULL DEFAULT '';
ALTER TABLE configuration ADD COLUMN private_key_sealed BLOB;
ALTER TABLE configuration ADD COLUMN private_key_saved_at TEXT;

-- Keys generated or opened from a PKCS#12 file on this server, waiting for the
-- configuration that uses their certificate to be saved (the key never goes to the
-- browser). Keyed by a SHA-256 of the certificate's PEM; a day old, they are dropped.
CREATE TABLE pending_private_keys (
    certificate_sha256 TEXT PRIMARY KEY,
    private_key_sealed BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
