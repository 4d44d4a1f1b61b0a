package http

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/freeze"
)

// expectedPerms is the role table written out again, so that a change to the roles in
// internal/auth shows up here as a failing expectation rather than silently.
var expectedPerms = map[string][]auth.Permission{
	"viewer":   {auth.PermViewDashboard},
	"operator": {auth.PermViewDashboard, auth.PermRequestReset, auth.PermExecuteReset, auth.PermReadMessages, auth.PermManageAlerts},
	"approver": {auth.PermViewDashboard, auth.PermApproveReset},
	"auditor":  {auth.PermViewDashboard, auth.PermViewAudit, auth.PermExportAudit},
	"admin": {auth.PermViewDashboard, auth.PermRequestReset, auth.PermApproveReset, auth.PermExecuteReset,
		auth.PermViewAudit, auth.PermExportAudit, auth.PermAdmin, auth.PermReadMessages, auth.PermResendMessages, auth.PermManageAlerts, auth.PermManageFreezes},
}

var routeParam = regexp.MustCompile(`\{(\w+)(:[^}]*)?\}`)

// concretePath fills a route pattern: {cluster} is prod, {group} payments-orders, which
// the scoped test user's grant (staging, billing-*) does not reach.
func concretePath(pattern string) string {
	p := routeParam.ReplaceAllStringFunc(pattern, func(m string) string {
		switch routeParam.FindStringSubmatch(m)[1] {
		case "cluster":
			return "prod"
		case "group":
			return "payments-orders"
		}
		return "x"
	})
	return strings.ReplaceAll(p, "*", "x")
}

