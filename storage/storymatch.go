package storage

import (
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Story matching decides whether a new article reports the same news as an
// article stored within the story window, from any feed. This file holds
// the matcher (features, candidates, similarity); stories.go applies its
// decision (the article's story, alerts and edits).
//
// The method, measured on ../shared/eval/vi-stories-dev.jsonl (see
// storymatch_eval_test.go and BENCHMARKS.md, "Stories"):
//   - An article is a weighted bag of features of its title, its lead and,
//     when both sides have one, the start of its page's text: folded
//     syllables, folded syllable pairs (Vietnamese words are mostly two
//     syllables: "hội nghị", "Lào Cai"), accented syllables (bão is not
//     báo), capitalised names (places, people, organisations) and numbers.
//   - Each feature weighs by its IDF over every article stored
//     (story_terms, migration 0019: FTS5 keeps no document counts, and
//     counting a common word's documents in it reads its whole posting
//     list, milliseconds at a million articles).
//   - Candidates come from the search index, restricted to the rowids of
//     the window (its first rowid found in one probe of articles_seen):
//     the new article's rarest words, each word's postings within the
//     window only, summed in SQL, so the cost per article follows the
//     window, not the store.
//   - What repeats from article to article (word counts, candidates'
//     features, folded forms) is kept in a cache of bounded size per store
//     (storyCache). A kept word count serves only while it can be off by
//     little (the new article's words: an IDF within 0.03) or only on the
//     side that lowers a similarity (the candidates' other words); the
//     evaluation replays matchStory with it and decides as without.
//   - The article joins the story of the candidate it is most similar to
//     (cosine of the weighted features; each of a story's articles in the
//     window is a candidate) when that is at least the threshold.

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

	// cache is what the matcher keeps between articles: set by
	// withDefaults, so that EnableStories gives each store its own (the
	// options are copied from it for every save). Options without one
	// (matchStory given zero options) read everything from the store.
	cache *storyCache
}

// Defaults of StoryOptions. The threshold was tuned on the story
// clustering set by two-fold cross-validation (BENCHMARKS.md, "Stories").
const (
	DefaultStoryWindow    = 72 * time.Hour
	DefaultStoryThreshold = 0.21
)

func (o StoryOptions) withDefaults() StoryOptions {
	if o.Window <= 0 {
		o.Window = DefaultStoryWindow
	}
	if o.Threshold <= 0 {
		o.Threshold = DefaultStoryThreshold
	}
	if o.cache == nil {
		o.cache = newStoryCache()
	}
	return o
}

// StoryMatch is the matcher's answer for one article.
type StoryMatch struct {
	StoryID   int64   // the story it joins: the id of the story's first article; 0 when it starts a new one
	ArticleID int64   // the most similar article of that story
	Score     float64 // their similarity
}

// Bounds of the work one new article costs.
const (
	// maxStoryCandidates bounds how many articles of the window one new
	// article is compared with: those sharing the most of its telling
	// words (20 measured .003 B-cubed F1 better, at twice the reading).
	maxStoryCandidates = 10
	// storyQueryWords is how many of the article's words the candidates
	// are searched by: its most telling ones. 7 rather than 8: a tenth
	// cheaper at a million articles, the evaluation's figures unchanged.
	storyQueryWords = 7
	// storyPostings bounds the postings read for one query word in the
	// window: a word in more articles than that tells little anyway.
	storyPostings = 150
	// storyQueryMaxDF: a word in more than this share of all articles is
	// not searched by (it would bring half the window).
	storyQueryMaxDF = 0.05
	// storyBodyWords is how much of a page's text counts: its start, where
	// the news is; the rest is background every outlet writes differently.
	storyBodyWords = 120
)

// storyModel is the matcher's weights: one value, so that the evaluation
// can compare methods (storymatch_eval_test.go) with the code that runs.
type storyModel struct {
	title, lead, body float64 // weight of a feature's occurrence in each part
	pairs             float64 // weight of syllable pairs relative to syllables (0: none)
	accents           float64 // weight of accented syllables (0: none)
	names             float64 // extra weight of a capitalised name (0: none)
	numbers           float64 // extra weight of a number (0: none)
	idf               bool    // weigh features by IDF; false: every feature alike
	idfPow            float64 // weigh by IDF to this power (0: 1), sharper for rare features
	story             bool    // also compare with each story as a whole
	// legacy reproduces the first matcher (title twice, lead once,
	// syllables and pairs, no IDF): the baseline of the evaluation.
	legacy bool
}

// defaultStoryModel is what matchStory uses.
var defaultStoryModel = storyModel{
	title: 2, lead: 1, body: 0.5,
	pairs: 1, accents: 0.5, names: 1, numbers: 1,
	idf: true, idfPow: 2,
}

