package http

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// browserSteps are the helpers of a browser test: run actions, wait for a condition, read
// a text; each failure leaves a screenshot.
type browserSteps struct {
	t   *testing.T
	tab *stacktest.Tab
}

func (b browserSteps) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.tab.Ctx, chromedp.Location())
		b.tab.Screenshot("failed")
		b.t.Fatalf("at %s: %v", loc, err)
	}
}

func (b browserSteps) waitFor(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.tab.Ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
		b.tab.Screenshot("failed")
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b browserSteps) text(testid string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.tab.Ctx, chromedp.Evaluate[string](`(document.querySelector('[data-testid="`+testid+`"]')?.textContent ?? "").trim()`))
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.Join(strings.Fields(s), " ")
}

// signIn opens path and signs username in on the dev provider's form.
func (b browserSteps) signIn(base, path, username string) {
	b.t.Helper()
	b.run(
		chromedp.Navigate(base+path),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), "lagboard-"+username),
		chromedp.Click(chromedp.CSS(`form[data-testid="login-form"] button[type="submit"]`)),
	)
}

// TestCopyAndBatchInBrowser requests, in Chromium, a copy of another group's offsets and
// then one reset of two groups: the copy's preview marks the queue the source never
// committed on, the request of two groups shows a preview of each, and once approved, with
// the second group moved meanwhile, Execute shows the first group reset, the second not
// attempted, and the request partly executed. The screenshots are those of docs/RESETS.md.
func TestCopyAndBatchInBrowser(t *testing.T) {
	e := newResetEnv(t, 0)
	g1, g2 := e.seedGroup(t), e.seedGroup(t)
	source := stacktest.Name(t, "src")
	ctx := testCtx(t)
	if err := e.admin.CreateSubscriptionGroup(ctx, e.mq.BrokerAddr, source); err != nil {
		t.Fatal(err)
	}
	for q := range 3 {
		if err := e.admin.UpdateConsumerOffset(ctx, e.mq.BrokerAddr, source, g1.topic, q, int64(q+1)); err != nil {
			t.Fatal(err)
		}
	}
	b := browserSteps{t: t, tab: stacktest.Browser(t)}
	query := url.Values{"cluster": {resetCluster}, "group": {g1.group}, "topic": {g1.topic}}
	b.signIn(e.URL, "/resets/new?"+query.Encode(), "operator")
	b.run(chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-queue"]`)))
	b.waitFor("the form is ready", `document.readyState === "complete" && document.querySelector('[data-testid="form-queue"]') !== null &&
		document.querySelector('[data-testid="preview-note"]') !== null`)
	b.run(
		chromedp.Click(chromedp.CSS(`[data-testid="kind-group"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="source"]`), source),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="reason"]`), "Start where the old deployment's group stands"),
		chromedp.Click(chromedp.CSS(`[data-testid="preview-button"]`)),
	)
	b.waitFor("the copy's preview", `document.querySelectorAll('[data-testid="preview-row"] [data-testid="left"]').length === 1`)
	if w := b.text("warnings"); !strings.Contains(w, source+" never committed an offset on 1 queue ("+e.mq.BrokerName+"/3)") {
		t.Errorf("warnings %q", w)
	}
	b.tab.Screenshot("copy-preview")

	b.run(chromedp.Navigate(e.URL+"/resets/new?"+query.Encode()), chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-form"]`)))
	b.waitFor("the form again", `document.readyState === "complete" && document.querySelector('[data-testid="preview-note"]') !== null`)
	b.run(
		chromedp.Click(chromedp.CSS(`[data-testid="kind-earliest"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="more"]`), g2.group+" "+g2.topic),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="reason"]`), "Replay both consumers after the pricing fix"),
		chromedp.Click(chromedp.CSS(`[data-testid="preview-button"]`)),
	)
	b.waitFor("a preview of each group", `document.querySelectorAll('[data-testid="preview"]').length === 2`)
	b.tab.Screenshot("batch-preview")
	b.run(
		chromedp.Click(chromedp.CSS(`[data-testid="submit-reset"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="batch-title"]`)),
	)
	loc, err := chromedp.Run(b.tab.Ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, e.URL+"/resets/") {
		t.Fatalf("after submitting the browser is at %s: %v", loc, err)
	}
	id := strings.TrimPrefix(loc, e.URL+"/resets/")
	if p := e.post(t, e.user(t, "approver"), "/resets/"+id+"/approve", url.Values{"comment": {"both previews checked"}}); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", p.status)
	}
	e.commit(t, g2, 0, g2.committed[0]+1) // the second group moves after the approval
	b.run(
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="execute"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="execute"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="item"][data-state="refused"]`)),
	)
	b.waitFor("each group's outcome", `document.querySelector('[data-testid="item"][data-state="executed"], [data-testid="item"][data-state="verified"]') !== null &&
		document.querySelector('[data-testid="item"][data-state="refused"] [data-testid="not-attempted"]') !== null`)
	if st := b.text("reset-state"); st != "Partly executed" {
		t.Errorf("the request reads %q", st)
	}
	if sum := b.text("batch-summary"); !strings.HasPrefix(sum, "Partly executed: 1 of 2 groups reset, 1 not attempted.") {
		t.Errorf("the summary reads %q", sum)
	}
	b.tab.Screenshot("batch-partial")
	if p := b.tab.Problems(); len(p) > 0 {
		t.Errorf("browser console reported problems: %q", p)
	}
}

