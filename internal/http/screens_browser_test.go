package http

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/views"
)

// screenWidths are the widths every page is checked at: a phone on call and a laptop.
var screenWidths = []int64{390, 1440}

// screenPage is a page the screenshot test visits, and who may see it.
type screenPage struct {
	name, path string
	roles      []string // nil: every role
}

// TestBrowserEveryPage signs in as each role of the dev provider and visits every page it
// may see, at a phone's width and a laptop's, in light and dark: it saves a screenshot of
// each under test-artifacts/screens/ and fails on a console error, an error page, a body
// wider than the window, texts whose boxes overlap or a name broken letter by letter, and
// on any serious or critical axe-core violation.
func TestBrowserEveryPage(t *testing.T) {
	start := time.Now()
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	now := time.Now()
	kinds := seedKinds(t, e.pool, now, g)
	reqID := requestID(t, e.post(t, e.user(t, "operator"), "/resets", g.form("Replay orders after the pricing fix")))
	insertReset(t, e.pool, "prod", kinds["push"], "verified", now.Add(-20*time.Minute))
	if p := e.post(t, e.user(t, "admin"), "/freezes", freezeForm("Black Friday", "payments-* refunds-*")); p.status != http.StatusSeeOther {
		t.Fatalf("seeding a freeze window: %d %.300s", p.status, p.body)
	}
	if p := e.post(t, e.user(t, "operator"), "/tokens", url.Values{"name": {"on-call bot"}, "days": {"30"}}); p.status != http.StatusOK {
		t.Fatalf("seeding a token: %d %.300s", p.status, p.body)
	}
	t.Logf("seeded in %s", time.Since(start).Round(time.Millisecond))

	readers := []string{"operator", "approver", "auditor", "admin"}
	auditors := []string{"auditor", "admin"}
	pages := []screenPage{
		{name: "overview", path: "/"},
		{name: "groups", path: "/groups"},
		{name: "groups-sorted", path: "/groups?cluster=staging&sort=lag&dir=desc&page=2"},
	}
	for _, k := range kindOrder {
		pages = append(pages, screenPage{name: "group-" + k, path: views.GroupHref("prod", kinds[k])})
	}
	pages = append(pages,
		screenPage{name: "resets", path: "/resets", roles: readers},
		screenPage{name: "reset-request", path: "/resets/" + reqID, roles: readers},
		screenPage{name: "reset-new", path: "/resets/new?" + url.Values{"cluster": {"prod"}, "group": {g.group}, "topic": {g.topic}}.Encode(),
			roles: []string{"operator", "admin"}},
		screenPage{name: "freezes", path: "/freezes"},
		screenPage{name: "tokens", path: "/tokens"},
		screenPage{name: "audit", path: "/audit", roles: auditors},
		screenPage{name: "audit-summary", path: "/audit/summary", roles: auditors},
		screenPage{name: "audit-verify", path: "/audit/verify", roles: auditors},
		screenPage{name: "audit-timeline", path: "/audit/timeline?" + url.Values{"cluster": {"prod"}, "group": {g.group}}.Encode(), roles: auditors},
		screenPage{name: "audit-report", path: "/audit/report", roles: auditors},
	)

	var tab *stacktest.Tab
	var ctx context.Context
	fail := func(format string, args ...any) {
		t.Helper()
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		t.Errorf("at %s: %s", loc, fmt.Sprintf(format, args...))
		tab.Screenshot("failed")
		t.FailNow()
	}
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			fail("%v", err)
		}
	}
	wait := func(what, expr string) {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(wctx, chromedp.Poll[bool](expr)); err != nil {
			fail("%s: %v", what, err)
		}
	}
	// settle waits for two frames: what reflows after a resize or a change of scheme
	// (the chart redraws itself) has been laid out.
	settle := func() {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`,
			chromedp.EvalAwaitPromise)); err != nil {
			fail("settle: %v", err)
		}
	}
	const ready = `document.readyState === "complete" &&
		(() => { const c = document.getElementById("lag-chart"); return c === null || !!c.dataset.state; })() &&
		Array.from(document.querySelectorAll("time[data-local]")).every(e => e.title !== "")`

	checks := 0
	var spent [3]time.Duration
	for _, role := range []string{"viewer", "operator", "approver", "auditor", "admin"} {
		tab = stacktest.Browser(t)
		ctx = tab.Ctx
		run(chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
			_, err := cdp.Call(ctx, target, network.ClearBrowserCookies, cdp.Empty{})
			return err
		}))
		if err := tab.Viewport(1440, 900); err != nil {
			t.Fatal(err)
		}
		run(
			chromedp.Navigate(e.URL+"/"),
			chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SendKeys(chromedp.ID("username"), role),
			chromedp.SendKeys(chromedp.ID("password"), "lagboard-"+role),
			chromedp.Click(chromedp.CSS(`form[data-testid="login-form"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="user-name"]`)),
		)
		tab.Close()
		for _, p := range pages {
			if p.roles != nil && !slices.Contains(p.roles, role) {
				continue
			}
			// A tab per page, each with its own time limit, signed in through the
			// browser's cookies.
			tab = stacktest.Browser(t)
			ctx = tab.Ctx
			if err := tab.Viewport(1440, 900); err != nil {
				t.Fatal(err)
			}
			// The brokers answered just now, as a running poller would say: pages show
			// no stale-data banner however long the test has run.
			if _, err := e.pool.Exec(t.Context(), `UPDATE broker_state SET ok_at = now()`); err != nil {
				t.Fatal(err)
			}
			run(chromedp.Navigate(e.URL + p.path))
			wait(role+" "+p.name+" is ready", ready)
			if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('[data-testid="error"]') === null`)); !ok {
				fail("%s gets an error page on %s", role, p.name)
			}
			if strings.HasPrefix(p.name, "group-") {
				groupPageTruths(t, ctx, role+" "+p.name, p.name == "group-pull")
			}
			for _, w := range screenWidths {
				if err := tab.Viewport(w, 900); err != nil {
					t.Fatal(err)
				}
				for _, scheme := range []string{"light", "dark"} {
					if err := tab.ColorScheme(scheme); err != nil {
						t.Fatal(err)
					}
					settle()
					where := fmt.Sprintf("%s, %s at %d px, %s", role, p.name, w, scheme)
					if p.name == "overview" && w == 1440 {
						overviewFills(t, ctx, role+", "+scheme)
					}
					t0 := time.Now()
					tab.SaveScreenshot(fmt.Sprintf("screens/%s/%s-%d-%s.png", role, p.name, w, scheme))
					spent[0] += time.Since(t0)
					t0 = time.Now()
					lp, err := tab.Layout()
					spent[1] += time.Since(t0)
					if err != nil {
						t.Fatal(err)
					}
					if lp.Overflow > 0 {
						t.Errorf("%s: the page is %d px wider than the window: %q", where, lp.Overflow, lp.Wide)
					}
					for _, o := range lp.Overlaps {
						t.Errorf("%s: %s", where, o)
					}
					for _, b := range lp.Broken {
						t.Errorf("%s: %s", where, b)
					}
					// axe at the phone's width, where tables scroll in their cards and the
					// layout is at its tightest: every rule in the light scheme, the rules
					// that read colours in the dark one. Colours do not depend on the width.
					if w == screenWidths[0] {
						var rules []string
						if scheme == "dark" {
							rules = []string{"color-contrast", "link-in-text-block"}
						}
						t0 = time.Now()
						vs, err := tab.Axe(rules...)
						spent[2] += time.Since(t0)
						if err != nil {
							t.Fatal(err)
						}
						for _, v := range vs {
							t.Errorf("%s: axe: %s", where, v)
						}
					}
					if p.name == "overview" && w == screenWidths[0] {
						phoneMenu(t, tab, role, where, scheme)
					}
					checks++
				}
			}
			if problems := tab.Problems(); len(problems) > 0 {
				t.Fatalf("%s, %s: the console reported %q", role, p.name, problems)
			}
			tab.Close()
		}
	}
	t.Logf("%d page views checked in %s (screenshots %s, layout %s, axe %s)", checks, time.Since(start).Round(time.Millisecond), spent[0], spent[1], spent[2])
	if t.Failed() {
		t.Logf("screenshots are under %s", strings.TrimSuffix(stacktest.ArtifactsDir(t), "/")+"/screens")
	}
}

