package feeds

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// SentenceModel scores how much a sentence belongs in its article's
// summary: a linear model (logistic regression) over standardised features
// of the sentence in its article. It is learned from articles and the leads
// their outlets wrote (TrainSentenceModel, cmd/train); the Summarizer picks
// by its scores.
type SentenceModel struct {
	Features []string  `json:"features"` // names, in featureNames order
	Mean     []float64 `json:"mean"`     // of each feature on the training set
	Scale    []float64 `json:"scale"`    // its standard deviation (1 where it was 0)
	Weights  []float64 `json:"weights"`  // on the standardised features
	Bias     float64   `json:"bias"`
	// Trained says on what and how, for whoever reads the file.
	Trained string `json:"trained,omitempty"`
	// Opening, when set, chooses among the best openings by the summary
	// each leads to (see OpeningModel); without it the summary opens with
	// the best-scoring sentence.
	Opening *OpeningModel `json:"opening,omitempty"`
	// Lexical, when set, scores each sentence by its words; its logit is
	// the model's last feature, "lexical" (see LexicalModel).
	Lexical *LexicalModel `json:"lexical,omitempty"`
}

// lexicalFeature names the lexical model's logit among a model's features.
const lexicalFeature = "lexical"

// modelFeatureNames are the features of a model with or without a
// lexical model.
func modelFeatureNames(lexical bool) []string {
	if lexical {
		return append(slices.Clip(featureNames), lexicalFeature)
	}
	return featureNames
}

// ParseSentenceModel reads a model from its JSON. It fails unless the model
// has exactly the features this summarizer computes, in its order: weights
// for other features would score nonsense.
func ParseSentenceModel(data []byte) (*SentenceModel, error) {
	var m SentenceModel
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("feeds: parse sentence model: %w", err)
	}
	names := modelFeatureNames(m.Lexical != nil)
	if !slices.Equal(m.Features, names) {
		return nil, fmt.Errorf("feeds: parse sentence model: features %v, want %v", m.Features, names)
	}
	n := len(names)
	if len(m.Mean) != n || len(m.Scale) != n || len(m.Weights) != n {
		return nil, fmt.Errorf("feeds: parse sentence model: %d features but %d means, %d scales, %d weights",
			n, len(m.Mean), len(m.Scale), len(m.Weights))
	}
	for i, s := range m.Scale {
		if !(s > 0) || math.IsInf(s, 0) || math.IsNaN(m.Mean[i]) || math.IsNaN(m.Weights[i]) {
			return nil, fmt.Errorf("feeds: parse sentence model: feature %s: bad scale %v, mean %v or weight %v",
				names[i], s, m.Mean[i], m.Weights[i])
		}
	}
	if m.Opening != nil {
		if err := m.Opening.validate(); err != nil {
			return nil, fmt.Errorf("feeds: parse sentence model: %w", err)
		}
	}
	if m.Lexical != nil {
		if err := m.Lexical.validate(); err != nil {
			return nil, fmt.Errorf("feeds: parse sentence model: %w", err)
		}
	}
	return &m, nil
}

// score is the model's logit for a sentence's features.
func (m *SentenceModel) score(x []float64) float64 {
	z := m.Bias
	for i, v := range x {
		z += m.Weights[i] * (v - m.Mean[i]) / m.Scale[i]
	}
	return z
}

// summaryWeights is the model learned from the training split of the
// evaluation set: go run ./feeds/cmd/train (see BENCHMARKS.md).
//
//go:embed summary_weights.json
var summaryWeights []byte

// builtinModel is the Summarizer's model when none is given. The file is
// the repository's own, so its failing to parse is a build mistake that the
// tests catch (TestBuiltinModel); should one slip through, the Summarizer
// logs it once and scores by its heuristic rather than stop summarising.
var builtinModel = sync.OnceValue(func() *SentenceModel {
	m, err := ParseSentenceModel(summaryWeights)
	if err != nil {
		slog.Error("feeds: the built-in sentence model does not load; summaries fall back to the heuristic", "err", err)
		return nil
	}
	return m
})

