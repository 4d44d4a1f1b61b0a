package reset_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// watcher reads a group's committed offsets every 100 ms, on its own, and remembers when
// each queue first showed an offset Lagboard did not write: a commit by a client.
type watcher struct {
	mu    sync.Mutex
	first map[int]time.Time
	seen  map[int][]int64
	errs  []string
}

func watch(t *testing.T, e *env, group, topic string, wrote map[int]int64) *watcher {
	t.Helper()
	w := &watcher{first: map[int]time.Time{}, seen: map[int][]int64{}}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			st, err := e.admin.ConsumeStats(ctx, e.r.BrokerAddr, group, topic)
			now := time.Now()
			w.mu.Lock()
			if err != nil && ctx.Err() == nil {
				w.errs = append(w.errs, err.Error())
			}
			for mq, o := range st.Offsets {
				q := mq.QueueID
				if mq.Topic != topic {
					continue
				}
				if s := w.seen[q]; len(s) == 0 || s[len(s)-1] != o.ConsumerOffset {
					w.seen[q] = append(w.seen[q], o.ConsumerOffset)
				}
				if _, ok := w.first[q]; !ok && o.ConsumerOffset != wrote[q] {
					w.first[q] = now
				}
			}
			w.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

// TestVerificationWaitsForTheClientsCommit resets a group while its real rocketmq-client-go
// consumer runs, with a window long enough that only a commit by the client can end the
// wait: the request must not be verified before a watcher of its own, reading the broker
// every 100 ms, has seen the client commit after the reset, on every queue. 5.x brokers
// write the offsets at once and the client follows at its next pull (often committing the
// offset it had first); 4.x brokers hand the reset to the client, which commits it.
func TestVerificationWaitsForTheClientsCommit(t *testing.T) {
	t.Parallel()
	for _, v := range stacktest.Versions(t) {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, stacktest.Broker(t, v), func(o *reset.Options) { o.VerifyWindow = 10 * time.Minute })
			tp := newTopic(t, e, 2)
			tp.produce(t, e, 10)
			group := e.group(t, tp, nil)
			// A second a message: the client reads the queues again for ten seconds after it
			// takes the reset, so its commits below the old offset show for that long. Faster,
			// they can pass between two readings of a verifier slowed by a loaded broker, and
			// then no reading shows the client taking the reset.
			c := stacktest.Consume(t, e.r, group, tp.name, stacktest.ConsumerOptions{Delay: time.Second})
			e.waitCommitted(t, group, tp.name, tp.max)
			c.WaitReceived(t, 10, time.Minute)

			req := e.approved(t, reset.Spec{Cluster: "local", Group: group, Topic: tp.name, Kind: reset.ToEarliest})
			done, err := e.svc.Execute(e.ctx, operator, req.ID)
			if err != nil {
				t.Fatal(err)
			}
			// What Lagboard itself leaves on the broker: the targets on the server path, the
			// old offsets while the clients have not committed a reset handed to them.
			wrote := map[int]int64{}
			for _, q := range done.Outcome.Queues {
				wrote[q.QueueID] = q.Target
				if q.Path == reset.PathClient {
					wrote[q.QueueID] = q.Before
				}
				if len(q.Clients) != 1 || q.Owner != q.Clients[0] {
					t.Fatalf("outcome of %s: clients %v owner %q; want the one consumer, owning it", q.QueueRef, q.Clients, q.Owner)
				}
			}
			w := watch(t, e, group, tp.name, wrote)
			t.Cleanup(func() {
				if t.Failed() {
					w.mu.Lock()
					defer w.mu.Unlock()
					t.Logf("outcome %+v; the watcher saw %v, first commits %v, errors %v", done.Outcome.Queues, w.seen, w.first, w.errs)
				}
			})
			got := e.waitVerified(t, req.ID)
			w.mu.Lock()
			defer w.mu.Unlock()
			if got.State != reset.Verified {
				t.Fatalf("verification: %s %+v (the watcher saw %v)", got.State, got.Verification, w.seen)
			}
			for q := range tp.max {
				first, ok := w.first[q]
				switch {
				case !ok:
					t.Errorf("queue %d: verified at %s, and the client was never seen committing (seen %v)", q, got.VerifiedAt, w.seen[q])
				case got.VerifiedAt.Before(first):
					t.Errorf("queue %d: verified at %s, before the client's first commit, seen at %s", q, got.VerifiedAt, first)
				}
			}
			for _, q := range got.Verification.Queues {
				if q.AdoptedAt == nil || len(q.Log) < 2 {
					t.Errorf("queue %s: adopted at %v, log %+v", q.QueueRef, q.AdoptedAt, q.Log)
				}
			}
			t.Logf("watcher saw %v; verified %s after the execution", w.seen, got.VerifiedAt.Sub(done.Outcome.At).Round(time.Second))
		})
	}
}

