package feeds

import (
	"strings"
	"testing"
)

// A dateline in capitals opens some outlets' leads as a byline does: an
// editor drops it, and an alert that opens with it reads as a fragment.
// Places in ordinary case and words such as COVID-19 are text and stay.
func TestCleanDateline(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"Hà Nội, em dash", "<p>HÀ NỘI — Sáng 12/3, Bộ Y tế công bố thêm 20 ca mắc mới tại ba tỉnh phía Bắc.</p>",
			"Sáng 12/3, Bộ Y tế công bố thêm 20 ca mắc mới tại ba tỉnh phía Bắc."},
		{"Đà Nẵng, en dash", "ĐÀ NẴNG – Sáng nay, thành phố khai mạc lễ hội pháo hoa quốc tế.",
			"Sáng nay, thành phố khai mạc lễ hội pháo hoa quốc tế."},
		{"four words with a stop", "TP. HỒ CHÍ MINH - Chiều 5/7, mưa lớn khiến nhiều tuyến đường ngập sâu.",
			"Chiều 5/7, mưa lớn khiến nhiều tuyến đường ngập sâu."},
		{"after a title line", "<h1>Mưa lớn ở Đà Nẵng</h1><p>ĐÀ NẴNG – Sáng nay, mưa lớn gây ngập nhiều tuyến phố.</p>",
			"Mưa lớn ở Đà Nẵng\nSáng nay, mưa lớn gây ngập nhiều tuyến phố."},
		{"place in ordinary case stays", "Việt Nam – Hàn Quốc ký hiệp định hợp tác mới về lao động.",
			"Việt Nam – Hàn Quốc ký hiệp định hợp tác mới về lao động."},
		{"COVID-19 stays", "COVID-19 tiếp tục lan rộng tại nhiều tỉnh thành.",
			"COVID-19 tiếp tục lan rộng tại nhiều tỉnh thành."},
		{"capitals inside the lead stay", "Sáng 12/3, đoàn công tác đến HÀ NỘI - thủ đô của cả nước.",
			"Sáng 12/3, đoàn công tác đến HÀ NỘI - thủ đô của cả nước."},
		{"a dateline with nothing after stays", "HÀ NỘI —", "HÀ NỘI —"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// Through the summarizer, as an alert is made: the dateline is not in it.
func TestSummaryWithoutDateline(t *testing.T) {
	page := `<h1>Bộ Y tế công bố thêm 20 ca mắc mới</h1>` +
		`<p>HÀ NỘI — Sáng 12/3, Bộ Y tế công bố thêm 20 ca mắc mới tại ba tỉnh phía Bắc, nâng tổng số ca trong tuần lên 85.</p>` +
		`<p>Các ca mắc mới đều đã được cách ly và điều trị tại bệnh viện tuyến tỉnh, sức khỏe ổn định.</p>` +
		`<p>Ngành y tế khuyến cáo người dân đeo khẩu trang nơi đông người và rửa tay thường xuyên.</p>`
	got := Summarizer{MaxChars: 200}.Summarize("Bộ Y tế công bố thêm 20 ca mắc mới", Clean(page))
	if !strings.HasPrefix(got, "Sáng 12/3, Bộ Y tế") || strings.Contains(got, "HÀ NỘI") {
		t.Errorf("summary = %q, want it to open with the lead, without the dateline", got)
	}
}