// Feature keys: a folded syllable as it is; the others marked by a prefix
// that no folded word has.
const (
	pairMark   = "_" // "_lao cai"
	accentMark = "~" // "~bão"
	nameMark   = "=" // "=lao cai"
	numberMark = "#" // "#1.400"
)

// storyFeatures is an article as the matcher compares it.
type storyFeatures struct {
	terms map[string]float64 // feature → weighted occurrences
	words []string           // its distinct folded syllables, in order of first use
	body  bool               // the page's text is in terms
	plain map[string]float64 // with body: the terms without it
}

// storyFeaturesOf computes a document's features once. withBody adds the
// start of its page's text.
func (m storyModel) featuresOf(d StoryDoc, withBody bool, forms wordForms) storyFeatures {
	f := storyFeatures{terms: map[string]float64{}}
	seen := map[string]bool{}
	if m.legacy {
		add := func(text string, weight float64) {
			words := Words(Fold(text))
			for i, w := range words {
				f.terms[w] += weight
				if i > 0 {
					f.terms[pairMark+words[i-1]+" "+w] += weight
				}
				if !seen[w] {
					seen[w] = true
					f.words = append(f.words, w)
				}
			}
		}
		add(d.Title, 2)
		add(d.Summary, 1)
		return f
	}
	add := func(text string, weight float64, limit int) {
		toks := storyTokens(text, limit, forms)
		for i, t := range toks {
			f.terms[t.folded] += weight
			if !seen[t.folded] {
				seen[t.folded] = true
				f.words = append(f.words, t.folded)
			}
			if m.accents > 0 && t.exact != t.folded {
				f.terms[accentMark+t.exact] += weight * m.accents
			}
			if m.pairs > 0 && i > 0 && !t.start {
				f.terms[pairMark+toks[i-1].folded+" "+t.folded] += weight * m.pairs
			}
			if m.numbers > 0 && t.number != "" {
				f.terms[numberMark+t.number] += weight * m.numbers
			}
		}
		if m.names > 0 {
			for _, n := range storyNames(toks) {
				f.terms[nameMark+n] += weight * m.names
			}
		}
	}
	add(d.Title, m.title, 0)
	add(d.Summary, m.lead, 0)
	if withBody && d.Body != "" && m.body > 0 {
		f.plain = make(map[string]float64, len(f.terms))
		for t, x := range f.terms {
			f.plain[t] = x
		}
		add(d.Body, m.body, storyBodyWords)
		f.body = true
	}
	return f
}

// storyToken is one syllable of a text.
type storyToken struct {
	folded, exact string
	upper         bool   // written with a capital: part of a name unless it starts a sentence
	start         bool   // first of its sentence or clause: no pair with the one before
	number        string // the whole number it is part of ("1.400", "7,5"), for its first syllable
}

// wordForms remembers the exact and folded forms of the words one match
// has met: the new article and its candidates share most of their words,
// and normalising Unicode is the dearest part of computing features.
type wordForms map[string][2]string

