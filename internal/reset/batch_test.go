package reset_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestBatchOneGroupFails requests one reset of two groups, each on a topic of its own
// broker, approves it once, stops the second group's broker and executes: the first group
// is reset and verified, the second is not attempted and says why, and the request as a
// whole is partly executed, in its state and in the audit trail.
//
// The failure is a broker stopped between approval and execution, the on-call case this
// feature is for (a broker lost while several groups are being repaired). The test starts
// its own name server and two brokers (without the 5.x proxy, which it does not need) so
// that stopping one leaves the shared stack alone.
func TestBatchOneGroupFails(t *testing.T) {
	t.Parallel()
	for _, v := range stacktest.Versions(t) {
		t.Run(v, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			a, err := stack.StartRocketMQ(ctx, stack.RocketMQOptions{Version: v, NoProxy: true})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Stop() //nolint:errcheck // test teardown
			b, err := stack.StartRocketMQ(ctx, stack.RocketMQOptions{Version: v, NoProxy: true, JoinNamesrv: a.NamesrvAddr, BrokerName: "broker-b"})
			if err != nil {
				t.Fatal(err)
			}
			stopped := false
			defer func() {
				if !stopped {
					b.Stop() //nolint:errcheck // test teardown
				}
			}()
			e := newEnv(t, stacktest.FromStack(a), nil)
			onA := newTopic(t, e, 2)
			onA.produce(t, e, 10)
			groupA := e.group(t, onA, onA.max)

			rb := stacktest.FromStack(b)
			topicB, groupB := stacktest.Name(t, "t-b"), stacktest.Name(t, "g-b")
			stacktest.CreateTopic(t, rb, topicB, 2)
			stacktest.Produce(t, rb, topicB, 6)
			if err := e.admin.CreateSubscriptionGroup(e.ctx, b.BrokerAddr, groupB); err != nil {
				t.Fatal(err)
			}
			for q := range 2 {
				if err := e.admin.UpdateConsumerOffset(e.ctx, b.BrokerAddr, groupB, topicB, q, 1); err != nil {
					t.Fatal(err)
				}
			}

			specs := []reset.Spec{
				{Cluster: "local", Group: groupA, Topic: onA.name, Kind: reset.ToEarliest},
				{Cluster: "local", Group: groupB, Topic: topicB, Kind: reset.ToEarliest},
			}
			items, err := e.svc.CreateBatch(e.ctx, operator, specs, "replay both after the schema fix", "INC-7")
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != 2 || items[1].BatchID != items[0].ID || items[0].Preview.Brokers[0].Name != a.BrokerName || items[1].Preview.Brokers[0].Name != "broker-b" {
				t.Fatalf("items %+v", items)
			}
			if _, err := e.svc.Decide(e.ctx, approver, items[0].ID, true, "both checked"); err != nil {
				t.Fatal(err)
			}
			if err := b.Stop(); err != nil {
				t.Fatal(err)
			}
			stopped = true

			r, err := e.svc.Execute(e.ctx, operator, items[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.svc.Items(e.ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if got[0].State != reset.Executed || got[0].Outcome == nil || got[0].Outcome.NotAttempted != "" {
				t.Fatalf("first group: %s %+v", got[0].State, got[0].Outcome)
			}
			if got[1].State != reset.Failed || got[1].Outcome == nil || !strings.Contains(got[1].Outcome.NotAttempted, topicB) {
				t.Fatalf("second group: %s %+v; want failed, not attempted, naming its topic", got[1].State, got[1].Outcome)
			}
			t.Logf("second group not attempted: %s", got[1].Outcome.NotAttempted)
			if st := reset.Overall(got); st != reset.Partial {
				t.Errorf("the request as a whole is %s, want partial", st)
			}
			if c := e.committed(t, groupA, onA.name); !sameOffsets(c, map[int]int64{0: 0, 1: 0}) {
				t.Errorf("first group's offsets %v, want earliest", c)
			}
			if v := e.waitVerified(t, got[0].ID); v.State != reset.Verified {
				t.Errorf("first group after verification: %s %+v", v.State, v.Verification)
			}
			n0, n1 := e.entries(t, got[0].ID), e.entries(t, got[1].ID)
			for _, k := range []string{"reset.requested:success", "reset.approved:success", "reset.started:success"} {
				if n0[k] != 1 || n1[k] != 1 {
					t.Errorf("%s: %d and %d entries, want one per group", k, n0[k], n1[k])
				}
			}
			if n0["reset.executed:success"] != 1 || n1["reset.executed:failure"] != 1 {
				t.Errorf("execution entries %v and %v", n0, n1)
			}
		})
	}
}

// TestBatchTogether: the groups of one request are approved, rejected, cancelled and expire
// together, a refusal of one refuses all and is recorded once, and each group's reset
// blocks a second request on it, single or not. Requests of several groups accept only
// groups of one cluster, each once, with every queue.
func TestBatchTogether(t *testing.T) {
	t.Parallel()
	e := newEnv(t, stacktest.Broker(t, stacktest.Versions(t)[0]), nil)
	tp := newTopic(t, e, 2)
	tp.produce(t, e, 8)
	pair := func(t *testing.T) []reset.Spec {
		t.Helper()
		return []reset.Spec{
			{Cluster: "local", Group: e.group(t, tp, tp.max), Topic: tp.name, Kind: reset.ToEarliest},
			{Cluster: "local", Group: e.group(t, tp, tp.max), Topic: tp.name, Kind: reset.ToEarliest},
		}
	}
	request := func(t *testing.T, specs []reset.Spec) []reset.Request {
		t.Helper()
		items, err := e.svc.CreateBatch(e.ctx, operator, specs, "replay", "")
		if err != nil {
			t.Fatal(err)
		}
		return items
	}
	states := func(t *testing.T, r reset.Request) []reset.State {
		t.Helper()
		items, err := e.svc.Items(e.ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		var out []reset.State
		for _, it := range items {
			out = append(out, it.State)
		}
		return out
	}
	both := func(t *testing.T, r reset.Request, want reset.State) {
		t.Helper()
		if got := states(t, r); len(got) != 2 || got[0] != want || got[1] != want {
			t.Fatalf("states %v, want both %s", got, want)
		}
	}

	t.Run("approved once, executed, verified each", func(t *testing.T) {
		specs := pair(t)
		items := request(t, specs)
		if _, err := e.svc.Decide(e.ctx, approver, items[1].ID, true, "fine"); err != nil {
			t.Fatal(err)
		}
		both(t, items[0], reset.Approved)
		if _, err := e.svc.Execute(e.ctx, operator, items[0].ID); err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if v := e.waitVerified(t, it.ID); v.State != reset.Verified {
				t.Errorf("%s: %s", it.Group, v.State)
			}
		}
		got, _ := e.svc.Items(e.ctx, items[0])
		if reset.Overall(got) != reset.Verified {
			t.Errorf("overall %s", reset.Overall(got))
		}
		_, err := e.svc.Execute(e.ctx, operator, items[0].ID)
		if errcode.Code(err) != errcode.Conflict {
			t.Errorf("second execution: %v", err)
		}
	})
	t.Run("self-approval refuses all, recorded once", func(t *testing.T) {
		items, err := e.svc.CreateBatch(e.ctx, lead, pair(t), "replay", "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Decide(e.ctx, lead, items[0].ID, true, "")
		if errcode.Code(err) != errcode.Forbidden {
			t.Fatalf("self-approval: %v", err)
		}
		both(t, items[0], reset.Pending)
		if n := e.entries(t, items[0].ID)["reset.approved:denied"] + e.entries(t, items[1].ID)["reset.approved:denied"]; n != 1 {
			t.Errorf("%d denied entries, want 1", n)
		}
	})
	t.Run("rejected together", func(t *testing.T) {
		items := request(t, pair(t))
		if _, err := e.svc.Decide(e.ctx, approver, items[0].ID, false, "not now"); err != nil {
			t.Fatal(err)
		}
		both(t, items[0], reset.Rejected)
	})
	t.Run("cancelled together", func(t *testing.T) {
		items := request(t, pair(t))
		if _, err := e.svc.Cancel(e.ctx, operator, items[1].ID, "wrong groups"); err != nil {
			t.Fatal(err)
		}
		both(t, items[0], reset.Cancelled)
	})
	t.Run("one open group blocks the request", func(t *testing.T) {
		specs := pair(t)
		first, err := e.svc.Create(e.ctx, operator, specs[1], "replay", "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.CreateBatch(e.ctx, operator, specs, "replay", "")
		if errcode.Code(err) != errcode.Conflict || !strings.Contains(errcode.Message(err), "/resets/"+first.ID) {
			t.Fatalf("%v, want a conflict naming %s", err, first.ID)
		}
		var n int
		if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM reset_request WHERE group_name = $1`, specs[0].Group).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d requests stored for the free group, %v", n, err)
		}
	})
	t.Run("refused input", func(t *testing.T) {
		specs := pair(t)
		missing := stacktest.Name(t, "nobody")
		for name, tt := range map[string]struct {
			change func([]reset.Spec) []reset.Spec
			text   string
		}{
			"one group":       {func(s []reset.Spec) []reset.Spec { return s[:1] }, "at least two"},
			"twice":           {func(s []reset.Spec) []reset.Spec { return []reset.Spec{s[0], s[0]} }, "listed twice"},
			"two clusters":    {func(s []reset.Spec) []reset.Spec { s[1].Cluster = "other"; return s }, "same cluster"},
			"exact offsets":   {func(s []reset.Spec) []reset.Spec { s[1].Kind = reset.ToOffsets; return s }, "every queue of each"},
			"unknown group":   {func(s []reset.Spec) []reset.Spec { s[1].Group = missing; return s }, missing + " on " + tp.name + ": There is no consumer group"},
			"chosen queues":   {func(s []reset.Spec) []reset.Spec { s[0].Queues = []reset.QueueRef{{Broker: "b", QueueID: 0}}; return s }, "every queue of each"},
			"a shift of zero": {func(s []reset.Spec) []reset.Spec { s[0].Kind = reset.Shift; return s }, "number of messages to shift by"},
		} {
			_, err := e.svc.CreateBatch(e.ctx, operator, tt.change(append([]reset.Spec(nil), specs...)), "replay", "")
			if err == nil || !strings.Contains(errcode.Message(err), tt.text) {
				t.Errorf("%s: %v (message %q), want it refused saying %q", name, err, errcode.Message(err), tt.text)
			}
		}
	})
	t.Run("expired together", func(t *testing.T) {
		items := request(t, pair(t))
		e.clock.Set(items[0].ExpiresAt.Add(time.Second))
		defer e.clock.Set(time.Time{})
		if err := e.svc.ExpireDue(e.ctx); err != nil {
			t.Fatal(err)
		}
		both(t, items[0], reset.Expired)
	})
}

// ensure the admin client satisfies what the workflow needs, BrokerOffsets included.
var _ reset.Admin = (*mqadmin.Client)(nil)
