package http

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestResetCopyThroughHTTP copies a source group's offsets onto a seeded group through the
// form: the preview takes three queues from the source and marks the fourth, which the
// source never committed on, as left as it is; after approval and execution the broker
// holds exactly that. An unknown source is refused by name with the form kept, and a
// source the requester may not read is refused with the common 403 and recorded as denied.
func TestResetCopyThroughHTTP(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	operator, approver := e.user(t, "operator"), e.user(t, "approver")
	source := stacktest.Name(t, "src")
	ctx := testCtx(t)
	if err := e.admin.CreateSubscriptionGroup(ctx, e.mq.BrokerAddr, source); err != nil {
		t.Fatal(err)
	}
	fromSource := map[int]int64{0: 1, 1: g.max[1], 2: 3}
	for q, off := range fromSource {
		if err := e.admin.UpdateConsumerOffset(ctx, e.mq.BrokerAddr, source, g.topic, q, off); err != nil {
			t.Fatal(err)
		}
	}
	form := g.form("Start where the old deployment's group stands")
	form.Set("kind", "group")
	form.Set("source", source)

	t.Run("unknown source keeps the form", func(t *testing.T) {
		f := maps.Clone(form)
		missing := stacktest.Name(t, "nobody")
		f.Set("source", missing)
		p := e.post(t, operator, "/resets", f)
		if p.status != http.StatusNotFound || !strings.Contains(p.testID("form-error"), "There is no source group "+missing) {
			t.Errorf("%d %q, want 404 naming the source", p.status, p.testID("form-error"))
		}
		if v, _ := p.doc.Find(`input[name="source"]`).Attr("value"); v != missing {
			t.Errorf("the source field is now %q", v)
		}
		if got := p.doc.Find(`textarea[name="reason"]`).Text(); got != f.Get("reason") {
			t.Errorf("the reason is now %q", got)
		}
		if n := e.requests(t); n != 0 {
			t.Errorf("%d requests stored", n)
		}
	})

	t.Run("source out of sight", func(t *testing.T) {
		narrow := e.user(t, "narrow")
		for _, path := range []string{"/resets/preview", "/resets"} {
			if p := e.post(t, narrow, path, form); p.status != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", path, p.status)
			}
		}
		var n int
		if err := e.pool.QueryRow(testCtx(t), `SELECT count(*) FROM audit_entry WHERE action = 'access_denied'
			AND outcome = 'denied' AND group_name = $1`, source).Scan(&n); err != nil || n != 2 {
			t.Errorf("%d denied entries naming the source, %v; want 2", n, err)
		}
		if n := e.requests(t); n != 0 {
			t.Errorf("%d requests stored", n)
		}
	})

	pv := do(t, operator, http.MethodPost, e.URL+"/resets/preview", form, http.Header{"Hx-Request": {"true"}, "Sec-Fetch-Site": {"same-origin"}})
	left := pv.doc.Find(`[data-testid="preview-row"] [data-testid="left"]`)
	if left.Length() != 1 || left.Closest(`[data-testid="preview-row"]`).AttrOr("data-queue", "") != e.mq.BrokerName+"/3" {
		t.Fatalf("preview: %d queues left as they are, want queue 3 alone: %.600s", left.Length(), pv.body)
	}
	id := requestID(t, e.post(t, operator, "/resets", form))
	if p := e.get(t, approver, "/resets/"+id); !strings.Contains(p.testID("target"), "to the offsets of "+source) {
		t.Errorf("the request page says the target is %q", p.testID("target"))
	}
	if p := e.post(t, approver, "/resets/"+id+"/approve", nil); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d: %.300s", p.status, p.body)
	}
	if p := e.post(t, operator, "/resets/"+id+"/execute", nil); p.status != http.StatusSeeOther {
		t.Fatalf("execute: %d: %.500s", p.status, p.body)
	}
	want := maps.Clone(fromSource)
	want[3] = g.committed[3]
	if got := e.offsets(t, g); !maps.Equal(got, want) {
		t.Errorf("broker offsets %v, want %v", got, want)
	}
	done := e.get(t, operator, "/resets/"+id)
	if done.doc.Find(`[data-testid="outcome-row"][data-queue="`+e.mq.BrokerName+`/3"] [data-testid="outcome-left"]`).Length() != 1 {
		t.Errorf("the outcome does not say queue 3 was left: %.300s", done.body)
	}
}
