package feeds

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// SummaryExample is an article with the lead (sapo) its outlet wrote for
// it: what the summarizer learns from and is measured against.
type SummaryExample struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Body    string `json:"body"` // one sentence or paragraph a line
	Summary string `json:"summary"`
}

// ReadSummaryExamples reads an evaluation set's JSON Lines (one object
// with id, title, body and summary a line, as in ../shared/eval) and undoes
// its tokenisation spacing ("Phú Thọ : Bắt", "( SN 1994 ) ,") so that the
// text reads as published; the body's line breaks are kept.
func ReadSummaryExamples(r io.Reader) ([]SummaryExample, error) {
	var out []SummaryExample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var a SummaryExample
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			return nil, fmt.Errorf("feeds: read summary examples: line %d: %w", line, err)
		}
		a.Title = detokenize(a.Title)
		a.Summary = detokenize(a.Summary)
		lines := strings.Split(a.Body, "\n")
		for i, l := range lines {
			lines[i] = detokenize(l)
		}
		a.Body = strings.Join(lines, "\n")
		out = append(out, a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("feeds: read summary examples: %w", err)
	}
	return out, nil
}

// detokenize undoes the set's tokenisation spacing ("Phú Thọ : Bắt", "( SN
// 1994 ) ,", "“ nổ ”") so that the text looks as published.
func detokenize(s string) string {
	fields := strings.Fields(s)
	var b strings.Builder
	glue := true // no space before the next word
	for _, f := range fields {
		attachLeft := len(f) > 0 && strings.ContainsAny(f[:1], ",.:;!?)]%") || f == "”" || f == "…" || f == "..."
		if !glue && !attachLeft {
			b.WriteByte(' ')
		}
		b.WriteString(f)
		glue = f == "(" || f == "[" || f == "“"
	}
	return b.String()
}

// RougeScores are ROUGE F1 scores averaged over a set of summaries, and
// their average length.
type RougeScores struct {
	R1, R2, RL float64
	Syllables  float64
}

func (s RougeScores) String() string {
	return fmt.Sprintf("ROUGE-1 %.4f  ROUGE-2 %.4f  ROUGE-L %.4f  (%.1f syllables)", s.R1, s.R2, s.RL, s.Syllables)
}

// EvaluateSummaries scores a system's summary of each example against the
// example's own: ROUGE-1, -2 and -L F1 over folded syllables (diacritics
// and case folded, punctuation dropped), averaged over the examples. It is
// not the Perl ROUGE-1.5.5 (no stemming or stop words, which have no
// Vietnamese sense): compare its figures with each other only.
func EvaluateSummaries(examples []SummaryExample, system func(SummaryExample) string) RougeScores {
	var s RougeScores
	if len(examples) == 0 {
		return s
	}
	for _, a := range examples {
		cand, ref := rougeTokens(system(a)), rougeTokens(a.Summary)
		s.R1 += rougeN(cand, ref, 1)
		s.R2 += rougeN(cand, ref, 2)
		s.RL += rougeL(cand, ref)
		s.Syllables += float64(len(cand))
	}
	n := float64(len(examples))
	return RougeScores{s.R1 / n, s.R2 / n, s.RL / n, s.Syllables / n}
}

// rougeTokens are the syllables ROUGE compares: folded, punctuation gone.
func rougeTokens(s string) []string { return foldWords(s) }

func f1(overlap, cand, ref int) float64 {
	if overlap == 0 || cand == 0 || ref == 0 {
		return 0
	}
	p, r := float64(overlap)/float64(cand), float64(overlap)/float64(ref)
	return 2 * p * r / (p + r)
}

// rougeN is the ROUGE-N F1 of a candidate against one reference, with
// clipped n-gram counts.
func rougeN(cand, ref []string, n int) float64 {
	c, r := ngrams(cand, n), ngrams(ref, n)
	return f1(overlap(c, r), max(len(cand)-n+1, 0), max(len(ref)-n+1, 0))
}

// ngrams counts the n-grams of a syllable sequence.
func ngrams(ws []string, n int) map[string]int {
	m := make(map[string]int, len(ws))
	for i := 0; i+n <= len(ws); i++ {
		m[strings.Join(ws[i:i+n], " ")]++
	}
	return m
}

// overlap is the clipped count of n-grams the two share.
func overlap(c, r map[string]int) int {
	o := 0
	for g, k := range c {
		o += min(k, r[g])
	}
	return o
}

// rougeL is the ROUGE-L F1: the longest common subsequence of the two
// syllable sequences (the summary taken as one sequence).
func rougeL(cand, ref []string) float64 {
	prev := make([]int, len(ref)+1)
	cur := make([]int, len(ref)+1)
	for i := 1; i <= len(cand); i++ {
		for j := 1; j <= len(ref); j++ {
			if cand[i-1] == ref[j-1] {
				cur[j] = prev[j-1] + 1
			} else {
				cur[j] = max(cur[j-1], prev[j])
			}
		}
		prev, cur = cur, prev
	}
	return f1(prev[len(ref)], len(cand), len(ref))
}
