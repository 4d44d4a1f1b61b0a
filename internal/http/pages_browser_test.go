package http

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestBrowserChartRanges: in Chromium, a range link swaps the chart in place (a mark left
// on the page survives), puts the range in the address bar and draws the new range with
// its reset; Back shows the previous range again. The console stays clean.
func TestBrowserChartRanges(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	now := time.Now()
	s := fleet("prod", 1, now)
	name := s.groups[0].Group
	lags := make([]int64, 60)
	for i := range lags {
		lags[i] = int64(100 + i)
	}
	s.history = map[string][]int64{name: lags}
	s.save(t, env.pool)
	insertReset(t, env.pool, "prod", name, "verified", now.Add(-30*time.Minute))
	base := env.URL + "/clusters/prod/groups/" + name

	tab := stacktest.Browser(t)
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tab.Ctx, steps...); err != nil {
			tab.Screenshot("failed")
			t.Fatal(err)
		}
	}
	waitFor := func(what, expr string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(tab.Ctx, 20*time.Second)
		defer cancel()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr)); err != nil {
			state, _ := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](`location.href + " " + JSON.stringify(document.getElementById("lag-chart")?.dataset)`))
			tab.Screenshot("failed")
			t.Fatalf("%s: %v (%s)", what, err, state)
		}
	}
	drawn := func(rng, points string) string {
		return `(() => { const c = document.getElementById("lag-chart");
			return location.search === "` + rng + `" && c !== null && c.querySelector("canvas") !== null &&
				c.dataset.points === "` + points + `" && c.dataset.resets === "1" && c.dataset.lastLag === "159"; })()`
	}

	run(chromedp.Navigate(base))
	waitFor("the 6 h chart", drawn("", "360"))
	run(chromedp.Evaluate[chromedp.Void](`window.lagboardMark = 1`))

	run(chromedp.Click(chromedp.ID("range-1h")))
	waitFor("the 1 h chart in place", `window.lagboardMark === 1 && `+drawn("?range=1h", "60"))
	waitFor("the 1 h chart's ticks are times of day, apart", `(() => { const c = document.getElementById("lag-chart");
		const ticks = c.dataset.xticks.split("|");
		return parseInt(c.dataset.xgap, 10) >= 90 && ticks.length >= 3 && new Set(ticks).size === ticks.length &&
			ticks.every(t => /\d\d:\d\d/.test(t)); })()`)
	waitFor("1 h is the current range", `document.getElementById("range-1h").getAttribute("aria-current") === "true" &&
		!document.getElementById("range-6h").hasAttribute("aria-current")`)

	run(chromedp.Click(chromedp.ID("range-30d")))
	waitFor("the 30 d chart in place", `window.lagboardMark === 1 && `+drawn("?range=30d", "720"))
	waitFor("the 30 d chart's ticks are days, apart", `(() => { const c = document.getElementById("lag-chart");
		const ticks = c.dataset.xticks.split("|");
		return parseInt(c.dataset.xgap, 10) >= 90 && ticks.length >= 3 && new Set(ticks).size === ticks.length &&
			ticks.every(t => !/\d\d:\d\d/.test(t)); })()`)
	tab.Screenshot("chart-30d")

	run(chromedp.Evaluate[chromedp.Void](`history.back()`))
	waitFor("Back shows the 1 h chart", drawn("?range=1h", "60"))

	if p := tab.Problems(); len(p) > 0 {
		t.Fatalf("browser console reported problems: %q", p)
	}
}

// TestBrowserChartStartsAtTheFirstObservation: a group first seen 25 minutes ago, with the
// hours before now rolled up as the poller does, has no value on its 1-hour chart before
// that moment, in the chart's data and as drawn; the hour before it is empty.
func TestBrowserChartStartsAtTheFirstObservation(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	now := time.Now()
	s := fleet("prod", 1, now)
	name := s.groups[0].Group
	lags := make([]int64, 25)
	for i := range lags {
		lags[i] = int64(120 + 4*i)
	}
	s.history = map[string][]int64{name: lags}
	s.save(t, env.pool)
	first := now.Add(-25 * time.Minute) // the seed's first point
	if _, err := storage.RollupHours(context.Background(), env.pool, now.Add(-48*time.Hour), now.Truncate(time.Hour)); err != nil {
		t.Fatal(err)
	}
	base := env.URL + "/clusters/prod/groups/" + name

	resp, err := http.Get(base + "/history?range=1h")
	if err != nil {
		t.Fatal(err)
	}
	var h historyJSON
	err = json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("history: %d: %v", resp.StatusCode, err)
	}
	known := 0
	for i, at := range h.Times {
		if h.Lag[i] == nil {
			if h.Seconds[i] != nil {
				t.Errorf("a lag in time without a lag at %s", time.Unix(at, 0).UTC().Format(time.RFC3339))
			}
			continue
		}
		known++
		if at < first.Unix() {
			t.Errorf("a point at %s (lag %d), before the first observation at %s",
				time.Unix(at, 0).UTC().Format(time.RFC3339), *h.Lag[i], first.UTC().Format(time.RFC3339Nano))
		}
	}
	// 25 minute points and the current state; one more bucket when the request's minute is
	// the one after the seed's (the test crossed a minute boundary between the two).
	if len(h.Times) != 60 || known < 24 || known > 27 {
		t.Errorf("%d buckets, %d with a value; want 60, of which the last 25 or so", len(h.Times), known)
	}

	tab := stacktest.Browser(t)
	ctx, cancel := context.WithTimeout(tab.Ctx, 30*time.Second)
	defer cancel()
	err = chromedp.Do(ctx, chromedp.Navigate(base+"?range=1h"))
	if err == nil {
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const c = document.getElementById("lag-chart");
			return c !== null && c.querySelector("canvas") !== null && c.dataset.points === "60" && c.dataset.lastLag === "216"; })()`))
	}
	if err != nil {
		tab.Screenshot("failed")
		t.Fatal(err)
	}
	tab.Screenshot("chart-1h")
	if p := tab.Problems(); len(p) > 0 {
		t.Fatalf("browser console reported problems: %q", p)
	}
}
