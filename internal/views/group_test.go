package views

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

func groupPage(model string) GroupPage {
	now := time.Now()
	return GroupPage{Live: Live{UpdatedAt: now, Now: now, Every: 5 * time.Second}, Cluster: "prod eu", Group: "a&b", Model: model,
		Self: "/clusters/prod%20eu/groups/a&b"}
}

func TestPerClientProgress(t *testing.T) {
	m := groupPage("BROADCASTING")
	m.PerClient = []ClientProgress{
		{ClientID: "10.0.0.1@a", Lag: 120, Queues: []ClientQueue{
			{Topic: "orders", Broker: "broker-a", QueueID: 0, Offset: 1234567, Lag: ptr(int64(100))},
			{Topic: "orders", Broker: "broker-a", QueueID: 1, Offset: 50, Lag: ptr(int64(20))},
		}},
		{ClientID: "10.0.0.2@b", Unknown: 1, Queues: []ClientQueue{{Topic: "orders", Broker: "broker-b", QueueID: 3, Offset: 7}}},
		{ClientID: "10.0.0.3@c", Error: "the client did not answer"},
	}
	doc := render(t, GroupLive(m))
	var clients []string
	doc.Find(`[data-testid="per-client-table"] [data-testid="client-progress"]`).Each(func(_ int, s *goquery.Selection) {
		clients = append(clients, s.AttrOr("data-client", ""))
	})
	if !slices.Equal(clients, []string{"10.0.0.1@a", "10.0.0.2@b", "10.0.0.3@c"}) {
		t.Fatalf("clients %v", clients)
	}
	q := doc.Find(`[data-client="10.0.0.1@a"] [data-testid="client-queue"][data-queue="0"]`)
	if q.Find(`[data-testid="client-offset"]`).Text() != "1,234,567" || q.Find(`[data-testid="lag"]`).Text() != "100" {
		t.Errorf("queue 0 of client a: %q", q.Text())
	}
	if got := strings.Join(strings.Fields(doc.Find(`[data-client="10.0.0.2@b"] [data-testid="client-lag"]`).Text()), " "); got != "lag 0 messages over 1 queue; 1 unknown" {
		t.Errorf("client b's total %q", got)
	}
	if got := doc.Find(`[data-client="10.0.0.2@b"] [data-testid="lag"]`).Text(); got != "unknown" {
		t.Errorf("unknown client lag shows %q", got)
	}
	c := doc.Find(`[data-client="10.0.0.3@c"]`)
	if c.Find(`[data-testid="client-offsets-error"]`).Length() != 1 || !strings.Contains(c.Text(), "did not answer") || c.Find(`[data-testid="client-queue"]`).Length() != 0 {
		t.Errorf("client c: %q", c.Text())
	}
	if doc.Find(`th[scope="rowgroup"]`).Length() != 3 {
		t.Error("each client's rows are not headed by the client")
	}

	none := render(t, GroupLive(groupPage("BROADCASTING")))
	if none.Find(`[data-testid="no-client-offsets"]`).Length() != 1 {
		t.Error("a broadcasting group without client offsets has no empty state")
	}
	if render(t, GroupLive(groupPage("CLUSTERING"))).Find(`[data-testid="per-client"]`).Length() != 0 {
		t.Error("a clustering group shows progress per client")
	}
}

func TestResetLink(t *testing.T) {
	m := groupPage("CLUSTERING")
	if render(t, GroupPageView(testChrome(), m)).Find(`[data-testid="reset-link"]`).Length() != 0 {
		t.Error("the reset link shows without the permission")
	}
	m.CanRequestReset = true
	link := render(t, GroupPageView(testChrome(), m)).Find(`[data-testid="reset-link"]`)
	href := link.AttrOr("href", "")
	u, err := url.Parse(href)
	if err != nil || u.Path != "/resets/new" || u.Query().Get("cluster") != "prod eu" || u.Query().Get("group") != "a&b" || len(u.Query()) != 2 {
		t.Errorf("reset link %q", href)
	}
	if link.Text() != "Reset offsets…" {
		t.Errorf("reset link text %q", link.Text())
	}
}

