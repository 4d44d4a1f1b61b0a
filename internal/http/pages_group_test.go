package http

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/lagboard/lagboard/internal/storage"
)

// TestBroadcastingGroupShowsEachClient: a broadcasting group's page shows each client's own
// offsets and lag per queue, and why a client could not report them.
func TestBroadcastingGroupShowsEachClient(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	now := time.Now()
	s := fleet("prod", 4, now) // prod-fleet-0003 is broadcasting
	name := s.groups[3].Group
	if s.groups[3].MessageModel != "BROADCASTING" {
		t.Fatalf("%s is %s", name, s.groups[3].MessageModel)
	}
	topic := "topic-" + name
	s.clients = []storage.ClientState{
		{Group: name, ClientID: "10.0.0.2@b", Addr: "10.0.0.2:1", Language: "JAVA", Version: "V5_3_3"},
		{Group: name, ClientID: "10.0.0.1@a", Addr: "10.0.0.1:1", Language: "JAVA", Version: "V5_3_3"},
		{Group: name, ClientID: "10.0.0.3@c", Addr: "10.0.0.3:1", Language: "GO", Version: "V4_9_7", OffsetsError: ptr("timed out")},
		{Group: s.groups[0].Group, ClientID: "10.0.0.9@z", Addr: "10.0.0.9:1", Language: "JAVA"},
	}
	s.clientQueues = []storage.ClientQueueState{
		{Group: name, ClientID: "10.0.0.1@a", Topic: topic, Broker: "broker-a", QueueID: 0, CommitOffset: 900, MaxOffset: ptr(int64(1000))},
		{Group: name, ClientID: "10.0.0.1@a", Topic: topic, Broker: "broker-a", QueueID: 1, CommitOffset: 50, MaxOffset: ptr(int64(70))},
		{Group: name, ClientID: "10.0.0.2@b", Topic: topic, Broker: "broker-a", QueueID: 0, CommitOffset: 1000, MaxOffset: nil},
	}
	s.save(t, env.pool)
	c := newClient(t, true)

	p := do(t, c, http.MethodGet, env.URL+"/clusters/prod/groups/"+name, nil, nil)
	if p.status != 200 {
		t.Fatalf("%d %.300s", p.status, p.body)
	}
	if got := attrs(p, `[data-testid="client-progress"]`, "data-client"); !slices.Equal(got, []string{"10.0.0.1@a", "10.0.0.2@b", "10.0.0.3@c"}) {
		t.Fatalf("clients %v", got)
	}
	a := p.doc.Find(`[data-client="10.0.0.1@a"]`)
	var lags, offsets []string
	a.Find(`[data-testid="client-queue"]`).Each(func(_ int, s *goquery.Selection) {
		lags = append(lags, s.Find(`[data-testid="lag"]`).Text())
		offsets = append(offsets, s.Find(`[data-testid="client-offset"]`).Text())
	})
	if !slices.Equal(lags, []string{"100", "20"}) || !slices.Equal(offsets, []string{"900", "50"}) {
		t.Errorf("client a: lags %v, offsets %v", lags, offsets)
	}
	if got := strings.Join(strings.Fields(a.Find(`[data-testid="client-lag"]`).Text()), " "); got != "lag 120 messages over 2 queues" {
		t.Errorf("client a total %q", got)
	}
	b := p.doc.Find(`[data-client="10.0.0.2@b"]`)
	if got := b.Find(`[data-testid="lag"]`).Text(); got != "unknown" {
		t.Errorf("client b's lag without a max offset shows %q", got)
	}
	cc := p.doc.Find(`[data-client="10.0.0.3@c"]`)
	if cc.Find(`[data-testid="client-offsets-error"]`).Length() != 1 || !strings.Contains(cc.Text(), "timed out") {
		t.Errorf("client c: %q", cc.Text())
	}
	// Clustering groups have no such section.
	other := do(t, c, http.MethodGet, env.URL+"/clusters/prod/groups/"+s.groups[0].Group, nil, nil)
	if other.doc.Find(`[data-testid="per-client"]`).Length() != 0 {
		t.Error("a clustering group shows progress per client")
	}
}

// TestChartRangesSwapTheChart: a range link answers htmx with the chart fragment of that
// range, from the same URL that serves the page.
func TestChartRangesSwapTheChart(t *testing.T) {
	env := newEnv(t, envOptions{noSignIn: true})
	s := fleet("prod", 1, time.Now())
	s.save(t, env.pool)
	c := newClient(t, true)
	base := "/clusters/prod/groups/" + s.groups[0].Group

	full := do(t, c, http.MethodGet, env.URL+base, nil, nil)
	link := full.doc.Find(`[data-testid="range-24h"]`)
	if link.AttrOr("href", "") != base+"?range=24h" || link.AttrOr("hx-get", "") != base+"?range=24h" ||
		link.AttrOr("hx-target", "") != "#"+chartTarget || link.AttrOr("hx-push-url", "") != "true" {
		t.Errorf("range link: %s", must(goquery.OuterHtml(link)))
	}
	frag := do(t, c, http.MethodGet, env.URL+base+"?range=24h", nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {chartTarget}})
	if frag.status != 200 || strings.Contains(frag.body, "<html") {
		t.Fatalf("fragment: %d %.200s", frag.status, frag.body)
	}
	card := frag.doc.Find(`#` + chartTarget)
	if card.Length() != 1 || frag.doc.Find(`[data-testid="group-live"]`).Length() != 0 {
		t.Errorf("the chart fragment holds %d charts and the live region", card.Length())
	}
	if got := card.Find(`[aria-current="true"]`).AttrOr("data-testid", ""); got != "range-24h" {
		t.Errorf("current range %q", got)
	}
	if src := card.Find(`[data-testid="lag-chart"]`).AttrOr("data-src", ""); src != base+"/history?range=24h" {
		t.Errorf("chart source %q", src)
	}
	if card.Find(`[data-testid="no-reset-markers"]`).Length() != 1 {
		t.Error("no empty state for resets in the range")
	}
	// The live refresh of the same URL still gets the live region.
	live := do(t, c, http.MethodGet, env.URL+base+"?range=24h", nil, http.Header{"Hx-Request": {"true"}, "Hx-Target": {"group-live"}})
	if live.doc.Find(`[data-testid="group-live"]`).Length() != 1 || live.doc.Find(`#`+chartTarget).Length() != 0 {
		t.Error("the live refresh does not get the live region alone")
	}
}

func must(s string, err error) string {
	if err != nil {
		return err.Error()
	}
	return s
}
