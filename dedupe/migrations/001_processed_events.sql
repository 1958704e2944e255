-- processed_events holds one row per event ID seen, until it expires.
CREATE TABLE processed_events (
    key        TEXT    NOT NULL PRIMARY KEY, -- "<provider>:<event id>"
    expires_at INTEGER NOT NULL              -- unix nanoseconds
) WITHOUT ROWID;
CREATE INDEX processed_events_expires_at ON processed_events (expires_at);
