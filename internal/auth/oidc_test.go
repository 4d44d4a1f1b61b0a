package auth

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/devidp"

	"github.com/lagboard/lagboard/internal/auth/authtest"
)

// The callback is never served here: the test stops at the redirect to it and reads the
// query, so it can replay codes and change what the relying party remembers.
const testRedirect = "http://127.0.0.1:9/auth/callback"

// newDevRP starts the dev provider and a relying party configured against it.
func newDevRP(t *testing.T, groupsInIDToken bool) *OIDC {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	idp, err := devidp.New(t.Context(), devidp.Config{
		Issuer: issuer, Users: devidp.DemoUsers(), Clients: []devidp.Client{devidp.DemoClient(testRedirect)},
		GroupsInIDToken: &groupsInIDToken,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = idp
	srv.Start()
	t.Cleanup(srv.Close)
	o, err := NewOIDC(t.Context(), config.OIDC{
		Issuer: issuer, ClientID: devidp.DemoClientID, ClientSecret: devidp.DemoClientSecret,
		RedirectURL: testRedirect, Scopes: []string{"openid", "profile", "email"},
		GroupsClaim: "groups", NameClaim: "name",
	}, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// authorize signs username in on the provider's form and returns the callback query.
func authorize(t *testing.T, authURL, username string) url.Values {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Path == "/auth/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	resp := authtest.GetAndSignIn(t, c, authURL, username)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || loc.Path != "/auth/callback" {
		t.Fatalf("sign-in ended with %d at %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

func TestFinishSignsInThroughDevProvider(t *testing.T) {
	for _, inToken := range []bool{true, false} {
		name := "groups in ID token"
		if !inToken {
			name = "groups from userinfo"
		}
		t.Run(name, func(t *testing.T) {
			o := newDevRP(t, inToken)
			p, u := o.Begin("/x", time.Now())
			if !strings.Contains(u, "code_challenge_method=S256") || strings.Contains(u, p.Verifier) {
				t.Fatalf("authorization URL %s lacks S256 PKCE or leaks the verifier", u)
			}
			id, raw, err := o.Finish(t.Context(), p, authorize(t, u, "operator"))
			if err != nil {
				t.Fatal(err)
			}
			if id.Subject != "operator" || id.Name != "Otto Operator" || !slices.Equal(id.Claims["groups"], []string{"lagboard-operator"}) || raw == "" {
				t.Fatalf("identity = %+v", id)
			}
			if _, ok := id.Claims["nonce"]; ok {
				t.Error("protocol claims kept as user claims")
			}
		})
	}
}

// TestFinishRefuses covers what only the relying party's memory can get wrong; the HTTP
// tests of internal/http cover the same refusals end to end.
func TestFinishRefuses(t *testing.T) {
	o := newDevRP(t, true)
	tests := []struct {
		name   string
		change func(p *Pending, q url.Values)
		want   string
	}{
		{"wrong state", func(p *Pending, q url.Values) { q.Set("state", "forged") }, "state does not match"},
		{"missing state", func(p *Pending, q url.Values) { q.Del("state") }, "state does not match"},
		{"wrong PKCE verifier", func(p *Pending, q url.Values) { p.Verifier = strings.Repeat("x", 43) }, "code exchange"},
		{"bad nonce", func(p *Pending, q url.Values) { p.Nonce = "other" }, "nonce does not match"},
		{"provider error", func(p *Pending, q url.Values) { q.Set("error", "access_denied") }, "provider returned error"},
		{"no code", func(p *Pending, q url.Values) { q.Del("code") }, "without a code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, u := o.Begin("/", time.Now())
			q := authorize(t, u, "viewer")
			tt.change(&p, q)
			_, _, err := o.Finish(t.Context(), p, q)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Finish = %v, want an error with %q", err, tt.want)
			}
		})
	}
	t.Run("replayed code", func(t *testing.T) {
		p, u := o.Begin("/", time.Now())
		q := authorize(t, u, "viewer")
		if _, _, err := o.Finish(t.Context(), p, q); err != nil {
			t.Fatal(err)
		}
		_, _, err := o.Finish(t.Context(), p, q)
		if err == nil || !strings.Contains(err.Error(), "code exchange") {
			t.Fatalf("replayed code: %v", err)
		}
		var target interface{ Unwrap() error }
		if !errors.As(err, &target) {
			t.Fatal("refusal does not carry its cause")
		}
	})
}

func TestEndSessionURL(t *testing.T) {
	o := newDevRP(t, true)
	u, err := url.Parse(o.EndSessionURL("the.id.token"))
	if err != nil || !strings.HasSuffix(u.Path, "/end_session") {
		t.Fatalf("EndSessionURL = %v, %v", u, err)
	}
	q := u.Query()
	if q.Get("id_token_hint") != "the.id.token" || q.Get("post_logout_redirect_uri") != "http://127.0.0.1:9/" || q.Get("client_id") != devidp.DemoClientID {
		t.Fatalf("end session query = %v", q)
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "anything", true}, {"*", "", true}, {"payments-*", "payments-orders", true},
		{"payments-*", "payments-", true}, {"payments-*", "billing-payments-x", false},
		{"*-orders", "payments-orders", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "acb", false},
		{"prod", "prod", true}, {"prod", "prod2", false}, {"*ab", "ab", true}, {"a*a", "a", false},
	}
	for _, tt := range tests {
		if got := matchGlob(tt.pattern, tt.name); got != tt.want {
			t.Errorf("matchGlob(%q, %q) = %v", tt.pattern, tt.name, got)
		}
	}
}
