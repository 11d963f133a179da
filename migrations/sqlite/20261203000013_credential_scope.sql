-- What each relay credential may do (issue 31): the senders it may use (one address per
-- line), the client addresses it may connect from (one range per line), messages an
-- hour. NULL: that limit is off, as for every credential before this.
ALTER TABLE relay_credential ADD COLUMN senders TEXT;
ALTER TABLE relay_credential ADD COLUMN clients TEXT;
ALTER TABLE relay_credential ADD COLUMN per_hour INTEGER;
-- The quota counts a credential's messages of the last hour.
CREATE INDEX outbox_submitted ON outbox (submitted_by, accepted_at);
