package feeds

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/newsbot-vn/newsbot/storage"
)

func rss(items string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Thử</title><link>https://example.vn/</link>` +
		items + `</channel></rss>`)
}

func mustParse(t *testing.T, body []byte, feedURL string, now time.Time) *Parsed {
	t.Helper()
	p, err := Parse(body, feedURL, now)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func TestParseSamples(t *testing.T) {
	tests := []struct {
		file      string
		title     string
		items     int
		first     storage.Item // Summary not compared
		withImage int          // items with an image
	}{
		{
			file: "vnexpress-tin-moi-nhat.xml", title: "Tin mới nhất - VnExpress RSS", items: 25, withImage: 25,
			first: storage.Item{
				GUID:      "http://suckhoe.vnexpress.net/tin-tuc/suc-khoe/mot-tuan-ha-noi-co-1-400-nguoi-benh-sot-xuat-huyet-vao-vien-3618863.html",
				Link:      "http://suckhoe.vnexpress.net/tin-tuc/suc-khoe/mot-tuan-ha-noi-co-1-400-nguoi-benh-sot-xuat-huyet-vao-vien-3618863.html",
				Canonical: "http://suckhoe.vnexpress.net/tin-tuc/suc-khoe/mot-tuan-ha-noi-co-1-400-nguoi-benh-sot-xuat-huyet-vao-vien-3618863.html",
				Title:     "Một tuần Hà Nội có 1.400 người bệnh sốt xuất huyết vào viện",
				ImageURL:  "https://i-suckhoe.vnecdn.net/2017/07/26/sotxuathuyet2671-1501066281_180x108.jpg",
				Published: time.Date(2017, 7, 26, 12, 41, 14, 0, time.UTC),
			},
		},
		{
			// "8/23/2026 5:20:00\u202fAM": gofeed gives nothing; it is Vietnam time.
			file: "tuoitre-tin-moi-nhat.xml", title: "Tuổi Trẻ Online", items: 30,
			first: storage.Item{
				Link:      "https://tuoitre.vn/bao-thai-lan-chung-ta-thua-vi-thieu-may-man-chua-ket-thuc-dau-100260822182430487.htm",
				Canonical: "https://tuoitre.vn/bao-thai-lan-chung-ta-thua-vi-thieu-may-man-chua-ket-thuc-dau-100260822182430487.htm",
				Title:     "Báo Thái Lan: 'Chúng ta thua vì thiếu may mắn, chưa kết thúc đâu'",
				Published: time.Date(2026, 8, 22, 22, 20, 0, 0, time.UTC),
			},
		},
		{
			// "8/22/2026 11:00:00 PM": gofeed reads UTC; the outlet means UTC+7.
			file: "baochinhphu-home.xml", title: "Báo Điện tử Chính phủ", items: 30,
			first: storage.Item{
				Link:      "https://baochinhphu.vn/chung-ket-luot-di-asean-cup-2026-viet-nam-thang-chung-cuoc-2-0-102260822230251531.htm",
				Canonical: "https://baochinhphu.vn/chung-ket-luot-di-asean-cup-2026-viet-nam-thang-chung-cuoc-2-0-102260822230251531.htm",
				Title:     "Chung kết lượt đi ASEAN Cup 2026: Việt Nam thắng chung cuộc 2-0",
				Published: time.Date(2026, 8, 22, 16, 0, 0, 0, time.UTC),
			},
		},
		{
			file: "thanhnien-home.xml", title: "Báo Thanh Niên", items: 30, withImage: 30,
			first: storage.Item{
				Link:      "https://thanhnien.vn/ngan-chan-rui-ro-tu-video-ngan-185260822175042583.htm",
				Canonical: "https://thanhnien.vn/ngan-chan-rui-ro-tu-video-ngan-185260822175042583.htm",
				Title:     "Ngăn chặn rủi ro từ video ngắn",
				ImageURL:  "https://images2.thanhnien.vn/zoom/600_315/528068263637045248/2026/8/22/avata-chao-ngay-moi-17873957274392006566585.jpg",
				Published: time.Date(2026, 8, 22, 22, 52, 0, 0, time.UTC), // "Sun, 23 Aug 26 05:52:00 +0700"
			},
		},
		{
			file: "cafef-home.xml", title: "CafeF", items: 30, withImage: 30,
			first: storage.Item{
				Link:      "https://cafef.vn/tuyen-viet-nam-dai-thang-thai-lan-ngay-tren-san-khach-cham-mot-tay-vao-chuc-vo-dich-aff-cup-2026-188260822223558888.chn",
				Canonical: "https://cafef.vn/tuyen-viet-nam-dai-thang-thai-lan-ngay-tren-san-khach-cham-mot-tay-vao-chuc-vo-dich-aff-cup-2026-188260822223558888.chn",
				Title:     "Cứu thua thành thần, thủ môn Lê Giang Patrik ẵm luôn giải Cầu thủ xuất sắc nhất trận chung kết Việt Nam 2-0 Thái Lan",
				ImageURL:  "https://cafefcdn.com/zoom/600_315/203337114487263232/2026/8/22/thiet-ke-chua-co-ten-11-1787413297741-1787413298220775811227-0-0-400-640-crop-1787413313968371931846.jpg",
				Published: time.Date(2026, 8, 22, 22, 49, 0, 0, time.UTC), // "+07"
			},
		},
		{
			file: "nhandan-home.xml", title: "Báo Nhân Dân", items: 14, withImage: 11, // 11 have an .avif <img>
			first: storage.Item{
				Link:      "https://nhandan.vn/kham-suc-khoe-mien-phi-cho-tre-em-truoc-nam-hoc-moi-post983218.html",
				Canonical: "https://nhandan.vn/kham-suc-khoe-mien-phi-cho-tre-em-truoc-nam-hoc-moi-post983218.html",
				Title:     "Khám sức khỏe miễn phí cho trẻ em trước năm học mới",
				ImageURL:  "https://cdn.nhandan.vn/images/JL4Au1MaXCoLuXf5IeLur56IxuQXoAhM6wn-BsXnRMDfh84hQwUKjMl2ksKvaNJRuc44kX9qXZCrovBR6Dr755HHM7vrSxYGvtyg3Xj1O0ivi-jxPaHbKvUq9k2nxhM3HkGUOBZ8tlQFOBrp9j5Y7BozsAXpWbJeGM3l28_BrAM/tram-y-te-phuong-yen-hoa-kham-suc-khoe-mien-phi-cho-hoc-sinh-truong-tieu-hoc-nguyen-sieu.jpg.avif",
				Published: time.Date(2026, 8, 20, 16, 51, 22, 0, time.UTC),
			},
		},
		{
			file: "sggp-home.xml", title: "Báo Sài Gòn Giải Phóng", items: 20, withImage: 20,
			first: storage.Item{
				Link:      "https://www.sggp.org.vn/man-nhan-voi-man-tranh-tai-rong-lan-quoc-te-giua-pho-bien-quy-nhon-post866133.html",
				Canonical: "https://www.sggp.org.vn/man-nhan-voi-man-tranh-tai-rong-lan-quoc-te-giua-pho-bien-quy-nhon-post866133.html",
				Title:     "Mãn nhãn với màn tranh tài Rồng, Lân quốc tế giữa phố biển Quy Nhơn",
				ImageURL:  "https://image.sggp.org.vn/w800/Uploaded/2026/bcgmbliv/2026_08_08/dsc05303-2535-4171.jpg.webp",
				Published: time.Date(2026, 8, 8, 14, 33, 20, 0, time.UTC),
			},
		},
		{
			// The guid differs from the link, which carries tracking parameters.
			file: "bbc-vietnamese.xml", title: "BBC News Tiếng Việt", items: 13,
			first: storage.Item{
				GUID:      "https://www.bbc.com/vietnamese/articles/clyj7k74r8jo#0",
				Link:      "https://www.bbc.com/vietnamese/articles/clyj7k74r8jo?at_medium=RSS&at_campaign=rss",
				Canonical: "https://www.bbc.com/vietnamese/articles/clyj7k74r8jo",
				Title:     "Cựu Đại biểu Quốc hội Nguyễn Sỹ Cương gây tai nạn, được miễn truy cứu trách nhiệm hình sự",
				Published: time.Date(2026, 8, 17, 13, 41, 46, 0, time.UTC),
			},
		},
	}
	now := time.Date(2026, 8, 23, 0, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := mustParse(t, readSample(t, tt.file), "https://example.vn/rss/home.rss", now)
			if p.Title != tt.title {
				t.Errorf("feed title = %q, want %q", p.Title, tt.title)
			}
			if len(p.Items) != tt.items {
				t.Fatalf("%d items, want %d", len(p.Items), tt.items)
			}
			got := p.Items[0]
			got.Summary = ""
			if got != tt.first {
				t.Errorf("first item =\n%+v\nwant\n%+v", got, tt.first)
			}
			images := 0
			for _, it := range p.Items {
				if it.ImageURL != "" {
					images++
				}
				if it.Published.IsZero() || it.Published.Location() != time.UTC {
					t.Errorf("%s: published %v, want a UTC time", it.Link, it.Published)
				}
				if it.Title == "" || it.Summary == "" || !strings.HasPrefix(it.Link, "http") {
					t.Errorf("incomplete item %+v", it)
				}
			}
			if images != tt.withImage {
				t.Errorf("%d items with an image, want %d", images, tt.withImage)
			}
		})
	}
}

