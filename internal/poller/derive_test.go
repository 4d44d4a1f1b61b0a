package poller_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestDerivedProgressMatchesBrokerWide: a broker with more groups than GET_BROKER_CONSUME_STATS
// serves quickly is read from its offset table and its topics' max offsets; what the poller
// stores that way equals, queue by queue, what it stores from the broker's own consume
// statistics: groups committed on every queue, on some queues only, on two topics, on their
// retry topic, and an online group whose clients no longer subscribe to a topic it once
// committed on. Only the consume rate and the last consumed time are not known.
func TestDerivedProgressMatchesBrokerWide(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, version)
			a, b := stacktest.Name(t, "a"), stacktest.Name(t, "b")
			stacktest.CreateTopic(t, f.rmq, a, 4)
			stacktest.CreateTopic(t, f.rmq, b, 2)
			stacktest.Produce(t, f.rmq, a, 40)
			stacktest.Produce(t, f.rmq, b, 10)
			maxA := f.maxOffsets(t, a, 40)
			group := func(name string) string {
				g := stacktest.Name(t, name)
				if err := f.admin.CreateSubscriptionGroup(ctx, f.rmq.BrokerAddr, g); err != nil {
					t.Fatal(err)
				}
				return g
			}
			full, partial, two, retry, online := group("full"), group("partial"), group("two"), group("retry"), group("online")
			f.commit(t, full, a, map[int]int64{0: 1, 1: 5, 2: maxA[2], 3: 0})
			f.commit(t, partial, a, map[int]int64{0: 2, 2: 3})
			f.commit(t, two, a, map[int]int64{0: 4})
			f.commit(t, two, b, map[int]int64{1: 1})
			stacktest.CreateTopic(t, f.rmq, "%RETRY%"+retry, 1)
			f.commit(t, retry, a, map[int]int64{1: 7})
			f.commit(t, retry, "%RETRY%"+retry, map[int]int64{0: 0})
			// online once committed on b; its client now reads a alone and is stuck on its first
			// message, so nothing it commits moves between the two polls.
			f.commit(t, online, b, map[int]int64{0: 2, 1: 3})
			c := stacktest.Consume(t, f.rmq, online, a, stacktest.ConsumerOptions{Stuck: true})
			c.WaitReceived(t, 1, time.Minute)

			pool := f.db.(*pgxpool.Pool)
			derivedCluster, err := storage.UpsertCluster(ctx, pool, "derived", []string{f.rmq.NamesrvAddr})
			if err != nil {
				t.Fatal(err)
			}
			derived := poller.New(poller.Config{
				Cluster: "derived", ClusterID: derivedCluster.ID, NamesrvAddrs: []string{f.rmq.NamesrvAddr},
				Admin: f.admin, Pool: pool, Interval: 10 * time.Second, DeriveAbove: -1,
				Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
				Now:    func() time.Time { return f.now },
			})
			f.poll(t)
			rep := derived.PollOnce(ctx)
			if rep.Err != nil {
				t.Fatal(rep.Err)
			}
			if rep.Requests["broker_consume_stats"] != 0 {
				t.Errorf("the derived cycle asked for the broker-wide statistics: %v", rep.Requests)
			}
			read := func(clusterID int64, g string) string {
				t.Helper()
				qs, err := storage.QueueStates(ctx, f.db, clusterID, g)
				if err != nil {
					t.Fatal(err)
				}
				var lines []string
				for _, q := range qs {
					pull := "-"
					if q.PullOffset != nil {
						pull = fmt.Sprint(*q.PullOffset)
					}
					if g == online {
						pull = "(moves)" // the stuck client's pulls are its own
					}
					lines = append(lines, fmt.Sprintf("%s/%d max %d committed %d (%v) pull %s", q.Topic, q.QueueID, q.MaxOffset, q.ConsumerOffset, q.Committed, pull))
				}
				slices.Sort(lines)
				return strings.Join(lines, "\n")
			}
			for _, g := range []string{full, partial, two, retry, online} {
				wide, der := read(f.clusterID, g), read(derivedCluster.ID, g)
				if wide == "" {
					t.Fatalf("%s: nothing stored", g)
				}
				if wide != der {
					t.Errorf("%s, from the broker-wide statistics:\n%s\nderived:\n%s", g, wide, der)
				}
				if strings.Contains(der, b+"/") && g == online {
					t.Errorf("%s: the topic its clients no longer read is shown:\n%s", g, der)
				}
				st, err := storage.GroupStateOf(ctx, f.db, derivedCluster.ID, g)
				if err != nil {
					t.Fatal(err)
				}
				if st.ConsumeTPS != nil {
					t.Errorf("%s: derived consume rate %v, want unknown", g, *st.ConsumeTPS)
				}
			}
		})
	}
}
