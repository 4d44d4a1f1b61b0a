package devidp

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// testClock is the store's clock; tests move it instead of sleeping.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testIDP is a provider on an httptest server, a relying party's callback server, and a
// go-oidc + x/oauth2 client set up against them, as the dashboard would be.
type testIDP struct {
	issuer   string
	clock    *testClock
	rp       *httptest.Server
	ctx      context.Context // carries the HTTP client for go-oidc and x/oauth2
	provider *oidc.Provider
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// newTestIDP starts a provider with the demo users and client; path is the issuer's path
// ("" for none) and edit, if not nil, changes the config before New.
func newTestIDP(t *testing.T, path string, edit func(*Config)) *testIDP {
	t.Helper()
	rpMux := http.NewServeMux()
	rpMux.HandleFunc("GET /callback", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("callback")) })
	rpMux.HandleFunc("GET /signed-out", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("signed out")) })
	rp := httptest.NewServer(rpMux)
	t.Cleanup(rp.Close)

	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String() + path
	clock := &testClock{now: time.Now()}
	demo := DemoClient(rp.URL + "/callback")
	demo.PostLogoutRedirectURIs = []string{rp.URL + "/signed-out"}
	cfg := Config{Issuer: issuer, Users: DemoUsers(), Clients: []Client{demo}, now: clock.Now}
	if edit != nil {
		edit(&cfg)
	}
	p, err := New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.Config.Handler = p
	srv.Start()
	t.Cleanup(srv.Close)

	ctx := oidc.ClientContext(t.Context(), srv.Client())
	ctx = context.WithValue(ctx, oauth2.HTTPClient, srv.Client())
	provider, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return &testIDP{
		issuer:   issuer,
		clock:    clock,
		rp:       rp,
		ctx:      ctx,
		provider: provider,
		oauth: oauth2.Config{
			ClientID:     DemoClientID,
			ClientSecret: DemoClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  rp.URL + "/callback",
			Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
		},
		verifier: provider.Verifier(&oidc.Config{ClientID: DemoClientID}),
	}
}

// newBrowser is an HTTP client that keeps cookies and follows redirects, like a browser
// without JavaScript.
func newBrowser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

// page is a fetched HTML page and where it was finally served from.
type page struct {
	status int
	url    *url.URL
	doc    *goquery.Document
}

func (p page) testID(id string) string {
	return strings.TrimSpace(p.doc.Find(`[data-testid="` + id + `"]`).Text())
}

func readPage(t *testing.T, resp *http.Response, err error) page {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", resp.Request.URL, err)
	}
	return page{status: resp.StatusCode, url: resp.Request.URL, doc: doc}
}

// submitLogin fills in and posts the login form found on p.
func submitLogin(t *testing.T, b *http.Client, p page, username, password string) page {
	t.Helper()
	form := p.doc.Find(`form[data-testid="login-form"]`)
	if form.Length() != 1 {
		t.Fatalf("no login form at %s (status %d): %s", p.url, p.status, p.doc.Text())
	}
	if m, _ := form.Attr("method"); m != "post" {
		t.Fatalf("form method %q, want post", m)
	}
	action, _ := form.Attr("action")
	target, err := p.url.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	values := url.Values{}
	form.Find(`input[type="hidden"]`).Each(func(_ int, s *goquery.Selection) {
		name, _ := s.Attr("name")
		value, _ := s.Attr("value")
		values.Set(name, value)
	})
	values.Set("username", username)
	values.Set("password", password)
	resp, err := b.PostForm(target.String(), values)
	return readPage(t, resp, err)
}

// authorize opens authURL in a fresh browser and returns the page it ends on.
func authorize(t *testing.T, authURL string) (*http.Client, page) {
	t.Helper()
	b := newBrowser(t)
	resp, err := b.Get(authURL)
	return b, readPage(t, resp, err)
}

// pkceLogin is one authorization request with its secrets.
type pkceLogin struct {
	state, nonce, verifier string
}

func newPKCELogin() pkceLogin {
	return pkceLogin{state: rand.Text(), nonce: rand.Text(), verifier: oauth2.GenerateVerifier()}
}

func (l pkceLogin) authURL(idp *testIDP, opts ...oauth2.AuthCodeOption) string {
	opts = append([]oauth2.AuthCodeOption{oidc.Nonce(l.nonce), oauth2.S256ChallengeOption(l.verifier)}, opts...)
	return idp.oauth.AuthCodeURL(l.state, opts...)
}

// signIn runs the browser part of a login and returns the code delivered to the callback.
func (idp *testIDP) signIn(t *testing.T, l pkceLogin, username string) string {
	t.Helper()
	b, form := authorize(t, l.authURL(idp))
	done := submitLogin(t, b, form, username, "lagboard-"+username)
	q := done.url.Query()
	if done.status != http.StatusOK || done.url.Path != "/callback" || q.Get("error") != "" {
		t.Fatalf("sign-in ended at %s (status %d): %s", done.url, done.status, done.doc.Text())
	}
	if q.Get("state") != l.state {
		t.Fatalf("state %q, want %q", q.Get("state"), l.state)
	}
	if q.Get("code") == "" {
		t.Fatalf("no code at %s", done.url)
	}
	return q.Get("code")
}

// exchange trades a code for tokens and verifies the ID token as the dashboard would.
func (idp *testIDP) exchange(t *testing.T, l pkceLogin, code string) (*oauth2.Token, *oidc.IDToken, string) {
	t.Helper()
	tok, err := idp.oauth.Exchange(idp.ctx, code, oauth2.VerifierOption(l.verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := idp.verifier.Verify(idp.ctx, raw)
	if err != nil {
		t.Fatalf("verify ID token: %v", err)
	}
	if idt.Nonce != l.nonce {
		t.Fatalf("nonce %q, want %q", idt.Nonce, l.nonce)
	}
	return tok, idt, raw
}
