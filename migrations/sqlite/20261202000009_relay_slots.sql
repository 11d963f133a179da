-- The connection slots to Exchange Online, shared by every instance: a worker delivers
-- only while it holds one (`holder`, until `lease_until`, renewed while its connection
-- is open), so no more connections are open at once than `SMTP_SETUP_RELAY_CONNECTIONS`.
-- Rows are added as the setting asks for them; a slot whose holder died is free once its
-- lease has run out.
CREATE TABLE relay_slots (
    slot INTEGER PRIMARY KEY,
    holder TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0
) STRICT;