func (f wordForms) of(word string) (exact, folded string) {
	if v, ok := f[word]; ok {
		return v[0], v[1]
	}
	ascii := true
	for i := 0; i < len(word); i++ {
		if word[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	switch {
	case ascii:
		exact = strings.ToLower(word)
		folded = exact
	default:
		var ok bool
		if exact, folded, ok = foldComposed(word); !ok {
			exact = exactText(word)
			folded = Fold(exact)
		}
	}
	if f != nil {
		if len(f) >= storyCacheForms { // bounded: Vietnamese has some 7 000 syllables; names and foreign words make the rest
			clear(f)
		}
		f[word] = [2]string{exact, folded}
	}
	return exact, folded
}

// composedFold maps each precomposed Latin letter (À…ỹ) to its lower-case
// exact and folded forms, as exactText and Fold give them: a word of such
// letters folds without the Unicode normalisation Fold runs.
var composedFold = func() map[rune][2]rune {
	out := map[rune][2]rune{}
	for _, block := range [][2]rune{{0xC0, 0x24F}, {0x1E00, 0x1EFF}} {
		for r := block[0]; r <= block[1]; r++ {
			if !unicode.IsLetter(r) {
				continue
			}
			e, f := []rune(exactText(string(r))), []rune(Fold(string(r)))
			if len(e) == 1 && len(f) == 1 {
				out[r] = [2]rune{e[0], f[0]}
			}
		}
	}
	return out
}()

// foldComposed is exactText and Fold of word by the table; false when a
// rune is not in it (a combining mark, another script): use those then.
func foldComposed(word string) (exact, folded string, ok bool) {
	var e, f strings.Builder
	e.Grow(len(word))
	f.Grow(len(word))
	for _, r := range word {
		if r < utf8.RuneSelf {
			r = unicode.ToLower(r)
			e.WriteRune(r)
			f.WriteRune(r)
			continue
		}
		m, found := composedFold[r]
		if !found {
			return "", "", false
		}
		e.WriteRune(m[0])
		f.WriteRune(m[1])
	}
	return e.String(), f.String(), true
}

// storyTokens splits text into syllables, keeping where sentences start and
// which words are capitalised; limit > 0 keeps only the first limit.
func storyTokens(text string, limit int, forms wordForms) []storyToken {
	var out []storyToken
	start := true
	i := 0
	for i < len(text) && (limit <= 0 || len(out) < limit) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			switch r {
			case '.', '!', '?', ':', ';', '\n', '"', '“', '”', '(', ')', '-', '–', '—', ',':
				start = true
			}
			i += size
			continue
		}
		j := i
		digits := true
		for j < len(text) {
			r, size := utf8.DecodeRuneInString(text[j:])
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				// A number keeps its separators: 1.400, 7,5, 5/7.
				if digits && (r == '.' || r == ',' || r == '/') && j+1 < len(text) && text[j+1] >= '0' && text[j+1] <= '9' {
					j += size
					continue
				}
				break
			}
			if !unicode.IsDigit(r) {
				digits = false
			}
			j += size
		}
		word := text[i:j]
		t := storyToken{start: start}
		first, _ := utf8.DecodeRuneInString(word)
		t.upper = unicode.IsUpper(first)
		if digits {
			if len(word) >= 2 && strings.ContainsAny(word, ".,") || len(word) >= 3 && !strings.Contains(word, "/") {
				t.number = word
			}
			// As the index sees it: each digit group is a word.
			for k, part := range Words(word) {
				tok := storyToken{folded: part, exact: part, start: start && k == 0}
				if k == 0 {
					tok.number = t.number
				}
				out = append(out, tok)
			}
		} else {
			t.exact, t.folded = forms.of(word)
			out = append(out, t)
		}
		start = false
		i = j
	}
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// storyNames are the capitalised runs of two or more syllables (Lào Cai,
// Nguyễn Văn Bình, Bộ Y tế's "Bộ Y"), folded. A capital that starts a
// sentence begins a name only when the next syllable is capitalised too.
func storyNames(toks []storyToken) []string {
	var out []string
	for i := 0; i < len(toks); {
		if !toks[i].upper {
			i++
			continue
		}
		j := i + 1
		for j < len(toks) && toks[j].upper && !toks[j].start {
			j++
		}
		if j-i >= 2 {
			parts := make([]string, 0, j-i)
			for _, t := range toks[i:j] {
				parts = append(parts, t.folded)
			}
			out = append(out, strings.Join(parts, " "))
		}
		i = j
	}
	return out
}

// storyIDF is the inverse document frequency of the words the matcher met,
// from story_terms.
type storyIDF struct {
	n     float64            // articles counted
	df    map[string]float64 // folded syllable → articles using it
	memo  map[string]float64 // feature → its IDF, computed once a match
	forms wordForms          // folded forms of accented syllables; nil: none kept
}

// word is a syllable's IDF: at least 1, so that a word every article uses
// still counts a little, and smoothed, so that an unseen word is the rarest.
func (x storyIDF) word(w string) float64 {
	return math.Log((x.n+1)/(x.df[w]+1)) + 1
}

// of is a feature's IDF: a pair or a name is as telling as its rarest
// syllable; a number as its rarest digit group.
func (x storyIDF) of(feature string) float64 {
	if v, ok := x.memo[feature]; ok {
		return v
	}
	v := x.compute(feature)
	if x.memo != nil {
		x.memo[feature] = v
	}
	return v
}

func (x storyIDF) compute(feature string) float64 {
	switch {
	case strings.HasPrefix(feature, pairMark), strings.HasPrefix(feature, nameMark):
		best := 0.0
		for _, w := range strings.Fields(feature[1:]) {
			best = max(best, x.word(w))
		}
		return best
	case strings.HasPrefix(feature, accentMark):
		_, folded := x.forms.of(feature[len(accentMark):])
		return x.word(folded)
	case strings.HasPrefix(feature, numberMark):
		best := 0.0
		for _, w := range Words(feature[1:]) {
			best = max(best, x.word(w))
		}
		return best
	}
	return x.word(feature)
}

// weight is what one occurrence of a feature weighs in the model.
func (m storyModel) weight(x storyIDF, feature string) float64 {
	if !m.idf {
		return 1
	}
	return m.power(x.of(feature))
}

