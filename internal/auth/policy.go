package auth

import (
	"fmt"
	"slices"
)

// Policy says who may do what. It is loaded from a YAML file (see ParsePolicy and
// docs/AUTH.md) and replaced as a whole on reload, never changed in place.
type Policy struct {
	// Source names the file, for messages.
	Source string
	// Digest is the hex SHA-256 of the file's bytes, "" without a file; the audit trail
	// records it at each reload.
	Digest string
	// Claim is the claim rules match when they name none (LAGBOARD_OIDC_GROUPS_CLAIM unless
	// the file says otherwise).
	Claim string
	// Grants give a role, within a scope, to users with one of the rule's claim values.
	Grants []Rule
	// Denies take permissions away, within a scope, and win over every grant.
	Denies []Rule
	// Anonymous are the grants of people who are not signed in; used only when anonymous
	// read is enabled, and only with read-only roles.
	Anonymous []Rule
}

// Rule is one grant or deny rule of a policy.
type Rule struct {
	// Line is where the rule starts in the policy file.
	Line int
	// Claim is the claim whose values the rule matches; Values are the values, exactly.
	Claim  string
	Values []string
	// Role is what a grant gives.
	Role Role
	// Permissions are what a deny takes away; empty means every permission.
	Permissions []Permission
	// Clusters and Groups are glob patterns ("*" for all) of cluster and consumer-group names.
	Clusters []string
	Groups   []string
}

// Claims are the claim values of a signed-in user that rules can match: each claim name
// maps to its values (a string claim has one).
type Claims map[string][]string

// matches reports whether the user's claims hold one of the rule's values.
func (r Rule) matches(c Claims) bool {
	for _, v := range c[r.Claim] {
		if slices.Contains(r.Values, v) {
			return true
		}
	}
	return false
}

// Decision is the outcome of Decide, with the reason in words for the logs.
type Decision struct {
	Allowed bool
	Reason  string
}

// Subject is who asks: a signed-in user's claims, or an anonymous visitor (Claims nil).
type Subject struct {
	Anonymous bool
	Claims    Claims
	// Grants, when set, replace the policy's grants (an API token of a service account
	// carries its own); Only, when set, limits the permissions the subject may use at all
	// (an API token carries a few).
	Grants []Rule
	Only   []Permission
}

// grantsOf returns the grant rules that apply to subject.
func (p *Policy) grantsOf(s Subject, anonymous bool) []Rule {
	if s.Grants != nil {
		return s.Grants
	}
	if s.Anonymous {
		if !anonymous {
			return nil
		}
		return p.Anonymous
	}
	var out []Rule
	for _, g := range p.Grants {
		if g.matches(s.Claims) {
			out = append(out, g)
		}
	}
	return out
}

// HasAccess reports whether any grant applies to a signed-in user's claims: users without
// one are refused at sign-in.
func (p *Policy) HasAccess(c Claims) bool {
	return len(p.grantsOf(Subject{Claims: c}, false)) > 0
}

// Decide says whether subject may use perm within scope. A deny rule covering the request
// wins; otherwise a grant whose role has perm and whose patterns reach the scope allows it.
// For a scope field that the route does not have (empty), a grant needs to reach some
// cluster or group, and a deny applies only if it covers all of them ("*").
func (p *Policy) Decide(s Subject, perm Permission, scope Scope, anonymousRead bool) Decision {
	if !perm.Grantable() {
		return Decision{Reason: fmt.Sprintf("%q is not a grantable permission", perm)}
	}
	if s.Only != nil && !slices.Contains(s.Only, perm) {
		return Decision{Reason: fmt.Sprintf("the API token does not carry %s", perm)}
	}
	grants := p.grantsOf(s, anonymousRead)
	if len(grants) == 0 {
		if s.Anonymous {
			return Decision{Reason: "not signed in"}
		}
		return Decision{Reason: "no grant matches the user's claims"}
	}
	if !s.Anonymous {
		for _, d := range p.Denies {
			if !d.matches(s.Claims) {
				continue
			}
			if len(d.Permissions) > 0 && !slices.Contains(d.Permissions, perm) {
				continue
			}
			if covers(d.Clusters, scope.Cluster) && covers(d.Groups, scope.Group) {
				return Decision{Reason: fmt.Sprintf("denied by the rule at %s:%d", p.Source, d.Line)}
			}
		}
	}
	for _, g := range grants {
		if g.Role.Has(perm) && reaches(g.Clusters, scope.Cluster) && reaches(g.Groups, scope.Group) {
			return Decision{Allowed: true, Reason: fmt.Sprintf("granted %s by the rule at %s:%d", g.Role, p.Source, g.Line)}
		}
	}
	return Decision{Reason: fmt.Sprintf("no grant gives %s on %s", perm, scope)}
}

// ClaimsUsed returns the claim names the policy's rules match, the default claim first.
func (p *Policy) ClaimsUsed() []string {
	out := []string{p.Claim}
	for _, rs := range [][]Rule{p.Grants, p.Denies} {
		for _, r := range rs {
			if !slices.Contains(out, r.Claim) {
				out = append(out, r.Claim)
			}
		}
	}
	return out
}

// DefaultAnonymous is the anonymous grant used when anonymous read is on and the policy
// has no anonymous section: viewer on every cluster and group.
func DefaultAnonymous() []Rule {
	return []Rule{{Role: RoleViewer, Clusters: []string{All}, Groups: []string{All}}}
}
