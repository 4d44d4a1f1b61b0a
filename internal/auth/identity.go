package auth

import (
	"context"
	"slices"
)

// Identity is a signed-in user as the OpenID provider described them at sign-in.
type Identity struct {
	// Issuer and Subject identify the user; together they are unique.
	Issuer  string `json:"iss"`
	Subject string `json:"sub"`
	// Name is for display: the configured name claim, else preferred_username, email or sub.
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	// Claims are the string and string-list claims of the ID token and userinfo, which
	// policy rules match.
	Claims Claims `json:"claims"`
}

// Principal is whoever makes a request: a signed-in user, or an anonymous visitor.
type Principal struct {
	// Identity is nil for an anonymous visitor.
	Identity *Identity
	// Token is set when the request came with an API token instead of a session.
	Token *TokenGrant
}

// SignedIn reports whether the principal has a session.
func (p Principal) SignedIn() bool { return p.Identity != nil }

// Who names the principal in logs and audit entries: the subject, or "anonymous".
func (p Principal) Who() string {
	if p.Identity == nil {
		return "anonymous"
	}
	return p.Identity.Subject
}

// DisplayName is the name shown in pages.
func (p Principal) DisplayName() string {
	if p.Identity == nil {
		return "anonymous"
	}
	return p.Identity.Name
}

func (p Principal) subject() Subject {
	if p.Identity == nil {
		return Subject{Anonymous: true}
	}
	s := Subject{Claims: p.Identity.Claims}
	if t := p.Token; t != nil {
		s.Only = t.Permissions
		if t.Service != nil {
			s.Grants = []Rule{*t.Service}
		}
	}
	return s
}

// SeenClaim is one claim and its values, as shown to a user who has no access.
type SeenClaim struct {
	Name   string
	Values []string
}

// SeenClaims returns the values of the claims the policy looks at, in the policy's order,
// so a user refused at sign-in can tell an administrator what the provider sent.
func SeenClaims(p *Policy, c Claims) []SeenClaim {
	var out []SeenClaim
	for _, name := range p.ClaimsUsed() {
		out = append(out, SeenClaim{Name: name, Values: slices.Clone(c[name])})
	}
	return out
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p; the HTTP layer sets it once authorized.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal of the request, and false outside an authorized
// request.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// UserFrom returns the signed-in user of the request, nil for anonymous visitors and
// outside an authorized request.
func UserFrom(ctx context.Context) *Identity {
	p, _ := PrincipalFrom(ctx)
	return p.Identity
}
