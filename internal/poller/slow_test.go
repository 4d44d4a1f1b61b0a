package poller_test

import (
	"context"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestSlowConsumerBuildsLag: a real consumer taking 100 ms a message falls behind a burst.
// The stored lag lies between direct reads of the broker taken just before and just after
// the poll (the consumer commits as it goes, so lag can only fall between them), and the
// lag in time grows from one poll to the next: the oldest unconsumed message is from the
// same burst, and older.
func TestSlowConsumerBuildsLag(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, version)
			topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "g")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			stacktest.Produce(t, f.rmq, topic, 300)
			c := stacktest.Consume(t, f.rmq, group, topic, stacktest.ConsumerOptions{Delay: 100 * time.Millisecond})

			directLag := func() int64 {
				t.Helper()
				st, err := f.admin.ConsumeStats(ctx, f.rmq.BrokerAddr, group, topic)
				if err != nil {
					t.Fatal(err)
				}
				return st.TotalLag()
			}
			// waitCommitted waits for the client's next commit (every 5 s in client-go).
			waitCommitted := func(below int64) {
				t.Helper()
				deadline := time.Now().Add(30 * time.Second)
				for directLag() >= below {
					if time.Now().After(deadline) {
						t.Fatalf("no commit brought the lag below %d in 30 s", below)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			c.WaitConsumed(t, 1, 60*time.Second)
			waitCommitted(300)

			var ages []float64
			for range 2 {
				hi := directLag()
				f.now = time.Now()
				f.poll(t)
				lo := directLag()
				g := f.group(t, group)
				if g.Lag == nil || *g.Lag < lo || *g.Lag > hi {
					t.Fatalf("stored lag %v, broker said %d before and %d after the poll", g.Lag, hi, lo)
				}
				if lo == 0 {
					t.Fatal("the consumer caught up: it is not slow enough for this test")
				}
				if g.LagSeconds == nil || g.LagTimeSource != "exact" {
					t.Fatalf("lag in time %v (%s), want exact", g.LagSeconds, g.LagTimeSource)
				}
				ages = append(ages, *g.LagSeconds)
				waitCommitted(lo)
			}
			if ages[1] <= ages[0] {
				t.Errorf("lag in time went from %.2f s to %.2f s; the oldest unconsumed message only ages", ages[0], ages[1])
			}
		})
	}
}
