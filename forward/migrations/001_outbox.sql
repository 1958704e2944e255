-- The transactional outbox: one row per accepted event, published to NATS
-- in seq order by forward.Relay and deleted once acknowledged.
-- header is JSON of map[string][]string (NULL when there are none);
-- created_at is unix nanoseconds.
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    header     BLOB,
    body       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
