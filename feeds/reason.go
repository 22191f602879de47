package feeds

import (
	"context"
	"errors"
	"net"
	"strings"
)

// Reasons a fetch or a parse failed, as Reason names them: what a person is
// told in their language, the error itself going to the log.
const (
	ReasonNotFeed     = "not_feed"    // the address gave a web page or other document, not a feed
	ReasonPrivate     = "private"     // the host is on a private network and poll.allow_private_addresses is off
	ReasonStatus      = "status"      // the server answered with an error status (see the status)
	ReasonTimeout     = "timeout"     // the server took too long
	ReasonTooLarge    = "too_large"   // the document is over the size limit
	ReasonTooComplex  = "too_complex" // the document is nested too deep or has too many elements
	ReasonUnreachable = "unreachable" // no such host, connection refused, TLS failure, redirect loop
	ReasonInvalidURL  = "invalid_url" // not an http(s) URL with a host
	ReasonBroken      = "broken"      // a feed that does not parse
	ReasonOther       = "other"
)

// Reason classifies an error of Fetch, Probe, Parse or a scheduler's
// AddFeed into one of the Reason constants, with the HTTP status for
// ReasonStatus (0 otherwise).
func Reason(err error) (string, int) {
	var status *StatusError
	var netErr net.Error
	var dnsErr *net.DNSError
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	switch {
	case err == nil:
		return "", 0
	case errors.Is(err, ErrNotFeed):
		return ReasonNotFeed, 0
	case errors.Is(err, ErrPrivateAddress):
		return ReasonPrivate, 0
	case errors.As(err, &status):
		return ReasonStatus, status.Code
	case errors.Is(err, ErrTooComplex):
		return ReasonTooComplex, 0
	case strings.Contains(msg, "exceeds the limit"):
		return ReasonTooLarge, 0
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return ReasonTimeout, 0
	case strings.Contains(msg, "invalid URL") || strings.Contains(msg, "only http and https") || strings.Contains(msg, "URL has no host") ||
		strings.Contains(msg, "unusual form"):
		return ReasonInvalidURL, 0
	case errors.As(err, &dnsErr) || errors.As(err, &netErr) || strings.Contains(msg, "redirect") ||
		strings.Contains(msg, "connection refused") || strings.Contains(msg, "tls:") || strings.Contains(msg, "x509"):
		return ReasonUnreachable, 0
	case strings.Contains(msg, "feeds: parse"):
		return ReasonBroken, 0
	}
	return ReasonOther, 0
}