func TestEveryRouteDeclaresAKnownPermission(t *testing.T) {
	// No database or provider is needed to list the routes.
	a, err := auth.New(t.Context(), auth.Options{Config: config.Auth{AnonymousRead: true}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{deps: Deps{Auth: a}}
	for _, rt := range s.routes() {
		if !rt.perm.Known() {
			t.Errorf("route %s %s declares permission %q: declare one of the auth.Perm* constants, auth.SignedIn or auth.Public", rt.method, rt.pattern, rt.perm)
		}
	}
}

// TestRouteRoleMatrix requests every registered route as every role, as a user whose only
// grant is scoped elsewhere, as a user whose grant a deny rule cancels, and anonymously.
// A signed-in user allowed the route gets what admin gets; one not allowed gets 403; an
// anonymous browser is sent to sign in.
func TestRouteRoleMatrix(t *testing.T) {
	// The change-freeze windows are kept, so their routes answer as they do in production.
	env := newEnv(t, envOptions{deps: func(env *testEnv, d *Deps) {
		d.Freezes, d.Trail = freeze.New(env.pool, nil), env.trail
	}})
	users := []string{"admin", "viewer", "operator", "approver", "auditor", "scoped", "blocked"}
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	clients := map[string]*http.Client{}
	signInAll := func() {
		for _, u := range users {
			clients[u] = env.signIn(t, u)
			clients[u].CheckRedirect = noFollow
		}
	}
	signInAll()
	// Requests that change state (signing out, everywhere too) get a fresh session, and
	// everyone signs in again after them.
	client := func(u, method string) *http.Client {
		if method == http.MethodGet || method == http.MethodHead {
			return clients[u]
		}
		c := env.signIn(t, u)
		c.CheckRedirect = noFollow
		return c
	}
	allowed := func(u string, rt route) bool {
		switch {
		case rt.perm == auth.SignedIn:
			return true
		case u == "blocked":
			return false
		case u == "scoped" && strings.HasPrefix(rt.pattern, "/audit"):
			return false // the trail spans every cluster; a grant on some groups does not open it
		case u == "scoped" && rt.perm == auth.PermManageFreezes:
			return false // a freeze window's patterns reach any group: changing them needs every group
		case u == "scoped":
			return !strings.Contains(rt.pattern, "{cluster") && !strings.Contains(rt.pattern, "{group")
		}
		return slices.Contains(expectedPerms[u], rt.perm)
	}
	routes := env.server.routes()
	if len(routes) == 0 {
		t.Fatal("no routes")
	}
	for _, rt := range routes {
		path := concretePath(rt.pattern)
		t.Run(rt.method+" "+rt.pattern, func(t *testing.T) {
			anon := do(t, newClient(t, false), rt.method, env.URL+path, nil, nil)
			base := do(t, client("admin", rt.method), rt.method, env.URL+path, nil, nil)
			if rt.perm == auth.Public {
				for _, u := range users[1:] {
					if got := do(t, client(u, rt.method), rt.method, env.URL+path, nil, nil).status; got != anon.status {
						t.Errorf("%s: %d, anonymous gets %d", u, got, anon.status)
					}
				}
				return
			}
			if base.status == http.StatusUnauthorized || base.status == http.StatusForbidden || strings.HasPrefix(base.header.Get("Location"), "/auth/login") {
				t.Fatalf("admin refused: %d %s", base.status, base.header.Get("Location"))
			}
			api := strings.HasPrefix(rt.pattern, apiPrefix)
			wantAnon := http.StatusSeeOther
			if api || (rt.method != http.MethodGet && rt.method != http.MethodHead) {
				wantAnon = http.StatusUnauthorized // the API asks for a token, never sends to sign in
			}
			if anon.status != wantAnon || (wantAnon == http.StatusSeeOther && !strings.HasPrefix(anon.header.Get("Location"), "/auth/login?return_to=")) {
				t.Errorf("anonymous: %d to %q, want %d to sign-in", anon.status, anon.header.Get("Location"), wantAnon)
			}
			if api && (anon.header.Get("WWW-Authenticate") == "" || apiErrorCode(anon.body) != "unauthorized") {
				t.Errorf("anonymous API: WWW-Authenticate %q, body %.200s", anon.header.Get("WWW-Authenticate"), anon.body)
			}
			for _, u := range users[1:] {
				want := base.status
				if !allowed(u, rt) {
					want = http.StatusForbidden
				}
				got := do(t, client(u, rt.method), rt.method, env.URL+path, nil, nil)
				if got.status != want {
					t.Errorf("%s: %d, want %d", u, got.status, want)
				}
				switch {
				case want != http.StatusForbidden:
				case api:
					if apiErrorCode(got.body) != "forbidden" {
						t.Errorf("%s: API denial is not the common 403 as JSON: %.200s", u, got.body)
					}
				case got.doc.Find(`[data-testid="error"][data-status="403"] h1`).Text() != "No access":
					t.Errorf("%s: denial page is not the common 403 page: %.200s", u, got.body)
				}
			}
			if rt.method == http.MethodGet {
				hx := http.Header{"Hx-Request": {"true"}, "Hx-Current-Url": {env.URL + "/somewhere?x=1"}}
				got := do(t, newClient(t, false), rt.method, env.URL+path, nil, hx)
				if api {
					got.header.Set("HX-Redirect", "/auth/login?return_to=%2Fsomewhere%3Fx%3D1") // no sign-in for the API: checked above
				}
				if got.status != http.StatusUnauthorized || got.header.Get("HX-Redirect") != "/auth/login?return_to=%2Fsomewhere%3Fx%3D1" {
					t.Errorf("anonymous htmx: %d HX-Redirect %q", got.status, got.header.Get("HX-Redirect"))
				}
				if got := do(t, clients["blocked"], rt.method, env.URL+path, nil, hx); rt.perm != auth.SignedIn && got.status != http.StatusForbidden {
					t.Errorf("blocked htmx: %d", got.status)
				}
			}
		})
		if rt.method != http.MethodGet && rt.method != http.MethodHead {
			signInAll()
		}
	}
	if !strings.Contains(env.logs.String(), `"msg":"access denied"`) || !strings.Contains(env.logs.String(), `"subject":"blocked"`) {
		t.Error("denials were not recorded in the log")
	}
}

// TestScopedRoutes checks that protect reads {cluster} and {group} from the route, with a
// route of the shape later features will add.
func TestScopedRoutes(t *testing.T) {
	env := newEnv(t, envOptions{})
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	r := chi.NewRouter()
	r.Method(http.MethodGet, "/clusters/{cluster}/groups/{group}/reset", env.server.protect(route{http.MethodGet, "/clusters/{cluster}/groups/{group}/reset", ok, auth.PermRequestReset}))
	r.Method(http.MethodGet, "/clusters/{cluster}", env.server.protect(route{http.MethodGet, "/clusters/{cluster}", ok, auth.PermViewDashboard}))
	r.Method(http.MethodGet, "/undeclared", env.server.protect(route{method: http.MethodGet, pattern: "/undeclared", handler: ok}))
	srv := httptest.NewServer(r)
	defer srv.Close()
	tests := []struct {
		user, path string
		want       int
	}{
		{"scoped", "/clusters/staging/groups/billing-eu/reset", 200},
		{"scoped", "/clusters/staging/groups/payments/reset", 403},
		{"scoped", "/clusters/prod/groups/billing-eu/reset", 403},
		{"scoped", "/clusters/staging", 200},
		{"scoped", "/clusters/prod", 403},
		{"operator", "/clusters/prod/groups/anything/reset", 200},
		{"viewer", "/clusters/prod/groups/anything/reset", 403},
		{"viewer", "/clusters/prod", 200},
		{"admin", "/undeclared", 403},
	}
	clients := map[string]*http.Client{}
	for _, tt := range tests {
		c := clients[tt.user]
		if c == nil {
			c = env.signIn(t, tt.user)
			clients[tt.user] = c
		}
		if got := do(t, c, http.MethodGet, srv.URL+tt.path, nil, nil).status; got != tt.want {
			t.Errorf("%s GET %s: %d, want %d", tt.user, tt.path, got, tt.want)
		}
	}
	if !strings.Contains(env.logs.String(), `declares no known permission`) {
		t.Error("the undeclared route's denial was not logged with its reason")
	}
}

// TestOverviewShowsOnlyVisibleClusters: the scoped user reads staging, not prod.
func TestOverviewShowsOnlyVisibleClusters(t *testing.T) {
	env := newEnv(t, envOptions{})
	for user, want := range map[string][]string{"scoped": {"staging"}, "viewer": {"prod", "staging"}} {
		p := do(t, env.signIn(t, user), http.MethodGet, env.URL+"/", nil, nil)
		var got []string
		for _, n := range p.doc.Find(`[data-testid="cluster"]`).Nodes {
			for _, a := range n.Attr {
				if a.Key == "data-cluster" {
					got = append(got, a.Val)
				}
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s sees clusters %v, want %v", user, got, want)
		}
	}
}

// apiErrorCode is the code of a JSON API error body, "" when the body is not one.
func apiErrorCode(body string) string {
	var e apiError
	if json.Unmarshal([]byte(body), &e) != nil {
		return ""
	}
	return e.Error.Code
}
