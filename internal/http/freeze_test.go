package http

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// freezeForm is the form of a one-off window on the reset tests' cluster, from an hour ago
// for two hours, read in Paris time.
func freezeForm(name, groups string) url.Values {
	paris, _ := time.LoadLocation("Europe/Paris")
	now := time.Now().In(paris)
	return url.Values{"name": {name}, "reason": {"peak sales"}, "clusters": {resetCluster}, "groups": {groups}, "kind": {"once"},
		"start": {now.Add(-time.Hour).Format(freezeLocal)}, "end": {now.Add(2 * time.Hour).Format(freezeLocal)}, "zone": {"Europe/Paris"},
		"from": {"22:00"}, "to": {"06:00"}}
}

// TestFreezeWindowsThroughHTTP manages windows as an administrator: bad input is refused
// with a message and the form as typed; a window is created, changed and deleted, each with
// its audit entry. Others read the list but may not change it, and their attempts are
// recorded as denied.
func TestFreezeWindowsThroughHTTP(t *testing.T) {
	e := newResetEnv(t, 0)
	admin := e.user(t, "admin")
	good := freezeForm("Black Friday", "payments-* refunds-*")

	for name, tt := range map[string]struct {
		change url.Values
		says   string
	}{
		"ends before it starts": {url.Values{"end": {"2020-01-01T09:00"}}, "The window ends (2020-01-01 09:00 CET) before it starts"},
		"unknown zone":          {url.Values{"zone": {"Mars/Olympus"}}, `"Mars/Olympus" is not a time zone`},
		"weekly without days":   {url.Values{"kind": {"weekly"}}, "Choose the days of the week"},
		"not a time of day":     {url.Values{"kind": {"weekly"}, "day": {"sat"}, "to": {"25:00"}}, `"25:00" is not a time of day`},
		"no group":              {url.Values{"groups": {" "}}, "at least one consumer group pattern"},
		"not a date":            {url.Values{"start": {"tomorrow"}}, `The start "tomorrow" is not a date and time`},
	} {
		f := maps.Clone(good)
		maps.Copy(f, tt.change)
		p := e.post(t, admin, "/freezes", f)
		if p.status != http.StatusBadRequest || !strings.Contains(p.testID("form-error"), tt.says) {
			t.Errorf("%s: %d %q, want 400 saying %q", name, p.status, p.testID("form-error"), tt.says)
		}
		for _, field := range []string{"name", "clusters", "groups", "zone", "start", "end"} {
			if v, _ := p.doc.Find(`input[name="` + field + `"]`).Attr("value"); v != strings.TrimSpace(f.Get(field)) {
				t.Errorf("%s: the %s is now %q, want %q", name, field, v, f.Get(field))
			}
		}
		if got := p.doc.Find(`textarea[name="reason"]`).Text(); got != "peak sales" {
			t.Errorf("%s: the reason is now %q", name, got)
		}
	}
	if n := e.freezeEntries(t, "freeze.created"); n != 0 {
		t.Fatalf("%d windows created from bad input", n)
	}

	if p := e.post(t, admin, "/freezes", good); p.status != http.StatusSeeOther || p.header.Get("Location") != "/freezes" {
		t.Fatalf("create: %d to %q: %.400s", p.status, p.header.Get("Location"), p.body)
	}
	list := e.get(t, admin, "/freezes")
	row := list.doc.Find(`[data-testid="freeze-row"]`)
	id, _ := row.Attr("data-id")
	if row.Length() != 1 || row.AttrOr("data-status", "") != "in-force" || !strings.Contains(row.Find(`[data-testid="freeze-when"]`).Text(), "CET") {
		t.Fatalf("list: %d rows, status %q: %.600s", row.Length(), row.AttrOr("data-status", ""), list.body)
	}
	edit := e.get(t, admin, "/freezes/"+id)
	if v, _ := edit.doc.Find(`input[name="groups"]`).Attr("value"); v != "payments-* refunds-*" {
		t.Errorf("the edit form shows groups %q", v)
	}
	weekly := maps.Clone(good)
	weekly.Set("kind", "weekly")
	weekly["day"] = []string{"sat", "sun"}
	weekly.Set("from", "00:00")
	weekly.Set("to", "00:00")
	if p := e.post(t, admin, "/freezes/"+id, weekly); p.status != http.StatusSeeOther {
		t.Fatalf("update: %d: %.400s", p.status, p.body)
	}
	if got := e.get(t, admin, "/freezes").testID("freeze-when"); got != "every Sat, Sun from 00:00 to 00:00 (the whole day), Europe/Paris" {
		t.Errorf("after the change the window is %q", got)
	}

	viewer := e.user(t, "viewer")
	if p := e.get(t, viewer, "/freezes"); p.status != http.StatusOK || p.doc.Find(`[data-testid="freeze-row"]`).Length() != 1 ||
		p.doc.Find(`[data-testid="edit-freeze"], [data-testid="new-freeze"]`).Length() != 0 {
		t.Errorf("the viewer's list: %d, with links to change it", p.status)
	}
	for _, tt := range []struct{ user, path string }{{"viewer", "/freezes"}, {"operator", "/freezes/" + id + "/delete"}, {"far", "/freezes/" + id}} {
		if p := e.post(t, e.user(t, tt.user), tt.path, good); p.status != http.StatusForbidden {
			t.Errorf("%s posts %s: %d", tt.user, tt.path, p.status)
		}
	}
	var denied int
	if err := e.pool.QueryRow(testCtx(t), `SELECT count(*) FROM audit_entry WHERE action = 'access_denied' AND outcome = 'denied'
		AND (parameters::jsonb) ->> 'path' LIKE '/freezes%'`).Scan(&denied); err != nil || denied != 3 {
		t.Errorf("%d denied attempts recorded, %v; want 3", denied, err)
	}

	if p := e.post(t, admin, "/freezes/"+id+"/delete", nil); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d: %.300s", p.status, p.body)
	}
	if p := e.get(t, admin, "/freezes?deleted=Black+Friday"); p.doc.Find(`[data-testid="freeze-row"]`).Length() != 0 || !strings.Contains(p.testID("freeze-deleted"), "Black Friday") {
		t.Errorf("after deletion: %.300s", p.body)
	}
	for _, a := range []string{"freeze.created", "freeze.updated", "freeze.deleted"} {
		if n := e.freezeEntries(t, a); n != 1 {
			t.Errorf("%d %s entries", n, a)
		}
	}
	if p := e.get(t, admin, "/freezes/"+id); p.status != http.StatusNotFound {
		t.Errorf("a deleted window's form: %d", p.status)
	}
}