// power is an IDF raised to the model's power.
func (m storyModel) power(w float64) float64 {
	switch m.idfPow {
	case 0, 1:
		return w
	case 2:
		return w * w
	}
	return math.Pow(w, m.idfPow)
}

// storyVector is features weighed by IDF, with its norm.
type storyVector struct {
	w    map[string]float64
	norm float64
}

func (m storyModel) vector(terms map[string]float64, idf storyIDF) storyVector {
	v := storyVector{w: make(map[string]float64, len(terms))}
	for t, tf := range terms {
		x := tf * m.weight(idf, t)
		v.w[t] = x
		v.norm += x * x
	}
	v.norm = math.Sqrt(v.norm)
	return v
}

// cosine of two vectors; 0 when either is empty.
func cosine(a, b storyVector) float64 {
	if a.norm == 0 || b.norm == 0 {
		return 0
	}
	if len(a.w) > len(b.w) {
		a, b = b, a
	}
	var dot float64
	for t, x := range a.w {
		dot += x * b.w[t]
	}
	return dot / (a.norm * b.norm)
}

// cosineTerms is the cosine of a vector and features given as a list: a
// candidate's features are weighed and compared in one pass, without a
// map of their own (most of the matcher's time went to building those).
// words are the syllables the terms' indices point to: each one's IDF is
// looked up once, not once for every feature it is part of.
func (m storyModel) cosineTerms(a storyVector, terms []storyTerm, words []string, idf storyIDF) float64 {
	var wordIDF []float64
	if m.idf {
		wordIDF = make([]float64, len(words))
		for i, w := range words {
			wordIDF[i] = idf.of(w)
		}
	}
	var dot, norm float64
	for _, t := range terms {
		x := float64(t.tf)
		if m.idf {
			if t.kind == termIndexed {
				x *= m.power(max(wordIDF[t.w[0]], wordIDF[t.w[1]]))
			} else {
				x *= m.power(t.idf(idf))
			}
		}
		norm += x * x
		if y, ok := a.w[t.key]; ok {
			dot += x * y
		}
	}
	if a.norm == 0 || norm == 0 {
		return 0
	}
	return dot / (a.norm * math.Sqrt(norm))
}

// storyTerm is one feature of an article and its weighted occurrences,
// compact: the cache holds thousands of articles' features.
type storyTerm struct {
	key  string
	tf   float32 // sums of units, halves and quarters: exact in a float32
	kind termKind
	w    [2]uint16 // termIndexed: the article's syllables (its words) whose IDF it takes, the rarer
}

// termKind says where a feature's IDF comes from (storyIDF.compute).
type termKind uint8

const (
	termIndexed termKind = iota // one or two of the article's syllables (a syllable, a pair, an accented form, most names and numbers)
	termSpaced                  // a longer name: its rarest syllable, between the spaces of its key
	termOther                   // anything else: storyIDF.of
)

