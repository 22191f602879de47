package feeds

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// OpeningModel chooses which of the sentence model's best openings the
// summary starts with, by the summary each opening leads to: for each of
// the openingCandidates best-scoring sentences that can open, the summary
// is filled as usual and scored by a linear model over features of that
// summary (the sentence model's scores of what it holds, its length, its
// similarity to the title and to the whole article with corpus IDF
// weights), each also relative to the best of the article's possible
// summaries. It is fitted by ridge regression to each summary's ROUGE-1 +
// ROUGE-2 against the outlet's lead, centred per article: only the choice
// within an article matters.
type OpeningModel struct {
	Features []string  `json:"features"` // names, in openingFeatureNames order
	Scale    []float64 `json:"scale"`    // spread of each feature within articles
	Weights  []float64 `json:"weights"`  // on the scaled features
}

// openingCandidates is how many of the sentence model's best openings the
// opening model chooses among (chosen on held-out training articles: all
// eligible openings gained as much but cost more).
const openingCandidates = 5

// openingFeatureNames name what the opening model knows of the summary an
// opening leads to; each summary feature comes twice, as it is and minus
// its highest over the article's possible summaries.
var openingFeatureNames = func() []string {
	out := []string{
		"opening_logit",      // the sentence model's score of the opening
		"opening_logit_gap",  // that minus the article's best score
		"opening_logit_rank", // its rank among the article's candidates, 0 best, 1 worst
	}
	summary := []string{
		"sum_logit",        // the sentence model's scores of the summary's sentences, summed
		"mean_logit",       // and averaged
		"sentences",        // how many
		"length",           // runes / 150
		"idf_title_cosine", // cosine to the title, corpus IDF weights
		"title_cover",      // share of the title's syllables held
		"idf_centrality",   // cosine to the whole article, corpus IDF weights
		"holds_first",      // holds the first candidate
	}
	out = append(out, summary...)
	for _, f := range summary {
		out = append(out, f+"_gap")
	}
	return out
}()

// validate checks an opening model against the features computed here.
func (o *OpeningModel) validate() error {
	if !slices.Equal(o.Features, openingFeatureNames) {
		return fmt.Errorf("opening features %v, want %v", o.Features, openingFeatureNames)
	}
	if len(o.Scale) != len(o.Features) || len(o.Weights) != len(o.Features) {
		return fmt.Errorf("opening model: %d features but %d scales and %d weights", len(o.Features), len(o.Scale), len(o.Weights))
	}
	for i, s := range o.Scale {
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(o.Weights[i]) {
			return fmt.Errorf("opening model: feature %s: bad scale %v or weight %v", o.Features[i], s, o.Weights[i])
		}
	}
	return nil
}

func (o *OpeningModel) score(x []float64) float64 {
	z := 0.0
	for i, v := range x {
		z += o.Weights[i] * v / o.Scale[i]
	}
	return z
}

// DocumentFrequencies are how many articles of a corpus hold each term
// (a folded syllable that carries meaning, or a pair of syllables "a b"):
// the opening model's IDF weights, for terms an article alone is too short
// to weigh. A term missing from the table is rarer than any in it.
type DocumentFrequencies struct {
	Articles int
	DF       map[string]int

	idfOnce  sync.Once
	idfTable map[uint64]float64 // ln((N+1)/(df+1)) of each term in DF, by termHash
}

// idf is ln((N+1)/(df+1)).
func (d *DocumentFrequencies) idf(term string) float64 {
	return d.idfOfHash(termHash(fnvOffset64, term))
}

// idfOfHash is idf of a term given by its termHash. The table is keyed by
// a 64-bit hash rather than the term: looking up every term of an article
// by string was a tenth of summarising it. Two of the table's 20 000 terms
// share a hash with odds of about 1e-11.
func (d *DocumentFrequencies) idfOfHash(h uint64) float64 {
	d.idfOnce.Do(func() {
		d.idfTable = make(map[uint64]float64, len(d.DF))
		for t, n := range d.DF {
			d.idfTable[termHash(fnvOffset64, t)] = math.Log(float64(d.Articles+1) / float64(n+1))
		}
	})
	if v, ok := d.idfTable[h]; ok {
		return v
	}
	return math.Log(float64(d.Articles + 1))
}

// FNV-1a, 64 bits.
const fnvOffset64, fnvPrime64 = 14695981039346656037, 1099511628211

// termHash continues the FNV-1a hash h over s: termHash(termHash(fnvOffset64,
// "a "), "b") is the hash of "a b", without building it.
func termHash(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime64
	}
	return h
}

