package feeds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/newsbot-vn/newsbot/storage"
)

// seedPage is the Báo Lào Cai article page this product was conceived around.
const seedPage = "testdata/seed/baolaocai-khoa-giao.html"

func readSeed(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(seedPage)
	if err != nil {
		t.Fatalf("read seed page: %v", err)
	}
	return string(b)
}

// seedChrome is what the seed page holds besides its article: captions,
// share buttons, the hotline, the sidebar and the related links.
var seedChrome = []string{
	"Quảng cảnh hội nghị", "Đại biểu dự hội nghị", "Đại diện Sở Lao động - Thương binh và Xã hội phát biểu ý kiến",
	"Dương Đức Huy kết luận hội nghị.", "Zalo", "Facebook", "Hotline", "0986575708", "Video - Clips",
	"Thời tiết Lào Cai", "Dự báo thời tiết", "Tin liên quan", "Tỉnh ủy Lào Cai sơ kết", "Chính trị",
	"Thứ 7, 13/8/2022", "LCĐT", "Cơ quan của Đảng bộ",
}

// seedLead is the lead sentence of the seed article, its outlet prefix gone.
const seedLead = "Sáng 5/7, dưới sự chủ trì của đồng chí Dương Đức Huy, Ủy viên Ban Thường vụ, Trưởng Ban Tuyên giáo Tỉnh ủy, Ban Tuyên giáo Tỉnh ủy tổ chức Hội nghị giao ban công tác khoa giáo (mở rộng) 6 tháng đầu năm, phương hướng, nhiệm vụ 6 tháng cuối năm 2022."

const seedTitle = "Ban Tuyên giáo Tỉnh ủy định hướng nhiệm vụ công tác khoa giáo 6 tháng cuối năm 2022"

func checkSeedText(t *testing.T, what, text string) {
	t.Helper()
	for _, bad := range seedChrome {
		if strings.Contains(text, bad) {
			t.Errorf("%s holds %q:\n%s", what, bad, text)
		}
	}
}

func TestExtractArticleSeed(t *testing.T) {
	page, err := extractArticle([]byte(readSeed(t)), "text/html; charset=utf-8", "https://baolaocai.vn/ban-tuyen-giao-post350004.html", nil)
	if err != nil {
		t.Fatal(err)
	}
	paras := strings.Split(page.text, "\n")
	if paras[0] != seedLead {
		t.Errorf("first paragraph = %q, want the lead", paras[0])
	}
	if len(paras) != 8 {
		t.Errorf("%d paragraphs, want the lead and the 7 of the body:\n%s", len(paras), page.text)
	}
	if !strings.HasSuffix(page.text, "sớm có giải pháp khắc phục...") {
		t.Errorf("text does not end with the article's last paragraph:\n%s", page.text)
	}
	checkSeedText(t, "page text", page.text)
	if page.image != "https://cdn.baolaocai.vn/images/2022/07/05/hoi-nghi-1.jpg" {
		t.Errorf("image = %q", page.image)
	}
}

