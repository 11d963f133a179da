-- What several instances share through PostgreSQL, kept the same way on SQLite so that
-- one store serves both.

-- The outbox's leases: which worker is sending a message, and until when it may
-- (Unix milliseconds); a message whose lease ran out is taken over.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;

-- The allowed senders keep the order they were saved in (SQLite's rowid did, before).
ALTER TABLE relay_sender ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
UPDATE relay_sender SET position = rowid;

-- Named rows whose lock serializes work across instances (the limits, the relay's
-- pace), each with an instant (Unix milliseconds): the relay's next delivery.
CREATE TABLE throttle (
    name TEXT PRIMARY KEY,
    next_at INTEGER NOT NULL
) STRICT;

-- The limits' events (wrong sign-in tokens, test sends per session), Unix milliseconds.
CREATE TABLE limit_event (
    bucket TEXT NOT NULL,
    at INTEGER NOT NULL
) STRICT;
CREATE INDEX limit_event_bucket ON limit_event (bucket, at);
