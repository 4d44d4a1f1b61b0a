package views

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var b bytes.Buffer
	ctx := WithViewer(context.Background(), Viewer{Name: "Vera Viewer"})
	if err := c.Render(ctx, &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func testChrome() Chrome {
	return Chrome{Asset: func(n string) string { return "/static/" + n }, Section: SectionGroups, Version: "test"}
}

func ptr[T any](v T) *T { return &v }

func TestUnknownLagIsNeverZero(t *testing.T) {
	now := time.Now()
	m := GroupsPage{Live: Live{UpdatedAt: now, Now: now, Every: 10 * time.Second}, Total: 2, Stored: 2, Pages: 1, First: 1, Last: 2,
		Rows: []GroupRow{
			{Cluster: "prod", Group: "unknown-lag", Health: HealthBadge{ID: "a", Status: "UNKNOWN", Reason: "broker b1 did not answer"}},
			{Cluster: "prod", Group: "zero-lag", Health: HealthBadge{ID: "b", Status: "OK", Reason: "caught up"}, Lag: ptr(int64(0)), LagSeconds: ptr(0.0)},
		}}
	doc := render(t, GroupsTable(m))
	unknown := doc.Find(`[data-testid="group"][data-group="unknown-lag"]`)
	if got := unknown.Find(`[data-testid="lag"]`).Text(); got != "unknown" {
		t.Errorf("unknown lag shows %q", got)
	}
	if got := unknown.Find(`[data-testid="lag-time"]`).Text(); got != "unknown" {
		t.Errorf("unknown lag in time shows %q", got)
	}
	if got := unknown.Find(`[data-testid="clients"]`).Text(); got != "unknown" {
		t.Errorf("unknown clients show %q", got)
	}
	zero := doc.Find(`[data-testid="group"][data-group="zero-lag"]`)
	if got := zero.Find(`[data-testid="lag"]`).Text(); got != "0" {
		t.Errorf("zero lag shows %q", got)
	}
	if got := zero.Find(`[data-testid="lag-time"]`).Text(); got != "0 s" {
		t.Errorf("zero lag in time shows %q", got)
	}
}

func TestThousandsSeparators(t *testing.T) {
	doc := render(t, LagValue(ptr(int64(1234567))))
	if got := doc.Find(`[data-testid="lag"]`).Text(); got != "1,234,567" {
		t.Errorf("lag shows %q", got)
	}
}

func TestHealthBadgeCarriesItsReason(t *testing.T) {
	doc := render(t, Health(HealthBadge{ID: "prod--orders", Status: "STALL", Reason: "committed offsets unchanged for 3 min with 2 clients online"}))
	h := doc.Find(`[data-testid="health"]`)
	if v, _ := h.Attr("data-health"); v != "STALL" {
		t.Errorf("data-health %q", v)
	}
	badge := h.Find(".badge")
	if badge.Text() != "STALL" || !badge.HasClass("err") {
		t.Errorf("badge %q classes %q", badge.Text(), badge.AttrOr("class", ""))
	}
	// Reachable by keyboard, and described by the reason for screen readers.
	if badge.AttrOr("tabindex", "") != "0" {
		t.Error("the badge cannot take focus, so its reason cannot be read from the keyboard")
	}
	reason := h.Find(`[data-testid="health-reason"]`)
	if reason.AttrOr("role", "") != "tooltip" || reason.AttrOr("id", "") != badge.AttrOr("aria-describedby", "-") {
		t.Errorf("reason is not the badge's description: id %q, describedby %q", reason.AttrOr("id", ""), badge.AttrOr("aria-describedby", ""))
	}
	if !strings.Contains(reason.Text(), "unchanged for 3 min") {
		t.Errorf("reason %q", reason.Text())
	}
}

func TestStaleBanner(t *testing.T) {
	now := time.Now()
	fresh := render(t, LiveStatus(Live{UpdatedAt: now.Add(-5 * time.Second), Now: now, Every: 10 * time.Second}))
	if fresh.Find(`[data-testid="stale-banner"]`).Length() != 0 {
		t.Error("fresh data has a stale banner")
	}
	if got := strings.Join(strings.Fields(fresh.Find(`[data-testid="updated"]`).Text()), " "); !strings.HasPrefix(got, "Updated 5 s ago") {
		t.Errorf("updated line %q", got)
	}
	stale := render(t, LiveStatus(Live{UpdatedAt: now.Add(-time.Minute), Now: now, Every: 10 * time.Second,
		Stale: []string{"broker broker-a of prod is failing: connection refused"}}))
	banner := stale.Find(`[data-testid="stale-banner"]`)
	if banner.AttrOr("role", "") != "alert" || !strings.Contains(banner.Text(), "connection refused") {
		t.Errorf("stale banner %q", banner.Text())
	}
	never := render(t, LiveStatus(Live{Now: now, Every: 10 * time.Second}))
	if !strings.Contains(never.Find(`[data-testid="updated"]`).Text(), "No poll has completed yet") {
		t.Error("no poll yet is not said")
	}
}

func TestEmptyStates(t *testing.T) {
	now := time.Now()
	live := Live{UpdatedAt: now, Now: now, Every: time.Second}
	none := render(t, GroupsTable(GroupsPage{Live: live}))
	if none.Find(`[data-testid="empty-groups"]`).Length() != 1 || none.Find("table").Length() != 0 {
		t.Error("no stored group: no empty state")
	}
	filtered := render(t, GroupsTable(GroupsPage{Live: live, Stored: 12, Query: GroupsQuery{Search: "zzz"}}))
	if filtered.Find(`[data-testid="empty-filtered"]`).Length() != 1 {
		t.Error("no match: no empty state")
	}
	ov := render(t, OverviewLive(Overview{Live: live, Clusters: []ClusterCard{{Name: "prod", GroupsHref: "/groups?cluster=prod"}}}))
	if ov.Find(`[data-testid="no-resets"]`).Length() != 1 {
		t.Error("overview: no empty state for resets")
	}
	if ov.Find(`[data-testid="cluster-unpolled"]`).Length() != 1 {
		t.Error("overview: a cluster not polled yet is not said so")
	}
	g := render(t, GroupLive(GroupPage{Live: live, Cluster: "prod", Group: "g", Self: "/clusters/prod/groups/g"}))
	for _, id := range []string{"no-topics", "no-clients"} {
		if g.Find(`[data-testid="`+id+`"]`).Length() != 1 {
			t.Errorf("group page: no %s empty state", id)
		}
	}
}

func TestSortLinksKeepTheOtherParameters(t *testing.T) {
	now := time.Now()
	q := GroupsQuery{Search: "ord", Cluster: "prod", Health: "STALL", Topic: "orders", Model: "CLUSTERING", Sort: "lag", Desc: true, Page: 3}
	m := GroupsPage{Live: Live{UpdatedAt: now, Now: now, Every: time.Second}, Query: q, Total: 1, Stored: 1, Pages: 4, First: 201, Last: 201,
		Rows: []GroupRow{{Cluster: "prod", Group: "orders", Health: HealthBadge{ID: "x", Status: "STALL"}}}}
	doc := render(t, GroupsTable(m))
	tests := []struct {
		col, sort, dir, ariaSort string
	}{
		{"lag", "lag", "", "descending"}, // the same column flips the direction
		{"group", "group", "", "none"},
		{"lag_time", "lag_time", "desc", "none"}, // figures start with the largest
	}
	for _, tt := range tests {
		th := doc.Find(`[data-testid="sort-` + tt.col + `"]`)
		if got := th.AttrOr("aria-sort", ""); got != tt.ariaSort {
			t.Errorf("%s: aria-sort %q, want %q", tt.col, got, tt.ariaSort)
		}
		u, err := url.Parse(th.Find("a").AttrOr("href", ""))
		if err != nil {
			t.Fatal(err)
		}
		v := u.Query()
		for k, want := range map[string]string{"q": "ord", "cluster": "prod", "health": "STALL", "topic": "orders", "model": "CLUSTERING",
			"sort": tt.sort, "dir": tt.dir, "page": ""} {
			if v.Get(k) != want {
				t.Errorf("%s: link %s has %s=%q, want %q", tt.col, u, k, v.Get(k), want)
			}
		}
	}
	if doc.Find("caption").Length() != 1 {
		t.Error("the table has no caption")
	}
	next := doc.Find(`[data-testid="page-next"]`).AttrOr("href", "")
	if u, _ := url.Parse(next); u.Query().Get("page") != "4" || u.Query().Get("sort") != "lag" || u.Query().Get("q") != "ord" {
		t.Errorf("next page link %q", next)
	}
	// The live region refreshes from the very URL of the page.
	if got := doc.Find(`[data-testid="groups-live"]`).AttrOr("hx-get", ""); got != q.URL() {
		t.Errorf("hx-get %q, want %q", got, q.URL())
	}
}

func TestFilterFormIsPlainAndLabelled(t *testing.T) {
	doc := render(t, GroupsPageView(testChrome(), GroupsPage{Clusters: []string{"prod", "staging"}, Healths: []string{"OK", "STALL"},
		Query: GroupsQuery{Cluster: "staging", Health: "STALL"}}, templ.NopComponent))
	form := doc.Find(`[data-testid="filters"]`)
	if form.AttrOr("method", "") != "get" || form.AttrOr("action", "") != "/groups" {
		t.Error("the filter form is not a plain GET form")
	}
	form.Find("input:not([type=hidden]), select").Each(func(_ int, s *goquery.Selection) {
		if s.ParentsFiltered("label").Length() == 0 {
			t.Errorf("control %s has no label", s.AttrOr("name", ""))
		}
	})
	if v := form.Find(`select[name=cluster] option[selected]`).AttrOr("value", ""); v != "staging" {
		t.Errorf("selected cluster %q", v)
	}
	if doc.Find(`nav[aria-label="Main"] a[aria-current="page"]`).Text() != "Groups" {
		t.Error("Groups is not the current navigation entry")
	}
}

func TestSparkline(t *testing.T) {
	s := NewSparkline([]*int64{nil, ptr(int64(10)), ptr(int64(50)), ptr(int64(100))})
	if s.Points == "" || !strings.Contains(s.Label, "rising") || !strings.Contains(s.Label, "from 10 to 100") {
		t.Errorf("sparkline %+v", s)
	}
	doc := render(t, SparklineSVG(s))
	if doc.Find(`svg[role="img"][aria-label] polyline`).Length() != 1 {
		t.Error("no accessible SVG")
	}
	if NewSparkline([]*int64{nil, nil}).Points != "" {
		t.Error("a sparkline without data draws something")
	}
}