func TestExtractArticle(t *testing.T) {
	const pageURL = "https://example.vn/tin/a.html"
	body := `<p>Đoạn một của bài viết có đủ dài để được coi là nội dung chính của trang này, với nhiều chữ và nhiều dấu phẩy, nhiều ý.</p>
<p>Đoạn hai của bài viết cũng khá dài, kể tiếp câu chuyện, với những chi tiết khác nhau về sự việc đã diễn ra trong ngày.</p>
<p>Đoạn ba của bài viết kết thúc câu chuyện bằng một nhận định của người viết về những gì sẽ xảy ra tiếp theo ở địa phương.</p>`
	page := func(head, before string) string {
		return `<!DOCTYPE html><html><head>` + head + `</head><body><article>` + before + body + `</article></body></html>`
	}
	tests := []struct {
		name, contentType, html string
		wantLead, wantImage     string
		mark                    string // the body's first paragraph starts so; "Đoạn một" if ""
		wantErr                 bool
	}{
		{
			name:     "sapo in a div.detail-sapo",
			html:     page("", `<h1>Tiêu đề</h1><div class="detail-sapo">(Dân trí) - Sáng 5/7, tỉnh tổ chức hội nghị tổng kết công tác nửa đầu năm.</div>`),
			wantLead: "Sáng 5/7, tỉnh tổ chức hội nghị tổng kết công tác nửa đầu năm.",
		},
		{
			name:     "sapo in p.description (VnExpress)",
			html:     page("", `<p class="description">Hà Nội ghi nhận 1.400 ca sốt xuất huyết trong một tuần, tăng mạnh.</p>`),
			wantLead: "Hà Nội ghi nhận 1.400 ca sốt xuất huyết trong một tuần, tăng mạnh.",
		},
		{
			name:     "meta description when there is no sapo",
			html:     page(`<meta name="description" content="VOV.VN - Bài viết kể câu chuyện về sự việc đã diễn ra trong ngày ở địa phương.">`, ""),
			wantLead: "Bài viết kể câu chuyện về sự việc đã diễn ra trong ngày ở địa phương.",
		},
		{
			name:     "a site-wide meta description is not a lead",
			html:     page(`<meta name="description" content="Báo điện tử chính thống, cập nhật tin tức nóng hổi nhất trong ngày.">`, ""),
			wantLead: "Đoạn một của bài viết có đủ dài để được coi là nội dung chính của trang này, với nhiều chữ và nhiều dấu phẩy, nhiều ý.",
		},
		{
			name:     "a truncated meta description is not a lead",
			html:     page(`<meta name="description" content="Mưa lớn gây ngập nhiều tuyến phố ở...">`, ""),
			wantLead: "Đoạn một của bài viết có đủ dài để được coi là nội dung chính của trang này, với nhiều chữ và nhiều dấu phẩy, nhiều ý.",
		},
		{
			name:      "og:image, relative",
			html:      page(`<meta property="og:image" content="/anh/lon.jpg">`, ""),
			wantLead:  "Đoạn một của bài viết có đủ dài để được coi là nội dung chính của trang này, với nhiều chữ và nhiều dấu phẩy, nhiều ý.",
			wantImage: "https://example.vn/anh/lon.jpg",
		},
		{
			name:      "an icon as og:image gives way to the article's image",
			html:      page(`<meta property="og:image" content="https://example.vn/favicon.ico">`, `<p><img src="https://example.vn/pixel.gif"><img src="https://cdn.example.vn/bai.jpg" width="600"></p>`),
			wantLead:  "Đoạn một của bài viết có đủ dài để được coi là nội dung chính của trang này, với nhiều chữ và nhiều dấu phẩy, nhiều ý.",
			wantImage: "https://cdn.example.vn/bai.jpg",
		},
		{
			name: "legacy charset from the Content-Type",
			html: latin1(t, `<!DOCTYPE html><html><body><article><p class="sapo">Giá cà phê hôm nay là 120 nghìn, theo các nhà buôn.</p>`+
				`<p>Doan môt: các nhà buôn cho hay giá cà phê còn lên, khi mùa mua làm khan hàng, nhiêu nhà máy phài chò.</p>`+
				strings.Repeat(`<p>Các nhà buôn cho hay giá cà phê còn lên, khi mùa mua làm khan hàng, nhiêu nhà máy phài chò thêm.</p>`, 3)+
				`</article></body></html>`),
			mark:        "Doan môt",
			contentType: "text/html; charset=iso-8859-1",
			wantLead:    "Giá cà phê hôm nay là 120 nghìn, theo các nhà buôn.",
		},
		{name: "not HTML", contentType: "application/pdf", html: "%PDF-1.4", wantErr: true},
		{name: "no text at all", html: `<!DOCTYPE html><html><body><div class="share">Zalo</div></body></html>`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.contentType
			if ct == "" {
				ct = "text/html; charset=utf-8"
			}
			got, err := extractArticle([]byte(tt.html), ct, pageURL, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			first, _, _ := strings.Cut(got.text, "\n")
			if first != tt.wantLead {
				t.Errorf("lead = %q, want %q", first, tt.wantLead)
			}
			if got.image != tt.wantImage {
				t.Errorf("image = %q, want %q", got.image, tt.wantImage)
			}
			mark := tt.mark
			if mark == "" {
				mark = "Đoạn một"
			}
			if n := strings.Count(got.text, mark); n != 1 {
				t.Errorf("the body's first paragraph appears %d times:\n%s", n, got.text)
			}
		})
	}
}

