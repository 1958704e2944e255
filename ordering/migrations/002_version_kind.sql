-- kind says what an entity's version counts (ordering.Kind): 1 a number
-- (a sequence, or an integer read by auto), 2 a time (unix microseconds).
-- Versions of two kinds do not compare. 0, the kind of every version
-- recorded before this migration, compares with any kind as a plain
-- integer, as all versions did then.
ALTER TABLE entity_versions ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
