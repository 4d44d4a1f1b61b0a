package http

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// metrics serves Prometheus metrics, to scrapers presenting the configured bearer token
// when there is one. Scrapers do not sign in, so this route is outside the session policy.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.deps.Metrics == nil {
		http.NotFound(w, r)
		return
	}
	if tok := s.deps.MetricsToken; tok != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="lagboard metrics"`)
			http.Error(w, "metrics need a bearer token", http.StatusUnauthorized)
			return
		}
	}
	s.deps.Metrics.ServeHTTP(w, r)
}
