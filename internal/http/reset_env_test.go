package http

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/devidp"
	"github.com/lagboard/lagboard/internal/freeze"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// resetTestPolicy gives the demo roles everywhere, a lead who is both operator and
// approver, an approver whose groups (billing-*) never match the tests' groups, and an
// operator who sees only the groups seedGroup makes (g-*).
const resetTestPolicy = `grants:
  - {values: [lagboard-viewer], role: viewer, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-operator], role: operator, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-approver], role: approver, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-auditor], role: auditor, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-admin], role: admin, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-lead], role: operator, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-lead], role: approver, clusters: ["*"], consumer_groups: ["*"]}
  - {values: [lagboard-far], role: approver, clusters: ["*"], consumer_groups: ["billing-*"]}
  - {values: [lagboard-narrow], role: operator, clusters: ["*"], consumer_groups: ["g-*"]}
`

// resetUsers join the demo users on the dev provider.
var resetUsers = []devidp.User{
	{Username: "lead", Password: "lagboard-lead", Email: "lead@lagboard.test", Name: "Lee Lead", Groups: []string{"lagboard-lead"}},
	{Username: "far", Password: "lagboard-far", Email: "far@lagboard.test", Name: "Fay Far", Groups: []string{"lagboard-far"}},
	{Username: "narrow", Password: "lagboard-narrow", Email: "narrow@lagboard.test", Name: "Nat Narrow", Groups: []string{"lagboard-narrow"}},
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
// workflow on a real broker, known to it as cluster "prod", with change-freeze windows.
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
	e := &resetEnv{mq: stacktest.Broker(t, stacktest.Versions(t)[0]), admin: mqadmin.New(mqadmin.Options{}), clock: &testClock{}}
	t.Cleanup(func() { e.admin.Close() })
	e.testEnv = newEnv(t, envOptions{policy: resetTestPolicy, users: resetUsers, deps: func(env *testEnv, d *Deps) {
		d.Freezes = freeze.New(env.pool, e.clock.Now)
		e.svc = reset.New(reset.Options{Pool: env.pool, Logger: env.logger, Now: e.clock.Now, Expiry: time.Hour, DriftTolerance: drift, VerifySettle: time.Second,
			Clusters: []reset.Cluster{{Name: resetCluster, NamesrvAddrs: []string{e.mq.NamesrvAddr}, Admin: e.admin}}, Freezes: d.Freezes})
		d.Resets, d.Trail = e.svc, env.trail
	}})
	return e
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
