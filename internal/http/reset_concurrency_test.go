package http

import (
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestResetExecutesOnceUnderConcurrentPosts has the requester and the approver press
// Execute at the same moment: exactly one execution starts and finishes, the other is told
// the reset already ran (409), and the broker holds the frozen targets.
func TestResetExecutesOnceUnderConcurrentPosts(t *testing.T) {
	e := newResetEnv(t, 0)
	g := e.seedGroup(t)
	operator, approver := e.user(t, "operator"), e.user(t, "approver")
	id := requestID(t, e.post(t, operator, "/resets", g.form("Replay after the deploy")))
	if p := e.post(t, approver, "/resets/"+id+"/approve", nil); p.status != http.StatusSeeOther {
		t.Fatalf("approve: %d: %.300s", p.status, p.body)
	}
	if e.get(t, approver, "/resets/"+id).doc.Find(`[data-testid="execute"]`).Length() != 1 {
		t.Error("the approver is not offered to execute the request they approved")
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	errs := make([]error, 2)
	for i, c := range []*http.Client{operator, approver} {
		wg.Go(func() {
			<-start
			statuses[i], errs[i] = postStatus(c, e.URL+"/resets/"+id+"/execute", e.URL)
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(statuses)
	if statuses[0] != http.StatusSeeOther || statuses[1] != http.StatusConflict {
		t.Fatalf("statuses %v, want one 303 and one 409", statuses)
	}
	if n := e.auditCount(t, id, "reset.started", "success"); n != 1 {
		t.Errorf("%d executions started", n)
	}
	var executed int
	if err := e.pool.QueryRow(testCtx(t), `SELECT count(*) FROM audit_entry
		WHERE action = 'reset.executed' AND (parameters::jsonb) ->> 'reset_id' = $1`, id).Scan(&executed); err != nil {
		t.Fatal(err)
	}
	if executed != 1 {
		t.Errorf("%d reset.executed entries", executed)
	}
	if st := e.state(t, id); st != "executed" {
		t.Errorf("request is %s", st)
	}
	req, err := e.svc.Get(testCtx(t), id)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]int64{}
	for _, q := range req.Preview.Queues {
		want[q.QueueID] = q.Target
	}
	if got := e.offsets(t, g); !maps.Equal(got, want) {
		t.Errorf("broker offsets %v, want the frozen targets %v", got, want)
	}
}

// postStatus posts an empty same-origin form and returns the status; it is safe to call
// from any goroutine.
func postStatus(c *http.Client, target, origin string) (int, error) {
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(""))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Origin", origin)
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("POST %s: %w", target, err)
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}