// groupPageTruths checks what a group page says: no figure of the summary that a note
// calls unknown, and a chart whose time ticks are apart and distinct, or, when its range
// holds no value (empty), a sentence and no chart at all.
func groupPageTruths(t *testing.T, ctx context.Context, where string, empty bool) {
	t.Helper()
	type truths struct {
		LagTime string   `json:"lagTime"`
		Notes   []string `json:"notes"`
		State   string   `json:"state"`
		Ticks   string   `json:"ticks"`
		Gap     string   `json:"gap"`
		Status  string   `json:"status"`
		Canvas  bool     `json:"canvas"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[truths](`(() => {
		const c = document.getElementById("lag-chart"), s = c.querySelector(".chart-status");
		return {lagTime: document.querySelector('[data-announce="lag in time"]').textContent.trim(),
			notes: Array.from(document.querySelectorAll('[data-testid="note"]')).map(n => n.textContent),
			state: c.dataset.state, ticks: c.dataset.xticks || "", gap: c.dataset.xgap || "",
			status: s.hidden ? "" : s.textContent.trim(), canvas: c.querySelector("canvas") !== null};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.LagTime, "unknown") {
		for _, n := range got.Notes {
			if strings.Contains(strings.ToLower(n), "lag in time is unknown") {
				t.Errorf("%s: lag in time %q, and a note says it is unknown", where, got.LagTime)
			}
		}
	}
	if empty {
		if got.State != "empty" || got.Canvas || !strings.HasPrefix(got.Status, "No lag of this group was stored") {
			t.Errorf("%s: an empty range shows %+v, want a sentence and no chart", where, got)
		}
		return
	}
	ticks := strings.Split(got.Ticks, "|")
	gap, _ := strconv.Atoi(got.Gap)
	if got.State != "drawn" || len(ticks) < 3 || gap < 90 {
		t.Errorf("%s: chart %s with x ticks %q at least %s px apart; want them 90 px apart or more", where, got.State, ticks, got.Gap)
	}
	seen := map[string]bool{}
	for _, tk := range ticks {
		if seen[tk] {
			t.Errorf("%s: the x tick %q twice in %q", where, tk, ticks)
		}
		seen[tk] = true
	}
}

// overviewFills checks the overview on a laptop: its cards reach across the page (the
// issue found them in a narrow column with half the screen empty) and every table shows
// all its columns without scrolling (the lag column was cut off).
func overviewFills(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	type fill struct {
		Gap     int      `json:"gap"`
		Clipped []string `json:"clipped"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[fill](`(() => {
		const main = document.querySelector("main").getBoundingClientRect();
		const pad = parseFloat(getComputedStyle(document.querySelector("main")).paddingRight);
		const right = Math.max(...Array.from(document.querySelectorAll(".cards > .card")).map(c => c.getBoundingClientRect().right));
		const clipped = Array.from(document.querySelectorAll(".table-wrap")).filter(w => w.scrollWidth > w.clientWidth + 1)
			.map(w => w.getAttribute("aria-label"));
		return {gap: Math.round(main.right - pad - right), clipped};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if got.Gap > 2 {
		t.Errorf("%s: the overview's cards stop %d px short of the page's right edge", where, got.Gap)
	}
	if len(got.Clipped) > 0 {
		t.Errorf("%s: tables that hide columns at 1440 px: %q", where, got.Clipped)
	}
}

// phoneMenu checks the header's menu on a phone, where it folds behind a button: opened
// from the keyboard it says so (aria-expanded), shows every section with the current one
// marked, fits the window without overlaps, passes axe (every rule in the light scheme,
// those reading colours in the dark one) and is the next stop of Tab; Escape folds it and
// gives the focus back to the button.
func phoneMenu(t *testing.T, tab *stacktest.Tab, role, where, scheme string) {
	t.Helper()
	where += ", menu"
	ctx, cancel := context.WithTimeout(tab.Ctx, 20*time.Second)
	defer cancel()
	type menu struct {
		Expanded string   `json:"expanded"`
		Button   bool     `json:"button"`
		Shown    []string `json:"shown"`
		Current  string   `json:"current"`
		Focus    string   `json:"focus"`
	}
	state := func() menu {
		t.Helper()
		m, err := chromedp.Run(ctx, chromedp.Evaluate[menu](`(() => {
			const b = document.getElementById("menu-toggle"), cur = document.querySelector('nav[aria-label="Main"] a[aria-current="page"]');
			const f = document.activeElement;
			return {expanded: b.getAttribute("aria-expanded"), button: b.offsetParent !== null,
				shown: Array.from(document.querySelectorAll('nav[aria-label="Main"] a')).filter(a => a.offsetParent !== null).map(a => a.textContent.trim()),
				current: cur ? cur.textContent.trim() : "", focus: f ? (f.id || f.tagName.toLowerCase() + ":" + f.textContent.trim()) : ""};
		})()`))
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		return m
	}
	key := func(k string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.KeyEvent(k)); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.ID("menu-toggle"))); err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	if m := state(); !m.Button || m.Expanded != "false" || len(m.Shown) != 0 {
		t.Errorf("%s: folded, the menu shows %+v; want its button only, not expanded", where, m)
	}
	key("\r")
	m := state()
	if m.Expanded != "true" || !slices.Contains(m.Shown, "Overview") || !slices.Contains(m.Shown, "Alerts") || m.Current != "Overview" {
		t.Errorf("%s: opened with Enter, the menu shows %+v", where, m)
	}
	tab.SaveScreenshot(fmt.Sprintf("screens/%s/overview-%d-%s-menu.png", role, screenWidths[0], scheme))
	lp, err := tab.Layout()
	if err != nil {
		t.Fatal(err)
	}
	if lp.Overflow > 0 {
		t.Errorf("%s: the page is %d px wider than the window: %q", where, lp.Overflow, lp.Wide)
	}
	for _, o := range append(lp.Overlaps, lp.Broken...) {
		t.Errorf("%s: %s", where, o)
	}
	var rules []string
	if scheme == "dark" {
		rules = []string{"color-contrast", "link-in-text-block"}
	}
	vs, err := tab.Axe(rules...)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("%s: axe: %s", where, v)
	}
	key("\t")
	if m := state(); m.Focus != "a:Overview" {
		t.Errorf("%s: Tab from the opened menu's button goes to %q, want the first section", where, m.Focus)
	}
	key(kb.Escape)
	if m := state(); m.Expanded != "false" || len(m.Shown) != 0 || m.Focus != "menu-toggle" {
		t.Errorf("%s: after Escape the menu shows %+v; want it folded and the focus on its button", where, m)
	}
	// The screenshots that follow show the page as it opens, with no focus ring.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.activeElement.blur(), true`)); err != nil {
		t.Fatal(err)
	}
}
