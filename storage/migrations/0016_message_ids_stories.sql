-- The platform's id of the message that carried a delivery, recorded when
-- it is marked sent: what a later edit of that message (a story's new
-- sources) addresses. NULL for rows sent before this, and for platforms
-- without message ids.
ALTER TABLE deliveries ADD COLUMN message_id TEXT;

-- Stories: the same news carried by several outlets. An article's story is
-- the id of the story's first article; NULL means the article is its own
-- story (every article stored before this, and every article that started
-- one), so the migration writes nothing at a million rows.
ALTER TABLE articles ADD COLUMN story_id INTEGER;
CREATE INDEX articles_story ON articles(story_id) WHERE story_id IS NOT NULL;
