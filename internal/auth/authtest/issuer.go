// Package authtest is a minimal OpenID provider for tests that need ID tokens no real
// provider would issue: expired, for another audience, from another issuer, signed with an
// unknown key or altered after signing. It signs in a fixed user without a login form.
// Tests of the real flow use internal/devidp instead.
package authtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Client credentials the issuer accepts.
const (
	ClientID     = "lagboard-test"
	ClientSecret = "lagboard-test-secret"
)

// Token changes the next ID tokens the issuer signs.
type Token struct {
	// Edit changes the claims before signing (iss, aud, exp, nonce, groups...).
	Edit func(claims map[string]any)
	// ForeignKey signs with a key the JWKS does not publish.
	ForeignKey bool
	// Tamper changes a claim after signing, so the signature no longer matches.
	Tamper bool
}

// Issuer is a running test provider.
type Issuer struct {
	// URL is the issuer URL, also the base of every endpoint.
	URL string
	// Groups is the groups claim of the signed-in user.
	Groups []string

	t        testing.TB
	redirect string
	key      *rsa.PrivateKey
	foreign  *rsa.PrivateKey

	mu    sync.Mutex
	codes map[string]grant
	token Token
}

type grant struct {
	nonce, challenge string
}

// NewIssuer starts a provider that sends codes to redirectURL; it stops with the test.
func NewIssuer(t testing.TB, redirectURL string) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	i := &Issuer{t: t, redirect: redirectURL, key: key, foreign: foreign, codes: map[string]grant{},
		Groups: []string{"lagboard-viewer"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", i.discovery)
	mux.HandleFunc("GET /authorize", i.authorize)
	mux.HandleFunc("POST /token", i.tokenEndpoint)
	mux.HandleFunc("GET /keys", i.keys)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	i.URL = srv.URL
	return i
}

// SetToken makes the issuer change the ID tokens it signs from now on.
func (i *Issuer) SetToken(tok Token) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.token = tok
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v) //nolint:errcheck // test server
}

func (i *Issuer) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, map[string]any{
		"issuer":                                i.URL,
		"authorization_endpoint":                i.URL + "/authorize",
		"token_endpoint":                        i.URL + "/token",
		"jwks_uri":                              i.URL + "/keys",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

// authorize signs the fixed user in at once and sends the code back with the state.
func (i *Issuer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != ClientID || q.Get("redirect_uri") != i.redirect || q.Get("code_challenge_method") != "S256" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	code := rand.Text()
	i.mu.Lock()
	i.codes[code] = grant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge")}
	i.mu.Unlock()
	back := i.redirect + "?" + url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
	http.Redirect(w, r, back, http.StatusFound)
}

func (i *Issuer) tokenEndpoint(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostFormValue("client_id"), r.PostFormValue("client_secret")
	}
	if id != ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(ClientSecret)) != 1 {
		w.WriteHeader(http.StatusUnauthorized)
		writeJSON(w, map[string]string{"error": "invalid_client"})
		return
	}
	code := r.PostFormValue("code")
	i.mu.Lock()
	g, found := i.codes[code]
	delete(i.codes, code)
	tok := i.token
	i.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if !found || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]string{"error": "invalid_grant"})
		return
	}
	now := time.Now()
	claims := map[string]any{
		"iss": i.URL, "sub": "tester", "aud": ClientID, "nonce": g.nonce,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"name": "Tess Tester", "groups": i.Groups,
	}
	if tok.Edit != nil {
		tok.Edit(claims)
	}
	writeJSON(w, map[string]any{
		"access_token": rand.Text(), "token_type": "Bearer", "expires_in": 3600,
		"id_token": i.sign(claims, tok),
	})
}

func (i *Issuer) sign(claims map[string]any, tok Token) string {
	key := i.key
	if tok.ForeignKey {
		key = i.foreign
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "test"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		i.t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		i.t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		i.t.Fatal(err)
	}
	compact, err := jws.CompactSerialize()
	if err != nil {
		i.t.Fatal(err)
	}
	if tok.Tamper {
		// Keep header and signature, swap the payload for one that grants more.
		parts := strings.Split(compact, ".")
		claims["groups"] = []string{"lagboard-admin"}
		altered, _ := json.Marshal(claims)
		parts[1] = base64.RawURLEncoding.EncodeToString(altered)
		compact = strings.Join(parts, ".")
	}
	return compact
}

func (i *Issuer) keys(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &i.key.PublicKey, KeyID: "test", Algorithm: "RS256", Use: "sig"}}})
}
