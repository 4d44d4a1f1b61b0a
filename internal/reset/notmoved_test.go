package reset_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestPreviewCountsWhatItDoesNotMove: a reset moves committed offsets only. The preview says
// how many of the group's messages wait in its retry topic and in the brokers' delay queues,
// from the brokers' own records: here one message the consumer refused (now in the retry
// topic) and one sent with a one-minute delay (still in the delay queue).
func TestPreviewCountsWhatItDoesNotMove(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			r := stacktest.Broker(t, version)
			e := newEnv(t, r, nil)
			tp := newTopic(t, e, 2)
			tp.produce(t, e, 4)
			group := stacktest.Name(t, "g")
			c := stacktest.Consume(t, r, group, tp.name, stacktest.ConsumerOptions{RefuseOnce: "message 2"})
			c.WaitConsumed(t, 3, 90*time.Second)
			c.Stop() // the refused message goes back through the delay queue into %RETRY%<group>
			waitFor(t, 60*time.Second, "the refused message in the retry topic", func() error {
				ts, err := e.admin.TopicStats(e.ctx, r.BrokerAddr, "%RETRY%"+group)
				if err != nil {
					return err
				}
				var n int64
				for _, o := range ts.Offsets {
					n += o.MaxOffset
				}
				if n != 1 {
					return fmt.Errorf("%d messages in the retry topic", n)
				}
				return nil
			})
			stacktest.ProduceDelayed(t, r, tp.name, "later", 5)

			p, err := e.svc.Preview(e.ctx, operator, reset.Spec{Cluster: "local", Group: group, Topic: tp.name, Kind: reset.ToEarliest})
			if err != nil {
				t.Fatal(err)
			}
			nm := p.NotMoved
			if nm.Retry == nil || *nm.Retry != 1 || nm.Scheduled == nil || *nm.Scheduled != 1 || nm.ScheduledScanned != nm.ScheduledWaiting {
				t.Fatalf("not moved %+v (retry %v, scheduled %v), want 1 retry and 1 scheduled, every delayed message read",
					nm, nm.Retry, nm.Scheduled)
			}
			var text string
			for _, w := range p.Warnings {
				if w.Code == "not_covered" {
					text = w.Text
				}
			}
			if !strings.Contains(text, "1 message waiting in %RETRY%"+group) || !strings.Contains(text, "1 message not yet due") {
				t.Fatalf("warning %q", text)
			}
		})
	}
}

// waitFor polls cond every 100 ms until it returns nil, failing with its last error after
// within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s: %v", what, within, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