// latin1 encodes s, whose letters all exist in ISO 8859-1, in that charset.
func latin1(t *testing.T, s string) string {
	t.Helper()
	b, err := charmap.ISO8859_1.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Article pages go through the feed fetcher's guard against private addresses.
func TestFetchPageRefusesPrivateAddresses(t *testing.T) {
	srv := newFeedServer(t)
	srv.set("/bai.html", "<html><body><p>Bài.</p></body></html>")
	_, err := NewFetcher(FetcherOptions{}).fetchPage(context.Background(), srv.URL+"/bai.html")
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("err = %v, want ErrPrivateAddress", err)
	}
	if hits, _ := srv.count("/bai.html"); hits != 0 {
		t.Errorf("the page was requested %d times", hits)
	}
}

func TestIsThin(t *testing.T) {
	tests := []struct {
		name string
		text string
		want bool
	}{
		{"nothing", "", true},
		{"a teaser", "Xem chi tiết tại đây.", true},
		{"one long sentence", strings.Repeat("Một câu rất dài không có dấu chấm ", 8) + "ở giữa.", true},
		{"two short sentences", "Mưa to. Ngập nặng.", true},
		{"a sapo of two sentences", "Sáng 5/7, tỉnh tổ chức hội nghị giao ban công tác khoa giáo 6 tháng đầu năm 2022. Hội nghị đánh giá kết quả và đề ra phương hướng, nhiệm vụ cho 6 tháng cuối năm.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isThin(tt.text); got != tt.want {
				t.Errorf("isThin(%q) = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

// pagePath is where titleOnlyRSS links an item: /bai/<folded-title>.html.
func pagePath(title string) string {
	return "/bai/" + strings.Join(storage.Words(storage.Fold(title)), "-") + ".html"
}

// titleOnlyRSS is a feed of items "title" or "title|more item XML", each
// linking to its pagePath, a minute apart from base back.
func titleOnlyRSS(base time.Time, items ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Báo Lào Cai</title>`)
	for i, it := range items {
		title, extra, _ := strings.Cut(it, "|")
		fmt.Fprintf(&b, `<item><title>%s</title><link>%s</link>%s<pubDate>%s</pubDate></item>`,
			title, pagePath(title), extra, base.Add(-time.Duration(i)*time.Minute).Format(time.RFC1123Z))
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

// The acceptance test: the seed page behind a title-only feed with
// full_text on gives an alert that leads with who met, when and about what,
// and none of the captions or chrome.
func TestFullTextSeedAlert(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	st := newStore(t)
	subscribe(t, st)
	srv := newFeedServer(t)
	p := newPoller(st, now)
	feed := addFeed(t, st, srv.URL+"/rss", "")
	if err := st.SetFeedFullText(ctx, feed.ID, true); err != nil {
		t.Fatal(err)
	}

	srv.set("/rss", titleOnlyRSS(now, "Tin cũ"))
	if res, err := p.Poll(ctx, reload(t, st, feed.ID)); err != nil || !res.First {
		t.Fatalf("first poll = %+v, %v", res, err)
	}
	srv.set("/rss", titleOnlyRSS(now, seedTitle, "Tin cũ"))
	srv.set(pagePath(seedTitle), readSeed(t))
	res, err := p.Poll(ctx, reload(t, st, feed.ID))
	if err != nil || res.New != 1 || res.Enqueued != 1 {
		t.Fatalf("second poll = %+v, %v", res, err)
	}
	if hits, _ := srv.count(pagePath("Tin cũ")); hits != 0 {
		t.Errorf("the old item's page was fetched %d times", hits)
	}

	due, err := st.DueDeliveries(ctx, now.Add(time.Minute), 10)
	if err != nil || len(due) != 1 || due[0].Article == nil {
		t.Fatalf("due = %+v, %v", due, err)
	}
	a := due[0].Article
	t.Logf("alert summary: %s", a.Summary)
	if !strings.HasPrefix(a.Summary, seedLead) {
		t.Errorf("summary does not open with the lead sentence:\n%s", a.Summary)
	}
	for _, want := range []string{"Ban Tuyên giáo Tỉnh ủy", "hội nghị giao ban công tác khoa giáo", "Sáng 5/7", "Dương Đức Huy"} {
		if !strings.Contains(strings.ToLower(a.Summary), strings.ToLower(want)) {
			t.Errorf("summary lacks %q", want)
		}
	}
	checkSeedText(t, "summary", a.Summary)
	if n := len([]rune(a.Summary)); n > DefaultSummaryChars {
		t.Errorf("summary of %d characters", n)
	}
	if a.ImageURL != "https://cdn.baolaocai.vn/images/2022/07/05/hoi-nghi-1.jpg" {
		t.Errorf("image = %q", a.ImageURL)
	}
	latest, err := st.Latest(ctx, "", 5)
	if err != nil || len(latest) != 2 || latest[0].Summary != a.Summary {
		t.Errorf("latest = %+v, %v", latest, err)
	}
	// The page's text is searchable, beyond the summary.
	found, err := st.Search(ctx, "thẳng thắn nhìn nhận", "", 5, 0)
	if err != nil || len(found) != 1 || found[0].ID != a.ID {
		t.Errorf("search in the body = %+v, %v", found, err)
	}
}

func TestPollFullText(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 8, 23, 6, 0, 0, 0, time.UTC)
	const sapo = "Sáng 5/7, tỉnh tổ chức hội nghị giao ban công tác khoa giáo 6 tháng đầu năm 2022. Hội nghị đánh giá kết quả và đề ra phương hướng, nhiệm vụ cho 6 tháng cuối năm."
	articlePage := func(lead string) string {
		return `<!DOCTYPE html><html><head><meta property="og:image" content="/anh/bai.jpg"></head><body><article>
<h2 class="sapo">` + lead + `</h2>
<p>Trong 6 tháng đầu năm, các sở, ngành đã tham mưu triển khai nhiều nhiệm vụ quan trọng, góp phần hoàn thành kế hoạch đề ra của tỉnh.</p>
<p>Tại hội nghị, đại diện các ngành đã nêu ý kiến về những vấn đề trong lĩnh vực quản lý, cùng một số giải pháp trong thời gian tới.</p>
</article></body></html>`
	}
	pngBody := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	// A page with no sapo whose meta description is the host's tagline,
	// close enough to the article's opening to pass for its lead.
	const tagline = "Tỉnh tổ chức hội nghị giao ban, đánh giá kết quả và đề ra nhiệm vụ cho thời gian tới"
	taglinePage := func(opening string) string {
		return `<!DOCTYPE html><html><head><meta name="description" content="` + tagline + `"></head><body><article>
<p>` + opening + `, tỉnh tổ chức hội nghị giao ban để đánh giá kết quả công tác và đề ra nhiệm vụ cho thời gian tới.</p>
<p>Trong 6 tháng đầu năm, các sở, ngành đã tham mưu triển khai nhiều nhiệm vụ quan trọng, góp phần hoàn thành kế hoạch đề ra của tỉnh.</p>
</article></body></html>`
	}

	tests := []struct {
		name        string
		fullText    bool
		maxPages    int
		items       []string          // new items, "title|extra XML"
		pages       map[string]string // path → body ("" = 404)
		wantFetched map[string]int    // path → page fetches
		wantSummary map[string]string // title → summary prefix
		wantImage   map[string]string // title → image
	}{
		{
			name: "a title-only item gets its page's text and image", fullText: true,
			items:       []string{"Tin một"},
			pages:       map[string]string{"/bai/tin-mot.html": articlePage("Lead của trang được lấy làm câu mở đầu của bản tin gửi cho người đọc.")},
			wantFetched: map[string]int{"/bai/tin-mot.html": 1},
			wantSummary: map[string]string{"Tin một": "Lead của trang được lấy"},
			wantImage:   map[string]string{"Tin một": "/anh/bai.jpg"},
		},
		{
			name: "the feed is not full text: no page", fullText: false,
			items:       []string{"Tin một"},
			pages:       map[string]string{"/bai/tin-mot.html": articlePage("Lead của trang.")},
			wantFetched: map[string]int{"/bai/tin-mot.html": 0},
			wantSummary: map[string]string{"Tin một": ""},
		},
		{
			name: "an item with a real description needs no page", fullText: true,
			items:       []string{"Tin một|<description>" + sapo + "</description>"},
			pages:       map[string]string{"/bai/tin-mot.html": articlePage("Lead của trang.")},
			wantFetched: map[string]int{"/bai/tin-mot.html": 0},
			wantSummary: map[string]string{"Tin một": "Sáng 5/7, tỉnh tổ chức"},
		},
		{
			name: "a teaser is replaced, a description thumbnail gives way to og:image", fullText: true,
			items:       []string{`Tin một|<description><![CDATA[<img src="/nho.jpg"> Xem chi tiết.]]></description>`},
			pages:       map[string]string{"/bai/tin-mot.html": articlePage("Lead của trang được lấy làm câu mở đầu của bản tin gửi cho người đọc.")},
			wantFetched: map[string]int{"/bai/tin-mot.html": 1},
			wantSummary: map[string]string{"Tin một": "Lead của trang"},
			wantImage:   map[string]string{"Tin một": "/anh/bai.jpg"},
		},
		{
			name: "an enclosure beats the page's image", fullText: true,
			items:       []string{`Tin một|<enclosure url="/anh/enc.jpg" type="image/jpeg" length="1"/>`},
			pages:       map[string]string{"/bai/tin-mot.html": articlePage("Lead của trang được lấy làm câu mở đầu của bản tin gửi cho người đọc.")},
			wantFetched: map[string]int{"/bai/tin-mot.html": 1},
			wantImage:   map[string]string{"Tin một": "/anh/enc.jpg"},
		},
		{
			name: "a missing page falls back to the feed's text", fullText: true,
			items:       []string{"Tin một|<description>Xem chi tiết.</description>"},
			pages:       map[string]string{"/bai/tin-mot.html": ""},
			wantFetched: map[string]int{"/bai/tin-mot.html": 1},
			wantSummary: map[string]string{"Tin một": "Xem chi tiết."},
		},
		{
			name: "a page that is not HTML falls back", fullText: true,
			items:       []string{"Tin một|<description>Xem chi tiết.</description>"},
			pages:       map[string]string{"/bai/tin-mot.html": pngBody},
			wantFetched: map[string]int{"/bai/tin-mot.html": 1},
			wantSummary: map[string]string{"Tin một": "Xem chi tiết."},
		},
		{
			name: "a description the host's pages share is not a lead once seen twice", fullText: true,
			items: []string{"Tin một", "Tin hai", "Tin ba"},
			pages: map[string]string{
				"/bai/tin-mot.html": taglinePage("Sáng 5/7"),
				"/bai/tin-hai.html": taglinePage("Chiều 6/7"),
				"/bai/tin-ba.html":  taglinePage("Sáng 7/7"),
			},
			wantFetched: map[string]int{"/bai/tin-mot.html": 1, "/bai/tin-hai.html": 1, "/bai/tin-ba.html": 1},
			// The first page cannot know yet; the poller remembers for the others.
			wantSummary: map[string]string{"Tin một": tagline, "Tin hai": "Chiều 6/7, tỉnh", "Tin ba": "Sáng 7/7, tỉnh"},
		},
		{
			name: "at most MaxPages pages a poll", fullText: true, maxPages: 2,
			items: []string{"Tin một", "Tin hai", "Tin ba"},
			pages: map[string]string{
				"/bai/tin-mot.html": articlePage("Trang một có lead đủ dài để làm bản tin cho người đọc xem."),
				"/bai/tin-hai.html": articlePage("Trang hai có lead đủ dài để làm bản tin cho người đọc xem."),
				"/bai/tin-ba.html":  articlePage("Trang ba có lead đủ dài để làm bản tin cho người đọc xem."),
			},
			wantFetched: map[string]int{"/bai/tin-mot.html": 1, "/bai/tin-hai.html": 1, "/bai/tin-ba.html": 0},
			wantSummary: map[string]string{"Tin một": "Trang một", "Tin hai": "Trang hai", "Tin ba": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newStore(t)
			subscribe(t, st)
			srv := newFeedServer(t)
			p := newPoller(st, now)
			p.MaxPages = tt.maxPages
			p.Log = slog.New(slog.DiscardHandler) // failed pages are logged, and expected here
			feed := addFeed(t, st, srv.URL+"/rss", "")
			if err := st.SetFeedFullText(ctx, feed.ID, tt.fullText); err != nil {
				t.Fatal(err)
			}
			srv.set("/rss", titleOnlyRSS(now.Add(-time.Hour), "Tin cũ"))
			if _, err := p.Poll(ctx, reload(t, st, feed.ID)); err != nil {
				t.Fatal(err)
			}
			for path, body := range tt.pages {
				if body == "" {
					srv.fail(path, http.StatusNotFound)
				} else {
					srv.set(path, body)
				}
			}
			srv.set("/rss", titleOnlyRSS(now, tt.items...))
			res, err := p.Poll(ctx, reload(t, st, feed.ID))
			if err != nil {
				t.Fatalf("poll: %v", err)
			}
			if res.New != len(tt.items) {
				t.Errorf("result = %+v", res)
			}
			if f := reload(t, st, feed.ID); f.LastError != "" {
				t.Errorf("feed error recorded: %q", f.LastError)
			}
			for path, want := range tt.wantFetched {
				if hits, _ := srv.count(path); hits != want {
					t.Errorf("%s fetched %d times, want %d", path, hits, want)
				}
			}
			latest, err := st.Latest(ctx, "", 20)
			if err != nil {
				t.Fatal(err)
			}
			byTitle := map[string]storage.Article{}
			for _, a := range latest {
				byTitle[a.Title] = a
			}
			for title, want := range tt.wantSummary {
				a := byTitle[title]
				if (want == "" && a.Summary != "") || !strings.HasPrefix(a.Summary, want) {
					t.Errorf("%s: summary %q, want it to start with %q", title, a.Summary, want)
				}
			}
			for title, want := range tt.wantImage {
				if a := byTitle[title]; a.ImageURL != srv.URL+want {
					t.Errorf("%s: image %q, want %q", title, a.ImageURL, srv.URL+want)
				}
			}

			// The same items again, after a restart (a new Poller): no page
			// is fetched twice.
			before := map[string]int{}
			for path := range tt.pages {
				before[path], _ = srv.count(path)
			}
			srv.set("/rss", titleOnlyRSS(now, tt.items...)+" ")
			restarted := newPoller(st, now)
			restarted.MaxPages = tt.maxPages
			if _, err := restarted.Poll(ctx, reload(t, st, feed.ID)); err != nil {
				t.Fatal(err)
			}
			for path := range tt.pages {
				if hits, _ := srv.count(path); hits != before[path] {
					t.Errorf("%s fetched again on the next poll", path)
				}
			}
		})
	}
}

// A site's slogan as the meta description (issue 13): a page without a sapo
// whose description is the site's tagline must not open the alert, whether
// the body's later paragraphs happen to share its words or every page of
// the host carries it.
func TestExtractArticleRejectsSlogans(t *testing.T) {
	const slogan = "Tin Nhanh 24h - Tin tức 24h mới nhất, đọc báo online cập nhật tin nóng trong ngày"
	page := func(description, paras string) string {
		return `<!DOCTYPE html><html><head><meta name="description" content="` + description + `">` +
			`<meta property="og:description" content="` + description + `"></head><body>` +
			`<header><a href="/">Tin Nhanh 24h</a></header><article>` + paras + `</article></body></html>`
	}
	body := func(topic string) string {
		return `<p>` + topic + ` đã được các cơ quan chức năng của tỉnh kiểm tra, đánh giá kỹ lưỡng trong tuần qua, với sự tham gia của nhiều sở, ngành.</p>` +
			`<p>Theo báo cáo, kết quả bước đầu cho thấy nhiều chuyển biến tích cực, song vẫn còn những hạn chế cần khắc phục trong thời gian tới.</p>` +
			`<p>Lãnh đạo tỉnh yêu cầu các đơn vị tiếp tục rà soát, hoàn thiện kế hoạch và báo cáo kết quả trước ngày 30/9.</p>` +
			`<p>Các đơn vị cũng được đề nghị cập nhật thông tin mới nhất về tiến độ.</p>` +
			`<p>Bạn đọc có thể đọc báo online, theo dõi tin nóng, tin tức 24h trong ngày tại chuyên mục Tin nhanh.</p>`
	}
	const opening = "đã được các cơ quan chức năng của tỉnh kiểm tra"
	t.Run("words found only far down the body", func(t *testing.T) {
		got, err := extractArticle([]byte(page(slogan, body("Dự án đường nối"))), "text/html; charset=utf-8", "https://tinnhanh24h.example.vn/du-an.html", nil)
		if err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(got.text, "\n"); !strings.Contains(first, opening) {
			t.Errorf("lead = %q, want the article's first paragraph", first)
		}
	})
	t.Run("the same description on the host's other articles", func(t *testing.T) {
		var memory descriptionMemory
		// A tagline close enough to each article to pass the overlap check.
		const tagline = "Các cơ quan chức năng của tỉnh kiểm tra, đánh giá kết quả, kế hoạch trong tuần qua"
		lead := func(host, path string) string {
			t.Helper()
			got, err := extractArticle([]byte(page(tagline, body("Dự án "+path))), "text/html; charset=utf-8", "https://"+host+"/"+path+".html", &memory)
			if err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(got.text, "\n")
			return first
		}
		if got := lead("baotinh.example.vn", "mot"); got != tagline {
			t.Fatalf("first article: lead = %q; a description seen once is the article's own", got)
		}
		if got := lead("baotinh.example.vn", "mot"); got != tagline {
			t.Errorf("the same article again: lead = %q", got)
		}
		for _, path := range []string{"hai", "ba", "mot"} {
			if got := lead("baotinh.example.vn", path); got == tagline || !strings.Contains(got, opening) {
				t.Errorf("%s after another article with it: lead = %q, want the article's first paragraph", path, got)
			}
		}
		if got := lead("baokhac.example.vn", "bon"); got != tagline {
			t.Errorf("another host: lead = %q", got)
		}
	})
}

func TestDescriptionMemoryIsBounded(t *testing.T) {
	var m descriptionMemory
	for i := range descriptionHosts + 50 {
		host := fmt.Sprintf("h%d.example.vn", i)
		for j := range descriptionsByHost + 3 {
			m.seenElsewhere(host, fmt.Sprintf("/a%d", j), fmt.Sprintf("Mô tả riêng %d", j))
		}
	}
	if len(m.hosts) != descriptionHosts || m.order.Len() != descriptionHosts {
		t.Errorf("%d hosts (%d in order), want %d", len(m.hosts), m.order.Len(), descriptionHosts)
	}
	for _, el := range m.hosts {
		if n := len(el.Value.(*hostDescriptions).entries); n > descriptionsByHost {
			t.Fatalf("%d descriptions for one host", n)
		}
	}
	// A slogan that recurs stays remembered while other descriptions come and go.
	var s descriptionMemory
	s.seenElsewhere("x.vn", "/0", "Khẩu hiệu")
	for j := range 3 * descriptionsByHost {
		s.seenElsewhere("x.vn", fmt.Sprintf("/b%d", j), fmt.Sprintf("Mô tả %d", j))
		if j%4 == 0 && !s.seenElsewhere("x.vn", fmt.Sprintf("/c%d", j), "Khẩu hiệu") {
			t.Fatalf("slogan forgotten after %d other descriptions", j)
		}
	}
}
