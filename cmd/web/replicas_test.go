package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// webReplica is a server process of its own and the base URL it listens on.
type webReplica struct {
	proc *stack.Process
	url  string
}

// startReplica runs the server binary with env on the shared database and waits until it
// listens.
func startReplica(t *testing.T, bin, name string, env []string) *webReplica {
	t.Helper()
	p, err := stack.StartProcess(stack.ProcessSpec{Name: "web-" + name, Path: bin,
		LogPath: filepath.Join(t.TempDir(), "web-"+name+".log"), Env: append(os.Environ(), env...)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Stop(10 * time.Second) //nolint:errcheck // teardown
		if t.Failed() {
			t.Logf("%s log:\n%s", p.Name(), p.Tail(60))
		}
	})
	r := &webReplica{proc: p}
	waitUntil(t, name+" listening", 60*time.Second, func() bool {
		r.url = listeningURL(p.LogPath())
		return r.url != ""
	})
	return r
}

// listeningURL reads the URL a server logged it listens on, "" until it did.
func listeningURL(logPath string) string {
	f, err := os.Open(logPath)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct{ Msg, URL string }
		if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
			return line.URL
		}
	}
	return ""
}

// logLevels counts a server's log lines by level.
func logLevels(t *testing.T, logPath string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, l := range strings.Split(string(b), "\n") {
		var line struct{ Level, Msg string }
		if json.Unmarshal([]byte(l), &line) == nil {
			out[line.Level] = append(out[line.Level], line.Msg)
		}
	}
	return out
}

