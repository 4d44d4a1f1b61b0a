package http

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestBrowserThemeAndAnnouncements: with the system light, the header's toggle switches
// the page and its chart to the dark theme and says so (aria-pressed); the choice is
// remembered by the browser, applied before the page is drawn on the next visit and
// switched back the same way. A refresh that changes the group's lag is read out by the
// polite announcer while the focus stays where it was.
func TestBrowserThemeAndAnnouncements(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	now := time.Now()
	s := fleet("prod", 1, now)
	name := s.groups[0].Group
	s.history = map[string][]int64{name: {5, 6, 7, 8, 9, 10}}
	s.save(t, env.pool)
	base := env.URL + "/clusters/prod/groups/" + name

	tab := stacktest.Browser(t)
	if err := tab.ColorScheme("light"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tab.Ctx, 60*time.Second)
	defer cancel()
	wait := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond))); err != nil {
			tab.Screenshot("failed")
			t.Fatalf("%s: %v", what, err)
		}
	}
	const bg = `getComputedStyle(document.body).backgroundColor`
	if err := chromedp.Do(ctx, chromedp.Navigate(base)); err != nil {
		t.Fatal(err)
	}
	wait("the light page and chart", `document.getElementById("lag-chart").dataset.stroke === "#1f5fbf" &&
		`+bg+` === "rgb(247, 248, 250)" && document.getElementById("theme-toggle").getAttribute("aria-pressed") === "false"`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("theme-toggle"))); err != nil {
		t.Fatal(err)
	}
	wait("the dark page and chart after the toggle", `document.documentElement.dataset.theme === "dark" &&
		document.getElementById("lag-chart").dataset.stroke === "#6ea8fe" && `+bg+` === "rgb(15, 18, 23)" &&
		document.getElementById("theme-toggle").getAttribute("aria-pressed") === "true"`)

	// The next visit starts dark: theme.js, in <head>, sets it before anything is drawn.
	if err := chromedp.Do(ctx, chromedp.Navigate(base)); err != nil {
		t.Fatal(err)
	}
	wait("the choice remembered", `document.documentElement.dataset.theme === "dark" && `+bg+` === "rgb(15, 18, 23)"`)

	// A refresh that changes the lag is announced; the focus stays on the health badge, inside the refreshed region.
	if err := chromedp.Do(ctx, chromedp.Focus(chromedp.ID("h-group"))); err != nil {
		t.Fatal(err)
	}
	if _, err := env.pool.Exec(t.Context(), `UPDATE group_state SET lag = 4321 WHERE group_name = $1`, name); err != nil {
		t.Fatal(err)
	}
	wait("the new lag announced", `(() => {
		const a = document.getElementById("announcer").textContent;
		if (a.includes("lag 4,321")) { return document.activeElement && document.activeElement.id === "h-group"; }
		if (!document.querySelector(".htmx-request")) {
			htmx.ajax("GET", location.pathname, {target: "#group-live", swap: "outerHTML"});
		}
		return false;
	})()`)

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("theme-toggle"))); err != nil {
		t.Fatal(err)
	}
	wait("back to light", `document.documentElement.dataset.theme === "light" && localStorage.getItem("lagboard-theme") === "light" &&
		document.getElementById("lag-chart").dataset.stroke === "#1f5fbf"`)
	if p := tab.Problems(); len(p) > 0 {
		t.Fatalf("browser console reported problems: %q", p)
	}
}

// TestBrowserOverlappingRefreshes: two refreshes of a group's live region that overlap,
// the second swapped in before the first has settled (the live region's timer, a part
// loaded late or a chart range may do so), still read out the new lag, and the queue table
// the reader scrolled keeps its scroll. The first refresh's settle is stretched so that
// the second always falls inside it.
func TestBrowserOverlappingRefreshes(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	s := fleet("prod", 1, time.Now())
	name := s.groups[0].Group
	s.save(t, env.pool)
	tab := stacktest.Browser(t)
	if err := tab.Viewport(390, 800); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tab.Ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/clusters/prod/groups/"+name)); err != nil {
		t.Fatal(err)
	}
	const table = `document.querySelector('.table-wrap[id^="q-scroll-"]')`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`typeof htmx !== "undefined" && document.readyState === "complete" && `+
		table+` !== null && `+table+`.scrollWidth > `+table+`.clientWidth + 60`)); err != nil {
		t.Fatalf("the page with a queue table wider than a phone: %v", err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { `+table+`.scrollLeft = 60; return true; })()`)); err != nil {
		t.Fatal(err)
	}
	if _, err := env.pool.Exec(t.Context(), `UPDATE group_state SET lag = 4321 WHERE group_name = $1`, name); err != nil {
		t.Fatal(err)
	}
	time.Sleep(pageTTL + 100*time.Millisecond) // the next refresh reads the new lag
	type after struct {
		Lag       string `json:"lag"`
		Announced string `json:"announced"`
		Scroll    int    `json:"scroll"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[after](`(() => {
		htmx.config.defaultSettleDelay = 500;
		const refresh = () => htmx.ajax("GET", location.pathname, {target: "#group-live", swap: "outerHTML"});
		return refresh().then(refresh).then(() => new Promise(r => setTimeout(r, 1500))).then(() => ({
			lag: document.querySelector('[data-announce="lag"]').textContent.trim(),
			announced: document.getElementById("announcer").textContent,
			scroll: Math.round(`+table+`.scrollLeft)}));
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	if got.Lag != "4,321" || !strings.Contains(got.Announced, "lag 4,321") || got.Scroll != 60 {
		tab.Screenshot("failed")
		t.Errorf("after two overlapping refreshes: %+v; want lag 4,321 shown and announced, the table still scrolled by 60 px", got)
	}
	if p := tab.Problems(); len(p) > 0 {
		t.Fatalf("browser console reported problems: %q", p)
	}
}

// TestBrowserKeyboard: every control of the groups page is reached with Tab, in order,
// and each shows a visible focus outline: the skip link, navigation, theme toggle,
// filters, the scrolling table and its sort headings and group links.
func TestBrowserKeyboard(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	fleet("prod", 3, time.Now()).save(t, env.pool)
	tab := stacktest.Browser(t)
	ctx, cancel := context.WithTimeout(tab.Ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+"/groups"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="group"]`))); err != nil {
		t.Fatal(err)
	}
	type focused struct {
		Name    string `json:"name"`
		Outline string `json:"outline"`
	}
	var reached []string
	for range 40 {
		if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
			t.Fatal(err)
		}
		f, err := chromedp.Run(ctx, chromedp.Evaluate[focused](`(() => { const e = document.activeElement, s = getComputedStyle(e);
			return {name: (e.id || e.getAttribute("data-testid") || e.getAttribute("name") || e.tagName.toLowerCase()) + ":" + e.textContent.trim().slice(0, 20),
				outline: s.outlineStyle === "none" || parseFloat(s.outlineWidth) < 1 ? "" : s.outlineStyle + " " + s.outlineWidth};
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(f.Name, "body:") {
			break // past the last control, the focus leaves the page
		}
		if f.Outline == "" {
			t.Errorf("%s has the focus and shows no outline", f.Name)
		}
		reached = append(reached, f.Name)
	}
	all := strings.Join(reached, " | ")
	for _, want := range []string{"a:Skip to content", "theme-toggle:", "filter-q:", "groups-scroll:", "sort-lag:", "g-prod--prod-fleet-0002:"} {
		if !strings.Contains(all, want) {
			t.Errorf("Tab never reaches %q: %s", want, all)
		}
	}
}
