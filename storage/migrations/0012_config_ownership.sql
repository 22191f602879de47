-- The configuration file owns what it lists, the chat what it adds: a feed
-- remembers where it came from, so that a feed removed from the file stops
-- at the next start and /delfeed leaves the file's feeds to the file.
-- Feeds stored before are the chat's until the file lists them again.
ALTER TABLE feeds ADD COLUMN origin TEXT NOT NULL DEFAULT 'chat' CHECK (origin IN ('file', 'chat'));

-- A section removed from the file is retired, not deleted: it leaves
-- /sections, and its subscriptions are kept, dormant, for when it returns.
ALTER TABLE sections ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;

-- The section belongs to the article: it outlives the feed that brought it
-- (/delfeed, a feed removed from the file), so /latest KEY and search by
-- section keep finding it. Filled from the feed when the article is stored.
ALTER TABLE articles ADD COLUMN section TEXT NOT NULL DEFAULT '';
UPDATE articles SET section = coalesce(
    (SELECT f.section FROM feeds f WHERE f.id = articles.feed_id),
    (SELECT f.section FROM feed_items fi JOIN feeds f ON f.id = fi.feed_id WHERE fi.article_id = articles.id LIMIT 1),
    '');
CREATE INDEX articles_section ON articles(section, published_at);
CREATE TRIGGER articles_section_from_feed AFTER INSERT ON articles WHEN NEW.section = '' AND NEW.feed_id IS NOT NULL
BEGIN
    UPDATE articles SET section = coalesce((SELECT section FROM feeds WHERE id = NEW.feed_id), '') WHERE id = NEW.id;
END;