func TestGroupChart(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ch := Chart{Src: "/clusters/p/groups/g/history?range=1h", Range: "1h", Every: 5 * time.Second,
		Ranges: []ChartRange{{Key: "1h", Label: "1 hour", Href: "/clusters/p/groups/g?range=1h", Current: true},
			{Key: "6h", Label: "6 hours", Href: "/clusters/p/groups/g?range=6h"}},
		Resets: []ResetMarker{{At: at, Label: "reset of orders to earliest (verified)", Href: "/resets/42"}}}
	doc := render(t, GroupChart(ch))
	card := doc.Find(`#chart-card[data-testid="chart"]`)
	if card.Length() != 1 {
		t.Fatal("no chart card")
	}
	six := card.Find(`[data-testid="range-6h"]`)
	for attr, want := range map[string]string{"href": "/clusters/p/groups/g?range=6h", "hx-get": "/clusters/p/groups/g?range=6h",
		"hx-target": "#chart-card", "hx-swap": "outerHTML", "hx-push-url": "true", "id": "range-6h"} {
		if got := six.AttrOr(attr, ""); got != want {
			t.Errorf("6 h link %s=%q, want %q", attr, got, want)
		}
	}
	if _, current := six.Attr("aria-current"); current || card.Find(`[data-testid="range-1h"]`).AttrOr("aria-current", "") != "true" {
		t.Error("the current range is not marked alone")
	}
	if got := card.Find(`[data-testid="lag-chart"]`).AttrOr("data-every", ""); got != "5000" {
		t.Errorf("data-every %q", got)
	}
	mark := card.Find(`[data-testid="reset-marker"]`)
	if mark.Length() != 1 || mark.Find("a").AttrOr("href", "") != "/resets/42" || mark.Find("time").AttrOr("datetime", "") != "2026-03-01T12:00:00Z" {
		t.Errorf("reset marker %q", mark.Text())
	}
	if render(t, GroupChart(Chart{})).Find(`[data-testid="no-reset-markers"]`).Length() != 1 {
		t.Error("no empty state for a range without resets")
	}
}

func TestRecentResets(t *testing.T) {
	now := time.Now()
	m := Overview{Live: Live{UpdatedAt: now, Now: now, Every: time.Second}, Resets: []RecentReset{
		{Cluster: "prod", Group: "billing", Topic: "orders", Kind: "timestamp", State: "not_honoured", By: "Olga Operator", At: now,
			Href: "/resets/7", GroupHref: GroupHref("prod", "billing")},
	}}
	doc := render(t, OverviewLive(m))
	r := doc.Find(`[data-testid="recent-resets"] [data-testid="recent-reset"]`)
	if r.Length() != 1 || r.AttrOr("data-state", "") != "not_honoured" {
		t.Fatalf("%d recent resets", r.Length())
	}
	if r.Find(`[data-testid="reset-href"]`).AttrOr("href", "") != "/resets/7" || !strings.Contains(r.Text(), "not honoured") ||
		!strings.Contains(r.Text(), "Olga Operator") || r.Find(`a[href="/clusters/prod/groups/billing"]`).Length() != 1 {
		t.Errorf("recent reset %q", strings.Join(strings.Fields(r.Text()), " "))
	}
	if doc.Find(`[data-testid="no-resets"]`).Length() != 0 {
		t.Error("an empty state next to a reset")
	}
}

// TestQueueKinds: a queue never committed on shows where its first client will start, not the
// broker's 0; expired messages and an offset past the end are marked; a locked owner says so.
func TestQueueKinds(t *testing.T) {
	m := groupPage("CLUSTERING")
	m.Kind, m.Orderly = "push", ptr(true)
	rule := "the clients consume from the last offset: the first one starts at the newest, skipping 40 messages"
	m.Topics = []TopicQueues{{Topic: "orders", Queues: []Queue{
		{Broker: "broker-a", QueueID: 0, MaxOffset: 40, StartOffset: ptr(int64(40)), StartRule: rule, Lag: ptr(int64(0))},
		{Broker: "broker-a", QueueID: 1, MaxOffset: 500, MinOffset: ptr(int64(300)), ConsumerOffset: 14, Committed: true,
			Lag: ptr(int64(486)), Expired: 286, Owner: "10.0.0.1@a", Locked: true},
		{Broker: "broker-a", QueueID: 2, MaxOffset: 30, ConsumerOffset: 40, Committed: true, Lag: ptr(int64(0)), PastEnd: 10},
	}}}
	doc := render(t, GroupLive(m))
	if got := doc.Find(`[data-testid="kind"]`).Text(); got != "push consumer, orderly" {
		t.Errorf("kind %q", got)
	}
	q0 := doc.Find(`[data-testid="queue"][data-queue="0"]`)
	if q0.Find(`[data-testid="never-committed"]`).Length() != 1 || strings.TrimSpace(q0.Find(`[data-testid="start"]`).Text()) != "starts at 40" ||
		q0.Find(`[data-testid="start"]`).AttrOr("title", "") != rule {
		t.Errorf("never committed queue: %q", q0.Text())
	}
	q1 := doc.Find(`[data-testid="queue"][data-queue="1"]`)
	if q1.Find(`[data-testid="queue-expired"]`).Text() != "286 expired" || q1.Find(`[data-testid="locked"]`).Length() != 1 {
		t.Errorf("expired, locked queue: %q", q1.Text())
	}
	q2 := doc.Find(`[data-testid="queue"][data-queue="2"]`)
	if q2.Find(`[data-testid="lag"]`).Text() != "0" || q2.Find(`[data-testid="past-end"]`).Text() != "past the end by 10" {
		t.Errorf("past-end queue: %q", q2.Text())
	}
}

