package http

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// issueToken issues a token from the tokens page as c's user and returns its secret.
func issueToken(t *testing.T, env *testEnv, c *http.Client, path string, form url.Values) string {
	t.Helper()
	p := do(t, c, http.MethodPost, env.URL+path, form, http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {env.URL}})
	secret, _ := p.doc.Find(`[data-testid="secret"]`).Attr("value")
	if p.status != http.StatusOK || !strings.HasPrefix(secret, "lbt_") {
		t.Fatalf("issue at %s: %d, secret %q: %.500s", path, p.status, secret, p.body)
	}
	return secret
}

// bearer reads an API path with a token and no cookie.
func bearer(t *testing.T, env *testEnv, token, path string) page {
	t.Helper()
	return do(t, newClient(t, false), http.MethodGet, env.URL+path, nil, http.Header{"Authorization": {"Bearer " + token}})
}

// groupsOf decodes a groups list answer into its group names.
func groupsOf(t *testing.T, p page) []string {
	t.Helper()
	var out struct {
		Total  int `json:"total"`
		Groups []struct {
			Cluster string `json:"cluster"`
			Group   string `json:"group"`
		} `json:"groups"`
	}
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &out) != nil {
		t.Fatalf("groups: %d %.300s", p.status, p.body)
	}
	var names []string
	for _, g := range out.Groups {
		names = append(names, g.Cluster+"/"+g.Group)
	}
	if out.Total != len(names) {
		t.Errorf("total %d for %d groups", out.Total, len(names))
	}
	return names
}