func TestParseRepairsBadBytes(t *testing.T) {
	tests := []struct {
		name      string
		body      []byte
		wantTitle string
	}{
		{"invalid UTF-8 byte", rss("<item><title>Tin \xff nóng</title><link>https://example.vn/a</link></item>"), "Tin \uFFFD nóng"},
		{"control characters", rss("<item><title>Tin\x01\x0b nóng\x1f</title><link>https://example.vn/a</link><description>Mô\x08 tả</description></item>"), "Tin nóng"},
		{"U+FFFE", rss("<item><title>Tin \uFFFE nóng</title><link>https://example.vn/a</link></item>"), "Tin nóng"},
		{"byte order mark and leading blank line", append([]byte("\xEF\xBB\xBF\n"), rss("<item><title>Tin</title><link>https://example.vn/a</link></item>")...), "Tin"},
		{
			"ISO-8859-1 declared and used",
			[]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>T</title><item><title>Caf\xe9</title><link>https://example.vn/a</link></item></channel></rss>"),
			"Café",
		},
		{
			"UTF-8 mislabelled ISO-8859-1",
			[]byte(`<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel><title>T</title><item><title>Việt Nam</title><link>https://example.vn/a</link></item></channel></rss>`),
			"Việt Nam",
		},
		{
			"windows-1258 declared",
			append(append([]byte(`<?xml version="1.0" encoding="windows-1258"?><rss version="2.0"><channel><title>T</title><item><title>`), 'H', 0xE0, ' ', 'N', 0xF4, 'i'),
				[]byte(`</title><link>https://example.vn/a</link></item></channel></rss>`)...),
			"Hà Nôi",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.body, "https://example.vn/rss", time.Time{})
			if len(p.Items) != 1 {
				t.Fatalf("%d items, want 1", len(p.Items))
			}
			if got := p.Items[0].Title; got != tt.wantTitle {
				t.Errorf("title = %q, want %q", got, tt.wantTitle)
			}
			if !utf8.ValidString(p.Items[0].Title) {
				t.Errorf("title is not valid UTF-8")
			}
		})
	}
}

