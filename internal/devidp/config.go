package devidp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Config describes a provider: where it lives, who can sign in and which applications may ask.
// It can be written in Go or loaded from a JSON file with LoadConfig; New validates it.
type Config struct {
	// Issuer is the provider's public URL, e.g. "http://127.0.0.1:5556". http is allowed,
	// since this provider only serves development and tests. It may have a path, but no
	// query, fragment or trailing slash.
	Issuer string `json:"issuer,omitempty"`
	// Users are the accounts that can sign in on the login form.
	Users []User `json:"users"`
	// Clients are the applications allowed to start a sign-in.
	Clients []Client `json:"clients"`
	// GroupsInIDToken puts the groups claim in ID tokens as well as in userinfo responses.
	// nil means true. Set it to false (new(false)) to test a relying party's userinfo fallback.
	GroupsInIDToken *bool `json:"groups_in_id_token,omitempty"`
	// Logger receives sign-in events. nil discards them.
	Logger *slog.Logger `json:"-"`

	// now is the clock for codes, pending sign-ins and access tokens; tests move it forward.
	now func() time.Time
}

// User is an account that can sign in. Its username is also the subject ("sub") of its tokens.
type User struct {
	// Username is typed on the login form and becomes "sub" and "preferred_username".
	Username string `json:"username"`
	// Password is kept in clear text: this provider only serves development and tests.
	Password string `json:"password"`
	// Email is the "email" claim, always marked verified.
	Email string `json:"email"`
	// Name is the display name; empty means the username.
	Name string `json:"name,omitempty"`
	// Groups is the "groups" claim. An empty list is allowed and is sent as [].
	Groups []string `json:"groups"`
}

// Client is a confidential web application using the authorization code flow. It
// authenticates with its secret (HTTP Basic or form post) and must use PKCE with S256.
type Client struct {
	// ID is the client_id.
	ID string `json:"id"`
	// Secret is the client_secret, compared in constant time.
	Secret string `json:"secret"`
	// RedirectURIs are the exact callback URLs the client may ask codes to be sent to.
	RedirectURIs []string `json:"redirect_uris"`
	// PostLogoutRedirectURIs are the exact URLs end_session may send the browser back to.
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
}

// Demo client identity, used by the local demo stack.
const (
	DemoClientID     = "lagboard"
	DemoClientSecret = "lagboard-dev-secret"
)

// DemoUsers returns one user per Lagboard role, named after the role (viewer, operator,
// approver, auditor, admin), plus operator2 and approver2 so that a change requested by one
// operator can be approved by someone else. Every password is "lagboard-<username>", every
// email "<username>@lagboard.test", and each user's groups are ["lagboard-<role>"].
func DemoUsers() []User {
	roles := []struct{ username, role, name string }{
		{"viewer", "viewer", "Vera Viewer"},
		{"operator", "operator", "Otto Operator"},
		{"operator2", "operator", "Olga Operator"},
		{"approver", "approver", "Ada Approver"},
		{"approver2", "approver", "Abel Approver"},
		{"auditor", "auditor", "Aude Auditor"},
		{"admin", "admin", "Alex Admin"},
	}
	users := make([]User, 0, len(roles))
	for _, r := range roles {
		users = append(users, User{
			Username: r.username,
			Password: "lagboard-" + r.username,
			Email:    r.username + "@lagboard.test",
			Name:     r.name,
			Groups:   []string{"lagboard-" + r.role},
		})
	}
	return users
}

// DemoClient returns the dashboard's client: id DemoClientID, secret DemoClientSecret, the
// given redirect URL, and the redirect URL's origin followed by "/" as its only post-logout
// redirect URL (e.g. "http://127.0.0.1:8080/" for "http://127.0.0.1:8080/auth/callback").
func DemoClient(redirectURL string) Client {
	c := Client{ID: DemoClientID, Secret: DemoClientSecret, RedirectURIs: []string{redirectURL}}
	if u, err := url.Parse(redirectURL); err == nil && u.Scheme != "" && u.Host != "" {
		c.PostLogoutRedirectURIs = []string{u.Scheme + "://" + u.Host + "/"}
	}
	return c
}

// LoadConfig reads a JSON configuration file (see users.example.json). Unknown fields are
// errors, so a misspelt key does not go unnoticed. It does not validate the values: New does,
// after the caller has filled in what the file may leave out, such as the issuer.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("load config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("load config %s: %w", path, err)
	}
	if dec.More() {
		return Config{}, fmt.Errorf("load config %s: unexpected data after the JSON object", path)
	}
	return cfg, nil
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

// Validate reports every problem in c at once, one per line.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if err := checkURL(c.Issuer); err != nil {
		bad("issuer: %w", err)
	} else if u, _ := url.Parse(c.Issuer); u.RawQuery != "" || strings.HasSuffix(c.Issuer, "/") {
		bad("issuer %q: must not have a query or end with a slash", c.Issuer)
	}
	if len(c.Users) == 0 {
		bad("users: at least one user is required")
	}
	seen := make(map[string]bool)
	for i, u := range c.Users {
		at := fmt.Sprintf("users[%d]", i)
		if u.Username != "" {
			at += " (" + u.Username + ")"
		}
		switch {
		case !namePattern.MatchString(u.Username):
			bad("%s: username must be 1-64 letters, digits or ._@- and start with a letter or digit", at)
		case seen[u.Username]:
			bad("%s: duplicate username", at)
		}
		seen[u.Username] = true
		if u.Password == "" {
			bad("%s: password is required", at)
		}
		if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
			bad("%s: email %q is not a plain email address", at, u.Email)
		}
		for j, g := range u.Groups {
			if strings.TrimSpace(g) == "" {
				bad("%s: groups[%d] is empty", at, j)
			}
		}
	}
	if len(c.Clients) == 0 {
		bad("clients: at least one client is required")
	}
	seen = make(map[string]bool)
	for i, cl := range c.Clients {
		at := fmt.Sprintf("clients[%d]", i)
		if cl.ID != "" {
			at += " (" + cl.ID + ")"
		}
		switch {
		case !namePattern.MatchString(cl.ID):
			bad("%s: id must be 1-64 letters, digits or ._@- and start with a letter or digit", at)
		case seen[cl.ID]:
			bad("%s: duplicate client id", at)
		}
		seen[cl.ID] = true
		if cl.Secret == "" {
			bad("%s: secret is required", at)
		}
		if len(cl.RedirectURIs) == 0 {
			bad("%s: redirect_uris: at least one is required", at)
		}
		for j, u := range cl.RedirectURIs {
			if err := checkURL(u); err != nil {
				bad("%s: redirect_uris[%d]: %w", at, j, err)
			}
		}
		for j, u := range cl.PostLogoutRedirectURIs {
			if err := checkURL(u); err != nil {
				bad("%s: post_logout_redirect_uris[%d]: %w", at, j, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid devidp config:\n%w", errors.Join(errs...))
	}
	return nil
}

// checkURL accepts an absolute http or https URL without a fragment.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("is required")
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%q is not a URL", raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: scheme must be http or https", raw)
	case u.Host == "":
		return fmt.Errorf("%q: host is missing", raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%q: must not have a fragment", raw)
	case u.User != nil:
		return fmt.Errorf("%q: must not contain credentials", raw)
	}
	return nil
}

func (c Config) groupsInIDToken() bool { return c.GroupsInIDToken == nil || *c.GroupsInIDToken }
