package http

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// auditPaths are every audit route, pages and downloads.
var auditPaths = []string{"/audit", "/audit/verify", "/audit/timeline?cluster=prod&group=payments", "/audit/summary",
	"/audit/report", "/audit/export.csv", "/audit/export.jsonl"}

// appendEntries writes entries to the trail as the services do, each in its own transaction.
func (env *testEnv) appendEntries(t *testing.T, es ...audit.Entry) {
	t.Helper()
	for _, e := range es {
		if err := pgx.BeginFunc(t.Context(), env.pool, func(tx pgx.Tx) error { return audit.Append(t.Context(), tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
}

// resetEntry is an entry of the reset workflow as internal/reset writes them.
func resetEntry(action audit.Action, cluster, group, id, kind string, at time.Time) audit.Entry {
	params, _ := audit.JSON(map[string]string{"reset_id": id, "kind": kind})
	return audit.Entry{At: at, Actor: audit.Actor{Subject: "op", Name: "Otto Operator"}, Action: action, Outcome: audit.Success,
		Target: audit.Target{Cluster: cluster, Group: group, Topic: "orders"}, Parameters: params}
}

// seqsOf are the data-seq of the page's entries, in page order.
func seqsOf(p page) []int64 {
	out := []int64{}
	p.doc.Find(`[data-testid="audit-entry"]`).Each(func(_ int, s *goquery.Selection) {
		n, _ := strconv.ParseInt(s.AttrOr("data-seq", ""), 10, 64)
		out = append(out, n)
	})
	return out
}

func TestAuditOnlyAuditorsAndAdmins(t *testing.T) {
	env := newEnv(t, envOptions{})
	// "scoped" is an admin of staging's billing groups only: the trail spans every cluster
	// and holds sign-ins of everyone, so a scoped grant does not open it.
	for _, user := range []string{"viewer", "operator", "approver", "scoped"} {
		c := env.signIn(t, user)
		for _, path := range auditPaths {
			if p := do(t, c, http.MethodGet, env.URL+path, nil, nil); p.status != http.StatusForbidden || p.header.Get("Content-Disposition") != "" {
				t.Errorf("%s GET %s: %d, want 403", user, path, p.status)
			}
		}
		// Hiding the link is cosmetic, but it is hidden.
		if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.doc.Find(`header nav a[href="/audit"]`).Length() != 0 {
			t.Errorf("%s sees the Audit link", user)
		}
	}
	anonymous := newClient(t, false)
	for _, path := range auditPaths {
		p := do(t, anonymous, http.MethodGet, env.URL+path, nil, nil)
		if loc := p.header.Get("Location"); p.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/auth/login?") ||
			!strings.Contains(loc, url.QueryEscape(strings.Split(path, "?")[0])) {
			t.Errorf("anonymous GET %s: %d to %q, want a redirect to sign in", path, p.status, loc)
		}
	}
	for _, user := range []string{"auditor", "admin"} {
		c := env.signIn(t, user)
		for _, path := range auditPaths {
			if p := do(t, c, http.MethodGet, env.URL+path, nil, nil); p.status != http.StatusOK {
				t.Errorf("%s GET %s: %d, want 200: %.300s", user, path, p.status, p.body)
			}
		}
		if p := do(t, c, http.MethodGet, env.URL+"/audit", nil, nil); p.doc.Find(`header nav a[href="/audit"]`).Length() != 1 ||
			p.doc.Find(`[data-testid="export-csv"]`).Length() != 1 {
			t.Errorf("%s: no Audit link or no export link", user)
		}
	}
	// Every refusal above is on the trail, as any other.
	if n := len(env.auditRows(t, audit.ActionAccessDenied)); n != 4*len(auditPaths) {
		t.Errorf("%d access_denied entries, want %d", n, 4*len(auditPaths))
	}
}

func TestAuditListFiltersAndPages(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := env.signIn(t, "auditor") // seq 1: the auditor's sign-in
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	env.appendEntries(t,
		resetEntry(audit.ActionResetRequested, "prod", "payments", "r1", "latest", at),                     // 2
		resetEntry(audit.ActionResetApproved, "prod", "payments", "r1", "latest", at.Add(time.Hour)),       // 3
		resetEntry(audit.ActionResetRequested, "staging", "payments", "r2", "latest", at.Add(2*time.Hour)), // 4
		resetEntry(audit.ActionResetExecuted, "prod", "payments", "r1", "latest", at.Add(3*time.Hour)),     // 5
		resetEntry(audit.ActionResetRequested, "prod", "billing", "r3", "shift", at.Add(24*time.Hour)),     // 6
	)
	tests := []struct {
		query string
		want  []int64
	}{
		{"action=reset.&cluster=prod", []int64{6, 5, 3, 2}},
		{"action=reset.requested", []int64{6, 4, 2}},
		{"cluster=prod&group=payments&from=2026-03-01T09:30", []int64{5, 3}},
		{"from=2026-03-01&to=2026-03-01", []int64{5, 4, 3, 2}},
		{"actor=auditor", []int64{1}},
		{"outcome=denied", []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			p := do(t, c, http.MethodGet, env.URL+"/audit?"+tt.query, nil, nil)
			if got := seqsOf(p); p.status != http.StatusOK || !slices.Equal(got, tt.want) {
				t.Fatalf("%d: entries %v, want %v", p.status, got, tt.want)
			}
			// The filters stay in the form and in the links that share them.
			if href, _ := p.doc.Find(`[data-testid="export-csv"]`).Attr("href"); href != "/audit/export.csv?"+mustEncode(tt.query) {
				t.Errorf("export link %q", href)
			}
		})
	}
	// htmx asks for the results only.
	p := do(t, c, http.MethodGet, env.URL+"/audit?cluster=staging", nil, http.Header{"Hx-Request": {"true"}})
	if p.status != http.StatusOK || strings.Contains(p.body, "<html") || !slices.Equal(seqsOf(p), []int64{4}) {
		t.Fatalf("htmx fragment %d: %.200s", p.status, p.body)
	}
	bad := map[string]string{
		"from=yesterday":                    "is not a date such as 2026-11-21",
		"from=2026-03-02&to=2026-03-01":     "ends (2026-03-01) before it starts",
		"outcome=maybe":                     "success, failure or denied",
		"action=DROP%20TABLE":               "is not an action",
		"before=0":                          "sequence number",
		"before=3&after=1":                  "either before or after",
		"actor=" + strings.Repeat("a", 201): "longer than 200",
	}
	for q, msg := range bad {
		if p := do(t, c, http.MethodGet, env.URL+"/audit?"+q, nil, nil); p.status != http.StatusBadRequest || !strings.Contains(p.body, msg) {
			t.Errorf("%s: %d, want 400 saying %q: %.300s", q, p.status, msg, p.body)
		}
	}
}

func mustEncode(q string) string {
	v, _ := url.ParseQuery(q)
	return v.Encode()
}

// superuserExec runs statements on the test's database as a superuser with triggers off,
// as an administrator covering their tracks would.
func (env *testEnv) superuserExec(t *testing.T, sql string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), stacktest.SuperuserURL(t, env.pool.Config().ConnConfig.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	if _, err := conn.Exec(t.Context(), "SET session_replication_role = replica; "+sql); err != nil {
		t.Fatal(err)
	}
}
