package http

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// viewerZone is the time zone the browser tests read the reset pages in: not UTC, so a
// time shown without its zone, or in the wrong one, shows.
const viewerZone = "America/New_York"

// TestResetTimesInBrowser reads the reset pages in Chromium set to New York time. A point
// in time typed to the millisecond in that zone is echoed by the preview as the exact
// instant, kept by the request, and shown on its page and in the list in the viewer's zone
// and in UTC; every time on the form, the request page and the list names its zone; group
// names are shown as they are.
func TestResetTimesInBrowser(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	ny, err := time.LoadLocation(viewerZone)
	if err != nil {
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
	waitFor := func(what, expr string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab.Ctx, 30*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
			tab.Screenshot("failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(testid string) string {
		t.Helper()
		s, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`(document.querySelector('[data-testid="`+testid+`"]')?.textContent ?? "").trim()`))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(strings.Fields(s), " ")
	}
	// zones checks that every time on the page names its zone: New York's for the times
	// the script converted, UTC for the others.
	zones := func(page string, atLeast int) {
		t.Helper()
		waitFor(page+": the script has converted every time", `Array.from(document.querySelectorAll("time[data-local]"))
			.every(e => / E[SD]T$/.test(e.textContent.trim()))`)
		times, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("time"))
			.filter(e => !e.hasAttribute("data-ago")).map(e => e.textContent.trim())`))
		if err != nil {
			t.Fatal(err)
		}
		if len(times) < atLeast {
			t.Errorf("%s: %d times %q, want at least %d", page, len(times), times, atLeast)
		}
		for _, s := range times {
			if !strings.HasSuffix(s, " EST") && !strings.HasSuffix(s, " EDT") && !strings.HasSuffix(s, " UTC") {
				t.Errorf("%s: the time %q does not name its zone", page, s)
			}
		}
	}
	// instant checks that a point in time shows the typed instant in the viewer's zone, to
	// the millisecond and with the zone, and the same instant in UTC.
	typed := time.Now().Add(-time.Hour).In(ny).Truncate(time.Second).Add(345 * time.Millisecond)
	wantISO := typed.UTC().Format("2006-01-02T15:04:05.000Z")
	instant := func(where, testid string) {
		t.Helper()
		waitFor(where+": the script shows the instant in the viewer's zone",
			`/ E[SD]T$/.test(document.querySelector('[data-testid="`+testid+`-local"]')?.textContent.trim() ?? "")`)
		got, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`document.querySelector('[data-testid="`+testid+`"]')?.dataset.instant ?? ""`))
		if err != nil || got != wantISO {
			t.Errorf("%s: instant %q, want %q (typed %s in %s): %v", where, got, wantISO, typed.Format("2006-01-02T15:04:05.000"), viewerZone, err)
		}
		local := text(testid + "-local")
		for _, want := range []string{typed.Format("Jan 02"), typed.Format("03:04:05.000"), typed.Format("MST")} {
			if !strings.Contains(local, want) {
				t.Errorf("%s: local time %q does not read %q", where, local, want)
			}
		}
		if utc := text(testid + "-utc"); utc != typed.UTC().Format("2006-01-02 15:04:05.000 UTC") {
			t.Errorf("%s: UTC time %q, want %s", where, utc, typed.UTC().Format("2006-01-02 15:04:05.000 UTC"))
		}
	}

	run(chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: viewerZone})
		return err
	}))
	query := url.Values{"cluster": {resetCluster}, "group": {g.group}, "topic": {g.topic}}
	run(
		chromedp.Navigate(e.URL+"/resets/new?"+query.Encode()),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), "operator"),
		chromedp.SendKeys(chromedp.ID("password"), "lagboard-operator"),
		chromedp.Click(chromedp.CSS(`form[data-testid="login-form"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="form-queue"]`)),
	)
	// The page's scripts have run (the note names the viewer's zone) and the first preview,
	// with no kind yet, is in.
	waitFor("the form is ready", `document.readyState === "complete" &&
		(document.querySelector('[data-testid="tz-note"]')?.textContent ?? "").includes("`+viewerZone+`") &&
		document.querySelector('[data-testid="preview-note"]') !== null`)
	run(chromedp.Click(chromedp.CSS(`[data-testid="kind-timestamp"]`)))
	// Type the time as the browser's own field would hold it, in New York time.
	run(chromedp.Evaluate[chromedp.Void](`(() => { const el = document.querySelector('[data-testid="time"]');
		el.value = "` + typed.Format("2006-01-02T15:04:05.000") + `";
		el.dispatchEvent(new Event("input", {bubbles: true})); el.dispatchEvent(new Event("change", {bubbles: true})); })()`))
	waitFor("the preview echoes the typed instant", `document.querySelector('[data-testid="instant"]')?.dataset.instant === "`+wantISO+`"`)
	instant("preview", "instant")
	zones("form", 2)
	run(chromedp.SendKeys(chromedp.CSS(`[data-testid="reason"]`), "Replay since the bad deploy"))
	tab.Screenshot("form")
	run(
		chromedp.Click(chromedp.CSS(`[data-testid="submit-reset"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-state"]`)),
	)
	loc, err := chromedp.Run(tab.Ctx, chromedp.Location())
	if err != nil || !strings.HasPrefix(loc, e.URL+"/resets/") {
		t.Fatalf("after submitting the browser is at %s: %v", loc, err)
	}
	id := strings.TrimPrefix(loc, e.URL+"/resets/")
	instant("request page", "target-instant")
	req, err := e.svc.Get(testCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	if got := req.Spec.Time.UTC().Format("2006-01-02T15:04:05.000Z"); got != wantISO {
		t.Fatalf("the request keeps %s, want %s", got, wantISO)
	}

	// Approved by someone else, executed by the operator, verified: every time on the page.
	if p := e.post(t, e.user(t, "approver"), "/resets/"+id+"/approve", url.Values{"comment": {"ok"}}); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d: %.300s", p.status, p.body)
	}
	run(
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="execute"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="execute"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="outcome"]`)),
	)
	for range 3 {
		if err := e.svc.VerifyDue(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(2 * time.Second)
	}
	run(chromedp.Reload())
	waitFor("the request is verified", `document.querySelector('[data-testid="reset-state"]')?.dataset.state === "verified"`)
	instant("request page after verification", "target-instant")
	zones("request page", 10)
	tab.Screenshot("request")

	run(
		chromedp.Navigate(e.URL+"/resets"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="reset-row"][data-id="`+id+`"]`)),
	)
	instant("list", "target-instant")
	zones("list", 2)
	shown, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`(() => { const el = document.querySelector('[data-testid="reset-group"]');
		return el.innerText + "|" + getComputedStyle(el).textTransform; })()`))
	if err != nil || shown != g.group+"|none" {
		t.Errorf("the list shows the group as %q, want %q as it is: %v", shown, g.group, err)
	}
	if got := text("reset-approvals"); got != "1 of 1" {
		t.Errorf("the list counts approvals %q, want 1 of 1", got)
	}
	tab.Screenshot("list")
	if p := tab.Problems(); len(p) > 0 {
		t.Errorf("browser console reported problems: %q", p)
	}
}
