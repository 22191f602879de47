package feeds

import (
	"context"
	"os"
	"path/filepath"
	"slices"
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
				// One sentence, or a quotation the source broke over up
				// to maxQuotationSentences (quotationSpans).
				i, j := next, 0
				for ; i < len(sents); i++ {
					for j = i + 1; j <= min(len(sents), i+maxQuotationSentences); j++ {
						if strings.Join(sents[i:j], " ") == c {
							break
						}
					}
					if j <= min(len(sents), i+maxQuotationSentences) {
						break
					}
				}
				if i == len(sents) {
					t.Errorf("%s %+v: %q is not a sentence of the text after the previous one", a.ID, s, c)
					break
				}
				next = j
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

// Fragments seen in real alerts (issue 13), each from a real-shaped text.
func TestSummarizerFragments(t *testing.T) {
	const (
		filler1 = "Theo kế hoạch, liên hoan phim năm nay sẽ có nhiều hạng mục mới, trong đó có giải dành cho phim ngắn của các đạo diễn trẻ lần đầu ra mắt khán giả."
		filler2 = "Ban tổ chức cho biết số phim đăng ký tham dự tăng gần gấp đôi so với kỳ trước, đến từ nhiều hãng phim nhà nước và tư nhân trên cả nước."
		filler3 = "Các suất chiếu phục vụ khán giả được tổ chức miễn phí tại nhiều rạp ở Hà Nội và TP.HCM trong suốt một tuần diễn ra liên hoan."
	)
	tests := []struct {
		name, title, text string
		s                 Summarizer
		want              []string // the summary holds each
		not               []string // and none of these
	}{
		{
			name:  "a subheading is not glued onto the next sentence",
			title: "Liên hoan phim Việt Nam lần thứ 24 khai mạc tại Hà Nội",
			text: "Tối 20/11, Liên hoan phim Việt Nam lần thứ 24 chính thức khai mạc với sự tham gia của hơn 100 bộ phim.\n" +
				"Sự khởi xướng nâng tầm Liên hoan phim Việt Nam\n" +
				"Đạo diễn Hoàng Nhật Nam quan niệm rằng liên hoan phim phải là nơi các nhà làm phim trẻ được khẳng định mình.\n" +
				filler1 + "\n" + filler2,
			s:    Summarizer{MaxChars: 400, MaxSentences: 3},
			want: []string{"Tối 20/11"},
			not:  []string{"Sự khởi xướng", "Việt Nam Đạo diễn"},
		},
		{
			name:  "a short text keeps its sentences, less its subheading",
			title: "Liên hoan phim",
			text:  "Sự khởi xướng nâng tầm\nĐạo diễn Hoàng Nhật Nam quan niệm rằng liên hoan phim là nơi để học hỏi.",
			want:  []string{"Đạo diễn Hoàng Nhật Nam"},
			not:   []string{"Sự khởi xướng"},
		},
		{
			name:  "no summary ends on an initial",
			title: "Lừa đảo qua điện thoại, một phụ nữ mất 2 tỷ đồng",
			text: "Công an TP.HCM vừa tiếp nhận đơn trình báo của chị T.B. (35 tuổi, ngụ phường Bến Nghé (Q. 1)) về việc bị lừa 2 tỷ đồng qua điện thoại.\n" +
				"Theo lời chị T.B. Hải, kẻ gian giả danh cán bộ công an (Q. Bình Thạnh) yêu cầu chuyển tiền để xác minh.\n" + filler3,
			s:    Summarizer{MaxChars: 200, MaxSentences: 2},
			want: []string{"Công an TP.HCM", "(35 tuổi, ngụ phường Bến Nghé (Q. 1)) về việc bị lừa 2 tỷ đồng qua điện thoại."},
		},
		{
			name:  "a connective is never without the sentence before it",
			title: "Giá xăng giảm mạnh từ chiều nay",
			text: "Chiều 5/7, liên Bộ Công Thương - Tài chính điều chỉnh giá xăng dầu theo kỳ điều hành mới.\n" +
				"Giá xăng RON95 giảm 1.200 đồng mỗi lít, xuống còn 21.500 đồng, mức thấp nhất trong năm nay.\n" +
				"Nhiều doanh nghiệp vận tải cho biết sẽ xem xét giảm giá cước trong thời gian tới.\n" +
				"Tuy nhiên, giá xăng RON95 vẫn cao hơn cùng kỳ năm ngoái khoảng 2.000 đồng mỗi lít.\n" +
				filler2 + "\n" + filler3,
			s:   Summarizer{MaxChars: 400, MaxSentences: 3},
			not: []string{"cho biết sẽ xem xét giảm giá cước trong thời gian tới. Tuy nhiên"},
		},
		{
			name:  "a connective whose antecedent does not fit is dropped",
			title: "Giá xăng giảm nhưng vẫn cao hơn cùng kỳ năm ngoái",
			text: "Chiều 5/7, liên Bộ Công Thương - Tài chính điều chỉnh giá xăng dầu theo kỳ điều hành mới.\n" +
				filler2 + "\n" +
				"Nhiều doanh nghiệp vận tải lớn ở Hà Nội, TP.HCM và Đà Nẵng cho biết sẽ xem xét giảm giá cước cho hành khách và hàng hóa trong thời gian tới, sau nhiều tháng giữ nguyên.\n" +
				"Tuy nhiên, giá xăng vẫn cao hơn cùng kỳ năm ngoái khoảng 2.000 đồng mỗi lít.\n" + filler3,
			s:    Summarizer{MaxChars: 200, MaxSentences: 2},
			want: []string{"Chiều 5/7"},
			not:  []string{"Tuy nhiên"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.s
			chosen := s.sentences(tt.title, tt.text, defaultTuning)
			got := strings.Join(chosen, " ")
			t.Logf("summary: %q", got)
			checkHolds(t, got, tt.want, tt.not)
			all := SplitSentences(tt.text)
			for _, c := range chosen {
				if strings.HasSuffix(c, "T.B.") || strings.HasSuffix(c, "(Q.") {
					t.Errorf("a sentence ends on an initial: %q", c)
				}
				if opensWithConnective(c) {
					i := slices.Index(all, c)
					if i <= 0 || !slices.Contains(chosen, all[i-1]) {
						t.Errorf("%q is chosen without the sentence before it: %q", c, got)
					}
				}
			}
		})
	}
}

func TestOpensWithConnective(t *testing.T) {
	for s, want := range map[string]bool{
		"Tuy nhiên, giá vẫn cao.": true, "Vì thế, người dân lo lắng.": true, "Do đó cần theo dõi.": true,
		"Ngoài ra, bộ còn yêu cầu…": true, "Nhưng ông không đến.": true, "“Tuy nhiên, đó là chuyện khác”, ông nói.": true,
		"Những người dân địa phương cho biết.": false, "Nhưngười": false, "Do đói nên bỏ học.": false,
		"Ngoài rạp chiếu, khán giả đông.": false, "Sáng 5/7, tỉnh họp.": false,
	} {
		if got := opensWithConnective(s); got != want {
			t.Errorf("opensWithConnective(%q) = %v, want %v", s, got, want)
		}
	}
}

// BenchmarkSummarize measures the Summarizer on real articles: the dev and
// test splits of the evaluation set when ../shared is present, else the
// seed article in testdata. One op is one article; articles/s is what
// issue 13 asks of one core (-cpu 1: go test ./feeds -run '^$' -bench
// Summarize -cpu 1); articles/cpu-s counts this process's CPU time instead
// of the wall clock, for a machine shared with other work.
func BenchmarkSummarize(b *testing.B) {
	var arts []struct{ title, text string }
	for _, split := range []string{"dev", "test"} {
		if _, err := os.Stat(filepath.Join(evalDir, "vi-summaries-"+split+".jsonl")); err != nil {
			break
		}
		for _, a := range loadEval(b, "vi-summaries-"+split+".jsonl") {
			arts = append(arts, struct{ title, text string }{a.Title, Clean(a.Body)})
		}
	}
	if len(arts) == 0 {
		arts = benchFixture(b)
	}
	var s Summarizer
	b.ReportAllocs()
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		a := arts[i%len(arts)]
		s.Summarize(a.title, a.text)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "articles/s")
	if cpu1 := cpuTime(); cpu1 > cpu0 {
		// Per second of this process's CPU (GC included): what one core
		// does, however busy the machine is with others' work.
		b.ReportMetric(float64(b.N)/(cpu1-cpu0).Seconds(), "articles/cpu-s")
	}
}

