package devidp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// TestEndSession signs in, then logs out through the end_session endpoint found in discovery.
func TestEndSession(t *testing.T) {
	tests := []struct {
		name       string
		params     func(idp *testIDP, idToken string) url.Values
		wantURL    func(idp *testIDP) string // where the browser ends; "" means a 400 on the provider
		wantRevoke bool                      // the access token stops working
	}{
		{
			name: "back to the client with state",
			params: func(idp *testIDP, idToken string) url.Values {
				return url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {idp.rp.URL + "/signed-out"}, "state": {"bye"}}
			},
			wantURL:    func(idp *testIDP) string { return idp.rp.URL + "/signed-out?state=bye" },
			wantRevoke: true,
		},
		{
			name: "client_id instead of a hint",
			params: func(idp *testIDP, _ string) url.Values {
				return url.Values{"client_id": {DemoClientID}, "post_logout_redirect_uri": {idp.rp.URL + "/signed-out"}}
			},
			wantURL: func(idp *testIDP) string { return idp.rp.URL + "/signed-out" },
		},
		{
			name:       "no redirect asked",
			params:     func(_ *testIDP, idToken string) url.Values { return url.Values{"id_token_hint": {idToken}} },
			wantURL:    func(idp *testIDP) string { return idp.issuer + loggedOutPath },
			wantRevoke: true,
		},
		{
			name: "unregistered post-logout redirect",
			params: func(idp *testIDP, idToken string) url.Values {
				return url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {idp.rp.URL + "/elsewhere"}}
			},
		},
		{
			name: "forged hint",
			params: func(idp *testIDP, idToken string) url.Values {
				return url.Values{"id_token_hint": {idToken[:len(idToken)-4] + "AAAA"}, "post_logout_redirect_uri": {idp.rp.URL + "/signed-out"}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newTestIDP(t, "", nil)
			var disco struct {
				EndSession string `json:"end_session_endpoint"`
			}
			if err := idp.provider.Claims(&disco); err != nil || disco.EndSession == "" {
				t.Fatalf("no end_session_endpoint in discovery: %v", err)
			}
			l := newPKCELogin()
			tok, _, idToken := idp.exchange(t, l, idp.signIn(t, l, "auditor"))

			_, got := authorize(t, disco.EndSession+"?"+tt.params(idp, idToken).Encode())
			if tt.wantURL == nil {
				if got.status != http.StatusBadRequest || strings.HasPrefix(got.url.String(), idp.rp.URL) {
					t.Fatalf("ended at %s with status %d, want 400 on the provider", got.url, got.status)
				}
			} else if got.status != http.StatusOK || got.url.String() != tt.wantURL(idp) {
				t.Fatalf("ended at %s with status %d, want %s", got.url, got.status, tt.wantURL(idp))
			}
			if tt.wantURL != nil && strings.HasPrefix(tt.wantURL(idp), idp.issuer) {
				if msg := got.testID("message"); !strings.Contains(msg, "signed out") {
					t.Errorf("logged-out page says %q", msg)
				}
			}

			_, err := idp.provider.UserInfo(idp.ctx, oauth2.StaticTokenSource(tok))
			if revoked := err != nil; revoked != tt.wantRevoke {
				t.Errorf("access token revoked: %v, want %v (userinfo error: %v)", revoked, tt.wantRevoke, err)
			}
		})
	}
}