// get fetches a path of a replica and returns its status and body; a replica that does not
// answer gives status 0.
func (r *webReplica) get(path string) (int, string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url+path, nil)
	if err != nil {
		return 0, err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// leader reads a replica's lagboard_poll_leader for the cluster: 1, 0, or -1 when it does
// not answer or does not say.
func (r *webReplica) leader(cluster string) float64 {
	status, body := r.get("/metrics")
	if status != http.StatusOK {
		return -1
	}
	prefix := fmt.Sprintf("lagboard_poll_leader{cluster=%q} ", cluster)
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

func waitUntil(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s after %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// groupPoints returns the times of the group's per-queue history points, and how many
// points share a series and a time with another.
func groupPoints(t *testing.T, pool *pgxpool.Pool, group string) (at []time.Time, twice int) {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `
		SELECT DISTINCT s.at FROM queue_sample s JOIN queue_series q ON q.id = s.series_id
		WHERE q.group_name = $1 ORDER BY s.at`, group)
	if err != nil {
		t.Fatal(err)
	}
	at, err = pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `
		SELECT count(*) FROM (
			SELECT 1 FROM queue_sample s JOIN queue_series q ON q.id = s.series_id
			WHERE q.group_name = $1 GROUP BY s.series_id, s.at HAVING count(*) > 1) d`, group).Scan(&twice); err != nil {
		t.Fatal(err)
	}
	return at, twice
}

// TestReplicasTakeOverOnSIGKILL runs two server processes on one database, each configured
// with the same cluster. One polls it, the other serves pages as a follower and is ready.
// The one polling is killed with SIGKILL; the other must take the cluster over within one
// poll interval, and the group's history must show no gap longer than an interval and a
// cycle, and no point twice.
func TestReplicasTakeOverOnSIGKILL(t *testing.T) {
	ctx := context.Background()
	// The shared 4.9.7 broker: the one fewer other tests' groups make slow to poll.
	rmq := stacktest.Broker(t, "4.9.7")
	dbURL := stacktest.DatabaseURL(t)
	pool, err := storage.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// A group whose committed offset moves four times an interval, so that every cycle
	// stores a history point for it.
	const interval = 2 * time.Second
	topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
	stacktest.CreateTopic(t, rmq, topic, 1)
	stacktest.ProduceMany(t, rmq, topic, 1000)
	admin := mqadmin.New(mqadmin.Options{})
	defer admin.Close()
	if err := admin.CreateSubscriptionGroup(ctx, rmq.BrokerAddr, group); err != nil {
		t.Fatal(err)
	}
	moveCtx, stopMoving := context.WithCancel(ctx)
	var moving sync.WaitGroup
	moving.Go(func() {
		tick := time.NewTicker(interval / 4)
		defer tick.Stop()
		for off := int64(1); ; off = off%1000 + 1 {
			if err := admin.UpdateConsumerOffset(moveCtx, rmq.BrokerAddr, group, topic, 0, off); err != nil && moveCtx.Err() == nil {
				t.Errorf("commit %d: %v", off, err)
			}
			select {
			case <-moveCtx.Done():
				return
			case <-tick.C:
			}
		}
	})
	defer func() {
		stopMoving()
		moving.Wait()
	}()

	bin := stacktest.WebBinary(t)
	env := []string{"DATABASE_URL=" + dbURL, "LAGBOARD_CLUSTERS=local=" + rmq.NamesrvAddr, "LAGBOARD_ADDR=127.0.0.1:0",
		"LAGBOARD_ANONYMOUS_READ=true", "LAGBOARD_POLL_INTERVAL=" + interval.String()}
	replicas := []*webReplica{startReplica(t, bin, "a", env), startReplica(t, bin, "b", env)}

	var lead, follow *webReplica
	waitUntil(t, "one replica polling, the other following", 60*time.Second, func() bool {
		a, b := replicas[0].leader("local"), replicas[1].leader("local")
		switch {
		case a == 1 && b == 0:
			lead, follow = replicas[0], replicas[1]
		case a == 0 && b == 1:
			lead, follow = replicas[1], replicas[0]
		}
		return lead != nil
	})
	led := time.Now()
	waitUntil(t, "the group's history growing", 60*time.Second, func() bool {
		at, _ := groupPoints(t, pool, group)
		return len(at) >= 4 && at[len(at)-4].After(led)
	})
	// The follower is a whole dashboard: ready, serving pages, and nothing to complain of.
	if status, body := follow.get("/readyz"); status != http.StatusOK {
		t.Errorf("follower /readyz: %d %s", status, body)
	}
	if status, _ := follow.get("/"); status != http.StatusOK {
		t.Errorf("follower overview: %d", status)
	}
	if status, body := follow.get("/metrics"); status != http.StatusOK || !strings.Contains(body, `lagboard_group_data_age_seconds{cluster="local",group="`+group+`"}`) {
		t.Errorf("follower /metrics: %d, without the group's data age", status)
	}
	levels := logLevels(t, follow.proc.LogPath())
	if bad := append(levels["WARN"], levels["ERROR"]...); len(bad) > 0 {
		t.Errorf("the follower complains: %q", bad)
	}
	if !strings.Contains(strings.Join(levels["INFO"], "\n"), "not polling the cluster: another replica holds its lock") {
		t.Errorf("the follower did not log that another replica polls: %q", levels["INFO"])
	}

	killed := time.Now()
	if err := lead.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-lead.proc.Done()
	waitUntil(t, "the follower polling", 10*interval, func() bool { return follow.leader("local") == 1 })
	tookOver := time.Since(killed)
	var firstStored time.Duration
	waitUntil(t, "a cycle stored by the new leader", 10*interval, func() bool {
		var polled time.Time
		if err := pool.QueryRow(ctx, `SELECT polled_at FROM group_state WHERE group_name = $1`, group).Scan(&polled); err != nil {
			t.Fatal(err)
		}
		firstStored = polled.Sub(killed)
		return polled.After(killed)
	})
	waitUntil(t, "three cycles of the new leader in the history", 20*interval, func() bool {
		at, _ := groupPoints(t, pool, group)
		return len(at) >= 3 && at[len(at)-3].After(killed)
	})
	stopMoving()
	moving.Wait()
	t.Logf("killed the leader; the follower said it polls %s later, and its first cycle began %s after the kill (interval %s)",
		tookOver.Round(time.Millisecond), firstStored.Round(time.Millisecond), interval)
	if tookOver > interval {
		t.Errorf("the follower took %s to take over, more than an interval (%s)", tookOver, interval)
	}

	// History: every point once; no gap longer than an interval and a cycle (its deadline,
	// 80% of the interval), across the kill or anywhere else.
	at, twice := groupPoints(t, pool, group)
	if twice != 0 {
		t.Errorf("%d history points stored twice", twice)
	}
	limit := interval + interval*8/10
	var widest, across time.Duration
	for i := 1; i < len(at); i++ {
		gap := at[i].Sub(at[i-1])
		widest = max(widest, gap)
		if !at[i-1].After(killed) && at[i].After(killed) {
			across = gap
		}
		if gap > limit {
			t.Errorf("no history between %s and %s: %s, more than %s", at[i-1].Format(time.StampMilli), at[i].Format(time.StampMilli), gap, limit)
		}
	}
	t.Logf("%d history points; widest gap %s, across the kill %s (limit %s)", len(at), widest.Round(time.Millisecond),
		across.Round(time.Millisecond), limit)
	var minutesTwice int
	if err := pool.QueryRow(ctx, `
		SELECT count(*) FROM (
			SELECT 1 FROM topic_minute m JOIN topic_series s ON s.id = m.series_id WHERE s.group_name = $1
			GROUP BY m.series_id, date_trunc('minute', m.at) HAVING count(*) > 1) d`, group).Scan(&minutesTwice); err != nil {
		t.Fatal(err)
	}
	if minutesTwice != 0 {
		t.Errorf("%d minutes with two per-minute points of the group's topic", minutesTwice)
	}
}
