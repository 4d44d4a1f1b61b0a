package poller_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestTimeToDrain commits offsets on a real broker between polls as a consumer working
// through a backlog would, on the poller's clock, and reads the stored estimate: unknown
// until a minute of history, then draining at the rate the commits set, then growing once
// producers outrun a consumer that stopped committing.
func TestTimeToDrain(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, version)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
			stacktest.CreateTopic(t, f.rmq, topic, 4)
			if err := f.admin.CreateSubscriptionGroup(ctx, f.rmq.BrokerAddr, group); err != nil {
				t.Fatal(err)
			}
			stacktest.Produce(t, f.rmq, topic, 400)
			maxes := f.maxOffsets(t, topic, 400)
			at := func(part int64) map[int]int64 {
				out := map[int]int64{}
				for q, m := range maxes {
					out[q] = m * part / 4
				}
				return out
			}
			row := func() storage.GroupRow {
				t.Helper()
				g, err := storage.GroupRowOf(ctx, f.db, "local", group)
				if err != nil {
					t.Fatal(err)
				}
				return g
			}

			f.commit(t, group, topic, at(0))
			f.now = time.Now()
			f.poll(t)
			if g := row(); g.Drain.State != storage.DrainUnknown || !strings.HasPrefix(g.Drain.Reason, "measuring:") {
				t.Fatalf("after one poll: %s %q, want unknown while measuring", g.Drain.State, g.Drain.Reason)
			}
			for part := int64(1); part <= 2; part++ {
				f.advance(30 * time.Second)
				f.commit(t, group, topic, at(part))
				f.poll(t)
			}
			g := row()
			// 100 messages consumed every 30 s, 200 left: about a minute.
			if g.Drain.State != storage.DrainDraining || g.Drain.Seconds == nil || *g.Drain.Seconds < 50 || *g.Drain.Seconds > 70 {
				t.Fatalf("draining backlog: %s %v %q, want draining in about 60 s", g.Drain.State, g.Drain.Seconds, g.Drain.Reason)
			}
			if !strings.Contains(g.Drain.Reason, "drained in about 1 min") {
				t.Errorf("reason %q", g.Drain.Reason)
			}
			ts, err := storage.TopicDrains(ctx, f.db, "local", group)
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != 1 || ts[0].Topic != topic || ts[0].State != storage.DrainDraining || ts[0].ConsumeRate == nil ||
				*ts[0].ConsumeRate < 3 || *ts[0].ConsumeRate > 3.7 || *ts[0].Lag != 400-2*sum(at(1)) {
				t.Fatalf("per topic: %+v", ts)
			}

			stacktest.Produce(t, f.rmq, topic, 400)
			f.advance(30 * time.Second)
			f.poll(t)
			if g := row(); g.Drain.State != storage.DrainGrowing || g.Drain.Seconds != nil || !strings.Contains(g.Drain.Reason, "will not drain") {
				t.Fatalf("producers outrunning: %s %v %q, want growing", g.Drain.State, g.Drain.Seconds, g.Drain.Reason)
			}
		})
	}
}

func sum(m map[int]int64) int64 {
	var s int64
	for _, v := range m {
		s += v
	}
	return s
}
