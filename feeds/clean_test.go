package feeds

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

// para is a paragraph long enough to count as article text around a caption.
const para = "Trong 6 tháng đầu năm, các sở, ngành đã tham mưu triển khai nhiều nhiệm vụ quan trọng, góp phần hoàn thành kế hoạch đề ra."

const para2 = "Tại hội nghị, đại diện các ngành đã nêu ý kiến về những vấn đề trong lĩnh vực quản lý, cùng một số giải pháp trong thời gian tới."

func TestClean(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// What is never text.
		{"scripts and styles", `<p>Tin<script>alert(1)</script><style>p{color:red}</style> chính.</p><noscript>Bật JavaScript</noscript>`, "Tin chính."},
		{"image-only link at the start (Thanh Niên)", `<a href="/a.htm"><img src="/a.jpg" alt="Ảnh"></a> Video ngắn bùng nổ.`, "Video ngắn bùng nổ."},
		{"image link then </br> (VnExpress)", `<a href=/x><img width=130 height=100 src="/a.jpg" ></a></br>Hà Nội ghi nhận 1.400 ca.`, "Hà Nội ghi nhận 1.400 ca."},
		{"hidden elements", `<p>Tin chính.</p><div style="display: none">Ẩn</div><span hidden>Ẩn</span><p aria-hidden="true">Ẩn</p>`, "Tin chính."},

		// Captions.
		{"figure and figcaption", `<p>` + para + `</p><figure><img src="a.jpg"><figcaption>Quảng cảnh hội nghị.</figcaption></figure><p>` + para2 + `</p>`, para + "\n" + para2},
		{"caption class (PhotoCMS_Caption)", `<p>` + para + `</p><div class="VCSortableInPreviewMode"><img src="a.jpg"><div class="PhotoCMS_Caption"><p>Đại biểu dự hội nghị. Ảnh: Minh Anh</p></div></div>`, para},
		{"caption table (VnExpress tplCaption)", `<table class="tplCaption"><tr><td><img src="a.jpg"></td></tr><tr><td><p class="Image">Bệnh nhân điều trị tại viện.</p></td></tr></table><p>` + para + `</p>`, para},
		{"p.Image caption", `<p class="Image">Bệnh nhân điều trị tại viện.</p><p>` + para + `</p>`, para},
		{"layout table of a photo and a line", `<table><tr><td><img src="a.jpg"></td></tr><tr><td>Đại biểu dự hội nghị.</td></tr></table><p>` + para + `</p>`, para},
		{"short italic line after an image", `<p><img src="a.jpg"></p><p><em>Đại biểu dự hội nghị.</em></p><p>` + para + `</p>`, para},
		{"short centred line before an image", `<p>` + para + `</p><p style="text-align: center;">Quang cảnh buổi lễ</p><p><img src="a.jpg"></p>`, para},
		{"italic line with its image", `<p><img src="a.jpg"><br><i>Ảnh minh họa</i></p><p>` + para + `</p>`, para},
		{"italic prose far from images is kept", `<p><em>` + para + `</em></p>`, para},
		{"short caption-like line between paragraphs", para + "\nQuảng cảnh hội nghị.\n" + para2, para + "\n" + para2},
		{"long caption-like line between paragraphs", `<p>` + para + `</p><p>Đại diện Sở Lao động - Thương binh và Xã hội phát biểu ý kiến.</p><p>` + para2 + `</p>`, para + "\n" + para2},
		{"short line that is a sentence of the text is kept", `<p>` + para + `</p><p>Vụ việc đang được điều tra, làm rõ.</p><p>` + para2 + `</p>`, para + "\nVụ việc đang được điều tra, làm rõ.\n" + para2},
		{"photo credit", `<p>` + para + `</p><p>Ảnh: TTXVN</p>`, para},

		// Credits and pointers (issue 13).
		{"Xem thêm >> after the text", `<p>` + para + ` Xem thêm &gt;&gt;</p><p>` + para2 + `</p>`, para + "\n" + para2},
		{"Xem thêm >> on its own line", para + "\nXem thêm >> Giá vàng hôm nay tăng mạnh\n" + para2, para + "\n" + para2},
		{"source line at the end", `<p>` + para + `</p><p>` + para2 + `</p><p>Theo VnExpress</p>`, para + "\n" + para2},
		{"source in brackets", `<p>` + para + ` (Nguồn: Bộ Y tế)</p>`, para},
		{"photo credit after the text", `<p>` + para + ` Vụ việc đang được điều tra. Ảnh: Minh Anh</p><p>` + para2 + `</p>`, para + " Vụ việc đang được điều tra.\n" + para2},
		{"a one-sentence paragraph with a photo credit is a caption", `<p>` + para + ` Ảnh: Minh Anh</p><p>` + para2 + `</p>`, para2},
		{"Tin, ảnh line", para + "\n" + para2 + "\nTin, ảnh: Thanh Hà", para + "\n" + para2},
		{"a sentence that starts with Theo is text", "Theo Bộ Y tế, số ca mắc tăng 20%.\nTheo đó, các tỉnh phải báo cáo.", "Theo Bộ Y tế, số ca mắc tăng 20%.\nTheo đó, các tỉnh phải báo cáo."},
		{"the word ảnh in a sentence is text", "Bức ảnh của anh đoạt giải nhất cuộc thi ảnh: tác giả nhận 10 triệu đồng.", "Bức ảnh của anh đoạt giải nhất cuộc thi ảnh: tác giả nhận 10 triệu đồng."},

		// Captions left in the body text (issue 13).
		{"caption with its credit as a line (VGP)", `<p>` + para + `</p><p>Thủ tướng phát biểu tại hội nghị, nhấn mạnh yêu cầu đổi mới. Ảnh: VGP/Nhật Bắc</p><p>` + para2 + `</p>`, para + "\n" + para2},
		{"caption with a bracketed credit", `<p>` + para + `</p><p>Đại biểu tham quan gian hàng tại hội chợ, sáng 5/7 (Ảnh: Minh Anh)</p><p>` + para2 + `</p>`, para + "\n" + para2},
		{"caption glued before the text", `<p>Quang cảnh hội nghị. Ảnh: TTXVN</p><p>` + para + `</p>`, para},

		// Related links.
		{"list of links (Nhân Dân)", `<p style="text-align: justify;">` + para + `</p><div style="clear: both;"><ul><li><a href="/1">Tin một</a></li><li><a href="/2">Tin hai</a></li></ul></div>`, para},
		{"bare list of links", `<p>` + para + `</p><ul><li><a href="/1">Tin một</a></li><li><a href="/2">Tin hai</a></li></ul>`, para},
		{"list with prose kept", `<p>Ba điểm:</p><ul><li>Một</li><li>Hai</li></ul>`, "Ba điểm:\nMột\nHai"},
		{"Tin liên quan box", `<p>` + para + `</p><div><h3>Tin liên quan</h3><p><a href="/1">Tỉnh ủy sơ kết 6 tháng</a></p><p><a href="/2">HĐND khai mạc kỳ họp</a></p></div>`, para},
		{"Xem thêm paragraph", `<p>` + para + `</p><p><strong>Xem thêm:</strong> <a href="/1">Giá vàng hôm nay</a></p>`, para},
		{"clear both block", `<p>Tin chính.</p><div style="clear:both"><p>Xem thêm</p></div>`, "Tin chính."},
		{"related class", `<p>` + para + `</p><section class="box-tin-lien-quan"><a href="/1">Tin một</a> <a href="/2">Tin hai</a></section>`, para},

		// Share and social widgets, navigation, footers.
		{"share buttons", `<div class="share"><a class="zalo-share-button" href="#">Zalo</a><a class="fb-share" href="#">Facebook</a></div><p>` + para + `</p>`, para},
		{"social widget by id", `<p>` + para + `</p><div id="social-buttons"><span>Chia sẻ</span> <span>Bình luận</span></div>`, para},
		{"share words as lines", "Zalo\n" + para + "\nChia sẻ", para},
		{"navigation, aside and footer", `<nav><a href="/">Trang chủ</a></nav><p>` + para + `</p><aside><h3>Video - Clips</h3></aside><footer><p>Báo Lào Cai - Cơ quan của Đảng bộ tỉnh Lào Cai. Hotline: 0986575708</p></footer>`, para},
		{"hotline line", "Hotline: 0986575708\n" + para, para},
		{"contact lines", para + "\nĐiện thoại: 024 3825 2931\nEmail: toasoan@example.vn\nGiấy phép số 123/GP-BTTTT", para},
		{"footer line with a hotline", para + "\nBáo Lào Cai - Cơ quan của Đảng bộ tỉnh Lào Cai. Hotline: 0986575708", para},
		{"date bar", "Thứ 7, 13/8/2022, 09:25 [UTC-0]\n" + para, para},
		{"sentences about hotlines and licences are text", "Hotline của Bộ Y tế đã nhận 1.000 cuộc gọi.\nGiấy phép lái xe của ông bị thu hồi.\nAnh: tôi không biết.", "Hotline của Bộ Y tế đã nhận 1.000 cuộc gọi.\nGiấy phép lái xe của ông bị thu hồi.\nAnh: tôi không biết."},
		{"sidebar headings", para + "\nVideo - Clips\nThời tiết Lào Cai\nLào Cai Dự báo thời tiết", para},
		{"a widget class on the article's wrapper does not take the article", `<div class="main has-sidebar"><p>` + para + `</p><p>` + para2 + `</p><p>` + para + `</p><p>` + para2 + `</p><p>` + para + `</p></div>`, strings.Repeat(para+"\n"+para2+"\n", 2) + para},

		// Outlet prefixes.
		{"LCĐT prefix", "LCĐT - Sáng 5/7, hội nghị khai mạc.", "Sáng 5/7, hội nghị khai mạc."},
		{"Dân trí prefix", "<p>(Dân trí) - Bộ Y tế vừa công bố.</p>", "Bộ Y tế vừa công bố."},
		{"VOV prefix", "VOV.VN - Chiều 22/8, Quốc hội họp.", "Chiều 22/8, Quốc hội họp."},
		{"Chinhphu prefix, doubled", "(Chinhphu.vn) - (Chinhphu.vn) - Số ca bệnh tăng.", "Số ca bệnh tăng."},
		{"prefix after a title line", "<h1>Hội nghị khoa giáo</h1><h2>LCĐT - Sáng 5/7, hội nghị khai mạc.</h2>", "Hội nghị khoa giáo\nSáng 5/7, hội nghị khai mạc."},
		{"a hyphenated word is no prefix", "COVID-19 - chuyện chưa kể.", "COVID-19 - chuyện chưa kể."},

		// Characters.
		{"entities decoded", "Tom &amp; Jerry &lt;3 &quot;phim&quot; &#7871; &nbsp;x", `Tom & Jerry <3 "phim" ế x`},
		{"NBSP and narrow NBSP", "Ngày\u00a08-8,\u202fbão số 4.", "Ngày 8-8, bão số 4."},
		{"zero-width characters", "Hà\u200b Nội\u200d mưa\ufeff to.", "Hà Nội mưa to."},
		{"NFC", "Vie\u0323\u0302t Nam ho\u0301a", "Việt Nam hóa"},
		{"both tone placements kept as written", "hoá học và hóa học", "hoá học và hóa học"},
		{"escaped markup is text", "Thẻ &lt;b&gt; không phải HTML", "Thẻ <b> không phải HTML"},
		{"empty", "", ""},
		{"only an image", `<a href="/x"><img src="/a.jpg"></a>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) =\n%q\nwant\n%q", tt.in, got, tt.want)
			}
		})
	}
}

// The seed page cleaned whole: the title, the lead without its prefix and
// the body; no captions, share buttons, hotline, menu, related links or
// sidebar.
func TestCleanSeedPage(t *testing.T) {
	paras := strings.Split(Clean(readSeed(t)), "\n")
	if len(paras) != 9 || paras[0] != seedTitle || paras[1] != seedLead {
		t.Errorf("got %d paragraphs, starting %q / %q", len(paras), paras[0], paras[min(1, len(paras)-1)])
	}
	checkSeedText(t, "cleaned page", strings.Join(paras, "\n"))
}

// The seed as it was first given, page text without markup: its captions
// and chrome go too.
func TestCleanSeedText(t *testing.T) {
	b, err := os.ReadFile("testdata/seed/baolaocai-khoa-giao.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := Clean(string(b))
	paras := strings.Split(got, "\n")
	if len(paras) != 9 || paras[0] != seedTitle || paras[1] != seedLead {
		t.Errorf("got %d paragraphs:\n%s", len(paras), got)
	}
	checkSeedText(t, "cleaned text", got)
}

// Feed samples: a description cleaned is text, never markup.
func TestCleanSamples(t *testing.T) {
	for _, file := range sampleFiles {
		feed, err := gofeed.NewParser().Parse(bytes.NewReader(readSample(t, file)))
		if err != nil {
			t.Fatalf("gofeed %s: %v", file, err)
		}
		for _, it := range feed.Items {
			got := Clean(it.Description)
			if strings.ContainsAny(got, "<>\u00a0\u200b") && !strings.ContainsAny(it.Description, "<>") {
				t.Errorf("%s %s: %q", file, it.Link, got)
			}
			if strings.Contains(got, "<img") || strings.Contains(got, "href=") {
				t.Errorf("%s %s: markup left: %q", file, it.Link, got)
			}
		}
	}
}
