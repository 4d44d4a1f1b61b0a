package poller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// TestQuietClients: a client that does not answer its running-info request in time is left
// alone for quietFirst, then twice as long after each new silence up to quietMax; one that
// answers, or fails otherwise, is asked as usual again; one gone offline is forgotten. Its
// report says until when it is left alone.
func TestQuietClients(t *testing.T) {
	t0 := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	conn := func(ids ...string) *mqadmin.ConsumerConnection {
		c := &mqadmin.ConsumerConnection{}
		for _, id := range ids {
			c.Connections = append(c.Connections, mqadmin.Connection{ClientID: id})
		}
		return c
	}
	gt := &groupTrack{}
	round := func(now time.Time, reports map[string]error, online ...string) *groupData {
		g := &groupData{conn: conn(online...), running: map[string]runningReport{}}
		for id, err := range reports {
			g.running[id] = runningReport{err: err}
		}
		updateQuiet(g, gt, now)
		return g
	}
	brokerTimeout := fmt.Errorf("GET_CONSUMER_RUNNING_INFO: %w", mqadmin.ErrConsumeMsgTimeout)
	ownTimeout := fmt.Errorf("GET_CONSUMER_RUNNING_INFO: %w", context.DeadlineExceeded)

	g := round(t0, map[string]error{"silent": ownTimeout, "other": brokerTimeout, "empty": mqadmin.ErrEmptyBody, "fine": nil},
		"silent", "other", "empty", "fine")
	for _, id := range []string{"silent", "other"} {
		q, ok := gt.quiet[id]
		if !ok || q.wait != quietFirst || !q.until.Equal(t0.Add(quietFirst)) {
			t.Fatalf("%s after one silence: %+v (left alone %v), want left alone %v", id, q, ok, quietFirst)
		}
		var quiet *errQuiet
		if !errors.As(g.running[id].err, &quiet) {
			t.Errorf("%s's report %v: want it to say until when it is left alone", id, g.running[id].err)
		}
		if msg := clientError(g.running[id].err, queuesHeld); !strings.Contains(msg, "did not answer in time") || !strings.Contains(msg, "10:02:00 UTC") {
			t.Errorf("%s: shown %q", id, msg)
		}
	}
	for _, id := range []string{"empty", "fine"} {
		if _, ok := gt.quiet[id]; ok {
			t.Errorf("%s left alone: only a client that did not answer in time is", id)
		}
	}

	// Not asked while left alone (fetchRunningInfo reports errQuiet): nothing changes.
	round(t0.Add(time.Minute), map[string]error{"silent": &errQuiet{gt.quiet["silent"]}}, "silent", "other")
	if q := gt.quiet["silent"]; q.wait != quietFirst {
		t.Errorf("left alone for %v after a round it was not asked, want %v still", q.wait, quietFirst)
	}
	// Silent again: twice as long, up to the cap.
	waits := []time.Duration{}
	at := t0
	for range 6 {
		at = gt.quiet["silent"].until
		round(at, map[string]error{"silent": ownTimeout}, "silent", "other")
		waits = append(waits, gt.quiet["silent"].wait)
	}
	want := []time.Duration{4 * time.Minute, 8 * time.Minute, 16 * time.Minute, quietMax, quietMax, quietMax}
	if fmt.Sprint(waits) != fmt.Sprint(want) {
		t.Errorf("left alone %v after each new silence, want %v", waits, want)
	}
	// It answers: asked as usual again. "other" went offline: forgotten.
	round(at.Add(quietMax), map[string]error{"silent": nil}, "silent")
	if len(gt.quiet) != 0 {
		t.Errorf("left alone: %v; want none (one answered, one left)", gt.quiet)
	}
}
