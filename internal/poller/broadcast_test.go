package poller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/poller"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestBroadcastingGroupsPerClient: broadcasting groups keep offsets in their clients. A Java
// client reports them, and they are stored per client and queue; a Go client cannot report
// them, and that is said, with the group's lag unknown rather than zero.
func TestBroadcastingGroupsPerClient(t *testing.T) {
	t.Parallel()
	for _, version := range stacktest.Versions(t) {
		t.Run(version, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, version)
			topic := stacktest.Name(t, "t")
			stacktest.CreateTopic(t, f.rmq, topic, 2)
			sent := stacktest.Produce(t, f.rmq, topic, 10)
			maxOff := map[int]int64{}
			for _, s := range sent {
				maxOff[s.MessageQueue.QueueId] = max(maxOff[s.MessageQueue.QueueId], s.QueueOffset+1)
			}

			javaGroup, goGroup := stacktest.Name(t, "java"), stacktest.Name(t, "go")
			java := stacktest.JavaConsumer(t, f.rmq, javaGroup, topic, stacktest.ConsumerOptions{Broadcasting: true})
			goConsumer := stacktest.Consume(t, f.rmq, goGroup, topic, stacktest.ConsumerOptions{Broadcasting: true})
			goConsumer.WaitConsumed(t, 10, 60*time.Second)

			// Poll until the Java client's offsets show everything consumed.
			deadline := time.Now().Add(60 * time.Second)
			var (
				rows []storage.ClientQueueState
				rep  poller.Report
			)
			for {
				f.now = time.Now()
				rep = f.poll(t)
				var err error
				rows, err = storage.ClientQueueStates(ctx, f.db, f.clusterID, javaGroup)
				if err != nil {
					t.Fatal(err)
				}
				if sumCommitted(rows, topic) == 10 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("java client offsets %+v (consumed %d), want all 10 committed", rows, java.Output.Consumed())
				}
				time.Sleep(200 * time.Millisecond)
			}
			for _, r := range rows {
				if r.Topic == topic && (r.MaxOffset == nil || *r.MaxOffset != maxOff[int(r.QueueID)]) {
					t.Errorf("queue %d: max offset %v, want %d", r.QueueID, r.MaxOffset, maxOff[int(r.QueueID)])
				}
			}
			if qs, err := storage.QueueStates(ctx, f.db, f.clusterID, javaGroup); err != nil || len(qs) != 0 {
				t.Errorf("broadcasting group has broker-side queue rows %+v, %v; its offsets are the clients'", qs, err)
			}
			javaState := f.group(t, javaGroup)
			if javaState.MessageModel != "BROADCASTING" || javaState.Lag == nil || *javaState.Lag != 0 {
				t.Errorf("java group: model %q lag %v, want BROADCASTING and 0", javaState.MessageModel, javaState.Lag)
			}

			// A client that fails to report is the client's fault: the broker it answers
			// through stays healthy and its groups fresh.
			for _, b := range rep.Brokers {
				if b.Err != "" {
					t.Errorf("broker %s blamed: %s", b.Name, b.Err)
				}
			}
			for _, g := range []string{javaGroup, goGroup} {
				if why, stale := rep.Stale[g]; stale {
					t.Errorf("group %s stale: %s", g, why)
				}
			}

			// rocketmq-client-go answers the running-info request with an empty body while its
			// statistics hold NaN (before it has timings to report), and with its offsets after.
			// Either way the stored state must be honest about it.
			goState := f.group(t, goGroup)
			clients, err := storage.ClientStates(ctx, f.db, f.clusterID, goGroup)
			if err != nil || len(clients) != 1 {
				t.Fatalf("go group clients %+v, %v; want one", clients, err)
			}
			goRows, err := storage.ClientQueueStates(ctx, f.db, f.clusterID, goGroup)
			if err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(version, "5.") {
				// A 5.x broker records the lowest offset of a broadcasting group's clients,
				// which stands in for them when they cannot report (TestBroadcastLagFromBroker).
				waitUntil(t, 60*time.Second, "the broker's record of the group's clients at the end of each queue", func() error {
					all, err := f.admin.BrokerOffsets(ctx, f.rmq.BrokerAddr)
					if err != nil {
						return err
					}
					got := all.Broadcast[mqadmin.GroupTopic{Group: goGroup, Topic: topic}]
					for q, m := range maxOff {
						if got[q] != m {
							return fmt.Errorf("record %v, max offsets %v", got, maxOff)
						}
					}
					return nil
				})
			}
			switch {
			case clients[0].OffsetsError != nil:
				// Unknown, or on 5.x the broker's record of the group's slowest client, if it
				// had one at the poll.
				unknown := goState.Lag == nil && goState.Health == poller.Unknown && strings.Contains(goState.HealthReason, "broadcasting")
				fromBroker := strings.HasPrefix(version, "5.") && goState.LagSource == "broker-broadcast" && goState.Lag != nil && *goState.Lag == 0
				if !unknown && !fromBroker {
					t.Errorf("go client could not report (%s), yet lag %v (%q) health %s %q", *clients[0].OffsetsError,
						deref(goState.Lag), goState.LagSource, goState.Health, goState.HealthReason)
				}
			case sumCommitted(goRows, topic) != 10 || goState.Lag == nil || *goState.Lag != 0:
				t.Errorf("go client reported offsets %+v, group lag %v; want 10 committed and lag 0", goRows, goState.Lag)
			}
		})
	}
}

func sumCommitted(rows []storage.ClientQueueState, topic string) int64 {
	var n int64
	for _, r := range rows {
		if r.Topic == topic {
			n += r.CommitOffset
		}
	}
	return n
}
