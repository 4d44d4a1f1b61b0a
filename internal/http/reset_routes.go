package http

import (
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
)

// resetRoutes are the routes of the offset reset workflow. Their URLs carry no {cluster}
// or {group}, so the permission here is checked without a scope: the handlers check the
// scope of the form's or the request's cluster and group, and the reset service checks
// every rule again (self-approval, who may execute, state).
//
//   - Listing and reading requests is for those holding any reset or audit permission
//     (resetReader); the route declares the dashboard permission and the handler refuses
//     the others.
//   - Executing, and asking for an emergency override of a change freeze, are declared
//     with the dashboard permission because an approver, who lacks reset:execute, may
//     execute a request they approved; the service decides.
func (s *Server) resetRoutes() []route {
	return []route{
		{http.MethodGet, "/resets", s.handle(s.resetList), auth.PermViewDashboard},
		{http.MethodGet, "/resets/new", s.handle(s.resetNew), auth.PermRequestReset},
		{http.MethodGet, "/resets/suggest", s.handle(s.resetSuggest), auth.PermRequestReset},
		{http.MethodPost, "/resets/preview", s.handle(s.resetPreview), auth.PermRequestReset},
		{http.MethodPost, "/resets", s.handle(s.resetCreate), auth.PermRequestReset},
		{http.MethodGet, "/resets/{id}", s.handle(s.resetShow), auth.PermViewDashboard},
		{http.MethodPost, "/resets/{id}/approve", s.handle(s.resetApprove), auth.PermApproveReset},
		{http.MethodPost, "/resets/{id}/reject", s.handle(s.resetReject), auth.PermApproveReset},
		{http.MethodPost, "/resets/{id}/execute", s.handle(s.resetExecute), auth.PermViewDashboard},
		{http.MethodPost, "/resets/{id}/cancel", s.handle(s.resetCancel), auth.PermRequestReset},
		{http.MethodPost, "/resets/{id}/override", s.handle(s.resetOverride), auth.PermViewDashboard},
	}
}

// resetPerms are the permissions that let someone read reset requests.
var resetPerms = []auth.Permission{auth.PermRequestReset, auth.PermApproveReset, auth.PermExecuteReset, auth.PermViewAudit}

// errResetsOff answers every reset route when the server runs without the workflow.
var errResetsOff = errcode.Errorf(errcode.Unavailable, "The offset reset workflow is not running on this server.")

// resetsOn reports whether the reset workflow is wired in; without it every reset route
// answers 503 before looking at anything else.
func (s *Server) resetsOn() error {
	if s.deps.Resets == nil || s.deps.Trail == nil {
		return errResetsOff
	}
	return nil
}

// resetReader refuses, with the common 403, users who hold none of resetPerms anywhere.
func (s *Server) resetReader(r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	for _, perm := range resetPerms {
		if s.deps.Auth.Decide(p, perm, auth.Scope{}).Allowed {
			return nil
		}
	}
	return s.refuse(r, auth.PermViewAudit, auth.Scope{}, "holds no reset or audit permission")
}

// mayRequest refuses, with the common 403, a reset request on a cluster and group outside
// the user's reset:request grants.
func (s *Server) mayRequest(r *http.Request, cluster, group string) error {
	scope := auth.Scope{Cluster: cluster, Group: group}
	if !s.deps.Auth.Allowed(r.Context(), auth.PermRequestReset, scope) {
		return s.refuse(r, auth.PermRequestReset, scope, "no grant gives reset:request on "+scope.String())
	}
	return nil
}

// refuse records a refusal decided in a handler, as protect records those of routes, and
// answers the common 403.
func (s *Server) refuse(r *http.Request, perm auth.Permission, scope auth.Scope, reason string) error {
	ctx := r.Context()
	p, _ := auth.PrincipalFrom(ctx)
	d := auth.Denial{Who: p.Who(), Permission: perm, Scope: scope, Method: r.Method, Path: r.URL.Path,
		Reason: reason, RequestID: middleware.GetReqID(ctx), RemoteAddr: r.RemoteAddr}
	if p.Identity != nil {
		d.Name, d.Issuer, d.User = p.Identity.Name, p.Identity.Issuer, p.Identity
	}
	s.deps.Auth.RecordDenial(ctx, d)
	return errNoAccess
}
