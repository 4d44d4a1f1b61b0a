package storage

import (
	"fmt"
	"slices"
	"strings"
)

// Scope is what a viewer may see, as the reads of the pages take it: the visible clusters,
// and in each the patterns of the groups shown. The zero Scope shows nothing.
type Scope struct {
	Clusters []ClusterScope
}

// ClusterScope is one visible cluster: a group of it is shown when its name matches one of
// Groups and none of Except. In a pattern "*" matches any run of characters (also none)
// and every other character stands for itself.
type ClusterScope struct {
	Name           string
	Groups, Except []string
}

// whole reports whether every group of the cluster is shown.
func (c ClusterScope) whole() bool {
	return len(c.Except) == 0 && slices.ContainsFunc(c.Groups, func(p string) bool { return p != "" && strings.Trim(p, "*") == "" })
}

// Names returns the visible clusters' names, in order.
func (s Scope) Names() []string {
	out := make([]string, len(s.Clusters))
	for i, c := range s.Clusters {
		out[i] = c.Name
	}
	return out
}

// Only narrows the scope to one cluster; to nothing when that cluster is not visible.
func (s Scope) Only(cluster string) Scope {
	for _, c := range s.Clusters {
		if c.Name == cluster {
			return Scope{Clusters: []ClusterScope{c}}
		}
	}
	return Scope{}
}

// Key is a text that differs between scopes that show different groups and is the same for
// equal ones, for keys of caches shared between viewers.
func (s Scope) Key() string {
	var b strings.Builder
	for _, c := range s.Clusters {
		b.WriteString(c.Name)
		if !c.whole() {
			b.WriteString("=" + strings.Join(c.Groups, ",") + "-" + strings.Join(c.Except, ","))
		}
		b.WriteByte(';')
	}
	return b.String()
}

// where returns the SQL condition that keeps the rows of the scope, on the SQL expressions
// of a cluster name and a group name, with its arguments, numbered from $n. Clusters
// shown whole cost one comparison; the others match their groups' patterns with LIKE.
func (s Scope) where(cluster, group string, n int) (string, []any) {
	names, whole := []string{}, []string{}
	var allow, deny [2][]string // cluster names and LIKE patterns, side by side
	for _, c := range s.Clusters {
		names = append(names, c.Name)
		if c.whole() {
			whole = append(whole, c.Name)
			continue
		}
		for _, p := range c.Groups {
			allow[0], allow[1] = append(allow[0], c.Name), append(allow[1], likePattern(p))
		}
		for _, p := range c.Except {
			deny[0], deny[1] = append(deny[0], c.Name), append(deny[1], likePattern(p))
		}
	}
	sql := fmt.Sprintf(`(%[1]s = ANY($%[3]d::text[]) AND (%[1]s = ANY($%[4]d::text[]) OR (
		EXISTS (SELECT 1 FROM unnest($%[5]d::text[], $%[6]d::text[]) AS sa(c, p) WHERE sa.c = %[1]s AND %[2]s LIKE sa.p)
		AND NOT EXISTS (SELECT 1 FROM unnest($%[7]d::text[], $%[8]d::text[]) AS sd(c, p) WHERE sd.c = %[1]s AND %[2]s LIKE sd.p))))`,
		cluster, group, n, n+1, n+2, n+3, n+4, n+5)
	args := []any{names, whole, nonNil(allow[0]), nonNil(allow[1]), nonNil(deny[0]), nonNil(deny[1])}
	return sql, args
}

// likePattern turns a glob ("*" for any run) into a LIKE pattern that matches the same names.
func likePattern(glob string) string {
	return strings.ReplaceAll(escapeLike(glob), "*", "%")
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
