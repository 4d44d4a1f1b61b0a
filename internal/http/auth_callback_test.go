package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/lagboard/lagboard/internal/auth/authtest"
)

// signedInSessions counts session rows that carry a signed-in user (the gob encoding of a
// session holds its keys as plain text).
func (env *testEnv) signedInSessions(t *testing.T) int {
	t.Helper()
	var n int
	err := env.pool.QueryRow(t.Context(),
		`SELECT count(*) FROM sessions WHERE expiry > now() AND position(convert_to('identity', 'UTF8') in data) > 0`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// startLogin starts a sign-in with c's cookies and returns the provider URL it leads to.
func (env *testEnv) startLogin(t *testing.T, c *http.Client) *url.URL {
	t.Helper()
	nf := *c
	nf.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	p := do(t, &nf, http.MethodGet, env.URL+"/auth/login", nil, nil)
	u, err := url.Parse(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || err != nil || u.Query().Get("state") == "" {
		t.Fatalf("/auth/login: %d to %q", p.status, p.header.Get("Location"))
	}
	return u
}

// signInAtProvider signs username in on the dev provider for authorizeURL and returns the
// callback URL the provider sends the browser to, without following it.
func signInAtProvider(t *testing.T, c *http.Client, authorizeURL *url.URL, username string) *url.URL {
	t.Helper()
	stop := *c
	stop.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == "/auth/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}
	done := submitLogin(t, &stop, do(t, &stop, http.MethodGet, authorizeURL.String(), nil, nil), username)
	u, err := url.Parse(done.header.Get("Location"))
	if err != nil || u.Path != "/auth/callback" || u.Query().Get("code") == "" {
		t.Fatalf("provider ended with %d at %q", done.status, done.header.Get("Location"))
	}
	return u
}

func withQuery(u *url.URL, key, value string) string {
	v := *u
	q := v.Query()
	q.Set(key, value)
	v.RawQuery = q.Encode()
	return v.String()
}

// refusedWithoutSession checks a callback answer: refused, no signed-in session anywhere,
// the browser still sent to sign in, and the cause in the log.
func (env *testEnv) refusedWithoutSession(t *testing.T, c *http.Client, p page, wantStatus int, cause string) {
	t.Helper()
	if p.status != wantStatus {
		t.Errorf("callback answered %d, want %d: %.300s", p.status, wantStatus, p.body)
	}
	if n := env.signedInSessions(t); n != 0 {
		t.Errorf("%d signed-in sessions after a refused sign-in", n)
	}
	if ck := env.sessionCookie(c); ck != nil {
		t.Errorf("browser kept session cookie %s", ck.Name)
	}
	nf := *c
	nf.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if got := do(t, &nf, http.MethodGet, env.URL+"/", nil, nil); got.status != http.StatusSeeOther {
		t.Errorf("after refusal / answered %d, want a redirect to sign in", got.status)
	}
	if !strings.Contains(env.logs.String(), cause) {
		t.Errorf("log does not give the cause %q", cause)
	}
}

// TestForgedTokensAreRefused signs tokens no real provider would issue.
func TestForgedTokensAreRefused(t *testing.T) {
	tests := []struct {
		name  string
		token authtest.Token
		cause string
	}{
		{"wrong audience", authtest.Token{Edit: func(c map[string]any) { c["aud"] = "another-app" }}, "expected audience"},
		{"wrong issuer", authtest.Token{Edit: func(c map[string]any) { c["iss"] = "http://evil.example" }}, "issued by a different provider"},
		{"expired", authtest.Token{Edit: func(c map[string]any) {
			c["exp"], c["iat"] = time.Now().Add(-time.Minute).Unix(), time.Now().Add(-time.Hour).Unix()
		}}, "token is expired"},
		{"tampered", authtest.Token{Tamper: true}, "failed to verify signature"},
		{"unknown key", authtest.Token{ForeignKey: true}, "failed to verify signature"},
		{"bad nonce", authtest.Token{Edit: func(c map[string]any) { c["nonce"] = "replayed-nonce" }}, "nonce does not match"},
		{"no nonce", authtest.Token{Edit: func(c map[string]any) { delete(c, "nonce") }}, "nonce does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newEnv(t, envOptions{testIssuer: true})
			env.issuer.SetToken(tt.token)
			c := newClient(t, true)
			p := do(t, c, http.MethodGet, env.URL+"/", nil, nil)
			env.refusedWithoutSession(t, c, p, http.StatusUnauthorized, tt.cause)
		})
	}
	t.Run("control: an honest token signs in", func(t *testing.T) {
		env := newEnv(t, envOptions{testIssuer: true})
		c := newClient(t, true)
		if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.status != http.StatusOK || p.testID("user-name") != "Tess Tester" {
			t.Fatalf("honest sign-in: %d %q", p.status, p.testID("user-name"))
		}
	})
}

// TestCallbackRefusals go through the dev provider.
func TestCallbackRefusals(t *testing.T) {
	t.Run("wrong state", func(t *testing.T) {
		env := newEnv(t, envOptions{})
		c := newClient(t, true)
		cb := signInAtProvider(t, c, env.startLogin(t, c), "admin")
		p := do(t, c, http.MethodGet, withQuery(cb, "state", "forged-state"), nil, nil)
		env.refusedWithoutSession(t, c, p, http.StatusUnauthorized, "state does not match")
	})
	t.Run("replayed code", func(t *testing.T) {
		env := newEnv(t, envOptions{})
		victim := newClient(t, true)
		cb := signInAtProvider(t, victim, env.startLogin(t, victim), "admin")
		if p := do(t, victim, http.MethodGet, cb.String(), nil, nil); p.status != http.StatusOK {
			t.Fatalf("first use of the code: %d", p.status)
		}
		// The same callback again, in the same browser: its pending sign-in is used up,
		// and the session it already has is kept as it is.
		if p := do(t, victim, http.MethodGet, cb.String(), nil, nil); p.status != http.StatusUnauthorized {
			t.Errorf("replay in the same browser: %d", p.status)
		}
		if p := do(t, victim, http.MethodGet, env.URL+"/", nil, nil); p.status != http.StatusOK {
			t.Errorf("a stray callback signed the user out: %d", p.status)
		}
		// An attacker who saw the callback URL replays the code under his own pending
		// sign-in's state: the provider refuses the used code.
		attacker := newClient(t, true)
		state := env.startLogin(t, attacker).Query().Get("state")
		p := do(t, attacker, http.MethodGet, withQuery(cb, "state", state), nil, nil)
		if p.status != http.StatusUnauthorized || env.signedInSessions(t) != 1 || env.sessionCookie(attacker) != nil {
			t.Errorf("replayed code: %d, %d signed-in sessions", p.status, env.signedInSessions(t))
		}
		if !strings.Contains(env.logs.String(), "code exchange") {
			t.Error("the provider's refusal is not in the log")
		}
	})
	t.Run("wrong PKCE verifier", func(t *testing.T) {
		// Code injection: the attacker's own code, delivered to the victim's browser with
		// the victim's state, is exchanged with the victim's verifier and refused.
		env := newEnv(t, envOptions{})
		attacker := newClient(t, true)
		cb := signInAtProvider(t, attacker, env.startLogin(t, attacker), "admin")
		victim := newClient(t, true)
		state := env.startLogin(t, victim).Query().Get("state")
		p := do(t, victim, http.MethodGet, withQuery(cb, "state", state), nil, nil)
		env.refusedWithoutSession(t, victim, p, http.StatusUnauthorized, "code exchange")
	})
	t.Run("no pending sign-in", func(t *testing.T) {
		env := newEnv(t, envOptions{})
		c := newClient(t, true)
		p := do(t, c, http.MethodGet, env.URL+"/auth/callback?code=abc&state=def", nil, nil)
		env.refusedWithoutSession(t, c, p, http.StatusUnauthorized, "no pending sign-in")
	})
	t.Run("unknown group", func(t *testing.T) {
		env := newEnv(t, envOptions{})
		c := newClient(t, true)
		p := submitLogin(t, c, do(t, c, http.MethodGet, env.URL+"/", nil, nil), "stranger")
		env.refusedWithoutSession(t, c, p, http.StatusForbidden, "no grant matches")
		if p.testID("no-access-name") != "Stan Stranger" {
			t.Errorf("no-access page does not name the user: %.300s", p.body)
		}
		var values []string
		p.doc.Find(`[data-claim="groups"] [data-testid="claim-value"]`).Each(func(_ int, s *goquery.Selection) { values = append(values, s.Text()) })
		if strings.Join(values, ",") != "other-team,payments" {
			t.Errorf("no-access page shows groups %v", values)
		}
		if p.doc.Find(`[data-testid="user"], nav a[href="/"] ~ a`).Length() != 0 {
			t.Error("no-access page offers more than the message")
		}
	})
	t.Run("groups from userinfo", func(t *testing.T) {
		env := newEnv(t, envOptions{noGroupsInIDToken: true})
		c := env.signIn(t, "operator")
		if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.testID("user-name") != "Otto Operator" {
			t.Fatalf("userinfo groups not used: %.300s", p.body)
		}
	})
}
