package auth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const examplePolicy = `version: 1
claim: groups
grants:
  - values: [sre]
    role: operator
    clusters: ["prod-*", staging]
    consumer_groups: ["payments-*"]
  - value: everyone
    role: viewer
    clusters: ["*"]
    consumer_groups: ["*"]
  - claim: email
    values: [boss@example.com]
    role: admin
    clusters: ["*"]
    consumer_groups: ["*"]
deny:
  - values: [contractors]
    permissions: [reset:request, reset:execute]
    clusters: [prod-eu]
    consumer_groups: ["*"]
  - values: [suspended]
    clusters: ["*"]
    consumer_groups: ["*"]
anonymous:
  - role: viewer
    clusters: [staging]
    consumer_groups: ["*"]
`

func mustParse(t *testing.T, src string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(src), "policy.yaml", "groups")
	if err != nil {
		t.Fatalf("ParsePolicy: %v", err)
	}
	return p
}

func TestParsePolicy(t *testing.T) {
	p := mustParse(t, examplePolicy)
	if len(p.Grants) != 3 || len(p.Denies) != 2 || len(p.Anonymous) != 1 {
		t.Fatalf("parsed %d grants, %d denies, %d anonymous", len(p.Grants), len(p.Denies), len(p.Anonymous))
	}
	g := p.Grants[0]
	if g.Line != 4 || g.Claim != "groups" || g.Role != RoleOperator || strings.Join(g.Clusters, ",") != "prod-*,staging" {
		t.Errorf("first grant = %+v", g)
	}
	if p.Grants[1].Values[0] != "everyone" || p.Grants[2].Claim != "email" {
		t.Errorf("value and claim keys not read: %+v %+v", p.Grants[1], p.Grants[2])
	}
	if len(p.Denies[1].Permissions) != 0 || p.Denies[0].Line != 18 {
		t.Errorf("denies = %+v", p.Denies)
	}
	if got := strings.Join(p.ClaimsUsed(), ","); got != "groups,email" {
		t.Errorf("ClaimsUsed = %s", got)
	}
}