// CountDocumentFrequencies counts the terms of the examples' bodies and
// keeps the top most frequent (ties by term, so the table is deterministic).
func CountDocumentFrequencies(examples []SummaryExample, top int) *DocumentFrequencies {
	df := map[string]int{}
	seen := map[string]bool{}
	for _, ex := range examples {
		clear(seen)
		for line := range strings.SplitSeq(ex.Body, "\n") {
			for _, t := range corpusTerms(foldWords(line)) {
				seen[t] = true
			}
		}
		for t := range seen {
			df[t]++
		}
	}
	if top > 0 && len(df) > top {
		terms := make([]string, 0, len(df))
		for t := range df {
			terms = append(terms, t)
		}
		slices.SortFunc(terms, func(a, b string) int {
			if df[a] != df[b] {
				return df[b] - df[a]
			}
			return strings.Compare(a, b)
		})
		kept := make(map[string]int, top)
		for _, t := range terms[:top] {
			kept[t] = df[t]
		}
		df = kept
	}
	return &DocumentFrequencies{Articles: len(examples), DF: df}
}

// WriteTo writes the table as text: the number of articles on the first
// line, then a term and its count a line, most frequent first.
func (d *DocumentFrequencies) WriteTo(w io.Writer) (int64, error) {
	terms := make([]string, 0, len(d.DF))
	for t := range d.DF {
		terms = append(terms, t)
	}
	slices.SortFunc(terms, func(a, b string) int {
		if d.DF[a] != d.DF[b] {
			return d.DF[b] - d.DF[a]
		}
		return strings.Compare(a, b)
	})
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d\n", d.Articles)
	for _, t := range terms {
		fmt.Fprintf(&b, "%s\t%d\n", t, d.DF[t])
	}
	n, err := w.Write(b.Bytes())
	if err != nil {
		return int64(n), fmt.Errorf("feeds: write document frequencies: %w", err)
	}
	return int64(n), nil
}

// ParseDocumentFrequencies reads what WriteTo wrote.
func ParseDocumentFrequencies(data []byte) (*DocumentFrequencies, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	if !sc.Scan() {
		return nil, fmt.Errorf("feeds: parse document frequencies: empty")
	}
	n, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
	if err != nil || n <= 0 {
		return nil, fmt.Errorf("feeds: parse document frequencies: articles %q", sc.Text())
	}
	d := &DocumentFrequencies{Articles: n, DF: map[string]int{}}
	for line := 2; sc.Scan(); line++ {
		term, count, ok := strings.Cut(sc.Text(), "\t")
		c, err := strconv.Atoi(count)
		if !ok || err != nil || c < 0 || c > n || term == "" {
			return nil, fmt.Errorf("feeds: parse document frequencies: line %d: %q", line, sc.Text())
		}
		d.DF[term] = c
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("feeds: parse document frequencies: %w", err)
	}
	return d, nil
}

// summaryDF is the table counted from the training split (cmd/train).
//
//go:embed summary_df.tsv
var summaryDF []byte

var builtinDF = sync.OnceValue(func() *DocumentFrequencies {
	d, err := ParseDocumentFrequencies(summaryDF)
	if err != nil {
		slog.Error("feeds: the built-in document frequencies do not load; summaries open as the sentence model says", "err", err)
		return nil
	}
	return d
})

// corpusTerms are the syllables that carry meaning and every pair of
// syllables ("a b").
func corpusTerms(words []string) []string {
	out := make([]string, 0, 2*len(words))
	for i, w := range words {
		if !stopSyllables[w] && !isNumber(w) {
			out = append(out, w)
		}
		if i > 0 {
			out = append(out, words[i-1]+" "+w)
		}
	}
	return out
}

// articleIDF returns, for each of an article's term ids, the ratio of the
// corpus's IDF to the article's own (0 where the article's is 0: a term
// in every sentence weighs nothing either way).
func (d *DocumentFrequencies) articleIDF(v *vocabulary, local []float64) []float64 {
	names := make([]string, v.n)
	hashes := make([]uint64, v.n) // of each syllable, then of it and a space
	for w, id := range v.uni {
		names[id] = w
		hashes[id] = termHash(fnvOffset64, w)
	}
	out := make([]float64, v.n)
	for _, id := range v.uni {
		if local[id] > 0 && !v.stops[id] {
			out[id] = d.idfOfHash(hashes[id]) / local[id]
		}
		hashes[id] = termHash(hashes[id], " ")
	}
	for key, id := range v.bi {
		if local[id] > 0 {
			out[id] = d.idfOfHash(termHash(hashes[key>>32], names[key&0xffffffff])) / local[id]
		}
	}
	return out
}

