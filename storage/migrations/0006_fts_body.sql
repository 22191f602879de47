-- The search index gains the article's body, for articles whose page was read.
CREATE VIRTUAL TABLE articles_fts_new USING fts5(title, summary, body, tokenize = 'unicode61 remove_diacritics 0');
INSERT INTO articles_fts_new(rowid, title, summary, body) SELECT rowid, title, summary, '' FROM articles_fts;
DROP TABLE articles_fts;
ALTER TABLE articles_fts_new RENAME TO articles_fts;
