package feeds

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func testFetcher(opts FetcherOptions) *Fetcher {
	opts.AllowPrivate = true // httptest listens on loopback
	return NewFetcher(opts)
}

func TestFetchConditionalGET(t *testing.T) {
	const etag = `"v1"`
	const lastMod = "Sat, 22 Aug 2026 16:00:00 GMT"
	type seen struct{ inm, ims, ua string }
	requests := make(chan seen, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests <- seen{r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since"), r.Header.Get("User-Agent")}
		if r.Header.Get("If-None-Match") == etag || r.Header.Get("If-Modified-Since") == lastMod {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, "<rss/>")
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{})
	ctx := context.Background()

	first, err := f.Fetch(ctx, srv.URL+"/rss", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if first.NotModified || string(first.Body) != "<rss/>" || first.ETag != etag || first.LastModified != lastMod || first.URL != srv.URL+"/rss" {
		t.Fatalf("first fetch = %+v", first)
	}
	if got := <-requests; got != (seen{"", "", DefaultUserAgent}) {
		t.Errorf("first request headers = %+v", got)
	}

	tests := []struct {
		name          string
		etag, lastMod string
	}{
		{"ETag", first.ETag, ""},
		{"Last-Modified", "", first.LastModified},
		{"both", first.ETag, first.LastModified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			again, err := f.Fetch(ctx, srv.URL+"/rss", tt.etag, tt.lastMod)
			if err != nil {
				t.Fatal(err)
			}
			if got := <-requests; got.inm != tt.etag || got.ims != tt.lastMod {
				t.Errorf("sent If-None-Match %q If-Modified-Since %q", got.inm, got.ims)
			}
			if !again.NotModified || again.Body != nil {
				t.Errorf("want 304, got %+v", again)
			}
			// A 304 without validators keeps the ones that matched.
			if again.ETag != tt.etag || again.LastModified != tt.lastMod {
				t.Errorf("validators %q %q, want %q %q", again.ETag, again.LastModified, tt.etag, tt.lastMod)
			}
		})
	}
}

func TestFetchUserAgentOption(t *testing.T) {
	ua := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ua <- r.Header.Get("User-Agent")
	}))
	defer srv.Close()
	if _, err := testFetcher(FetcherOptions{UserAgent: "test/2"}).Fetch(context.Background(), srv.URL, "", ""); err != nil {
		t.Fatal(err)
	}
	if got := <-ua; got != "test/2" {
		t.Errorf("User-Agent = %q", got)
	}
}

func TestFetchBodyCap(t *testing.T) {
	const limit = 1000
	gzipped := func(n int) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(bytes.Repeat([]byte("a"), n))
		zw.Close()
		return b.Bytes()
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr bool
	}{
		{"at the limit", func(w http.ResponseWriter, r *http.Request) {
			w.Write(bytes.Repeat([]byte("a"), limit))
		}, false},
		{"over, with Content-Length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(limit+1))
			w.Write(bytes.Repeat([]byte("a"), limit+1))
		}, true},
		{"over, chunked", func(w http.ResponseWriter, r *http.Request) {
			for range 3 {
				w.Write(bytes.Repeat([]byte("a"), limit/2+1))
				w.(http.Flusher).Flush()
			}
		}, true},
		{"small gzip that inflates over", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzipped(100 * limit))
		}, true},
		{"small gzip under", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzipped(limit / 2))
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			resp, err := testFetcher(FetcherOptions{MaxBytes: limit}).Fetch(context.Background(), srv.URL, "", "")
			if tt.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), "feeds: ") || !strings.Contains(err.Error(), "exceeds the limit of 1000 bytes") {
					t.Fatalf("err = %v, want a body-too-large error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Body) > limit || len(resp.Body) == 0 {
				t.Errorf("body of %d bytes", len(resp.Body))
			}
		})
	}
}