func TestParseResolvesRelativeLinks(t *testing.T) {
	body := rss(`
<item><title>Tuyệt đối</title><link>/tin-tuc/a.html</link>
  <description><![CDATA[<img src="/anh/a.jpg"> Nội dung.]]></description></item>
<item><title>Tương đối</title><link>b.html?utm_source=rss</link>
  <description><![CDATA[<img src="//cdn.example.vn/b.jpg"> Nội dung.]]></description></item>
<item><title>Tuyệt đối sẵn</title><link>https://other.vn/c.html</link></item>
<item><title>Script link</title><link>javascript:alert(1)</link>
  <description><![CDATA[<img src="javascript:alert(1)">]]></description></item>
<item><title>Guid as link</title><guid>https://example.vn/guid-link.html</guid></item>
`)
	p := mustParse(t, body, "https://example.vn/rss/home.rss", time.Time{})
	want := []struct{ link, canonical, image string }{
		{"https://example.vn/tin-tuc/a.html", "https://example.vn/tin-tuc/a.html", "https://example.vn/anh/a.jpg"},
		{"https://example.vn/rss/b.html?utm_source=rss", "https://example.vn/rss/b.html", "https://cdn.example.vn/b.jpg"},
		{"https://other.vn/c.html", "https://other.vn/c.html", ""},
		{"", "", ""},
		{"https://example.vn/guid-link.html", "https://example.vn/guid-link.html", ""},
	}
	if len(p.Items) != len(want) {
		t.Fatalf("%d items, want %d", len(p.Items), len(want))
	}
	for i, w := range want {
		it := p.Items[i]
		if it.Link != w.link || it.Canonical != w.canonical || it.ImageURL != w.image {
			t.Errorf("item %d (%s): link %q canonical %q image %q; want %q %q %q",
				i, it.Title, it.Link, it.Canonical, it.ImageURL, w.link, w.canonical, w.image)
		}
	}
}

