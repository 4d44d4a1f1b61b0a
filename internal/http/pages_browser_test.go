package http

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
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
	waitFor("1 h is the current range", `document.getElementById("range-1h").getAttribute("aria-current") === "true" &&
		!document.getElementById("range-6h").hasAttribute("aria-current")`)

	run(chromedp.Click(chromedp.ID("range-30d")))
	waitFor("the 30 d chart in place", `window.lagboardMark === 1 && `+drawn("?range=30d", "1440"))
	tab.Screenshot("chart-30d")

	run(chromedp.Evaluate[chromedp.Void](`history.back()`))
	waitFor("Back shows the 1 h chart", drawn("?range=1h", "60"))

	if p := tab.Problems(); len(p) > 0 {
		t.Fatalf("browser console reported problems: %q", p)
	}
}
