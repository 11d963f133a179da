-- The history holds both checks: a test email and the mailbox access (IMAP). Each row
-- says which, and whether it passed.
ALTER TABLE test_history ADD COLUMN kind TEXT NOT NULL DEFAULT 'send_test';
UPDATE test_history SET outcome = 'passed' WHERE outcome = 'sent';
