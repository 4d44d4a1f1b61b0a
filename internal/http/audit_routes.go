package http

import (
	"net/http"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
)

// auditRoutes are the auditors' routes: the trail, its reports and exports. Pages need
// audit:view, downloads audit:export, each granted for every cluster and group (see
// wholeTrail); all are read-only and none writes to the trail.
func (s *Server) auditRoutes() []route {
	view, export := auth.PermViewAudit, auth.PermExportAudit
	return []route{
		{http.MethodGet, "/audit", s.handle(s.wholeTrail(view, s.auditList)), view},
		{http.MethodGet, "/audit/verify", s.handle(s.wholeTrail(view, s.auditVerify)), view},
		{http.MethodGet, "/audit/timeline", s.handle(s.wholeTrail(view, s.auditTimeline)), view},
		{http.MethodGet, "/audit/summary", s.handle(s.wholeTrail(view, s.auditSummary)), view},
		{http.MethodGet, "/audit/report", s.handle(s.wholeTrail(view, s.auditReport)), view},
		{http.MethodGet, "/audit/export.csv", s.handle(s.wholeTrail(export, s.auditExport(audit.CSV))), export},
		{http.MethodGet, "/audit/export.jsonl", s.handle(s.wholeTrail(export, s.auditExport(audit.JSONL))), export},
	}
}

// wholeTrail lets h run only for users whose grant of perm covers every cluster and group.
// The routes have no cluster or group of their own, so the route check lets through any
// grant that reaches some group; but the trail spans every cluster, and sign-ins and
// denials belong to none, so a grant scoped to some groups would show more than it grants.
func (s *Server) wholeTrail(perm auth.Permission, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		a := s.deps.Auth
		if a.Visibility(r.Context(), perm).Everywhere() {
			return h(w, r)
		}
		p, _ := auth.PrincipalFrom(r.Context())
		d := auth.Denial{Who: p.Who(), Permission: perm, Method: r.Method, Path: r.URL.Path,
			Reason:    "the grant of " + string(perm) + " does not cover every cluster and group",
			RequestID: middleware.GetReqID(r.Context()), RemoteAddr: r.RemoteAddr}
		if p.Identity != nil {
			d.Name, d.Issuer, d.User = p.Identity.Name, p.Identity.Issuer, p.Identity
		}
		a.RecordDenial(r.Context(), d)
		return errNoAccess
	}
}
