package poller_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// smallStoreConf makes a broker delete old messages within seconds: 1 MiB commit log files,
// consume queue files of 300 entries, nothing kept past the current file, and the daily
// clean-up hour being this hour (and the next, should the test cross it).
func smallStoreConf() map[string]string {
	now := time.Now()
	return map[string]string{
		"mappedFileSizeCommitLog":    "1048576",
		"mappedFileSizeConsumeQueue": "6000",
		"fileReservedTime":           "0",
		"deleteWhen":                 fmt.Sprintf("%02d;%02d", now.Hour(), now.Add(time.Hour).Hour()),
		"cleanResourceInterval":      "2000",
	}
}

// TestExpiredBeforeConsumed: a group stopped at offset 14 while retention deletes the
// queue's messages up to far beyond it. Those messages are lost to the group: Lagboard must
// count them on the queue and the group, make it the health reason, and still show the lag
// the broker reports.
func TestExpiredBeforeConsumed(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			rmq, err := stack.StartRocketMQ(ctx, stack.RocketMQOptions{Version: version, NoProxy: true,
				ExtraBrokerConf: smallStoreConf()})
			if err != nil {
				t.Fatal(err)
			}
			defer rmq.Stop() //nolint:errcheck // test teardown
			r := stacktest.FromStack(rmq)
			admin := mqadmin.New(mqadmin.Options{})
			defer admin.Close()

			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "late")
			stacktest.CreateTopic(t, r, topic, 1)
			if err := admin.CreateSubscriptionGroup(ctx, r.BrokerAddr, group); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			stacktest.ProduceMany(t, r, topic, 20000)
			t.Logf("produced in %s", time.Since(start))
			if err := admin.UpdateConsumerOffset(ctx, r.BrokerAddr, group, topic, 0, 14); err != nil {
				t.Fatal(err)
			}
			var minOff, maxOff int64
			waitUntil(t, 2*time.Minute, "retention to pass the committed offset", func() error {
				ts, err := admin.TopicStats(ctx, r.BrokerAddr, topic)
				if err != nil {
					return err
				}
				for _, o := range ts.Offsets {
					minOff, maxOff = o.MinOffset, o.MaxOffset
				}
				if minOff <= 14 {
					return fmt.Errorf("min offset %d", minOff)
				}
				return nil
			})

			t.Logf("expired after %s", time.Since(start))
			// Two groups that never committed, each with an online client that registered
			// and fetches nothing: on a queue whose oldest messages are gone the broker has no
			// answer for them, and each starts where its client is set to.
			suspended := []*stacktest.Consumer{
				stacktest.Consume(t, r, group+"-last", topic, stacktest.ConsumerOptions{FromLast: true, Suspended: true}),
				stacktest.Consume(t, r, group+"-first", topic, stacktest.ConsumerOptions{Suspended: true}),
			}
			pool := stacktest.DB(t)
			c, err := storage.UpsertCluster(ctx, pool, "expiring", []string{r.NamesrvAddr})
			if err != nil {
				t.Fatal(err)
			}
			p := poller.New(poller.Config{Cluster: "expiring", ClusterID: c.ID, NamesrvAddrs: []string{r.NamesrvAddr},
				Admin: admin, Pool: pool, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
			if rep := p.PollOnce(ctx); rep.Err != nil {
				t.Fatal(rep.Err)
			}
			lastStarts := startsShown(t, pool, c.ID, group+"-last", topic, 1)
			firstStarts := startsShown(t, pool, c.ID, group+"-first", topic, 1)
			st, err := admin.GroupConsumeStats(ctx, r.NamesrvAddr, group, topic)
			if err != nil {
				t.Fatal(err)
			}
			g, err := storage.GroupStateOf(ctx, pool, c.ID, group)
			if err != nil {
				t.Fatal(err)
			}
			qs, err := storage.QueueStates(ctx, pool, c.ID, group)
			if err != nil || len(qs) != 1 {
				t.Fatalf("queues %+v, %v", qs, err)
			}
			q := qs[0]
			if q.ConsumerOffset != 14 || q.MinOffset == nil || *q.MinOffset < minOff || q.MaxOffset != maxOff {
				t.Fatalf("queue committed %d min %v max %d; the broker: 14, %d, %d", q.ConsumerOffset, q.MinOffset, q.MaxOffset, minOff, maxOff)
			}
			wantLost := *q.MinOffset - 14
			if g.Expired == nil || *g.Expired != wantLost {
				t.Errorf("expired %v, want %d (min %d - committed 14)", g.Expired, wantLost, *q.MinOffset)
			}
			if g.Lag == nil || *g.Lag != st.TotalLag() {
				t.Errorf("lag %v, want the broker's %d", g.Lag, st.TotalLag())
			}
			if g.Health == poller.OK || g.Health == poller.Unknown || !strings.Contains(g.HealthReason, "expired before this group read them") {
				t.Errorf("health %s %q, want the expired messages as its reason", g.Health, g.HealthReason)
			}

			if s := lastStarts[0]; s.offset != maxOff || !strings.Contains(s.rule, "last offset") {
				t.Errorf("a client from the last offset shown to start at %d (%q), want %d", s.offset, s.rule, maxOff)
			}
			if s := firstStarts[0]; s.offset != *q.MinOffset || !strings.Contains(s.rule, "first offset") {
				t.Errorf("a client from the first offset shown to start at %d (%q), want %d", s.offset, s.rule, *q.MinOffset)
			}
			// The suspended clients leave, having fetched nothing, and the first clients that
			// fetch come.
			for _, c := range suspended {
				c.Stop()
			}
			fromLast := stacktest.Consume(t, r, group+"-last", topic, stacktest.ConsumerOptions{FromLast: true})
			fromFirst := stacktest.Consume(t, r, group+"-first", topic, stacktest.ConsumerOptions{})
			// The client from the last offset finds nothing to read and commits where it
			// stands; what is written after that reaches it.
			waitUntil(t, time.Minute, "the client from the last offset to commit", func() error {
				all, err := admin.BrokerOffsets(ctx, r.BrokerAddr)
				if err != nil {
					return err
				}
				if off, ok := all.Committed[mqadmin.GroupTopic{Group: group + "-last", Topic: topic}][0]; !ok || off != maxOff {
					return fmt.Errorf("committed %d (present %v), want %d", off, ok, maxOff)
				}
				return nil
			})
			stacktest.Produce(t, r, topic, 1)
			fromLast.WaitReceived(t, 1, time.Minute)
			fromFirst.WaitReceived(t, 1, 2*time.Minute)
			checkFirstOffsets(t, fromLast, lastStarts)
			// Retention may still have been deleting: the client from the first offset then
			// starts at the oldest message left when it first fetched, no earlier than shown.
			if got := fromFirst.Output.FirstOffsets()[0]; got != firstStarts[0].offset {
				ts, err := admin.TopicStats(ctx, r.BrokerAddr, topic)
				if err != nil {
					t.Fatal(err)
				}
				var nowMin int64
				for _, o := range ts.Offsets {
					nowMin = o.MinOffset
				}
				if got < firstStarts[0].offset || got > nowMin {
					t.Errorf("the client from the first offset started at %d; shown %d, oldest now %d", got, firstStarts[0].offset, nowMin)
				}
				t.Logf("retention moved on: the client from the first offset started at %d, shown %d", got, firstStarts[0].offset)
			}
		})
	}
}