// TestVerificationShowsAStaleCommit skips a group's backlog while its real consumer is
// online (stuck on its first message), then commits the old offset itself, as a client that
// has not learned of the reset does, once the broker accepts it. The verification log and
// the audit entry that concludes it show the revert, with the client named, and the
// request is verified only after the client has put the new offset back.
func TestVerificationShowsAStaleCommit(t *testing.T) {
	t.Parallel()
	for _, v := range stacktest.Versions(t) {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, stacktest.Broker(t, v), func(o *reset.Options) { o.DriftTolerance = 1000 })
			tp := newTopic(t, e, 1)
			tp.produce(t, e, 10)
			group := e.group(t, tp, map[int]int64{0: 0})
			stacktest.Consume(t, e.r, group, tp.name, stacktest.ConsumerOptions{Stuck: true})
			client := e.onlineClient(t, group)

			req := e.approved(t, reset.Spec{Cluster: "local", Group: group, Topic: tp.name, Kind: reset.ToLatest})
			if _, err := e.svc.Execute(e.ctx, operator, req.ID); err != nil {
				t.Fatal(err)
			}
			// Once the verifier has seen the queue keep the reset, commit the old offset. A 5.x
			// broker ignores commits to a reset queue until the client's next pull, so commit
			// it until the verifier has seen it go back.
			deadline := time.Now().Add(2 * time.Minute)
			for {
				if err := e.svc.VerifyDue(e.ctx); err != nil {
					t.Fatal(err)
				}
				r, err := e.svc.Get(e.ctx, req.ID)
				if err != nil {
					t.Fatal(err)
				}
				if revert, ok := reverted(r); ok {
					if revert.By != client {
						t.Fatalf("revert %+v; want it named after the client %s", revert, client)
					}
					if r.State == reset.Verified {
						t.Fatalf("verified while the broker holds the old offset: %+v", r.Verification)
					}
					break
				}
				if r.State != reset.Executed {
					t.Fatalf("concluded %s before any revert: %+v", r.State, r.Verification)
				}
				if v := r.Verification; v != nil && v.Queues[0].Honoured {
					if err := e.admin.UpdateConsumerOffset(e.ctx, e.r.BrokerAddr, group, tp.name, 0, 0); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if time.Now().After(deadline) {
					t.Fatalf("no revert seen in 2 min: %s %+v", r.State, r.Verification)
				}
				time.Sleep(200 * time.Millisecond)
			}
			got := e.waitVerified(t, req.ID)
			if got.State != reset.Verified {
				t.Fatalf("after the client put the offset back: %s %+v", got.State, got.Verification)
			}
			q := got.Verification.Queues[0]
			if q.Seen < tp.max[0] || !q.Honoured {
				t.Fatalf("verified with queue %+v", q)
			}
			var reason string
			var after map[string]struct {
				Log []struct {
					Offset  int64  `json:"offset"`
					Verdict string `json:"verdict"`
					By      string `json:"by"`
				} `json:"log"`
			}
			var raw []byte
			if err := e.pool.QueryRow(e.ctx, `SELECT reason, after FROM audit_entry
				WHERE action = 'reset.verified' AND (parameters::jsonb) ->> 'reset_id' = $1`, req.ID).Scan(&reason, &raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &after); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(reason, "reverted to 0 by "+client) || !strings.Contains(reason, "kept again at") {
				t.Errorf("audit reason %q; want the revert by %s and the moment it was kept again", reason, client)
			}
			found := false
			for _, o := range after[e.r.BrokerName+"/0"].Log {
				found = found || (o.Verdict == "reverted" && o.Offset == 0 && o.By == client)
			}
			if !found {
				t.Errorf("audit entry's observation log %s has no revert to 0 by %s", raw, client)
			}
			var executed string
			if err := e.pool.QueryRow(e.ctx, `SELECT after FROM audit_entry
				WHERE action = 'reset.executed' AND (parameters::jsonb) ->> 'reset_id' = $1`, req.ID).Scan(&executed); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(executed, `"owner":"`+client+`"`) {
				t.Errorf("the execution's audit entry %s does not name %s, online and holding the queue", executed, client)
			}
		})
	}
}

// reverted returns the revert to offset 0 in the request's verification log.
func reverted(r reset.Request) (reset.Observation, bool) {
	if r.Verification == nil {
		return reset.Observation{}, false
	}
	for _, q := range r.Verification.Queues {
		for _, o := range q.Log {
			if o.Verdict == reset.Reverted && o.Offset == 0 {
				return o, true
			}
		}
	}
	return reset.Observation{}, false
}

// onlineClient waits for the group's one client to connect and returns its id.
func (e *env) onlineClient(t *testing.T, group string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		conn, err := e.admin.ConsumerConnections(e.ctx, e.r.BrokerAddr, group)
		if err == nil && len(conn.Connections) == 1 {
			return conn.Connections[0].ClientID
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group's client did not connect in a minute: %v %+v", err, conn)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
