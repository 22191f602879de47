package feeds

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const pageWithFeeds = `<!doctype html><html><head>
<title>Báo Lào Cai</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Trang chủ" href="/rss/home.rss">
<link rel="alternate" type="application/rss+xml; charset=utf-8" title="Khoa giáo" href="rss/khoa-giao.rss">
<link rel="alternate" type="application/rss+xml" href="/rss/home.rss">
<link rel="alternate" type="application/atom+xml" title="Atom" href="https://other.example/atom.xml#top">
<link rel="alternate" hreflang="en" href="/en/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body>
<a href="/rss/not-announced.rss" rel="alternate" type="application/rss+xml">in the body</a>
<link rel="alternate" type="application/rss+xml" href="/rss/body.rss">
</body></html>`

func TestAlternates(t *testing.T) {
	got := Alternates([]byte(pageWithFeeds), "https://baolaocai.vn/tin/")
	want := []FeedLink{
		{URL: "https://baolaocai.vn/rss/home.rss", Title: "Trang chủ"},
		{URL: "https://baolaocai.vn/tin/rss/khoa-giao.rss", Title: "Khoa giáo"},
		{URL: "https://other.example/atom.xml", Title: "Atom"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Alternates =\n%+v\nwant\n%+v", got, want)
	}
	if got := Alternates([]byte(`<html><head><base href="https://cdn.example/x/"><link rel="ALTERNATE feed" type="Application/RSS+XML" href="a.rss"></head></html>`), "https://site.example/"); len(got) != 1 || got[0].URL != "https://cdn.example/x/a.rss" {
		t.Errorf("with <base> and upper case: %+v", got)
	}
	if got := Alternates([]byte(`<html><head><title>no feeds</title></head><body></body></html>`), "https://site.example/"); got != nil {
		t.Errorf("a page without feeds: %+v, want nil", got)
	}
}

func TestDiscoverOverHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(pageWithFeeds))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: true})
	links, err := Discover(context.Background(), f, srv.URL+"/page")
	if err != nil || len(links) != 3 || links[0].URL != srv.URL+"/rss/home.rss" {
		t.Fatalf("Discover = %+v, %v", links, err)
	}
	if _, err := Discover(context.Background(), NewFetcher(FetcherOptions{}), srv.URL+"/page"); !errors.Is(err, ErrPrivateAddress) {
		t.Errorf("a loopback page without allow_private: %v, want ErrPrivateAddress", err)
	}
}

// Reason names each failure a person may be told about; the status comes
// with ReasonStatus.
func TestReason(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/page":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte(pageWithFeeds))
		case "/slow":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		case "/big":
			w.Write([]byte("<rss>" + strings.Repeat("x", 4096) + "</rss>"))
		case "/nested":
			w.Write([]byte(`<?xml version="1.0"?><rss><channel>` + strings.Repeat("<a>", 300) + `</channel></rss>`))
		case "/broken":
			w.Write([]byte(`<?xml version="1.0"?><rss><channel><item><title>x`))
		default:
			http.Error(w, "File not found", http.StatusNotFound)
		}
	}))
	defer srv.Close()
	ctx := context.Background()
	allow := NewFetcher(FetcherOptions{AllowPrivate: true, Timeout: 300 * time.Millisecond, MaxBytes: 1024})
	probe := func(f *Fetcher, path string) error {
		p := &Poller{Fetcher: f}
		_, _, err := p.Probe(ctx, srv.URL+path)
		return err
	}
	cases := []struct {
		name   string
		err    error
		reason string
		status int
	}{
		{"html page", probe(allow, "/page"), ReasonNotFeed, 0},
		{"404", probe(allow, "/missing"), ReasonStatus, 404},
		{"private", probe(NewFetcher(FetcherOptions{}), "/page"), ReasonPrivate, 0},
		{"timeout", probe(allow, "/slow"), ReasonTimeout, 0},
		{"too large", probe(allow, "/big"), ReasonTooLarge, 0},
		{"too complex", probe(NewFetcher(FetcherOptions{AllowPrivate: true}), "/nested"), ReasonTooComplex, 0},
		{"broken", probe(allow, "/broken"), ReasonBroken, 0},
		{"invalid URL", func() error { _, err := allow.Fetch(ctx, "ftp://x.example/", "", ""); return err }(), ReasonInvalidURL, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reason, status := Reason(c.err)
			if reason != c.reason || status != c.status {
				t.Errorf("Reason(%v) = %q, %d; want %q, %d", c.err, reason, status, c.reason, c.status)
			}
		})
	}
}
