package devidp

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLoginForm(t *testing.T) {
	idp := newTestIDP(t, "", nil)
	l := newPKCELogin()
	b, form := authorize(t, l.authURL(idp))
	if form.status != http.StatusOK {
		t.Fatalf("login form status %d", form.status)
	}
	if h1 := strings.TrimSpace(form.doc.Find("h1").Text()); h1 != "Lagboard dev sign-in" {
		t.Errorf("heading %q", h1)
	}
	if note := form.testID("dev-note"); !strings.Contains(note, "development identity provider") {
		t.Errorf("dev note %q", note)
	}
	for _, id := range []string{"username", "password"} {
		if form.doc.Find(`label[for="`+id+`"]`).Length() != 1 || form.doc.Find("input#"+id+"[required]").Length() != 1 {
			t.Errorf("no labelled, required %s field", id)
		}
	}

	refusals := []struct{ name, username, password string }{
		{"wrong password", "operator", "lagboard-admin"},
		{"unknown user", "mallory", "lagboard-mallory"},
		{"empty password", "operator", ""},
		{"password of another user", "viewer", "lagboard-operator"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			got := submitLogin(t, b, form, tt.username, tt.password)
			if got.status != http.StatusUnauthorized || got.url.Host != form.url.Host {
				t.Fatalf("status %d at %s, want 401 on the provider", got.status, got.url)
			}
			if msg := got.testID("login-error"); msg != "Wrong username or password." {
				t.Errorf("error message %q", msg)
			}
			if v, _ := got.doc.Find("input#username").Attr("value"); v != tt.username {
				t.Errorf("username field %q, want it kept", v)
			}
		})
	}

	// The same pending request still signs in with the right password.
	done := submitLogin(t, b, form, "operator", "lagboard-operator")
	if done.url.Path != "/callback" || done.url.Query().Get("code") == "" {
		t.Fatalf("after refusals, sign-in ended at %s", done.url)
	}
	// And it cannot be signed in twice.
	again := submitLogin(t, b, form, "operator", "lagboard-operator")
	if again.status != http.StatusBadRequest {
		t.Errorf("second sign-in on a used request: status %d, want 400", again.status)
	}
}

func TestLoginPageRefusals(t *testing.T) {
	idp := newTestIDP(t, "", nil)
	tests := []struct {
		name   string
		req    func() *http.Request
		status int
	}{
		{"unknown request id", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, idp.issuer+"/login?id=nope", nil)
			return r
		}, http.StatusBadRequest},
		{"cross-site post", func() *http.Request {
			body := url.Values{"id": {"x"}, "username": {"admin"}, "password": {"lagboard-admin"}}.Encode()
			r, _ := http.NewRequest(http.MethodPost, idp.issuer+"/login", strings.NewReader(body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r
		}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tt.req())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
}