func TestParseImages(t *testing.T) {
	tests := []struct {
		name, item, want string
	}{
		{"enclosure", `<enclosure url="https://example.vn/e.jpg" type="image/jpeg" length="1"/><description><![CDATA[<img src="https://example.vn/d.jpg">]]></description>`, "https://example.vn/e.jpg"},
		{"audio enclosure ignored", `<enclosure url="https://example.vn/e.mp3" type="audio/mpeg" length="1"/><description><![CDATA[<img src="https://example.vn/d.jpg">]]></description>`, "https://example.vn/d.jpg"},
		{"media content", `<media:content xmlns:media="http://search.yahoo.com/mrss/" url="https://example.vn/m.jpg" medium="image"/>`, "https://example.vn/m.jpg"},
		{"tracking pixel skipped", `<description><![CDATA[<img src="https://stats.example.vn/t.gif" width="1" height="1"><img src="https://example.vn/real.jpg">]]></description>`, "https://example.vn/real.jpg"},
		{"pixel by name skipped", `<description><![CDATA[<img src="https://example.vn/pixel.gif"><img src="https://example.vn/real.jpg">]]></description>`, "https://example.vn/real.jpg"},
		{"icon skipped", `<description><![CDATA[<img src="https://example.vn/icons/rss.png"><img src="https://example.vn/favicon.ico"><img src="https://example.vn/real.jpg">]]></description>`, "https://example.vn/real.jpg"},
		{"word containing icon is not an icon", `<description><![CDATA[<img src="https://example.vn/silicon-valley.jpg">]]></description>`, "https://example.vn/silicon-valley.jpg"},
		{"lazy-loaded", `<description><![CDATA[<img src="data:image/gif;base64,R0lGOD" data-src="https://example.vn/lazy.jpg">]]></description>`, "https://example.vn/lazy.jpg"},
		{"content when the description has none", `<description>Chữ</description><content:encoded xmlns:content="http://purl.org/rss/1.0/modules/content/"><![CDATA[<p><img src="https://example.vn/c.jpg"></p>]]></content:encoded>`, "https://example.vn/c.jpg"},
		{"none", `<description>Chỉ có chữ.</description>`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := rss(`<item><title>T</title><link>https://example.vn/a</link>` + tt.item + `</item>`)
			p := mustParse(t, body, "https://example.vn/rss", time.Time{})
			if got := p.Items[0].ImageURL; got != tt.want {
				t.Errorf("image = %q, want %q", got, tt.want)
			}
		})
	}
}