// idf is the term's IDF, storyIDF.of without splitting its key into new
// strings.
func (t storyTerm) idf(x storyIDF) float64 {
	if t.kind != termSpaced {
		return x.of(t.key)
	}
	best := 0.0
	for rest := t.key[1:]; rest != ""; {
		w := rest
		if i := strings.IndexByte(rest, ' '); i >= 0 {
			w, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		if w != "" {
			best = max(best, x.of(w))
		}
	}
	return best
}

// termList lists features with where their IDF comes from: the indices
// in words (the article's distinct folded syllables) of the syllables
// storyIDF.compute would take it from, when there are one or two.
func termList(terms map[string]float64, words []string, forms wordForms) []storyTerm {
	index := make(map[string]int, len(words))
	for i, w := range words {
		index[w] = i
	}
	indexed := func(t *storyTerm, parts ...string) {
		if len(parts) == 0 || len(parts) > 2 || len(words) > math.MaxUint16 {
			return
		}
		for i, p := range parts {
			j, ok := index[p]
			if !ok {
				return
			}
			t.w[i] = uint16(j)
		}
		if len(parts) == 1 {
			t.w[1] = t.w[0]
		}
		t.kind = termIndexed
	}
	out := make([]storyTerm, 0, len(terms))
	for k, tf := range terms {
		t := storyTerm{key: k, tf: float32(tf), kind: termOther}
		switch {
		case strings.HasPrefix(k, pairMark), strings.HasPrefix(k, nameMark):
			t.kind = termSpaced
			indexed(&t, strings.Fields(k[1:])...)
		case strings.HasPrefix(k, accentMark):
			_, folded := forms.of(k[len(accentMark):])
			indexed(&t, folded)
		case strings.HasPrefix(k, numberMark):
			indexed(&t, Words(k[1:])...)
		default:
			indexed(&t, k)
		}
		out = append(out, t)
	}
	return out
}

// rowsQuerier runs a reading query: a *sql.DB, a *sql.Tx.
type rowsQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// storyCandidate is an article of the window the new one is compared with.
type storyCandidate struct {
	id, story int64
	words     []string    // its distinct folded syllables
	terms     []storyTerm // its features (with its page's text when body)
	plain     []storyTerm // with body: its features without the page's text
	body      bool
}

// storyCandidates are the new article's features and the articles of the
// window it is compared with, with the IDF of all their words.
type storyCandidates struct {
	doc, docBody storyFeatures // without and with its page's text
	list         []storyCandidate
	idf          storyIDF
}

// storyCache is what one store's matcher keeps between articles, bounded
// by count (two generations of a map each: a used entry is kept when its
// generation is dropped, as in an LRU), not by the store's size:
//   - the document frequencies of the words candidates bring beyond the
//     new article's (most are the same few thousand syllables);
//   - the features of recent candidates (the articles of the window that
//     share telling words come back as candidates of article after
//     article), checked against a hash of their title and lead as read.
type storyCache struct {
	mu   sync.Mutex
	df   boundedMap[string, cachedDF]
	docs boundedMap[int64, *cachedStoryDoc]
	seed maphash.Seed // of sum
	// forms are the words' folded forms (normalising Unicode was a fifth
	// of computing features); wordForms.of bounds it.
	forms wordForms
}

// Bounds of a storyCache: a generation of each map holds at most this
// many entries (about 1 MB of words, 3 MB of articles' features).
const (
	storyCacheWords    = 1 << 14
	storyCacheArticles = 1024
	storyCacheForms    = 1 << 15
	// storyDFSlack: a cached document frequency of a word only candidates
	// use is used while the store has grown by less than 1/storyDFSlack of
	// its articles since it was read (counts only grow: a stale one can
	// only overstate how rare a word is).
	storyDFSlack = 64
	// storyDFDrift: the new article's words, which weigh most, are held to
	// a drift of their own count (see candidates).
	storyDFDrift = 32
)

type cachedDF struct {
	df, n float64 // the word's count, and the articles counted, when read
}

type cachedStoryDoc struct {
	sum   uint64 // of the title and lead the features are of
	words []string
	terms []storyTerm
}

// sum is a hash of what the features of d are computed from.
func (c *storyCache) sum(d StoryDoc) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(d.Title)
	h.WriteByte(0)
	h.WriteString(d.Summary)
	return h.Sum64()
}

func newStoryCache() *storyCache {
	return &storyCache{
		df:    boundedMap[string, cachedDF]{max: storyCacheWords},
		docs:  boundedMap[int64, *cachedStoryDoc]{max: storyCacheArticles},
		forms: wordForms{},
		seed:  maphash.MakeSeed(),
	}
}

// boundedMap is a map of at most 2×max entries: when the current
// generation fills, it becomes the old one and the older is dropped; an
// entry found in the old generation moves to the current one.
type boundedMap[K comparable, V any] struct {
	cur, old map[K]V
	max      int
}

func (b *boundedMap[K, V]) get(k K) (V, bool) {
	if v, ok := b.cur[k]; ok {
		return v, true
	}
	v, ok := b.old[k]
	if ok {
		b.put(k, v)
	}
	return v, ok
}

func (b *boundedMap[K, V]) put(k K, v V) {
	if b.cur == nil {
		b.cur = make(map[K]V)
	}
	if _, ok := b.cur[k]; !ok && len(b.cur) >= b.max {
		b.old, b.cur = b.cur, make(map[K]V, b.max)
	}
	b.cur[k] = v
}

func (b *boundedMap[K, V]) len() int { return len(b.cur) + len(b.old) }

// matchStory finds the story doc belongs to among the articles published
// within the window around it, excluding the article self (0 for none).
// It only reads: call it in the transaction that stores the article, or
// outside any. A StoryMatch with StoryID 0 means a new story.
func matchStory(ctx context.Context, q rowsQuerier, self int64, doc StoryDoc, opt StoryOptions) (StoryMatch, error) {
	opt = opt.withDefaults()
	c, err := defaultStoryModel.candidates(ctx, q, self, doc, opt.Window, opt.cache)
	if err != nil {
		return StoryMatch{}, err
	}
	opt.cache.lock() // scoring folds accented syllables with the cache's forms
	sc := defaultStoryModel.score(c)
	opt.cache.unlock()
	return defaultStoryModel.decide(sc, opt.Threshold, nil), nil
}

// storySeenSlack: an article is stored as published at most an hour after
// it was seen (effectivePublished), so every article published in the
// window was seen at most this long before the window starts (an hour,
// and another for a clock set back).
const storySeenSlack = 2 * time.Hour