// TestResetFreezeThroughHTTP: inside a freeze a request is made and approved, but Execute
// answers 409 on the request's page, which names the window and offers the emergency
// override. An override without a reason keeps the page and says so; with one, the request
// waits for a second approval, then runs inside the freeze.
func TestResetFreezeThroughHTTP(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	admin, operator, approver, approver2 := e.user(t, "admin"), e.user(t, "operator"), e.user(t, "approver"), e.user(t, "approver2")
	if p := e.post(t, admin, "/freezes", freezeForm("Black Friday", g.group)); p.status != http.StatusSeeOther {
		t.Fatalf("create the window: %d: %.300s", p.status, p.body)
	}
	id := requestID(t, e.post(t, operator, "/resets", g.form("Replay the orders lost at 09:12")))
	if p := e.post(t, approver, "/resets/"+id+"/approve", nil); p.status != http.StatusSeeOther {
		t.Fatalf("approve inside the freeze: %d", p.status)
	}
	p := e.post(t, operator, "/resets/"+id+"/execute", nil)
	if p.status != http.StatusConflict || !strings.Contains(p.testID("action-error"), `Change freeze "Black Friday" is in force`) {
		t.Fatalf("execute inside the freeze: %d %q", p.status, p.testID("action-error"))
	}
	if p.doc.Find(`[data-testid="override-form"]`).Length() != 1 || !strings.Contains(p.testID("freeze"), "Black Friday") {
		t.Errorf("the page does not offer the override: %.500s", p.body)
	}
	if got := e.offsets(t, g); !maps.Equal(got, g.committed) {
		t.Fatalf("offsets moved inside the freeze: %v", got)
	}
	if n := e.auditCount(t, id, "reset.started", "denied"); n != 1 {
		t.Errorf("%d denied executions", n)
	}
	if e.get(t, approver2, "/resets/"+id).doc.Find(`[data-testid="override-form"]`).Length() != 0 {
		t.Error("someone who may not execute is offered the override")
	}

	long := strings.Repeat("x", 2001)
	p = e.post(t, operator, "/resets/"+id+"/override", url.Values{"reason": {long}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.testID("override-error"), "longer than 2000") ||
		p.doc.Find(`textarea[name="reason"]`).Text() != long {
		t.Errorf("an override reason too long: %d %q", p.status, p.testID("override-error"))
	}
	if p := e.post(t, operator, "/resets/"+id+"/override", url.Values{"reason": {"customers charged twice"}}); p.status != http.StatusSeeOther {
		t.Fatalf("override: %d: %.400s", p.status, p.body)
	}
	page := e.get(t, approver2, "/resets/"+id)
	if page.testID("approvals") != "1 of 2 approvals" || page.testID("override-reason") != "customers charged twice" ||
		page.doc.Find(`[data-testid="approve"]`).Length() != 1 {
		t.Errorf("after the override: %q, %q: %.400s", page.testID("approvals"), page.testID("override-reason"), page.body)
	}
	if p := e.post(t, approver2, "/resets/"+id+"/approve", url.Values{"comment": {"go"}}); p.status != http.StatusSeeOther {
		t.Fatalf("second approval: %d", p.status)
	}
	if p := e.post(t, operator, "/resets/"+id+"/execute", nil); p.status != http.StatusSeeOther {
		t.Fatalf("execute by override: %d: %.400s", p.status, p.body)
	}
	want := map[int]int64{}
	for q := range g.max {
		want[q] = 0
	}
	if got := e.offsets(t, g); !maps.Equal(got, want) {
		t.Errorf("offsets after the override: %v", got)
	}
	for _, a := range []string{"reset.override_requested", "reset.override_approved", "reset.started"} {
		if n := e.auditCount(t, id, a, "success"); n != 1 {
			t.Errorf("%d %s entries", n, a)
		}
	}
}

// freezeEntries counts the audit entries of an action on freeze windows.
func (e *resetEnv) freezeEntries(t *testing.T, action string) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(testCtx(t), `SELECT count(*) FROM audit_entry WHERE action = $1 AND outcome = 'success'`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
