-- The event archive (optional): decided events kept for inspection and
-- replay until their retention ends. status is accepted or stale;
-- duplicates counts later deliveries of the same event. header is JSON of
-- map[string][]string as in the outbox; received_at is unix nanoseconds.
CREATE TABLE archive (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    provider    TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    event_type  TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    msg_id      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    header      BLOB,
    body        BLOB    NOT NULL,
    received_at INTEGER NOT NULL,
    duplicates  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX archive_provider_received ON archive (provider, received_at);
CREATE INDEX archive_received ON archive (received_at);
CREATE INDEX archive_msg_id ON archive (msg_id);
