package metrics

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/lagboard/lagboard/internal/stack"
)

// promtool is Debian's, from the prometheus package that scripts/deps.sh installs.
const promtool = "/usr/bin/promtool"

// exported returns the names of every metric the collector can export.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	ch := make(chan *prometheus.Desc, 100)
	(&Collector{}).Describe(ch)
	close(ch)
	names := map[string]bool{}
	for _, f := range groupFamilies {
		names[f.name] = true
	}
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for d := range ch {
		m := fq.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("cannot read the name of %s", d)
		}
		names[m[1]] = true
	}
	return names
}

// metricNames returns the Lagboard metric names an expression uses.
var metricName = regexp.MustCompile(`\blagboard_[a-z0-9_]+\b`)

func checkNames(t *testing.T, where, expr string, known map[string]bool) {
	t.Helper()
	names := metricName.FindAllString(expr, -1)
	if len(names) == 0 {
		t.Errorf("%s: %q uses no Lagboard metric", where, expr)
	}
	for _, n := range names {
		if !known[n] {
			t.Errorf("%s: %q uses %s, which Lagboard does not export", where, expr, n)
		}
	}
}

func kitPath(t *testing.T, parts ...string) string {
	t.Helper()
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(append([]string{root, "deploy"}, parts...)...)
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := promtoolCmd(t, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// promtoolCmd is promtool with args, failing the test when it is not installed.
func promtoolCmd(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	if _, err := os.Stat(promtool); err != nil {
		t.Fatalf("%s not found: run scripts/deps.sh (apt-get install -y prometheus)", promtool)
	}
	return exec.Command(promtool, args...)
}

// TestPrometheusRules checks the shipped alerting rules with promtool (syntax, then the
// unit tests next to them) and that every expression uses only metrics Lagboard exports.
func TestPrometheusRules(t *testing.T) {
	known := exported(t)
	rules := kitPath(t, "prometheus", "lagboard-rules.yml")
	runPromtool(t, filepath.Dir(rules), "check", "rules", filepath.Base(rules))
	runPromtool(t, filepath.Dir(rules), "test", "rules", "lagboard-rules.test.yml")
	b, err := os.ReadFile(rules)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			checkNames(t, r.Alert, r.Expr, known)
			n++
		}
	}
	if n < 5 {
		t.Fatalf("only %d rules read", n)
	}
}

// dashboard is the part of a Grafana dashboard this test checks.
type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource map[string]any `json:"datasource"`
	GridPos    *struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

// TestGrafanaDashboard parses the shipped dashboard, checks its structure (every panel
// placed on the 24-column grid, with a known type and the dashboard's data source), that
// every query uses only metrics Lagboard exports, and that every query is valid PromQL:
// promtool checks them as recording rules, with Grafana's variables filled in.
func TestGrafanaDashboard(t *testing.T) {
	known := exported(t)
	b, err := os.ReadFile(kitPath(t, "grafana", "lagboard-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 || len(d.Panels) == 0 {
		t.Fatalf("dashboard uid %q title %q schemaVersion %d panels %d", d.UID, d.Title, d.SchemaVersion, len(d.Panels))
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Type == "query" {
			checkNames(t, "variable "+v.Name, v.Definition, known)
		}
	}
	for _, v := range []string{"datasource", "cluster", "group"} {
		if !vars[v] {
			t.Errorf("no $%s variable", v)
		}
	}
	types := []string{"row", "stat", "table", "timeseries", "gauge", "bargauge", "state-timeline", "text"}
	ids := map[int]bool{}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	fill := strings.NewReplacer("$__rate_interval", "5m", "$__interval", "1m", "$__range", "1h")
	exprs := 0
	shown := map[string]bool{}
	for _, p := range d.Panels {
		where := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if ids[p.ID] {
			t.Errorf("%s: duplicate id", where)
		}
		ids[p.ID] = true
		if !slices.Contains(types, p.Type) {
			t.Errorf("%s: type %q", where, p.Type)
		}
		if g := p.GridPos; g == nil || g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v", where, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource["uid"] != "${datasource}" {
			t.Errorf("%s: data source %v, want the dashboard's ${datasource}", where, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no query", where)
		}
		for _, tg := range p.Targets {
			checkNames(t, where, tg.Expr, known)
			for _, m := range metricName.FindAllString(tg.Expr, -1) {
				shown[m] = true
			}
			fmt.Fprintf(&rules, "      - record: dashboard:panel%d:%s\n        expr: %s\n", p.ID, strings.ToLower(tg.RefID),
				strconvQuote(fill.Replace(tg.Expr)))
			exprs++
		}
	}
	// What the issue asks the dashboard to show, per cluster and group.
	for _, m := range []string{"lagboard_group_lag_messages", "lagboard_group_lag_seconds", "lagboard_group_status",
		"lagboard_group_drain_seconds"} {
		if !shown[m] {
			t.Errorf("the dashboard does not show %s", m)
		}
	}
	file := filepath.Join(t.TempDir(), "dashboard-queries.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	runPromtool(t, filepath.Dir(file), "check", "rules", filepath.Base(file))
	t.Logf("%d panels, %d queries checked", len(d.Panels), exprs)
}

// strconvQuote quotes s for YAML as a JSON string (a YAML double-quoted scalar).
func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
