package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// TokenGrant is what an API token lets its bearer do. A user token acts as its user (the
// policy decides with the user's claims); a service token carries its own grant. Either way
// only Permissions may be used, whatever the role would give.
type TokenGrant struct {
	ID   string
	Name string
	// Permissions are the only permissions the token may use.
	Permissions []Permission
	// Service is the grant of a service token, nil for a user token.
	Service *Rule
}

// TokenPrefix starts every API token, so a leaked one is recognisable (and a secret
// scanner can look for it).
const TokenPrefix = "lbt_"

// TokenPermissions are the permissions an API token may carry: reading the pages' data and
// previewing resets. No token can change anything.
var TokenPermissions = []Permission{PermViewDashboard, PermRequestReset}

// NewTokenSecret returns a new API token and the hash stored in its place.
func NewTokenSecret() (secret, hash string) {
	b := make([]byte, 32)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails (Go 1.24+)
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, TokenHash(secret)
}

// TokenHash is what is stored of a token: its SHA-256, base64url.
func TokenHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// BearerToken returns the token of an Authorization header, "" when the header is not a
// bearer credential. ok is false when there is a header that is not one Lagboard could
// have issued, so the caller can refuse it rather than ignore it.
func BearerToken(header string) (token string, ok bool) {
	if header == "" {
		return "", true
	}
	scheme, rest, found := strings.Cut(header, " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, TokenPrefix) || len(rest) != len(TokenPrefix)+43 {
		return "", false
	}
	return rest, true
}
