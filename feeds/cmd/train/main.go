// Command train learns the summarizer's sentence model from articles and
// the leads their outlets wrote, prints how it scores on the dev split, and
// writes the weights the summarizer embeds:
//
//	go run ./feeds/cmd/train -data ../shared/eval/vi-summaries-train.jsonl \
//	    -dev ../shared/eval/vi-summaries-dev.jsonl -out feeds/summary_weights.json
//
// Training is deterministic: the same data gives the same file. Choose
// options on the dev split only; the test split is for reporting.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/newsbot-vn/newsbot/feeds"
)

func main() {
	data := flag.String("data", "../shared/eval/vi-summaries-train.jsonl", "training articles (JSON Lines: id, title, body, summary)")
	dev := flag.String("dev", "../shared/eval/vi-summaries-dev.jsonl", "dev articles to report ROUGE on (\"\" for none)")
	out := flag.String("out", "", "where to write the weights (\"\" to only report)")
	l2 := flag.Float64("l2", 0, "ridge penalty (0: the default)")
	flag.Parse()
	if err := run(*data, *dev, *out, feeds.TrainOptions{L2: *l2}); err != nil {
		slog.Error("train", "err", err)
		os.Exit(1)
	}
}

func run(data, dev, out string, opt feeds.TrainOptions) error {
	start := time.Now()
	train, err := read(data)
	if err != nil {
		return err
	}
	m, err := feeds.TrainSentenceModel(train, opt)
	if err != nil {
		return err
	}
	fmt.Printf("trained on %s in %s: %s\n", data, time.Since(start).Round(time.Millisecond), m.Trained)
	for i, name := range m.Features {
		fmt.Printf("  %-16s %+.3f\n", name, m.Weights[i])
	}
	if dev != "" {
		exs, err := read(dev)
		if err != nil {
			return err
		}
		learned := feeds.Summarizer{Model: m}
		fmt.Printf("dev (%d articles), learned: %v\n", len(exs), feeds.EvaluateSummaries(exs, func(e feeds.SummaryExample) string {
			return learned.Summarize(e.Title, feeds.Clean(e.Body))
		}))
		fmt.Printf("dev (%d articles), oracle:  %v\n", len(exs), feeds.EvaluateSummaries(exs, feeds.OracleSummary))
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
	fmt.Printf("wrote %s\n", out)
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