// featureNames name what the model knows of a sentence, in order. Position
// counts the sentences that could be chosen (captions, subheadings and
// repeats of the title are not among them); similarities are cosines of
// TF-IDF vectors over syllables and syllable pairs (see weigh).
var featureNames = []string{
	"first",           // the first candidate
	"second",          // the second
	"third",           // the third
	"article_first",   // the first sentence of the article itself
	"log_position",    // ln(1 + index)
	"relative",        // index / (candidates - 1)
	"log_syllables",   // ln(1 + syllables)
	"syllables",       // syllables / 40
	"syllables_sq",    // its square: very long sentences lose
	"title_cosine",    // similarity to the title
	"title_cover",     // share of the title's syllables the sentence holds
	"title_rank",      // rank of title_cosine among the candidates, 0 best, 1 worst
	"centrality",      // similarity to the sum of all candidates
	"centrality_rank", // its rank, as title_rank
	"mean_similarity", // average similarity to the other candidates
	"max_similarity",  // the highest: a near repeat of another
	"lead_title",      // title_cosine / (1 + index): a lead that tells the title's story
	"numbers",         // ln(1 + words holding a digit)
	"date",            // a date such as 5/7 or 22-8, or "ngày" with a number
	"time_opener",     // opens with "Sáng 5/7,", "Chiều qua", "Ngày 12"…: a news lead
	"capitals",        // share of syllables after the first that are capitalised: names
	"connective",      // opens with "Tuy nhiên", "Do đó"…
	"quote",           // holds quotation marks: speech
	"colon_end",       // ends with ':' (introduces a list or a quote)
	"question",        // ends with '?' or '!'
	"no_final_stop",   // ends without final punctuation
	"brackets",        // holds '('
	"says",            // reports speech: "cho biết", "nói", "khẳng định"…
	"stop_share",      // share of grammatical syllables
	"first_title",     // title_cosine of the first candidate: a lead that tells the title's story
	"first_central",   // centrality of the first candidate
	"first_short",     // the first candidate has under 15 syllables: a caption or dateline, not a lead
	"best_title",      // the highest title_cosine of the article
	"title_vs_best",   // title_cosine over the article's highest
	"central_vs_best", // centrality over the article's highest
	"log_candidates",  // ln(candidates): how much there is to choose from
	"antecedent",      // the next sentence opens with a connective: this one is its antecedent
	"fits_target",     // runes / 170: how much of an outlet's lead it fills alone
	"heuristic",       // ln of the score before the model: (centrality + 3·title_cosine) / √(1 + index)
}

// features computes featureNames for each sentence of the pool, and after
// them lex's logit when lex is not nil.
func (a *article) features(lex *LexicalModel) [][]float64 {
	pool := a.pool
	n := len(pool)
	titleCos := make([]float64, n)
	central := make([]float64, n)
	for i, c := range pool {
		titleCos[i] = cosine(c.vec, a.titleVec)
		central[i] = a.centrality(c)
	}
	meanSim := make([]float64, n)
	maxSim := make([]float64, n)
	for i := range pool {
		for j := i + 1; j < n; j++ {
			s := cosine(pool[i].vec, pool[j].vec)
			meanSim[i] += s
			meanSim[j] += s
			maxSim[i] = max(maxSim[i], s)
			maxSim[j] = max(maxSim[j], s)
		}
	}
	maxTitle, maxCentral := slices.Max(titleCos), slices.Max(central)
	titleRank := ranks(titleCos)
	centralRank := ranks(central)
	width := len(featureNames)
	var lexBuf []uint32
	if lex != nil {
		width++
		lexBuf = make([]uint32, 0, 256) // a long sentence's features: one allocation an article
	}
	out := make([][]float64, n)
	flat := make([]float64, n*width)
	for i, c := range pool {
		x := flat[i*width : (i+1)*width : (i+1)*width]
		pos := float64(i)
		words := float64(len(c.words))
		rel := 0.0
		if n > 1 {
			rel = pos / float64(n-1)
		}
		cover := a.titleShare(pool[i : i+1])
		mean := 0.0
		if n > 1 {
			mean = meanSim[i] / float64(n-1)
		}
		digits, stops := 0, 0
		for _, id := range c.wordIDs {
			if a.vocab.digits[id] {
				digits++
			}
			if a.vocab.grammar[id] {
				stops++
			}
		}
		last, _ := utf8.DecodeLastRuneInString(sentenceCore(c.text))
		copy(x, []float64{
			flag(i == 0),
			flag(i == 1),
			flag(i == 2),
			flag(c.pos == 0),
			math.Log1p(pos),
			rel,
			math.Log1p(words),
			words / 40,
			(words / 40) * (words / 40),
			titleCos[i],
			cover,
			titleRank[i],
			central[i],
			centralRank[i],
			mean,
			maxSim[i],
			titleCos[i] / (1 + pos),
			math.Log1p(float64(digits)),
			flag(hasDate(c.text, c.words)),
			flag(opensWithTime(c.words)),
			capitalShare(c.text),
			flag(c.connective),
			flag(holdsQuote(c.text)),
			flag(last == ':'),
			flag(last == '?' || last == '!'),
			flag(!isTerminal(last) && last != ':'),
			flag(strings.ContainsRune(c.text, '(')),
			flag(reportsSpeech(c.words)),
			float64(stops) / max(words, 1),
			flag(i == 0) * titleCos[i],
			flag(i == 0) * central[i],
			flag(i == 0 && words < 15),
			flag(titleRank[i] == 0),
			ratio(titleCos[i], maxTitle),
			ratio(central[i], maxCentral),
			math.Log(float64(n)),
			flag(c.pos+1 < len(a.all) && a.all[c.pos+1].connective),
			float64(c.runes) / 170,
			math.Log(0.01 + (central[i]+3*titleCos[i])/math.Sqrt(1+pos)),
		})
		if lex != nil {
			x[len(featureNames)] = lex.logit(c.words, &lexBuf)
		}
		out[i] = x
	}
	return out
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func flag(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ranks gives each value its rank, 0 for the highest and 1 for the lowest
// (ties in order of appearance).
func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case v[a] > v[b]:
			return -1
		case v[a] < v[b]:
			return 1
		}
		return 0
	})
	out := make([]float64, len(v))
	for r, i := range idx {
		if len(v) > 1 {
			out[i] = float64(r) / float64(len(v)-1)
		}
	}
	return out
}

