package poller_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// samplePoint is a stored per-queue history point.
type samplePoint struct {
	At       time.Time
	Consumer int64
}

func queueHistory(t *testing.T, db storage.DBTX, clusterID int64, group string) []samplePoint {
	t.Helper()
	rows, err := db.Query(context.Background(), `
		SELECT s.at, s.consumer_offset FROM queue_sample s JOIN queue_series q ON q.id = s.series_id
		WHERE q.cluster_id = $1 AND q.group_name = $2 ORDER BY s.at`, clusterID, group)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[samplePoint])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func minutePoints(t *testing.T, db storage.DBTX, clusterID int64, group string) []time.Time {
	t.Helper()
	rows, err := db.Query(context.Background(), `
		SELECT m.at FROM topic_minute m JOIN topic_series s ON s.id = m.series_id
		WHERE s.cluster_id = $1 AND s.group_name = $2 AND s.topic NOT LIKE '%RETRY%%' ORDER BY m.at`, clusterID, group)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[time.Time])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTakeoverContinuesHistory has one poller watch a group whose offsets stand still, then
// a second poller of the same cluster take over (another replica, or the same one after a
// restart) after the group committed. The history must read as if one poller had watched
// all along: the flat stretch ends where the first poller last saw it, the commit shows
// once, the group's last commit is the takeover's first cycle, and no minute gets a second
// per-minute point.
func TestTakeoverContinuesHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t, stacktest.Versions(t)[0])
	topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
	stacktest.CreateTopic(t, f.rmq, topic, 1)
	stacktest.Produce(t, f.rmq, topic, 10)
	if err := f.admin.CreateSubscriptionGroup(ctx, f.rmq.BrokerAddr, group); err != nil {
		t.Fatal(err)
	}
	f.commit(t, group, topic, map[int]int64{0: 5})

	// Every cycle in one minute of the poller's clock.
	t0 := time.Now().Truncate(time.Minute)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	f.now = at(0)
	f.poll(t)
	f.now = at(10)
	f.poll(t)
	if h := queueHistory(t, f.db, f.clusterID, group); len(h) != 1 || !h[0].At.Equal(at(0)) {
		t.Fatalf("history of the first poller: %v, want its first point only", h)
	}

	f.commit(t, group, topic, map[int]int64{0: 7})
	next := f.newPoller(f.db.(*pgxpool.Pool))
	f.now = at(20)
	if rep := next.PollOnce(ctx); rep.Err != nil {
		t.Fatal(rep.Err)
	}
	f.now = at(30)
	if rep := next.PollOnce(ctx); rep.Err != nil {
		t.Fatal(rep.Err)
	}

	want := []samplePoint{{at(0), 5}, {at(10), 5}, {at(20), 7}}
	got := queueHistory(t, f.db, f.clusterID, group)
	if len(got) != len(want) {
		t.Fatalf("history %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].At.Equal(want[i].At) || got[i].Consumer != want[i].Consumer {
			t.Errorf("point %d: %v, want %v", i, got[i], want[i])
		}
	}
	g := f.group(t, group)
	if g.LastCommitAt == nil || !g.LastCommitAt.Equal(at(20)) {
		t.Errorf("last commit %v, want %s: the takeover's first cycle saw the commit", g.LastCommitAt, at(20))
	}
	queues, err := storage.QueueStates(ctx, f.db, f.clusterID, group)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queues {
		if q.Topic == topic && (q.MovedAt == nil || !q.MovedAt.Equal(at(20))) {
			t.Errorf("queue %d moved at %v, want %s", q.QueueID, q.MovedAt, at(20))
		}
	}
	if m := minutePoints(t, f.db, f.clusterID, group); len(m) != 1 || !m[0].Equal(at(0)) {
		t.Errorf("per-minute points %v, want one, at %s", m, at(0))
	}
}
