package devidp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func validConfig() Config {
	return Config{
		Issuer:  "http://127.0.0.1:5556",
		Users:   DemoUsers(),
		Clients: []Client{DemoClient("http://127.0.0.1:8080/auth/callback")},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr []string // substrings of the error; none means valid
	}{
		{name: "demo", edit: func(*Config) {}},
		{name: "https issuer with a path", edit: func(c *Config) { c.Issuer = "https://idp.example/dex" }},
		{name: "no issuer", edit: func(c *Config) { c.Issuer = "" }, wantErr: []string{"issuer: is required"}},
		{name: "issuer with trailing slash", edit: func(c *Config) { c.Issuer += "/" }, wantErr: []string{"must not have a query or end with a slash"}},
		{name: "issuer with query", edit: func(c *Config) { c.Issuer += "?a=b" }, wantErr: []string{"must not have a query"}},
		{name: "issuer not http", edit: func(c *Config) { c.Issuer = "ftp://x" }, wantErr: []string{"scheme must be http or https"}},
		{name: "issuer without host", edit: func(c *Config) { c.Issuer = "http:///x" }, wantErr: []string{"host is missing"}},
		{name: "no users", edit: func(c *Config) { c.Users = nil }, wantErr: []string{"users: at least one user is required"}},
		{name: "duplicate user", edit: func(c *Config) { c.Users = append(c.Users, c.Users[0]) }, wantErr: []string{"users[7] (viewer): duplicate username"}},
		{name: "bad username", edit: func(c *Config) { c.Users[0].Username = "a:b" }, wantErr: []string{"users[0] (a:b): username must be"}},
		{name: "no password", edit: func(c *Config) { c.Users[1].Password = "" }, wantErr: []string{"users[1] (operator): password is required"}},
		{name: "bad email", edit: func(c *Config) { c.Users[2].Email = "Ann <a@b.test>" }, wantErr: []string{`users[2] (operator2): email "Ann <a@b.test>"`}},
		{name: "blank group", edit: func(c *Config) { c.Users[0].Groups = []string{" "} }, wantErr: []string{"users[0] (viewer): groups[0] is empty"}},
		{name: "no clients", edit: func(c *Config) { c.Clients = nil }, wantErr: []string{"clients: at least one client is required"}},
		{name: "duplicate client", edit: func(c *Config) { c.Clients = append(c.Clients, c.Clients[0]) }, wantErr: []string{"clients[1] (lagboard): duplicate client id"}},
		{name: "no secret", edit: func(c *Config) { c.Clients[0].Secret = "" }, wantErr: []string{"clients[0] (lagboard): secret is required"}},
		{name: "no redirect", edit: func(c *Config) { c.Clients[0].RedirectURIs = nil }, wantErr: []string{"redirect_uris: at least one is required"}},
		{name: "redirect with fragment", edit: func(c *Config) { c.Clients[0].RedirectURIs = []string{"http://x/cb#f"} }, wantErr: []string{"redirect_uris[0]", "fragment"}},
		{name: "relative post-logout", edit: func(c *Config) { c.Clients[0].PostLogoutRedirectURIs = []string{"/bye"} }, wantErr: []string{"post_logout_redirect_uris[0]"}},
		{
			name:    "every problem at once",
			edit:    func(c *Config) { c.Issuer, c.Users[0].Password, c.Clients[0].Secret = "", "", "" },
			wantErr: []string{"issuer:", "users[0] (viewer): password", "clients[0] (lagboard): secret"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate accepted the config, want errors %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if _, err := New(t.Context(), cfg); err == nil {
				t.Error("New accepted an invalid config")
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(t *testing.T, body string) string {
		t.Helper()
		path := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name    string
		path    func(t *testing.T) string
		wantErr string
	}{
		{name: "example file", path: func(*testing.T) string { return "users.example.json" }},
		{name: "missing file", path: func(*testing.T) string { return filepath.Join(dir, "none.json") }, wantErr: "no such file"},
		{name: "unknown field", path: func(t *testing.T) string { return write(t, `{"users": [], "colour": "red"}`) }, wantErr: `unknown field "colour"`},
		{name: "not JSON", path: func(t *testing.T) string { return write(t, "users:\n  - viewer\n") }, wantErr: "invalid character"},
		{name: "two objects", path: func(t *testing.T) string { return write(t, `{} {}`) }, wantErr: "unexpected data after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadConfig(tt.path(t))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadConfig error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cfg.Issuer = "http://127.0.0.1:5556"
			if err := cfg.Validate(); err != nil {
				t.Fatalf("example does not validate: %v", err)
			}
			if cfg.GroupsInIDToken == nil || !*cfg.GroupsInIDToken || len(cfg.Users) == 0 {
				t.Errorf("example loaded as %+v", cfg)
			}
		})
	}
}

func TestDemoUsersAndClient(t *testing.T) {
	want := map[string]string{
		"viewer": "lagboard-viewer", "operator": "lagboard-operator", "operator2": "lagboard-operator",
		"approver": "lagboard-approver", "approver2": "lagboard-approver", "auditor": "lagboard-auditor",
		"admin": "lagboard-admin",
	}
	users := DemoUsers()
	if len(users) != len(want) {
		t.Fatalf("%d demo users, want %d", len(users), len(want))
	}
	for _, u := range users {
		if !slices.Equal(u.Groups, []string{want[u.Username]}) || u.Password != "lagboard-"+u.Username ||
			u.Email != u.Username+"@lagboard.test" || u.Name == "" {
			t.Errorf("demo user %+v", u)
		}
	}
	c := DemoClient("http://127.0.0.1:8080/auth/callback")
	if c.ID != "lagboard" || c.Secret != "lagboard-dev-secret" ||
		!slices.Equal(c.RedirectURIs, []string{"http://127.0.0.1:8080/auth/callback"}) ||
		!slices.Equal(c.PostLogoutRedirectURIs, []string{"http://127.0.0.1:8080/"}) {
		t.Errorf("demo client %+v", c)
	}
}