func TestPolicyErrorsCarryLineNumbers(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"syntax", "grants:\n  - values: [a\n", []string{"policy.yaml: yaml: line"}},
		{"empty", "", []string{"policy.yaml:1: the policy is empty"}},
		{"not a mapping", "- a\n- b\n", []string{"policy.yaml:1: must be a mapping"}},
		{"unknown top key", "grants: []\ngrant: []\n", []string{`policy.yaml:2: unknown key "grant"`}},
		{"no grants", "claim: groups\n", []string{"policy.yaml:1: grants is required"}},
		{"bad role", "grants:\n  - values: [a]\n    role: operater\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n",
			[]string{`policy.yaml:3: grants[0].role: "operater" is not one of viewer, operator`}},
		{"missing clusters", "grants:\n  - values: [a]\n    role: viewer\n    consumer_groups: [\"*\"]\n",
			[]string{`policy.yaml:2: grants[0]: clusters is required`}},
		{"missing values", "grants:\n  - role: viewer\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n",
			[]string{`policy.yaml:2: grants[0]: values is required`}},
		{"bad pattern", "grants:\n  - values: [a]\n    role: viewer\n    clusters: [\"pr?d\"]\n    consumer_groups: [\"*\"]\n",
			[]string{`policy.yaml:4: grants[0].clusters: pattern "pr?d" may use only "*"`}},
		{"bad permission", "grants: []\ndeny:\n  - values: [a]\n    permissions: [reset:everything]\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n",
			[]string{`policy.yaml:4: deny[0].permissions: "reset:everything" is not one of`}},
		{"anonymous writer", "grants: []\nanonymous:\n  - role: operator\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n",
			[]string{`policy.yaml:3: anonymous[0].role: operator includes write permissions (reset:request, reset:execute, alerts:manage)`}},
		{"role in deny", "grants: []\ndeny:\n  - values: [a]\n    role: admin\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n",
			[]string{`policy.yaml:4: deny[0]: unknown key "role"`}},
		{"alias", "grants:\n  - &g {values: [a], role: viewer, clusters: [\"*\"], consumer_groups: [\"*\"]}\n  - *g\n",
			[]string{`policy.yaml:3: grants[1]: must be a mapping`}},
		{"several problems", "grants:\n  - values: [a]\n    role: boss\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n  - values: []\n    role: viewer\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n",
			[]string{`policy.yaml:3: grants[0].role`, `policy.yaml:6: grants[1].values: must be a string or a non-empty list`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy([]byte(tt.src), "policy.yaml", "groups")
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestDecide(t *testing.T) {
	p := mustParse(t, examplePolicy)
	user := func(groups ...string) Subject { return Subject{Claims: Claims{"groups": groups}} }
	anon := Subject{Anonymous: true}
	tests := []struct {
		name  string
		who   Subject
		perm  Permission
		scope Scope
		anon  bool
		want  bool
	}{
		{"operator in scope", user("sre"), PermRequestReset, Scope{"prod-eu", "payments-orders"}, false, true},
		{"operator, group out of scope", user("sre"), PermRequestReset, Scope{"prod-eu", "billing"}, false, false},
		{"operator, cluster out of scope", user("sre"), PermRequestReset, Scope{"dev", "payments-orders"}, false, false},
		{"operator unscoped route", user("sre"), PermRequestReset, Scope{}, false, true},
		{"operator lacks approve", user("sre"), PermApproveReset, Scope{"prod-eu", "payments-orders"}, false, false},
		{"viewer reads anywhere", user("everyone"), PermViewDashboard, Scope{"prod-eu", "x"}, false, true},
		{"viewer cannot request", user("everyone"), PermRequestReset, Scope{"prod-eu", "x"}, false, false},
		{"deny wins over grant", user("sre", "contractors"), PermRequestReset, Scope{"prod-eu", "payments-orders"}, false, false},
		{"deny limited to its permissions", user("sre", "contractors"), PermViewDashboard, Scope{"prod-eu", "payments-orders"}, false, true},
		{"deny limited to its clusters", user("sre", "contractors"), PermRequestReset, Scope{"prod-us", "payments-orders"}, false, true},
		{"scoped deny does not block unscoped route", user("sre", "contractors"), PermRequestReset, Scope{}, false, true},
		{"deny everything", user("everyone", "suspended"), PermViewDashboard, Scope{}, false, false},
		{"other claim", Subject{Claims: Claims{"email": {"boss@example.com"}}}, PermAdmin, Scope{}, false, true},
		{"claim value in the wrong claim", Subject{Claims: Claims{"email": {"sre"}}}, PermViewDashboard, Scope{}, false, false},
		{"no grant", user("nobody"), PermViewDashboard, Scope{}, false, false},
		{"anonymous off", anon, PermViewDashboard, Scope{"staging", ""}, false, false},
		{"anonymous in scope", anon, PermViewDashboard, Scope{"staging", ""}, true, true},
		{"anonymous out of scope", anon, PermViewDashboard, Scope{"prod-eu", ""}, true, false},
		{"anonymous never writes", anon, PermRequestReset, Scope{"staging", ""}, true, false},
		{"route markers are not grantable", user("everyone"), Public, Scope{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(tt.who, tt.perm, tt.scope, tt.anon)
			if d.Allowed != tt.want {
				t.Fatalf("Decide = %+v, want allowed=%v", d, tt.want)
			}
			if d.Reason == "" {
				t.Fatal("decision without a reason")
			}
		})
	}
	if d := p.Decide(user("sre", "contractors"), PermRequestReset, Scope{"prod-eu", "payments-x"}, false); !strings.Contains(d.Reason, "policy.yaml:18") {
		t.Errorf("deny reason %q does not name the rule's line", d.Reason)
	}
}

func TestEveryRoleHasOnlyKnownPermissions(t *testing.T) {
	for _, r := range Roles() {
		if !r.Has(PermViewDashboard) {
			t.Errorf("%s cannot read the dashboard", r)
		}
		for _, p := range r.Permissions() {
			if !p.Grantable() {
				t.Errorf("%s has %q", r, p)
			}
		}
	}
	if len(RoleAuditor.WritePermissions()) != 0 || len(RoleViewer.WritePermissions()) != 0 {
		t.Error("a read-only role has write permissions")
	}
	if !RoleAdmin.Has(PermAdmin) || RoleOperator.Has(PermApproveReset) || RoleApprover.Has(PermRequestReset) {
		t.Error("role table changed")
	}
}

func TestReloadKeepsOldPolicyOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.yaml")
	write := func(s string) {
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(examplePolicy)
	store, err := LoadPolicy(path, "groups", false)
	if err != nil {
		t.Fatal(err)
	}
	before := store.Current()
	write("grants:\n  - values: [a]\n    role: root\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n")
	err = store.Reload()
	if err == nil || !strings.Contains(err.Error(), path+":3:") {
		t.Fatalf("Reload error %v does not name the line", err)
	}
	if store.Current() != before {
		t.Fatal("an invalid reload replaced the policy")
	}
	write("grants:\n  - values: [a]\n    role: viewer\n    clusters: [\"*\"]\n    consumer_groups: [\"*\"]\n")
	if err := store.Reload(); err != nil {
		t.Fatal(err)
	}
	if len(store.Current().Grants) != 1 {
		t.Fatal("a valid reload did not take effect")
	}
}

func TestAnonymousDefaults(t *testing.T) {
	store, err := LoadPolicy("", "groups", true)
	if err != nil {
		t.Fatal(err)
	}
	p := store.Current()
	if !p.Decide(Subject{Anonymous: true}, PermViewDashboard, Scope{"any", "thing"}, true).Allowed {
		t.Error("anonymous read without a policy file does not read")
	}
	if p.Decide(Subject{Anonymous: true}, PermExportAudit, Scope{}, true).Allowed {
		t.Error("default anonymous grant exports the audit trail")
	}
}

func TestDevPolicyParses(t *testing.T) {
	store, err := LoadPolicy(filepath.Join("..", "..", "deploy", "dev", "policy.yaml"), "groups", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range Roles() {
		s := Subject{Claims: Claims{"groups": {"lagboard-" + string(r)}}}
		for _, perm := range grantable {
			got := store.Current().Decide(s, perm, Scope{"any", "group"}, false).Allowed
			if got != r.Has(perm) {
				t.Errorf("dev policy: %s %s = %v", r, perm, got)
			}
		}
	}
}
