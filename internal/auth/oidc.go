package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/errcode"
)

// pendingTTL is how long a started sign-in may take before the callback is refused.
const pendingTTL = 10 * time.Minute

// exchangeTimeout bounds the code exchange and the userinfo request of one callback.
const exchangeTimeout = 15 * time.Second

// OIDC is the relying party: it starts the authorization code flow with PKCE and finishes
// it by verifying the ID token. It keeps nothing per user; the pending sign-in lives in the
// server-side session.
type OIDC struct {
	cfg        config.OIDC
	client     *http.Client
	provider   *oidc.Provider
	verifier   *oidc.IDTokenVerifier
	oauth      oauth2.Config
	endSession string
	postLogout string
}

// Pending is a sign-in that was started and waits for the provider's callback.
type Pending struct {
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"`
	ReturnTo string    `json:"return_to"`
	Started  time.Time `json:"started"`
}

// NewOIDC discovers the provider at cfg.Issuer. client makes every call to the provider and
// must have a timeout.
func NewOIDC(ctx context.Context, cfg config.OIDC, client *http.Client) (*OIDC, error) {
	ctx = oidc.ClientContext(ctx, client)
	provider, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot discover the OpenID provider at %s: %w", config.EnvOIDCIssuer, cfg.Issuer, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("%s: discovery document of %s: %w", config.EnvOIDCIssuer, cfg.Issuer, err)
	}
	redirect, err := url.Parse(cfg.RedirectURL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvOIDCRedirectURL, err)
	}
	return &OIDC{
		cfg:      cfg,
		client:   client,
		provider: provider,
		verifier: provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			Endpoint:     provider.Endpoint(),
			RedirectURL:  cfg.RedirectURL,
			Scopes:       cfg.Scopes,
		},
		endSession: meta.EndSession,
		postLogout: redirect.Scheme + "://" + redirect.Host + "/",
	}, nil
}

// Begin returns a new pending sign-in and the provider URL to send the browser to.
func (o *OIDC) Begin(returnTo string, now time.Time) (Pending, string) {
	p := Pending{
		State:    rand.Text(),
		Nonce:    rand.Text(),
		Verifier: oauth2.GenerateVerifier(),
		ReturnTo: returnTo,
		Started:  now,
	}
	u := o.oauth.AuthCodeURL(p.State, oidc.Nonce(p.Nonce), oauth2.S256ChallengeOption(p.Verifier))
	return p, u
}

// refused is the error of a failed callback: the user sees message, the log sees cause.
func refused(cause error, message string) error {
	return errcode.Wrap(errcode.Unauthorized, cause, message+" Sign in again.")
}

const unverified = "The sign-in could not be verified."

// Finish checks the callback query against the pending sign-in, exchanges the code with the
// PKCE verifier, and verifies the ID token's signature, issuer, audience, expiry and nonce.
// When the groups claim is not in the ID token it is read from the userinfo endpoint.
func (o *OIDC) Finish(ctx context.Context, p Pending, q url.Values) (Identity, string, error) {
	if e := q.Get("error"); e != "" {
		return Identity{}, "", refused(fmt.Errorf("provider returned error %q: %s", e, q.Get("error_description")),
			"The identity provider did not sign you in.")
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(p.State)) != 1 {
		return Identity{}, "", refused(errors.New("state does not match the pending sign-in"),
			"This sign-in was not started in this browser, or another one replaced it.")
	}
	code := q.Get("code")
	if code == "" {
		return Identity{}, "", refused(errors.New("callback without a code"), unverified)
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.client), exchangeTimeout)
	defer cancel()
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return Identity{}, "", refused(fmt.Errorf("code exchange: %w", err), unverified)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, "", refused(errors.New("token response has no id_token"), unverified)
	}
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return Identity{}, "", refused(fmt.Errorf("verify ID token: %w", err), unverified)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(p.Nonce)) != 1 {
		return Identity{}, "", refused(errors.New("ID token nonce does not match the pending sign-in"), unverified)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return Identity{}, "", refused(fmt.Errorf("at_hash: %w", err), unverified)
		}
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, "", refused(fmt.Errorf("ID token claims: %w", err), unverified)
	}
	if _, ok := claims[o.cfg.GroupsClaim]; !ok && o.provider.UserInfoEndpoint() != "" {
		if err := o.userinfo(ctx, tok, idt.Subject, claims); err != nil {
			return Identity{}, "", refused(err, unverified)
		}
	}
	return o.identity(idt, claims), raw, nil
}

// userinfo adds the claims of the userinfo response that the ID token lacks.
func (o *OIDC) userinfo(ctx context.Context, tok *oauth2.Token, subject string, claims map[string]any) error {
	info, err := o.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	if info.Subject != subject {
		return fmt.Errorf("userinfo subject %q is not the ID token's %q", info.Subject, subject)
	}
	extra := map[string]any{}
	if err := info.Claims(&extra); err != nil {
		return fmt.Errorf("userinfo claims: %w", err)
	}
	for k, v := range extra {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	return nil
}

// protocolClaims are about the token, not the user; rules cannot match them.
var protocolClaims = []string{"iss", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "azp", "auth_time", "jti", "sid", "acr", "amr"}

func (o *OIDC) identity(idt *oidc.IDToken, raw map[string]any) Identity {
	c := Claims{}
	for k, v := range raw {
		if slices.Contains(protocolClaims, k) {
			continue
		}
		switch v := v.(type) {
		case string:
			c[k] = []string{v}
		case []any:
			var vals []string
			for _, item := range v {
				if s, ok := item.(string); ok {
					vals = append(vals, s)
				}
			}
			c[k] = vals
		}
	}
	id := Identity{Issuer: idt.Issuer, Subject: idt.Subject, Claims: c}
	if e := c["email"]; len(e) > 0 {
		id.Email = e[0]
	}
	for _, name := range []string{o.cfg.NameClaim, "name", "preferred_username", "email"} {
		if v := c[name]; len(v) > 0 && v[0] != "" {
			id.Name = v[0]
			break
		}
	}
	if id.Name == "" {
		id.Name = idt.Subject
	}
	return id
}

// origins returns the origins of the provider endpoints the browser is sent to.
func (o *OIDC) origins() []string {
	var out []string
	for _, raw := range []string{o.provider.Endpoint().AuthURL, o.endSession} {
		if u, err := url.Parse(raw); err == nil && u.Host != "" {
			if origin := u.Scheme + "://" + u.Host; !slices.Contains(out, origin) {
				out = append(out, origin)
			}
		}
	}
	return out
}

// EndSessionURL is where to send the browser to end the provider's session too, "" when
// the provider advertises no end_session_endpoint.
func (o *OIDC) EndSessionURL(idToken string) string {
	if o.endSession == "" {
		return ""
	}
	u, err := url.Parse(o.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	q.Set("client_id", o.cfg.ClientID)
	q.Set("post_logout_redirect_uri", o.postLogout)
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
