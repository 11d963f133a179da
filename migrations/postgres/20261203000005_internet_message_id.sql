-- The Message-ID each message goes out with (the application's own, or the one the relay
-- added), without its angle brackets: a non-delivery report names the message by it
-- (issue 31). Messages accepted before this have none recorded.
ALTER TABLE outbox ADD COLUMN internet_message_id TEXT;
CREATE INDEX outbox_internet_message_id ON outbox (internet_message_id);
