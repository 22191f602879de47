-- Search reads accents when they are typed: the index keeps each text twice,
-- as written (lower case is the tokenizer's) and folded (no diacritics,
-- đ→d, lower case). Queries match the folded columns and rank articles
-- with the exact typed form first. Articles stored before kept only their
-- folded body: their accented body stays empty. rowid is articles.id.
CREATE VIRTUAL TABLE articles_fts_new USING fts5(
    title, summary, body,
    title_f, summary_f, body_f,
    tokenize = 'unicode61 remove_diacritics 0'
);
INSERT INTO articles_fts_new(rowid, title, summary, body, title_f, summary_f, body_f)
    SELECT a.id, a.title, a.summary, '', f.title, f.summary, f.body
    FROM articles a JOIN articles_fts f ON f.rowid = a.id;
DROP TABLE articles_fts;
ALTER TABLE articles_fts_new RENAME TO articles_fts;

-- What a next-page cursor refers to: the query and section it continues,
-- keyed by a hash of both, so that a button (64 bytes on Telegram) carries
-- only the key and the position. used_at lets old ones be pruned.
CREATE TABLE search_queries (
    key     INTEGER PRIMARY KEY,
    query   TEXT NOT NULL,
    section TEXT NOT NULL,
    used_at INTEGER NOT NULL
);
CREATE INDEX search_queries_used ON search_queries(used_at);

-- Each chat's next page, so that a bare /more (typed where there are no
-- buttons) continues the chat's last search, across a restart too.
CREATE TABLE search_next (
    platform TEXT NOT NULL,
    chat_id  TEXT NOT NULL,
    cursor   TEXT NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (platform, chat_id)
);
