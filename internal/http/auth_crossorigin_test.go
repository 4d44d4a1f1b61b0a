package http

import (
	"net/http"
	"net/url"
	"testing"
)

// TestCrossOriginPostsAreRefused sends a signed-in admin's cookie with a request from
// another site to every route that changes state, the way a form on an attacker's page
// would, and checks it is refused before the handler runs.
func TestCrossOriginPostsAreRefused(t *testing.T) {
	env := newEnv(t, envOptions{})
	mutating := 0
	for _, rt := range env.server.routes() {
		switch rt.method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			continue
		}
		mutating++
		path := concretePath(rt.pattern)
		t.Run(rt.method+" "+rt.pattern, func(t *testing.T) {
			c := env.signIn(t, "admin")
			c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			for name, h := range map[string]http.Header{
				"Sec-Fetch-Site":      {"Sec-Fetch-Site": {"cross-site"}},
				"Origin only":         {"Origin": {"https://evil.example"}},
				"same site, not ours": {"Sec-Fetch-Site": {"same-site"}, "Origin": {"http://127.0.0.1.nip.io"}},
			} {
				if p := do(t, c, rt.method, env.URL+path, url.Values{}, h); p.status != http.StatusForbidden {
					t.Errorf("%s: %d, want 403", name, p.status)
				}
			}
			if p := do(t, c, http.MethodGet, env.URL+"/", nil, nil); p.status != http.StatusOK {
				t.Fatalf("a refused cross-origin request changed the session: / answers %d", p.status)
			}
			if p := do(t, c, rt.method, env.URL+path, url.Values{}, http.Header{"Sec-Fetch-Site": {"same-origin"}}); p.status == http.StatusForbidden {
				t.Errorf("same-origin request refused")
			}
		})
	}
	if mutating == 0 {
		t.Fatal("no route changes state: sign-out at least must be a POST")
	}
}
