package feeds

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsbot-vn/newsbot/storage"
)

// evalDir holds the summary evaluation set shared by the project: real
// Vietnamese articles with the outlet's own lead as the reference.
const evalDir = "../../shared/eval"

type evalArticle struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Body    string `json:"body"`
	Summary string `json:"summary"`
}

func loadEval(t testing.TB, name string) []evalArticle {
	t.Helper()
	f, err := os.Open(filepath.Join(evalDir, name))
	if errors.Is(err, fs.ErrNotExist) {
		// A clone has no ../shared beside it: the evaluation set is the
		// project's, too large for the repository.
		t.Skipf("evaluation set %s absent (it lives in ../shared/eval beside the checkout)", name)
	}
	if err != nil {
		t.Fatalf("open evaluation set: %v", err)
	}
	defer f.Close()
	var out []evalArticle
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var a evalArticle
		if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
			t.Fatalf("%s: %v", name, err)
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
		t.Fatal(err)
	}
	return out
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

// rougeTokens are the syllables ROUGE compares: folded, punctuation gone.
func rougeTokens(s string) []string { return storage.Words(storage.Fold(s)) }

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
	grams := func(ws []string) map[string]int {
		m := map[string]int{}
		for i := 0; i+n <= len(ws); i++ {
			m[strings.Join(ws[i:i+n], " ")]++
		}
		return m
	}
	c, r := grams(cand), grams(ref)
	overlap, nc, nr := 0, 0, 0
	for g, k := range c {
		overlap += min(k, r[g])
		nc += k
	}
	for _, k := range r {
		nr += k
	}
	return f1(overlap, nc, nr)
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

type rougeScores struct{ R1, R2, RL, Words float64 }

func (s rougeScores) String() string {
	return fmt.Sprintf("ROUGE-1 %.4f  ROUGE-2 %.4f  ROUGE-L %.4f  (%.1f syllables)", s.R1, s.R2, s.RL, s.Words)
}

// evaluate averages the F1 scores of a system's summaries over a set.
func evaluate(arts []evalArticle, system func(evalArticle) string) rougeScores {
	var s rougeScores
	for _, a := range arts {
		cand, ref := rougeTokens(system(a)), rougeTokens(a.Summary)
		s.R1 += rougeN(cand, ref, 1)
		s.R2 += rougeN(cand, ref, 2)
		s.RL += rougeL(cand, ref)
		s.Words += float64(len(cand))
	}
	n := float64(len(arts))
	return rougeScores{s.R1 / n, s.R2 / n, s.RL / n, s.Words / n}
}

// leadN is the first n sentences of the body within the same budget as
// the summarizer's.
func leadN(n int) func(evalArticle) string {
	return func(a evalArticle) string {
		return pack(SplitSentences(a.Body), DefaultSummaryChars, n)
	}
}

// leadToTarget is the first sentences taken while they bring the summary
// closer to the summarizer's target length: what length alone is worth.
func leadToTarget(a evalArticle) string {
	sents := SplitSentences(a.Body)
	if len(sents) == 0 {
		return ""
	}
	out, length := []string{sents[0]}, len([]rune(sents[0]))
	target := defaultTuning.target
	for _, s := range sents[1:min(len(sents), DefaultSummarySentences)] {
		grown := length + 1 + len([]rune(s))
		if length >= target || grown > DefaultSummaryChars || grown-target > target-length {
			break
		}
		out, length = append(out, s), grown
	}
	return strings.Join(out, " ")
}

// summarizer is the product's pipeline: the body cleaned, then summarized.
func summarizer(a evalArticle) string { return Summarizer{}.Summarize(a.Title, Clean(a.Body)) }

func TestRougeHelpers(t *testing.T) {
	tests := []struct {
		name      string
		cand, ref string
		r1, r2, l float64
	}{
		{"identical", "Hà Nội mưa to", "Hà Nội mưa to", 1, 1, 1},
		{"diacritics and case folded", "HA NOI mua to", "Hà Nội mưa to", 1, 1, 1},
		{"disjoint", "một hai", "ba bốn", 0, 0, 0},
		{"half", "Hà Nội nắng nóng", "Hà Nội mưa to", 0.5, 1.0 / 3, 0.5},
		{"empty candidate", "", "Hà Nội", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, r := rougeTokens(tt.cand), rougeTokens(tt.ref)
			got := [3]float64{rougeN(c, r, 1), rougeN(c, r, 2), rougeL(c, r)}
			want := [3]float64{tt.r1, tt.r2, tt.l}
			for i := range got {
				if d := got[i] - want[i]; d > 1e-9 || d < -1e-9 {
					t.Errorf("scores = %v, want %v", got, want)
					break
				}
			}
		})
	}
	if got := detokenize("Phú Thọ : Bắt ( SN 1994 ) , “ nổ ” ."); got != "Phú Thọ: Bắt (SN 1994), “nổ”." {
		t.Errorf("detokenize = %q", got)
	}
}

// TestRouge reports ROUGE F1 on the test split for Lead-1, Lead-3 and the
// summarizer at the same budget, and holds the summarizer to beating Lead-1.
// Reproduce the figures in BENCHMARKS.md with:
//
//	go test ./feeds -run 'TestRouge$' -v
func TestRouge(t *testing.T) {
	for _, split := range []string{"dev", "test"} {
		arts := loadEval(t, "vi-summaries-"+split+".jsonl")
		lead1 := evaluate(arts, leadN(1))
		lead3 := evaluate(arts, leadN(3))
		leadT := evaluate(arts, leadToTarget)
		sum := evaluate(arts, summarizer)
		t.Logf("%s split, %d articles, budget %d characters / %d sentences:", split, len(arts), DefaultSummaryChars, DefaultSummarySentences)
		t.Logf("  Lead-1             %v", lead1)
		t.Logf("  Lead-3             %v", lead3)
		t.Logf("  Lead to %d chars  %v", defaultTuning.target, leadT)
		t.Logf("  Summarizer         %v", sum)
		if split == "test" && (sum.R1 <= lead1.R1 || sum.R2 <= lead1.R2 || sum.RL <= lead1.RL) {
			t.Errorf("the summarizer does not beat Lead-1 on the test split:\n  summarizer %v\n  Lead-1     %v", sum, lead1)
		}
	}
}