// TestFreezeInBrowser creates a change-freeze window in Chromium as an administrator (a
// window that ends before it starts is refused with the form kept), then requests a reset
// of a group it covers: once approved, Execute is refused on the request's page, which
// offers the emergency override; asked for, the request waits for one more approval. The
// screenshots are those of docs/RESETS.md.
func TestFreezeInBrowser(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	b := browserSteps{t: t, tab: stacktest.Browser(t)}
	b.signIn(e.URL, "/freezes/new", "admin")
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Now().In(paris).Add(-time.Hour)
	setValue := func(name, value string) chromedp.Action[chromedp.Void] {
		return chromedp.Evaluate[chromedp.Void](`(() => { const el = document.querySelector('[name="` + name + `"]'); el.value = "` + value + `";
			el.dispatchEvent(new Event("change", {bubbles: true})); })()`)
	}
	b.run(
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="freeze-form"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="freeze-name"]`), "Black Friday"),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="freeze-reason"]`), "Peak sales: no offset moves without the incident lead"),
		setValue("clusters", resetCluster),
		setValue("groups", "g-*"),
		setValue("zone", "Europe/Paris"),
		setValue("start", start.Format(freezeLocal)),
		setValue("end", start.Add(-2*time.Hour).Format(freezeLocal)),
		chromedp.Click(chromedp.CSS(`[data-testid="save-freeze"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-error"]`)),
	)
	if msg := b.text("form-error"); !strings.Contains(msg, "before it starts") {
		t.Errorf("the refusal says %q", msg)
	}
	b.tab.Screenshot("freeze-form-error")
	b.run(
		setValue("end", start.Add(72*time.Hour).Format(freezeLocal)),
		chromedp.Click(chromedp.CSS(`[data-testid="save-freeze"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="freeze-row"][data-status="in-force"]`)),
	)
	b.tab.Screenshot("freeze-list")

	query := url.Values{"cluster": {resetCluster}, "group": {g.group}, "topic": {g.topic}}
	b.run(chromedp.Navigate(e.URL+"/resets/new?"+query.Encode()), chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-form"]`)))
	b.waitFor("the form is ready", `document.readyState === "complete" && document.querySelector('[data-testid="preview-note"]') !== null`)
	b.run(
		chromedp.Click(chromedp.CSS(`[data-testid="kind-earliest"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="reason"]`), "Orders lost since 09:12 must be processed today"),
		chromedp.Click(chromedp.CSS(`[data-testid="submit-reset"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-state"]`)),
	)
	loc, err := chromedp.Run(b.tab.Ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, e.URL+"/resets/") {
		t.Fatalf("after submitting the browser is at %s: %v", loc, err)
	}
	id := strings.TrimPrefix(loc, e.URL+"/resets/")
	if p := e.post(t, e.user(t, "approver"), "/resets/"+id+"/approve", nil); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d", p.status)
	}
	b.run(
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="execute"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="execute"]`)),
		// The approved request's page offers the override as soon as the freeze is in
		// force, before Execute is tried: the refusal is what says the page came back.
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="action-error"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="override-form"]`)),
	)
	if msg := b.text("action-error"); !strings.Contains(msg, `Change freeze "Black Friday" is in force`) {
		t.Errorf("the refusal says %q", msg)
	}
	b.tab.Screenshot("freeze-refused")
	b.run(
		chromedp.SendKeys(chromedp.CSS(`[data-testid="override-reason-input"]`), "Customers are charged twice until the orders are replayed"),
		chromedp.Click(chromedp.CSS(`[data-testid="ask-override"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="override"]`)),
	)
	if got := b.text("approvals"); got != "1 of 2 approvals" {
		t.Errorf("after the override: %q", got)
	}
	b.tab.Screenshot("override-asked")
	// The refused window (400) and the refused execution (409) are pages the browser
	// reports as failed loads; anything else is a problem.
	for _, p := range b.tab.Problems() {
		if !strings.Contains(p, "status of 400") && !strings.Contains(p, "status of 409") {
			t.Errorf("browser console reported a problem: %q", p)
		}
	}
}
