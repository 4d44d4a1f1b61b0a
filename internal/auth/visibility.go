package auth

import (
	"context"
	"slices"
	"strings"
)

// Visibility is what one permission lets one user reach of every cluster and consumer
// group: the grant and deny rules that apply to them, taken from the policy in force once.
// It answers exactly as Decide would for each cluster and group, without walking the
// policy again, so a page can filter thousands of groups per request. The zero Visibility
// reaches nothing.
type Visibility struct {
	grants []Rule // rules whose role has the permission
	denies []Rule // deny rules that take the permission away
}

// Visibility returns what perm lets the principal of an authorized request reach; outside
// one, nothing.
func (s *Service) Visibility(ctx context.Context, perm Permission) Visibility {
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return Visibility{}
	}
	return s.policy.Current().Visibility(p.subject(), perm, s.cfg.AnonymousRead)
}

// VisibilityOf returns what perm lets a principal reach, for requests not yet authorized.
func (s *Service) VisibilityOf(p Principal, perm Permission) Visibility {
	return s.policy.Current().Visibility(p.subject(), perm, s.cfg.AnonymousRead)
}

// Visibility returns what perm lets subject reach under this policy.
func (p *Policy) Visibility(s Subject, perm Permission, anonymousRead bool) Visibility {
	var v Visibility
	if !perm.Grantable() || (s.Only != nil && !slices.Contains(s.Only, perm)) {
		return v
	}
	for _, g := range p.grantsOf(s, anonymousRead) {
		if g.Role.Has(perm) {
			v.grants = append(v.grants, g)
		}
	}
	if len(v.grants) == 0 || s.Anonymous {
		return v
	}
	for _, d := range p.Denies {
		if d.matches(s.Claims) && (len(d.Permissions) == 0 || slices.Contains(d.Permissions, perm)) {
			v.denies = append(v.denies, d)
		}
	}
	return v
}

// Cluster reports whether the permission reaches the cluster at all: some group of it, as
// Decide answers for a scope with the cluster and no group.
func (v Visibility) Cluster(name string) bool {
	for _, d := range v.denies {
		if matchAny(d.Clusters, name) && covers(d.Groups, "") {
			return false
		}
	}
	for _, g := range v.grants {
		if matchAny(g.Clusters, name) && len(g.Groups) > 0 {
			return true
		}
	}
	return false
}

// Group reports whether the permission reaches one group of a cluster, as Decide answers
// for that scope.
func (v Visibility) Group(cluster, group string) bool {
	for _, d := range v.denies {
		if matchAny(d.Clusters, cluster) && matchAny(d.Groups, group) {
			return false
		}
	}
	for _, g := range v.grants {
		if matchAny(g.Clusters, cluster) && matchAny(g.Groups, group) {
			return true
		}
	}
	return false
}

// Patterns returns the group patterns of a cluster the permission reaches: a group is
// reached when it matches one of groups and none of except. In a pattern, "*" matches any
// run of characters and every other character stands for itself. Both are nil when the
// cluster is not reached at all; groups is just "*" when every group is.
func (v Visibility) Patterns(cluster string) (groups, except []string) {
	if !v.Cluster(cluster) {
		return nil, nil
	}
	for _, g := range v.grants {
		if matchAny(g.Clusters, cluster) {
			groups = appendNew(groups, g.Groups)
		}
	}
	for _, d := range v.denies {
		if matchAny(d.Clusters, cluster) {
			except = appendNew(except, d.Groups)
		}
	}
	if slices.ContainsFunc(groups, isAll) {
		groups = []string{All}
	}
	slices.Sort(groups)
	slices.Sort(except)
	return groups, except
}

// isAll reports whether a pattern matches every name.
func isAll(p string) bool { return p != "" && strings.Trim(p, "*") == "" }

// appendNew appends the patterns of ps that dst does not hold yet.
func appendNew(dst, ps []string) []string {
	for _, p := range ps {
		if !slices.Contains(dst, p) {
			dst = append(dst, p)
		}
	}
	return dst
}

// Everywhere reports whether the permission reaches every cluster and every group: a grant
// for "*" clusters and "*" groups, and no deny rule taking any of it away. The audit trail
// needs it: its entries span clusters, and some (sign-ins) belong to none.
func (v Visibility) Everywhere() bool {
	if len(v.denies) > 0 {
		return false
	}
	for _, g := range v.grants {
		if slices.Contains(g.Clusters, "*") && slices.Contains(g.Groups, "*") {
			return true
		}
	}
	return false
}

// Covers reports whether the permission reaches every group that the cluster and group
// patterns together can match, as alert rules and silences need: someone may set one up
// only for what they could act on group by group. A grant covers the patterns when one of
// its cluster patterns holds each cluster pattern and one of its group patterns holds each
// group pattern; a deny rule that could match any of them refuses.
func (v Visibility) Covers(clusters, groups []string) bool {
	if len(clusters) == 0 || len(groups) == 0 {
		return false
	}
	for _, c := range clusters {
		for _, g := range groups {
			if !v.coversOne(c, g) {
				return false
			}
		}
	}
	return true
}

func (v Visibility) coversOne(cluster, group string) bool {
	for _, d := range v.denies {
		if slices.ContainsFunc(d.Clusters, func(p string) bool { return overlap(p, cluster) }) &&
			slices.ContainsFunc(d.Groups, func(p string) bool { return overlap(p, group) }) {
			return false
		}
	}
	for _, g := range v.grants {
		if slices.ContainsFunc(g.Clusters, func(p string) bool { return within(cluster, p) }) &&
			slices.ContainsFunc(g.Groups, func(p string) bool { return within(group, p) }) {
			return true
		}
	}
	return false
}
