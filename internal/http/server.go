// Package http serves Lagboard's pages, fragments and health endpoints. Handlers return an
// error; one adapter turns errors into a status and an error page.
package http

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/a-h/templ"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/apitoken"
	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/freeze"
	"github.com/lagboard/lagboard/internal/inspect"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
	"github.com/lagboard/lagboard/static"
)

// Readiness reports whether the server can do its work; /readyz calls it.
type Readiness interface {
	Ready(ctx context.Context) error
}

// Deps are the server's collaborators, passed in by run.
type Deps struct {
	Logger    *slog.Logger
	Assets    *static.Assets
	Readiness Readiness
	Version   string
	// Auth signs people in and decides what each route lets them do.
	Auth *auth.Service
	// Metrics serves Prometheus metrics; MetricsToken, when set, is the bearer token a
	// scraper must present.
	Metrics      http.Handler
	MetricsToken string
	// Store is where the dashboard pages read what the pollers stored.
	Store storage.DBTX
	// Audit is where audit exports read, each in a snapshot transaction of its own; when
	// nil, Store is used if it can begin transactions (a pool can).
	Audit AuditStore
	// Watched are the configured clusters, in order, with their poll intervals.
	Watched []WatchedCluster
	// Resets runs the offset reset workflow; Trail says who acts and from where for the
	// audit entries it writes.
	Resets *reset.Service
	Trail  *audit.Recorder
	// Messages reads single messages from the brokers (blocked-on, dead letters); nil
	// turns those parts of the group page off.
	Messages *inspect.Service
	// Tokens issues and checks the JSON API's bearer tokens; nil turns tokens off (the
	// API then answers sessions only).
	Tokens *apitoken.Service
	// Alerts changes alert rules and silences and acknowledges alerts; the alert routes
	// answer 503 without it. AlertRepeat is the configured default repeat interval, which
	// the rule form mentions.
	Alerts      *alert.Service
	AlertRepeat time.Duration
	// Freezes keeps the change-freeze windows, during which resets are not executed.
	Freezes *freeze.Service
}

// Server is Lagboard's HTTP handler.
type Server struct {
	deps    Deps
	handler http.Handler
	// pages keeps the dashboard pages' data for a moment (pagecache.go).
	pages pageCache
}

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// New builds the router with every route of routes.go.
func New(deps Deps) *Server {
	s := &Server{deps: deps}
	r := chi.NewRouter()
	r.Use(middleware.RequestID, s.recoverer, s.accessLog, s.securityHeaders)
	r.NotFound(s.handle(func(w http.ResponseWriter, r *http.Request) error { return errNoPage(r) }))
	r.MethodNotAllowed(s.handle(s.methodNotAllowed(r)))
	// Each route is guarded in this order: cross-origin protection refuses forged
	// state-changing requests, edge refuses text that cannot be stored, protect checks the
	// permission. Being inside the router, they let chi answer 404 and 405 first. HEAD
	// is served wherever GET is, by the same handler with the same permission; the
	// server sends no body with it.
	cop := http.NewCrossOriginProtection()
	for _, rt := range s.routes() {
		h := cop.Handler(s.edge(s.protect(rt)))
		r.Method(rt.method, rt.pattern, h)
		if rt.method == http.MethodGet {
			r.Method(http.MethodHead, rt.pattern, h)
		}
	}
	s.handler = r
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// chrome returns what every page needs.
func (s *Server) chrome(section string) views.Chrome {
	return views.Chrome{Asset: s.deps.Assets.Path, Section: section, Version: s.deps.Version}
}

// handle adapts a handlerFunc: errors become a status and an error page (or a short text
// for htmx requests, which swap nothing on error statuses).
func (s *Server) handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		code := errcode.Code(err)
		status := statusOf(code)
		if code == errcode.Internal {
			s.deps.Logger.ErrorContext(r.Context(), "request failed",
				"method", r.Method, "path", r.URL.Path, "request_id", middleware.GetReqID(r.Context()), "err", err)
		}
		msg := errcode.Message(err)
		if isAPI(r) {
			writeAPIError(w, status, code, msg)
			return
		}
		if isHTMX(r) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(status)
			w.Write([]byte(msg)) //nolint:errcheck // the client went away
			return
		}
		s.render(w, r, status, views.ErrorPage(s.chrome(""), status, titleOf(status), msg))
	}
}

// render writes a component with a status; a render failure is logged (headers are gone).
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := c.Render(r.Context(), w); err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "render failed", "path", r.URL.Path, "err", err)
	}
}

var statuses = map[string]int{
	errcode.Invalid:      http.StatusBadRequest,
	errcode.TooLarge:     http.StatusRequestEntityTooLarge,
	errcode.NotFound:     http.StatusNotFound,
	errcode.NotAllowed:   http.StatusMethodNotAllowed,
	errcode.Conflict:     http.StatusConflict,
	errcode.Unauthorized: http.StatusUnauthorized,
	errcode.Forbidden:    http.StatusForbidden,
	errcode.Unavailable:  http.StatusServiceUnavailable,
	errcode.Internal:     http.StatusInternalServerError,
}

func statusOf(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func titleOf(status int) string {
	switch status {
	case http.StatusNotFound:
		return "Not found"
	case http.StatusForbidden:
		return "No access"
	default:
		return http.StatusText(status)
	}
}

// isHTMX reports whether the request came from htmx and wants a fragment.
func isHTMX(r *http.Request) bool {
	return r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-History-Restore-Request") != "true"
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.deps.Logger.ErrorContext(r.Context(), "panic", "path", r.URL.Path, "panic", v,
					"request_id", middleware.GetReqID(r.Context()))
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		s.deps.Logger.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
			"status", ww.Status(), "bytes", ww.BytesWritten(), "duration_ms", time.Since(start).Milliseconds(),
			"request_id", middleware.GetReqID(r.Context()))
	})
}

// securityHeaders sets a strict content security policy: every script and style is ours.
// Forms post to us, and to the OpenID provider only through the redirects of sign-out
// (browsers check form-action on every redirect that follows a form).
func (s *Server) securityHeaders(next http.Handler) http.Handler {
	csp := "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
	if s.deps.Auth != nil {
		csp += s.deps.Auth.FormActionSources()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
