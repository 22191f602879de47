-- Sections group feeds; people subscribe to sections.
CREATE TABLE sections (
    key      TEXT PRIMARY KEY,
    name     TEXT NOT NULL,
    folded   TEXT NOT NULL,          -- name folded for matching "/subscribe chinh tri"
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE feeds (
    id              INTEGER PRIMARY KEY,
    url             TEXT NOT NULL UNIQUE,
    section         TEXT NOT NULL REFERENCES sections(key) ON UPDATE CASCADE,
    schedule        TEXT NOT NULL DEFAULT '',
    title           TEXT NOT NULL DEFAULT '',
    etag            TEXT NOT NULL DEFAULT '',
    last_modified   TEXT NOT NULL DEFAULT '',
    polled_at       INTEGER,             -- first successful poll (unix ms); NULL until then
    last_success_at INTEGER,
    last_error      TEXT NOT NULL DEFAULT '',
    last_error_at   INTEGER,
    created_at      INTEGER NOT NULL
);

-- One row per article, whichever feeds brought it. The canonical link makes
-- the same story from two feeds one article (NULLs, for items without a
-- link, never collide).
CREATE TABLE articles (
    id           INTEGER PRIMARY KEY,
    feed_id      INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    canonical    TEXT UNIQUE,
    link         TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL DEFAULT '',
    image_url    TEXT NOT NULL DEFAULT '',
    published_at INTEGER NOT NULL,
    seen_at      INTEGER NOT NULL
);
CREATE INDEX articles_published ON articles(published_at);

-- Which feed carried which article under which guid: the feed's identity.
CREATE TABLE feed_items (
    feed_id    INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    guid       TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (feed_id, guid)
);
CREATE INDEX feed_items_article ON feed_items(article_id);

-- Folded (diacritics removed, đ→d, lower case) title and summary; rowid is articles.id.
CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, tokenize = 'unicode61 remove_diacritics 0');

CREATE TABLE chats (
    platform   TEXT NOT NULL,
    id         TEXT NOT NULL,
    type       TEXT NOT NULL DEFAULT 'private',
    title      TEXT NOT NULL DEFAULT '',
    lang       TEXT NOT NULL DEFAULT 'vi',
    active     INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (platform, id)
);

CREATE TABLE subscriptions (
    platform   TEXT NOT NULL,
    chat_id    TEXT NOT NULL,
    section    TEXT NOT NULL REFERENCES sections(key) ON UPDATE CASCADE ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id, section),
    FOREIGN KEY (platform, chat_id) REFERENCES chats(platform, id) ON UPDATE CASCADE ON DELETE CASCADE
);
CREATE INDEX subscriptions_section ON subscriptions(section);

-- The outbox. A row is written in the transaction that stores its article and
-- marked sent only after the platform accepted it.
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    platform        TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    article_id      INTEGER REFERENCES articles(id) ON DELETE CASCADE, -- NULL for a broadcast
    text            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed', 'dropped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    UNIQUE (platform, chat_id, article_id)
);
CREATE INDEX deliveries_pending ON deliveries(next_attempt_at) WHERE state = 'pending';
