package reset_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestRefusals checks that each rule of the workflow refuses, changes nothing, and leaves a
// denied or refused entry in the audit trail where someone tried.
func TestRefusals(t *testing.T) {
	e := newEnv(t, stacktest.Broker(t, stacktest.Versions(t)[0]), func(o *reset.Options) {
		o.Approvals = []reset.ApprovalRule{{Cluster: "local", Group: "g-*TwoApprovals*", Count: 2}}
	})
	tp := newTopic(t, e, 2)
	tp.produce(t, e, 20)
	newSpec := func(t *testing.T) reset.Spec {
		return reset.Spec{Cluster: "local", Group: e.group(t, tp, tp.max), Topic: tp.name, Kind: reset.ToEarliest}
	}
	request := func(t *testing.T, spec reset.Spec) reset.Request {
		t.Helper()
		r, err := e.svc.Create(e.ctx, operator, spec, "replay", "")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	wantCode := func(t *testing.T, err error, code, text string) {
		t.Helper()
		if errcode.Code(err) != code || !strings.Contains(errcode.Message(err), text) {
			t.Fatalf("error %v (message %q), want %s saying %q", err, errcode.Message(err), code, text)
		}
	}
	wantState := func(t *testing.T, id string, s reset.State) {
		t.Helper()
		r, err := e.svc.Get(e.ctx, id)
		if err != nil || r.State != s {
			t.Fatalf("request state %s, %v; want %s", r.State, err, s)
		}
	}

	t.Run("self-approval", func(t *testing.T) {
		r, err := e.svc.Create(e.ctx, lead, newSpec(t), "replay", "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Decide(e.ctx, lead, r.ID, true, "")
		wantCode(t, err, errcode.Forbidden, "someone else must approve")
		wantState(t, r.ID, reset.Pending)
		if n := e.entries(t, r.ID)["reset.approved:denied"]; n != 1 {
			t.Errorf("denied approvals in the audit trail: %d, want 1", n)
		}
	})
	t.Run("approver out of scope", func(t *testing.T) {
		r := request(t, newSpec(t))
		outsider := scopedPerson("oscar", "billing-*", auth.RoleApprover)
		_, err := e.svc.Decide(e.ctx, outsider, r.ID, true, "")
		wantCode(t, err, errcode.Forbidden, "may not do this")
		wantState(t, r.ID, reset.Pending)
	})
	t.Run("viewer and operator may not approve", func(t *testing.T) {
		r := request(t, newSpec(t))
		for _, who := range []reset.Who{viewer, person("olga", auth.RoleOperator)} {
			_, err := e.svc.Decide(e.ctx, who, r.ID, true, "")
			wantCode(t, err, errcode.Forbidden, "may not do this")
		}
		wantState(t, r.ID, reset.Pending)
	})
	t.Run("viewer may not request", func(t *testing.T) {
		_, err := e.svc.Create(e.ctx, viewer, newSpec(t), "replay", "")
		wantCode(t, err, errcode.Forbidden, "may not do this")
	})
	t.Run("execute without approval", func(t *testing.T) {
		r := request(t, newSpec(t))
		_, err := e.svc.Execute(e.ctx, operator, r.ID)
		wantCode(t, err, errcode.Conflict, "0 of the 1 approval it needs")
		wantState(t, r.ID, reset.Pending)
		if n := e.entries(t, r.ID)["reset.started:denied"]; n != 1 {
			t.Errorf("denied executions in the audit trail: %d, want 1", n)
		}
	})
	t.Run("execute by someone else", func(t *testing.T) {
		r := e.approved(t, newSpec(t))
		_, err := e.svc.Execute(e.ctx, person("olga", auth.RoleOperator), r.ID)
		wantCode(t, err, errcode.Forbidden, "requested this reset, or one of its approvers")
		wantState(t, r.ID, reset.Approved)
	})
	t.Run("two approvals needed", func(t *testing.T) {
		spec := reset.Spec{Cluster: "local", Group: e.groupNamed(t, "g-TwoApprovals", tp, tp.max), Topic: tp.name, Kind: reset.ToEarliest}
		r := request(t, spec)
		if r.RequiredApprovals != 2 {
			t.Fatalf("required approvals %d, want 2", r.RequiredApprovals)
		}
		if r, _ = e.svc.Decide(e.ctx, approver, r.ID, true, ""); r.State != reset.Pending {
			t.Fatalf("after one approval: %s", r.State)
		}
		_, err := e.svc.Decide(e.ctx, approver, r.ID, true, "")
		wantCode(t, err, errcode.Conflict, "already decided")
		if r, _ = e.svc.Decide(e.ctx, approver2, r.ID, true, ""); r.State != reset.Approved {
			t.Fatalf("after two approvals: %s", r.State)
		}
	})
	t.Run("second open request", func(t *testing.T) {
		spec := newSpec(t)
		first := request(t, spec)
		_, err := e.svc.Create(e.ctx, operator, spec, "again", "")
		wantCode(t, err, errcode.Conflict, "/resets/"+first.ID)
	})
	t.Run("expired", func(t *testing.T) {
		r := e.approved(t, newSpec(t))
		e.clock.Set(r.ExpiresAt.Add(time.Second))
		defer e.clock.Set(time.Time{})
		_, err := e.svc.Execute(e.ctx, operator, r.ID)
		wantCode(t, err, errcode.Conflict, "expired")
		wantState(t, r.ID, reset.Expired)
		if n := e.entries(t, r.ID)["reset.expired:success"]; n != 1 {
			t.Errorf("expiry entries: %d, want 1", n)
		}
	})
	t.Run("drift beyond tolerance", func(t *testing.T) {
		spec := newSpec(t)
		r := e.approved(t, spec)
		if err := e.admin.UpdateConsumerOffset(e.ctx, e.r.BrokerAddr, spec.Group, tp.name, 0, tp.max[0]-6); err != nil {
			t.Fatal(err)
		}
		e.waitCommitted(t, spec.Group, tp.name, map[int]int64{0: tp.max[0] - 6})
		_, err := e.svc.Execute(e.ctx, operator, r.ID)
		wantCode(t, err, errcode.Conflict, "has moved since the preview")
		wantState(t, r.ID, reset.Refused)
		if got := e.committed(t, spec.Group, tp.name); got[1] != tp.max[1] {
			t.Errorf("queue 1 committed %d after a refused reset, want %d untouched", got[1], tp.max[1])
		}
		if n := e.entries(t, r.ID)["reset.refused:failure"]; n != 1 {
			t.Errorf("refusal entries: %d, want 1", n)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		r := request(t, newSpec(t))
		_, err := e.svc.Cancel(e.ctx, person("olga", auth.RoleOperator), r.ID, "")
		wantCode(t, err, errcode.Forbidden, "Only the person who requested")
		if r, err = e.svc.Cancel(e.ctx, operator, r.ID, "wrong group"); err != nil || r.State != reset.Cancelled {
			t.Fatalf("cancel by the requester: %s, %v", r.State, err)
		}
		_, err = e.svc.Decide(e.ctx, approver, r.ID, true, "")
		wantCode(t, err, errcode.Conflict, "cancelled")
	})
	t.Run("unknown request", func(t *testing.T) {
		for _, id := range []string{"nope", "00000000-0000-4000-8000-000000000000"} {
			_, err := e.svc.Execute(e.ctx, operator, id)
			wantCode(t, err, errcode.NotFound, "no reset request")
		}
	})
}

// TestExecuteOnce presses execute twice at once, as the requester and the approver: the
// reset runs once, and the other caller is told it already ran.
func TestExecuteOnce(t *testing.T) {
	e := newEnv(t, stacktest.Broker(t, stacktest.Versions(t)[0]), nil)
	tp := newTopic(t, e, 2)
	tp.produce(t, e, 10)
	spec := reset.Spec{Cluster: "local", Group: e.group(t, tp, tp.max), Topic: tp.name, Kind: reset.ToEarliest}
	r := e.approved(t, spec)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, who := range []reset.Who{operator, approver} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.Execute(e.ctx, who, r.ID)
		}()
	}
	wg.Wait()
	ok, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errcode.Code(err) == errcode.Conflict:
			conflicts++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Fatalf("%d executions succeeded and %d were refused, want 1 and 1: %v", ok, conflicts, errs)
	}
	n := e.entries(t, r.ID)
	if n["reset.started:success"] != 1 || n["reset.executed:success"] != 1 {
		t.Fatalf("audit entries %v, want one start and one execution", n)
	}
}

