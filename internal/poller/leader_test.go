package poller_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// gate holds whoever passes it while closed, as a paused process holds everything it
// was doing; it ignores contexts, as a paused process does.
type gate struct {
	mu      sync.Mutex
	closed  chan struct{} // nil while open
	entered chan struct{} // closed once someone waits at the closed gate
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed, g.entered = make(chan struct{}), make(chan struct{})
}

// waiting is closed once someone is held at the gate.
func (g *gate) waiting() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.entered
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed != nil {
		close(g.closed)
	}
	g.closed = nil
}

func (g *gate) pass() {
	g.mu.Lock()
	closed, entered := g.closed, g.entered
	if closed != nil {
		select {
		case <-entered:
		default:
			close(entered)
		}
	}
	g.mu.Unlock()
	if closed != nil {
		<-closed
	}
}

// moving is the test cluster's admin client for one replica: every cycle starts by moving
// the test group's committed offset one message on, so every cycle stores a history point,
// and may stop at the replica's gate.
type moving struct {
	*mqadmin.Client
	fetchGate *gate
	move      func(context.Context) error
}

func (m *moving) ClusterInfo(ctx context.Context, namesrv string) (mqadmin.ClusterInfo, error) {
	if err := m.move(ctx); err != nil {
		return mqadmin.ClusterInfo{}, err
	}
	m.fetchGate.pass()
	return m.Client.ClusterInfo(ctx, namesrv)
}

// replica is a poller running its loop as one dashboard replica would, with a pool of its
// own on the shared database.
type replica struct {
	name     string
	p        *poller.Poller
	pool     *pgxpool.Pool
	fetch    gate // before the cycle reads the cluster
	save     gate // inside the cycle's transaction, once its state and log row are written
	cancel   context.CancelFunc
	done     chan error
	runStart time.Time
}

// cycleLog is what each replica's committed cycles left: InCycle writes a row in each
// cycle's transaction, so a row exists exactly for the cycles that committed, numbered in
// the order they were written.
type cycleLog struct {
	Replica string    `db:"replica"`
	At      time.Time `db:"at"`
}

