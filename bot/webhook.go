package bot

import (
	"crypto/subtle"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxWebhookBody bounds an update pushed to a webhook.
const maxWebhookBody = 1 << 20

// ReadWebhook admits a platform's webhook request: a POST whose
// secretHeader matches secret (compared in constant time; an empty secret
// matches nothing), with a body of at most 1 MiB. It returns the body, or
// answers the request itself (405, 401, 413) and returns false, having
// processed nothing.
func ReadWebhook(w http.ResponseWriter, r *http.Request, secretHeader, secret string, log *slog.Logger) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return nil, false
	}
	got := r.Header.Get(secretHeader)
	if secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
		log.Warn("webhook request with a missing or wrong secret", slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr))
		// The body is never read: closing the connection spares the server
		// from draining whatever a stranger trickles in.
		w.Header().Set("Connection", "close")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return body, true
}

// Limits of the webhook listener. A webhook update is small and comes from
// the platform's servers, which keep few connections; a stranger who opens
// many and sends nothing (or a body one byte at a time) must not use up the
// bot's file descriptors or hold a connection for long.
const (
	webhookHeaderTimeout = 5 * time.Second  // a new connection's request headers
	webhookReadTimeout   = 10 * time.Second // a whole request, body included
	webhookWriteTimeout  = 30 * time.Second // longer than bot.HookWait: an update waits to be recorded before its answer
	webhookIdleTimeout   = 5 * time.Second  // a kept-alive connection between requests
	// MaxWebhookConns is the most connections the listener keeps open; past
	// it, the oldest connection that is not in the middle of a request is
	// closed to make room, so a real update is never locked out.
	MaxWebhookConns = 128
)

// NewWebhookServer returns an http.Server for the webhooks with read, write
// and idle timeouts, serving handler on ln with at most MaxWebhookConns
// connections open. Call Serve on the returned listener.
func NewWebhookServer(ln net.Listener, handler http.Handler) (*http.Server, net.Listener) {
	g := &connGuard{Listener: ln, max: MaxWebhookConns, conns: map[net.Conn]connInfo{}}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: webhookHeaderTimeout,
		ReadTimeout:       webhookReadTimeout,
		WriteTimeout:      webhookWriteTimeout,
		IdleTimeout:       webhookIdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ConnState:         g.track,
	}
	return srv, g
}

// connGuard caps a listener's open connections by closing the oldest idle
// one (no request under way) when a new one arrives over the cap.
type connGuard struct {
	net.Listener
	max   int
	mu    sync.Mutex
	conns map[net.Conn]connInfo
}

type connInfo struct {
	state http.ConnState
	since time.Time
}

// Accept takes the next connection, making room for it if needed.
func (g *connGuard) Accept() (net.Conn, error) {
	c, err := g.Listener.Accept()
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.conns) >= g.max {
		var oldest net.Conn
		var at time.Time
		for oc, info := range g.conns {
			if info.state == http.StateActive {
				continue
			}
			if oldest == nil || info.since.Before(at) {
				oldest, at = oc, info.since
			}
		}
		if oldest == nil {
			// Every connection is busy with a request: refuse this one, with
			// a connection that ends at once, so that the server's accept
			// loop goes on (an error would make it back off or stop).
			c.Close()
			return closedConn{}, nil
		}
		oldest.Close()
		delete(g.conns, oldest)
	}
	g.conns[c] = connInfo{state: http.StateNew, since: time.Now()}
	return c, nil
}

// track follows the server's view of each connection.
func (g *connGuard) track(c net.Conn, state http.ConnState) {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch state {
	case http.StateClosed, http.StateHijacked:
		delete(g.conns, c)
	default:
		if _, ok := g.conns[c]; ok {
			g.conns[c] = connInfo{state: state, since: time.Now()}
		}
	}
}

// closedConn is a connection that was refused: reads end at once.
type closedConn struct{ net.Conn }

func (closedConn) Read([]byte) (int, error)         { return 0, io.EOF }
func (closedConn) Write(p []byte) (int, error)      { return 0, net.ErrClosed }
func (closedConn) Close() error                     { return nil }
func (closedConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (closedConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (closedConn) SetDeadline(time.Time) error      { return nil }
func (closedConn) SetReadDeadline(time.Time) error  { return nil }
func (closedConn) SetWriteDeadline(time.Time) error { return nil }
