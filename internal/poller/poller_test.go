package poller_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// fixture is one test's cluster as the poller sees it. The poller's clock is the fixture's:
// broker data is real, and tests move time forward instead of waiting for it.
type fixture struct {
	rmq       stacktest.RocketMQ
	admin     *mqadmin.Client
	db        storage.DBTX
	clusterID int64
	poller    *poller.Poller
	now       time.Time
	// configure, when set, changes the configuration of the pollers newPoller makes.
	configure func(*poller.Config)
}

// advance moves the poller's clock forward.
func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

func newFixture(t testing.TB, version string) *fixture {
	t.Helper()
	rmq := stacktest.Broker(t, version)
	pool := stacktest.DB(t)
	c, err := storage.UpsertCluster(context.Background(), pool, "local", []string{rmq.NamesrvAddr})
	if err != nil {
		t.Fatal(err)
	}
	admin := mqadmin.New(mqadmin.Options{})
	t.Cleanup(func() { admin.Close() })
	f := &fixture{rmq: rmq, admin: admin, db: pool, clusterID: c.ID, now: time.Now()}
	f.poller = f.newPoller(pool)
	return f
}

// newPoller returns a poller of the fixture's cluster on the fixture's clock: another
// replica's, or the same one's after a restart.
func (f *fixture) newPoller(pool *pgxpool.Pool) *poller.Poller {
	cfg := poller.Config{
		Cluster: "local", ClusterID: f.clusterID, NamesrvAddrs: []string{f.rmq.NamesrvAddr},
		Admin: f.admin, Pool: pool, Interval: 10 * time.Second,
		Health: poller.HealthRules{Window: 10 * time.Minute, StallAfter: time.Minute},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:    func() time.Time { return f.now },
	}
	if f.configure != nil {
		f.configure(&cfg)
	}
	return poller.New(cfg)
}

// warningsTo gives the fixture a new poller, configured by configure if not nil, whose
// warnings and errors go to the returned buffer.
func (f *fixture) warningsTo(configure func(*poller.Config)) *stacktest.SyncBuffer {
	logs := &stacktest.SyncBuffer{}
	f.configure = func(c *poller.Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		if configure != nil {
			configure(c)
		}
	}
	f.poller = f.newPoller(f.db.(*pgxpool.Pool))
	return logs
}

func (f *fixture) poll(t testing.TB) poller.Report {
	t.Helper()
	rep := f.poller.PollOnce(context.Background())
	if rep.Err != nil {
		t.Fatalf("poll: %v", rep.Err)
	}
	return rep
}

// pollFresh polls until each of groups is stored and none is stale: a cycle in which a
// loaded broker did not answer for a group, or did not list it, tells nothing of it, and the
// next cycle asks again. It fails after five cycles.
func (f *fixture) pollFresh(t testing.TB, groups ...string) poller.Report {
	t.Helper()
	for cycle := 1; ; cycle++ {
		rep := f.poll(t)
		var stale []string
		for _, g := range groups {
			if why, ok := rep.Stale[g]; ok {
				stale = append(stale, g+": "+why)
			} else if _, err := storage.GroupStateOf(context.Background(), f.db, f.clusterID, g); err != nil {
				stale = append(stale, fmt.Sprintf("%s: not stored (%v); brokers %+v", g, err, rep.Brokers))
			}
		}
		if len(stale) == 0 {
			return rep
		}
		if cycle == 5 {
			t.Fatalf("stale after %d cycles: %s", cycle, strings.Join(stale, "; "))
		}
		t.Logf("cycle %d left groups stale, polling again: %s", cycle, strings.Join(stale, "; "))
		f.advance(10 * time.Second)
	}
}

func (f *fixture) group(t *testing.T, name string) storage.GroupState {
	t.Helper()
	g, err := storage.GroupStateOf(context.Background(), f.db, f.clusterID, name)
	if err != nil {
		t.Fatalf("group %s: %v", name, err)
	}
	return g
}

// maxOffsets returns each queue's max offset, checking the topic holds total messages.
func (f *fixture) maxOffsets(t testing.TB, topic string, total int64) map[int]int64 {
	t.Helper()
	ts, err := f.admin.TopicStats(context.Background(), f.rmq.BrokerAddr, topic)
	if err != nil {
		t.Fatal(err)
	}
	out, sum := map[int]int64{}, int64(0)
	for mq, o := range ts.Offsets {
		out[mq.QueueID] = o.MaxOffset
		sum += o.MaxOffset
	}
	if sum != total {
		t.Fatalf("topic %s holds %d messages, want %d", topic, sum, total)
	}
	return out
}