// TestContradictions: a page that shows a figure and says elsewhere that it is unknown, or
// two figures that cannot both be true, is caught by the view model's check.
func TestContradictions(t *testing.T) {
	age := 0.0
	tests := []struct {
		name string
		edit func(m *GroupPage)
		want string
	}{
		{"consistent", func(m *GroupPage) {}, ""},
		{"lag in time shown and said unknown", func(m *GroupPage) {
			m.LagSeconds, m.LagTimeSource = &age, "exact"
			m.Notes = []string{"This is a broadcasting group. The lag in time is unknown."}
		}, "lag in time 0 s, and a note says it is unknown"},
		{"unknown lag in time called exact", func(m *GroupPage) { m.LagSeconds, m.LagTimeSource = nil, "exact" }, "lag in time unknown, and exact"},
		{"clients counted and none listed", func(m *GroupPage) { m.Clients, m.Online = ptr(int32(2)), nil }, "2 clients online, and none listed"},
		{"owners shown and said unknown", func(m *GroupPage) {
			m.Model = "CLUSTERING"
			m.Topics = []TopicQueues{{Topic: "t", Queues: []Queue{{Owner: "c1"}}}}
			m.Notes = []string{"Which client owns each queue is unknown: the broker does not say."}
		}, "queue owners shown, and a note says they are unknown"},
		{"in flight on every queue but not the group", func(m *GroupPage) {
			m.Model, m.Kind, m.Inflight = "CLUSTERING", "push", nil
			m.Topics = []TopicQueues{{Topic: "t", Queues: []Queue{{Inflight: ptr(int64(3))}}}}
		}, "in flight unknown for the group, and known on every queue"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := groupPage("CLUSTERING")
			m.Clients, m.Online = ptr(int32(1)), []Client{{ID: "c1"}}
			m.LagSeconds, m.LagTimeSource, m.Notes = nil, "unknown", nil
			tt.edit(&m)
			got := strings.Join(m.Contradictions(), "; ")
			if got != tt.want {
				t.Errorf("Contradictions() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestClientUnknownBadge: a client that did not report its running info is marked as what its
// group lacks (a broadcasting client's offsets, a clustering client's queues), with the
// reason beside the badge; a broadcasting group's per-client table says it there.
func TestClientUnknownBadge(t *testing.T) {
	for model, want := range map[string]string{"BROADCASTING": "offsets unknown", "CLUSTERING": "queues unknown"} {
		m := groupPage(model)
		why := "the client did not report the queues it holds: unparseable body"
		m.Clients, m.Online = ptr(int32(2)), []Client{{ID: "c1"}, {ID: "c2", OffsetsError: why}}
		doc := render(t, GroupLive(m))
		badge := doc.Find(`[data-testid="client-unknown"]`)
		if badge.Length() != 1 || strings.TrimSpace(badge.Text()) != want || badge.AttrOr("title", "") != why {
			t.Errorf("%s: %d badges, %q titled %q", model, badge.Length(), strings.TrimSpace(badge.Text()), badge.AttrOr("title", ""))
		}
		wantWhy := why
		if model == "BROADCASTING" {
			wantWhy = "" // said in the per-client table
		}
		if got := doc.Find(`[data-testid="client-why"]`).Text(); got != wantWhy {
			t.Errorf("%s: the reason reads %q beside the badge, want %q", model, got, wantWhy)
		}
	}
}

// TestKindUnknownWithClientsOnline: a group whose online clients' consume type the broker
// does not know says why its kind is unknown.
func TestKindUnknownWithClientsOnline(t *testing.T) {
	if got := KindLabel("", false, nil); !strings.Contains(got, "4.x broker") {
		t.Errorf("unknown kind with clients online reads %q", got)
	}
	if got := KindLabel("", true, nil); got != Unknown {
		t.Errorf("unknown kind without a client reads %q", got)
	}
}
