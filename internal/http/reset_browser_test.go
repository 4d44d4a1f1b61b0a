package http

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
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

// TestResetFormGuidesInBrowser: the request form suggests the groups the operator may
// reset as they type, lists the chosen group's topics, and shows the chosen topic's queues
// without another click; the point in time names the viewer's time zone.
func TestResetFormGuidesInBrowser(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	now := time.Now()
	rg, rq := group(g.group, "OK", ptr(int64(20)), ptr(1.0), "CLUSTERING", now)
	rg.Topics, rq.Topic = []string{g.topic}, g.topic
	seed{cluster: resetCluster, at: now, groups: []storage.GroupState{rg}, queues: []storage.QueueState{rq}}.save(t, e.pool)

	tab := stacktest.Browser(t)
	ctx, cancel := context.WithTimeout(tab.Ctx, 60*time.Second)
	defer cancel()
	fail := func(what string, err error) {
		t.Helper()
		loc, _ := chromedp.Run(tab.Ctx, chromedp.Location())
		tab.Screenshot("failed")
		t.Fatalf("%s (at %s): %v", what, loc, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.URL+"/resets/new?cluster="+resetCluster),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "operator"),
		chromedp.SendKeys(chromedp.ID("password"), "lagboard-operator"),
		chromedp.Click(chromedp.CSS(`form[data-testid="login-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("rf-group")),
		chromedp.SendKeys(chromedp.ID("rf-group"), g.group[:len(g.group)-2]),
	); err != nil {
		fail("typing a group", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`Array.from(document.querySelectorAll("#group-options option")).map(o => o.value).join() === `+jsQuote(g.group))); err != nil {
		fail("the typed group is not suggested", err)
	}
	// Choosing the suggestion sets the box's value and fires change, as the browser does.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const b = document.getElementById("rf-group");
		b.value = `+jsQuote(g.group)+`; b.dispatchEvent(new Event("change", {bubbles: true})); })()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const s = document.querySelector('select[name="topic"]');
		return s !== null && Array.from(s.options).some(o => o.value === `+jsQuote(g.topic)+`) &&
			document.querySelector(".htmx-request, .htmx-settling, .htmx-swapping") === null; })()`)); err != nil {
		fail("the group's topics are not listed", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector('select[name="topic"]');
		s.value = `+jsQuote(g.topic)+`; s.dispatchEvent(new Event("change", {bubbles: true})); })()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll('[data-testid="form-queue"]').length === `+strconv.Itoa(len(g.max)))); err != nil {
		fail("the topic's queues are not shown", err)
	}
	if label, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-testid="tz-label"]`))); !strings.Contains(label, "(UTC") {
		t.Errorf("the point in time does not name the viewer's zone: %q", label)
	}
	if p := tab.Problems(); len(p) > 0 {
		t.Errorf("browser console reported problems: %q", p)
	}
}

// jsQuote quotes s as a JavaScript string.
func jsQuote(s string) string { return strconv.Quote(s) }
