package reset_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// These tests run the workflow against real brokers of every supported version and a real
// Postgres; consumers are real client processes (stacktest.Consume, stacktest.JavaConsumer).

func TestMain(m *testing.M) { stacktest.Main(m) }

// clock is a settable clock for expiry and verification windows.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.now.IsZero() {
		return time.Now()
	}
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// env is one broker, one database and a Service over them.
type env struct {
	r     stacktest.RocketMQ
	pool  *pgxpool.Pool
	admin *mqadmin.Client
	svc   *reset.Service
	clock *clock
	ctx   context.Context
}

func newEnv(t *testing.T, r stacktest.RocketMQ, tune func(*reset.Options)) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	t.Cleanup(cancel)
	admin := mqadmin.New(mqadmin.Options{})
	t.Cleanup(func() { admin.Close() })
	e := &env{r: r, pool: stacktest.DB(t), admin: admin, clock: &clock{}, ctx: ctx}
	o := reset.Options{
		Pool: e.pool, Clusters: []reset.Cluster{{Name: "local", NamesrvAddrs: []string{r.NamesrvAddr}, Admin: admin}},
		DriftTolerance: 5, Now: e.clock.Now, VerifyWindow: time.Minute, VerifySettle: time.Second,
	}
	if tune != nil {
		tune(&o)
	}
	e.svc = reset.New(o)
	return e
}

// person is a user of the workflow with a role everywhere, or within groups matching scope.
func person(subject string, roles ...auth.Role) reset.Who {
	return scopedPerson(subject, "*", roles...)
}

func scopedPerson(subject, groups string, roles ...auth.Role) reset.Who {
	return reset.Who{
		Actor: audit.Actor{Subject: subject, Name: strings.ToUpper(subject[:1]) + subject[1:]},
		May: func(perm auth.Permission, scope auth.Scope) bool {
			if ok, _ := path.Match(groups, scope.Group); !ok {
				return false
			}
			for _, r := range roles {
				if r.Has(perm) {
					return true
				}
			}
			return false
		},
	}
}

var (
	operator  = person("otto", auth.RoleOperator)
	approver  = person("abby", auth.RoleApprover)
	approver2 = person("alex", auth.RoleApprover)
	lead      = person("lea", auth.RoleOperator, auth.RoleApprover)
	viewer    = person("vera", auth.RoleViewer)
)

// topic is a topic with its messages, by queue and offset.
type topic struct {
	name   string
	bodies map[int]map[int64]string // queue id -> offset -> body
	max    map[int]int64
}

func newTopic(t *testing.T, e *env, queues int) *topic {
	t.Helper()
	tp := &topic{name: stacktest.Name(t, "t"), bodies: map[int]map[int64]string{}, max: map[int]int64{}}
	stacktest.CreateTopic(t, e.r, tp.name, queues)
	for q := range queues {
		tp.bodies[q] = map[int64]string{}
	}
	return tp
}

// produce sends n messages and records where each landed.
func (tp *topic) produce(t *testing.T, e *env, n int) []*primitive.SendResult {
	t.Helper()
	sent := stacktest.Produce(t, e.r, tp.name, n)
	for i, s := range sent {
		q := s.MessageQueue.QueueId
		tp.bodies[q][s.QueueOffset] = fmt.Sprintf("message %d", i)
		tp.max[q] = max(tp.max[q], s.QueueOffset+1)
	}
	return sent
}

// between lists the bodies stored from offset from (inclusive) to the end, per queue.
func (tp *topic) between(from map[int]int64) []string {
	var out []string
	for q, bodies := range tp.bodies {
		for off, b := range bodies {
			if off >= from[q] {
				out = append(out, b)
			}
		}
	}
	sort.Strings(out)
	return out
}

// group creates a consumer group whose offsets are committed at the given offsets.
func (e *env) group(t *testing.T, tp *topic, at map[int]int64) string {
	t.Helper()
	return e.groupNamed(t, "g", tp, at)
}

// groupNamed is group with a name starting with prefix.
func (e *env) groupNamed(t *testing.T, prefix string, tp *topic, at map[int]int64) string {
	t.Helper()
	g := stacktest.Name(t, prefix)
	if err := e.admin.CreateSubscriptionGroup(e.ctx, e.r.BrokerAddr, g); err != nil {
		t.Fatal(err)
	}
	for q, off := range at {
		if err := e.admin.UpdateConsumerOffset(e.ctx, e.r.BrokerAddr, g, tp.name, q, off); err != nil {
			t.Fatal(err)
		}
	}
	e.waitCommitted(t, g, tp.name, at)
	return g
}

// committed reads a group's committed offsets on the topic.
func (e *env) committed(t *testing.T, group, topic string) map[int]int64 {
	t.Helper()
	st, err := e.admin.ConsumeStats(e.ctx, e.r.BrokerAddr, group, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int64{}
	for mq, o := range st.Offsets {
		if mq.Topic == topic {
			out[mq.QueueID] = o.ConsumerOffset
		}
	}
	return out
}

// waitCommitted polls until the group's committed offsets are want.
func (e *env) waitCommitted(t *testing.T, group, topic string, want map[int]int64) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		got := e.committed(t, group, topic)
		same := true
		for q, w := range want {
			same = same && got[q] == w
		}
		if same {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed offsets of %s on %s: %v, want %v", group, topic, got, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// approved requests spec as the operator and has it approved.
func (e *env) approved(t *testing.T, spec reset.Spec) reset.Request {
	t.Helper()
	r, err := e.svc.Create(e.ctx, operator, spec, "replay after the fix of INC-42", "INC-42")
	if err != nil {
		t.Fatal(err)
	}
	if r, err = e.svc.Decide(e.ctx, approver, r.ID, true, "checked the preview"); err != nil {
		t.Fatal(err)
	}
	if r.State != reset.Approved {
		t.Fatalf("state after approval: %s", r.State)
	}
	return r
}

// waitState runs the verifier until the request reaches a final state.
func (e *env) waitVerified(t *testing.T, id string) reset.Request {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if err := e.svc.VerifyDue(e.ctx); err != nil {
			t.Fatal(err)
		}
		r, err := e.svc.Get(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.State != reset.Executed && (r.State != reset.Partial || r.VerifiedAt != nil) {
			return r
		}
		if time.Now().After(deadline) {
			v, _ := json.MarshalIndent(r.Verification, "", "  ")
			t.Fatalf("request %s still %s after 2 min; verification:\n%s", id, r.State, v)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// entries counts the audit entries of a request by action and outcome.
func (e *env) entries(t *testing.T, id string) map[string]int {
	t.Helper()
	rows, err := e.pool.Query(e.ctx, `SELECT action || ':' || outcome FROM audit_entry
		WHERE (parameters::jsonb) ->> 'reset_id' = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out[k]++
	}
	return out
}

// mustJSON shows a value in a failure message in full.
func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
