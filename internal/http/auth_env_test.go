package http

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/apitoken"
	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/auth/authtest"
	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/devidp"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/static"
)

// testPolicy gives each demo role its role everywhere, a scoped user admin rights on
// staging's billing groups only, and a blocked user a grant that a deny rule cancels.
const testPolicy = `grants:
  - {values: [lagboard-viewer], role: viewer, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-operator], role: operator, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-approver], role: approver, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-auditor], role: auditor, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-admin], role: admin, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-scoped], role: admin, clusters: [staging], consumer_groups: ["billing-*"]}
deny:
  - {values: [lagboard-blocked], clusters: ["*"], consumer_groups: ["*"]}
`

// extraUsers join the demo users on the dev provider.
var extraUsers = []devidp.User{
	{Username: "scoped", Password: "lagboard-scoped", Email: "scoped@lagboard.test", Name: "Sam Scoped", Groups: []string{"lagboard-scoped"}},
	{Username: "blocked", Password: "lagboard-blocked", Email: "blocked@lagboard.test", Name: "Bo Blocked", Groups: []string{"lagboard-admin", "lagboard-blocked"}},
	{Username: "stranger", Password: "lagboard-stranger", Email: "stranger@lagboard.test", Name: "Stan Stranger", Groups: []string{"other-team", "payments"}},
}

type envOptions struct {
	testIssuer        bool // sign in through authtest.Issuer instead of the dev provider
	noGroupsInIDToken bool
	cookieSecure      bool
	idle, lifetime    time.Duration
	anonymousRead     bool
	noSignIn          bool // anonymous read only, no provider
	trustedProxies    []netip.Prefix
	policy            string        // the policy file; testPolicy when empty
	users             []devidp.User // more users of the dev provider
	deps              func(*testEnv, *Deps)
}

// testEnv is the dashboard's HTTP server with real auth: Postgres sessions and the dev
// provider (or the test issuer), on loopback ports.
type testEnv struct {
	URL        string
	pool       *pgxpool.Pool
	auth       *auth.Service
	server     *Server
	logs       *stacktest.SyncBuffer
	policyPath string
	issuer     *authtest.Issuer
	logger     *slog.Logger
	trail      *audit.Recorder
}

type alwaysReady struct{}

func (alwaysReady) Ready(context.Context) error { return nil }

func newEnv(t testing.TB, o envOptions) *testEnv {
	t.Helper()
	dash := httptest.NewUnstartedServer(nil)
	env := &testEnv{URL: "http://" + dash.Listener.Addr().String(), pool: stacktest.DB(t), logs: &stacktest.SyncBuffer{}}
	env.policyPath = filepath.Join(t.TempDir(), "policy.yaml")
	policy := testPolicy
	if o.policy != "" {
		policy = o.policy
	}
	if err := os.WriteFile(env.policyPath, []byte(policy), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Auth{
		OIDC: config.OIDC{
			RedirectURL: env.URL + "/auth/callback", Scopes: []string{"openid", "profile", "email"},
			GroupsClaim: "groups", NameClaim: "name",
		},
		PolicyFile: env.policyPath, CookieSecure: o.cookieSecure, AnonymousRead: o.anonymousRead || o.noSignIn,
		SessionIdleTimeout: cmp(o.idle, time.Hour), SessionLifetime: cmp(o.lifetime, 2*time.Hour),
	}
	switch {
	case o.noSignIn:
		cfg.OIDC = config.OIDC{GroupsClaim: "groups"}
	case o.testIssuer:
		env.issuer = authtest.NewIssuer(t, cfg.OIDC.RedirectURL)
		cfg.OIDC.Issuer, cfg.OIDC.ClientID, cfg.OIDC.ClientSecret = env.issuer.URL, authtest.ClientID, authtest.ClientSecret
	default:
		cfg.OIDC.Issuer, cfg.OIDC.ClientID, cfg.OIDC.ClientSecret = startDevIDP(t, cfg.OIDC.RedirectURL, !o.noGroupsInIDToken, o.users...), devidp.DemoClientID, devidp.DemoClientSecret
	}
	logger := slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	trail := audit.NewRecorder(audit.RecorderOptions{Pool: env.pool, Logger: logger, GroupsClaim: "groups", TrustedProxies: o.trustedProxies})
	a, err := auth.New(t.Context(), auth.Options{Config: cfg, Pool: env.pool, Logger: logger, Denials: trail, Events: trail})
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	env.auth, env.logger, env.trail = a, logger, trail
	deps := Deps{Logger: logger, Assets: assets, Readiness: alwaysReady{}, Version: "test", Auth: a,
		Store: env.pool, Trail: trail, Tokens: apitoken.New(env.pool), Alerts: alert.NewService(env.pool, env.URL),
		Watched: []WatchedCluster{{"prod", 10 * time.Second}, {"staging", 10 * time.Second}}}
	if o.deps != nil {
		o.deps(env, &deps)
	}
	env.server = New(deps)
	dash.Config.Handler = env.server
	dash.Start()
	t.Cleanup(func() {
		dash.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", env.logs)
		}
	})
	return env
}

