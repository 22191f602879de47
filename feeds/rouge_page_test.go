package feeds

import (
	"fmt"
	"html"
	"strings"
	"testing"
)

// evalPage renders an evaluation article as a news site would serve it
// behind a title-only feed: the site's slogan as its meta description,
// navigation, the article one paragraph a line, related links and a
// footer.
func evalPage(a evalArticle) string {
	var b strings.Builder
	title := html.EscapeString(a.Title)
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>` + title + ` - Báo Tin Nhanh</title>`)
	b.WriteString(`<meta name="description" content="Tin Nhanh 24h - Tin tức 24h mới nhất, đọc báo online cập nhật tin nóng"></head><body>`)
	b.WriteString(`<header><nav><ul><li><a href="/">Trang chủ</a></li><li><a href="/thoi-su">Thời sự</a></li><li><a href="/the-gioi">Thế giới</a></li></ul></nav></header>`)
	b.WriteString(`<main><article><h1>` + title + `</h1><div class="content">`)
	for line := range strings.SplitSeq(a.Body, "\n") {
		b.WriteString("<p>" + html.EscapeString(line) + "</p>")
	}
	b.WriteString(`</div></article><aside><h3>Tin liên quan</h3><ul><li><a href="/a">Giá vàng hôm nay tăng mạnh</a></li>`)
	b.WriteString(`<li><a href="/b">Thời tiết ngày mai</a></li></ul></aside></main><footer>© Báo Tin Nhanh. Giấy phép số 123/GP-BTTTT</footer></body></html>`)
	return b.String()
}

// What the acceptance check measures runs through article pages, not
// through the evaluation set's text: on the dev split served as pages, the
// summaries are those of the text itself (the same ROUGE), and none carries
// the page's chrome or the site's slogan.
func TestRougeThroughPages(t *testing.T) {
	arts := loadEval(t, "vi-summaries-dev.jsonl")
	var memory descriptionMemory // one site: its slogan is seen on every page
	direct := evaluate(arts, summarizer)
	i := 0
	pages := evaluate(arts, func(a evalArticle) string {
		i++
		art, err := extractArticle([]byte(evalPage(a)), "text/html; charset=utf-8", fmt.Sprintf("https://tinnhanh.example/bai-%d.html", i), &memory)
		if err != nil {
			t.Errorf("%s: %v", a.ID, err)
			return ""
		}
		got := Summarizer{}.Summarize(a.Title, art.text)
		for _, chrome := range []string{"Trang chủ", "Tin liên quan", "Giấy phép", "Tin Nhanh 24h", "Giá vàng hôm nay"} {
			if strings.Contains(got, chrome) && !strings.Contains(a.Body, chrome) {
				t.Errorf("%s: the summary carries the page's %q: %q", a.ID, chrome, got)
			}
		}
		return got
	})
	t.Logf("dev as text:  %v", direct)
	t.Logf("dev as pages: %v", pages)
	if pages.R1 < direct.R1-0.002 || pages.R2 < direct.R2-0.002 {
		t.Errorf("served as pages the summaries lose ROUGE: %v, against %v on the text", pages, direct)
	}
}
