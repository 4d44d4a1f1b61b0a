package http

import (
	"context"
	"net/http"
	"time"
)

// healthz answers while the process is up; it checks nothing else.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n")) //nolint:errcheck // the client went away
}

// readyz answers 200 when Postgres is reachable and its schema is current, 503 otherwise,
// with the reason in the body.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.deps.Readiness.Ready(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready: " + err.Error() + "\n")) //nolint:errcheck // the client went away
		return
	}
	w.Write([]byte("ready\n")) //nolint:errcheck // the client went away
}

// favicon sends browsers that ask for /favicon.ico (on pages without a link, such as
// /readyz) to the hashed icon.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, s.deps.Assets.Path("img/favicon.svg"), http.StatusMovedPermanently)
}
