package http

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzEdgeRequest sends one route of the router's table, with Postgres behind it, a
// fuzzed query string and form body, as the signed-in admin or anonymously. Whatever
// comes, the answer is never 5xx, and text Postgres cannot store (a malformed query or
// form, invalid UTF-8, a NUL byte) is refused with 400 before any handler runs.
//
// Signing out would end the admin's session for the rest of the run, so the sign-out
// routes are fuzzed anonymously.
func FuzzEdgeRequest(f *testing.F) {
	env := newEdgeEnv(f)
	admin := env.sessionCookie(env.signIn(f, "admin"))
	routes := env.server.routes()
	for i := range routes {
		for _, in := range [][2]string{
			{"", ""},
			{"q=pay&health=STOP&sort=lag&page=2", "cluster=prod&group=payments&topic=orders&kind=earliest&reason=replay&ticket=OPS-1"},
			{"range=24h&cluster=prod&group=g&topic=t&kind=shift&by=-5", "comment=looks+right&offset.broker-a%2F0=12&queue=broker-a%2F1"},
			{"q=%FF", "reason=a%00b"},
			{"actor=%C3%28&from=2025-01-01", "%FF=1"},
			{"q=%zz;x", "reason=%"},
		} {
			f.Add(uint8(i), i%2 == 0, in[0], in[1])
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, signedIn bool, query, body string) {
		rt := routes[int(route)%len(routes)]
		req := httptest.NewRequest(rt.method, concretePath(rt.pattern), strings.NewReader(body))
		req.URL.RawQuery = query
		wantRefused := unstorable(query)
		if rt.method == http.MethodPost {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			wantRefused = wantRefused || unstorable(body)
		}
		if signedIn && !strings.HasPrefix(rt.pattern, "/auth/logout") {
			req.AddCookie(admin)
		}
		w := httptest.NewRecorder()
		env.server.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s?%q body %q: %d: %.300s", rt.method, rt.pattern, query, body, w.Code, w.Body)
		}
		if wantRefused && w.Code != http.StatusBadRequest {
			t.Fatalf("%s %s?%q body %q: %d, want 400: %.300s", rt.method, rt.pattern, query, body, w.Code, w.Body)
		}
	})
}

// unstorable reports whether a urlencoded string is malformed or decodes to text that
// Postgres refuses or the edge finds too long; it decodes with the standard library, not
// with the edge's own checks.
func unstorable(s string) bool {
	v, err := url.ParseQuery(s)
	if err != nil {
		return true
	}
	for k, vs := range v {
		for _, x := range append(vs, k) {
			if !utf8.ValidString(x) || strings.Contains(x, "\x00") || len(x) > maxValueBytes {
				return true
			}
		}
	}
	return false
}
