-- Retention (issue 32): a delivered message's body is dropped after
-- SMTP_SETUP_RETENTION_DAYS and its row after SMTP_SETUP_RECORD_RETENTION_DAYS. When the
-- body went (Unix milliseconds); the row stays, with its envelope, subject and attempts.
ALTER TABLE outbox ADD COLUMN body_dropped_at INTEGER;
-- The retention runs look for finished messages by age.
CREATE INDEX outbox_finished ON outbox (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX test_history_at ON test_history (at);
