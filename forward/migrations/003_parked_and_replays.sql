-- Parked rows: outbox rows the NATS server refused again and again (too
-- large for it, a subject no stream covers, a stream deleted), moved out of
-- the outbox by forward.Relay so that the rows after them go on. They keep
-- their outbox seq, the refusal's count and text, and wait to be sent again
-- (forward.Unpark) once the cause is fixed.
CREATE TABLE outbox_parked (
    seq        INTEGER PRIMARY KEY,
    msg_id     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    header     BLOB,
    body       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    replay     TEXT,
    parked_at  INTEGER NOT NULL,
    attempts   INTEGER NOT NULL,
    error      TEXT    NOT NULL
);

-- The replay an outbox row belongs to (NULL for an accepted event), so that
-- a replay in progress can be listed and cancelled.
ALTER TABLE outbox ADD COLUMN replay TEXT;
CREATE INDEX outbox_replay ON outbox (replay) WHERE replay IS NOT NULL;
