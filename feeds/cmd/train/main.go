// Command train learns the summarizer's sentence model from articles and
// the leads their outlets wrote, prints how it scores on the dev split, and
// writes the weights the summarizer embeds:
//
//	go run ./feeds/cmd/train -data ../shared/eval/vi-summaries-train.jsonl \
//	    -dev ../shared/eval/vi-summaries-dev.jsonl -out feeds/summary_weights.json \
//	    -df feeds/summary_df.tsv
//
// It fits the sentence model, counts the training articles' document
// frequencies (the opening model's IDF weights), then fits the opening
// model that chooses among the sentence model's best openings.
//
// With -holdout N it trains on all but the last N training articles and
// reports ROUGE on those too: 100 dev articles cannot tell apart options
// within about 0.013 of ROUGE-1 (one standard error), 2 000 held-out
// articles within about 0.003.
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
	flag.Parse()
	if err := run(os.Stdout, *data, *dev, *out, *dfOut, *holdout, feeds.TrainOptions{L2: *l2}, *openingL2); err != nil {
		slog.Error("train", "err", err)
		os.Exit(1)
	}
}

// dfTerms is how many terms the document frequency table keeps: enough
// for the opening model, small enough to embed (about 300 KB).
const dfTerms = 20000

// run trains on data (less the last holdout articles), reports to w and
// writes the model to out and the document frequencies to dfOut.
func run(w io.Writer, data, dev, out, dfOut string, holdout int, opt feeds.TrainOptions, openingL2 float64) error {
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
	if len(held) > 0 {
		base := feeds.Summarizer{Model: &sentenceOnly}
		fmt.Fprintf(w, "held out (%d training articles), sentence model alone: %v\n", len(held), feeds.EvaluateSummaries(held, func(e feeds.SummaryExample) string {
			return base.Summarize(e.Title, feeds.Clean(e.Body))
		}))
		learned := feeds.Summarizer{Model: m, DF: df}
		fmt.Fprintf(w, "held out (%d training articles), learned: %v\n", len(held), feeds.EvaluateSummaries(held, func(e feeds.SummaryExample) string {
			return learned.Summarize(e.Title, feeds.Clean(e.Body))
		}))
		fmt.Fprintf(w, "held out, learned minus sentence model alone, per article: %s\n", pairedDifference(held, learned, base))
	}
	if dev != "" {
		exs, err := read(dev)
		if err != nil {
			return err
		}
		base := feeds.Summarizer{Model: &sentenceOnly}
		fmt.Fprintf(w, "dev (%d articles), sentence model alone: %v\n", len(exs), feeds.EvaluateSummaries(exs, func(e feeds.SummaryExample) string {
			return base.Summarize(e.Title, feeds.Clean(e.Body))
		}))
		learned := feeds.Summarizer{Model: m, DF: df}
		fmt.Fprintf(w, "dev (%d articles), learned: %v\n", len(exs), feeds.EvaluateSummaries(exs, func(e feeds.SummaryExample) string {
			return learned.Summarize(e.Title, feeds.Clean(e.Body))
		}))
		fmt.Fprintf(w, "dev (%d articles), oracle:  %v\n", len(exs), feeds.EvaluateSummaries(exs, feeds.OracleSummary))
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

// pairedDifference is the mean per-article difference in ROUGE-1 and
// ROUGE-2 between two summarizers, with its standard error: what says
// whether one beats the other on these articles.
func pairedDifference(exs []feeds.SummaryExample, a, b feeds.Summarizer) string {
	var d1, d2, s1, s2 float64
	for _, e := range exs {
		one := []feeds.SummaryExample{e}
		ra := feeds.EvaluateSummaries(one, func(e feeds.SummaryExample) string { return a.Summarize(e.Title, feeds.Clean(e.Body)) })
		rb := feeds.EvaluateSummaries(one, func(e feeds.SummaryExample) string { return b.Summarize(e.Title, feeds.Clean(e.Body)) })
		x1, x2 := ra.R1-rb.R1, ra.R2-rb.R2
		d1 += x1
		d2 += x2
		s1 += x1 * x1
		s2 += x2 * x2
	}
	n := float64(len(exs))
	se := func(s, d float64) float64 {
		if n < 2 {
			return 0
		}
		return math.Sqrt(max(s/n-(d/n)*(d/n), 0) / (n - 1))
	}
	return fmt.Sprintf("ROUGE-1 %+.4f (standard error %.4f), ROUGE-2 %+.4f (%.4f)", d1/n, se(s1, d1), d2/n, se(s2, d2))
}