// storyQueries[n] is the candidates query for n search words: each word's
// postings among the newest articles (at most storyPostings of them, from
// the window's first rowid on), the articles sharing the most weight of
// them, and those of them published in the window.
var storyQueries = func() []string {
	out := make([]string, storyQueryWords+1)
	for n := 1; n <= storyQueryWords; n++ {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`SELECT * FROM (SELECT rowid AS id, ? AS w FROM articles_fts
				WHERE articles_fts MATCH ? AND rowid >= ? ORDER BY rowid DESC LIMIT %d)`, storyPostings)
		}
		out[n] = fmt.Sprintf(`SELECT a.id, coalesce(a.story_id, a.id), a.title, a.summary, %%s
			FROM (SELECT id, sum(w) AS shared FROM (%s) WHERE id != ? GROUP BY id ORDER BY shared DESC, id DESC LIMIT %d) c
			JOIN articles a ON a.id = c.id
			WHERE a.published_at BETWEEN ? AND ?
			ORDER BY c.shared DESC, c.id DESC`, strings.Join(parts, " UNION ALL "), maxStoryCandidates)
	}
	return out
}()

// candidates finds the articles of the window that share the most of the
// new article's telling words, and reads them. cache, when not nil, holds
// what earlier calls read (only for defaultStoryModel's features).
func (m storyModel) candidates(ctx context.Context, q rowsQuerier, self int64, doc StoryDoc, window time.Duration, cache *storyCache) (storyCandidates, error) {
	var c storyCandidates
	forms := wordForms{}
	if cache != nil {
		forms = cache.forms
	}
	cache.lock()
	c.doc = m.featuresOf(doc, false, forms)
	if doc.Body != "" {
		c.docBody = m.featuresOf(doc, true, forms)
	}
	cache.unlock()
	if len(c.doc.words) == 0 {
		return c, nil
	}
	pub := doc.Published
	if pub.IsZero() {
		pub = time.Now()
	}
	from, to := pub.Add(-window).UnixMilli(), pub.Add(window).UnixMilli()

	// The window's first rowid, in one probe of articles_seen: ids grow
	// as articles are stored, and an article is stored when it is seen,
	// at most storySeenSlack before its publication time. (Scanning the
	// window's entries of articles_published for min(id) read thousands
	// of them at a million articles.) Later rowids may hold articles
	// published outside the window (an old item seen late): the
	// candidates are filtered by publication time all the same.
	// With it, the number of articles counted, for the IDF.
	var lo sql.NullInt64
	c.idf = storyIDF{df: make(map[string]float64, len(c.doc.words)*8), memo: map[string]float64{}}
	if cache != nil {
		c.idf.forms = cache.forms // used under the cache's lock only
	}
	if err := queryRow(ctx, q, `SELECT (SELECT id FROM articles WHERE seen_at >= ? ORDER BY seen_at LIMIT 1),
		coalesce((SELECT df FROM story_terms WHERE term = ''), 0)`,
		[]any{pub.Add(-window - storySeenSlack).UnixMilli()}, &lo, &c.idf.n); err != nil {
		return c, fmt.Errorf("storage: story window: %w", err)
	}
	if !lo.Valid {
		return c, nil
	}
	// The new article's words weigh most: a cached count serves only
	// while it cannot have grown by more than 1/storyDFDrift (the store
	// has grown by less than that share of it), an IDF off by at most
	// 0.03; a rare word's count, which a breaking story changes, is read
	// afresh whenever an article was stored since.
	if err := c.idf.loadCached(ctx, q, c.doc.words, cache, func(e cachedDF, n float64) bool {
		return n-e.n <= e.df/storyDFDrift
	}); err != nil {
		return c, err
	}

	// Search by the most telling words: heaviest by weight and IDF, not
	// in more than storyQueryMaxDF of the articles.
	type qword struct {
		w     string
		score float64
	}
	var qs []qword
	for _, w := range c.doc.words {
		if c.idf.n >= 100 && c.idf.df[w] > storyQueryMaxDF*c.idf.n {
			continue
		}
		idf := 1.0
		if m.idf || m.legacy {
			idf = c.idf.word(w)
		}
		qs = append(qs, qword{w, c.doc.terms[w] * idf})
	}
	sort.SliceStable(qs, func(i, j int) bool { return qs[i].score > qs[j].score })
	qs = qs[:min(len(qs), storyQueryWords)]
	if len(qs) == 0 {
		return c, nil
	}
	args := make([]any, 0, 3*len(qs)+3)
	for _, w := range qs {
		args = append(args, w.score, `{title_f summary_f} : "`+w.w+`"`, lo.Int64)
	}
	args = append(args, self, from, to)
	withBody := doc.Body != ""
	body := `''`
	if withBody {
		body = `coalesce((SELECT body FROM articles_fts WHERE rowid = a.id), '')`
	}
	var err error
	if c.list, err = m.readCandidates(ctx, q, fmt.Sprintf(storyQueries[len(qs)], body), args, withBody, forms, cache); err != nil {
		return c, err
	}
	// The candidates' other words weigh only in their norms: a stale
	// count there (counts only grow) overstates a norm, so it can only
	// lower a similarity, never make a wrong match.
	var more []string
	seen := map[string]bool{}
	for _, k := range c.list {
		for _, w := range k.words {
			if _, ok := c.idf.df[w]; !ok && !seen[w] {
				seen[w] = true
				more = append(more, w)
			}
		}
	}
	if err := c.idf.loadCached(ctx, q, more, cache, func(e cachedDF, n float64) bool {
		return n-e.n <= n/storyDFSlack
	}); err != nil {
		return c, err
	}
	return c, nil
}

