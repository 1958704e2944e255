-- Requests that failed verification, kept (bounded) for inspection with
-- `hookgate verify`; never forwarded. header is JSON of map[string][]string;
-- received_at is unix nanoseconds.
CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    provider    TEXT    NOT NULL,
    reason      TEXT    NOT NULL,
    error       TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    header      BLOB,
    body        BLOB    NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX quarantine_provider ON quarantine (provider, id);