// TestAPITokens: a user's token reads what the user may read and nothing more, is refused
// on pages and on what it does not carry, and dies when revoked or when the user signs out
// everywhere; a service token reaches its own patterns; the trail records issue and
// revocation without the secret, and every refusal.
func TestAPITokens(t *testing.T) {
	env := newEnv(t, envOptions{})
	now := time.Now()
	prod := fleet("prod", 3, now)
	prod.history = map[string][]int64{"prod-fleet-0000": {5, 6, 7}}
	prod.save(t, env.pool)
	staging := seed{cluster: "staging", at: now}
	for _, name := range []string{"billing-eu", "payments"} {
		g, q := group(name, "OK", ptr(int64(12)), ptr(3.5), "CLUSTERING", now)
		q.Committed = true
		staging.groups, staging.queues = append(staging.groups, g), append(staging.queues, q)
	}
	staging.save(t, env.pool)

	scoped := env.signIn(t, "scoped")
	form := url.Values{"name": {"on-call bot"}, "days": {"7"}}
	tok := issueToken(t, env, scoped, "/tokens", form)

	if got := groupsOf(t, bearer(t, env, tok, "/api/v1/groups")); !slices.Equal(got, []string{"staging/billing-eu"}) {
		t.Errorf("the scoped user's token lists %v, want only staging/billing-eu", got)
	}
	p := bearer(t, env, tok, "/api/v1/clusters/staging/groups/billing-eu")
	var g struct {
		Group  string `json:"group"`
		Lag    *int64 `json:"lag"`
		Queues []struct {
			Topic          string `json:"topic"`
			MaxOffset      int64  `json:"max_offset"`
			ConsumerOffset *int64 `json:"consumer_offset"`
			Lag            int64  `json:"lag"`
		} `json:"queues"`
	}
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &g) != nil || g.Lag == nil || *g.Lag != 12 ||
		len(g.Queues) != 1 || g.Queues[0].Lag != 12 || g.Queues[0].ConsumerOffset == nil || *g.Queues[0].ConsumerOffset != 1000 {
		t.Errorf("group: %d %.1500s", p.status, p.body)
	}
	for path, want := range map[string]int{
		"/api/v1/clusters/prod/groups/prod-fleet-0000":                http.StatusForbidden, // outside the user's grant
		"/api/v1/clusters/staging/groups/payments":                    http.StatusForbidden,
		"/api/v1/clusters/staging/groups/billing-none":                http.StatusNotFound,
		"/api/v1/clusters/staging/groups/billing-eu/history":          http.StatusOK,
		"/api/v1/clusters/staging/groups/billing-eu/history?range=2d": http.StatusBadRequest,
		// The token does not carry reset:request, though the user holds it there.
		"/api/v1/clusters/staging/groups/billing-eu/reset-preview?topic=t&kind=earliest": http.StatusForbidden,
		"/api/v1/groups?per_page=0": http.StatusBadRequest,
		"/api/v1/nothing":           http.StatusNotFound,
	} {
		p := bearer(t, env, tok, path)
		var e apiError
		if p.status != want || p.header.Get("Content-Type") != "application/json" ||
			(want >= 400 && (json.Unmarshal([]byte(p.body), &e) != nil || e.Error.Message == "")) {
			t.Errorf("GET %s: %d %s %.300s, want %d as JSON", path, p.status, p.header.Get("Content-Type"), p.body, want)
		}
	}
	// A token opens no page: the pages know sessions only.
	if p := bearer(t, env, tok, "/groups"); p.status != http.StatusSeeOther {
		t.Errorf("a token opened a page: %d", p.status)
	}
	for _, h := range []string{"Bearer lbt_short", "Basic YWRtaW46YWRtaW4=", "Bearer " + strings.Repeat("x", 47), "Bearer lbt_" + strings.Repeat("A", 43)} {
		p := do(t, newClient(t, false), http.MethodGet, env.URL+"/api/v1/groups", nil, http.Header{"Authorization": {h}})
		if p.status != http.StatusUnauthorized || apiErrorCode(p.body) != "unauthorized" || p.header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d %.200s", h, p.status, p.body)
		}
	}
	// The session works too, for a browser reading the API.
	if got := groupsOf(t, do(t, scoped, http.MethodGet, env.URL+"/api/v1/groups", nil, nil)); len(got) != 1 {
		t.Errorf("session read of the API: %v", got)
	}

	// Another user cannot see or revoke it; its owner can, and it stops working at once.
	var id, lastUsed string
	if err := env.pool.QueryRow(t.Context(), `SELECT id, coalesce(last_used_from, '') FROM api_token WHERE name = 'on-call bot'`).Scan(&id, &lastUsed); err != nil {
		t.Fatal(err)
	}
	if lastUsed == "" {
		t.Error("the token's use was not recorded")
	}
	viewer := env.signIn(t, "viewer")
	if p := do(t, viewer, http.MethodGet, env.URL+"/tokens", nil, nil); p.doc.Find(`[data-testid="token"]`).Length() != 0 {
		t.Error("a viewer sees another user's token")
	}
	same := http.Header{"Sec-Fetch-Site": {"same-origin"}, "Origin": {env.URL}}
	if p := do(t, viewer, http.MethodPost, env.URL+"/tokens/"+id+"/revoke", nil, same); p.status != http.StatusNotFound {
		t.Errorf("a viewer revoked another's token: %d", p.status)
	}
	if p := bearer(t, env, tok, "/api/v1/groups"); p.status != http.StatusOK {
		t.Fatalf("token refused before its revocation: %d", p.status)
	}
	if p := do(t, scoped, http.MethodPost, env.URL+"/tokens/"+id+"/revoke", nil, same); p.status != http.StatusOK || !strings.Contains(p.body, "revoked") {
		t.Errorf("revoke: %d %.300s", p.status, p.body)
	}
	if p := bearer(t, env, tok, "/api/v1/groups"); p.status != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d", p.status)
	}

	// Signing out everywhere ends the user's tokens too.
	tok2 := issueToken(t, env, scoped, "/tokens", form)
	if p := bearer(t, env, tok2, "/api/v1/groups"); p.status != http.StatusOK {
		t.Fatalf("second token: %d", p.status)
	}
	do(t, scoped, http.MethodPost, env.URL+"/auth/logout-everywhere", nil, same)
	if p := bearer(t, env, tok2, "/api/v1/groups"); p.status != http.StatusUnauthorized {
		t.Errorf("a token outlived sign-out everywhere: %d", p.status)
	}

	// A service token reads its own patterns, whoever issued it; only admins issue them.
	admin := env.signIn(t, "admin")
	if p := do(t, viewer, http.MethodPost, env.URL+"/tokens/service", url.Values{"name": {"x"}, "days": {"1"}, "clusters": {"*"}, "groups": {"*"}}, same); p.status != http.StatusForbidden {
		t.Errorf("a viewer issued a service token: %d", p.status)
	}
	svc := issueToken(t, env, admin, "/tokens/service", url.Values{"name": {"lag exporter"}, "days": {"30"},
		"clusters": {"prod"}, "groups": {"prod-fleet-0000, prod-fleet-0002"}})
	if got := groupsOf(t, bearer(t, env, svc, "/api/v1/groups?sort=group")); !slices.Equal(got, []string{"prod/prod-fleet-0000", "prod/prod-fleet-0002"}) {
		t.Errorf("service token lists %v", got)
	}
	var hist struct {
		Points []struct {
			Lag *int64 `json:"lag"`
		} `json:"points"`
	}
	if p := bearer(t, env, svc, "/api/v1/clusters/prod/groups/prod-fleet-0000/history?range=1h"); p.status != http.StatusOK ||
		json.Unmarshal([]byte(p.body), &hist) != nil || len(hist.Points) < 60 {
		t.Errorf("history: %d %.300s", p.status, p.body)
	}

	// Bad forms are refused with what was typed kept.
	scoped = env.signIn(t, "scoped")
	for _, f := range []url.Values{
		{"name": {""}, "days": {"7"}},
		{"name": {"too long"}, "days": {"400"}},
		{"name": {"x"}, "days": {"seven"}},
	} {
		p := do(t, scoped, http.MethodPost, env.URL+"/tokens", f, same)
		if p.status != http.StatusBadRequest || p.testID("form-error") == "" {
			t.Errorf("form %v: %d %q", f, p.status, p.testID("form-error"))
		}
		if v, _ := p.doc.Find(`[data-testid="user-days"]`).Attr("value"); v != f.Get("days") {
			t.Errorf("form %v: days typed %q shown as %q", f, f.Get("days"), v)
		}
	}
	if p := do(t, admin, http.MethodPost, env.URL+"/tokens/service", url.Values{"name": {"x"}, "days": {"1"}, "clusters": {"pro?"}, "groups": {"*"}}, same); p.status != http.StatusBadRequest {
		t.Errorf("a bad pattern: %d", p.status)
	}

	// The trail: issued and revoked, never the secret; refusals recorded as denied.
	var issued, revoked, denied int
	var texts []string
	rows, err := env.pool.Query(t.Context(), `SELECT action, reason, coalesce(parameters, '') FROM audit_entry`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var action, reason, params string
		if err := rows.Scan(&action, &reason, &params); err != nil {
			t.Fatal(err)
		}
		texts = append(texts, reason, params)
		switch {
		case action == "token.issued":
			issued++
		case action == "token.revoked":
			revoked++
		case action == "access_denied" && strings.Contains(reason, "API token on-call bot"):
			denied++
		}
	}
	if issued != 3 || revoked != 1 || denied < 3 {
		t.Errorf("trail: %d issued, %d revoked, %d token denials", issued, revoked, denied)
	}
	for _, s := range texts {
		if strings.Contains(s, tok) || strings.Contains(s, svc) {
			t.Errorf("the trail holds a secret: %.200s", s)
		}
	}
}

