package metrics

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

type fakePoller poller.Stats

func (f fakePoller) Stats() poller.Stats { return poller.Stats(f) }

// TestPollerMetricsFollowLeadership: a replica says which clusters it polls; the figures
// of a last cycle come only from the replica polling the cluster, not from one that
// polled it before another took over and would otherwise report them unchanged for ever.
func TestPollerMetricsFollowLeadership(t *testing.T) {
	ok := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	col := New(stacktest.DB(t), nil, slog.New(slog.DiscardHandler))
	col.pollers = []Poller{
		fakePoller{Cluster: "east", Leading: true, Cycles: 5, Failures: 1, LastOK: ok,
			Last: poller.Report{Duration: 300 * time.Millisecond, Stale: map[string]string{"a": "down", "b": "down"}}},
		fakePoller{Cluster: "west", Leading: false, Cycles: 3, LastOK: ok.Add(-time.Hour),
			Last: poller.Report{Duration: time.Second, Stale: map[string]string{"c": "down"}}},
		fakePoller{Cluster: "north", Leading: true}, // took over, first cycle under way
	}
	want := `
# HELP lagboard_poll_leader 1 while this replica holds the cluster's lock and polls it, 0 while another replica does.
# TYPE lagboard_poll_leader gauge
lagboard_poll_leader{cluster="east"} 1
lagboard_poll_leader{cluster="north"} 1
lagboard_poll_leader{cluster="west"} 0
# HELP lagboard_poll_cycles_total Poll cycles run by this process.
# TYPE lagboard_poll_cycles_total counter
lagboard_poll_cycles_total{cluster="east"} 5
lagboard_poll_cycles_total{cluster="north"} 0
lagboard_poll_cycles_total{cluster="west"} 3
# HELP lagboard_poll_duration_seconds Duration of the last poll cycle.
# TYPE lagboard_poll_duration_seconds gauge
lagboard_poll_duration_seconds{cluster="east"} 0.3
# HELP lagboard_poll_stale_groups Groups the last cycle could not read from every broker.
# TYPE lagboard_poll_stale_groups gauge
lagboard_poll_stale_groups{cluster="east"} 2
# HELP lagboard_poll_last_success_timestamp_seconds Unix time of the end of the last cycle that stored its result.
# TYPE lagboard_poll_last_success_timestamp_seconds gauge
lagboard_poll_last_success_timestamp_seconds{cluster="east"} 1.7952624e+09
lagboard_poll_last_success_timestamp_seconds{cluster="west"} 1.7952588e+09
`
	if err := testutil.CollectAndCompare(col, strings.NewReader(want), "lagboard_poll_leader", "lagboard_poll_cycles_total",
		"lagboard_poll_duration_seconds", "lagboard_poll_stale_groups", "lagboard_poll_last_success_timestamp_seconds"); err != nil {
		t.Fatal(err)
	}
}