func denseCosine(a, b []float64) float64 {
	var dot, na, nb float64
	for i, x := range a {
		dot += x * b[i]
		na += x * x
		nb += b[i] * b[i]
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

// openingChoice is one way to open an article's summary and the summary
// it leads to.
type openingChoice struct {
	index   int // of the opening in the pool
	summary []*sentence
	x       []float64
}

// openingChoices fills the summary from each of the sentence model's
// openingCandidates best-scoring sentences that can open it and computes
// the opening model's features of each; the choices are best first (ties
// in article order, as opening() breaks them). It returns nil when the
// first sentence must open (leadCover) or nothing else can.
func (s Summarizer) openingChoices(a *article, tu tuning, d *DocumentFrequencies) []openingChoice {
	maxChars, maxSentences := s.budget()
	pool, all := a.pool, a.all
	if tu.leadCover > 0 && titleCover(pool[0].words, a.title) >= tu.leadCover {
		return nil
	}
	logits := make([]float64, len(pool))
	for i, c := range pool {
		logits[i] = c.score
	}
	best := slices.Max(logits)
	rank := ranks(logits)
	order := make([]int, len(pool))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		switch {
		case logits[x] > logits[y]:
			return -1
		case logits[x] < logits[y]:
			return 1
		}
		return 0
	})
	type opening struct{ lead, ant *sentence }
	var openings []opening
	var index []int
	for _, i := range order {
		c := pool[i]
		var ant *sentence
		if i > 0 && needsAntecedent(c, all, nil) {
			prev := all[c.pos-1]
			if !slices.Contains(pool, prev) || prev.leans() || prev.runes+1+c.runes > maxChars || maxSentences < 2 {
				continue // as opening() would not open with it
			}
			ant = prev
		}
		openings = append(openings, opening{c, ant})
		index = append(index, i)
	}
	if len(openings) < 2 {
		return nil
	}
	// The article's terms reweighed by corpus IDF: each vector's weights
	// are (1 + ln tf)·idf with the article's own idf (weigh), so the
	// corpus's replaces it term by term. A summary's vector is the sum of
	// its sentences'.
	cidf := d.articleIDF(a.vocab, a.idf)
	centre := make([]float64, len(cidf))
	for _, c := range pool {
		for k, id := range c.vec.ids {
			centre[id] += c.vec.w[k] * cidf[id]
		}
	}
	titleVec := make([]float64, len(cidf))
	for k, id := range a.titleVec.ids {
		titleVec[id] = a.titleVec.w[k] * cidf[id]
	}
	v := make([]float64, len(cidf))
	out := make([]openingChoice, 0, len(openings))
	for k, o := range openings {
		i := index[k]
		chosen := s.fill(a, o.lead, o.ant, tu)
		var words []string
		sum, runes, first := 0.0, 0, false
		clear(v)
		for _, st := range chosen {
			sum += st.score
			runes += st.runes
			first = first || st == pool[0]
			words = append(words, st.words...)
			for k, id := range st.vec.ids {
				v[id] += st.vec.w[k] * cidf[id]
			}
		}
		x := []float64{
			logits[i], logits[i] - best, rank[i],
			sum, sum / float64(len(chosen)), float64(len(chosen)), float64(runes) / 150,
			denseCosine(v, titleVec), titleCover(words, a.title), denseCosine(v, centre), flag(first),
		}
		out = append(out, openingChoice{index: i, summary: chosen, x: x})
	}
	// Every possible opening sets the best of each feature; the model then
	// chooses among the sentence model's best few only (more cost as much
	// and gained nothing on held-out articles).
	const summaryFrom, summaryFeatures = 3, 8
	for j := summaryFrom; j < summaryFrom+summaryFeatures; j++ {
		top := math.Inf(-1)
		for _, o := range out {
			top = max(top, o.x[j])
		}
		for k := range out {
			out[k].x = append(out[k].x, out[k].x[j]-top)
		}
	}
	return out
}

// shortlist is the choices the opening model chooses among.
func shortlist(choices []openingChoice) []openingChoice {
	return choices[:min(openingCandidates, len(choices))]
}

// rerankOpenings returns the summary the opening model prefers among those
// the sentence model's best openings lead to, or nil when there is no
// opening model or no choice to make (the caller then opens as the
// sentence model says).
func (s Summarizer) rerankOpenings(a *article, tu tuning) []*sentence {
	if !tu.learned {
		return nil
	}
	m := s.Model
	if m == nil {
		m = builtinModel()
	}
	if m == nil || m.Opening == nil {
		return nil
	}
	d := s.DF
	if d == nil {
		d = builtinDF()
	}
	if d == nil {
		return nil
	}
	choices := s.openingChoices(a, tu, d)
	if choices == nil {
		return nil
	}
	best, bestScore := choices[0], math.Inf(-1)
	for _, o := range shortlist(choices) {
		if sc := m.Opening.score(o.x); sc > bestScore {
			best, bestScore = o, sc
		}
	}
	return best.summary
}