func TestFetchStatusErrors(t *testing.T) {
	tests := []struct {
		status int
		want   string
	}{
		{http.StatusNotFound, "unexpected status 404 Not Found"},
		{http.StatusGone, "unexpected status 410 Gone"},
		{http.StatusInternalServerError, "unexpected status 500 Internal Server Error"},
		{http.StatusTooManyRequests, "unexpected status 429 Too Many Requests"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, "server secret page body")
			}))
			defer srv.Close()
			u := strings.Replace(srv.URL, "http://", "http://user:hunter2@", 1) + "/rss"
			_, err := testFetcher(FetcherOptions{}).Fetch(context.Background(), u, "", "")
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "feeds: fetch http://user:xxxxx@") || !strings.Contains(msg, tt.want) {
				t.Errorf("err = %q", msg)
			}
			if strings.Contains(msg, "hunter2") || strings.Contains(msg, "secret page") {
				t.Errorf("err leaks: %q", msg)
			}
		})
	}
}

func TestFetchRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/hop/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/hop/"), "%d", &n)
		if n == 0 {
			fmt.Fprint(w, "<rss/>")
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := testFetcher(FetcherOptions{})

	tests := []struct {
		path, wantURL, wantErr string
	}{
		{"/hop/1", srv.URL + "/hop/0", ""},
		{"/hop/5", srv.URL + "/hop/0", ""},
		{"/hop/6", "", "stopped after 5 redirects"},
		{"/to-file", "", "redirect to a file URL refused"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := f.Fetch(context.Background(), srv.URL+tt.path, "", "")
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), "feeds: ") || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.URL != tt.wantURL {
				t.Errorf("final URL = %q, want %q", resp.URL, tt.wantURL)
			}
		})
	}
}

func TestFetchRefusesPrivateAddresses(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{AllowPrivate: false})
	_, err := f.Fetch(context.Background(), srv.URL+"/rss", "", "")
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("err = %v, want ErrPrivateAddress", err)
	}
	if want := "feeds: address 127.0.0.1 is private; set poll.allow_private_addresses"; err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("server was reached %d times", n)
	}
}

// The dialer's Control check sees the address actually dialled, so it also
// covers hosts that resolve (or are redirected) to private addresses.
func TestRefusePrivate(t *testing.T) {
	tests := []struct {
		addr   string
		public bool
	}{
		{"127.0.0.1:80", false},
		{"127.8.9.10:80", false},
		{"[::1]:443", false},
		{"10.1.2.3:80", false},
		{"172.16.0.1:80", false},
		{"192.168.1.1:80", false},
		{"169.254.169.254:80", false}, // cloud metadata
		{"[fe80::1]:80", false},
		{"[fc00::1]:80", false},
		{"[fd12:3456::1]:80", false},
		{"0.0.0.0:80", false},
		{"[::]:80", false},
		{"224.0.0.1:80", false},
		{"[ff02::1]:80", false},
		{"100.64.0.1:80", false},
		{"255.255.255.255:80", false},
		{"[::ffff:127.0.0.1]:80", false},
		{"[::ffff:10.0.0.1]:80", false},
		{"[64:ff9b::a00:1]:80", false},
		{"[2002:a00:1::1]:80", false},
		{"8.8.8.8:443", true},
		{"113.160.1.1:443", true},
		{"[2001:4860:4860::8888]:443", true},
		{"[::ffff:8.8.8.8]:443", false}, // the whole IPv4-mapped range
		{"192.88.99.1:80", false},       // 6to4 relay anycast
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := refusePrivate("tcp", tt.addr, nil)
			if tt.public && err != nil {
				t.Errorf("refused a public address: %v", err)
			}
			if !tt.public && !errors.Is(err, ErrPrivateAddress) {
				t.Errorf("err = %v, want ErrPrivateAddress", err)
			}
		})
	}
}

func TestFetchRefusesOtherSchemes(t *testing.T) {
	f := NewFetcher(FetcherOptions{})
	for _, u := range []string{"file:///etc/passwd", "ftp://example.vn/rss", "gopher://example.vn", "", "http://", "/rss", "javascript:alert(1)"} {
		_, err := f.Fetch(context.Background(), u, "", "")
		if err == nil || !strings.HasPrefix(err.Error(), "feeds: ") {
			t.Errorf("Fetch(%q) err = %v, want a feeds: error", u, err)
		}
	}
}

func TestFetchTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)

	t.Run("timeout", func(t *testing.T) {
		_, err := testFetcher(FetcherOptions{Timeout: 50 * time.Millisecond}).Fetch(context.Background(), srv.URL, "", "")
		if err == nil || !strings.HasPrefix(err.Error(), "feeds: fetch ") {
			t.Fatalf("err = %v, want a timeout", err)
		}
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := testFetcher(FetcherOptions{}).Fetch(ctx, srv.URL, "", "")
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

// Numeric spellings of an IP address are refused as private addresses
// before any DNS lookup (which would call them unknown hosts).
func TestFetchNumericHostSpellings(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	f := NewFetcher(FetcherOptions{Timeout: 2 * time.Second})
	for _, host := range []string{"2130706433", "0x7f.1", "0x7F000001", "017700000001", "127.1", "127.0.1", "0", "10.0x10.1",
		"[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:8.8.8.8]", "169.254.169.254", "192.88.99.1", "0xa9fea9fe"} {
		t.Run(host, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), "http://"+host+"/rss", "", "")
			if !errors.Is(err, ErrPrivateAddress) || !strings.Contains(err.Error(), "private") {
				t.Errorf("err = %v, want a private address error", err)
			}
		})
	}
	// A public address in an odd spelling gets its usual form named.
	_, err := f.Fetch(context.Background(), "http://134744072/rss", "", "")
	if err == nil || !strings.Contains(err.Error(), "8.8.8.8") {
		t.Errorf("err = %v, want one naming 8.8.8.8", err)
	}
	// Not numeric: a name, left to DNS (and the dial check).
	for _, host := range []string{"1.example", "0x7f.example", "256.1.1.1.1"} {
		if a, ok := numericIPv4(host); ok {
			t.Errorf("numericIPv4(%q) = %v", host, a)
		}
	}
	// A redirect to one is refused the same way.
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://2130706433:"+strings.Split(srv.URL, ":")[2]+"/rss", http.StatusFound)
	}))
	defer redir.Close()
	var redirected atomic.Int32
	redir.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		redirected.Add(1)
		http.Redirect(w, r, "http://2130706433:"+strings.Split(srv.URL, ":")[2]+"/rss", http.StatusFound)
	})
	byName := strings.Replace(redir.URL, "127.0.0.1", "localhost", 1)
	_, err = testFetcherNoPrivateDial().Fetch(context.Background(), byName+"/x", "", "")
	if !errors.Is(err, ErrPrivateAddress) || redirected.Load() != 1 {
		t.Errorf("redirect: err = %v after %d redirects, want ErrPrivateAddress after 1", err, redirected.Load())
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the private server was reached %d times", n)
	}
}

// testFetcherNoPrivateDial refuses private hosts by name and spelling but,
// unlike a production fetcher, may dial the loopback test server first.
func testFetcherNoPrivateDial() *Fetcher {
	f := NewFetcher(FetcherOptions{AllowPrivate: true, Timeout: 2 * time.Second})
	f.allowPrivate = false
	return f
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 8, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"3600", time.Hour},
		{" 120 ", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"", 0},
		{"soon", 0},
		{"99999999999", maxRetryAfter},
		{now.Add(30 * time.Minute).Format(http.TimeFormat), 30 * time.Minute},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestFetchRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		if r.URL.Path == "/busy" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	f := testFetcher(FetcherOptions{})
	for path, want := range map[string]time.Duration{"/busy": time.Hour, "/broken": 0} {
		_, err := f.Fetch(context.Background(), srv.URL+path, "", "")
		var serr *StatusError
		if !errors.As(err, &serr) || serr.RetryAfter != want {
			t.Errorf("%s: err = %v, want a StatusError asking for %v", path, err, want)
		}
	}
}
