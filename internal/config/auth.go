package config

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Auth is how people sign in and what they may do.
type Auth struct {
	// OIDC is the OpenID provider; its Issuer is empty when sign-in is off (anonymous only).
	OIDC OIDC
	// PolicyFile is the YAML file of grants and deny rules (LAGBOARD_POLICY_FILE).
	PolicyFile string
	// CookieSecure marks the session cookie Secure (LAGBOARD_COOKIE_SECURE).
	CookieSecure bool
	// SessionIdleTimeout ends a session unused for this long (LAGBOARD_SESSION_IDLE_TIMEOUT).
	SessionIdleTimeout time.Duration
	// SessionLifetime ends a session this long after sign-in (LAGBOARD_SESSION_LIFETIME).
	SessionLifetime time.Duration
	// AnonymousRead lets visitors who are not signed in read pages (LAGBOARD_ANONYMOUS_READ).
	AnonymousRead bool
}

// OIDC is the OpenID Connect relying-party configuration.
type OIDC struct {
	Issuer       string   // LAGBOARD_OIDC_ISSUER
	ClientID     string   // LAGBOARD_OIDC_CLIENT_ID
	ClientSecret string   // LAGBOARD_OIDC_CLIENT_SECRET
	RedirectURL  string   // LAGBOARD_OIDC_REDIRECT_URL, ending in /auth/callback
	Scopes       []string // LAGBOARD_OIDC_SCOPES
	GroupsClaim  string   // LAGBOARD_OIDC_GROUPS_CLAIM
	NameClaim    string   // LAGBOARD_OIDC_NAME_CLAIM
}

// Enabled reports whether sign-in is configured.
func (o OIDC) Enabled() bool { return o.Issuer != "" }

// Variable names of the auth configuration.
const (
	EnvOIDCIssuer         = "LAGBOARD_OIDC_ISSUER"
	EnvOIDCClientID       = "LAGBOARD_OIDC_CLIENT_ID"
	EnvOIDCClientSecret   = "LAGBOARD_OIDC_CLIENT_SECRET"
	EnvOIDCRedirectURL    = "LAGBOARD_OIDC_REDIRECT_URL"
	EnvOIDCScopes         = "LAGBOARD_OIDC_SCOPES"
	EnvOIDCGroupsClaim    = "LAGBOARD_OIDC_GROUPS_CLAIM"
	EnvOIDCNameClaim      = "LAGBOARD_OIDC_NAME_CLAIM"
	EnvPolicyFile         = "LAGBOARD_POLICY_FILE"
	EnvCookieSecure       = "LAGBOARD_COOKIE_SECURE"
	EnvSessionIdleTimeout = "LAGBOARD_SESSION_IDLE_TIMEOUT"
	EnvSessionLifetime    = "LAGBOARD_SESSION_LIFETIME"
	EnvAnonymousRead      = "LAGBOARD_ANONYMOUS_READ"
)

// CallbackPath is where the provider sends the browser back; the redirect URL must end in it.
const CallbackPath = "/auth/callback"

