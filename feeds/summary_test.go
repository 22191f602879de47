package feeds

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"golang.org/x/text/unicode/norm"
)

// samplesDir holds real-shaped feed samples (copies of ../shared/feeds, so a clone tests alone).
const samplesDir = "testdata/feeds"

var sampleFiles = []string{
	"vnexpress-tin-moi-nhat.xml", "tuoitre-tin-moi-nhat.xml", "thanhnien-home.xml",
	"nhandan-home.xml", "sggp-home.xml", "baochinhphu-home.xml", "cafef-home.xml",
	"bbc-vietnamese.xml",
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Fatalf("read sample: %v", err)
	}
	return b
}

// sampleDescription returns the raw description HTML of the sample item
// whose link contains linkPart, as gofeed gives it.
func sampleDescription(t *testing.T, file, linkPart string) string {
	t.Helper()
	feed, err := gofeed.NewParser().Parse(bytes.NewReader(readSample(t, file)))
	if err != nil {
		t.Fatalf("gofeed %s: %v", file, err)
	}
	for _, it := range feed.Items {
		if strings.Contains(it.Link, linkPart) {
			return it.Description
		}
	}
	t.Fatalf("%s: no item with link containing %q", file, linkPart)
	return ""
}

func TestSummarizeSamples(t *testing.T) {
	tests := []struct {
		name, file, link, want string
	}{
		{
			name: "VnExpress image link and </br>",
			file: "vnexpress-tin-moi-nhat.xml", link: "3618863",
			want: "Từ ngày 17-23/7, Hà Nội ghi nhận 1.400 ca sốt xuất huyết, hai người tử vong do kèm bệnh lý tiểu đường, tăng huyết áp.",
		},
		{
			name: "Nhân Dân related-links list dropped",
			file: "nhandan-home.xml", link: "post983209",
			want: "Nhiều địa phương ở tỉnh Lâm Đồng đang đẩy mạnh phong trào Toàn dân bảo vệ an ninh Tổ quốc, phát huy vai trò của tổ dân phố và người dân trong phòng ngừa, tố giác tội phạm, qua đó phối hợp giữ gìn an ninh, trật tự từ cơ sở.",
		},
		{
			name: "SGGP inline link kept, NBSP normalised, related list dropped",
			file: "sggp-home.xml", link: "post866133",
			want: "Ngày 8-8, Liên hoan Lân Sư Rồng quốc tế tại Gia Lai bước vào ngày thi đấu chính thức, với những màn tranh tài sôi động, kịch tính và cuốn hút.",
		},
		{
			name: "Báo Chính phủ outlet prefix removed",
			file: "baochinhphu-home.xml", link: "102260822230251531",
			want: "Ngày 22/8, trên sân Rajamangala, Đội tuyển Việt Nam chiến thắng Đội tuyển Thái Lan với tỷ số 2-0 ở trận chung kết lượt đi ASEAN Cup 2026, nhờ pha lập công của Hai Long và Quang Hải.",
		},
		{
			name: "Thanh Niên image link then text",
			file: "thanhnien-home.xml", link: "185260822175042583",
			want: "Video ngắn trên các mạng xã hội bùng nổ trong những năm gần đây bởi chính sự thúc đẩy từ các nền tảng mạng xã hội.",
		},
		{
			name: "two sentences that fit are both kept",
			file: "cafef-home.xml", link: "188260822223558888",
			want: "Lê Giang Patrik lại là một trong những người hùng quan trọng nhất giúp ĐT Việt Nam đánh bại Thái Lan 2-0 ngay tại Rajamangala. Thủ thành Việt kiều liên tục có những pha cứu thua xuất sắc và được trao danh hiệu Cầu thủ xuất sắc nhất trận.",
		},
		{
			name: "first sentence too long: cut at a word with an ellipsis",
			file: "sggp-home.xml", link: "post866126",
			want: "Bản tin tối 8-8 trên Báo Sài Gòn Giải Phóng có các thông tin đáng chú ý sau: Gắn kết an toàn dầu khí với an ninh quốc gia; Vĩnh Long: Tiếp nhận 19 thông tin về khu vực nghi có mộ tập thể bộ đội hy sinh; Gia Lai: Phát hiện nhiều tấm ảnh trong chiếc ví được tìm thấy ở phần mộ liệt sĩ; Dự án thoát…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(sampleDescription(t, tt.file, tt.link), 300)
			if got != tt.want {
				t.Errorf("Summarize =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// Every sample description gives a clean summary within the limit.
func TestSummarizeAllSamplesWithinLimits(t *testing.T) {
	for _, file := range sampleFiles {
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(readSample(t, file)))
		if err != nil {
			t.Fatalf("gofeed %s: %v", file, err)
		}
		for _, it := range feed.Items {
			for _, limit := range []int{300, 120} {
				s := Summarize(it.Description, limit)
				switch {
				case s == "":
					t.Errorf("%s %s: empty summary", file, it.Link)
				case utf8.RuneCountInString(s) > limit:
					t.Errorf("%s %s: %d characters > %d: %q", file, it.Link, utf8.RuneCountInString(s), limit, s)
				case strings.ContainsAny(s, "<>\u00a0\u200b\n"):
					t.Errorf("%s %s: markup or odd spaces left: %q", file, it.Link, s)
				case strings.Contains(s, "  "):
					t.Errorf("%s %s: double space: %q", file, it.Link, s)
				case !norm.NFC.IsNormalString(s):
					t.Errorf("%s %s: not NFC: %q", file, it.Link, s)
				case strings.HasPrefix(s, "(Chinhphu.vn)"):
					t.Errorf("%s %s: outlet prefix kept: %q", file, it.Link, s)
				}
				full := Summarize(it.Description, 0)
				if s != full && !strings.HasPrefix(full, strings.TrimSuffix(s, "…")) {
					t.Errorf("%s %s: summary is not a prefix of the text:\n%q\n%q", file, it.Link, s, full)
				}
				// A cut summary ends a sentence or with an ellipsis after a whole word.
				if s != full {
					rest := strings.TrimPrefix(full, strings.TrimSuffix(s, "…"))
					if strings.HasSuffix(s, "…") && rest != "" && !strings.HasPrefix(rest, " ") &&
						!strings.ContainsAny(rest[:1], ",;:") {
						t.Errorf("%s %s: cut inside a word: %q | %q", file, it.Link, s, rest)
					}
				}
			}
		}
	}
}

func TestSummarize(t *testing.T) {
	long := strings.Repeat("Giá vàng tăng mạnh ", 30) // 570 characters, no sentence end
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"empty", "", 300, ""},
		{"only an image", `<a href="/x"><img src="/a.jpg"></a>`, 300, ""},
		{"plain text unchanged", "Hà Nội mưa to.", 300, "Hà Nội mưa to."},
		{"entities decoded", "Tom &amp; Jerry &lt;3 &quot;phim&quot; &#7871;", 300, `Tom & Jerry <3 "phim" ế`},
		{"markup in a description is text, not tags", "<b>Đậm</b> và <i>nghiêng</i> <script>alert(1)</script><style>p{}</style>", 300, "Đậm và nghiêng"},
		{"escaped markup stays visible text", "Thẻ &lt;b&gt; không phải HTML", 300, "Thẻ <b> không phải HTML"},
		{"blocks separated", "<p>Câu một</p><p>Câu hai.</p>", 300, "Câu một Câu hai."},
		{"br separates", "Dòng một<br>Dòng hai", 300, "Dòng một Dòng hai"},
		{"figure and caption dropped", `<figure><img src="a.jpg"><figcaption>Ảnh: TTXVN</figcaption></figure><p>Nội dung chính.</p>`, 300, "Nội dung chính."},
		{"list of links dropped", `<p>Tin chính.</p><ul><li><a href="/1">Tin liên quan 1</a></li><li><a href="/2">Tin 2</a></li></ul>`, 300, "Tin chính."},
		{"list with prose kept", `<p>Ba điểm:</p><ul><li>Một</li><li>Hai</li></ul>`, 300, "Ba điểm: Một Hai"},
		{"clear both block dropped", `<p>Tin chính.</p><div style="clear:both"><p>Xem thêm</p></div>`, 300, "Tin chính."},
		{"NBSP, narrow NBSP and zero-width space", "Ngày\u00a08-8,\u202fbão\u200b số 4.", 300, "Ngày 8-8, bão số 4."},
		{"NFC", "Vie\u0323\u0302t Nam", 300, "Việt Nam"},
		{"LCĐT prefix", "LCĐT - Sáng 22/8, tỉnh Lào Cai tổ chức hội nghị.", 300, "Sáng 22/8, tỉnh Lào Cai tổ chức hội nghị."},
		{"LCĐT prefix, two spaces", "LCĐT -  Sáng nay mưa.", 300, "Sáng nay mưa."},
		{"Dân trí prefix", "(Dân trí) - Bộ Y tế vừa công bố.", 300, "Bộ Y tế vừa công bố."},
		{"VOV prefix", "VOV.VN - Chiều 22/8, Quốc hội họp.", 300, "Chiều 22/8, Quốc hội họp."},
		{"doubled prefix (Báo Chính phủ sample)", "(Chinhphu.vn) - (Chinhphu.vn) - Số ca bệnh tăng.", 300, "Số ca bệnh tăng."},
		{"PLO prefix without spaces", "(PLO)-Tòa tuyên án.", 300, "Tòa tuyên án."},
		{"TTO prefix", "TTO - Sáng 23-8, trời nắng.", 300, "Sáng 23-8, trời nắng."},
		{"NLĐO prefix with en dash", "(NLĐO) – Giá xăng giảm.", 300, "Giá xăng giảm."},
		{"hyphenated word at the start kept", "COVID-19 lan rộng.", 300, "COVID-19 lan rộng."},
		{"prefix only inside the text kept", "Ông nói TTO - không rõ.", 300, "Ông nói TTO - không rõ."},
		{
			"cut after the last sentence that fits",
			"Câu thứ nhất ngắn. Câu thứ hai cũng ngắn! Câu thứ ba thì dài hơn nhiều lắm.", 45,
			"Câu thứ nhất ngắn. Câu thứ hai cũng ngắn!",
		},
		{
			"abbreviations are not sentence ends",
			"Tại TP. Hồ Chí Minh, PGS.TS. Nguyễn Văn A và ThS. Lê B. đến Q. 1. Sau đó họ về.", 70,
			"Tại TP. Hồ Chí Minh, PGS.TS. Nguyễn Văn A và ThS. Lê B. đến Q. 1.",
		},
		{
			"numbers are not sentence ends",
			"Có 1.400 ca, tăng 1,5 lần so với 6.000 ca. Kết thúc.", 45,
			"Có 1.400 ca, tăng 1,5 lần so với 6.000 ca.",
		},
		{
			"a sentence can end before a digit or a quote",
			"Năm nay tăng. 2026 sẽ khác. “Chúng tôi” nói thế.", 30,
			"Năm nay tăng. 2026 sẽ khác.",
		},
		{
			"lower case after a dot is not a sentence end",
			"Ông Kim... là người hùng. Hết.", 26,
			"Ông Kim... là người hùng.",
		},
		{"long first sentence cut at a word", long, 40, "Giá vàng tăng mạnh Giá vàng tăng mạnh…"},
		{"cut never splits a word", "Một hai ba bốnnnnnnn năm.", 15, "Một hai ba…"},
		{"trailing comma dropped before the ellipsis", "Một hai, ba bốn năm sáu bảy.", 10, "Một hai…"},
		{"no limit", long, 0, strings.TrimSpace(long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Summarize(%q, %d) =\n%q\nwant\n%q", tt.in, tt.max, got, tt.want)
			}
			if tt.max > 0 && utf8.RuneCountInString(got) > tt.max {
				t.Errorf("%d characters > %d", utf8.RuneCountInString(got), tt.max)
			}
		})
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Giá vàng", "Giá vàng"},
		{"  Giá\n  vàng  ", "Giá vàng"},
		{"<b>Nóng:</b> bão số 4", "Nóng: bão số 4"},
		{"Tom &amp; Jerry", "Tom & Jerry"},
		{"5 < 6 và 7 > 3", "5 < 6 và 7 > 3"},
		{`<img src=x onerror=alert(1)>Tin`, "Tin"},
		{"<script>alert(1)</script>Tin", "Tin"},
		{"Vie\u0323\u0302t", "Việt"},
	}
	for _, tt := range tests {
		if got := plainText(tt.in); got != tt.want {
			t.Errorf("plainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