// hasDate reports a day and month written with '/' or '-' (5/7, 22-8,
// 1/12/2021) or "ngày" before a number.
func hasDate(text string, words []string) bool {
	for i := 0; i+1 < len(text); i++ {
		if (text[i] == '/' || text[i] == '-') && i > 0 && isDigitByte(text[i-1]) && isDigitByte(text[i+1]) {
			return true
		}
	}
	for i := 0; i+1 < len(words); i++ {
		if words[i] == "ngay" && isDigitByte(words[i+1][0]) {
			return true
		}
	}
	return false
}

func isDigitByte(b byte) bool { return '0' <= b && b <= '9' }

// timeWords open a news lead: "Sáng 5/7", "Chiều qua", "Ngày 12", "Rạng
// sáng nay" (folded).
var timeWords = map[string]bool{
	"sang": true, "chieu": true, "toi": true, "trua": true, "dem": true, "ngay": true,
	"hom": true, "rang": true, "khuya": true, "dau": true, "cuoi": true, "thang": true,
	"nam": true, "tuan": true, "khoang": true, "luc": true, "vao": true,
}

// opensWithTime reports whether the sentence opens with a time: a time word
// followed by a number, "qua", "nay" or another time word.
func opensWithTime(words []string) bool {
	if len(words) < 2 || !timeWords[words[0]] {
		return false
	}
	next := words[1]
	return isDigitByte(next[0]) || next == "qua" || next == "nay" || timeWords[next]
}

// speechWords report what someone said (folded): a word, or the second
// syllable of a pair mapped to its first ("biet" after "cho").
var speechWords = map[string]string{
	"noi": "", "biet": "cho", "dinh": "khang", "se": "chia", "tin": "thong", "manh": "nhan",
	"nghi": "de", "loi": "tra",
}

func reportsSpeech(words []string) bool {
	for i, w := range words {
		if first, ok := speechWords[w]; ok && (first == "" || i > 0 && words[i-1] == first) {
			return true
		}
	}
	return false
}

// capitalShare is the share of the words after the first that start with
// a capital: names of people, places and bodies.
func capitalShare(text string) float64 {
	words, caps := 0, 0
	first := true
	// The words as strings.FieldsSeq gives them, found by fields' byte
	// test: FieldsSeq decodes every rune of Vietnamese text.
	for i := 0; i < len(text); {
		if w := spaceWidth(text, i); w > 0 {
			i += w
			continue
		}
		start := i
		for i < len(text) && spaceWidth(text, i) == 0 {
			i++
		}
		f := strings.TrimLeftFunc(text[start:i], isOpener)
		r, _ := utf8.DecodeRuneInString(f)
		if !unicode.IsLetter(r) {
			continue
		}
		if first {
			first = false
			continue
		}
		words++
		if unicode.IsUpper(r) {
			caps++
		}
	}
	if words == 0 {
		return 0
	}
	return float64(caps) / float64(words)
}
