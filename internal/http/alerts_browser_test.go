package http

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/alert"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestAlertsInBrowser: in Chromium, an operator signs in, fills the rule form with a URL
// outside http(s) and is told which field is wrong, fixes it and saves; the alerts page
// lists the rule, the alert firing, a delivery failure and the silence form, and its live
// part refreshes through htmx. The groups page sorts by time to drain. Screenshots of each
// are kept under test-artifacts/.
func TestAlertsInBrowser(t *testing.T) {
	env := newEnv(t, envOptions{})
	ctx := context.Background()
	now := time.Now()
	s := fleet("prod", 6, now)
	s.save(t, env.pool)
	c, err := storage.UpsertCluster(ctx, env.pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	// A rule on STOP whose receiver fails: one alert fires, its notification fails.
	if _, err := storage.InsertAlertRule(ctx, env.pool, storage.AlertRule{Name: "stopped groups", Enabled: true,
		Clusters: []string{"prod"}, Groups: []string{"*"}, Statuses: []string{"STOP"}, ReceiverKind: alert.Webhook,
		ReceiverURL: "http://127.0.0.1:1/hook", ReceiverSecret: "0123456789abcdef", UpdatedAt: now, UpdatedBy: "admin"}); err != nil {
		t.Fatal(err)
	}
	f := func(v float64) *float64 { return &v }
	drains := []storage.GroupDrain{
		{Group: s.groups[0].Group, Drain: storage.Drain{State: storage.DrainDraining, Seconds: f(840), Reason: "backlog shrinking by 12 msg/s, drained in about 14 min"}},
		{Group: s.groups[1].Group, Drain: storage.Drain{State: storage.DrainGrowing, Reason: "growing by 300 msg/s: will not drain"}},
		{Group: s.groups[2].Group, Drain: storage.Drain{State: storage.DrainCaughtUp, Seconds: f(0), Reason: "caught up"}},
	}
	eval := &alert.Evaluator{BaseURL: env.URL, Logger: slog.New(slog.DiscardHandler)}
	if err := storage.SaveCycle(ctx, env.pool, storage.Cycle{ClusterID: c.ID, At: now, Groups: s.groups, Queues: s.queues,
		GroupDrains: drains}, eval.Step("prod")); err != nil {
		t.Fatal(err)
	}
	if _, err := env.pool.Exec(ctx, `UPDATE alert_outbox SET attempts = 3, last_error = 'POST http://127.0.0.1:1/hook: connection refused'`); err != nil {
		t.Fatal(err)
	}

	tab := stacktest.Browser(t)
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab.Ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			loc, _ := chromedp.Run(tab.Ctx, chromedp.Location())
			tab.Screenshot("failed")
			t.Fatalf("at %s: %v", loc, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	run(
		chromedp.Navigate(env.URL+"/alerts/rules/new"),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "operator"),
		chromedp.SendKeys(chromedp.ID("password"), "lagboard-operator"),
		chromedp.Click(chromedp.CSS(`form[data-testid="login-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="rule-form"]`)),
		// Load the form again, whole: typing into a document still settling after the
		// sign-in redirects can lose the node.
		chromedp.Navigate(env.URL+"/alerts/rules/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="rule-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="rule-name"]`), "payments will not drain"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="rule-clusters"]`), "prod"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="rule-groups"]`), "prod-fleet-*"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="rule-drain"]`), "1h"),
		chromedp.Click(chromedp.CSS(`[data-testid="kind-slack"]`)),
		// The browser's own check would stop a URL it cannot read; this one it passes.
		chromedp.SendKeys(chromedp.CSS(`[data-testid="rule-url"]`), "ftp://hooks.example.com/x"),
		chromedp.Click(chromedp.CSS(`[data-testid="rule-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-error"]`)),
	)
	if got := text(`[data-testid="form-error"]`); !strings.Contains(got, "receiver_url: must start with http:// or https://") {
		t.Fatalf("form error %q", got)
	}
	tab.Screenshot("rule-form-refused")
	run(
		chromedp.SetValue(chromedp.CSS(`[data-testid="rule-url"]`), "https://hooks.example.com/services/T0/B0/x"),
		chromedp.Click(chromedp.CSS(`[data-testid="rule-save"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="rules-table"]`)),
	)
	if got := text(`[data-testid="rule"][data-rule="payments will not drain"]`); !strings.Contains(got, "will not drain within 1 h") ||
		!strings.Contains(got, "slack https://hooks.example.com/…") {
		t.Errorf("rule row %q", got)
	}
	if got := text(`[data-testid="firing-alert"]`); !strings.Contains(got, "STOP") || !strings.Contains(got, "stopped groups") {
		t.Errorf("firing %q", got)
	}
	if got := text(`[data-testid="failing"]`); !strings.Contains(got, "connection refused") || !strings.Contains(got, "retrying (3 failed)") {
		t.Errorf("failures %q", got)
	}
	// The live part refreshes in place: a mark left on the page survives the swap that
	// brings in a new notification.
	run(chromedp.Evaluate[chromedp.Void](`window.lagboardMark = 1; htmx.trigger("#alerts-live", "every")`))
	if _, err := env.pool.Exec(ctx, `UPDATE alert_outbox SET state = 'given_up'`); err != nil {
		t.Fatal(err)
	}
	ctx2, cancel := context.WithTimeout(tab.Ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx2, chromedp.Poll[bool](`window.lagboardMark === 1 &&
		document.querySelector('[data-testid="failing"] [data-testid="retry"]') !== null`)); err != nil {
		tab.Screenshot("failed")
		t.Fatalf("the live part did not refresh: %v", err)
	}
	tab.Screenshot("alerts")

	run(
		chromedp.Navigate(env.URL+"/groups?sort=drain&dir=desc"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="groups-table"]`)),
	)
	first := text(`[data-testid="group"]:first-child [data-testid="drain"]`)
	if !strings.HasPrefix(first, "will not drain") {
		t.Errorf("groups sorted by time to drain start with %q", first)
	}
	tab.Screenshot("groups-by-drain")
	// The refused form came back with its 400, which the console reports; nothing else.
	if p := tab.Problems(); len(p) != 1 || !strings.Contains(p[0], "status of 400") {
		t.Errorf("browser console reported problems: %q", p)
	}
}