// loadCached sets the document frequencies of words, from cache where
// fresh says its entry still serves (given the articles counted now, x.n),
// otherwise from the store, and keeps what it read in cache.
func (x *storyIDF) loadCached(ctx context.Context, q rowsQuerier, words []string, cache *storyCache, fresh func(e cachedDF, n float64) bool) error {
	var read []string
	cache.lock()
	for _, w := range words {
		if cache != nil {
			if e, ok := cache.df.get(w); ok && e.n <= x.n && fresh(e, x.n) {
				x.df[w] = e.df
				continue
			}
		}
		x.df[w] = 0 // a word no article used has no row
		read = append(read, w)
	}
	cache.unlock()
	if err := x.load(ctx, q, read); err != nil {
		return err
	}
	if cache != nil {
		cache.mu.Lock()
		for _, w := range read {
			cache.df.put(w, cachedDF{x.df[w], x.n})
		}
		cache.mu.Unlock()
	}
	return nil
}

func (c *storyCache) lock() {
	if c != nil {
		c.mu.Lock()
	}
}

func (c *storyCache) unlock() {
	if c != nil {
		c.mu.Unlock()
	}
}

// readCandidates runs the candidates query and computes the features of
// the articles it returns (with their page's text when withBody), or
// takes them from cache when the article's title and lead are the same.
func (m storyModel) readCandidates(ctx context.Context, q rowsQuerier, query string, args []any, withBody bool, forms wordForms, cache *storyCache) ([]storyCandidate, error) {
	var rows *sql.Rows
	var err error
	if p, ok := q.(stmtQuerier); ok {
		rows, err = p.queryStmt(ctx, query, args...)
	} else {
		rows, err = q.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, fmt.Errorf("storage: story candidates: %w", err)
	}
	defer rows.Close()
	var out []storyCandidate
	for rows.Next() {
		var k storyCandidate
		var d StoryDoc
		if err := rows.Scan(&k.id, &k.story, &d.Title, &d.Summary, &d.Body); err != nil {
			return nil, fmt.Errorf("storage: scan story candidate: %w", err)
		}
		cache.lock()
		if withBody && d.Body != "" {
			f := m.featuresOf(d, true, forms)
			k.words, k.terms, k.plain, k.body = f.words, termList(f.terms, f.words, forms), termList(f.plain, f.words, forms), true
		} else {
			var hit *cachedStoryDoc
			var sum uint64
			if cache != nil {
				sum = cache.sum(d)
				if e, ok := cache.docs.get(k.id); ok && e.sum == sum {
					hit = e
				}
			}
			if hit == nil {
				f := m.featuresOf(d, false, forms)
				hit = &cachedStoryDoc{sum: sum, words: f.words, terms: termList(f.terms, f.words, forms)}
				if cache != nil {
					cache.docs.put(k.id, hit)
				}
			}
			k.words, k.terms = hit.words, hit.terms
		}
		cache.unlock()
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: story candidates: %w", err)
	}
	return out, nil
}

