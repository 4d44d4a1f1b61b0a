package auth

import (
	"slices"
	"strings"
	"testing"
)

const visibilityPolicy = `grants:
  - {values: [billing], role: viewer, clusters: [staging], consumer_groups: ["billing-*"]}
  - {values: [billing], role: operator, clusters: ["prod-*"], consumer_groups: ["billing-*", "*-invoices"]}
  - {values: [all], role: viewer, clusters: ["*"], consumer_groups: ["*"]}
deny:
  - {values: [no-secret], clusters: ["*"], consumer_groups: ["secret-*"]}
  - {values: [no-prod-eu], permissions: [dashboard:view], clusters: [prod-eu], consumer_groups: ["*"]}
  - {values: [no-resets], permissions: [reset:request], clusters: ["*"], consumer_groups: ["*"]}
anonymous:
  - {role: viewer, clusters: [staging], consumer_groups: ["public-*"]}
`

// TestVisibilityAgreesWithDecide: for every subject, permission, cluster and group of the
// table, the compiled visibility answers as Decide does.
func TestVisibilityAgreesWithDecide(t *testing.T) {
	p := mustParse(t, visibilityPolicy)
	subjects := map[string]Subject{
		"billing":           {Claims: Claims{"groups": {"billing"}}},
		"all":               {Claims: Claims{"groups": {"all"}}},
		"all, no secret":    {Claims: Claims{"groups": {"all", "no-secret"}}},
		"all, no prod-eu":   {Claims: Claims{"groups": {"all", "no-prod-eu"}}},
		"billing no resets": {Claims: Claims{"groups": {"billing", "no-resets"}}},
		"nobody":            {Claims: Claims{"groups": {"other"}}},
		"anonymous":         {Anonymous: true},
	}
	clusters := []string{"staging", "prod-eu", "prod-us", "dev"}
	groups := []string{"billing-a", "secret-x", "eu-invoices", "public-site", "orders", "%RETRY%billing-a"}
	for name, s := range subjects {
		for _, perm := range []Permission{PermViewDashboard, PermRequestReset, PermViewAudit, Public} {
			for _, anon := range []bool{false, true} {
				v := p.Visibility(s, perm, anon)
				for _, c := range clusters {
					if got, want := v.Cluster(c), p.Decide(s, perm, Scope{Cluster: c}, anon).Allowed; got != want {
						t.Errorf("%s %s anon=%v: Cluster(%s) = %v, Decide says %v", name, perm, anon, c, got, want)
					}
					for _, g := range groups {
						if got, want := v.Group(c, g), p.Decide(s, perm, Scope{Cluster: c, Group: g}, anon).Allowed; got != want {
							t.Errorf("%s %s anon=%v: Group(%s, %s) = %v, Decide says %v", name, perm, anon, c, g, got, want)
						}
					}
				}
			}
		}
	}
}

func TestVisibilityPatterns(t *testing.T) {
	p := mustParse(t, visibilityPolicy)
	tests := []struct {
		groups  []string
		cluster string
		allow   string
		except  string
	}{
		{[]string{"billing"}, "staging", "billing-*", ""},
		{[]string{"billing"}, "prod-eu", "*-invoices,billing-*", ""},
		{[]string{"billing"}, "dev", "", ""},
		{[]string{"all"}, "dev", "*", ""},
		{[]string{"all", "billing"}, "staging", "*", ""},
		{[]string{"all", "no-secret"}, "prod-us", "*", "secret-*"},
		{[]string{"all", "no-prod-eu"}, "prod-eu", "", ""},
	}
	for _, tt := range tests {
		v := p.Visibility(Subject{Claims: Claims{"groups": tt.groups}}, PermViewDashboard, false)
		allow, except := v.Patterns(tt.cluster)
		if strings.Join(allow, ",") != tt.allow || strings.Join(except, ",") != tt.except {
			t.Errorf("%v on %s: patterns %v except %v, want %s except %s", tt.groups, tt.cluster, allow, except, tt.allow, tt.except)
		}
	}
	if allow, _ := (Visibility{}).Patterns("staging"); allow != nil {
		t.Errorf("the zero visibility reaches %v", allow)
	}
	// Patterns and Group agree: a group is reached when it matches a pattern and no exception.
	v := p.Visibility(Subject{Claims: Claims{"groups": {"all", "no-secret"}}}, PermViewDashboard, false)
	allow, except := v.Patterns("prod-us")
	for _, g := range []string{"secret-a", "orders", "billing-a"} {
		if got := matchAny(allow, g) && !matchAny(except, g); got != v.Group("prod-us", g) {
			t.Errorf("%s: patterns say %v, Group says %v", g, got, !got)
		}
	}
	if !slices.IsSorted(allow) {
		t.Errorf("patterns not sorted: %v", allow)
	}
}

// TestVisibilityCovers: alert rules and silences are set up only for patterns a grant holds
// whole. Every answer "covers" is checked against Group for many names the patterns match:
// a pattern pair it covers never reaches a group the user could not act on.
func TestVisibilityCovers(t *testing.T) {
	p := mustParse(t, visibilityPolicy)
	billing := p.Visibility(Subject{Claims: Claims{"groups": {"billing"}}}, PermRequestReset, false)
	noSecret := p.Visibility(Subject{Claims: Claims{"groups": {"all", "no-secret"}}}, PermViewDashboard, false)
	tests := []struct {
		name             string
		v                Visibility
		clusters, groups []string
		want             bool
	}{
		{"one group", billing, []string{"prod-eu"}, []string{"billing-a"}, true},
		{"the grant's own patterns", billing, []string{"prod-*"}, []string{"billing-*", "*-invoices"}, true},
		{"narrower prefixes", billing, []string{"prod-eu-*"}, []string{"billing-x*"}, true},
		{"narrower suffix", billing, []string{"prod-eu"}, []string{"eu-*-invoices"}, true},
		{"every cluster", billing, []string{"*"}, []string{"billing-*"}, false},
		{"every group", billing, []string{"prod-eu"}, []string{"*"}, false},
		{"one group outside", billing, []string{"prod-eu"}, []string{"billing-a", "orders"}, false},
		{"cluster outside", billing, []string{"staging"}, []string{"billing-a"}, false},
		{"nothing", billing, nil, []string{"billing-a"}, false},
		{"everything but a deny", noSecret, []string{"*"}, []string{"*"}, false},
		{"clear of the deny", noSecret, []string{"*"}, []string{"orders-*"}, true},
		{"might meet the deny", noSecret, []string{"staging"}, []string{"s*"}, false},
		{"exactly denied", noSecret, []string{"staging"}, []string{"secret-x"}, false},
	}
	names := []string{"prod-eu", "prod-eu-1", "prod-us", "staging", "dev", "billing-a", "billing-xy", "eu-invoices",
		"eu-x-invoices", "orders", "orders-1", "secret-x", "s", "secret-"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.v.Covers(tt.clusters, tt.groups)
			if got != tt.want {
				t.Fatalf("Covers(%q, %q) = %v, want %v", tt.clusters, tt.groups, got, tt.want)
			}
			if !got {
				return
			}
			for _, c := range names {
				for _, g := range names {
					if matchAny(tt.clusters, c) && matchAny(tt.groups, g) && !tt.v.Group(c, g) {
						t.Errorf("covers %q %q, yet %s/%s is not reached", tt.clusters, tt.groups, c, g)
					}
				}
			}
		})
	}
}
