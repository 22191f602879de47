package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/newsbot-vn/newsbot/feeds"
)

// writeSet writes n synthetic articles whose lead is the sentence that
// reports speech.
func writeSet(t *testing.T, path string, n int) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		key := fmt.Sprintf("Ông Trần Văn Nam cho biết công trình số %d ở Huế sẽ hoàn thành vào tháng %d tới.", i, i%12+1)
		sents := []string{
			"Người dân đi lại đông đúc trên các tuyến phố chính vào dịp cuối tuần vừa qua.",
			"Thời tiết những ngày này khá dễ chịu với nắng nhẹ vào buổi sáng và mưa rào buổi chiều.",
			"Nhiều cửa hàng dọc hai bên đường treo biển giảm giá để thu hút khách hàng đến mua sắm.",
			"Các em học sinh tan trường lúc bốn giờ chiều, phụ huynh đứng chờ kín cổng trường.",
			"Một số tuyến xe buýt được điều chỉnh lộ trình để tránh các điểm đang thi công.",
			"Những hàng cây xanh ven hồ vừa được cắt tỉa gọn gàng trước mùa mưa bão năm nay.",
		}
		at := i % len(sents)
		sents = append(sents[:at], append([]string{key}, sents[at:]...)...)
		line, err := json.Marshal(map[string]string{
			"id": fmt.Sprint(i), "title": fmt.Sprintf("Công trình số %d ở Huế sắp hoàn thành", i),
			"body": strings.Join(sents, "\n"), "summary": key,
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(append(line, '\n'))
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// The command trains, reports on dev and writes weights the summarizer
// loads; bad input is an error, not a file.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	train, dev, out := filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "dev.jsonl"), filepath.Join(dir, "w.json")
	writeSet(t, train, 40)
	writeSet(t, dev, 10)
	if err := run(io.Discard, train, dev, out, "", 0, feeds.TrainOptions{}, 0, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := feeds.ParseSentenceModel(b); err != nil {
		t.Errorf("the written weights do not load: %v", err)
	}

	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(bad, []byte("{not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.json")
	if err := run(io.Discard, bad, "", other, "", 0, feeds.TrainOptions{}, 0, nil); err == nil {
		t.Error("training on a broken file succeeded")
	}
	if err := run(io.Discard, filepath.Join(dir, "absent.jsonl"), "", other, "", 0, feeds.TrainOptions{}, 0, nil); err == nil {
		t.Error("training on a missing file succeeded")
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a failed training wrote weights")
	}
}

// -holdout keeps the last articles out of training and reports ROUGE on
// them; holding out every article is an error, not a model of nothing.
func TestRunHoldout(t *testing.T) {
	dir := t.TempDir()
	train, out := filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "w.json")
	writeSet(t, train, 40)
	var report strings.Builder
	off := feeds.TrainOptions{Lexical: feeds.LexicalOptions{Bits: -1}}
	if err := run(&report, train, "", out, "", 10, feeds.TrainOptions{}, 0, &off); err != nil {
		t.Fatal(err)
	}
	got := report.String()
	if !strings.Contains(got, "of 30 articles") {
		t.Errorf("trained on other than the first 30 articles:\n%s", got)
	}
	if !strings.Contains(got, "held out (10 training articles), learned: ROUGE-1 ") {
		t.Errorf("no ROUGE on the 10 held-out articles:\n%s", got)
	}
	if !strings.Contains(got, "held out, learned minus baseline, per article: ROUGE-1 ") {
		t.Errorf("no comparison with the baseline options:\n%s", got)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := feeds.ParseSentenceModel(b); err != nil {
		t.Errorf("the written weights do not load: %v", err)
	}
	other := filepath.Join(dir, "other.json")
	if err := run(io.Discard, train, "", other, "", 40, feeds.TrainOptions{}, 0, nil); err == nil || !strings.Contains(err.Error(), "holdout 40") {
		t.Errorf("holding out all 40 articles: err = %v, want one naming the holdout", err)
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a failed training wrote weights")
	}
}
