package http

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// bare requests the dashboard with exactly the given session cookie value, no jar.
func (env *testEnv) bare(t *testing.T, method, path, cookie string) page {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	h := http.Header{}
	if cookie != "" {
		h.Set("Cookie", env.auth.Sessions().CookieName()+"="+cookie)
	}
	return do(t, c, method, env.URL+path, nil, h)
}

func TestSessionFixation(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := newClient(t, true)
	authorize := env.startLogin(t, c)
	before := env.sessionCookie(c)
	if before == nil {
		t.Fatal("starting a sign-in set no session cookie")
	}
	// Someone who knows the pre-sign-in id (planted it, or read it) gains nothing.
	cb := signInAtProvider(t, c, authorize, "admin")
	if p := do(t, c, http.MethodGet, cb.String(), nil, nil); p.status != http.StatusOK {
		t.Fatalf("sign-in: %d", p.status)
	}
	after := env.sessionCookie(c)
	if after == nil || after.Value == before.Value {
		t.Fatal("the session id was not renewed at sign-in")
	}
	if p := env.bare(t, http.MethodGet, "/", before.Value); p.status != http.StatusSeeOther {
		t.Errorf("the pre-sign-in id still works: %d", p.status)
	}
	if n := env.sessionRows(t); n != 1 {
		t.Errorf("%d session rows, want only the signed-in one", n)
	}
	if p := env.bare(t, http.MethodGet, "/", after.Value); p.status != http.StatusOK {
		t.Errorf("the new id does not work: %d", p.status)
	}

	// A cookie value the server never issued is not adopted either.
	planted := newClient(t, true)
	u, _ := url.Parse(env.URL)
	planted.Jar.SetCookies(u, []*http.Cookie{{Name: env.auth.Sessions().CookieName(), Value: "attacker-chosen-id"}})
	env.signInWith(t, planted, "viewer")
	if ck := env.sessionCookie(planted); ck == nil || ck.Value == "attacker-chosen-id" {
		t.Fatalf("planted session id kept: %+v", ck)
	}
	var n int
	if err := env.pool.QueryRow(t.Context(), `SELECT count(*) FROM sessions WHERE token = 'attacker-chosen-id'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("planted id stored: %d, %v", n, err)
	}
}

// signInWith signs username in with an existing client.
func (env *testEnv) signInWith(t *testing.T, c *http.Client, username string) {
	t.Helper()
	if p := submitLogin(t, c, do(t, c, http.MethodGet, env.URL+"/auth/login", nil, nil), username); p.status != http.StatusOK {
		t.Fatalf("sign-in of %s: %d", username, p.status)
	}
}

func TestCookieFlags(t *testing.T) {
	for _, secure := range []bool{false, true} {
		env := newEnv(t, envOptions{cookieSecure: secure})
		p := do(t, newClient(t, false), http.MethodGet, env.URL+"/auth/login", nil, nil)
		cookies := (&http.Response{Header: p.header}).Cookies()
		if len(cookies) != 1 {
			t.Fatalf("secure=%v: cookies %v", secure, p.header.Values("Set-Cookie"))
		}
		ck := cookies[0]
		wantName := auth.CookieName
		if secure {
			wantName = auth.SecureCookieName
		}
		if ck.Name != wantName || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure != secure || ck.Path != "/" || ck.Domain != "" {
			t.Errorf("secure=%v: cookie %q", secure, p.header.Get("Set-Cookie"))
		}
		if len(ck.Value) < 43 {
			t.Errorf("session id %q is short", ck.Value)
		}
	}
}

func TestIdleAndAbsoluteTimeouts(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		env := newEnv(t, envOptions{idle: time.Second, lifetime: time.Hour})
		v := env.sessionCookie(env.signIn(t, "viewer")).Value
		time.Sleep(1500 * time.Millisecond)
		if p := env.bare(t, http.MethodGet, "/", v); p.status != http.StatusSeeOther {
			t.Fatalf("idle session still served: %d", p.status)
		}
	})
	t.Run("absolute", func(t *testing.T) {
		env := newEnv(t, envOptions{idle: 2 * time.Second, lifetime: 3 * time.Second})
		start := time.Now()
		v := env.sessionCookie(env.signIn(t, "viewer")).Value
		for time.Since(start) < 2*time.Second {
			if p := env.bare(t, http.MethodGet, "/", v); p.status != http.StatusOK {
				t.Fatalf("active session refused after %s: %d", time.Since(start), p.status)
			}
			time.Sleep(500 * time.Millisecond)
		}
		for time.Since(start) < 3500*time.Millisecond {
			env.bare(t, http.MethodGet, "/", v) // keep it busy: activity must not extend it
			time.Sleep(500 * time.Millisecond)
		}
		if p := env.bare(t, http.MethodGet, "/", v); p.status != http.StatusSeeOther {
			t.Fatalf("session served past its lifetime: %d", p.status)
		}
	})
}

func TestSignOut(t *testing.T) {
	t.Run("with the provider's end_session_endpoint", func(t *testing.T) {
		env := newEnv(t, envOptions{})
		c := env.signIn(t, "viewer")
		v := env.sessionCookie(c).Value
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		p := do(t, c, http.MethodPost, env.URL+"/auth/logout", url.Values{}, nil)
		end, err := url.Parse(p.header.Get("Location"))
		if p.status != http.StatusSeeOther || err != nil || !strings.HasSuffix(end.Path, "/end_session") {
			t.Fatalf("logout: %d to %q", p.status, p.header.Get("Location"))
		}
		if q := end.Query(); q.Get("id_token_hint") == "" || q.Get("post_logout_redirect_uri") != env.URL+"/" {
			t.Errorf("end session query %v", q)
		}
		if env.sessionRows(t) != 0 || env.sessionCookie(c) != nil {
			t.Error("session survived sign-out")
		}
		if p := env.bare(t, http.MethodGet, "/", v); p.status != http.StatusSeeOther {
			t.Errorf("old session id still works: %d", p.status)
		}
	})
	t.Run("without one", func(t *testing.T) {
		env := newEnv(t, envOptions{testIssuer: true})
		c := newClient(t, true)
		do(t, c, http.MethodGet, env.URL+"/", nil, nil)
		p := do(t, c, http.MethodPost, env.URL+"/auth/logout", url.Values{}, nil)
		if p.url.Path != auth.SignedOutPath || p.testID("signed-out") == "" || env.sessionRows(t) != 0 {
			t.Fatalf("logout ended at %s (%d)", p.url, p.status)
		}
	})
	t.Run("everywhere", func(t *testing.T) {
		env := newEnv(t, envOptions{})
		a, b := env.signIn(t, "operator"), env.signIn(t, "operator")
		other := env.signIn(t, "viewer")
		bv := env.sessionCookie(b).Value
		if p := do(t, a, http.MethodPost, env.URL+"/auth/logout-everywhere", url.Values{}, nil); p.status != http.StatusOK {
			t.Fatalf("logout everywhere ended with %d at %s", p.status, p.url)
		}
		if p := env.bare(t, http.MethodGet, "/", bv); p.status != http.StatusSeeOther {
			t.Errorf("the user's other session survived: %d", p.status)
		}
		if p := do(t, other, http.MethodGet, env.URL+"/", nil, nil); p.status != http.StatusOK {
			t.Errorf("another user's session was ended: %d", p.status)
		}
		if c := env.signIn(t, "operator"); c == nil {
			t.Error("cannot sign in again")
		}
	})
}

func TestReturnTo(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := newClient(t, true)
	p := submitLogin(t, c, do(t, c, http.MethodGet, env.URL+"/?tab=queues&x=%2F", nil, nil), "viewer")
	if p.url.String() != env.URL+"/?tab=queues&x=%2F" {
		t.Errorf("came back to %s", p.url)
	}
	for _, evil := range []string{"https://evil.example/", "//evil.example/", "/\\evil.example"} {
		c := newClient(t, true)
		p := submitLogin(t, c, do(t, c, http.MethodGet, env.URL+"/auth/login?return_to="+url.QueryEscape(evil), nil, nil), "viewer")
		if p.url.String() != env.URL+"/" {
			t.Errorf("return_to %q led to %s", evil, p.url)
		}
	}
}

func TestAnonymousRead(t *testing.T) {
	t.Run("without sign-in", func(t *testing.T) {
		env := newEnv(t, envOptions{noSignIn: true})
		c := newClient(t, false)
		if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.status != http.StatusOK || p.testID("sign-in") != "" {
			t.Errorf("anonymous overview: %d", p.status)
		}
		if p := do(t, c, http.MethodGet, env.URL+"/auth/login", nil, nil); p.status != http.StatusNotFound {
			t.Errorf("sign-in without a provider: %d", p.status)
		}
		if p := do(t, c, http.MethodPost, env.URL+"/auth/logout-everywhere", url.Values{}, nil); p.status != http.StatusForbidden {
			t.Errorf("signed-in route: %d", p.status)
		}
	})
	t.Run("with sign-in", func(t *testing.T) {
		env := newEnv(t, envOptions{anonymousRead: true})
		c := newClient(t, true)
		p := do(t, c, http.MethodGet, env.URL+"/", nil, nil)
		if p.status != http.StatusOK || p.testID("sign-in") != "Sign in" {
			t.Fatalf("anonymous overview: %d, sign-in link %q", p.status, p.testID("sign-in"))
		}
		env.signInWith(t, c, "admin")
		if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.testID("user-name") != "Alex Admin" {
			t.Error("signing in from anonymous read did not show the user")
		}
	})
}

func TestPolicyReload(t *testing.T) {
	env := newEnv(t, envOptions{})
	c := env.signIn(t, "viewer")
	write := func(s string) {
		if err := os.WriteFile(env.policyPath, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("grants:\n  - {values: [lagboard-viewer], role: viewer, clusters: [\"*\"], consumer_groups: [\"*\"]\n")
	err := env.auth.ReloadPolicy()
	if err == nil || !strings.Contains(err.Error(), env.policyPath+": yaml: line") {
		t.Fatalf("invalid reload: %v", err)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.status != http.StatusOK {
		t.Fatalf("an invalid reload changed access: %d", p.status)
	}
	write("grants:\n  - {values: [lagboard-admin], role: admin, clusters: [\"*\"], consumer_groups: [\"*\"]}\n")
	if err := env.auth.ReloadPolicy(); err != nil {
		t.Fatal(err)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.status != http.StatusForbidden {
		t.Fatalf("after removing the viewer grant: %d", p.status)
	}
	// Run reloads on every value from its channel and logs the outcome.
	hup := make(chan os.Signal, 1)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(t.Context())
	go func() { done <- env.auth.Run(ctx, hup) }()
	write("grants: [\n")
	hup <- syscall.SIGHUP
	waitLog(t, env.logs, "policy reload failed; keeping the previous policy")
	write(testPolicy)
	hup <- syscall.SIGHUP
	waitLog(t, env.logs, `"msg":"policy reloaded"`)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.status != http.StatusOK {
		t.Fatalf("after restoring the policy: %d", p.status)
	}
}

func waitLog(t *testing.T, logs *stacktest.SyncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log never said %q", want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
