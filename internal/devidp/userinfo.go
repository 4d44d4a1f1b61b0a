package devidp

import (
	"context"
	"errors"
	"slices"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

var errInvalidToken = errors.New("access token invalid or expired")

// fillUserinfo sets the claims a user's scopes allow: sub always, name and preferred_username
// with "profile", email with "email", and groups (possibly []) when withGroups.
func fillUserinfo(info *oidc.UserInfo, u User, scopes []string, withGroups bool) {
	info.Subject = u.Username
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
		info.PreferredUsername = u.Username
	}
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email = u.Email
		info.EmailVerified = true
	}
	if withGroups {
		info.AppendClaims("groups", append([]string{}, u.Groups...))
	}
}

// checkPassword reports whether password is the user's, in time that depends neither on
// whether the user exists nor on how much of the password matches.
func (s *store) checkPassword(username, password string) (User, bool) {
	u, ok := s.users[username]
	want := u.Password
	if !ok {
		want = "\x00no such user"
	}
	if !equalSecret(password, want) || !ok {
		return User{}, false
	}
	return u, true
}

// SetUserinfoFromScopes is deprecated in the op package and intentionally empty:
// SetUserinfoFromRequest does the work.
func (s *store) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

// SetUserinfoFromRequest sets the ID token's user claims; groups only if GroupsInIDToken.
func (s *store) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, ok := s.users[req.GetSubject()]
	if !ok {
		return errors.New("unknown user")
	}
	fillUserinfo(info, u, scopes, s.groupsInIDToken)
	return nil
}

// SetUserinfoFromToken answers the userinfo endpoint; groups are always included.
func (s *store) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	t, err := s.token(tokenID, subject)
	if err != nil {
		return errInvalidToken
	}
	u, ok := s.users[t.subject]
	if !ok {
		return errInvalidToken
	}
	fillUserinfo(info, u, t.scopes, true)
	return nil
}

// SetIntrospectionFromToken answers the introspection endpoint for the token's own client.
// An unknown, expired or foreign token is reported inactive.
func (s *store) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	t, err := s.token(tokenID, subject)
	if err != nil || t.clientID != clientID {
		return nil
	}
	u, ok := s.users[t.subject]
	if !ok {
		return nil
	}
	info := new(oidc.UserInfo)
	fillUserinfo(info, u, t.scopes, true)
	resp.SetUserInfo(info)
	resp.Active = true
	resp.Scope = t.scopes
	resp.ClientID = t.clientID
	resp.Audience = oidc.Audience{t.clientID}
	resp.Expiration = oidc.FromTime(t.expires)
	resp.TokenType = oidc.BearerToken
	return nil
}

// GetPrivateClaimsFromScopes adds nothing: access tokens are opaque, not JWTs.
func (s *store) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}