func (f *fixture) commit(t *testing.T, group, topic string, offsets map[int]int64) {
	t.Helper()
	for q, off := range offsets {
		if err := f.admin.UpdateConsumerOffset(context.Background(), f.rmq.BrokerAddr, group, topic, q, off); err != nil {
			t.Fatalf("commit %s queue %d = %d: %v", group, q, off, err)
		}
	}
}

// TestStoredProgressMatchesBroker commits known offsets for a group and checks that what the
// poller stores is what the broker reports, and that lag in time is the age of the first
// unconsumed message.
func TestStoredProgressMatchesBroker(t *testing.T) {
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
			sentFrom := time.Now()
			stacktest.Produce(t, f.rmq, topic, 40)
			sentTo := time.Now()
			first := f.maxOffsets(t, topic, 40)
			f.commit(t, group, topic, map[int]int64{0: 0, 1: 0, 2: 0, 3: 0})

			firstPoll := time.Now()
			f.now = firstPoll
			f.poll(t)
			g := f.group(t, group)
			if g.Lag == nil || *g.Lag != 40 {
				t.Fatalf("lag = %v, want 40", g.Lag)
			}
			// The broker reports the store time of the first unconsumed message: exact, even
			// for messages older than the stored history.
			const slack = 0.05
			if g.LagTimeSource != "exact" || g.LagSeconds == nil {
				t.Fatalf("lag in time = %s %v, want exact", g.LagTimeSource, g.LagSeconds)
			}
			if lo, hi := firstPoll.Sub(sentTo).Seconds()-slack, time.Since(sentFrom).Seconds()+slack; *g.LagSeconds < lo || *g.LagSeconds > hi {
				t.Errorf("lag in time %.3f s, want between %.3f and %.3f s", *g.LagSeconds, lo, hi)
			}
			if g.Health != poller.Offline {
				t.Errorf("health = %s (%s), want OFFLINE: nobody consumes", g.Health, g.HealthReason)
			}

			// Catch up, then 8 new messages arrive: they are younger than the first poll.
			f.commit(t, group, topic, first)
			stacktest.Produce(t, f.rmq, topic, 8)
			f.maxOffsets(t, topic, 48)
			f.now = time.Now()
			f.poll(t)
			direct, err := f.admin.ConsumeStats(ctx, f.rmq.BrokerAddr, group, topic)
			if err != nil {
				t.Fatal(err)
			}
			queues, err := storage.QueueStates(ctx, f.db, f.clusterID, group)
			if err != nil {
				t.Fatal(err)
			}
			var directLag int64
			n := 0
			for _, q := range queues {
				if q.Topic != topic {
					continue
				}
				n++
				o, ok := direct.Offsets[mqadmin.MessageQueue{Topic: topic, BrokerName: q.Broker, QueueID: int(q.QueueID)}]
				if !ok {
					t.Fatalf("stored queue %s/%d is unknown to the broker", q.Broker, q.QueueID)
				}
				if q.MaxOffset != o.BrokerOffset || q.ConsumerOffset != o.ConsumerOffset {
					t.Errorf("queue %d: stored max %d committed %d, broker says %d and %d",
						q.QueueID, q.MaxOffset, q.ConsumerOffset, o.BrokerOffset, o.ConsumerOffset)
				}
				if q.MinOffset == nil || *q.MinOffset != 0 {
					t.Errorf("queue %d: min offset %v, want 0", q.QueueID, q.MinOffset)
				}
				directLag += o.Lag()
			}
			if n != 4 {
				t.Fatalf("stored %d queues of %s, want 4", n, topic)
			}
			g = f.group(t, group)
			if g.Lag == nil || *g.Lag != directLag || directLag != 8 {
				t.Fatalf("stored lag %v, broker lag %d, want 8", g.Lag, directLag)
			}
			if g.LagTimeSource != "exact" || g.LagSeconds == nil {
				t.Fatalf("lag in time = %s %v, want exact", g.LagTimeSource, g.LagSeconds)
			}
			if limit := time.Since(firstPoll).Seconds() + slack; *g.LagSeconds < 0 || *g.LagSeconds > limit {
				t.Errorf("lag in time %.3f s, want between 0 and %.3f s (the age of the first poll)", *g.LagSeconds, limit)
			}
		})
	}
}
