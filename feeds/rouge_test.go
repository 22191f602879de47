package feeds

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalDir holds the summary evaluation set shared by the project: real
// Vietnamese articles with the outlet's own lead as the reference.
const evalDir = "../../shared/eval"

type evalArticle = SummaryExample

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
	out, err := ReadSummaryExamples(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

type rougeScores = RougeScores

// evaluate averages the F1 scores of a system's summaries over a set.
func evaluate(arts []evalArticle, system func(evalArticle) string) rougeScores {
	return EvaluateSummaries(arts, system)
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
	target := heuristicTuning.target
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

// heuristic is the summarizer before the learned model (issue 13).
func heuristic(a evalArticle) string {
	return strings.Join(Summarizer{}.sentences(a.Title, Clean(a.Body), heuristicTuning), " ")
}

// learnedFloor holds the learned summarizer's figures: a little under what
// it measured (BENCHMARKS.md), so that a change that loses the model's gain
// fails here even while it still beats Lead-1.
var learnedFloor = map[string]rougeScores{
	"dev":  {R1: 0.349, R2: 0.185, RL: 0.253}, // measured 0.3593 0.1950 0.2635 (quotations joined, lexical feature)
	"test": {R1: 0.373, R2: 0.213, RL: 0.274}, // measured 0.3832 0.2237 0.2847
}

// TestRouge reports ROUGE F1 on the dev and test splits for Lead-1,
// Lead-3, the summarizer before the learned model, the summarizer and the
// oracle at the same budget; it holds the summarizer to beating Lead-1 on
// test, and to the learned model's figures on both splits. Reproduce the
// figures in BENCHMARKS.md with:
//
//	go test ./feeds -run 'TestRouge$' -v
func TestRouge(t *testing.T) {
	for _, split := range []string{"dev", "test"} {
		arts := loadEval(t, "vi-summaries-"+split+".jsonl")
		lead1 := evaluate(arts, leadN(1))
		lead3 := evaluate(arts, leadN(3))
		leadT := evaluate(arts, leadToTarget)
		heur := evaluate(arts, heuristic)
		sum := evaluate(arts, summarizer)
		orc := evaluate(arts, OracleSummary)
		t.Logf("%s split, %d articles, budget %d characters / %d sentences:", split, len(arts), DefaultSummaryChars, DefaultSummarySentences)
		t.Logf("  Lead-1             %v", lead1)
		t.Logf("  Lead-3             %v", lead3)
		t.Logf("  Lead to %d chars  %v", heuristicTuning.target, leadT)
		t.Logf("  Heuristic (before) %v", heur)
		t.Logf("  Summarizer         %v", sum)
		t.Logf("  Oracle             %v", orc)
		if split == "test" && (sum.R1 <= lead1.R1 || sum.R2 <= lead1.R2 || sum.RL <= lead1.RL) {
			t.Errorf("the summarizer does not beat Lead-1 on the test split:\n  summarizer %v\n  Lead-1     %v", sum, lead1)
		}
		if f := learnedFloor[split]; sum.R1 < f.R1 || sum.R2 < f.R2 || sum.RL < f.RL {
			t.Errorf("the summarizer fell under the learned model's figures on the %s split:\n  summarizer %v\n  floor      %v", split, sum, f)
		}
	}
}
