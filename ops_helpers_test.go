package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// httptestServer serves h under /healthz on a test server and returns its URL.
func httptestServer(t *testing.T, h http.Handler) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}
