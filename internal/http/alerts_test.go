package http

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/storage"
)

// ruleForm is a rule as a browser posts it.
func ruleForm(name, clusters, groups string) url.Values {
	return url.Values{"name": {name}, "enabled": {"on"}, "clusters": {clusters}, "consumer_groups": {groups},
		"statuses": {"STALL", "STOP", "OFFLINE"}, "drain_within": {"1h"}, "receiver_kind": {"webhook"},
		"receiver_url": {"https://hooks.example.com/lagboard"}, "receiver_secret": {"a-secret-of-the-webhook"}}
}

// ruleNamed returns the stored rule of that name.
func (env *testEnv) ruleNamed(t *testing.T, name string) storage.AlertRule {
	t.Helper()
	rules, err := storage.AlertRules(t.Context(), env.pool)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no rule %q among %d", name, len(rules))
	return storage.AlertRule{}
}

// TestAlertRulesThroughTheForms: an operator creates, edits and deletes a rule through the
// forms; each change is an audit entry without the secret; a malformed rule is refused
// with a message naming its field and the form as it was sent.
func TestAlertRulesThroughTheForms(t *testing.T) {
	env := newEnv(t, envOptions{})
	op := env.signIn(t, "operator")
	noFollow(op)
	if p := do(t, op, http.MethodGet, env.URL+"/alerts/rules/new", nil, nil); p.status != http.StatusOK ||
		p.doc.Find(`[data-testid="status-STALL"][checked]`).Length() != 1 {
		t.Fatalf("new rule form: %d\n%.300s", p.status, p.body)
	}

	bad := []struct {
		field, value, want string
	}{
		{"receiver_url", "file:///etc/passwd", "receiver_url: must start with http:// or https://"},
		{"lag_messages", "many", `lag_messages: "many" is not a whole number above 0`},
		{"drain_within", "soon", `drain_within: "soon" is not a duration`},
		{"clusters", "pr?d", `clusters: pattern "pr?d" may use only "*"`},
		{"receiver_secret", "short", "receiver_secret: must be 16 to 200 characters long"},
	}
	for _, b := range bad {
		f := ruleForm("bad", "prod", "payments-*")
		f.Set(b.field, b.value)
		p := do(t, op, http.MethodPost, env.URL+"/alerts/rules", f, nil)
		if p.status != http.StatusBadRequest || !strings.Contains(p.testID("form-error"), b.want) {
			t.Errorf("%s=%q: %d %q, want 400 saying %q", b.field, b.value, p.status, p.testID("form-error"), b.want)
		}
		if v, _ := p.doc.Find(`[data-testid="rule-groups"]`).Attr("value"); v != "payments-*" {
			t.Errorf("%s: the form lost what was sent: groups %q", b.field, v)
		}
	}

	p := do(t, op, http.MethodPost, env.URL+"/alerts/rules", ruleForm("payments", "prod", "payments-*"), nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/alerts" {
		t.Fatalf("create: %d %s %q", p.status, p.header.Get("Location"), p.testID("form-error"))
	}
	r := env.ruleNamed(t, "payments")
	if r.ReceiverSecret != "a-secret-of-the-webhook" || *r.DrainWithinSeconds != 3600 || r.UpdatedBy != "operator" {
		t.Errorf("stored %+v", r)
	}
	if p := do(t, op, http.MethodPost, env.URL+"/alerts/rules", ruleForm("payments", "prod", "other"), nil); p.status != http.StatusBadRequest ||
		!strings.Contains(p.testID("form-error"), `name: a rule named "payments" exists already`) {
		t.Errorf("same name: %d %q", p.status, p.testID("form-error"))
	}

	list := do(t, op, http.MethodGet, env.URL+"/alerts", nil, nil)
	row := list.doc.Find(`[data-testid="rule"][data-rule="payments"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "will not drain within 1 h") ||
		strings.Contains(list.body, "a-secret-of-the-webhook") {
		t.Fatalf("rules table: %q", row.Text())
	}

	edit := do(t, op, http.MethodGet, env.URL+ruleHref(r.ID), nil, nil)
	readAt, _ := edit.doc.Find(`input[name="read_at"]`).Attr("value")
	if edit.status != http.StatusOK || edit.testID("secret-set") == "" || strings.Contains(edit.body, "a-secret-of-the-webhook") {
		t.Fatalf("edit form: %d", edit.status)
	}
	f := ruleForm("payments", "prod", "payments-*")
	f.Del("receiver_secret")
	f.Set("lag_messages", "5000")
	f.Set("read_at", readAt)
	if p := do(t, op, http.MethodPost, env.URL+ruleHref(r.ID), f, nil); p.status != http.StatusSeeOther {
		t.Fatalf("update: %d %q", p.status, p.testID("form-error"))
	}
	r2 := env.ruleNamed(t, "payments")
	if *r2.LagMessages != 5000 || r2.ReceiverSecret != "a-secret-of-the-webhook" {
		t.Errorf("after the edit: %+v", r2)
	}
	// The same form again: the rule changed since it was read.
	if p := do(t, op, http.MethodPost, env.URL+ruleHref(r.ID), f, nil); p.status != http.StatusConflict ||
		!strings.Contains(p.testID("form-error"), "changed this rule meanwhile") {
		t.Errorf("stale edit: %d %q", p.status, p.testID("form-error"))
	}
	if p := do(t, op, http.MethodPost, env.URL+ruleHref(r.ID)+"/delete", url.Values{}, nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	if p := do(t, op, http.MethodGet, env.URL+ruleHref(r.ID), nil, nil); p.status != http.StatusNotFound {
		t.Errorf("deleted rule: %d", p.status)
	}

	for _, action := range []audit.Action{audit.ActionAlertRuleCreated, audit.ActionAlertRuleChanged, audit.ActionAlertRuleDeleted} {
		rows := env.auditRows(t, action)
		if len(rows) != 1 || rows[0].Subject != "operator" || rows[0].Outcome != "success" {
			t.Fatalf("%s entries: %+v", action, rows)
		}
		for _, doc := range []*string{rows[0].Parameters, rows[0].Before, rows[0].After} {
			if doc != nil && strings.Contains(*doc, "a-secret-of-the-webhook") {
				t.Errorf("%s holds the secret: %s", action, *doc)
			}
		}
	}
	if after := *env.auditRows(t, audit.ActionAlertRuleChanged)[0].After; !strings.Contains(after, `"lag_messages":5000`) ||
		!strings.Contains(after, `"secret_set":true`) {
		t.Errorf("change entry: %s", after)
	}
	env.verifyChain(t)
}

// TestAlertRulesWithinGrants: a user whose grant covers staging's billing groups may set up
// alerting for them and for nothing wider; a viewer for nothing.
func TestAlertRulesWithinGrants(t *testing.T) {
	env := newEnv(t, envOptions{})
	scoped := env.signIn(t, "scoped")
	noFollow(scoped)
	if p := do(t, scoped, http.MethodPost, env.URL+"/alerts/rules", ruleForm("billing", "staging", "billing-eu-*"), nil); p.status != http.StatusSeeOther {
		t.Fatalf("within the grant: %d %q", p.status, p.testID("form-error"))
	}
	for _, pats := range [][2]string{{"*", "billing-*"}, {"staging", "*"}, {"staging", "billing-*, orders"}, {"prod", "billing-x"}} {
		p := do(t, scoped, http.MethodPost, env.URL+"/alerts/rules", ruleForm("wide", pats[0], pats[1]), nil)
		if p.status != http.StatusForbidden {
			t.Errorf("rule on %s / %s: %d, want 403", pats[0], pats[1], p.status)
		}
	}
	p := do(t, scoped, http.MethodPost, env.URL+"/alerts/silences", url.Values{"clusters": {"*"}, "consumer_groups": {"*"},
		"duration": {"1h"}, "reason": {"everything"}}, nil)
	if p.status != http.StatusForbidden {
		t.Errorf("silence of everything: %d", p.status)
	}
	if denied := env.auditRows(t, audit.ActionAccessDenied); len(denied) != 5 || !strings.Contains(denied[0].Reason, "do not hold the rule's patterns") {
		t.Errorf("denials recorded: %+v", denied)
	}
	// An admin's rule over everything shows to the scoped user, without a link to edit it.
	admin := env.signIn(t, "admin")
	noFollow(admin)
	if p := do(t, admin, http.MethodPost, env.URL+"/alerts/rules", ruleForm("all", "*", "*"), nil); p.status != http.StatusSeeOther {
		t.Fatalf("admin: %d", p.status)
	}
	list := do(t, scoped, http.MethodGet, env.URL+"/alerts", nil, nil)
	if list.doc.Find(`[data-rule="all"] [data-testid="edit-rule"]`).Length() != 0 ||
		list.doc.Find(`[data-rule="billing"] [data-testid="edit-rule"]`).Length() != 1 {
		t.Errorf("edit links for the scoped user wrong")
	}
	all := env.ruleNamed(t, "all")
	if p := do(t, scoped, http.MethodGet, env.URL+ruleHref(all.ID), nil, nil); p.status != http.StatusForbidden {
		t.Errorf("scoped user opening the admin's rule: %d", p.status)
	}
	viewer := env.signIn(t, "viewer")
	if list := do(t, viewer, http.MethodGet, env.URL+"/alerts", nil, nil); list.status != http.StatusOK ||
		list.doc.Find(`[data-testid="new-rule"], [data-testid="silence-form"], [data-testid="edit-rule"]`).Length() != 0 {
		t.Errorf("viewer sees the means to manage alerts")
	}
}

// TestSilencesAndAcknowledgements: an operator silences groups with a reason and ends it,
// and acknowledges an alert from the group's page; a malformed silence is refused naming
// its field; each is an audit entry.
func TestSilencesAndAcknowledgements(t *testing.T) {
	env := newEnv(t, envOptions{})
	ctx := context.Background()
	now := time.Now()
	// A rule, and a poll in which a group stops: the evaluator fires the alert.
	if _, err := storage.InsertAlertRule(ctx, env.pool, storage.AlertRule{Name: "stopped", Enabled: true, Clusters: []string{"prod"},
		Groups: []string{"*"}, Statuses: []string{"STOP"}, ReceiverKind: alert.Alertmanager, ReceiverURL: "http://127.0.0.1:1",
		UpdatedAt: now, UpdatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	g, q := group("payments-orders", "STOP", ptr(int64(500)), ptr(90.0), "CLUSTERING", now)
	c, err := storage.UpsertCluster(ctx, env.pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	eval := &alert.Evaluator{BaseURL: env.URL, Logger: slog.New(slog.DiscardHandler)}
	secs := 600.0
	if err := storage.SaveCycle(ctx, env.pool, storage.Cycle{ClusterID: c.ID, At: now, Groups: []storage.GroupState{g},
		Queues: []storage.QueueState{q}, GroupDrains: []storage.GroupDrain{{Group: g.Group, Drain: storage.Drain{
			State: storage.DrainDraining, Seconds: &secs, Reason: "backlog shrinking by 1 msg/s, drained in about 10 min"}}}},
		eval.Step("prod")); err != nil {
		t.Fatal(err)
	}

	op := env.signIn(t, "operator")
	noFollow(op)
	page := do(t, op, http.MethodGet, env.URL+"/clusters/prod/groups/payments-orders", nil, nil)
	if page.testID("group-alert") == "" || page.doc.Find(`[data-testid="ack"]`).Length() != 1 ||
		!strings.Contains(page.testID("drain-reason"), "drained in about 10 min") {
		t.Fatalf("group page: alerts %q, drain %q", page.testID("group-alerts"), page.testID("drain-reason"))
	}
	viewer := env.signIn(t, "viewer")
	noFollow(viewer)
	if vp := do(t, viewer, http.MethodGet, env.URL+"/clusters/prod/groups/payments-orders", nil, nil); vp.testID("group-alert") == "" ||
		vp.doc.Find(`[data-testid="ack"]`).Length() != 0 {
		t.Error("viewer: the alert should show without the button")
	}
	action, _ := page.doc.Find(`[data-testid="group-alert"] form`).Attr("action")
	if p := do(t, viewer, http.MethodPost, env.URL+action, url.Values{}, nil); p.status != http.StatusForbidden {
		t.Errorf("viewer acknowledging: %d", p.status)
	}
	if p := do(t, op, http.MethodPost, env.URL+action, url.Values{}, nil); p.status != http.StatusSeeOther ||
		p.header.Get("Location") != "/clusters/prod/groups/payments-orders" {
		t.Fatalf("acknowledge: %d %s", p.status, p.header.Get("Location"))
	}
	list := do(t, op, http.MethodGet, env.URL+"/alerts", nil, nil)
	if got := list.doc.Find(`[data-testid="firing-alert"] [data-testid="acked"]`).Text(); got != "operator" {
		t.Errorf("acknowledged by %q", got)
	}

	bad := []struct{ field, value, want string }{
		{"duration", "forever", `duration: "forever" is not a duration`},
		{"duration", "", "duration: is required"},
		{"reason", "", "reason: is required"},
		{"consumer_groups", "a b", `consumer_groups: pattern "a b" contains white space`},
	}
	for _, b := range bad {
		f := url.Values{"clusters": {"prod"}, "consumer_groups": {"payments-*"}, "duration": {"2h"}, "reason": {"deploy"}}
		f.Set(b.field, b.value)
		p := do(t, op, http.MethodPost, env.URL+"/alerts/silences", f, nil)
		if p.status != http.StatusBadRequest || !strings.Contains(p.testID("form-error"), b.want) {
			t.Errorf("silence %s=%q: %d %q", b.field, b.value, p.status, p.testID("form-error"))
		}
	}
	f := url.Values{"clusters": {"prod"}, "consumer_groups": {"payments-*"}, "duration": {"2h"}, "reason": {"deploying payments"}}
	if p := do(t, op, http.MethodPost, env.URL+"/alerts/silences", f, nil); p.status != http.StatusSeeOther {
		t.Fatalf("silence: %d %q", p.status, p.testID("form-error"))
	}
	list = do(t, op, http.MethodGet, env.URL+"/alerts", nil, nil)
	si := list.doc.Find(`[data-testid="silence"][data-active="true"]`)
	endAt, _ := si.Find("form").Attr("action")
	if si.Length() != 1 || !strings.Contains(si.Text(), "deploying payments") || endAt == "" {
		t.Fatalf("silences: %q", list.testID("silences"))
	}
	if p := do(t, op, http.MethodPost, env.URL+endAt, url.Values{}, nil); p.status != http.StatusSeeOther {
		t.Fatalf("end silence: %d", p.status)
	}
	if p := do(t, op, http.MethodPost, env.URL+endAt, url.Values{}, nil); p.status != http.StatusConflict {
		t.Errorf("end it again: %d", p.status)
	}
	for _, a := range []audit.Action{audit.ActionAlertAcknowledged, audit.ActionAlertSilenced, audit.ActionAlertSilenceEnded} {
		if rows := env.auditRows(t, a); len(rows) != 1 || rows[0].Subject != "operator" {
			t.Errorf("%s: %+v", a, rows)
		}
	}
	if rows := env.auditRows(t, audit.ActionAlertSilenced); len(rows) == 1 && rows[0].Reason != "deploying payments" {
		t.Errorf("silence reason %q", rows[0].Reason)
	}
	env.verifyChain(t)
}

// TestAlertsPageShowsOnlyVisibleGroups: alerts and notifications are about groups; the
// scoped user sees those of staging's billing groups only.
func TestAlertsPageShowsOnlyVisibleGroups(t *testing.T) {
	env := newEnv(t, envOptions{})
	ctx := context.Background()
	now := time.Now()
	if _, err := storage.InsertAlertRule(ctx, env.pool, storage.AlertRule{Name: "all", Enabled: true, Clusters: []string{"*"},
		Groups: []string{"*"}, Statuses: []string{"STOP"}, ReceiverKind: alert.Slack, ReceiverURL: "https://hooks.example.com/services/T0/B0/secret",
		UpdatedAt: now, UpdatedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	eval := &alert.Evaluator{Logger: slog.New(slog.DiscardHandler)}
	for _, cg := range [][2]string{{"prod", "payments-orders"}, {"staging", "billing-eu"}} {
		c, err := storage.UpsertCluster(ctx, env.pool, cg[0], []string{"127.0.0.1:9876"})
		if err != nil {
			t.Fatal(err)
		}
		g, q := group(cg[1], "STOP", ptr(int64(5)), nil, "CLUSTERING", now)
		if err := storage.SaveCycle(ctx, env.pool, storage.Cycle{ClusterID: c.ID, At: now, Groups: []storage.GroupState{g},
			Queues: []storage.QueueState{q}}, eval.Step(cg[0])); err != nil {
			t.Fatal(err)
		}
	}
	seen := func(user string) (firing, notes []string, body string) {
		p := do(t, env.signIn(t, user), http.MethodGet, env.URL+"/alerts", nil, nil)
		p.doc.Find(`[data-testid="firing-alert"]`).Each(func(_ int, s *goquery.Selection) {
			v, _ := s.Attr("data-group")
			firing = append(firing, v)
		})
		p.doc.Find(`[data-testid="notification"]`).Each(func(_ int, s *goquery.Selection) {
			v, _ := s.Attr("data-group")
			notes = append(notes, v)
		})
		return firing, notes, p.body
	}
	f, n, body := seen("scoped")
	if strings.Join(f, ",") != "billing-eu" || strings.Join(n, ",") != "billing-eu" {
		t.Errorf("scoped user sees firing %v, notifications %v", f, n)
	}
	if strings.Contains(body, "/services/T0") || !strings.Contains(body, "https://hooks.example.com/…") {
		t.Error("the Slack webhook's secret path is shown")
	}
	if f, n, _ := seen("viewer"); len(f) != 2 || len(n) != 2 {
		t.Errorf("viewer sees firing %v, notifications %v", f, n)
	}
}

// noFollow makes c stop at redirects, to read where they go.
func noFollow(c *http.Client) {
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
}
