package devidp

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

type userClaims struct {
	Email             string    `json:"email"`
	EmailVerified     bool      `json:"email_verified"`
	Name              string    `json:"name"`
	PreferredUsername string    `json:"preferred_username"`
	Groups            *[]string `json:"groups"`
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name            string
		username        string
		path            string // issuer path
		groupsInIDToken *bool
		wantGroups      []string
	}{
		{name: "viewer", username: "viewer", wantGroups: []string{"lagboard-viewer"}},
		{name: "operator", username: "operator", wantGroups: []string{"lagboard-operator"}},
		{name: "operator2", username: "operator2", wantGroups: []string{"lagboard-operator"}},
		{name: "approver", username: "approver", wantGroups: []string{"lagboard-approver"}},
		{name: "approver2", username: "approver2", wantGroups: []string{"lagboard-approver"}},
		{name: "auditor", username: "auditor", wantGroups: []string{"lagboard-auditor"}},
		{name: "admin", username: "admin", wantGroups: []string{"lagboard-admin"}},
		{name: "groups explicitly in ID token", username: "admin", groupsInIDToken: new(true),
			wantGroups: []string{"lagboard-admin"}},
		{name: "groups only from userinfo", username: "operator", groupsInIDToken: new(false),
			wantGroups: []string{"lagboard-operator"}},
		{name: "issuer with a path", username: "approver2", path: "/dex",
			wantGroups: []string{"lagboard-approver"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp := newTestIDP(t, tt.path, func(c *Config) { c.GroupsInIDToken = tt.groupsInIDToken })
			l := newPKCELogin()
			code := idp.signIn(t, l, tt.username)
			tok, idt, _ := idp.exchange(t, l, code)

			if idt.Issuer != idp.issuer || idt.Subject != tt.username || !slices.Equal(idt.Audience, []string{DemoClientID}) {
				t.Errorf("ID token iss %q sub %q aud %v", idt.Issuer, idt.Subject, idt.Audience)
			}
			var inToken userClaims
			if err := idt.Claims(&inToken); err != nil {
				t.Fatal(err)
			}
			wantEmail := tt.username + "@lagboard.test"
			if inToken.Email != wantEmail || !inToken.EmailVerified || inToken.Name == "" || inToken.PreferredUsername != tt.username {
				t.Errorf("ID token claims %+v", inToken)
			}
			switch groupsInToken := tt.groupsInIDToken == nil || *tt.groupsInIDToken; {
			case groupsInToken && (inToken.Groups == nil || !slices.Equal(*inToken.Groups, tt.wantGroups)):
				t.Errorf("ID token groups %v, want %v", inToken.Groups, tt.wantGroups)
			case !groupsInToken && inToken.Groups != nil:
				t.Errorf("ID token has groups %v, want none", *inToken.Groups)
			}

			info, err := idp.provider.UserInfo(idp.ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			var fromUserinfo userClaims
			if err := info.Claims(&fromUserinfo); err != nil {
				t.Fatal(err)
			}
			if info.Subject != tt.username || info.Email != wantEmail || fromUserinfo.Name != inToken.Name {
				t.Errorf("userinfo sub %q email %q name %q", info.Subject, info.Email, fromUserinfo.Name)
			}
			if fromUserinfo.Groups == nil || !slices.Equal(*fromUserinfo.Groups, tt.wantGroups) {
				t.Errorf("userinfo groups %v, want %v", fromUserinfo.Groups, tt.wantGroups)
			}
		})
	}
}

func TestUserWithoutGroupsGetsEmptyList(t *testing.T) {
	idp := newTestIDP(t, "", func(c *Config) {
		c.Users = append(c.Users, User{Username: "outsider", Password: "lagboard-outsider", Email: "outsider@lagboard.test"})
	})
	l := newPKCELogin()
	_, idt, _ := idp.exchange(t, l, idp.signIn(t, l, "outsider"))
	var claims userClaims
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if claims.Groups == nil || len(*claims.Groups) != 0 || claims.Name != "outsider" {
		t.Errorf("claims %+v, want groups [] and name defaulting to the username", claims)
	}
}

func TestDiscoveryAndKeys(t *testing.T) {
	idp := newTestIDP(t, "", nil)
	var disco struct {
		CodeChallengeMethods []string `json:"code_challenge_methods_supported"`
		EndSession           string   `json:"end_session_endpoint"`
		UserInfo             string   `json:"userinfo_endpoint"`
		JWKS                 string   `json:"jwks_uri"`
		Claims               []string `json:"claims_supported"`
	}
	if err := idp.provider.Claims(&disco); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(disco.CodeChallengeMethods, []string{"S256"}) {
		t.Errorf("code_challenge_methods_supported %v, want [S256]", disco.CodeChallengeMethods)
	}
	for name, got := range map[string]string{"end_session": disco.EndSession, "userinfo": disco.UserInfo, "jwks": disco.JWKS} {
		if !strings.HasPrefix(got, idp.issuer+"/") {
			t.Errorf("%s endpoint %q not under the issuer", name, got)
		}
	}
	if !slices.Contains(disco.Claims, "groups") {
		t.Errorf("claims_supported %v lacks groups", disco.Claims)
	}

	resp, err := http.Get(disco.JWKS)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct {
		Keys []struct{ Kty, Kid, Alg, Use string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&jwks); err != nil {
		t.Fatal(err)
	}
	if len(jwks.Keys) != 1 || jwks.Keys[0].Kty != "RSA" || jwks.Keys[0].Alg != "RS256" || jwks.Keys[0].Kid == "" {
		t.Errorf("JWKS %+v, want one RS256 RSA key with a kid", jwks.Keys)
	}
}
