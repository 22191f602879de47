-- Issue 12: one alert per story and chat, edited as sources join.

-- The story of a delivery's article when it is not the article itself
-- (NULL, as for every row before this: the article is its own story), so
-- that the key below says a chat gets one alert per story.
ALTER TABLE deliveries ADD COLUMN story_id INTEGER;
-- An edit row: the delivery whose sent message it edits to list the
-- story's sources. NULL for alerts and broadcasts. No foreign key: deleting
-- an old article (and its deliveries) must not be held up by its edits; an
-- edit whose message is gone is finished unsent.
ALTER TABLE deliveries ADD COLUMN edit_of INTEGER;

-- One alert per story and chat. Story first, so the story's alerts (the
-- messages to edit when a source joins) come from the same index.
CREATE UNIQUE INDEX deliveries_story ON deliveries(coalesce(story_id, article_id), platform, chat_id)
    WHERE edit_of IS NULL AND article_id IS NOT NULL;
-- At most one waiting edit of a message: it is rendered when sent, with
-- every source known then.
CREATE UNIQUE INDEX deliveries_edit_pending ON deliveries(edit_of) WHERE edit_of IS NOT NULL AND state = 'pending';
-- Which deliveries one message carried: a combined message or digest is
-- never edited into a single alert.
CREATE INDEX deliveries_message ON deliveries(platform, chat_id, message_id) WHERE message_id IS NOT NULL;
