package feeds

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsbot-vn/newsbot/storage"
)

func TestSummarizer(t *testing.T) {
	// An article whose first sentence is its lead, whose third says the
	// same again, whose fourth is off topic and whose fifth is central.
	article := strings.Join([]string{
		"Sáng 5/7, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị giao ban công tác khoa giáo 6 tháng đầu năm.",
		"Trời hôm ấy nắng đẹp.",
		"Sáng 5/7, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị giao ban công tác khoa giáo 6 tháng đầu năm nay.",
		"Nhiều người đi xe máy đến dự, bãi xe chật kín từ sớm, bảo vệ phải hướng dẫn.",
		"Hội nghị đề ra nhiệm vụ công tác khoa giáo 6 tháng cuối năm cho các ngành.",
		"Buổi chiều có mưa rào nhẹ ở vài nơi trong thành phố và vùng lân cận.",
	}, "\n")
	long := "Một câu rất dài " + strings.Repeat("không có điểm dừng ", 30) + "mới hết."
	tests := []struct {
		name  string
		s     Summarizer
		title string
		text  string
		want  string
	}{
		{
			name: "text within the budget is kept whole",
			text: "Câu một. Câu hai ngắn.", want: "Câu một. Câu hai ngắn.",
		},
		{
			name: "a sentence that repeats the title is dropped", title: "Hà Nội mưa to",
			text: "Hà Nội mưa to. Nhiều tuyến phố ngập sâu.", want: "Nhiều tuyến phố ngập sâu.",
		},
		{
			name: "a title-like sentence that says more is kept", title: "Hà Nội mưa to",
			text: "Chiều 22/8, Hà Nội mưa to khiến nhiều tuyến phố ngập sâu.", want: "Chiều 22/8, Hà Nội mưa to khiến nhiều tuyến phố ngập sâu.",
		},
		{
			name: "lead first, then the central sentence, in article order, no repeat, no filler",
			s:    Summarizer{MaxChars: 200}, title: "Hội nghị giao ban công tác khoa giáo",
			text: article,
			want: "Sáng 5/7, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị giao ban công tác khoa giáo 6 tháng đầu năm. Hội nghị đề ra nhiệm vụ công tác khoa giáo 6 tháng cuối năm cho các ngành.",
		},
		{
			name: "one sentence at most",
			s:    Summarizer{MaxSentences: 1}, title: "Hội nghị giao ban công tác khoa giáo",
			text: article,
			want: "Sáng 5/7, Ban Tuyên giáo Tỉnh ủy tổ chức hội nghị giao ban công tác khoa giáo 6 tháng đầu năm.",
		},
		{
			name: "a sentence over the budget gives way to one that fits",
			s:    Summarizer{MaxChars: 100},
			text: long + "\nCâu ngắn hơn nhưng vẫn đủ nghĩa để đọc.\nMột câu khác cũng khá ngắn.\n" + long,
			want: "Câu ngắn hơn nhưng vẫn đủ nghĩa để đọc. Một câu khác cũng khá ngắn.",
		},
		{
			name: "when nothing fits, the first sentence is cut at a word",
			s:    Summarizer{MaxChars: 40},
			text: long + "\n" + long,
			want: "Một câu rất dài không có điểm dừng…",
		},
		{
			name: "too short to say anything is not chosen while something else fits",
			s:    Summarizer{MaxChars: 60},
			text: "Hết.\nNhiều tuyến phố ở Hà Nội ngập sâu sau mưa.\nHết.\n" + long,
			want: "Nhiều tuyến phố ở Hà Nội ngập sâu sau mưa.",
		},
		{name: "nothing", text: "", want: ""},
		{name: "only the title", title: "Hà Nội mưa to", text: "Hà Nội mưa to.", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.Summarize(tt.title, tt.text)
			if got != tt.want {
				t.Errorf("Summarize =\n%q\nwant\n%q", got, tt.want)
			}
			maxChars, _ := tt.s.budget()
			if n := utf8.RuneCountInString(got); n > maxChars {
				t.Errorf("%d characters > %d", n, maxChars)
			}
		})
	}
}

// On every article of the dev split and every budget, the summary keeps the
// rules: within the budget, whole sentences of the text in its order, never
// the title again.
func TestSummarizerRules(t *testing.T) {
	arts := loadEval(t, "vi-summaries-dev.jsonl")
	budgets := []Summarizer{{}, {MaxChars: 200, MaxSentences: 2}, {MaxChars: 120, MaxSentences: 1}, {MaxChars: 600, MaxSentences: 5}}
	for _, a := range arts {
		text := Clean(a.Body)
		sents := SplitSentences(text)
		for _, s := range budgets {
			maxChars, maxSentences := s.budget()
			chosen := s.sentences(a.Title, text, defaultTuning)
			got := s.Summarize(a.Title, text)
			if n := utf8.RuneCountInString(got); n > maxChars || len(chosen) > maxSentences || len(chosen) == 0 {
				t.Errorf("%s %+v: %d characters, %d sentences: %q", a.ID, s, n, len(chosen), got)
				continue
			}
			next := 0
			for _, c := range chosen {
				if strings.HasSuffix(c, "…") && len(chosen) == 1 {
					if cut := strings.TrimSuffix(c, "…"); !strings.HasPrefix(sents[0], cut) || !strings.HasPrefix(sents[0][len(cut):], " ") {
						t.Errorf("%s %+v: cut inside a word: %q", a.ID, s, c)
					}
					continue
				}
				i := next
				for i < len(sents) && sents[i] != c {
					i++
				}
				if i == len(sents) {
					t.Errorf("%s %+v: %q is not a sentence of the text after the previous one", a.ID, s, c)
					break
				}
				next = i + 1
				if repeatsTitle(storage.Words(storage.Fold(c)), storage.Words(storage.Fold(a.Title))) {
					t.Errorf("%s: %q repeats the title %q", a.ID, c, a.Title)
				}
			}
		}
	}
}

// The Poller summarises with its configured budget.
func TestPollerSummaryBudget(t *testing.T) {
	const desc = "Sáng 5/7, tỉnh tổ chức hội nghị giao ban công tác khoa giáo. Hội nghị đề ra nhiệm vụ cho 6 tháng cuối năm. Các ngành nêu nhiều ý kiến."
	tests := []struct {
		name             string
		chars, sentences int
		want             string
	}{
		{"defaults: the whole description fits", 0, 0, desc},
		{"one sentence", 0, 1, "Sáng 5/7, tỉnh tổ chức hội nghị giao ban công tác khoa giáo."},
		{"eighty characters", 80, 0, "Sáng 5/7, tỉnh tổ chức hội nghị giao ban công tác khoa giáo."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFeedServer(t)
			srv.set("/rss", titleOnlyRSS(time.Now(), "Hội nghị|<description>"+desc+"</description>"))
			p := newPoller(newStore(t), time.Time{})
			p.SummaryChars, p.SummarySentences = tt.chars, tt.sentences
			parsed, _, err := p.Probe(context.Background(), srv.URL+"/rss")
			if err != nil {
				t.Fatal(err)
			}
			if got := parsed.Items[0].Summary; got != tt.want {
				t.Errorf("summary = %q, want %q", got, tt.want)
			}
		})
	}
}
