package main

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestPagesLive runs the whole program against a real broker with a deliberately slow
// consumer: lag appears on the groups page and in the group's chart, and the number on the
// groups page changes in place without a reload. Filters and sort come from the URL. Each
// page is saved as a screenshot, one at phone width, and the console stays clean.
func TestPagesLive(t *testing.T) {
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			rmq := stacktest.Broker(t, version)
			url := startServer(t, map[string]string{
				"DATABASE_URL":            stacktest.DatabaseURL(t),
				"LAGBOARD_CLUSTERS":       "local=" + rmq.NamesrvAddr,
				"LAGBOARD_ADDR":           "127.0.0.1:0",
				"LAGBOARD_ANONYMOUS_READ": "true",
				"LAGBOARD_POLL_INTERVAL":  "1s",
			})
			topic, group := stacktest.Name(t, "pages"), stacktest.Name(t, "slow")
			stacktest.CreateTopic(t, rmq, topic, 2)
			// The backlog is there before the group starts, so its first poll already shows
			// lag; 200 ms a message drains it over about 40 s, in steps as offsets commit.
			stacktest.Produce(t, rmq, topic, 200)
			stacktest.Consume(t, rmq, group, topic, stacktest.ConsumerOptions{Delay: 200 * time.Millisecond})

			tab := stacktest.Browser(t)
			do := func(steps ...chromedp.Action[chromedp.Void]) {
				t.Helper()
				if err := chromedp.Do(tab.Ctx, steps...); err != nil {
					tab.Screenshot("failed")
					t.Fatal(err)
				}
			}
			waitFor := func(what, expr string, d time.Duration) {
				t.Helper()
				if _, err := chromedp.Run(tab.Ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(d))); err != nil {
					body, _ := chromedp.Run(tab.Ctx, chromedp.Text(chromedp.CSS("main")))
					tab.Screenshot("failed")
					t.Fatalf("%s: %v\npage: %.1500s", what, err, body)
				}
			}
			eval := func(expr string) string {
				t.Helper()
				v, err := chromedp.Run(tab.Ctx, chromedp.Evaluate[string](expr))
				if err != nil {
					t.Fatalf("%s: %v", expr, err)
				}
				return v
			}

			// The groups page, filtered and sorted through its URL.
			do(chromedp.Navigate(url + "/groups?q=" + group + "&sort=lag&dir=desc"))
			row := fmt.Sprintf(`document.querySelector('[data-testid="group"][data-group="%s"]')`, group)
			lagText := row + `?.querySelector('[data-testid="lag"]')?.textContent ?? ""`
			waitFor("lag appears on the groups page", `/^[1-9][0-9,]*$/.test(`+lagText+`)`, 90*time.Second)
			first := eval(lagText)
			if got := eval(`document.querySelector('[data-testid="sort-lag"]').getAttribute("aria-sort")`); got != "descending" {
				t.Errorf("aria-sort %q", got)
			}
			if n := eval(`String(document.querySelectorAll('[data-testid="group"]').length)`); n != "1" {
				t.Errorf("the search shows %s groups", n)
			}
			// Refreshed in place: a mark left on the page survives, the number moves.
			do(chromedp.Evaluate[chromedp.Void](`window.lagboardMark = 1`))
			waitFor("the lag changes without a reload", `window.lagboardMark === 1 && (`+lagText+`) !== "`+first+`" && (`+lagText+`) !== ""`, 90*time.Second)
			if !strings.Contains(eval(`document.querySelector('[data-testid="updated"]').textContent`), "ago") {
				t.Error("no 'updated … ago'")
			}
			tab.Screenshot("groups")

			do(chromedp.Navigate(url + "/groups?q=" + group + "-none"))
			waitFor("empty state", `document.querySelector('[data-testid="empty-filtered"]') !== null`, 10*time.Second)

			// The group's page: the chart draws lag from stored history.
			do(chromedp.Navigate(url + "/clusters/local/groups/" + group + "?range=1h"))
			waitFor("lag in the chart", `parseInt(document.getElementById("lag-chart").dataset.lastLag || "0", 10) > 0 && document.querySelector("#lag-chart canvas") !== null`, 90*time.Second)
			if n, _ := strconv.Atoi(eval(`document.getElementById("lag-chart").dataset.points`)); n != 60 {
				t.Errorf("1 h chart has %d points, want 60", n)
			}
			if q := eval(`String(document.querySelectorAll('[data-testid="queue"]').length)`); q == "0" {
				t.Error("no queue rows on the group page")
			}
			tab.Screenshot("group")

			do(chromedp.Navigate(url + "/"))
			waitFor("overview", `document.querySelector('[data-testid="broker"]') !== null`, 30*time.Second)
			tab.Screenshot("overview")

			do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(url+"/groups"))
			waitFor("groups at 390 px", row+` !== null`, 30*time.Second)
			tab.Screenshot("groups-390")
			do(chromedp.Navigate(url + "/clusters/local/groups/" + group))
			waitFor("chart at 390 px", `document.querySelector("#lag-chart canvas") !== null`, 30*time.Second)
			tab.Screenshot("group-390")

			if p := tab.Problems(); len(p) > 0 {
				t.Fatalf("browser console reported problems: %q", p)
			}
		})
	}
}
