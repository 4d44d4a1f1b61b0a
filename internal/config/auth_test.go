package config

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func authFrom(env map[string]string) (Auth, error) {
	a, errs := loadAuth(func(k string) string { return env[k] })
	return a, errors.Join(errs...)
}

func TestLoadAuthDefaults(t *testing.T) {
	a, err := authFrom(map[string]string{
		EnvOIDCIssuer: "https://login.example.com/realms/ops/", EnvOIDCClientID: "lagboard", EnvOIDCClientSecret: "s",
		EnvOIDCRedirectURL: "https://lagboard.example.com/auth/callback", EnvPolicyFile: "/etc/lagboard/policy.yaml",
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.OIDC.Issuer != "https://login.example.com/realms/ops" || !slices.Equal(a.OIDC.Scopes, []string{"openid", "profile", "email"}) ||
		a.OIDC.GroupsClaim != "groups" || a.OIDC.NameClaim != "name" || !a.CookieSecure || a.AnonymousRead ||
		a.SessionIdleTimeout != 8*time.Hour || a.SessionLifetime != 24*time.Hour {
		t.Fatalf("defaults = %+v", a)
	}
	a, err = authFrom(map[string]string{EnvAnonymousRead: "true"})
	if err != nil || a.OIDC.Enabled() || !a.AnonymousRead {
		t.Fatalf("anonymous only: %+v, %v", a, err)
	}
}

func TestLoadAuthErrorsNameTheVariable(t *testing.T) {
	good := map[string]string{
		EnvOIDCIssuer: "http://127.0.0.1:5556", EnvOIDCClientID: "lagboard", EnvOIDCClientSecret: "s",
		EnvOIDCRedirectURL: "http://127.0.0.1:8080/auth/callback", EnvPolicyFile: "p.yaml", EnvCookieSecure: "false",
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	if _, err := authFrom(good); err != nil {
		t.Fatalf("good config refused: %v", err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"nothing", map[string]string{}, "LAGBOARD_OIDC_ISSUER: is required"},
		{"client without issuer", map[string]string{EnvOIDCClientID: "x", EnvAnonymousRead: "true"}, "LAGBOARD_OIDC_ISSUER: is required when"},
		{"http issuer off loopback", with(EnvOIDCIssuer, "http://login.example.com"), "LAGBOARD_OIDC_ISSUER: \"http://login.example.com\" must use https"},
		{"issuer not a URL", with(EnvOIDCIssuer, "login.example.com"), "LAGBOARD_OIDC_ISSUER: \"login.example.com\" must start with https://"},
		{"no client id", with(EnvOIDCClientID, ""), "LAGBOARD_OIDC_CLIENT_ID: is required"},
		{"no secret", with(EnvOIDCClientSecret, ""), "LAGBOARD_OIDC_CLIENT_SECRET: is required"},
		{"no redirect", with(EnvOIDCRedirectURL, ""), "LAGBOARD_OIDC_REDIRECT_URL: is required"},
		{"redirect elsewhere", with(EnvOIDCRedirectURL, "http://127.0.0.1:8080/callback"), "LAGBOARD_OIDC_REDIRECT_URL: \"http://127.0.0.1:8080/callback\" must end in /auth/callback"},
		{"insecure cookie off loopback", with(EnvOIDCRedirectURL, "https://lagboard.example.com/auth/callback"), "LAGBOARD_COOKIE_SECURE: false is allowed only"},
		{"secure cookie on http", with(EnvCookieSecure, "true"), "LAGBOARD_COOKIE_SECURE: is true but LAGBOARD_OIDC_REDIRECT_URL is plain http"},
		{"bad bool", with(EnvCookieSecure, "maybe"), "LAGBOARD_COOKIE_SECURE: \"maybe\" is not true or false"},
		{"no openid scope", with(EnvOIDCScopes, "profile email"), "LAGBOARD_OIDC_SCOPES: \"profile email\" must include openid"},
		{"no policy", with(EnvPolicyFile, ""), "LAGBOARD_POLICY_FILE: is required"},
		{"bad idle", with(EnvSessionIdleTimeout, "-1h"), "LAGBOARD_SESSION_IDLE_TIMEOUT: \"-1h\" is not a positive duration"},
		{"idle beyond lifetime", with(EnvSessionIdleTimeout, "48h"), "LAGBOARD_SESSION_IDLE_TIMEOUT: 48h0m0s is longer than LAGBOARD_SESSION_LIFETIME"},
		{"bad anonymous", with(EnvAnonymousRead, "yes please"), "LAGBOARD_ANONYMOUS_READ: \"yes please\" is not true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := authFrom(tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
}