// TestAuditFailureRollsBack makes the audit trail refuse the approval's entry: the approval
// does not happen.
func TestAuditFailureRollsBack(t *testing.T) {
	e := newEnv(t, stacktest.Broker(t, stacktest.Versions(t)[0]), nil)
	tp := newTopic(t, e, 1)
	tp.produce(t, e, 3)
	spec := reset.Spec{Cluster: "local", Group: e.group(t, tp, tp.max), Topic: tp.name, Kind: reset.ToEarliest}
	r, err := e.svc.Create(e.ctx, operator, spec, "replay", "")
	if err != nil {
		t.Fatal(err)
	}
	var db string
	if err := e.pool.QueryRow(e.ctx, `SELECT current_database()`).Scan(&db); err != nil {
		t.Fatal(err)
	}
	su, err := pgx.Connect(e.ctx, stacktest.SuperuserURL(t, db))
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close(context.Background())
	if _, err := su.Exec(e.ctx, `
		CREATE FUNCTION refuse_approvals() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.action = 'reset.approved' THEN RAISE EXCEPTION 'audit store refuses'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse_approvals BEFORE INSERT ON audit_entry FOR EACH ROW EXECUTE FUNCTION refuse_approvals();`); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Decide(e.ctx, approver, r.ID, true, ""); err == nil {
		t.Fatal("the approval went through without its audit entry")
	}
	got, err := e.svc.Get(e.ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != reset.Pending || len(got.Decisions) != 0 {
		t.Fatalf("after a failed audit write: state %s, decisions %+v; want pending and none", got.State, got.Decisions)
	}
}
