package devidp

import (
	"context"
	"crypto/rand"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// accessToken is what an opaque access token stands for.
type accessToken struct {
	subject   string
	clientID  string
	scopes    []string
	expires   time.Time
	requestID string // the authorization request it came from
}

// CreateAccessToken records an opaque access token; the op package encrypts its id into the
// token string that the client sees. For a code exchange it first consumes the code, so
// that of two concurrent exchanges of one code only one gets tokens.
func (s *store) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	now := s.now()
	t := &accessToken{subject: req.GetSubject(), scopes: slices.Clone(req.GetScopes()), expires: now.Add(accessTokenTTL)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ar, ok := req.(op.AuthRequest); ok {
		t.clientID, t.requestID = ar.GetClientID(), ar.GetID()
		if err := s.consumeCode(ar.GetID(), now); err != nil {
			return "", time.Time{}, err
		}
	}
	s.purge(now)
	id := rand.Text()
	s.tokens[id] = t
	return id, t.expires, nil
}

// token returns a live access token issued to subject.
func (s *store) token(id, subject string) (accessToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[id]
	if !ok || s.now().After(t.expires) || t.subject != subject {
		return accessToken{}, errNotFound
	}
	return *t, nil
}

// TerminateSession revokes the access tokens the user holds for the client. There is no
// browser session to end: every sign-in shows the form.
func (s *store) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, t := range s.tokens {
		if t.subject == userID && t.clientID == clientID {
			delete(s.tokens, id)
		}
	}
	return nil
}

// RevokeToken revokes an access token by id. Unknown tokens are not an error (RFC 7009 2.2).
func (s *store) RevokeToken(_ context.Context, tokenID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[tokenID]
	if !ok {
		return nil
	}
	if t.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was issued to another client")
	}
	delete(s.tokens, tokenID)
	return nil
}

// CreateAccessAndRefreshTokens refuses: refresh tokens are not issued, since the clients'
// only grant is authorization_code.
func (s *store) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not supported")
}

// TokenRequestByRefreshToken refuses: refresh tokens are not issued.
func (s *store) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, oidc.ErrInvalidGrant().WithDescription("refresh tokens are not supported")
}

// GetRefreshTokenInfo refuses: refresh tokens are not issued.
func (s *store) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}
