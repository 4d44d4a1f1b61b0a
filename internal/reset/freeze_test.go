package reset_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/freeze"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestChangeFreeze: inside a freeze window covering a group, its reset is requested and
// approved as usual but its execution is refused, as a denied attempt, with a message that
// names the window and when it ends; a group the window does not cover is reset. An
// emergency override needs a stated reason and one more approval, each recorded as such;
// then the reset runs inside the freeze and its start says so. A request of several groups
// of which one is frozen is refused as a whole.
func TestChangeFreeze(t *testing.T) {
	var fs *freeze.Service
	e := newEnv(t, stacktest.Broker(t, stacktest.Versions(t)[0]), func(o *reset.Options) {
		fs = freeze.New(o.Pool, o.Now)
		o.Freezes = fs
	})
	tp := newTopic(t, e, 2)
	tp.produce(t, e, 10)
	frozen, free := e.groupNamed(t, "frozen", tp, tp.max), e.groupNamed(t, "free", tp, tp.max)
	admin := freeze.Who{Actor: audit.Actor{Subject: "ada"}, May: func(p auth.Permission, _ auth.Scope) bool { return p == auth.PermManageFreezes }}
	now := time.Now()
	w, err := fs.Create(e.ctx, admin, freeze.Window{Name: "Black Friday", Clusters: []string{"local"}, Groups: []string{"frozen-*"},
		Kind: freeze.Once, Start: now.Add(-time.Minute), End: now.Add(2 * time.Hour), Zone: "Europe/Paris"})
	if err != nil {
		t.Fatal(err)
	}
	spec := func(g string) reset.Spec {
		return reset.Spec{Cluster: "local", Group: g, Topic: tp.name, Kind: reset.ToEarliest}
	}

	r := e.approved(t, spec(frozen)) // requests and approvals go on
	_, err = e.svc.Execute(e.ctx, operator, r.ID)
	if errcode.Code(err) != errcode.Conflict || !strings.Contains(errcode.Message(err), `Change freeze "Black Friday" is in force`) ||
		!strings.Contains(errcode.Message(err), w.End.UTC().Format("2006-01-02 15:04 UTC")) {
		t.Fatalf("execution inside the freeze: %v (%q)", err, errcode.Message(err))
	}
	if got := e.committed(t, frozen, tp.name); !sameOffsets(got, tp.max) {
		t.Fatalf("offsets moved inside the freeze: %v", got)
	}
	if n := e.entries(t, r.ID)["reset.started:denied"]; n != 1 {
		t.Errorf("denied executions: %d, want 1", n)
	}

	other := e.approved(t, spec(free))
	if done, err := e.svc.Execute(e.ctx, operator, other.ID); err != nil || done.State != reset.Executed {
		t.Fatalf("a group outside the window: %v", err)
	}

	if _, err := e.svc.Override(e.ctx, operator, r.ID, "  "); errcode.Code(err) != errcode.Invalid {
		t.Errorf("override without a reason: %v", err)
	}
	if _, err := e.svc.Override(e.ctx, viewer, r.ID, "because"); errcode.Code(err) != errcode.Forbidden {
		t.Errorf("override by a viewer: %v", err)
	}
	r, err = e.svc.Override(e.ctx, operator, r.ID, "orders stuck since 09:12, customers charged twice")
	if err != nil {
		t.Fatal(err)
	}
	if r.State != reset.Pending || r.RequiredApprovals != 2 || r.OverrideReason == "" || r.OverrideWindows != `"Black Friday"` {
		t.Fatalf("after the override: %s, %d approvals needed, %+v", r.State, r.RequiredApprovals, r)
	}
	if _, err := e.svc.Override(e.ctx, operator, r.ID, "again"); errcode.Code(err) != errcode.Conflict {
		t.Errorf("a second override: %v", err)
	}
	if _, err := e.svc.Execute(e.ctx, operator, r.ID); errcode.Code(err) != errcode.Conflict || !strings.Contains(errcode.Message(err), "1 of the 2 approvals") {
		t.Errorf("execution before the override's approval: %v", err)
	}
	if _, err := e.svc.Decide(e.ctx, approver, r.ID, true, ""); errcode.Code(err) != errcode.Conflict {
		t.Errorf("the first approver approves again: %v", err)
	}
	if r, err = e.svc.Decide(e.ctx, approver2, r.ID, true, "agreed, go"); err != nil || r.State != reset.Approved {
		t.Fatalf("override approval: %v", err)
	}
	done, err := e.svc.Execute(e.ctx, operator, r.ID)
	if err != nil || done.State != reset.Executed {
		t.Fatalf("execution by override: %v", err)
	}
	if got := e.committed(t, frozen, tp.name); !sameOffsets(got, map[int]int64{0: 0, 1: 0}) {
		t.Errorf("offsets after the override: %v", got)
	}
	n := e.entries(t, r.ID)
	for _, k := range []string{"reset.override_requested:success", "reset.override_approved:success", "reset.override_requested:denied", "reset.started:success"} {
		if n[k] != 1 {
			t.Errorf("%s: %d entries, want 1 (%v)", k, n[k], n)
		}
	}
	var params string
	if err := e.pool.QueryRow(e.ctx, `SELECT parameters FROM audit_entry WHERE action = 'reset.started' AND outcome = 'success'
		AND (parameters::jsonb) ->> 'reset_id' = $1`, r.ID).Scan(&params); err != nil || !strings.Contains(params, `"freeze_override"`) ||
		!strings.Contains(params, "customers charged twice") {
		t.Errorf("the start does not say it overrode the freeze: %s, %v", params, err)
	}

	if _, err := e.svc.Override(e.ctx, operator, e.approved(t, spec(e.groupNamed(t, "free", tp, tp.max))).ID, "no freeze here"); errcode.Code(err) != errcode.Invalid {
		t.Errorf("override outside any freeze: %v", err)
	}

	items, err := e.svc.CreateBatch(e.ctx, operator, []reset.Spec{spec(e.groupNamed(t, "free", tp, tp.max)), spec(e.groupNamed(t, "frozen", tp, tp.max))}, "both", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Decide(e.ctx, approver, items[0].ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Execute(e.ctx, operator, items[0].ID); errcode.Code(err) != errcode.Conflict || !strings.Contains(errcode.Message(err), "Black Friday") {
		t.Errorf("a request of several groups, one frozen: %v", err)
	}
	got, _ := e.svc.Items(e.ctx, items[0])
	if reset.Overall(got) != reset.Approved {
		t.Errorf("after the refusal: %s", reset.Overall(got))
	}
}
