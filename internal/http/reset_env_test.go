package http

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/devidp"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/static"
)

// resetTestPolicy gives the demo roles everywhere, a lead who is both operator and
// approver, and an approver whose groups (billing-*) never match the tests' groups.
const resetTestPolicy = `grants:
  - {values: [lagboard-viewer], role: viewer, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-operator], role: operator, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-approver], role: approver, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-auditor], role: auditor, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-admin], role: admin, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-lead], role: operator, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-lead], role: approver, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-far], role: approver, clusters: ["*"], consumer_groups: ["billing-*"]}
`

// resetUsers join the demo users on the dev provider.
var resetUsers = []devidp.User{
	{Username: "lead", Password: "lagboard-lead", Email: "lead@lagboard.test", Name: "Lee Lead", Groups: []string{"lagboard-lead"}},
	{Username: "far", Password: "lagboard-far", Email: "far@lagboard.test", Name: "Fay Far", Groups: []string{"lagboard-far"}},
}

// testClock is the reset service's clock: the real time moved on by what a test asks.
type testClock struct {
	mu   sync.Mutex
	skew time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.skew)
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.skew += d
}

// resetEnv is the dashboard with real sessions and the dev provider, and the reset
// workflow on a real broker, known to it as cluster "prod".
type resetEnv struct {
	*testEnv
	svc   *reset.Service
	mq    stacktest.RocketMQ
	admin *mqadmin.Client
	clock *testClock
}

// resetCluster is the name the tests' broker goes by.
const resetCluster = "prod"

func newResetEnv(t *testing.T, drift int64) *resetEnv {
	t.Helper()
	mq := stacktest.Broker(t, stacktest.Versions(t)[0])
	dash := httptest.NewUnstartedServer(nil)
	env := &testEnv{URL: "http://" + dash.Listener.Addr().String(), pool: stacktest.DB(t), logs: &syncBuffer{}}
	env.policyPath = filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(env.policyPath, []byte(resetTestPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Auth{
		OIDC: config.OIDC{RedirectURL: env.URL + "/auth/callback", Scopes: []string{"openid", "profile", "email"},
			GroupsClaim: "groups", NameClaim: "name", ClientID: devidp.DemoClientID, ClientSecret: devidp.DemoClientSecret},
		PolicyFile: env.policyPath, SessionIdleTimeout: time.Hour, SessionLifetime: 2 * time.Hour,
	}
	cfg.OIDC.Issuer = startResetIDP(t, cfg.OIDC.RedirectURL)
	logger := slog.New(slog.NewJSONHandler(env.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	trail := audit.NewRecorder(audit.RecorderOptions{Pool: env.pool, Logger: logger, GroupsClaim: "groups"})
	a, err := auth.New(t.Context(), auth.Options{Config: cfg, Pool: env.pool, Logger: logger, Denials: trail, Events: trail})
	if err != nil {
		t.Fatal(err)
	}
	assets, err := static.New()
	if err != nil {
		t.Fatal(err)
	}
	admin := mqadmin.New(mqadmin.Options{})
	t.Cleanup(func() { admin.Close() })
	clock := &testClock{}
	svc := reset.New(reset.Options{Pool: env.pool, Logger: logger, Now: clock.Now, Expiry: time.Hour, DriftTolerance: drift,
		Clusters: []reset.Cluster{{Name: resetCluster, NamesrvAddrs: []string{mq.NamesrvAddr}, Admin: admin}}})
	env.auth = a
	env.server = New(Deps{Logger: logger, Assets: assets, Readiness: alwaysReady{}, Version: "test",
		Auth: a, Store: env.pool, Watched: []WatchedCluster{{resetCluster, 10 * time.Second}}, Resets: svc, Trail: trail})
	dash.Config.Handler = env.server
	dash.Start()
	t.Cleanup(func() {
		dash.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", env.logs)
		}
	})
	return &resetEnv{testEnv: env, svc: svc, mq: mq, admin: admin, clock: clock}
}

// startResetIDP serves the dev provider with the demo users and resetUsers.
func startResetIDP(t *testing.T, redirectURL string) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	idp, err := devidp.New(t.Context(), devidp.Config{Issuer: issuer, Users: append(devidp.DemoUsers(), resetUsers...),
		Clients: []devidp.Client{devidp.DemoClient(redirectURL)}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = idp
	srv.Start()
	t.Cleanup(srv.Close)
	return issuer
}

// user signs username in; its client does not follow redirects, so tests see each answer.
func (e *resetEnv) user(t *testing.T, username string) *http.Client {
	t.Helper()
	c := e.signIn(t, username)
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

// post sends a same-origin form, as a browser on the dashboard does.
func (e *resetEnv) post(t *testing.T, c *http.Client, path string, form url.Values) page {
	t.Helper()
	return do(t, c, http.MethodPost, e.URL+path, form, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {e.URL}})
}

// get reads a page.
func (e *resetEnv) get(t *testing.T, c *http.Client, path string) page {
	t.Helper()
	return do(t, c, http.MethodGet, e.URL+path, nil, nil)
}

// requestID reads the new request's id from a create's redirect.
func requestID(t *testing.T, p page) string {
	t.Helper()
	loc := p.header.Get("Location")
	id, ok := strings.CutPrefix(loc, "/resets/")
	if p.status != http.StatusSeeOther || !ok || id == "" {
		t.Fatalf("create answered %d to %q: %.500s", p.status, loc, p.body)
	}
	return id
}

// ctx is a context for broker and database calls of a test.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}