func cmp(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// startDevIDP serves the dev provider with the demo, extra and more users and returns its
// issuer.
func startDevIDP(t testing.TB, redirectURL string, groupsInIDToken bool, more ...devidp.User) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	idp, err := devidp.New(t.Context(), devidp.Config{
		Issuer: issuer, Users: append(append(devidp.DemoUsers(), extraUsers...), more...),
		Clients: []devidp.Client{devidp.DemoClient(redirectURL)}, GroupsInIDToken: &groupsInIDToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = idp
	srv.Start()
	t.Cleanup(srv.Close)
	return issuer
}

// newClient is a browser without JavaScript: it keeps cookies and, if follow, follows
// redirects.
func newClient(t testing.TB, follow bool) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 15 * time.Second}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c
}

// page is a response read whole.
type page struct {
	status int
	url    *url.URL
	header http.Header
	body   string
	doc    *goquery.Document
}

func (p page) testID(id string) string {
	return strings.TrimSpace(p.doc.Find(`[data-testid="` + id + `"]`).First().Text())
}

func do(t testing.TB, c *http.Client, method, target string, form url.Values, header http.Header) page {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return page{status: resp.StatusCode, url: resp.Request.URL, header: resp.Header, body: string(b), doc: doc}
}

// submitLogin fills in the dev provider's form on p and posts it.
func submitLogin(t testing.TB, c *http.Client, p page, username string) page {
	t.Helper()
	form := p.doc.Find(`form[data-testid="login-form"]`)
	if form.Length() != 1 {
		t.Fatalf("no login form at %s (%d): %.300s", p.url, p.status, p.body)
	}
	action, _ := form.Attr("action")
	id, _ := form.Find(`input[name="id"]`).Attr("value")
	target, _ := p.url.Parse(action)
	return do(t, c, http.MethodPost, target.String(), url.Values{"id": {id}, "username": {username}, "password": {"lagboard-" + username}}, nil)
}

// signIn signs username in through the dev provider from a new client and returns it.
func (env *testEnv) signIn(t testing.TB, username string) *http.Client {
	t.Helper()
	c := newClient(t, true)
	done := submitLogin(t, c, do(t, c, http.MethodGet, env.URL+"/", nil, nil), username)
	// Landing on the overview with 403 is a sign-in too: the blocked user has a session.
	if (done.status != http.StatusOK && done.status != http.StatusForbidden) || done.url.String() != env.URL+"/" || env.sessionCookie(c) == nil {
		t.Fatalf("sign-in of %s ended with %d at %s: %.300s", username, done.status, done.url, done.body)
	}
	return c
}

// sessionCookie returns the client's session cookie for the dashboard, nil without one.
func (env *testEnv) sessionCookie(c *http.Client) *http.Cookie {
	u, _ := url.Parse(env.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == env.auth.Sessions().CookieName() {
			return ck
		}
	}
	return nil
}

// sessionRows counts the unexpired sessions in the database.
func (env *testEnv) sessionRows(t *testing.T) int {
	t.Helper()
	var n int
	if err := env.pool.QueryRow(t.Context(), `SELECT count(*) FROM sessions WHERE expiry > now()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
