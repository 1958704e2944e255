-- entity_versions holds the last applied version of each entity.
CREATE TABLE entity_versions (
    entity     TEXT    NOT NULL PRIMARY KEY, -- "<provider>:<ordering key>"
    version    INTEGER NOT NULL,             -- normalized, see ordering.ParseVersion
    expires_at INTEGER NOT NULL              -- unix nanoseconds
) WITHOUT ROWID;
CREATE INDEX entity_versions_expires_at ON entity_versions (expires_at);
