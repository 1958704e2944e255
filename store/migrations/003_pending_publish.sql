-- What the last batch that the writer published itself changed, while the
-- stream may not have its messages yet: the writer publishes a batch while
-- its transaction commits. pending is JSON, one entry per event in
-- decision order (its message IDs, its claims, the entity version it
-- replaced); NULL once the stream took them. The next transaction moves
-- seq to what the stream acknowledged and replaces pending with its own
-- batch's. After a crash, CatchUp undoes the entries whose messages are
-- not on the stream, so that the provider's retry is accepted again.
ALTER TABLE stream_mark ADD COLUMN pending BLOB;
