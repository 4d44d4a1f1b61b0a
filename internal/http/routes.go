package http

import (
	"net/http"

	"github.com/lagboard/lagboard/internal/auth"
)

// route is one entry of the routing table.
type route struct {
	method  string
	pattern string
	handler http.Handler
	// perm is what the route needs, checked by protect on every request; auth.Public for
	// routes anyone may use. Scoped permissions apply to the {cluster} and {group} params.
	perm auth.Permission
}

// routes is every route the server answers, in one place.
func (s *Server) routes() []route {
	rs := []route{
		{http.MethodGet, "/healthz", http.HandlerFunc(s.healthz), auth.Public},
		{http.MethodGet, "/readyz", http.HandlerFunc(s.readyz), auth.Public},
		{http.MethodGet, "/static/*", s.deps.Assets, auth.Public},
		{http.MethodGet, "/favicon.ico", http.HandlerFunc(s.favicon), auth.Public},
		{http.MethodGet, "/metrics", http.HandlerFunc(s.metrics), auth.Public}, // bearer token when configured
		{http.MethodGet, "/auth/login", s.withSession(s.handle(s.login)), auth.Public},
		{http.MethodGet, "/auth/callback", s.withSession(s.handle(s.callback)), auth.Public},
		{http.MethodPost, "/auth/logout", s.withSession(s.handle(s.logout)), auth.Public},
		{http.MethodGet, "/auth/signed-out", s.handle(s.signedOut), auth.Public},
		{http.MethodPost, "/auth/logout-everywhere", s.handle(s.logoutEverywhere), auth.SignedIn},
		{http.MethodGet, "/", s.handle(s.overview), auth.PermViewDashboard},
		{http.MethodGet, "/groups", s.handle(s.groups), auth.PermViewDashboard},
		{http.MethodGet, "/clusters/{cluster}/groups/{group}", s.handle(s.group), auth.PermViewDashboard},
		{http.MethodGet, "/clusters/{cluster}/groups/{group}/history", s.handle(s.groupHistory), auth.PermViewDashboard},
		// Alerting (docs/ALERTS.md). The page lists alerts only of groups the viewer may
		// see. Rules and silences name clusters and groups by patterns, not in the URL: the
		// handlers accept only patterns the user's alerts:manage grants hold whole
		// (auth.Visibility.Covers). Acknowledging names its group in the URL.
		{http.MethodGet, "/alerts", s.handle(s.alerts), auth.PermViewDashboard},
		{http.MethodGet, "/alerts/rules/new", s.handle(s.ruleNew), auth.PermManageAlerts},
		{http.MethodPost, "/alerts/rules", s.handle(s.ruleCreate), auth.PermManageAlerts},
		{http.MethodGet, "/alerts/rules/{id}", s.handle(s.ruleEdit), auth.PermManageAlerts},
		{http.MethodPost, "/alerts/rules/{id}", s.handle(s.ruleUpdate), auth.PermManageAlerts},
		{http.MethodPost, "/alerts/rules/{id}/delete", s.handle(s.ruleDelete), auth.PermManageAlerts},
		{http.MethodPost, "/alerts/silences", s.handle(s.silenceCreate), auth.PermManageAlerts},
		{http.MethodPost, "/alerts/silences/{id}/end", s.handle(s.silenceEnd), auth.PermManageAlerts},
		{http.MethodPost, "/alerts/notifications/{id}/retry", s.handle(s.notificationRetry), auth.PermManageAlerts},
		{http.MethodPost, "/clusters/{cluster}/groups/{group}/alerts/{rule}/ack", s.handle(s.alertAck), auth.PermManageAlerts},
	}
	rs = append(rs, s.messageRoutes()...)
	rs = append(rs, s.apiRoutes()...)
	rs = append(rs, s.tokenRoutes()...)
	rs = append(rs, s.resetRoutes()...)
	rs = append(rs, s.freezeRoutes()...)
	return append(rs, s.auditRoutes()...)
}
