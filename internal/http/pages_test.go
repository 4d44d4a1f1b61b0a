package http

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/lagboard/lagboard/internal/storage"
)

// rowsOf returns the group names of the groups table, in order.
func rowsOf(p page) []string {
	var out []string
	p.doc.Find(`[data-testid="group"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, s.AttrOr("data-group", ""))
	})
	return out
}

func attrs(p page, sel, attr string) []string {
	var out []string
	p.doc.Find(sel).Each(func(_ int, s *goquery.Selection) { out = append(out, s.AttrOr(attr, "")) })
	return out
}

func TestGroupsPageFiltersSortsAndPages(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	now := time.Now()
	fleet("prod", 250, now).save(t, env.pool)
	fleet("staging", 5, now).save(t, env.pool)
	c := newClient(t, true)
	get := func(q string) page {
		t.Helper()
		p := do(t, c, http.MethodGet, env.URL+"/groups"+q, nil, nil)
		if p.status != http.StatusOK {
			t.Fatalf("GET /groups%s: %d %.300s", q, p.status, p.body)
		}
		return p
	}

	all := get("")
	if n := len(rowsOf(all)); n != 100 {
		t.Fatalf("first page has %d rows", n)
	}
	if got := strings.Join(strings.Fields(all.testID("count")), " "); got != "Groups 1–100 of 255" {
		t.Errorf("count line %q", got)
	}
	// The default order is the worst health first.
	if h := attrs(all, `[data-testid="group"] [data-testid="health"]`, "data-health"); h[0] != "STOP" {
		t.Errorf("first row's health %s", h[0])
	}
	last := get("?page=3")
	if n := len(rowsOf(last)); n != 55 {
		t.Errorf("page 3 has %d rows, want 55", n)
	}
	seen := map[string]bool{}
	for _, q := range []string{"", "?page=2", "?page=3"} {
		for _, g := range rowsOf(get(q)) {
			if seen[g] {
				t.Errorf("%s on two pages", g)
			}
			seen[g] = true
		}
	}
	if len(seen) != 255 {
		t.Errorf("pages hold %d groups, want 255", len(seen))
	}

	stop := get("?health=STOP")
	for _, h := range attrs(stop, `[data-testid="group"] [data-testid="health"]`, "data-health") {
		if h != "STOP" {
			t.Fatalf("health filter let %s through", h)
		}
	}
	if len(rowsOf(stop)) == 0 {
		t.Fatal("no STOP group")
	}
	if got := rowsOf(get("?q=FLEET-0123")); !slices.Equal(got, []string{"prod-fleet-0123"}) {
		t.Errorf("search found %v", got)
	}
	if got := rowsOf(get("?q=%25")); len(got) != 0 {
		t.Errorf("a literal %% matched %v", got)
	}
	if got := rowsOf(get("?topic=topic-staging-fleet-0002")); !slices.Equal(got, []string{"staging-fleet-0002"}) {
		t.Errorf("topic filter found %v", got)
	}
	get("?model=BROADCASTING").doc.Find(`[data-testid="group"] [data-testid="model"]`).Each(func(_ int, s *goquery.Selection) {
		if s.Text() != "broadcasting" {
			t.Errorf("model filter let %q through", s.Text())
		}
	})
	b := get("?model=BROADCASTING&cluster=staging")
	if got := rowsOf(b); !slices.Equal(got, []string{"staging-fleet-0003"}) {
		t.Errorf("model and cluster filters found %v", got)
	}

	// Sorted by lag, largest first; unknown lags come last, shown as unknown.
	byLag := get("?sort=lag&dir=desc&page=3")
	var lags []string
	byLag.doc.Find(`[data-testid="group"] [data-testid="lag"]`).Each(func(_ int, s *goquery.Selection) { lags = append(lags, s.Text()) })
	if lags[len(lags)-1] != "unknown" {
		t.Errorf("last lag on the last page %q, want unknown", lags[len(lags)-1])
	}
	first := get("?sort=lag&dir=desc")
	var prev int64 = 1 << 62
	first.doc.Find(`[data-testid="group"] [data-testid="lag"]`).Each(func(_ int, s *goquery.Selection) {
		n, err := strconv.ParseInt(strings.ReplaceAll(s.Text(), ",", ""), 10, 64)
		if err != nil {
			t.Fatalf("lag %q on the first page", s.Text())
		}
		if n > prev {
			t.Errorf("lag %d after %d", n, prev)
		}
		prev = n
	})
	if got := first.doc.Find(`[data-testid="sort-lag"]`).AttrOr("aria-sort", ""); got != "descending" {
		t.Errorf("aria-sort %q", got)
	}
	byName := rowsOf(get("?sort=group&cluster=staging"))
	if !slices.IsSorted(byName) || len(byName) != 5 {
		t.Errorf("by name: %v", byName)
	}

	for _, q := range []string{"?health=NOPE", "?sort=password", "?dir=up", "?page=0", "?model=x"} {
		if p := do(t, c, http.MethodGet, env.URL+"/groups"+q, nil, nil); p.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, p.status)
		}
	}
	empty := get("?q=no-such-group")
	if empty.doc.Find(`[data-testid="empty-filtered"]`).Length() != 1 {
		t.Error("no empty state for a search that matches nothing")
	}
}

func TestPagesAnswerHTMXWithTheFragment(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	now := time.Now()
	s := fleet("prod", 3, now)
	s.history = map[string][]int64{"prod-fleet-0001": {10, 20, 30, 40}}
	s.save(t, env.pool)
	c := newClient(t, true)
	hx := http.Header{"Hx-Request": {"true"}}
	for path, live := range map[string]string{
		"/":                                     "overview-live",
		"/groups?sort=lag":                      "groups-live",
		"/clusters/prod/groups/prod-fleet-0001": "group-live",
	} {
		full := do(t, c, http.MethodGet, env.URL+path, nil, nil)
		frag := do(t, c, http.MethodGet, env.URL+path, nil, hx)
		if full.status != 200 || frag.status != 200 {
			t.Fatalf("%s: %d / %d", path, full.status, frag.status)
		}
		if !strings.Contains(full.body, "<html") || full.doc.Find(`nav[aria-label="Main"]`).Length() != 1 {
			t.Errorf("%s: the full page has no layout", path)
		}
		if strings.Contains(frag.body, "<html") || frag.doc.Find(`nav[aria-label="Main"]`).Length() != 0 {
			t.Errorf("%s: the fragment has the layout", path)
		}
		if frag.doc.Find(`[data-testid="`+live+`"]`).Length() != 1 || full.doc.Find(`[data-testid="`+live+`"]`).Length() != 1 {
			t.Errorf("%s: %s missing", path, live)
		}
		if got := frag.doc.Find(`[data-testid="`+live+`"]`).AttrOr("hx-get", ""); got != path {
			t.Errorf("%s: the fragment refreshes from %q", path, got)
		}
	}
	// The sparkline of the group with history is drawn on the server.
	p := do(t, c, http.MethodGet, env.URL+"/groups?q=0001", nil, nil)
	if p.doc.Find(`[data-group="prod-fleet-0001"] svg[data-testid="sparkline"] polyline`).Length() != 1 {
		t.Errorf("no sparkline: %s", p.doc.Find(`[data-group="prod-fleet-0001"]`).Text())
	}
}

func TestGroupPage(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	now := time.Now()
	s := fleet("prod", 1, now)
	g := &s.groups[0]
	g.Topics = append(g.Topics, "%RETRY%"+g.Group)
	s.queues = append(s.queues,
		storage.QueueState{Group: g.Group, Topic: "topic-" + g.Group, Broker: "broker-a", QueueID: 1, MaxOffset: 5, ConsumerOffset: 9, PolledAt: now},
		storage.QueueState{Group: g.Group, Topic: "%RETRY%" + g.Group, Broker: "broker-a", QueueID: 0, MaxOffset: 3, ConsumerOffset: 1, PolledAt: now,
			OwnerClient: ptr("10.0.0.9@1")})
	s.clients = []storage.ClientState{{Group: g.Group, ClientID: "10.0.0.9@1", Addr: "10.0.0.9:5555", Language: "GO", Version: "V4_9_7"}}
	s.history = map[string][]int64{g.Group: {5, 6, 7}}
	s.save(t, env.pool)
	c := newClient(t, true)
	base := env.URL + "/clusters/prod/groups/" + g.Group

	p := do(t, c, http.MethodGet, base, nil, nil)
	if p.status != 200 {
		t.Fatalf("%d %.300s", p.status, p.body)
	}
	topics := attrs(p, `[data-testid="topic"]`, "data-topic")
	if !slices.Equal(topics, []string{"topic-" + g.Group, "%RETRY%" + g.Group}) {
		t.Errorf("topics %v: the retry topic must come apart, last", topics)
	}
	if got := attrs(p, `[data-testid="topic"][data-retry="true"]`, "data-topic"); len(got) != 1 {
		t.Errorf("retry topic not marked: %v", got)
	}
	q1 := p.doc.Find(`[data-topic="topic-` + g.Group + `"] [data-testid="queue"][data-queue="1"]`)
	if q1.Find(`[data-testid="lag"]`).Text() != "unknown" {
		t.Errorf("a negative queue lag shows %q, want unknown", q1.Find(`[data-testid="lag"]`).Text())
	}
	if !strings.Contains(q1.Text(), "unknown") {
		t.Error("an unknown owner is not said")
	}
	if p.doc.Find(`[data-testid="client"]`).Length() != 1 {
		t.Error("the online client is not listed")
	}
	if p.testID("reason") != "reason of "+g.Group {
		t.Errorf("reason %q", p.testID("reason"))
	}
	if src := p.doc.Find(`[data-testid="lag-chart"]`).AttrOr("data-src", ""); src != "/clusters/prod/groups/"+g.Group+"/history?range=6h" {
		t.Errorf("chart source %q", src)
	}

	for _, rng := range []string{"1h", "30d"} {
		h := do(t, c, http.MethodGet, base+"/history?range="+rng, nil, nil)
		var d historyJSON
		if err := json.Unmarshal([]byte(h.body), &d); err != nil || h.status != 200 {
			t.Fatalf("%s: %d %v %.200s", rng, h.status, err, h.body)
		}
		if len(d.Times) == 0 || len(d.Times) != len(d.Lag) || len(d.Lag) != len(d.Seconds) || d.Resets == nil {
			t.Fatalf("%s: ragged columns %d/%d/%d", rng, len(d.Times), len(d.Lag), len(d.Seconds))
		}
		var last *int64
		for _, l := range d.Lag {
			if l != nil {
				last = l
			}
		}
		// The group's two other topics have no history; only the seeded one counts.
		if last == nil || *last != 7 {
			t.Errorf("%s: last lag %v, want 7", rng, last)
		}
	}
	if h := do(t, c, http.MethodGet, base+"/history?range=2y", nil, nil); h.status != 400 {
		t.Errorf("bad range: %d", h.status)
	}
}

func TestUnknownGroupIsNotFound(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	fleet("prod", 1, time.Now()).save(t, env.pool)
	c := newClient(t, true)
	for _, path := range []string{"/clusters/prod/groups/nope", "/clusters/prod/groups/nope/history", "/clusters/nowhere/groups/prod-fleet-0000"} {
		p := do(t, c, http.MethodGet, env.URL+path, nil, nil)
		if p.status != http.StatusNotFound || p.doc.Find(`[data-testid="error"][data-status="404"]`).Length() != 1 {
			t.Errorf("%s: %d %.200s", path, p.status, p.body)
		}
	}
}

func TestOverviewFromStoredData(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	now := time.Now()
	fleet("prod", 30, now).save(t, env.pool)
	old := fleet("staging", 2, now.Add(-time.Hour))
	old.save(t, env.pool)
	c := newClient(t, true)
	p := do(t, c, http.MethodGet, env.URL+"/", nil, nil)
	if p.status != 200 {
		t.Fatalf("%d", p.status)
	}
	counts := map[string]string{}
	p.doc.Find(`[data-cluster="prod"] [data-testid="health-count"]`).Each(func(_ int, s *goquery.Selection) {
		counts[s.AttrOr("data-health", "")] = s.AttrOr("href", "")
	})
	if len(counts) != 7 || counts["STALL"] != "/groups?cluster=prod&health=STALL" {
		t.Errorf("health counts %v", counts)
	}
	if n := p.doc.Find(`[data-testid="worst-by-time"] [data-testid="worst-group"]`).Length(); n != worstShown {
		t.Errorf("%d groups furthest behind in time", n)
	}
	if p.doc.Find(`[data-testid="worst-by-lag"] [data-testid="worst-group"] [data-testid="lag-time"]`).Length() != 0 {
		t.Error("the unknown-age list shows an age")
	}
	if got := attrs(p, `[data-cluster="staging"] [data-testid="broker"]`, "data-status"); !slices.Equal(got, []string{"stale"}) {
		t.Errorf("staging brokers %v, want stale", got)
	}
	if !strings.Contains(p.testID("stale-banner"), "cluster staging was last polled 1 h ago") {
		t.Errorf("stale banner %q", p.testID("stale-banner"))
	}
	if p.doc.Find(`[data-testid="no-resets"]`).Length() != 1 {
		t.Error("no empty state for resets")
	}
}
