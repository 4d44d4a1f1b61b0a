package devidp

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestAuthorizeRefused covers requests refused before the login form. Errors the client may
// see come back on its redirect URI with the state; errors about the client or redirect URI
// itself stay on the provider, so nothing is sent to an unregistered address.
func TestAuthorizeRefused(t *testing.T) {
	tests := []struct {
		name      string
		authURL   func(idp *testIDP, l pkceLogin) string
		wantError string // OAuth error on the redirect URI; "" means refused on the provider
	}{
		{
			name: "missing PKCE",
			authURL: func(idp *testIDP, l pkceLogin) string {
				return idp.oauth.AuthCodeURL(l.state, oauth2.SetAuthURLParam("nonce", l.nonce))
			},
			wantError: "invalid_request",
		},
		{
			name: "plain PKCE",
			authURL: func(idp *testIDP, l pkceLogin) string {
				return idp.oauth.AuthCodeURL(l.state, oauth2.SetAuthURLParam("code_challenge", l.verifier),
					oauth2.SetAuthURLParam("code_challenge_method", "plain"))
			},
			wantError: "invalid_request",
		},
		{
			name: "prompt none without a session",
			authURL: func(idp *testIDP, l pkceLogin) string {
				return l.authURL(idp, oauth2.SetAuthURLParam("prompt", "none"))
			},
			wantError: "login_required",
		},
		{
			name: "implicit flow to an http redirect URI",
			authURL: func(idp *testIDP, l pkceLogin) string {
				return l.authURL(idp, oauth2.SetAuthURLParam("response_type", "id_token token"))
			},
		},
		{
			name: "unknown client",
			authURL: func(idp *testIDP, l pkceLogin) string {
				return l.authURL(idp, oauth2.SetAuthURLParam("client_id", "intruder"))
			},
		},
		{
			name: "unregistered redirect URI",
			authURL: func(idp *testIDP, l pkceLogin) string {
				return l.authURL(idp, oauth2.SetAuthURLParam("redirect_uri", idp.rp.URL+"/elsewhere"))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newTestIDP(t, "", nil)
			l := newPKCELogin()
			_, got := authorize(t, tt.authURL(idp, l))
			onRP := strings.HasPrefix(got.url.String(), idp.rp.URL+"/")
			if tt.wantError == "" {
				if onRP || got.status != http.StatusBadRequest {
					t.Fatalf("ended at %s with status %d, want 400 on the provider", got.url, got.status)
				}
				return
			}
			q := got.url.Query()
			if !onRP || q.Get("error") != tt.wantError || q.Get("state") != l.state || q.Get("code") != "" {
				t.Fatalf("ended at %s, want the callback with error=%s and the state", got.url, tt.wantError)
			}
		})
	}
}

// TestTokenRefused covers code exchanges that must fail after a good sign-in.
func TestTokenRefused(t *testing.T) {
	tests := []struct {
		name      string
		exchange  func(idp *testIDP, l pkceLogin, code string) error
		wantError string
	}{
		{
			name: "wrong PKCE verifier",
			exchange: func(idp *testIDP, _ pkceLogin, code string) error {
				_, err := idp.oauth.Exchange(idp.ctx, code, oauth2.VerifierOption(oauth2.GenerateVerifier()))
				return err
			},
			wantError: "invalid_grant",
		},
		{
			name: "no PKCE verifier",
			exchange: func(idp *testIDP, _ pkceLogin, code string) error {
				_, err := idp.oauth.Exchange(idp.ctx, code)
				return err
			},
			wantError: "invalid_request",
		},
		{
			name: "wrong client secret",
			exchange: func(idp *testIDP, l pkceLogin, code string) error {
				c := idp.oauth
				c.ClientSecret = "guess"
				_, err := c.Exchange(idp.ctx, code, oauth2.VerifierOption(l.verifier))
				return err
			},
			wantError: "invalid_client",
		},
		{
			name: "unknown client",
			exchange: func(idp *testIDP, l pkceLogin, code string) error {
				c := idp.oauth
				c.ClientID = "intruder"
				_, err := c.Exchange(idp.ctx, code, oauth2.VerifierOption(l.verifier))
				return err
			},
			wantError: "invalid_client",
		},
		{
			name: "different redirect URI",
			exchange: func(idp *testIDP, l pkceLogin, code string) error {
				c := idp.oauth
				c.RedirectURL = idp.rp.URL + "/elsewhere"
				_, err := c.Exchange(idp.ctx, code, oauth2.VerifierOption(l.verifier))
				return err
			},
			wantError: "invalid_grant",
		},
		{
			name: "expired code",
			exchange: func(idp *testIDP, l pkceLogin, code string) error {
				idp.clock.Advance(codeTTL + time.Second)
				_, err := idp.oauth.Exchange(idp.ctx, code, oauth2.VerifierOption(l.verifier))
				return err
			},
			wantError: "invalid_grant",
		},
		{
			name: "made-up code",
			exchange: func(idp *testIDP, l pkceLogin, _ string) error {
				_, err := idp.oauth.Exchange(idp.ctx, "not-a-code", oauth2.VerifierOption(l.verifier))
				return err
			},
			wantError: "invalid_grant",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newTestIDP(t, "", nil)
			l := newPKCELogin()
			err := tt.exchange(idp, l, idp.signIn(t, l, "operator"))
			if re, ok := errors.AsType[*oauth2.RetrieveError](err); !ok || re.ErrorCode != tt.wantError {
				t.Fatalf("exchange error %v, want %s", err, tt.wantError)
			}
		})
	}
}

// TestCodeReuse checks that a code works once, that a refused exchange does not use it up,
// and that using it again revokes the access token the first use obtained.
func TestCodeReuse(t *testing.T) {
	idp := newTestIDP(t, "", nil)
	l := newPKCELogin()
	code := idp.signIn(t, l, "approver")
	wrong := idp.oauth
	wrong.ClientSecret = "guess"
	if _, err := wrong.Exchange(idp.ctx, code, oauth2.VerifierOption(l.verifier)); err == nil {
		t.Fatal("exchange with a wrong secret succeeded")
	}
	tok, _, _ := idp.exchange(t, l, code)
	if _, err := idp.provider.UserInfo(idp.ctx, oauth2.StaticTokenSource(tok)); err != nil {
		t.Fatalf("userinfo before reuse: %v", err)
	}
	_, err := idp.oauth.Exchange(idp.ctx, code, oauth2.VerifierOption(l.verifier))
	if re, ok := errors.AsType[*oauth2.RetrieveError](err); !ok || re.ErrorCode != "invalid_grant" {
		t.Fatalf("second exchange error %v, want invalid_grant", err)
	}
	if _, err := idp.provider.UserInfo(idp.ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Fatal("userinfo accepted the access token of a reused code")
	}
}

// TestConcurrentExchange checks that of several simultaneous exchanges of one code, exactly
// one gets tokens.
func TestConcurrentExchange(t *testing.T) {
	idp := newTestIDP(t, "", nil)
	l := newPKCELogin()
	code := idp.signIn(t, l, "admin")
	const n = 8
	results := make(chan error, n)
	for range n {
		go func() {
			_, err := idp.oauth.Exchange(idp.ctx, code, oauth2.VerifierOption(l.verifier))
			results <- err
		}()
	}
	var ok int
	for range n {
		if err := <-results; err == nil {
			ok++
		} else if re, isRE := errors.AsType[*oauth2.RetrieveError](err); !isRE || re.ErrorCode != "invalid_grant" {
			t.Errorf("exchange error %v, want invalid_grant", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d exchanges succeeded, want 1", ok)
	}
}
