// Command train learns the summarizer's sentence model from articles and
// the leads their outlets wrote, prints how it scores on the dev split, and
// writes the weights the summarizer embeds:
//
//	go run ./feeds/cmd/train -data ../shared/eval/vi-summaries-train.jsonl \
//	    -dev ../shared/eval/vi-summaries-dev.jsonl -out feeds/summary_weights.json \
//	    -df feeds/summary_df.tsv
//
// It fits the lexical model (hashed words of each sentence) and the
// sentence model that takes its score as a feature, counts the training articles' document
// frequencies (the opening model's IDF weights), then fits the opening
// model that chooses among the sentence model's best openings.
//
// With -holdout N it trains on all but the last N training articles and
// reports ROUGE on those too: 100 dev articles cannot tell apart options
// within about 0.013 of ROUGE-1 (one standard error), 2 000 held-out
// articles within about 0.003.
//
// -compare also trains without the lexical model (see feeds.LexicalModel)
// and reports the per-article difference from it.
//
// Training is deterministic: the same data gives the same file. Choose
// options on the dev split only; the test split is for reporting.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"time"

	"github.com/newsbot-vn/newsbot/feeds"
)

func main() {
	data := flag.String("data", "../shared/eval/vi-summaries-train.jsonl", "training articles (JSON Lines: id, title, body, summary)")
	dev := flag.String("dev", "../shared/eval/vi-summaries-dev.jsonl", "dev articles to report ROUGE on (\"\" for none)")
	out := flag.String("out", "", "where to write the weights (\"\" to only report)")
	dfOut := flag.String("df", "", "where to write the document frequencies (\"\" not to)")
	openingL2 := flag.Float64("opening-l2", 0, "ridge penalty of the opening model (0: the default)")
	l2 := flag.Float64("l2", 0, "ridge penalty (0: the default)")
	holdout := flag.Int("holdout", 0, "keep the last N training articles out of training and report ROUGE on them: a larger check than dev for choosing options")
	lexBits := flag.Int("lexical-bits", 0, "hash the lexical model's features into 2^N buckets (0: the default; -1: no lexical model)")
	lexKinds := flag.String("lexical-kinds", "", "comma-separated lexical feature kinds (\"\": "+strings.Join(feeds.DefaultLexicalKinds, ",")+"; known: "+strings.Join(feeds.LexicalKinds(), ",")+")")
	lexL2 := flag.Float64("lexical-l2", 0, "L2 shrinkage of the lexical model (0: the default)")
	lexEpochs := flag.Int("lexical-epochs", 0, "epochs of the lexical model (0: the default)")
	lexRate := flag.Float64("lexical-rate", 0, "AdaGrad rate of the lexical model (0: the default)")
	compare := flag.Bool("compare", false, "also train without the lexical model and report the per-article difference from it on held-out and dev")
	flag.Parse()
	opt := feeds.TrainOptions{L2: *l2, Lexical: feeds.LexicalOptions{Bits: *lexBits, L2: *lexL2, Epochs: *lexEpochs, Rate: *lexRate}}
	if *lexKinds != "" {
		opt.Lexical.Kinds = strings.Split(*lexKinds, ",")
	}
	var baseline *feeds.TrainOptions
	if *compare {
		b := opt
		b.Lexical = feeds.LexicalOptions{Bits: -1}
		baseline = &b
	}
	if err := run(os.Stdout, *data, *dev, *out, *dfOut, *holdout, opt, *openingL2, baseline); err != nil {
		slog.Error("train", "err", err)
		os.Exit(1)
	}
}

// dfTerms is how many terms the document frequency table keeps: enough
// for the opening model, small enough to embed (about 300 KB).
const dfTerms = 20000