// loadAuth reads the auth variables; each problem names its variable.
func loadAuth(getenv func(string) string) (Auth, []error) {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }
	a := Auth{
		OIDC: OIDC{
			Issuer:       strings.TrimSuffix(get(EnvOIDCIssuer), "/"),
			ClientID:     get(EnvOIDCClientID),
			ClientSecret: get(EnvOIDCClientSecret),
			RedirectURL:  get(EnvOIDCRedirectURL),
			Scopes:       strings.FieldsFunc(orDefault(getenv(EnvOIDCScopes), "openid profile email"), isScopeSep),
			GroupsClaim:  orDefault(getenv(EnvOIDCGroupsClaim), "groups"),
			NameClaim:    orDefault(getenv(EnvOIDCNameClaim), "name"),
		},
		PolicyFile:         get(EnvPolicyFile),
		CookieSecure:       true,
		SessionIdleTimeout: 8 * time.Hour,
		SessionLifetime:    24 * time.Hour,
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{EnvCookieSecure, &a.CookieSecure}, {EnvAnonymousRead, &a.AnonymousRead}} {
		if v := get(b.name); v != "" {
			parsed, err := strconv.ParseBool(v)
			if err != nil {
				bad(b.name, "%q is not true or false", v)
				continue
			}
			*b.dst = parsed
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{EnvSessionIdleTimeout, &a.SessionIdleTimeout}, {EnvSessionLifetime, &a.SessionLifetime}} {
		if v := get(d.name); v != "" {
			parsed, err := time.ParseDuration(v)
			if err != nil || parsed <= 0 {
				bad(d.name, "%q is not a positive duration such as 30m or 8h", v)
				continue
			}
			*d.dst = parsed
		}
	}
	if a.SessionIdleTimeout > a.SessionLifetime {
		bad(EnvSessionIdleTimeout, "%s is longer than %s (%s)", a.SessionIdleTimeout, EnvSessionLifetime, a.SessionLifetime)
	}

	o := a.OIDC
	if !o.Enabled() {
		switch {
		case o.ClientID != "" || o.ClientSecret != "" || o.RedirectURL != "":
			bad(EnvOIDCIssuer, "is required when %s, %s or %s is set", EnvOIDCClientID, EnvOIDCClientSecret, EnvOIDCRedirectURL)
		case !a.AnonymousRead:
			bad(EnvOIDCIssuer, "is required: the URL of your OpenID provider (or set %s=true for a read-only dashboard without sign-in on a trusted network)", EnvAnonymousRead)
		}
		return a, errs
	}
	if err := checkHTTPURL(o.Issuer, true); err != nil {
		bad(EnvOIDCIssuer, "%v", err)
	}
	if o.ClientID == "" {
		bad(EnvOIDCClientID, "is required: the client id registered with the OpenID provider")
	}
	if o.ClientSecret == "" {
		bad(EnvOIDCClientSecret, "is required: the client secret registered with the OpenID provider")
	}
	if o.RedirectURL == "" {
		bad(EnvOIDCRedirectURL, "is required: the dashboard's public URL followed by %s, e.g. https://lagboard.example.com%s", CallbackPath, CallbackPath)
	} else if err := checkHTTPURL(o.RedirectURL, false); err != nil {
		bad(EnvOIDCRedirectURL, "%v", err)
	} else if u, _ := url.Parse(o.RedirectURL); u.Path != CallbackPath || u.RawQuery != "" {
		bad(EnvOIDCRedirectURL, "%q must end in %s with no query", o.RedirectURL, CallbackPath)
	} else if local := isLoopback(u.Hostname()); !a.CookieSecure && !local {
		bad(EnvCookieSecure, "false is allowed only for a local dashboard (redirect URL on http://127.0.0.1, http://localhost or http://[::1]), not %s", u.Host)
	} else if a.CookieSecure && u.Scheme == "http" {
		bad(EnvCookieSecure, "is true but %s is plain http, where browsers do not send Secure cookies: serve the dashboard over https, or set %s=false for local use", EnvOIDCRedirectURL, EnvCookieSecure)
	}
	if !slices.Contains(o.Scopes, "openid") {
		bad(EnvOIDCScopes, "%q must include openid", strings.Join(o.Scopes, " "))
	}
	if a.PolicyFile == "" {
		bad(EnvPolicyFile, "is required with sign-in: the YAML file that maps claim values to roles (see docs/AUTH.md)")
	}
	return a, errs
}

func isScopeSep(r rune) bool { return r == ' ' || r == ',' || r == '\t' }

// checkHTTPURL accepts an absolute https URL, or http for loopback hosts when allowed
// (an http issuer on another host would send tokens in the clear).
func checkHTTPURL(raw string, httpsOnlyOffLoopback bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q must start with https:// (or http:// for a local provider)", raw)
	case u.Host == "":
		return fmt.Errorf("%q has no host", raw)
	case u.User != nil || u.Fragment != "":
		return fmt.Errorf("%q must not contain credentials or a fragment", raw)
	case httpsOnlyOffLoopback && u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%q must use https (http is accepted only for 127.0.0.1, localhost or [::1])", raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
