package storage

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// storyEvalArticle is one article of the story clustering set.
type storyEvalArticle struct {
	ID        string `json:"id"`
	Story     int    `json:"story"`
	Outlet    string `json:"outlet"`
	Link      string `json:"link"`
	Time      string `json:"time"`
	Title     string `json:"title"`
	Sapo      string `json:"sapo"`
	Body      string `json:"body"`
	published time.Time
}

// loadStoryEval reads ../shared/eval/vi-stories-dev.jsonl in publication
// order, skipping the test when it is absent.
func loadStoryEval(tb testing.TB) []storyEvalArticle {
	tb.Helper()
	const name = "vi-stories-dev.jsonl"
	f, err := os.Open(filepath.Join(evalDir, name))
	if err != nil {
		tb.Skipf("story clustering set absent (%v): it lives in ../shared/eval beside the clone", err)
	}
	defer f.Close()
	vn := time.FixedZone("ICT", 7*3600)
	var out []storyEvalArticle
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var a storyEvalArticle
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		if a.published, err = time.ParseInLocation("2/1/2006 15:04", a.Time, vn); err != nil {
			tb.Fatalf("%s: %s: %v", name, a.ID, err)
		}
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].published.Before(out[j].published) })
	return out
}

// storyEvalMethods are the methods the evaluation compares: the baselines
// and the matcher's parts taken away one at a time.
var storyEvalMethods = []struct {
	name  string
	model storyModel
}{
	{"first matcher (title×2 + lead, pairs, no IDF)", storyModel{legacy: true}},
	{"title-only cosine, no IDF", storyModel{title: 1}},
	{"TF-IDF cosine, title + lead", storyModel{title: 1, lead: 1, idf: true}},
	{"this matcher", defaultStoryModel},
	{"  without syllable pairs", with(func(m *storyModel) { m.pairs = 0 })},
	{"  without accented forms", with(func(m *storyModel) { m.accents = 0 })},
	{"  without names", with(func(m *storyModel) { m.names = 0 })},
	{"  without numbers", with(func(m *storyModel) { m.numbers = 0 })},
	{"  with the story as a whole", with(func(m *storyModel) { m.story = true })},
	{"  with the page's text", defaultStoryModel},
}

// storyEvalFull: measure every method, with and without a history.
var storyEvalFull = os.Getenv("NEWSBOT_STORY_EVAL_FULL") == "1"

// withBodyMethod is the index of the method that also reads the pages.
const withBodyMethod = 9

func with(change func(*storyModel)) storyModel {
	m := defaultStoryModel
	change(&m)
	return m
}

// storyReplay is the candidates every method found for each article of
// the set, replayed in publication order through a real store.
type storyReplay struct {
	articles []storyEvalArticle
	ids      []int64    // article id of each
	cands    [][]scored // [method][article]
	real     []int64    // the story matchStory chose, written to the store
}