// run trains on data (less the last holdout articles), reports to w and
// writes the model to out and the document frequencies to dfOut. With a
// baseline it also trains with those options and reports the per-article
// difference from that model.
func run(w io.Writer, data, dev, out, dfOut string, holdout int, opt feeds.TrainOptions, openingL2 float64, baseline *feeds.TrainOptions) error {
	start := time.Now()
	train, err := read(data)
	if err != nil {
		return err
	}
	var held []feeds.SummaryExample
	if holdout > 0 {
		if holdout >= len(train) {
			return fmt.Errorf("train: holdout %d leaves nothing of %d articles to train on", holdout, len(train))
		}
		train, held = train[:len(train)-holdout], train[len(train)-holdout:]
	}
	m, err := feeds.TrainSentenceModel(train, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "trained on %s in %s: %s\n", data, time.Since(start).Round(time.Millisecond), m.Trained)
	for i, name := range m.Features {
		fmt.Fprintf(w, "  %-16s %+.3f\n", name, m.Weights[i])
	}
	sentenceOnly := *m
	df := feeds.CountDocumentFrequencies(train, dfTerms)
	if m.Opening, err = feeds.TrainOpeningModel(train, m, df, openingL2); err != nil {
		return err
	}
	fmt.Fprintf(w, "opening model trained (%s so far):\n", time.Since(start).Round(time.Millisecond))
	for i, name := range m.Opening.Features {
		fmt.Fprintf(w, "  %-22s %+.4f\n", name, m.Opening.Weights[i])
	}
	var other *feeds.SentenceModel
	if baseline != nil {
		if other, err = feeds.TrainSentenceModel(train, *baseline); err != nil {
			return err
		}
		if other.Opening, err = feeds.TrainOpeningModel(train, other, df, openingL2); err != nil {
			return err
		}
		fmt.Fprintf(w, "baseline trained (%s so far): %s\n", time.Since(start).Round(time.Millisecond), other.Trained)
	}
	base := feeds.Summarizer{Model: &sentenceOnly}
	learned := feeds.Summarizer{Model: m, DF: df}
	var compared *feeds.Summarizer
	if other != nil {
		compared = &feeds.Summarizer{Model: other, DF: df}
	}
	if len(held) > 0 {
		report(w, "held out", fmt.Sprintf("%d training articles", len(held)), held, base, learned, compared, false)
	}
	if dev != "" {
		exs, err := read(dev)
		if err != nil {
			return err
		}
		report(w, "dev", fmt.Sprintf("%d articles", len(exs)), exs, base, learned, compared, true)
	}
	if dfOut != "" {
		f, err := os.Create(dfOut)
		if err != nil {
			return fmt.Errorf("train: write document frequencies: %w", err)
		}
		if _, err := df.WriteTo(f); err != nil {
			f.Close()
			return fmt.Errorf("train: %w", err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("train: write document frequencies: %w", err)
		}
		fmt.Fprintf(w, "wrote %s\n", dfOut)
	}
	if out == "" {
		return nil
	}
	b, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return fmt.Errorf("train: encode model: %w", err)
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("train: write model: %w", err)
	}
	fmt.Fprintf(w, "wrote %s\n", out)
	return nil
}

func read(path string) ([]feeds.SummaryExample, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	defer f.Close()
	return feeds.ReadSummaryExamples(f)
}

// report prints the ROUGE of the sentence model alone, of the learned
// summarizer and, when asked, of the oracle and of a baseline on one split,
// with the learned summarizer's per-article difference from the others.
// Each system summarises each article once.
func report(w io.Writer, split, size string, exs []feeds.SummaryExample, base, learned feeds.Summarizer, baseline *feeds.Summarizer, oracle bool) {
	baseScores, learnedScores := perArticle(exs, base), perArticle(exs, learned)
	fmt.Fprintf(w, "%s (%s), sentence model alone: %v\n", split, size, mean(baseScores))
	fmt.Fprintf(w, "%s (%s), learned: %v\n", split, size, mean(learnedScores))
	if oracle {
		fmt.Fprintf(w, "%s (%s), oracle:  %v\n", split, size, feeds.EvaluateSummaries(exs, feeds.OracleSummary))
	}
	fmt.Fprintf(w, "%s, learned minus sentence model alone, per article: %s\n", split, pairedDifference(learnedScores, baseScores))
	if baseline != nil {
		other := perArticle(exs, *baseline)
		fmt.Fprintf(w, "%s (%s), baseline: %v\n", split, size, mean(other))
		fmt.Fprintf(w, "%s, learned minus baseline, per article: %s\n", split, pairedDifference(learnedScores, other))
	}
}

// perArticle is each article's ROUGE under s.
func perArticle(exs []feeds.SummaryExample, s feeds.Summarizer) []feeds.RougeScores {
	out := make([]feeds.RougeScores, len(exs))
	for i, e := range exs {
		out[i] = feeds.EvaluateSummaries(exs[i:i+1], func(feeds.SummaryExample) string { return s.Summarize(e.Title, feeds.Clean(e.Body)) })
	}
	return out
}

// mean is the average of per-article scores, as EvaluateSummaries gives it.
func mean(scores []feeds.RougeScores) feeds.RougeScores {
	var m feeds.RougeScores
	if len(scores) == 0 {
		return m
	}
	for _, s := range scores {
		m.R1 += s.R1
		m.R2 += s.R2
		m.RL += s.RL
		m.Syllables += s.Syllables
	}
	n := float64(len(scores))
	return feeds.RougeScores{R1: m.R1 / n, R2: m.R2 / n, RL: m.RL / n, Syllables: m.Syllables / n}
}

// pairedDifference is the mean per-article difference a − b in ROUGE-1
// and ROUGE-2, with its standard error: what says whether one summarizer
// beats the other on these articles.
func pairedDifference(a, b []feeds.RougeScores) string {
	var d1, d2, s1, s2 float64
	for i := range a {
		x1, x2 := a[i].R1-b[i].R1, a[i].R2-b[i].R2
		d1 += x1
		d2 += x2
		s1 += x1 * x1
		s2 += x2 * x2
	}
	n := float64(len(a))
	se := func(s, d float64) float64 {
		if n < 2 {
			return 0
		}
		return math.Sqrt(max(s/n-(d/n)*(d/n), 0) / (n - 1))
	}
	return fmt.Sprintf("ROUGE-1 %+.4f (standard error %.4f), ROUGE-2 %+.4f (%.4f)", d1/n, se(s1, d1), d2/n, se(s2, d2))
}
