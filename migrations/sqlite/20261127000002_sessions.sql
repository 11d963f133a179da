-- Signed-in administrators, so that a restart does not sign everyone out. Only the
-- SHA-256 of each session cookie is kept: the table alone signs no one in.
CREATE TABLE session (
    key_hash BLOB PRIMARY KEY,
    -- Unix seconds.
    expires_at INTEGER NOT NULL
) STRICT;
