-- Retention (issue 10): old articles and finished deliveries are pruned daily.

-- Deleting an article deletes its deliveries (ON DELETE CASCADE), and the
-- cascade looks them up by article: without an index every pruned article
-- scanned the whole outbox. Broadcasts (no article) are left out.
CREATE INDEX deliveries_article ON deliveries(article_id) WHERE article_id IS NOT NULL;

-- What the feeds called the items whose articles were pruned, so that a
-- feed still carrying one (slow feeds keep items for a year; a feed that
-- rotates guids serves them again under new ones) never alerts it again.
-- key is 64 bits of a hash of one identity: the item's guid, its canonical
-- link, or its link's host and path with its folded title (the identities
-- SaveItems matches). seen_at is the last time the feed served the item
-- (pruning counts as seen): an identity no feed served for a retention
-- period is forgotten.
CREATE TABLE pruned_items (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key     INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
CREATE INDEX pruned_items_seen ON pruned_items(seen_at);

