-- How many articles use each folded word of their title or lead: the IDF
-- the story matcher weighs words by. The row '' holds how many articles
-- were counted. FTS5 keeps no such counts: counting a common word's
-- articles in the search index reads its whole posting list, milliseconds
-- at a million articles, where this is one lookup. Counts only grow (an
-- article deleted by retention stays counted, with the total): they
-- estimate how common a word is, not how many articles are stored.
CREATE TABLE story_terms (
    term TEXT PRIMARY KEY,
    df   INTEGER NOT NULL
) WITHOUT ROWID;

-- The articles stored before: counted from the search index, once. A word
-- in both the title and the lead of an article is counted by the larger of
-- its two columns' counts, a slight undercount.
CREATE VIRTUAL TABLE temp.story_vocab USING fts5vocab(main, articles_fts, col);
INSERT INTO story_terms(term, df)
    SELECT term, max(doc) FROM temp.story_vocab WHERE col IN ('title_f', 'summary_f') GROUP BY term;
INSERT INTO story_terms(term, df) SELECT '', count(*) FROM articles;
DROP TABLE temp.story_vocab;