// benchFixture is the seed article (testdata/seed), for a clone without
// the evaluation set.
func benchFixture(b *testing.B) []struct{ title, text string } {
	b.Helper()
	raw, err := os.ReadFile("testdata/seed/baolaocai-khoa-giao.txt")
	if err != nil {
		b.Fatalf("read the seed article: %v", err)
	}
	return []struct{ title, text string }{{
		"Ban Tuyên giáo Tỉnh ủy định hướng nhiệm vụ công tác khoa giáo 6 tháng cuối năm 2022",
		Clean(string(raw)),
	}}
}

// A sentence that opens in lower case is the tail of one broken too early
// (VietNews has "… gia đình bà V." | "tố cáo ông A…"): even when it scores
// best it comes with the sentence before it, or not at all.
func TestSummarizerLowerCaseTail(t *testing.T) {
	const (
		head  = "Ngày 28/5, gia đình cháu bé 13 tuổi ở xã Chiềng Khoang đã làm đơn gửi cơ quan công an huyện Quỳnh Nhai, tỉnh Sơn La."
		tail  = "tố cáo ông Mùa A Chơ \"hiếp dâm\" bệnh nhân trong khi chụp X-quang tại bệnh viện."
		other = "Cơ quan điều tra đã khởi tố vụ án, khởi tố bị can đối với ông Mùa A Chơ, sinh năm 1991, về tội hiếp dâm người dưới 16 tuổi."
	)
	fillers := []string{
		"Theo hồ sơ, ông Chơ là kỹ thuật viên của khoa chẩn đoán hình ảnh, làm việc tại bệnh viện từ nhiều năm nay.",
		"Bệnh viện đã tạm đình chỉ công tác đối với kỹ thuật viên này để phục vụ công tác điều tra của cơ quan chức năng.",
		"Sở Y tế tỉnh Sơn La yêu cầu các bệnh viện rà soát quy trình chụp chiếu đối với bệnh nhân là trẻ em.",
		"Vụ việc đang được cơ quan chức năng tiếp tục điều tra, làm rõ để xử lý theo quy định của pháp luật.",
	}
	text := strings.Join(append([]string{other, head, tail}, fillers...), "\n")
	title := "Kỹ thuật viên bị khởi tố tội hiếp dâm bé 13 tuổi"
	if !opensInLowerCase(tail) || opensInLowerCase(head) || opensInLowerCase("iPhone 15 ra mắt tại Việt Nam.") {
		t.Fatal("opensInLowerCase does not tell a tail from a sentence")
	}
	tests := []struct {
		name string
		s    Summarizer
		want []string
		not  []string
	}{
		{"taken with the sentence before it", Summarizer{MaxChars: 400, MaxSentences: 3, Model: modelFavouring(t, "quote")},
			[]string{head + " " + tail}, nil},
		{"dropped when the two do not fit", Summarizer{MaxChars: 160, MaxSentences: 2, Model: modelFavouring(t, "quote")},
			nil, []string{"tố cáo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.s.Summarize(title, text)
			t.Logf("summary: %q", got)
			if got == "" {
				t.Fatal("empty summary")
			}
			checkHolds(t, got, tt.want, tt.not)
		})
	}
}

// checkHolds fails the test unless the summary holds each of want and none
// of not.
func checkHolds(t *testing.T, summary string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(summary, w) {
			t.Errorf("summary %q lacks %q", summary, w)
		}
	}
	for _, w := range not {
		if strings.Contains(summary, w) {
			t.Errorf("summary %q has %q", summary, w)
		}
	}
}
