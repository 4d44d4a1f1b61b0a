package auth

import (
	"net/url"
	"strings"
	"testing"
)

func TestSafeReturnTo(t *testing.T) {
	tests := map[string]string{
		"":                                  "/",
		"/":                                 "/",
		"/groups/prod/payments?tab=queues":  "/groups/prod/payments?tab=queues",
		"/a#frag":                           "/a#frag",
		"https://evil.example/":             "/",
		"//evil.example/":                   "/",
		"/\\evil.example":                   "/",
		"\\\\evil.example":                  "/",
		"/%2F/evil.example":                 "/",
		"/%5Cevil.example":                  "/",
		"javascript:alert(1)":               "/",
		"evil.example":                      "/",
		"/\t/evil.example":                  "/",
		"/ /evil.example":                   "/",
		"/\n/evil.example":                  "/",
		"/auth/login?return_to=/":           "/",
		"/auth/callback":                    "/",
		"/authors":                          "/authors",
		"/" + strings.Repeat("a", 3000):     "/",
		"http:/evil.example":                "/",
		"/%zz":                              "/",
		"/ok?next=https://evil.example":     "/ok?next=https://evil.example",
		"///evil.example":                   "/",
		"/.//evil.example":                  "/.//evil.example",
		"/ok/%2e%2e/%2e%2e//evil.example/x": "/ok/%2e%2e/%2e%2e//evil.example/x",
		"/user@evil.example":                "/user@evil.example",
		"/\u2028evil":                       "/",
		"/\x7f":                             "/",
		"/%09/evil.example":                 "/%09/evil.example",
	}
	for in, want := range tests {
		if got := SafeReturnTo(in); got != want {
			t.Errorf("SafeReturnTo(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzSafeReturnTo checks that whatever comes in, what comes out stays on this server when
// a browser resolves it against the dashboard's URL.
func FuzzSafeReturnTo(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "https://x", "/a?b=c", "/%2f%2fx"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://lagboard.example/")
	f.Fuzz(func(t *testing.T, in string) {
		out := SafeReturnTo(in)
		u, err := base.Parse(out)
		if err != nil {
			t.Fatalf("SafeReturnTo(%q) = %q, which does not parse: %v", in, out, err)
		}
		if u.Host != base.Host || u.Scheme != base.Scheme {
			t.Fatalf("SafeReturnTo(%q) = %q leads to %s", in, out, u)
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.ContainsRune(out, '\\') {
			t.Fatalf("SafeReturnTo(%q) = %q", in, out)
		}
	})
}
