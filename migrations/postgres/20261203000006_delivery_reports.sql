-- The delivery reports read from the sending mailbox (issue 31). Where the watcher is in
-- each mailbox's INBOX: its UIDVALIDITY and the last UID read (a new UIDVALIDITY means
-- the server renumbered it: read again from a week back), and how many reports named no
-- message of the outbox. A report and the position after it are stored in one
-- transaction: read once each, even across a crash.
CREATE TABLE mailbox_positions (
    mailbox TEXT PRIMARY KEY,
    uid_validity BIGINT NOT NULL,
    last_uid BIGINT NOT NULL,
    unmatched BIGINT NOT NULL DEFAULT 0,
    read_at BIGINT NOT NULL
);

-- One line per recipient of each report about a message of the outbox.
CREATE TABLE delivery_reports (
    outbox_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    diagnostic TEXT,
    reporting_mta TEXT,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (outbox_id, recipient, action)
);
