package devidp

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/url"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// groupsScope is accepted so that relying parties written for providers that want it (Dex)
// work unchanged; the groups claim does not depend on it.
const groupsScope = "groups"

// client adapts a configured Client to op.Client: a confidential web application limited to
// the authorization code flow with opaque access tokens.
type client struct {
	cfg       Client
	loginPath string // the login form, e.g. "/login"
}

var _ op.Client = (*client)(nil)

// GetID implements op.Client.
func (c *client) GetID() string { return c.cfg.ID }

// RedirectURIs implements op.Client: only exact matches are accepted.
func (c *client) RedirectURIs() []string { return c.cfg.RedirectURIs }

// PostLogoutRedirectURIs implements op.Client: only exact matches are accepted.
func (c *client) PostLogoutRedirectURIs() []string { return c.cfg.PostLogoutRedirectURIs }

// ApplicationType implements op.Client: a confidential web application.
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }

// AuthMethod implements op.Client; a secret in the form body is accepted too.
func (c *client) AuthMethod() oidc.AuthMethod { return oidc.AuthMethodBasic }

// ResponseTypes implements op.Client: code only.
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}

// GrantTypes implements op.Client: authorization_code only.
func (c *client) GrantTypes() []oidc.GrantType { return []oidc.GrantType{oidc.GrantTypeCode} }

// AccessTokenType implements op.Client: opaque tokens, checked at userinfo.
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }

// IDTokenLifetime implements op.Client.
func (c *client) IDTokenLifetime() time.Duration { return idTokenLifetime }

// DevMode implements op.Client; it would relax redirect URI checks, which we keep strict.
func (c *client) DevMode() bool { return false }

// IsScopeAllowed implements op.Client; the op package drops other unknown scopes.
func (c *client) IsScopeAllowed(scope string) bool { return scope == groupsScope }

// ClockSkew implements op.Client.
func (c *client) ClockSkew() time.Duration { return 0 }

// RestrictAdditionalIdTokenScopes implements op.Client without restricting anything.
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string { return keepScopes }

// RestrictAdditionalAccessTokenScopes implements op.Client without restricting anything.
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return keepScopes
}

// LoginURL sends the browser to our login form for the pending request.
func (c *client) LoginURL(requestID string) string {
	return c.loginPath + "?" + url.Values{"id": {requestID}}.Encode()
}

// IDTokenUserinfoClaimsAssertion is true so that the ID token carries the profile and email
// claims the client asked for, as most providers do, and not only the userinfo endpoint.
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }

func keepScopes(scopes []string) []string { return scopes }

// GetClientByClientID implements op.Storage.
func (s *store) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.clients[id]
	if !ok {
		return nil, errors.New("unknown client")
	}
	return c, nil
}

// AuthorizeClientIDSecret checks a client's secret in constant time.
func (s *store) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.clients[id]
	if !ok {
		return errors.New("unknown client")
	}
	if !equalSecret(secret, c.cfg.Secret) {
		return errors.New("wrong client secret")
	}
	return nil
}

// equalSecret compares hashes so that neither the content nor the length of want leaks
// through timing.
func equalSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

// JWT profile grants and private_key_jwt client authentication are not supported.
var errJWTProfile = errors.New("JWT profile is not supported")

// GetKeyByIDAndClientID refuses: clients have no keys, only secrets.
func (s *store) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errJWTProfile
}

// ValidateJWTProfileScopes refuses: the JWT profile grant is not supported.
func (s *store) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errJWTProfile
}

// signingKey is the RSA key generated at start; it signs ID tokens and is published at
// the JWKS endpoint.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

// SignatureAlgorithm implements op.SigningKey.
func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }

// Key implements op.SigningKey.
func (k *signingKey) Key() any { return k.key }

// ID implements op.SigningKey.
func (k *signingKey) ID() string { return k.id }

// publicKey is the published half of signingKey.
type publicKey struct {
	id  string
	key *rsa.PublicKey
}

// ID implements op.Key.
func (k publicKey) ID() string { return k.id }

// Algorithm implements op.Key.
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }

// Use implements op.Key.
func (k publicKey) Use() string { return "sig" }

// Key implements op.Key.
func (k publicKey) Key() any { return k.key }

// SigningKey implements op.Storage.
func (s *store) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

// SignatureAlgorithms implements op.Storage.
func (s *store) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

// KeySet implements op.Storage: the keys served at the JWKS endpoint.
func (s *store) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{id: s.key.id, key: &s.key.key.PublicKey}}, nil
}
