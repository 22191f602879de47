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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults for FetcherOptions fields left zero.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxBytes  = 5 << 20
	DefaultUserAgent = "github.com/newsbot-vn/newsbot/1.0 (+https://github.com/newsbot)"
	maxRedirects     = 5
	// maxRetryAfter bounds what a server's Retry-After can ask for.
	maxRetryAfter = 24 * time.Hour
	// Idle keep-alive connections kept to one host: as many as the polls
	// of one host running at once (the scheduler's per-host limit, 2 by
	// default, and DefaultWorkers when one host has all the feeds), so
	// none is closed between polls; 2 closed half of them at every cycle.
	// Few, and few in all: each idle connection holds two goroutines and
	// buffers until the server or IdleConnTimeout closes it (16 per host
	// made the soak test's goroutines grow), and a bot polling thousands
	// of hosts every ten minutes could not reuse them anyway (servers
	// close idle connections after a minute or so).
	maxIdleConns        = 20
	maxIdleConnsPerHost = 4
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

	buf *bytes.Buffer // Body's storage, from bodyPool
}

// bodyPool holds the buffers bodies are read into: a poll cycle reads
// thousands of bodies of tens of kilobytes, and growing a fresh buffer for
// each (most come chunked, without a length) was most of the cost of a
// feed that answers 200 with an unchanged body.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody is the largest buffer kept for reuse; a rare huge body is
// left to the garbage collector rather than held.
const maxPooledBody = 1 << 20

// release gives the body's buffer back for reuse; Body must not be used
// afterwards. A Response that is not released is collected as usual.
func (r *Response) release() {
	if r == nil || r.buf == nil {
		return
	}
	if r.buf.Cap() <= maxPooledBody {
		bodyPool.Put(r.buf)
	}
	r.buf, r.Body = nil, nil
}

// StatusError is the error of a fetch answered with a status other than
// 2xx or 304.
type StatusError struct {
	URL        string // redacted
	Code       int
	Status     string
	RetryAfter time.Duration // what Retry-After asked for on a 429 or 503; 0 if nothing
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("feeds: fetch %s: unexpected status %s", e.URL, e.Status)
	if e.RetryAfter > 0 {
		msg += fmt.Sprintf(" (retry after %v)", e.RetryAfter)
	}
	return msg
}

// Fetcher makes conditional GET requests for feeds. It is safe for
// concurrent use.
type Fetcher struct {
	client       *http.Client
	maxBytes     int64
	userAgent    string
	allowPrivate bool
	now          func() time.Time // for Retry-After dates
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
		Proxy:             nil,
		DialContext:       dialer.DialContext,
		ForceAttemptHTTP2: true,
		// Keep-alive connections are reused across polls and cycles: an
		// outlet serves several section feeds from one host, polled by
		// several workers at once; with too few idle slots per host every
		// poll beyond them closes its connection and the next one dials
		// (and shakes TLS hands) again. The total bounds memory when
		// thousands of hosts are polled.
		MaxIdleConns:          maxIdleConns,
		MaxIdleConnsPerHost:   maxIdleConnsPerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	f := &Fetcher{
		maxBytes:     opts.MaxBytes,
		userAgent:    opts.UserAgent,
		allowPrivate: opts.AllowPrivate,
		now:          time.Now,
	}
	f.client = &http.Client{
		Transport:     transport,
		Timeout:       opts.Timeout,
		CheckRedirect: f.checkRedirect,
	}
	return f
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
	if err := f.checkHost(u); err != nil {
		return nil, err
	}
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
		serr := &StatusError{URL: shown, Code: resp.StatusCode, Status: resp.Status}
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			serr.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), f.now())
		}
		return nil, serr
	}

	if resp.ContentLength > f.maxBytes {
		return nil, fmt.Errorf("feeds: fetch %s: body of %d bytes exceeds the limit of %d bytes", shown, resp.ContentLength, f.maxBytes)
	}
	// One byte more than the cap tells a body at the cap from one over it.
	// A known length is allocated once rather than by doubling.
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	out.buf = buf
	if resp.ContentLength > 0 {
		buf.Grow(int(resp.ContentLength) + 1)
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, f.maxBytes+1))
	out.Body = buf.Bytes()
	if err != nil {
		out.release()
		return nil, fmt.Errorf("feeds: fetch %s: read body: %w", shown, unwrapURLError(err))
	}
	if int64(len(out.Body)) > f.maxBytes {
		out.release()
		return nil, fmt.Errorf("feeds: fetch %s: body exceeds the limit of %d bytes", shown, f.maxBytes)
	}
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

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return fmt.Errorf("redirect to a %s URL refused", req.URL.Scheme)
	}
	return f.checkHost(req.URL)
}

// checkHost refuses, before any lookup, a host that is an IP address in a
// non-public range, however it is spelled: "[::ffff:127.0.0.1]", or the
// decimal, octal, hexadecimal and short forms ("2130706433", "0x7f.1",
// "017700000001", "127.1") that a resolver would otherwise send to DNS
// and report as an unknown host. A public address in such a spelling is
// refused too, naming its usual form.
func (f *Fetcher) checkHost(u *url.URL) error {
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if !f.allowPrivate && (!isPublic(addr.Unmap()) || addr.Is4In6()) {
			return &privateAddressError{addr: addr}
		}
		return nil
	}
	addr, ok := numericIPv4(host)
	if !ok {
		return nil
	}
	if !f.allowPrivate && !isPublic(addr) {
		return &privateAddressError{addr: addr}
	}
	return fmt.Errorf("feeds: host %q is the address %s written in an unusual form; write it as %s", host, addr, addr)
}

// numericIPv4 reads host as the inet_aton forms of an IPv4 address: one to
// four parts, each decimal, octal (leading 0) or hexadecimal (0x), the last
// filling the bytes left. ok is false when host is not such a spelling.
func numericIPv4(host string) (netip.Addr, bool) {
	host = strings.TrimSuffix(host, ".")
	parts := strings.Split(host, ".")
	if host == "" || len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		base := 10
		switch {
		case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
			p, base = p[2:], 16
		case len(p) > 1 && p[0] == '0':
			p, base = p[1:], 8
		}
		v, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (8 * (3 - i))
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return netip.Addr{}, false
	}
	n |= last
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// parseRetryAfter reads a Retry-After header: seconds, or an HTTP date.
// It returns 0 for a missing, malformed or past value.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
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
	// An IPv4-mapped IPv6 address is refused as a whole range: real IPv4
	// peers reach here in dotted form, so one is a resolver's trick.
	if addr := ap.Addr(); addr.Is4In6() {
		return &privateAddressError{addr: addr}
	} else if !isPublic(addr) {
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
	netip.MustParsePrefix("192.88.99.0/24"),     // 6to4 relay anycast (deprecated)
	netip.MustParsePrefix("198.18.0.0/15"),      // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"),    // documentation
	netip.MustParsePrefix("203.0.113.0/24"),     // documentation
	netip.MustParsePrefix("240.0.0.0/4"),        // reserved
	netip.MustParsePrefix("255.255.255.255/32"), // broadcast
	netip.MustParsePrefix("::/96"),              // IPv4-compatible (deprecated)
	netip.MustParsePrefix("::ffff:0:0/96"),      // IPv4-mapped: the IPv4 address is checked itself
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
