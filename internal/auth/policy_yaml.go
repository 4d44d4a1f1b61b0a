package auth

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// PolicyError is one problem in a policy file, at a line.
type PolicyError struct {
	Source string
	Line   int
	Path   string // e.g. "grants[2].role"
	Msg    string
}

func (e *PolicyError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("%s:%d: %s", e.Source, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.Source, e.Line, e.Path, e.Msg)
}

// policyParser collects every problem of one file, so one start shows them all.
type policyParser struct {
	source string
	errs   []error
}

func (pp *policyParser) bad(n *yaml.Node, path, format string, args ...any) {
	pp.errs = append(pp.errs, &PolicyError{Source: pp.source, Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// ParsePolicy reads a policy file (the format is in docs/AUTH.md). source names the file
// in messages, defaultClaim is the claim rules match when neither they nor the file name
// one. Every error carries the file name and line.
func ParsePolicy(data []byte, source, defaultClaim string) (*Policy, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s:1: the policy is empty: it needs a grants list (see docs/AUTH.md)", source)
	}
	pp := &policyParser{source: source}
	root := doc.Content[0]
	p := &Policy{Source: source, Claim: defaultClaim}
	fields := pp.mapping(root, "", "version", "claim", "grants", "deny", "anonymous")
	if fields == nil {
		return nil, errors.Join(pp.errs...)
	}
	if v, ok := fields["version"]; ok && (v.Kind != yaml.ScalarNode || v.Value != "1") {
		pp.bad(v, "version", "must be 1")
	}
	if c, ok := fields["claim"]; ok {
		p.Claim = pp.scalar(c, "claim")
	}
	if _, ok := fields["grants"]; !ok {
		pp.bad(root, "", "grants is required (a list of rules; see docs/AUTH.md)")
	}
	p.Grants = pp.rules(fields["grants"], "grants", p.Claim)
	p.Denies = pp.rules(fields["deny"], "deny", p.Claim)
	p.Anonymous = pp.rules(fields["anonymous"], "anonymous", "")
	if len(pp.errs) > 0 {
		return nil, errors.Join(pp.errs...)
	}
	return p, nil
}

// mapping checks that n is a mapping with only the allowed keys and returns its values.
func (pp *policyParser) mapping(n *yaml.Node, path string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		pp.bad(n, path, "must be a mapping of keys to values")
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind == yaml.AliasNode {
			pp.bad(v, join(path, k.Value), "aliases are not allowed")
			continue
		}
		if !slices.Contains(allowed, k.Value) {
			pp.bad(k, path, "unknown key %q (allowed: %s)", k.Value, strings.Join(allowed, ", "))
			continue
		}
		out[k.Value] = v
	}
	return out
}

func (pp *policyParser) scalar(n *yaml.Node, path string) string {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || strings.TrimSpace(n.Value) == "" {
		pp.bad(n, path, "must be a non-empty string")
		return ""
	}
	return n.Value
}

// list reads a string or a list of strings.
func (pp *policyParser) list(n *yaml.Node, path string) []string {
	if n.Kind == yaml.ScalarNode {
		if s := pp.scalar(n, path); s != "" {
			return []string{s}
		}
		return nil
	}
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		pp.bad(n, path, "must be a string or a non-empty list of strings")
		return nil
	}
	var out []string
	for i, item := range n.Content {
		if s := pp.scalar(item, fmt.Sprintf("%s[%d]", path, i)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// rules reads the grants, deny or anonymous section.
func (pp *policyParser) rules(n *yaml.Node, section, defaultClaim string) []Rule {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		pp.bad(n, section, "must be a list of rules")
		return nil
	}
	keys := map[string][]string{
		"grants":    {"claim", "value", "values", "role", "clusters", "consumer_groups"},
		"deny":      {"claim", "value", "values", "permissions", "clusters", "consumer_groups"},
		"anonymous": {"role", "clusters", "consumer_groups"},
	}[section]
	var out []Rule
	for i, item := range n.Content {
		path := fmt.Sprintf("%s[%d]", section, i)
		f := pp.mapping(item, path, keys...)
		if f == nil {
			continue
		}
		r := Rule{Line: item.Line, Claim: defaultClaim}
		if section != "anonymous" {
			pp.subject(item, f, path, &r)
		}
		if section == "deny" {
			pp.permissions(f, path, &r)
		} else {
			pp.role(item, f, path, section, &r)
		}
		r.Clusters = pp.patterns(item, f, path, "clusters")
		r.Groups = pp.patterns(item, f, path, "consumer_groups")
		out = append(out, r)
	}
	return out
}

// subject reads which claim values a rule matches.
func (pp *policyParser) subject(item *yaml.Node, f map[string]*yaml.Node, path string, r *Rule) {
	if c, ok := f["claim"]; ok {
		r.Claim = pp.scalar(c, join(path, "claim"))
	}
	one, hasOne := f["value"]
	many, hasMany := f["values"]
	switch {
	case hasOne && hasMany:
		pp.bad(one, path, "give value or values, not both")
	case hasOne:
		r.Values = pp.list(one, join(path, "value"))
	case hasMany:
		r.Values = pp.list(many, join(path, "values"))
	default:
		pp.bad(item, path, "values is required: the claim values the rule applies to")
	}
}

func (pp *policyParser) role(item *yaml.Node, f map[string]*yaml.Node, path, section string, r *Rule) {
	n, ok := f["role"]
	if !ok {
		pp.bad(item, path, "role is required (one of %s)", roleNames())
		return
	}
	r.Role = Role(pp.scalar(n, join(path, "role")))
	switch {
	case r.Role == "":
	case !r.Role.Valid():
		pp.bad(n, join(path, "role"), "%q is not one of %s", r.Role, roleNames())
	case section == "anonymous" && len(r.Role.WritePermissions()) > 0:
		pp.bad(n, join(path, "role"), "%s includes write permissions (%s); anonymous users may only read: use viewer or auditor",
			r.Role, joinPerms(r.Role.WritePermissions()))
	}
}

func (pp *policyParser) permissions(f map[string]*yaml.Node, path string, r *Rule) {
	n, ok := f["permissions"]
	if !ok {
		return // every permission
	}
	for i, s := range pp.list(n, join(path, "permissions")) {
		p := Permission(s)
		if !p.Grantable() {
			at := n
			if n.Kind == yaml.SequenceNode {
				at = n.Content[i]
			}
			pp.bad(at, join(path, "permissions"), "%q is not one of %s", s, permissionNames())
			continue
		}
		r.Permissions = append(r.Permissions, p)
	}
}

func (pp *policyParser) patterns(item *yaml.Node, f map[string]*yaml.Node, path, key string) []string {
	n, ok := f[key]
	if !ok {
		pp.bad(item, path, `%s is required (use ["*"] for all)`, key)
		return nil
	}
	out := pp.list(n, join(path, key))
	for i, p := range out {
		if err := checkPattern(p); err != nil {
			at := n
			if n.Kind == yaml.SequenceNode && i < len(n.Content) {
				at = n.Content[i]
			}
			pp.bad(at, join(path, key), "pattern %q %v", p, err)
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func joinPerms(ps []Permission) string {
	var s []string
	for _, p := range ps {
		s = append(s, string(p))
	}
	return strings.Join(s, ", ")
}
