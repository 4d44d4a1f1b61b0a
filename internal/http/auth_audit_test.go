package http

import (
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/audit"
)

// auditRow is what these tests check of an audit entry.
type auditRow struct {
	Action, Subject, Name, Email, Session, SourceIP, UserAgent, RequestID string
	Groups                                                                []string
	Cluster, Group, Reason, Outcome, Error                                string
	Parameters, Before, After                                             *string
}

func (env *testEnv) auditRows(t *testing.T, action audit.Action) []auditRow {
	t.Helper()
	rows, err := env.pool.Query(t.Context(), `
		SELECT action, actor_subject, actor_name, actor_email, session_hash, source_ip, user_agent,
			request_id, actor_groups, cluster, group_name, reason, outcome, error, parameters, before, after
		FROM audit_entry WHERE action = $1 ORDER BY seq`, string(action))
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[auditRow])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// sessionTokens are the keys of the session rows.
func (env *testEnv) sessionTokens(t *testing.T) []string {
	t.Helper()
	rows, err := env.pool.Query(t.Context(), `SELECT token FROM sessions`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (env *testEnv) verifyChain(t *testing.T) {
	t.Helper()
	if r, err := audit.Verify(t.Context(), env.pool); err != nil || !r.Intact() {
		t.Fatalf("audit chain: %v, %v", r.Broken, err)
	}
}

func TestSignInAndDenialsAreAudited(t *testing.T) {
	env := newEnv(t, envOptions{trustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	c := env.signIn(t, "blocked")

	logins := env.auditRows(t, audit.ActionLogin)
	if len(logins) != 1 {
		t.Fatalf("%d login entries, want 1", len(logins))
	}
	l := logins[0]
	tokens := env.sessionTokens(t)
	if l.Subject != "blocked" || l.Name != "Bo Blocked" || l.Email != "blocked@lagboard.test" || l.Outcome != "success" ||
		strings.Join(l.Groups, ",") != "lagboard-admin,lagboard-blocked" || l.SourceIP != "127.0.0.1" || l.RequestID == "" {
		t.Errorf("login entry %+v", l)
	}
	if len(tokens) != 1 || l.Session != tokens[0] {
		t.Errorf("login session %q is not the hash of the session row %q", l.Session, tokens)
	}

	// The deny rule refuses the blocked user everything; behind a trusted proxy the entry
	// names the client the proxy forwarded for.
	p := do(t, c, http.MethodGet, env.URL+"/clusters/prod/groups/payments", nil,
		http.Header{"X-Forwarded-For": {"198.51.100.7"}, "User-Agent": {"audit-test/1"}})
	if p.status != http.StatusForbidden {
		t.Fatalf("blocked user got %d", p.status)
	}
	var d *auditRow
	for _, r := range env.auditRows(t, audit.ActionAccessDenied) {
		if r.Cluster == "prod" {
			d = &r
		}
	}
	if d == nil {
		t.Fatal("no access_denied entry for the group page")
	}
	if d.Subject != "blocked" || d.Name != "Bo Blocked" || d.Group != "payments" || d.Outcome != "denied" ||
		!strings.Contains(d.Reason, "denied by the rule") || d.SourceIP != "198.51.100.7" || d.UserAgent != "audit-test/1" ||
		d.Session != tokens[0] || d.Parameters == nil || !strings.Contains(*d.Parameters, `"path":"/clusters/prod/groups/payments"`) ||
		!strings.Contains(*d.Parameters, `"permission":"dashboard:view"`) {
		t.Errorf("denial entry %+v params %v", d, *d.Parameters)
	}
	env.verifyChain(t)
}

func TestSignOutsAndReloadsAreAudited(t *testing.T) {
	env := newEnv(t, envOptions{})
	// Without trusted proxies the header is the client's word and is ignored.
	c := env.signIn(t, "viewer")
	do(t, c, http.MethodPost, env.URL+"/auth/logout", url.Values{}, http.Header{"X-Forwarded-For": {"6.6.6.6"}})
	out := env.auditRows(t, audit.ActionLogout)
	if len(out) != 1 || out[0].Subject != "viewer" || out[0].SourceIP != "127.0.0.1" || out[0].Session == "" {
		t.Fatalf("logout entries %+v", out)
	}
	c = env.signIn(t, "operator")
	do(t, c, http.MethodPost, env.URL+"/auth/logout-everywhere", url.Values{}, nil)
	if e := env.auditRows(t, audit.ActionLogoutEverywhere); len(e) != 1 || e[0].Subject != "operator" || e[0].Outcome != "success" {
		t.Fatalf("logout_everywhere entries %+v", e)
	}

	if err := os.WriteFile(env.policyPath, []byte("grants: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := env.auth.ReloadPolicy(); err == nil {
		t.Fatal("invalid policy reloaded")
	}
	if err := os.WriteFile(env.policyPath, []byte(strings.Replace(testPolicy, "deny:", "  - {values: [x], role: viewer, clusters: [a], consumer_groups: [b]}\ndeny:", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := env.auth.ReloadPolicy(); err != nil {
		t.Fatal(err)
	}
	r := env.auditRows(t, audit.ActionPolicyReloaded)
	if len(r) != 2 || r[0].Outcome != "failure" || !strings.Contains(r[0].Error, "yaml") || r[0].After != nil ||
		r[1].Outcome != "success" || r[1].Subject != audit.SystemSubject || r[1].Before == nil || r[1].After == nil ||
		!strings.Contains(*r[1].Before, `"grants":6`) || !strings.Contains(*r[1].After, `"grants":7`) {
		t.Fatalf("policy_reloaded entries %+v", r)
	}
	env.verifyChain(t)
}

// TestAuditFailures: a sign-in the trail cannot record does not happen; a denial it cannot
// record is still denied, and the failure is logged.
func TestAuditFailures(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := env.signIn(t, "blocked")
	if _, err := env.pool.Exec(t.Context(), `ALTER TABLE audit_entry ADD CONSTRAINT test_refuse
		CHECK (action NOT IN ('login', 'access_denied', 'policy_reloaded')) NOT VALID`); err != nil {
		t.Fatal(err)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/clusters/prod/groups/payments", nil, nil); p.status != http.StatusForbidden {
		t.Fatalf("denial with a failing audit trail: %d", p.status)
	}
	waitLog(t, env.logs, "access denied; audit entry not written")

	before := env.signedInSessions(t)
	nc := newClient(t, true)
	p := submitLogin(t, nc, do(t, nc, http.MethodGet, env.URL+"/", nil, nil), "viewer")
	if p.status != http.StatusInternalServerError || env.signedInSessions(t) != before {
		t.Fatalf("sign-in with a failing audit trail: %d, %d signed-in sessions (had %d)", p.status, env.signedInSessions(t), before)
	}
	if p := do(t, nc, http.MethodGet, env.URL+"/", nil, nil); p.testID("user-name") != "" {
		t.Fatal("the unrecorded sign-in left the user signed in")
	}

	old := env.auth.Policy()
	if err := os.WriteFile(env.policyPath, []byte("grants: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := env.auth.ReloadPolicy(); err == nil || env.auth.Policy() != old {
		t.Fatalf("an unrecorded reload took effect: %v", err)
	}
}

// TestSignInFailureNamesTheSignedInUser: a browser already signed in starts a sign-in that
// fails at the callback; the failure is recorded as that user's, not an anonymous one's,
// and the browser stays signed in.
func TestSignInFailureNamesTheSignedInUser(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := env.signIn(t, "viewer")
	state := env.startLogin(t, c).Query().Get("state")
	p := do(t, c, http.MethodGet, env.URL+"/auth/callback?"+url.Values{"code": {"forged"}, "state": {state + "x"}}.Encode(), nil, nil)
	if p.status != http.StatusUnauthorized {
		t.Fatalf("forged callback: %d", p.status)
	}
	logins := env.auditRows(t, audit.ActionLogin)
	if len(logins) != 2 || logins[0].Outcome != "success" {
		t.Fatalf("login entries %+v, want the sign-in and the failure", logins)
	}
	if f := logins[1]; f.Outcome != "failure" || f.Subject != "viewer" || f.Name != "Vera Viewer" || f.Session != logins[0].Session {
		t.Errorf("failure entry %+v, want it recorded as viewer's in the same session", f)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.status != http.StatusOK || p.testID("user-name") != "Vera Viewer" {
		t.Errorf("after the failed sign-in: %d as %q", p.status, p.testID("user-name"))
	}
	env.verifyChain(t)
}
