// Package feeds knows the web: it fetches feeds (conditional GET, body cap,
// timeouts, a guard against reaching private addresses), parses them with
// gofeed, normalises links, turns feed HTML and article pages into clean
// text (Clean), splits Vietnamese sentences (SplitSentences), summarises
// articles (Summarizer), reading the article's page for full-text feeds, and
// polls feeds on their schedules into storage. It never sends a message.
package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults for FetcherOptions fields left zero.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxBytes  = 5 << 20
	DefaultUserAgent = "newsbot/1.0 (+https://github.com/newsbot)"
	maxRedirects     = 5
)

// ErrPrivateAddress is matched (with errors.Is) by the error a fetch returns
// when the feed's host, or a host it redirects to, resolves to a loopback,
// private, link-local or otherwise non-public address.
var ErrPrivateAddress = errors.New("feeds: address is private")

// FetcherOptions configures a Fetcher; zero fields take the defaults.
type FetcherOptions struct {
	Timeout      time.Duration // whole request, body included; DefaultTimeout if 0
	MaxBytes     int64         // largest body accepted (after decompression); DefaultMaxBytes if 0
	AllowPrivate bool          // allow loopback and private addresses (tests, intranet feeds)
	UserAgent    string        // DefaultUserAgent if ""
}

// Response is the outcome of a successful fetch.
type Response struct {
	Body         []byte // nil when NotModified
	ETag         string // validators to send next time
	LastModified string
	NotModified  bool   // the server answered 304
	URL          string // the final URL, after redirects
	ContentType  string // the Content-Type header, "" if none
}

// Fetcher makes conditional GET requests for feeds. It is safe for
// concurrent use.
type Fetcher struct {
	client    *http.Client
	maxBytes  int64
	userAgent string
}

// NewFetcher returns a Fetcher with its own connection pool. It does not use
// the environment's proxy settings: through a proxy the guard against
// private addresses would check the proxy, not the feed's host.
func NewFetcher(opts FetcherOptions) *Fetcher {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		// Checking the address being dialled, after DNS resolution, covers
		// redirects and DNS rebinding alike.
		dialer.Control = refusePrivate
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &Fetcher{
		client: &http.Client{
			Transport:     transport,
			Timeout:       opts.Timeout,
			CheckRedirect: checkRedirect,
		},
		maxBytes:  opts.MaxBytes,
		userAgent: opts.UserAgent,
	}
}

// Fetch gets rawURL, sending etag and lastModified (either may be "") as
// If-None-Match and If-Modified-Since. A 304 answer gives a Response with
// NotModified set and the validators to keep. Any status other than 2xx or
// 304, a body larger than the cap, and a non-http(s) URL are errors.
func (f *Fetcher) Fetch(ctx context.Context, rawURL, etag, lastModified string) (*Response, error) {
	return f.get(ctx, rawURL, etag, lastModified, feedAccept)
}

// Accept headers for feeds and for article pages.
const (
	feedAccept = "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
	pageAccept = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
)

// fetchPage gets an article page, unconditionally, with the same limits,
// timeout and address guard as a feed.
func (f *Fetcher) fetchPage(ctx context.Context, rawURL string) (*Response, error) {
	return f.get(ctx, rawURL, "", "", pageAccept)
}

func (f *Fetcher) get(ctx context.Context, rawURL, etag, lastModified, accept string) (*Response, error) {
	u, err := checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	shown := u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("feeds: fetch %s: %w", shown, err)
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", accept)
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}

	resp, err := f.client.Do(req)
	if err != nil {
		var perr *privateAddressError
		if errors.As(err, &perr) {
			return nil, perr
		}
		return nil, fmt.Errorf("feeds: fetch %s: %w", shown, unwrapURLError(err))
	}
	defer resp.Body.Close()

	out := &Response{
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		URL:          resp.Request.URL.String(),
		ContentType:  resp.Header.Get("Content-Type"),
	}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		// A 304 need not repeat the validators; keep the ones that matched.
		if out.ETag == "" {
			out.ETag = etag
		}
		if out.LastModified == "" {
			out.LastModified = lastModified
		}
		out.NotModified = true
		return out, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, fmt.Errorf("feeds: fetch %s: unexpected status %s", shown, resp.Status)
	}

	if resp.ContentLength > f.maxBytes {
		return nil, fmt.Errorf("feeds: fetch %s: body of %d bytes exceeds the limit of %d bytes", shown, resp.ContentLength, f.maxBytes)
	}
	// One byte more than the cap tells a body at the cap from one over it.
	// A known length is allocated once rather than by doubling.
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + 1)
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, f.maxBytes+1))
	body := buf.Bytes()
	if err != nil {
		return nil, fmt.Errorf("feeds: fetch %s: read body: %w", shown, unwrapURLError(err))
	}
	if int64(len(body)) > f.maxBytes {
		return nil, fmt.Errorf("feeds: fetch %s: body exceeds the limit of %d bytes", shown, f.maxBytes)
	}
	out.Body = body
	return out, nil
}

// checkURL parses rawURL and accepts only absolute http and https URLs.
func checkURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, fmt.Errorf("feeds: invalid URL %q", rawURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("feeds: %s: only http and https URLs can be fetched", u.Redacted())
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("feeds: %s: URL has no host", u.Redacted())
	}
	return u, nil
}

// redact hides the password of a URL meant for a message or a log.
func redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Redacted()
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to a %s URL refused", req.URL.Scheme)
	}
	return nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the method
// and the URL that the caller's message already names.
func unwrapURLError(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return uerr.Err
	}
	return err
}

// privateAddressError names the address a dial refused.
type privateAddressError struct {
	addr netip.Addr
}

func (e *privateAddressError) Error() string {
	return fmt.Sprintf("feeds: address %s is private; set poll.allow_private_addresses", e.addr)
}

func (e *privateAddressError) Is(target error) bool { return target == ErrPrivateAddress }

// refusePrivate is a net.Dialer Control function: it runs for every
// connection with the resolved address about to be dialled.
func refusePrivate(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("cannot check address %q: %w", address, err)
	}
	if addr := ap.Addr().Unmap(); !isPublic(addr) {
		return &privateAddressError{addr: addr}
	}
	return nil
}

// nonPublic lists special-purpose ranges that the netip predicates miss.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),          // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),      // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),       // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),       // documentation
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved
	netip.MustParsePrefix("255.255.255.255/32"), // broadcast
	netip.MustParsePrefix("::/96"),              // IPv4-compatible (deprecated)
	netip.MustParsePrefix("64:ff9b::/96"),       // NAT64: can reach private IPv4
	netip.MustParsePrefix("64:ff9b:1::/48"),     // local-use NAT64
	netip.MustParsePrefix("100::/64"),           // discard-only
	netip.MustParsePrefix("2001::/32"),          // Teredo
	netip.MustParsePrefix("2001:db8::/32"),      // documentation
	netip.MustParsePrefix("2002::/16"),          // 6to4: can embed a private IPv4
	netip.MustParsePrefix("fec0::/10"),          // site-local (deprecated)
}

// isPublic reports whether addr is a globally routable unicast address.
func isPublic(addr netip.Addr) bool {
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsUnspecified() ||
		addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}
