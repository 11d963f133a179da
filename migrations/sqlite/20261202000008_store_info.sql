-- What the store knows of itself: `written_by`, the version of smtp-setup that last
-- opened it (and so applied its newest migration), which an older version that finds
-- migrations it does not know names in its refusal.
CREATE TABLE store_info (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
