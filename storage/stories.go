package storage

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Stories: the same news carried by several outlets. An article's story is
// the id of the story's first article (articles.story_id, NULL for the
// first itself), decided by the matcher (storymatch.go) when the article
// is saved. A chat gets one alert per story (the deliveries_story key of
// migration 0017); an alert already sent as a message of its own is edited,
// through the outbox, when another outlet's article joins its story.

// StoryEditAge is how old a sent alert may be and still be edited when a
// source joins its story: past it, an edit would change a message the
// reader has long scrolled past.
const StoryEditAge = 48 * time.Hour

// EnableStories turns story grouping on with opt (zero fields take the
// defaults) for the articles saved from now on. Without it every article
// is its own story, as before stories existed.
func (s *Store) EnableStories(opt StoryOptions) {
	opt = opt.withDefaults()
	s.stories.Store(&opt)
}

// storyOptions returns the options and whether grouping is on.
func (s *Store) storyOptions() (StoryOptions, bool) {
	o := s.stories.Load()
	if o == nil {
		return StoryOptions{}, false
	}
	return *o, true
}

// assignStory asks the matcher which story a new article joins and records
// it; it returns the story's id, the article's own when it starts one.
// The article is not yet in the search index, so it is never its own
// candidate (nor are the other articles of its write batch: a feed rarely
// carries one story twice in one poll).
func assignStory(ctx context.Context, tx *txStmts, articleID int64, it Item, published time.Time, opt StoryOptions) (int64, error) {
	m, err := matchStory(ctx, tx, articleID, StoryDoc{Title: it.Title, Summary: it.Summary, Body: it.Body, Published: published}, opt)
	if err != nil {
		return 0, err
	}
	if m.StoryID == 0 || m.StoryID == articleID {
		return articleID, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE articles SET story_id = ? WHERE id = ?`, m.StoryID, articleID); err != nil {
		return 0, fmt.Errorf("storage: join article %d to story %d: %w", articleID, m.StoryID, err)
	}
	return m.StoryID, nil
}

// storyOf returns the story of a stored article (its own id when alone).
func storyOf(ctx context.Context, q querier, articleID int64) (int64, error) {
	var story int64
	if err := q.QueryRowContext(ctx, `SELECT coalesce(story_id, id) FROM articles WHERE id = ?`, articleID).Scan(&story); err != nil {
		return 0, fmt.Errorf("storage: story of article %d: %w", articleID, err)
	}
	return story, nil
}

// storyParam is the deliveries.story_id of an alert of the article: NULL
// when the article is its own story.
func storyParam(articleID, story int64) any {
	if story == 0 || story == articleID {
		return nil
	}
	return story
}

// enqueueEdits queues, for every active chat that was sent an alert of the
// story as a message of its own in the last StoryEditAge, an edit of that
// message, which will list the story's sources as they are when it is
// sent; articleID is the article that joined. A chat with an edit already
// waiting gets no second one (deliveries_edit_pending), a chat whose alert
// still waits gets none (it goes out with every source), and a message
// that carried several alerts (a digest) is never edited.
func enqueueEdits(ctx context.Context, tx execer, articleID, story int64, now time.Time) (int, error) {
	r, err := tx.ExecContext(ctx, `
		INSERT INTO deliveries(platform, chat_id, article_id, story_id, edit_of, text, next_attempt_at, created_at)
		SELECT o.platform, o.chat_id, ?1, ?2, o.id, o.text, ?3, ?3
		FROM deliveries o INDEXED BY deliveries_story
		JOIN chats c ON c.platform = o.platform AND c.id = o.chat_id
		WHERE coalesce(o.story_id, o.article_id) = ?2 AND o.edit_of IS NULL AND o.article_id IS NOT NULL
			AND o.state = 'sent' AND o.message_id IS NOT NULL AND o.sent_at >= ?4 AND c.active = 1
			AND NOT EXISTS (SELECT 1 FROM deliveries x INDEXED BY deliveries_message
				WHERE x.platform = o.platform AND x.chat_id = o.chat_id AND x.message_id = o.message_id
					AND x.id != o.id AND x.edit_of IS NULL)
		ORDER BY o.id
		ON CONFLICT DO NOTHING`,
		articleID, story, now.UnixMilli(), now.Add(-StoryEditAge).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("storage: enqueue edits of story %d: %w", story, err)
	}
	n, _ := r.RowsAffected()
	return int(n), nil
}

// storyMembers loads the articles of the given stories, oldest first, by
// story. Most stories have one article: the joined ones are found first
// (an index probe each, no row for a lone article), and only their
// stories' first articles are read then.
func (s *Store) storyMembers(ctx context.Context, stories []int64) (map[int64][]Article, error) {
	if len(stories) == 0 {
		return nil, nil
	}
	in := func(ids []int64) (string, []any) {
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		return strings.TrimSuffix(strings.Repeat("?,", len(ids)), ","), args
	}
	marks, args := in(stories)
	joined, err := s.queryArticles(ctx, `SELECT `+articleColumns+articleJoins+` WHERE a.story_id IN (`+marks+`)`, args...)
	if err != nil || len(joined) == 0 {
		return nil, err
	}
	out := make(map[int64][]Article, len(stories))
	var firsts []int64
	for _, a := range joined {
		if len(out[a.StoryID]) == 0 {
			firsts = append(firsts, a.StoryID)
		}
		out[a.StoryID] = append(out[a.StoryID], a)
	}
	marks, args = in(firsts)
	first, err := s.queryArticles(ctx, `SELECT `+articleColumns+articleJoins+` WHERE a.id IN (`+marks+`)`, args...)
	if err != nil {
		return nil, err
	}
	for _, a := range first {
		out[a.StoryID] = append(out[a.StoryID], a)
	}
	for _, as := range out {
		sort.Slice(as, func(i, j int) bool {
			if !as[i].Published.Equal(as[j].Published) {
				return as[i].Published.Before(as[j].Published)
			}
			return as[i].ID < as[j].ID
		})
	}
	return out, nil
}

// attachSources fills in each alert's Sources: the other articles of its
// story. With grouping off it does nothing: alerts are of articles, and
// the outbox's hot path pays nothing for stories.
func (s *Store) attachSources(ctx context.Context, dels []Delivery) error {
	if _, on := s.storyOptions(); !on {
		return nil
	}
	var stories []int64
	seen := map[int64]bool{}
	for _, d := range dels {
		if d.Article != nil && !seen[d.Article.StoryID] {
			seen[d.Article.StoryID] = true
			stories = append(stories, d.Article.StoryID)
		}
	}
	members, err := s.storyMembers(ctx, stories)
	if err != nil {
		return err
	}
	for i := range dels {
		a := dels[i].Article
		if a == nil {
			continue
		}
		for _, m := range members[a.StoryID] {
			if m.ID != a.ID {
				dels[i].Sources = append(dels[i].Sources, m)
			}
		}
	}
	return nil
}

// Story returns the articles of the story the article belongs to, oldest
// first (the article alone when it has no other source); ErrNotFound when
// there is no such article.
func (s *Store) Story(ctx context.Context, articleID int64) ([]Article, error) {
	story, err := storyOf(ctx, s.db, articleID)
	if isNoRows(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	members, err := s.storyMembers(ctx, []int64{story})
	if err != nil {
		return nil, err
	}
	if len(members[story]) > 0 {
		return members[story], nil
	}
	// A story of one article.
	a, err := s.Article(ctx, articleID)
	if err != nil {
		return nil, err
	}
	return []Article{a}, nil
}

// countSources sets each article's Sources: how many articles its story
// has.
func (s *Store) countSources(ctx context.Context, arts []Article) error {
	if len(arts) == 0 {
		return nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(arts)), ",")
	args := make([]any, 0, 2*len(arts))
	for _, a := range arts {
		args = append(args, a.StoryID)
	}
	args = append(args, args...)
	// The story's first article may have been deleted (retention) while
	// the others stay: count the members and the first apart.
	rows, err := s.db.QueryContext(ctx, `
		SELECT story, count(*) FROM (
			SELECT story_id AS story FROM articles WHERE story_id IN (`+marks+`)
			UNION ALL SELECT id FROM articles WHERE id IN (`+marks+`))
		GROUP BY story`, args...)
	if err != nil {
		return fmt.Errorf("storage: count sources: %w", err)
	}
	defer rows.Close()
	counts := map[int64]int{}
	for rows.Next() {
		var story int64
		var n int
		if err := rows.Scan(&story, &n); err != nil {
			return fmt.Errorf("storage: count sources: %w", err)
		}
		counts[story] = n
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("storage: count sources: %w", err)
	}
	for i := range arts {
		arts[i].Sources = max(counts[arts[i].StoryID], 1)
	}
	return nil
}

// latestStories returns the newest stories, one entry each (its newest
// article) with its number of sources: pages of the newest articles are
// read until limit stories are found.
func (s *Store) latestStories(ctx context.Context, section string, limit int) ([]Article, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []Article
	seen := map[int64]bool{}
	page := max(2*limit, 10)
	afterAt, afterID := int64(1<<62), int64(1<<62)
	// A handful of pages: a list of five where every article of the last
	// hundred is one story is not worth reading further for.
	for range 5 {
		var arts []Article
		var err error
		if section == "" {
			arts, err = s.queryArticles(ctx, `SELECT `+articleColumns+articleJoins+`
				WHERE (a.published_at, a.id) < (?, ?)
				ORDER BY a.published_at DESC, a.id DESC LIMIT ?`, afterAt, afterID, page)
		} else {
			// article_sections holds an article's own section and those of
			// the feeds that carried it; its index gives the newest at once.
			arts, err = s.queryArticles(ctx, `SELECT `+articleColumns+articleJoins+`
				WHERE a.id IN (SELECT article_id FROM article_sections WHERE section = ? AND (published_at, article_id) < (?, ?)
					ORDER BY published_at DESC, article_id DESC LIMIT ?)
				ORDER BY a.published_at DESC, a.id DESC`, section, afterAt, afterID, page)
		}
		if err != nil {
			return nil, err
		}
		for _, a := range arts {
			if !seen[a.StoryID] && len(out) < limit {
				seen[a.StoryID] = true
				out = append(out, a)
			}
		}
		if len(out) >= limit || len(arts) < page {
			break
		}
		last := arts[len(arts)-1]
		afterAt, afterID = last.Published.UnixMilli(), last.ID
	}
	if err := s.countSources(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// storiesOf maps article ids to their stories.
func (s *Store) storiesOf(ctx context.Context, ids []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	sorted := append([]int64(nil), ids...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	marks := strings.TrimSuffix(strings.Repeat("?,", len(sorted)), ",")
	args := make([]any, len(sorted))
	for i, id := range sorted {
		args[i] = id
	}
	err := s.eachRow(ctx, `SELECT id, coalesce(story_id, id) FROM articles WHERE id IN (`+marks+`)`, args, func(id, story int64) {
		out[id] = story
	})
	return out, err
}

// MarkSkipped finishes a delivery that is not to be sent: an edit the
// platform cannot make, of a message too old or gone. It uses no attempt.
func (s *Store) MarkSkipped(ctx context.Context, id int64, reason string) error {
	_, err := s.exec(ctx, `UPDATE deliveries SET state = 'dropped', last_error = ? WHERE id = ?`, reason, id)
	if err != nil {
		return fmt.Errorf("storage: skip delivery %d: %w", id, err)
	}
	return nil
}
