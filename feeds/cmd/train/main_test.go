package main

import (
	"encoding/json"
	"fmt"
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
	if err := run(train, dev, out, feeds.TrainOptions{}); err != nil {
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
	if err := run(bad, "", other, feeds.TrainOptions{}); err == nil {
		t.Error("training on a broken file succeeded")
	}
	if err := run(filepath.Join(dir, "absent.jsonl"), "", other, feeds.TrainOptions{}); err == nil {
		t.Error("training on a missing file succeeded")
	}
	if _, err := os.Stat(other); err == nil {
		t.Error("a failed training wrote weights")
	}
}