// load reads the document frequencies of words into x (a word without a
// row keeps what x has).
func (x *storyIDF) load(ctx context.Context, q rowsQuerier, words []string) error {
	for len(words) > 0 {
		chunk := words[:min(len(words), 500)] // SQLite's limit on parameters is far above
		words = words[len(chunk):]
		args := make([]any, len(chunk))
		for i, w := range chunk {
			args[i] = w
		}
		rows, err := q.QueryContext(ctx, `SELECT term, df FROM story_terms WHERE term IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return fmt.Errorf("storage: story word counts: %w", err)
		}
		for rows.Next() {
			var term string
			var df float64
			if err := rows.Scan(&term, &df); err != nil {
				rows.Close()
				return fmt.Errorf("storage: scan story word count: %w", err)
			}
			x.df[term] = df
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("storage: story word counts: %w", err)
		}
	}
	return nil
}

// scored is the candidates compared with the new article: what decide
// needs, computed once (the evaluation decides again at many thresholds).
type scored struct {
	doc   storyVector // the new article without its page's text
	cands []scoredCandidate
}

type scoredCandidate struct {
	id, story int64
	score     float64     // similarity with the new article
	vec       storyVector // without its page's text, for the story as a whole (only when the model compares with it)
}

// score compares the new article with each candidate.
func (m storyModel) score(c storyCandidates) scored {
	out := scored{doc: m.vector(c.doc.terms, c.idf)}
	var docBody storyVector
	if c.docBody.terms != nil {
		docBody = m.vector(c.docBody.terms, c.idf)
	}
	for _, k := range c.list {
		sc := scoredCandidate{id: k.id, story: k.story}
		plain := k.terms
		if k.body {
			plain = k.plain
		}
		if k.body && docBody.w != nil {
			sc.score = m.cosineTerms(docBody, k.terms, k.words, c.idf)
		} else {
			sc.score = m.cosineTerms(out.doc, plain, k.words, c.idf)
		}
		if m.story {
			terms := make(map[string]float64, len(plain))
			for _, t := range plain {
				terms[t.key] = float64(t.tf)
			}
			sc.vec = m.vector(terms, c.idf)
		}
		out.cands = append(out.cands, sc)
	}
	return out
}

// decide picks the story the new article joins: the story most similar to
// it, at least threshold similar, or none. A story's similarity is the
// best of its articles' and, with several, of the story as a whole (its
// articles' features added up: what outlets said of it between them).
// storyOf, when not nil, says which story a candidate is in (the
// evaluation's replay); otherwise the stored story is used.
func (m storyModel) decide(c scored, threshold float64, storyOf func(int64) int64) StoryMatch {
	type storyScore struct {
		best    float64
		article int64
		members []int
	}
	stories := map[int64]*storyScore{}
	var order []int64
	for i, k := range c.cands {
		story := k.story
		if storyOf != nil {
			story = storyOf(k.id)
		}
		s := stories[story]
		if s == nil {
			s = &storyScore{}
			stories[story] = s
			order = append(order, story)
		}
		if k.score > s.best || s.article == 0 {
			s.best, s.article = k.score, k.id
		}
		s.members = append(s.members, i)
	}
	var best StoryMatch
	for _, story := range order {
		s := stories[story]
		score := s.best
		if m.story && len(s.members) > 1 {
			sum := storyVector{w: map[string]float64{}}
			for _, i := range s.members {
				for t, x := range c.cands[i].vec.w {
					sum.w[t] += x
				}
			}
			for _, x := range sum.w {
				sum.norm += x * x
			}
			sum.norm = math.Sqrt(sum.norm)
			score = max(score, cosine(c.doc, sum))
		}
		if score >= threshold && score > best.Score {
			best = StoryMatch{StoryID: story, ArticleID: s.article, Score: score}
		}
	}
	return best
}

// queryRow runs a one-row query through a rowsQuerier.
func queryRow(ctx context.Context, q rowsQuerier, query string, args []any, dest ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// countStoryWords adds articles' words to the document frequencies the
// matcher weighs words by, in the transaction that indexes them: one
// upsert per distinct word of the batch (a poll's articles share most of
// theirs), a word counted once an article.
func countStoryWords(ctx context.Context, tx execer, items []Item) error {
	if len(items) == 0 {
		return nil
	}
	counts := map[string]int{"": len(items)}
	var words []string
	words = append(words, "")
	for _, it := range items {
		seen := map[string]bool{}
		for _, text := range []string{it.Title, it.Summary} {
			for _, w := range Words(Fold(text)) {
				if seen[w] || utf8.RuneCountInString(w) > maxWordRunes {
					continue
				}
				seen[w] = true
				if counts[w] == 0 {
					words = append(words, w)
				}
				counts[w]++
			}
		}
	}
	for len(words) > 0 {
		chunk := words[:min(len(words), 400)]
		words = words[len(chunk):]
		args := make([]any, 0, 2*len(chunk))
		for _, w := range chunk {
			args = append(args, w, counts[w])
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO story_terms(term, df) VALUES (?, ?)`+strings.Repeat(", (?, ?)", len(chunk)-1)+`
			ON CONFLICT(term) DO UPDATE SET df = df + excluded.df`, args...); err != nil {
			return fmt.Errorf("storage: count story words: %w", err)
		}
	}
	return nil
}
