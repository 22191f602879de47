-- Which sections an article belongs to: its own (from the feed that first
-- brought it) and that of every feed that carried it since. /latest KEY and
-- search by section read it through its index instead of joining every
-- feed item of the section. Rows outlive the feeds: the section belongs to
-- the article.
CREATE TABLE article_sections (
    section      TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    article_id   INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (section, article_id)
) WITHOUT ROWID;
CREATE INDEX article_sections_newest ON article_sections(section, published_at);
CREATE INDEX article_sections_article ON article_sections(article_id);

INSERT OR IGNORE INTO article_sections(section, published_at, article_id)
    SELECT section, published_at, id FROM articles WHERE section != '';
INSERT OR IGNORE INTO article_sections(section, published_at, article_id)
    SELECT f.section, a.published_at, a.id
    FROM feed_items fi JOIN feeds f ON f.id = fi.feed_id JOIN articles a ON a.id = fi.article_id;

CREATE TRIGGER article_sections_own AFTER UPDATE OF section ON articles WHEN NEW.section != ''
BEGIN
    INSERT OR IGNORE INTO article_sections(section, published_at, article_id) VALUES (NEW.section, NEW.published_at, NEW.id);
END;
CREATE TRIGGER article_sections_new AFTER INSERT ON articles WHEN NEW.section != ''
BEGIN
    INSERT OR IGNORE INTO article_sections(section, published_at, article_id) VALUES (NEW.section, NEW.published_at, NEW.id);
END;
CREATE TRIGGER article_sections_carried AFTER INSERT ON feed_items
BEGIN
    INSERT OR IGNORE INTO article_sections(section, published_at, article_id)
        SELECT f.section, a.published_at, a.id FROM feeds f, articles a WHERE f.id = NEW.feed_id AND a.id = NEW.article_id;
END;
