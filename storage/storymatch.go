package storage

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"strings"
	"time"
)

// Story matching decides whether a new article reports the same news as an
// article stored within the story window, from any feed. This file holds
// the matcher (features, candidates, similarity); stories.go applies its
// decision (the article's story, alerts and edits).

// StoryDoc is what the matcher knows of an article: what its feed gave,
// and its page's text when full_text read it.
type StoryDoc struct {
	Title     string
	Summary   string
	Body      string
	Published time.Time
}

// StoryOptions tunes matching.
type StoryOptions struct {
	// Window: only articles published this close to the new one (either
	// side) are candidates; default DefaultStoryWindow.
	Window time.Duration
	// Threshold: the least similarity that joins a story; default
	// DefaultStoryThreshold.
	Threshold float64
}

// Defaults of StoryOptions.
const (
	DefaultStoryWindow    = 72 * time.Hour
	DefaultStoryThreshold = 0.3
)

func (o StoryOptions) withDefaults() StoryOptions {
	if o.Window <= 0 {
		o.Window = DefaultStoryWindow
	}
	if o.Threshold <= 0 {
		o.Threshold = DefaultStoryThreshold
	}
	return o
}

// StoryMatch is the matcher's answer for one article.
type StoryMatch struct {
	StoryID   int64   // the story it joins: the id of the story's first article; 0 when it starts a new one
	ArticleID int64   // the most similar article of that story
	Score     float64 // their similarity
}

// maxStoryCandidates bounds how many articles of the window one new
// article is compared with: the best ranked by the search index.
const maxStoryCandidates = 20

// storyFeatures is an article as the matcher compares it: weighted folded
// terms.
type storyFeatures struct {
	terms map[string]float64
}

// storyFeaturesOf computes a document's features once.
func storyFeaturesOf(d StoryDoc) storyFeatures {
	f := storyFeatures{terms: map[string]float64{}}
	add := func(text string, weight float64) {
		words := Words(Fold(text))
		for i, w := range words {
			f.terms[w] += weight
			if i > 0 {
				f.terms[words[i-1]+"_"+w] += weight
			}
		}
	}
	add(d.Title, 2)
	add(d.Summary, 1)
	return f
}

// queryTerms are the words the candidate query searches for.
func (f storyFeatures) queryTerms() []string {
	var out []string
	for t := range f.terms {
		if !strings.Contains(t, "_") {
			out = append(out, t)
		}
	}
	return out
}

// storySimilarity is the cosine of the two term vectors, each term
// weighted by idf(term).
func storySimilarity(a, b storyFeatures, idf func(string) float64) float64 {
	var dot, na, nb float64
	for t, wa := range a.terms {
		w := idf(t)
		x := wa * w
		na += x * x
		if wb, ok := b.terms[t]; ok {
			dot += x * wb * w
		}
	}
	for t, wb := range b.terms {
		y := wb * idf(t)
		nb += y * y
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// rowsQuerier runs a reading query: a *sql.DB, a *sql.Tx.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// matchStory finds the story doc belongs to among the articles published
// within the window around it, excluding the article self (0 for none).
func matchStory(ctx context.Context, q rowsQuerier, self int64, doc StoryDoc, opt StoryOptions) (StoryMatch, error) {
	opt = opt.withDefaults()
	f := storyFeaturesOf(doc)
	terms := f.queryTerms()
	if len(terms) == 0 {
		return StoryMatch{}, nil
	}
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + t + `"`
	}
	expr := "{title_f summary_f}: (" + strings.Join(quoted, " OR ") + ")"
	pub := doc.Published
	if pub.IsZero() {
		pub = time.Now()
	}
	rows, err := q.QueryContext(ctx, `
		SELECT a.id, coalesce(a.story_id, a.id), a.title, a.summary
		FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid
		WHERE articles_fts MATCH ? AND a.published_at BETWEEN ? AND ? AND a.id != ?
		ORDER BY rank LIMIT ?`,
		expr, pub.Add(-opt.Window).UnixMilli(), pub.Add(opt.Window).UnixMilli(), self, maxStoryCandidates)
	if err != nil {
		return StoryMatch{}, fmt.Errorf("storage: story candidates: %w", err)
	}
	defer rows.Close()
	idf := func(string) float64 { return 1 }
	var best StoryMatch
	for rows.Next() {
		var id, story int64
		var title, summary string
		if err := rows.Scan(&id, &story, &title, &summary); err != nil {
			return StoryMatch{}, fmt.Errorf("storage: scan story candidate: %w", err)
		}
		score := storySimilarity(f, storyFeaturesOf(StoryDoc{Title: title, Summary: summary}), idf)
		if score >= opt.Threshold && score > best.Score {
			best = StoryMatch{StoryID: story, ArticleID: id, Score: score}
		}
	}
	if err := rows.Err(); err != nil {
		return StoryMatch{}, fmt.Errorf("storage: story candidates: %w", err)
	}
	return best, nil
}