// TestAPIResetPreview: a dry run through the API computes the preview from the real broker
// as the form does, stores nothing, and needs a token that carries reset:request.
func TestAPIResetPreview(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	form := url.Values{"name": {"dry runs"}, "days": {"1"}, "preview": {"1"}}
	tok := issueToken(t, e.testEnv, e.user(t, "operator"), "/tokens", form)
	base := "/api/v1/clusters/" + resetCluster + "/groups/" + g.group + "/reset-preview?"

	p := bearer(t, e.testEnv, tok, base+url.Values{"topic": {g.topic}, "kind": {"earliest"}}.Encode())
	var out struct {
		Spec struct {
			Kind string `json:"kind"`
		} `json:"spec"`
		Preview struct {
			Queues []struct {
				QueueID int   `json:"queue_id"`
				Current int64 `json:"current"`
				Target  int64 `json:"target"`
			} `json:"queues"`
			Totals struct {
				Reconsume int64 `json:"reconsume"`
			} `json:"totals"`
		} `json:"preview"`
	}
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &out) != nil {
		t.Fatalf("preview: %d %.500s", p.status, p.body)
	}
	var reconsume int64
	for _, c := range g.committed {
		reconsume += c
	}
	if out.Spec.Kind != "earliest" || len(out.Preview.Queues) != len(g.max) || out.Preview.Totals.Reconsume != reconsume {
		t.Errorf("preview: %+v, want %d queues re-consuming %d", out, len(g.max), reconsume)
	}
	for _, q := range out.Preview.Queues {
		if q.Current != g.committed[q.QueueID] || q.Target != 0 {
			t.Errorf("queue %d: %d → %d, want %d → 0", q.QueueID, q.Current, q.Target, g.committed[q.QueueID])
		}
	}
	// One queue, shifted back by 5.
	p = bearer(t, e.testEnv, tok, base+url.Values{"topic": {g.topic}, "kind": {"shift"}, "by": {"-5"},
		"queue": {e.mq.BrokerName + "/1"}}.Encode())
	if p.status != http.StatusOK || json.Unmarshal([]byte(p.body), &out) != nil || out.Preview.Totals.Reconsume != 5 {
		t.Errorf("shift on one queue: %d %.500s", p.status, p.body)
	}
	for q, want := range map[string]int{
		url.Values{"topic": {g.topic}}.Encode():                                               http.StatusBadRequest, // no kind
		url.Values{"topic": {g.topic}, "kind": {"shift"}, "by": {"many"}}.Encode():            http.StatusBadRequest,
		url.Values{"topic": {g.topic}, "kind": {"timestamp"}, "time": {"yesterday"}}.Encode(): http.StatusBadRequest,
		url.Values{"topic": {"no-such-topic"}, "kind": {"earliest"}}.Encode():                 http.StatusNotFound,
	} {
		if p := bearer(t, e.testEnv, tok, base+q); p.status != want || apiErrorCode(p.body) == "" {
			t.Errorf("%s: %d %.300s, want %d as JSON", q, p.status, p.body, want)
		}
	}
	if e.requests(t) != 0 {
		t.Error("a dry run stored a request")
	}
	// A viewer's token, or one that does not carry previews, is refused.
	viewerTok := issueToken(t, e.testEnv, e.user(t, "viewer"), "/tokens", url.Values{"name": {"v"}, "days": {"1"}})
	readTok := issueToken(t, e.testEnv, e.user(t, "operator"), "/tokens", url.Values{"name": {"read only"}, "days": {"1"}})
	for _, tk := range []string{viewerTok, readTok} {
		if p := bearer(t, e.testEnv, tk, base+url.Values{"topic": {g.topic}, "kind": {"earliest"}}.Encode()); p.status != http.StatusForbidden {
			t.Errorf("preview without reset:request: %d", p.status)
		}
	}
}