func readLog(t *testing.T, pool *pgxpool.Pool) []cycleLog {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT replica, at FROM cycle_log ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByName[cycleLog])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// logged counts the cycles a replica committed since a time.
func logged(t *testing.T, pool *pgxpool.Pool, name string, since time.Time) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM cycle_log WHERE replica = $1 AND at >= $2`,
		name, since).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond until it holds or within passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s after %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReplicaTakesOverFromStoppedLeader runs two pollers of one cluster, as two replicas
// would, on one database. The one polling stops in the middle of a cycle: paused while it
// reads the cluster, or while it writes the cycle, or cut off from Postgres while it writes.
// The other must take over on its own, and the stopped one, once it goes on, must fail to
// write its cycle: no cycle of the former leader commits after the new one's first, and the
// history holds no point twice.
func TestReplicaTakesOverFromStoppedLeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// at picks the gate the leader stops at; cut ends its session while it waits there.
		at  func(r *replica) *gate
		cut bool
	}{
		{"paused reading the cluster", func(r *replica) *gate { return &r.fetch }, false},
		{"paused writing the cycle", func(r *replica) *gate { return &r.save }, false},
		{"cut off writing the cycle", func(r *replica) *gate { return &r.save }, true},
	}
	rmq := stacktest.Broker(t, stacktest.Versions(t)[0])
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			url := stacktest.DatabaseURL(t)
			check, err := storage.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer check.Close()
			if _, err := check.Exec(ctx, `CREATE TABLE cycle_log (seq bigserial, replica text NOT NULL, at timestamptz NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			c, err := storage.UpsertCluster(ctx, check, "local", []string{rmq.NamesrvAddr})
			if err != nil {
				t.Fatal(err)
			}
			admin := mqadmin.New(mqadmin.Options{})
			defer admin.Close()
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
			stacktest.CreateTopic(t, rmq, topic, 1)
			stacktest.Produce(t, rmq, topic, 200)
			if err := admin.CreateSubscriptionGroup(ctx, rmq.BrokerAddr, group); err != nil {
				t.Fatal(err)
			}
			var committed atomic.Int64
			move := func(ctx context.Context) error {
				return admin.UpdateConsumerOffset(ctx, rmq.BrokerAddr, group, topic, 0, committed.Add(1)%200)
			}
			if err := move(ctx); err != nil {
				t.Fatal(err)
			}

			interval := 2 * time.Second
			start := func(name string) *replica {
				t.Helper()
				pool, err := storage.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(pool.Close)
				r := &replica{name: name, pool: pool, done: make(chan error, 1)}
				r.p = poller.New(poller.Config{
					Cluster: "local", ClusterID: c.ID, NamesrvAddrs: []string{rmq.NamesrvAddr},
					Admin: &moving{Client: admin, fetchGate: &r.fetch, move: move}, Pool: pool, Interval: interval,
					Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("replica", name),
					InCycle: func(ctx context.Context, tx pgx.Tx, cy storage.Cycle) error {
						if _, err := tx.Exec(ctx, `INSERT INTO cycle_log (replica, at) VALUES ($1, $2)`, name, cy.At); err != nil {
							return err
						}
						r.save.pass()
						return nil
					},
				})
				runCtx, cancel := context.WithCancel(ctx)
				r.cancel, r.runStart = cancel, time.Now()
				go func() { r.done <- r.p.Run(runCtx) }()
				t.Cleanup(r.stop)
				return r
			}

			a := start("a")
			waitFor(t, "a leading and polling", 60*time.Second, func() bool { return logged(t, check, "a", a.runStart) >= 2 })
			b := start("b")
			waitFor(t, "two more cycles of a", 30*time.Second, func() bool { return logged(t, check, "a", b.runStart) >= 2 })
			if b.p.Leading() || b.p.Stats().Cycles != 0 || !a.p.Leading() {
				t.Fatalf("with a polling: a leading %v; b leading %v after %d cycles", a.p.Leading(), b.p.Leading(), b.p.Stats().Cycles)
			}

			g := tt.at(a)
			g.close()
			<-g.waiting()
			stopped := time.Now()
			stoppedCycles := a.p.Stats().Cycles
			if tt.cut {
				var n int
				if err := check.QueryRow(ctx, `
					SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l
					WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
				).Scan(&n); err != nil || n != 1 {
					t.Fatalf("ended %d lock sessions: %v", n, err)
				}
			}
			waitFor(t, "b leading", 30*time.Second, b.p.Leading)
			t.Logf("b took over %s after a stopped (its lock session times out after %s idle)", time.Since(stopped).Round(time.Millisecond), 3*interval)
			waitFor(t, "two cycles of b", 30*time.Second, func() bool { return logged(t, check, "b", stopped) >= 2 })

			g.open()
			waitFor(t, "a's stopped cycle finished", 30*time.Second, func() bool { return a.p.Stats().Cycles > stoppedCycles })
			st := a.p.Stats()
			if st.Failures == 0 || st.Last.Err == nil {
				t.Errorf("a's cycle after it lost the lock: %d failures, last error %v; want it to fail", st.Failures, st.Last.Err)
			}
			stoppedAt := st.Last.At
			resumed := time.Now()
			waitFor(t, "two more cycles of b", 30*time.Second, func() bool { return logged(t, check, "b", resumed) >= 2 })
			if a.p.Leading() {
				t.Error("a leads again while b holds the lock")
			}
			afterCycles := a.p.Stats().Cycles
			a.stop()
			b.stop()
			if n := a.p.Stats().Cycles; n != afterCycles {
				t.Errorf("a ran %d cycles as a follower", n-afterCycles)
			}

			// The log, in the order it was written: a's cycles, then b's, never mixed; not the
			// one a was stopped in.
			log := readLog(t, check)
			var firstB time.Time
			for _, l := range log {
				switch {
				case l.Replica == "b" && firstB.IsZero():
					firstB = l.At
					if l.At.Before(stopped) {
						t.Errorf("b committed a cycle at %s, before a stopped at %s", l.At, stopped)
					}
				case l.Replica == "a" && !firstB.IsZero():
					t.Errorf("a committed a cycle at %s, after b's first at %s", l.At, firstB)
				case l.Replica == "a" && l.At.UnixMicro() == stoppedAt.UnixMicro():
					t.Errorf("a committed the cycle it was stopped in, at %s, after it lost the lock", l.At)
				}
			}
			if firstB.IsZero() {
				t.Fatal("b committed nothing")
			}
			assertHistoryOnce(t, check, c.ID, group, log)
		})
	}
}

// assertHistoryOnce checks the group's history: no point twice (same series and time),
// every point from a cycle that committed, no two minute points in one minute.
func assertHistoryOnce(t *testing.T, pool *pgxpool.Pool, clusterID int64, group string, log []cycleLog) {
	t.Helper()
	ctx := context.Background()
	committed := map[int64]bool{}
	for _, l := range log {
		committed[l.At.UnixMicro()] = true
	}
	rows, err := pool.Query(ctx, `
		SELECT s.at, count(*) FROM queue_sample s JOIN queue_series q ON q.id = s.series_id
		WHERE q.cluster_id = $1 AND q.group_name = $2 GROUP BY s.series_id, s.at ORDER BY s.at`, clusterID, group)
	if err != nil {
		t.Fatal(err)
	}
	type point struct {
		At time.Time
		N  int
	}
	points, err := pgx.CollectRows(rows, pgx.RowToStructByPos[point])
	if err != nil {
		t.Fatal(err)
	}
	if len(points) < 4 {
		t.Fatalf("%d history points of the group, want one a cycle", len(points))
	}
	for _, p := range points {
		if p.N != 1 {
			t.Errorf("history point at %s stored %d times", p.At, p.N)
		}
		if !committed[p.At.UnixMicro()] {
			t.Errorf("history point at %s from no committed cycle", p.At)
		}
	}
	var twice int
	if err := pool.QueryRow(ctx, `
		SELECT count(*) FROM (
			SELECT 1 FROM topic_minute m JOIN topic_series s ON s.id = m.series_id
			WHERE s.cluster_id = $1 AND s.group_name = $2
			GROUP BY m.series_id, date_trunc('minute', m.at) HAVING count(*) > 1) d`, clusterID, group).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	if twice != 0 {
		t.Errorf("%d minutes with two per-minute points of one topic", twice)
	}
}

// stop ends the replica's loop, which closes its lock session, and waits for it.
func (r *replica) stop() {
	if r.cancel == nil {
		return
	}
	r.fetch.open()
	r.save.open()
	r.cancel()
	<-r.done
	r.cancel = nil
}
