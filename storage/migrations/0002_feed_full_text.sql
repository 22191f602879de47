-- Feeds that publish only titles or teasers: fetch the article page for the summary.
ALTER TABLE feeds ADD COLUMN full_text INTEGER NOT NULL DEFAULT 0;
