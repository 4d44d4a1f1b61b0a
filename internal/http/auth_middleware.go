package http

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/views"
)

// errNoAccess is the one answer to every refused request, whatever the reason: the reason
// goes to the DenialRecorder, never to the client.
var errNoAccess = errcode.Errorf(errcode.Forbidden, "You do not have access to this page. If you need it, ask a Lagboard administrator.")

// withSession loads and saves the session around h, for the public sign-in routes.
func (s *Server) withSession(h http.Handler) http.Handler {
	return s.deps.Auth.Sessions().LoadAndSave(withAuditRequest(h))
}

// withAuditRequest gives the audit trail the request's origin: where it came from, the
// client it names and its request id.
func withAuditRequest(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := audit.WithRequest(r.Context(), audit.Request{RemoteAddr: r.RemoteAddr, ForwardedFor: strings.Join(r.Header.Values("X-Forwarded-For"), ","),
			UserAgent: r.UserAgent(), RequestID: middleware.GetReqID(r.Context())})
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// protect enforces the route's permission on every request, full pages, htmx fragments and
// downloads alike. Public routes pass through untouched. Anyone else is loaded from the
// session; someone not signed in is sent to sign in, and a signed-in user without the
// permission gets the same 403 whatever the reason. The scope comes from the route's
// {cluster} and {group} parameters.
//
// What these routes answer depends on who asks, so no cache, a browser's or a proxy's,
// may keep it: every answer is no-store (the session manager adds no-cache="Set-Cookie"
// when it sets the cookie, which no-store overrides).
func (s *Server) protect(rt route) http.Handler {
	if rt.perm == auth.Public {
		return rt.handler
	}
	if strings.HasPrefix(rt.pattern, apiPrefix) {
		return s.protectAPI(rt)
	}
	check := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		a := s.deps.Auth
		p, err := a.Principal(r.Context())
		if err != nil {
			s.handle(func(http.ResponseWriter, *http.Request) error { return err })(w, r)
			return
		}
		scope := auth.Scope{Cluster: chi.URLParam(r, "cluster"), Group: chi.URLParam(r, "group")}
		var d auth.Decision
		switch {
		case rt.perm == auth.SignedIn:
			d = auth.Decision{Allowed: p.SignedIn(), Reason: "not signed in"}
		case !rt.perm.Grantable():
			d = auth.Decision{Reason: fmt.Sprintf("the route %s %s declares no known permission (%q)", rt.method, rt.pattern, rt.perm)}
		default:
			d = a.Decide(p, rt.perm, scope)
		}
		may := func(perms ...auth.Permission) bool {
			for _, perm := range perms {
				if a.Decide(p, perm, auth.Scope{}).Allowed {
					return true
				}
			}
			return false
		}
		ctx := views.WithViewer(r.Context(), views.Viewer{Name: p.DisplayName(), Anonymous: !p.SignedIn(), CanSignIn: a.SignInEnabled(),
			Resets: may(auth.PermRequestReset, auth.PermApproveReset, auth.PermExecuteReset, auth.PermViewAudit),
			Audit:  a.VisibilityOf(p, auth.PermViewAudit).Everywhere()})
		r = r.WithContext(ctx)
		if !d.Allowed {
			if !p.SignedIn() && a.SignInEnabled() {
				s.needSignIn(w, r)
				return
			}
			denial := auth.Denial{Who: p.Who(), Permission: rt.perm, Scope: scope, Method: r.Method, Path: r.URL.Path,
				Reason: d.Reason, RequestID: middleware.GetReqID(ctx), RemoteAddr: r.RemoteAddr}
			if p.Identity != nil {
				denial.Name, denial.Issuer, denial.User = p.Identity.Name, p.Identity.Issuer, p.Identity
			}
			a.RecordDenial(ctx, denial)
			s.handle(func(http.ResponseWriter, *http.Request) error { return errNoAccess })(w, r)
			return
		}
		rt.handler.ServeHTTP(w, r.WithContext(auth.WithPrincipal(ctx, p)))
	}
	return s.deps.Auth.Sessions().LoadAndSave(withAuditRequest(http.HandlerFunc(check)))
}

// needSignIn answers a request that needs a session it does not have: browsers are sent to
// sign in and brought back afterwards, htmx is told to do so with HX-Redirect (a redirect
// would swap the provider's page into the fragment), and other requests get 401.
func (s *Server) needSignIn(w http.ResponseWriter, r *http.Request) {
	if isHTMX(r) {
		back := "/"
		if u, err := url.Parse(r.Header.Get("HX-Current-URL")); err == nil && u.Path != "" {
			back = u.RequestURI()
		}
		w.Header().Set("HX-Redirect", signInURL(back))
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte("Sign in to continue.")) //nolint:errcheck // the client went away
		return
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, signInURL(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	s.handle(func(http.ResponseWriter, *http.Request) error {
		return errcode.Errorf(errcode.Unauthorized, "Your session has ended. Sign in again, then repeat what you were doing.")
	})(w, r)
}

// signInURL is the sign-in route coming back to path afterwards.
func signInURL(path string) string {
	return "/auth/login?" + url.Values{"return_to": {auth.SafeReturnTo(path)}}.Encode()
}
