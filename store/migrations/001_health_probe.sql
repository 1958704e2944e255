-- A row that /readyz writes and deletes after a failed commit, to learn
-- whether the database takes writes again (a disk that was full has
-- room) before any request comes to try.
CREATE TABLE health_probe (
    id  INTEGER PRIMARY KEY,
    pad BLOB NOT NULL
);
