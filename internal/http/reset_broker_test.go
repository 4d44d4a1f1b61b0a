package http

import (
	"maps"
	"net/url"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// seededGroup is an offline consumer group on a topic of its own, with a known committed
// offset on every queue.
type seededGroup struct {
	topic, group string
	// committed and max are by queue id, on the test broker.
	committed, max map[int]int64
}

// seedGroup creates a topic of 4 queues, sends 40 messages, creates the group and commits
// half of each queue's messages, then waits until the broker reports those offsets.
func (e *resetEnv) seedGroup(t *testing.T) seededGroup {
	t.Helper()
	g := seededGroup{topic: stacktest.Name(t, "t"), group: stacktest.Name(t, "g"), committed: map[int]int64{}, max: map[int]int64{}}
	stacktest.CreateTopic(t, e.mq, g.topic, 4)
	ctx := testCtx(t)
	if err := e.admin.CreateSubscriptionGroup(ctx, e.mq.BrokerAddr, g.group); err != nil {
		t.Fatalf("create group %s: %v", g.group, err)
	}
	stacktest.Produce(t, e.mq, g.topic, 40)
	stats, err := e.admin.TopicStats(ctx, e.mq.BrokerAddr, g.topic)
	if err != nil {
		t.Fatal(err)
	}
	for mq, o := range stats.Offsets {
		g.max[mq.QueueID] = o.MaxOffset
		g.committed[mq.QueueID] = o.MaxOffset / 2
	}
	for q, off := range g.committed {
		e.commit(t, g, q, off)
	}
	e.waitCommitted(t, g, g.committed)
	return g
}

// commit writes a committed offset of the group on one queue, as a consumer would.
func (e *resetEnv) commit(t *testing.T, g seededGroup, queue int, offset int64) {
	t.Helper()
	if err := e.admin.UpdateConsumerOffset(testCtx(t), e.mq.BrokerAddr, g.group, g.topic, queue, offset); err != nil {
		t.Fatalf("commit %d on queue %d: %v", offset, queue, err)
	}
}

// offsets reads the group's committed offsets from the broker, by queue id.
func (e *resetEnv) offsets(t *testing.T, g seededGroup) map[int]int64 {
	t.Helper()
	cs, err := e.admin.ConsumeStats(testCtx(t), e.mq.BrokerAddr, g.group, g.topic)
	if err != nil {
		t.Fatalf("consume stats of %s: %v", g.group, err)
	}
	out := map[int]int64{}
	for mq, o := range cs.Offsets {
		if mq.Topic == g.topic {
			out[mq.QueueID] = o.ConsumerOffset
		}
	}
	return out
}

// waitCommitted waits until the broker reports want; a commit is applied at once, but the
// deadline keeps a slow broker from failing the test on its first answer.
func (e *resetEnv) waitCommitted(t *testing.T, g seededGroup, want map[int]int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := e.offsets(t, g)
		if maps.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed offsets of %s: %v, want %v", g.group, got, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// form is the request form for the group, to earliest on every queue, unless changed.
func (g seededGroup) form(reason string) url.Values {
	return url.Values{"cluster": {resetCluster}, "group": {g.group}, "topic": {g.topic}, "kind": {"earliest"},
		"scope": {"all"}, "reason": {reason}, "ticket": {"OPS-1"}}
}

// state reads a request's state from the database.
func (e *resetEnv) state(t *testing.T, id string) string {
	t.Helper()
	var st string
	if err := e.pool.QueryRow(testCtx(t), `SELECT state FROM reset_request WHERE id = $1`, id).Scan(&st); err != nil {
		t.Fatalf("state of %s: %v", id, err)
	}
	return st
}

// auditCount counts the audit entries of a request with an action and an outcome.
func (e *resetEnv) auditCount(t *testing.T, id, action, outcome string) int {
	t.Helper()
	var n int
	err := e.pool.QueryRow(testCtx(t), `SELECT count(*) FROM audit_entry
		WHERE action = $1 AND outcome = $2 AND (parameters::jsonb) ->> 'reset_id' = $3`, action, outcome, id).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// requests counts the stored reset requests.
func (e *resetEnv) requests(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(testCtx(t), `SELECT count(*) FROM reset_request`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
