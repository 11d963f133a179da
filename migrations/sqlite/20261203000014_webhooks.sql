-- Webhooks (issue 31): the endpoints the admin registered, each with its signing secret
-- sealed like every other secret, and one delivery per endpoint and event, stored in the
-- same transaction as the change it reports (a message accepted, sent, failed, bounced or
-- delayed): emitted once stored, delivered at least once, retried for a day.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    secret_sealed BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The webhook-id header: the same for each attempt of one delivery.
    id TEXT NOT NULL UNIQUE,
    endpoint_id TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- pending, delivered, failed (given up after a day)
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    last_reply TEXT
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, seq);
