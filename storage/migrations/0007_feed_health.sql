-- A feed's health survives a restart, so that a restart does not hammer a
-- failing feed (or download a refused 50 MB body again).
ALTER TABLE feeds ADD COLUMN failures INTEGER NOT NULL DEFAULT 0; -- consecutive failed polls
ALTER TABLE feeds ADD COLUMN next_attempt_at INTEGER;             -- unix ms: no poll before; NULL = on schedule
ALTER TABLE feeds ADD COLUMN paused INTEGER NOT NULL DEFAULT 0;   -- 1 after poll.max_failures failures, until /resumefeed

-- A second identity for an item, for feeds that rotate guids and tracking
-- parameters: its link's host and path (no query) with its folded title.
-- NULL for items stored before.
ALTER TABLE feed_items ADD COLUMN link_key TEXT;
ALTER TABLE feed_items ADD COLUMN title_key TEXT;
CREATE INDEX feed_items_link_key ON feed_items(feed_id, link_key) WHERE link_key IS NOT NULL;
