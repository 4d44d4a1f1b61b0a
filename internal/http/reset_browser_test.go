package http

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestResetFormInBrowser fills the request form in Chromium: the preview appears through
// htmx as soon as the kind is chosen, and submitting lands on the new request's page.
func TestResetFormInBrowser(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
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
	query := url.Values{"cluster": {resetCluster}, "group": {g.group}, "topic": {g.topic}}
	run(
		chromedp.Navigate(e.URL+"/resets/new?"+query.Encode()),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "operator"),
		chromedp.SendKeys(chromedp.ID("password"), "lagboard-operator"),
		chromedp.Click(chromedp.CSS(`form[data-testid="login-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-queue"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-note"]`)), // the first preview, with no kind yet
		chromedp.Click(chromedp.CSS(`[data-testid="kind-earliest"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="preview-row"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="reason"]`), "Replay yesterday's orders"),
	)
	rows, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="preview-row"]').length`))
	if err != nil || rows != len(g.max) {
		t.Fatalf("preview rows %d, want %d: %v", rows, len(g.max), err)
	}
	if note, _ := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS(`[data-testid="tz-note"]`))); !strings.Contains(note, "your time zone") {
		t.Errorf("time zone note %q", note)
	}
	tab.Screenshot("preview")
	run(
		chromedp.Click(chromedp.CSS(`[data-testid="submit-reset"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-state"]`)),
	)
	loc, err := chromedp.Run(tab.Ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, e.URL+"/resets/") {
		t.Fatalf("after submitting the browser is at %s: %v", loc, err)
	}
	id := strings.TrimPrefix(loc, e.URL+"/resets/")
	if st := e.state(t, id); st != "pending" {
		t.Errorf("request %s is %s", id, st)
	}
	reason, _ := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS(`[data-testid="reason"]`)))
	if reason != "Replay yesterday's orders" {
		t.Errorf("page shows reason %q", reason)
	}
	tab.Screenshot("request")
	if p := tab.Problems(); len(p) > 0 {
		t.Errorf("browser console reported problems: %q", p)
	}
}
