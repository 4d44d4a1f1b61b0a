package http

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/chromedp"

	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestBrowserGroupsSearchAsYouType: typing in the groups page's search box narrows the
// table without a click, once the typing pauses; the address bar then holds the search
// with the sort, so the link opens the same view; the console stays clean.
func TestBrowserGroupsSearchAsYouType(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	fleet("prod", 150, time.Now()).save(t, env.pool)
	tab := stacktest.Browser(t)
	ctx, cancel := context.WithTimeout(tab.Ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(env.URL+"/groups?sort=lag&dir=desc"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="filter-q"]`)),
		chromedp.SendKeys(chromedp.CSS(`[data-testid="filter-q"]`), "fleet-012"),
	); err != nil {
		t.Fatal(err)
	}
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => {
		const rows = Array.from(document.querySelectorAll('[data-testid="group"]')).map(r => r.dataset.group);
		return rows.length === 10 && rows.every(g => g.includes("fleet-012")) &&
			new URLSearchParams(location.search).get("q") === "fleet-012" && new URLSearchParams(location.search).get("sort") === "lag";
	})()`))
	if err != nil {
		loc, _ := chromedp.Run(tab.Ctx, chromedp.Location())
		tab.Screenshot("failed")
		t.Fatalf("the table did not follow the search (at %s): %v", loc, err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	shared := do(t, newClient(t, true), http.MethodGet, loc, nil, nil)
	if n := shared.doc.Find(`[data-testid="group"]`).Length(); n != 10 || shared.doc.Find(`[data-testid="sort-lag"]`).AttrOr("aria-sort", "") != "descending" {
		t.Errorf("the shared link %s shows %d groups, sorted %q", loc, n, shared.doc.Find(`[data-testid="sort-lag"]`).AttrOr("aria-sort", ""))
	}
	if p := tab.Problems(); len(p) > 0 {
		t.Fatalf("browser console reported problems: %q", p)
	}
}

// TestResetListSortSearchPage: the reset list sorts by its columns, searches group and
// topic as the user types (an htmx request gets the list alone, and the address to share),
// and pages, all from its URL.
func TestResetListSortSearchPage(t *testing.T) {
	env := newEnv(t, envOptions{deps: func(env *testEnv, d *Deps) {
		d.Resets, d.Trail = reset.New(reset.Options{Pool: env.pool, Logger: env.logger}), env.trail
	}})
	now := time.Now()
	for i := range 60 {
		insertReset(t, env.pool, "prod", fmt.Sprintf("orders-%02d", i), "verified", now.Add(-time.Duration(i)*time.Minute))
	}
	insertReset(t, env.pool, "prod", "billing-eu", "failed", now.Add(-2*time.Hour))
	c := env.signIn(t, "approver")
	groups := func(p page) []string {
		var out []string
		p.doc.Find(`[data-testid="reset-group"]`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	get := func(path string, h http.Header) page {
		t.Helper()
		p := do(t, c, http.MethodGet, env.URL+path, nil, h)
		if p.status != http.StatusOK {
			t.Fatalf("GET %s: %d: %.300s", path, p.status, p.body)
		}
		return p
	}

	first := get("/resets", nil)
	if g := groups(first); len(g) != resetsPerPage || g[0] != "orders-00" || first.doc.Find(`[data-testid="page-next"]`).Length() != 1 {
		t.Fatalf("first page: %d rows from %v", len(g), g[:min(len(g), 3)])
	}
	second := get("/resets?page=2", nil)
	if g := groups(second); len(g) != 11 || g[len(g)-1] != "billing-eu" || second.doc.Find(`[data-testid="page-next"]`).Length() != 0 {
		t.Errorf("second page: %v", g)
	}
	sorted := get("/resets?sort=group", nil)
	if g := groups(sorted); g[0] != "billing-eu" || !slices.IsSorted(g) {
		t.Errorf("sorted by group: %v", g[:3])
	}
	if got := sorted.doc.Find(`[data-testid="sort-group"]`).AttrOr("aria-sort", ""); got != "ascending" {
		t.Errorf("group column aria-sort %q", got)
	}
	if href := sorted.doc.Find(`[data-testid="sort-group"] a`).AttrOr("href", ""); href != "/resets?dir=desc&sort=group" {
		t.Errorf("the sorted column flips to %q", href)
	}
	hx := http.Header{"Hx-Request": {"true"}}
	typed := get("/resets?"+url.Values{"q": {"BILLING"}, "state": {""}, "cluster": {""}}.Encode(), hx)
	if strings.Contains(typed.body, "<html") || !slices.Equal(groups(typed), []string{"billing-eu"}) {
		t.Errorf("search fragment: %v: %.200s", groups(typed), typed.body)
	}
	if got := typed.header.Get("HX-Replace-Url"); got != "/resets?q=BILLING" {
		t.Errorf("the address bar becomes %q", got)
	}
	if p := do(t, c, http.MethodGet, env.URL+"/resets?sort=nope", nil, nil); p.status != http.StatusBadRequest {
		t.Errorf("an unknown sort: %d", p.status)
	}
}