// HTML in a title or description comes out as plain text; the bot escapes it.
func TestParseTitlesAreText(t *testing.T) {
	tests := []struct{ name, title, desc, wantTitle, wantSummary string }{
		{"escaped tags", "&lt;b&gt;Nóng&lt;/b&gt;: bão &amp;amp; lũ", "Mô tả", "Nóng: bão & lũ", "Mô tả"},
		{"CDATA markup", "<![CDATA[<i>Phóng sự</i>   <script>alert(1)</script>Miền Tây]]>", "<![CDATA[<p>A &amp; B</p><script>x()</script>]]>", "Phóng sự Miền Tây", "A & B"},
		{"quotes and comparison", `"Thế giới băng giá" 5 &lt; 6`, "x", `"Thế giới băng giá" 5 < 6`, "x"},
		{"wrapped on lines", "\n  Một tuần\n  Hà Nội  \n", "x", "Một tuần Hà Nội", "x"},
		{"decomposed diacritics", "Vie\u0323\u0302t Nam", "x", "Việt Nam", "x"},
		{"text in angle brackets", "Hội nghị giao ban công tác dân vận &amp; &lt;tôn giáo&gt; quý III", "x", "Hội nghị giao ban công tác dân vận & <tôn giáo> quý III", "x"},
		{"less than a number", "Xe điện &lt;10 triệu đồng", "x", "Xe điện <10 triệu đồng", "x"},
		{"a less than b", "Khi a&lt;b thì sao", "x", "Khi a<b thì sao", "x"},
		{"a work's title", "Ra mắt phim &lt;Mắt biếc&gt; và sách &lt;Em&gt;", "x", "Ra mắt phim <Mắt biếc> và sách <Em>", "x"},
		{"words after a tag name", "Chọn &lt;b và c&gt; hay d", "x", "Chọn <b và c> hay d", "x"},
		{"real markup beside text", "&lt;strong&gt;Nóng:&lt;/strong&gt; giá &lt;100 USD&lt;br/&gt;", "x", "Nóng: giá <100 USD", "x"},
		{"markup with attributes", `&lt;span class="hot"&gt;Tin&lt;/span&gt; &lt;em&gt;mới&lt;/em&gt;`, "x", "Tin mới", "x"},
		{"untitled item uses its text", "", "Bão số 4 đổ bộ. Mưa lớn.", "Bão số 4 đổ bộ. Mưa lớn.", "Bão số 4 đổ bộ. Mưa lớn."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := rss(`<item><title>` + tt.title + `</title><link>https://example.vn/a</link><description>` + tt.desc + `</description></item>`)
			p := mustParse(t, body, "https://example.vn/rss", time.Time{})
			it := p.Items[0]
			if it.Title != tt.wantTitle || it.Summary != tt.wantSummary {
				t.Errorf("title %q summary %q; want %q %q", it.Title, it.Summary, tt.wantTitle, tt.wantSummary)
			}
		})
	}
}

func TestParseSkipsEmptyItems(t *testing.T) {
	p := mustParse(t, rss(`<item><description></description></item><item><title>Có</title></item>`), "https://example.vn/rss", time.Time{})
	if len(p.Items) != 1 || p.Items[0].Title != "Có" || p.Items[0].Link != "" {
		t.Fatalf("items = %+v, want only the titled one", p.Items)
	}
}

