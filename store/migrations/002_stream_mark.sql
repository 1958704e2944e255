-- The stream sequence of the last event the writer published itself,
-- written in the transaction that records the event's claim. After a crash
-- between the stream's acknowledgement and that commit, the writer reads
-- the stream from here and records the claims and versions it finds.
CREATE TABLE stream_mark (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
