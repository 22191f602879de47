package bot

import (
	"crypto/subtle"
	"io"
	"log/slog"
	"net/http"
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