// replayStories saves the set's articles one by one as new items of their
// outlet's feed, and after each asks every method for its candidates and
// matchStory for its decision (written to articles.story_id as the save
// path does). background articles from elsewhere, published a month
// before, give the IDF a history as a running bot has.
func replayStories(t *testing.T, arts []storyEvalArticle, background int) storyReplay {
	t.Helper()
	ctx := context.Background()
	s, _ := openTest(t)
	if err := s.UpsertSection(ctx, Section{Key: "tin", Name: "Tin"}); err != nil {
		t.Fatal(err)
	}
	feeds := map[string]int64{}
	feed := func(outlet string) int64 {
		if id, ok := feeds[outlet]; ok {
			return id
		}
		f, err := s.AddFeed(ctx, "https://"+outlet+"/rss", "tin", "")
		if err != nil {
			t.Fatal(err)
		}
		feeds[outlet] = f.ID
		return f.ID
	}
	if background > 0 {
		texts := loadEval(t, "vi-summaries-train.jsonl")
		var items []Item
		start := arts[0].published.Add(-40 * 24 * time.Hour)
		for i, a := range texts[:min(background, len(texts))] {
			link := fmt.Sprintf("https://nen.example/%d", i)
			items = append(items, Item{GUID: link, Link: link, Canonical: link, Title: a.Title, Summary: a.Summary,
				Published: start.Add(time.Duration(i) * 5 * time.Minute)})
		}
		if _, err := s.SaveItems(ctx, feed("nen.example"), items, SaveOptions{Now: arts[0].published.Add(-30 * 24 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	r := storyReplay{articles: arts, cands: make([][]scored, len(storyEvalMethods))}
	// matchStory runs with options kept across the replay, as a store's
	// EnableStories keeps them: its cache (word counts, features) is in
	// play, and must not change a decision of the model (checked below).
	opt := StoryOptions{}.withDefaults()
	for _, a := range arts {
		// The page's text is stored as full_text would, for the method
		// that reads it; the others read only title and lead.
		it := Item{GUID: a.Link, Link: a.Link, Canonical: a.Link, Title: a.Title, Summary: a.Sapo, Body: a.Body, Published: a.published}
		if _, err := s.SaveItems(ctx, feed(a.Outlet), []Item{it}, SaveOptions{Now: a.published.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		var id int64
		if err := s.db.QueryRowContext(ctx, `SELECT id FROM articles WHERE canonical = ?`, a.Link).Scan(&id); err != nil {
			t.Fatal(err)
		}
		r.ids = append(r.ids, id)
		doc := StoryDoc{Title: a.Title, Summary: a.Sapo, Published: a.published}
		for i, m := range storyEvalMethods {
			d := doc
			if i == withBodyMethod {
				d.Body = a.Body
			}
			c, err := m.model.candidates(ctx, s.db, id, d, DefaultStoryWindow, nil)
			if err != nil {
				t.Fatal(err)
			}
			r.cands[i] = append(r.cands[i], m.model.score(c))
		}
		match, err := matchStory(ctx, s.db, id, doc, opt)
		if err != nil {
			t.Fatal(err)
		}
		story := id
		if match.StoryID != 0 {
			story = match.StoryID
			if _, err := s.db.ExecContext(ctx, `UPDATE articles SET story_id = ? WHERE id = ?`, story, id); err != nil {
				t.Fatal(err)
			}
		}
		r.real = append(r.real, story)
	}
	return r
}

// cluster replays method's decisions at threshold: each article's story.
func (r storyReplay) cluster(method int, threshold float64) []int64 {
	m := storyEvalMethods[method].model
	storyOf := map[int64]int64{}
	out := make([]int64, len(r.ids))
	for i, id := range r.ids {
		match := m.decide(r.cands[method][i], threshold, func(a int64) int64 {
			if s, ok := storyOf[a]; ok {
				return s
			}
			return a // an article outside the set (none, unless background)
		})
		out[i] = id
		if match.StoryID != 0 {
			out[i] = match.StoryID
		}
		storyOf[id] = out[i]
	}
	return out
}

// clusterScores are the quality figures of a clustering.
type clusterScores struct {
	pairP, pairR, pairF float64
	bP, bR, bF          float64
}

// scoreClusters compares predicted stories with the annotated ones over the
// articles for which in is true (a predicted story may hold others: a
// wrong merge across the halves counts against precision).
func scoreClusters(gold []int, pred []int64, in func(i int) bool) clusterScores {
	var s clusterScores
	var tp, predPairs, goldPairs float64
	var items float64
	for i := range gold {
		if !in(i) {
			continue
		}
		items++
		var same, inPred, inGold float64
		for j := range gold {
			p, g := pred[j] == pred[i], gold[j] == gold[i]
			if p {
				inPred++
			}
			if g {
				inGold++
			}
			if p && g {
				same++
			}
			if j != i {
				if p && g {
					tp++
				}
				if p {
					predPairs++
				}
				if g {
					goldPairs++
				}
			}
		}
		s.bP += same / inPred
		s.bR += same / inGold
	}
	s.bP /= items
	s.bR /= items
	s.bF = f1(s.bP, s.bR)
	s.pairP, s.pairR = 1, 1
	if predPairs > 0 {
		s.pairP = tp / predPairs
	}
	if goldPairs > 0 {
		s.pairR = tp / goldPairs
	}
	s.pairF = f1(s.pairP, s.pairR)
	return s
}

func f1(p, r float64) float64 {
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// Tuning: the threshold that gives the best B-cubed F1 with B-cubed
// precision at least storyTunePrecision on the tuning half (precision
// first: a wrong merge hides news from a reader).
const storyTunePrecision = 0.98

// storyThresholds are the thresholds tuning tries.
var storyThresholds = func() []float64 {
	var out []float64
	for i := 5; i <= 95; i++ {
		out = append(out, float64(i)/100)
	}
	return out
}()

func tuneThreshold(runs map[float64][]int64, gold []int, in func(int) bool) (float64, clusterScores) {
	bestT, best := 0.0, clusterScores{}
	for _, t := range storyThresholds {
		s := scoreClusters(gold, runs[t], in)
		if s.bP >= storyTunePrecision && s.bF > best.bF || bestT == 0 {
			bestT, best = t, s
		}
	}
	return bestT, best
}

// TestStoryMatchingQuality replays the story clustering set
// (../shared/eval/vi-stories-dev.jsonl: 318 articles, 100 stories) in
// publication order through a real store, title and lead as the feed
// gives them, and measures the clustering of each method against the
// annotated stories: pairwise and B-cubed precision, recall and F1. The
// threshold of each method is tuned on half the stories and measured on
// the other half, both ways (the held-out figures), so that the figures
// are not those of a threshold fitted to the very articles. It fails when
// the matcher at DefaultStoryThreshold falls below the targets
// (B-cubed precision 0.97, F1 0.92).
//
// With NEWSBOT_STORY_EVAL_FULL=1 it also measures the matcher without each
// of its features, with the page's text, and with a history of 2000 older
// articles (a running bot's IDF):
//
//	NEWSBOT_STORY_EVAL_FULL=1 go test -run TestStoryMatchingQuality -v ./storage
func TestStoryMatchingQuality(t *testing.T) {
	arts := loadStoryEval(t)
	saved := storyEvalMethods
	t.Cleanup(func() { storyEvalMethods = saved })
	gold := make([]int, len(arts))
	for i, a := range arts {
		gold[i] = a.Story
	}
	// Two halves of the stories, drawn with a fixed seed.
	var stories []int
	seen := map[int]bool{}
	for _, a := range arts {
		if !seen[a.Story] {
			seen[a.Story] = true
			stories = append(stories, a.Story)
		}
	}
	sort.Ints(stories)
	rand.New(rand.NewPCG(12, 2026)).Shuffle(len(stories), func(i, j int) { stories[i], stories[j] = stories[j], stories[i] })
	half := map[int]int{}
	for i, s := range stories {
		half[s] = i % 2
	}
	inHalf := func(h int) func(int) bool { return func(i int) bool { return half[gold[i]] == h } }
	all := func(int) bool { return true }

	backgrounds := []int{0}
	if !storyEvalFull {
		// The baselines and this matcher only: the ablations and the
		// replay with a history take a minute more.
		storyEvalMethods = storyEvalMethods[:4]
	} else {
		backgrounds = append(backgrounds, 2000)
	}
	for _, background := range backgrounds {
		r := replayStories(t, arts, background)
		t.Logf("replay with %d background articles (a month older, for the IDF):", background)
		t.Logf("%-48s %5s | %-17s | %-17s | %s", "method", "thr", "pairwise P/R/F1", "B-cubed P/R/F1", "held-out B3 P/R/F1 (tuned on the other half: thr)")
		for m, method := range storyEvalMethods {
			runs := map[float64][]int64{}
			for _, thr := range append(storyThresholds, DefaultStoryThreshold) {
				runs[thr] = r.cluster(m, thr)
			}
			var held clusterScores
			var ts []string
			for h := 0; h < 2; h++ {
				thr, _ := tuneThreshold(runs, gold, inHalf(1-h))
				s := scoreClusters(gold, runs[thr], inHalf(h))
				held.bP += s.bP / 2
				held.bR += s.bR / 2
				ts = append(ts, fmt.Sprintf("%.2f", thr))
			}
			held.bF = f1(held.bP, held.bR)
			thr, s := tuneThreshold(runs, gold, all)
			if m == 3 || m == withBodyMethod {
				thr = DefaultStoryThreshold
				s = scoreClusters(gold, runs[thr], all)
			}
			t.Logf("%-48s %5.2f | %.3f %.3f %.3f | %.3f %.3f %.3f | %.3f %.3f %.3f (%s)", method.name, thr,
				s.pairP, s.pairR, s.pairF, s.bP, s.bR, s.bF, held.bP, held.bR, held.bF, strings.Join(ts, ", "))
		}
		var curve []string
		for _, thr := range storyThresholds[10:30] {
			s := scoreClusters(gold, r.cluster(3, thr), all)
			curve = append(curve, fmt.Sprintf("%.2f:%.3f/%.3f", thr, s.bP, s.bF))
		}
		t.Logf("this matcher, B-cubed P/F1 by threshold: %s", strings.Join(curve, " "))
		// What matchStory itself decided, written to the store as the save
		// path does, is what the replay of its model gives.
		sim := r.cluster(3, DefaultStoryThreshold)
		for i := range sim {
			if sim[i] != r.real[i] {
				t.Fatalf("article %s: matchStory chose story %d, the replay of its model %d", arts[i].ID, r.real[i], sim[i])
			}
		}
		got := scoreClusters(gold, r.real, all)
		t.Logf("matchStory at threshold %.2f: B-cubed P %.3f R %.3f F1 %.3f; pairwise P %.3f R %.3f F1 %.3f",
			DefaultStoryThreshold, got.bP, got.bR, got.bF, got.pairP, got.pairR, got.pairF)
		if background == 0 && (got.bP < 0.97 || got.bF < 0.92) {
			t.Errorf("with %d background articles: B-cubed precision %.3f, F1 %.3f; want at least 0.97 and 0.92", background, got.bP, got.bF)
		}
	}
}
