package http

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestResetRefusals tries what the workflow must refuse, through HTTP as each person, and
// checks each answer's status, that the request's state did not move and that the
// broker's offsets are still those committed before.
func TestResetRefusals(t *testing.T) {
	e := newResetEnv(t, 2)
	operator, approver, lead := e.user(t, "operator"), e.user(t, "approver"), e.user(t, "lead")

	// requested creates a request of g as c and checks it is pending.
	requested := func(t *testing.T, c *http.Client, g seededGroup) string {
		t.Helper()
		id := requestID(t, e.post(t, c, "/resets", g.form("Replay after the outage")))
		if st := e.state(t, id); st != "pending" {
			t.Fatalf("new request is %s", st)
		}
		return id
	}
	approved := func(t *testing.T, g seededGroup) string {
		t.Helper()
		id := requested(t, operator, g)
		if p := e.post(t, approver, "/resets/"+id+"/approve", nil); p.status != http.StatusSeeOther {
			t.Fatalf("approve: %d: %.300s", p.status, p.body)
		}
		if st := e.state(t, id); st != "approved" {
			t.Fatalf("approved request is %s", st)
		}
		return id
	}
	// refused checks an answer and that nothing moved.
	refused := func(t *testing.T, p page, status int, id, state string, g seededGroup, offsets map[int]int64) {
		t.Helper()
		if p.status != status {
			t.Errorf("answer %d, want %d: %.400s", p.status, status, p.body)
		}
		if st := e.state(t, id); st != state {
			t.Errorf("request is %s, want %s", st, state)
		}
		if got := e.offsets(t, g); !maps.Equal(got, offsets) {
			t.Errorf("broker offsets %v, want %v", got, offsets)
		}
	}

	t.Run("self-approval", func(t *testing.T) {
		g := e.seedGroup(t)
		id := requested(t, lead, g)
		p := e.post(t, lead, "/resets/"+id+"/approve", url.Values{"comment": {"mine"}})
		refused(t, p, http.StatusForbidden, id, "pending", g, g.committed)
		if n := e.auditCount(t, id, "reset.approved", "denied"); n != 1 {
			t.Errorf("%d denied approval entries", n)
		}
		if e.get(t, lead, "/resets/"+id).doc.Find(`[data-testid="approve"]`).Length() != 0 {
			t.Error("the requester is offered to approve")
		}
	})

	t.Run("approver out of scope", func(t *testing.T) {
		g := e.seedGroup(t)
		id := requested(t, operator, g)
		p := e.post(t, e.user(t, "far"), "/resets/"+id+"/approve", nil)
		refused(t, p, http.StatusForbidden, id, "pending", g, g.committed)
		if n := e.auditCount(t, id, "reset.approved", "denied"); n != 1 {
			t.Errorf("%d denied approval entries", n)
		}
	})

	t.Run("execute without approval", func(t *testing.T) {
		g := e.seedGroup(t)
		id := requested(t, operator, g)
		p := e.post(t, operator, "/resets/"+id+"/execute", nil)
		refused(t, p, http.StatusConflict, id, "pending", g, g.committed)
		if !strings.Contains(p.body, "0 of the 1 approval it needs") {
			t.Errorf("the refusal does not say why: %.400s", p.body)
		}
		if n := e.auditCount(t, id, "reset.started", "denied"); n != 1 {
			t.Errorf("%d denied execution entries", n)
		}
	})

	t.Run("drift beyond tolerance", func(t *testing.T) {
		g := e.seedGroup(t)
		id := approved(t, g)
		moved := maps.Clone(g.committed)
		moved[0] += 3 // the tolerance is 2
		e.commit(t, g, 0, moved[0])
		e.waitCommitted(t, g, moved)
		p := e.post(t, operator, "/resets/"+id+"/execute", nil)
		refused(t, p, http.StatusConflict, id, "refused", g, moved)
		if !strings.Contains(p.body, "Request it again") {
			t.Errorf("the drift refusal does not ask for a fresh request: %.400s", p.body)
		}
		if n := e.auditCount(t, id, "reset.refused", "failure"); n != 1 {
			t.Errorf("%d refusal entries", n)
		}
	})

	t.Run("second open request", func(t *testing.T) {
		g := e.seedGroup(t)
		first := requested(t, operator, g)
		before := e.requests(t)
		p := e.post(t, lead, "/resets", g.form("A second try"))
		refused(t, p, http.StatusConflict, first, "pending", g, g.committed)
		if href, _ := p.doc.Find(`[data-testid="open-request"]`).Attr("href"); href != "/resets/"+first {
			t.Errorf("link to the open request %q, want /resets/%s", href, first)
		}
		if got := p.testID("reason"); got != "A second try" {
			t.Errorf("the form lost the reason: %q", got)
		}
		if n := e.requests(t); n != before {
			t.Errorf("%d requests, was %d", n, before)
		}
	})

	t.Run("viewer posts the form", func(t *testing.T) {
		g := e.seedGroup(t)
		before := e.requests(t)
		p := e.post(t, e.user(t, "viewer"), "/resets", g.form("I only watch"))
		if p.status != http.StatusForbidden || e.requests(t) != before {
			t.Errorf("viewer's request: %d, %d requests (was %d)", p.status, e.requests(t), before)
		}
		if got := e.offsets(t, g); !maps.Equal(got, g.committed) {
			t.Errorf("broker offsets %v, want %v", got, g.committed)
		}
	})

	t.Run("forged cross-origin post", func(t *testing.T) {
		g := e.seedGroup(t)
		before := e.requests(t)
		for name, h := range map[string]http.Header{
			"Sec-Fetch-Site": {"Sec-Fetch-Site": {"cross-site"}},
			"Origin":         {"Origin": {"https://evil.example"}},
		} {
			p := do(t, operator, http.MethodPost, e.URL+"/resets", g.form("forged"), h)
			if p.status != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", name, p.status)
			}
		}
		if n := e.requests(t); n != before {
			t.Errorf("a forged post stored a request: %d, was %d", n, before)
		}
	})

	t.Run("invalid input keeps what was typed", func(t *testing.T) {
		g := e.seedGroup(t)
		before := e.requests(t)
		for name, change := range map[string]url.Values{
			"shift without N":     {"kind": {"shift"}, "by": {""}},
			"time not a time":     {"kind": {"timestamp"}, "time": {"yesterday"}},
			"no queue ticked":     {"scope": {"chosen"}},
			"exact offset a word": {"kind": {"exact"}, "offset.broker-a/0": {"ten"}},
		} {
			f := g.form("Typed with care: line one\nline two")
			maps.Copy(f, change)
			p := e.post(t, operator, "/resets", f)
			if p.status != http.StatusBadRequest || p.testID("form-error") == "" {
				t.Errorf("%s: %d without a message: %.300s", name, p.status, p.body)
			}
			if got := p.doc.Find(`textarea[name="reason"]`).Text(); got != "Typed with care: line one\nline two" {
				t.Errorf("%s: the reason is now %q", name, got)
			}
			if v, _ := p.doc.Find(`input[name="ticket"]`).Attr("value"); v != "OPS-1" {
				t.Errorf("%s: the ticket is now %q", name, v)
			}
		}
		if n := e.requests(t); n != before {
			t.Errorf("invalid input stored a request: %d, was %d", n, before)
		}
	})

	t.Run("unknown names keep what was typed", func(t *testing.T) {
		g := e.seedGroup(t)
		before := e.requests(t)
		missing := stacktest.Name(t, "missing")
		for name, tt := range map[string]struct {
			change url.Values
			says   string
		}{
			"cluster": {url.Values{"cluster": {"nowhere"}}, `There is no cluster "nowhere"`},
			"topic":   {url.Values{"topic": {missing}}, "The topic " + missing + " does not exist in cluster " + resetCluster},
			"group":   {url.Values{"group": {missing}}, "There is no consumer group " + missing + " in cluster " + resetCluster},
		} {
			f := g.form("Typed with care")
			maps.Copy(f, tt.change)
			p := e.post(t, operator, "/resets", f)
			if p.status != http.StatusNotFound || !strings.Contains(p.testID("form-error"), tt.says) {
				t.Errorf("unknown %s: %d %q, want 404 saying %q", name, p.status, p.testID("form-error"), tt.says)
			}
			if got := p.doc.Find(`textarea[name="reason"]`).Text(); got != "Typed with care" {
				t.Errorf("unknown %s: the reason is now %q", name, got)
			}
			for _, field := range []string{"cluster", "group", "topic", "ticket"} {
				// A known cluster or topic is a choice of a list, an unknown one typed.
				el := p.doc.Find(`[name="` + field + `"]`)
				v, _ := el.Attr("value")
				if el.Is("select") {
					v, _ = el.Find("option[selected]").Attr("value")
				}
				if v != f.Get(field) {
					t.Errorf("unknown %s: the %s is now %q, want %q", name, field, v, f.Get(field))
				}
			}
		}
		if n := e.requests(t); n != before {
			t.Errorf("unknown names stored a request: %d, was %d", n, before)
		}
	})

	// Last: it moves the service's clock past every open request's expiry.
	t.Run("expired", func(t *testing.T) {
		g := e.seedGroup(t)
		id := approved(t, g)
		e.clock.Advance(2 * time.Hour)
		p := e.post(t, operator, "/resets/"+id+"/execute", nil)
		refused(t, p, http.StatusConflict, id, "expired", g, g.committed)
		if n := e.auditCount(t, id, "reset.expired", "success"); n != 1 {
			t.Errorf("%d expiry entries", n)
		}
	})

	t.Run("cancel", func(t *testing.T) {
		g := e.seedGroup(t)
		id := requested(t, operator, g)
		refused(t, e.post(t, lead, "/resets/"+id+"/cancel", nil), http.StatusForbidden, id, "pending", g, g.committed)
		if p := e.post(t, operator, "/resets/"+id+"/cancel", url.Values{"comment": {"wrong topic"}}); p.status != http.StatusSeeOther {
			t.Fatalf("cancel by the requester: %d: %.300s", p.status, p.body)
		}
		refused(t, e.post(t, approver, "/resets/"+id+"/approve", nil), http.StatusConflict, id, "cancelled", g, g.committed)
		if n := e.auditCount(t, id, "reset.cancelled", "success"); n != 1 {
			t.Errorf("%d cancellation entries", n)
		}
	})

	t.Run("the form outside one's scope", func(t *testing.T) {
		g := e.seedGroup(t)
		path := "/resets/new?" + url.Values{"cluster": {resetCluster}, "group": {g.group}}.Encode()
		for _, user := range []string{"viewer", "far"} {
			if p := e.get(t, e.user(t, user), path); p.status != http.StatusForbidden {
				t.Errorf("%s opens the request form: %d", user, p.status)
			}
		}
		if p := e.get(t, operator, path); p.status != http.StatusOK {
			t.Errorf("the operator cannot open the form: %d", p.status)
		}
	})
}
