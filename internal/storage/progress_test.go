package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestQueueStateWritesOnlyChanges saves the same groups twice, a poll apart. A queue that
// did not move is not written again (its row version stays), yet its lag in time has grown
// with the group's poll; a queue that moved is written; one the group no longer reads goes;
// unknown stays unknown and nothing waiting stays 0. Both ways: compared in Postgres, and
// against what the poller's earlier cycles wrote (KnownQueues).
func TestQueueStateWritesOnlyChanges(t *testing.T) {
	t.Run("compared in Postgres", func(t *testing.T) { testQueueStateWrites(t, nil) })
	t.Run("known", func(t *testing.T) { testQueueStateWrites(t, storage.NewKnownQueues()) })
}

func testQueueStateWrites(t *testing.T, known *storage.KnownQueues) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	stored := t0.Add(-30 * time.Second)
	zero := 0.0
	cycle := func(at time.Time, moved int64, queues int) storage.Cycle {
		age := at.Sub(stored).Seconds()
		g := storage.GroupState{Group: "orders", Topics: []string{"t"}, Health: "OK", LagTimeSource: "exact", PolledAt: at}
		qs := []storage.QueueState{
			{Group: "orders", Topic: "t", Broker: "b", QueueID: 0, MaxOffset: 10, ConsumerOffset: 5, Committed: true,
				LagSince: &stored, LagSeconds: &age, PolledAt: at},
			{Group: "orders", Topic: "t", Broker: "b", QueueID: 1, MaxOffset: 10 + moved, ConsumerOffset: 10 + moved,
				Committed: true, LagSeconds: &zero, PolledAt: at},
			{Group: "orders", Topic: "t", Broker: "b", QueueID: 2, MaxOffset: 7, ConsumerOffset: 3, Committed: true, PolledAt: at},
			{Group: "orders", Topic: "t", Broker: "b", QueueID: 3, MaxOffset: 7, ConsumerOffset: 3, Committed: true, PolledAt: at},
		}
		cy := storage.Cycle{ClusterID: c.ID, At: at, Groups: []storage.GroupState{g}, Queues: qs[:queues], Known: known}
		if moved > 0 {
			// A group first read now, in the same cycle as changes to one read before.
			p := storage.GroupState{Group: "payments", Topics: []string{"t"}, Health: "OK", LagTimeSource: "exact", PolledAt: at}
			cy.Groups = append(cy.Groups, p)
			cy.Queues = append(cy.Queues, storage.QueueState{Group: "payments", Topic: "t", Broker: "b", MaxOffset: 10,
				ConsumerOffset: 10, Committed: true, LagSeconds: &zero, PolledAt: at})
		}
		return cy
	}
	versions := func() map[int32]string {
		t.Helper()
		rows, err := pool.Query(ctx, `SELECT queue_id, xmin::text FROM queue_state WHERE group_name = 'orders'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		out := map[int32]string{}
		for rows.Next() {
			var q int32
			var x string
			if err := rows.Scan(&q, &x); err != nil {
				t.Fatal(err)
			}
			out[q] = x
		}
		return out
	}

	if err := storage.SaveCycle(ctx, pool, cycle(t0, 0, 4)); err != nil {
		t.Fatal(err)
	}
	before := versions()
	t1 := t0.Add(10 * time.Second)
	if err := storage.SaveCycle(ctx, pool, cycle(t1, 5, 3)); err != nil {
		t.Fatal(err)
	}
	after := versions()
	if len(after) != 3 {
		t.Fatalf("queues stored after the second poll: %v, want 0, 1 and 2 (3 no longer read)", after)
	}
	if after[0] != before[0] || after[2] != before[2] {
		t.Errorf("queues 0 and 2 did not change but were written again: %v then %v", before, after)
	}
	if after[1] == before[1] {
		t.Errorf("queue 1 moved but was not written: %v then %v", before, after)
	}

	if qs, err := storage.QueueStates(ctx, pool, c.ID, "payments"); err != nil || len(qs) != 1 {
		t.Errorf("the new group's queues: %+v, %v; want its one queue", qs, err)
	}
	qs, err := storage.QueueStates(ctx, pool, c.ID, "orders")
	if err != nil {
		t.Fatal(err)
	}
	forty := 40.0
	want := []*float64{&forty, &zero, nil}
	for i, q := range qs {
		if !q.PolledAt.Equal(t1) {
			t.Errorf("queue %d polled at %v, want the group's %v", q.QueueID, q.PolledAt, t1)
		}
		switch got := q.LagSeconds; {
		case (got == nil) != (want[i] == nil):
			t.Errorf("queue %d lag in time %v, want %v", q.QueueID, deref(got), deref(want[i]))
		case got != nil && *got != *want[i]:
			t.Errorf("queue %d lag in time %v, want %v", q.QueueID, *got, *want[i])
		}
	}
	if qs[0].LagSince == nil || !qs[0].LagSince.Equal(stored) || qs[1].LagSince != nil {
		t.Errorf("lag counted from %v and %v, want %v and none", qs[0].LagSince, qs[1].LagSince, stored)
	}
}