func TestParseDates(t *testing.T) {
	now := time.Date(2026, 8, 23, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, pubDate string
		want          time.Time
	}{
		{"Tuổi Trẻ narrow no-break space", "8/22/2026 5:20:00\u202fAM", time.Date(2026, 8, 21, 22, 20, 0, 0, time.UTC)},
		{"Báo Chính phủ ordinary space", "8/22/2026 11:00:00 PM", time.Date(2026, 8, 22, 16, 0, 0, 0, time.UTC)},
		{"no-break space", "8/22/2026 11:00:00\u00a0PM", time.Date(2026, 8, 22, 16, 0, 0, 0, time.UTC)},
		{"midnight", "8/22/2026 12:05:00 AM", time.Date(2026, 8, 21, 17, 5, 0, 0, time.UTC)},
		{"noon", "8/22/2026 12:30:00 PM", time.Date(2026, 8, 22, 5, 30, 0, 0, time.UTC)},
		{"no seconds, lower case", "8/22/2026 9:15 pm", time.Date(2026, 8, 22, 14, 15, 0, 0, time.UTC)},
		{"24-hour clock", "8/22/2026 23:00:00", time.Date(2026, 8, 22, 16, 0, 0, 0, time.UTC)},
		{"day first when month cannot be 22", "22/8/2026 11:00:00 PM", time.Date(2026, 8, 22, 16, 0, 0, 0, time.UTC)},
		{"RFC 822 with offset", "Sun, 23 Aug 26 05:52:00 +0700", time.Date(2026, 8, 22, 22, 52, 0, 0, time.UTC)},
		{"hours-only offset", "Sun, 23 Aug 2026 05:49:00 +07", time.Date(2026, 8, 22, 22, 49, 0, 0, time.UTC)},
		{"GMT", "Mon, 17 Aug 2026 13:41:46 GMT", time.Date(2026, 8, 17, 13, 41, 46, 0, time.UTC)},
		{"no date", "", time.Time{}},
		{"garbage", "hôm qua", time.Time{}},
		{"more than an hour ahead of now is dropped", "Sun, 23 Aug 2026 05:00:00 +0000", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := rss(`<item><title>T</title><link>https://example.vn/a</link><pubDate>` + tt.pubDate + `</pubDate></item>`)
			got := mustParse(t, body, "https://example.vn/rss", now).Items[0].Published
			if !got.Equal(tt.want) || (!got.IsZero() && got.Location() != time.UTC) {
				t.Errorf("published = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestVietnamClockRejects(t *testing.T) {
	for _, s := range []string{
		"8/22/2026 11:00:00 PM +0700", // has a zone: gofeed's business
		"8/22/2026 13:00:00 PM",
		"2/30/2026 1:00:00 AM",
		"13/13/2026 1:00:00 AM",
		"2026-08-22 11:00:00",
	} {
		var got time.Time
		if vietnamClock(s, &got) {
			t.Errorf("vietnamClock(%q) accepted it as %v", s, got)
		}
	}
}

func TestParseAtom(t *testing.T) {
	body := []byte(`<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Blog &amp;lt;3</title>
<entry><id>tag:example.vn,2026:1</id><title>Bài một</title><link href="/bai-mot"/>
<published>2026-08-22T23:00:00+07:00</published><summary type="html">&lt;p&gt;Tóm tắt.&lt;/p&gt;</summary></entry>
</feed>`)
	p := mustParse(t, body, "https://example.vn/atom.xml", time.Time{})
	if len(p.Items) != 1 {
		t.Fatalf("%d items", len(p.Items))
	}
	it := p.Items[0]
	want := storage.Item{
		GUID: "tag:example.vn,2026:1", Link: "https://example.vn/bai-mot", Canonical: "https://example.vn/bai-mot",
		Title: "Bài một", Summary: "Tóm tắt.", Published: time.Date(2026, 8, 22, 16, 0, 0, 0, time.UTC),
	}
	if it != want {
		t.Errorf("item =\n%+v\nwant\n%+v", it, want)
	}
}

func TestParseRefusesNonFeeds(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"HTML page", "<!DOCTYPE html><html><head><title>Báo</title></head><body><p>Trang chủ</p></body></html>", "is an HTML page"},
		{"empty", "", "is empty"},
		{"plain text", "hello", "no RSS, Atom or JSON feed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body), "https://user:secret@example.vn/", time.Time{})
			if !errors.Is(err, ErrNotFeed) {
				t.Fatalf("err = %v, want ErrNotFeed", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "feeds: not a feed: ") || !strings.Contains(msg, tt.want) {
				t.Errorf("err = %q", msg)
			}
			if strings.Contains(msg, "secret") {
				t.Errorf("err leaks the password: %q", msg)
			}
		})
	}
}
