package poller

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/storage"
)

func TestBroadcastOffsets(t *testing.T) {
	mq := func(q int) mqadmin.MessageQueue { return mqadmin.MessageQueue{Topic: "t", BrokerName: "b", QueueID: q} }
	f := &fetched{topics: map[string]map[string]mqadmin.TopicStats{"b": {"t": {Offsets: map[mqadmin.MessageQueue]mqadmin.TopicOffset{
		mq(0): {MaxOffset: 10}, mq(1): {MaxOffset: 20},
	}}}}}
	report := func(off0, off1 int64) runningReport {
		return runningReport{info: mqadmin.ConsumerRunningInfo{Queues: map[mqadmin.MessageQueue]mqadmin.ProcessQueueInfo{
			mq(0): {CommitOffset: off0}, mq(1): {CommitOffset: off1}}}}
	}
	tests := []struct {
		name     string
		running  map[string]runningReport
		wantLag  *int64
		wantRows int
		wantErr  string
	}{
		{"slowest client is the group's lag", map[string]runningReport{"a": report(10, 20), "b": report(4, 15)}, ptr(int64(11)), 4, ""},
		{"a client that cannot say makes the lag unknown",
			map[string]runningReport{"a": report(10, 20), "b": {err: fmt.Errorf("x: %w", mqadmin.ErrEmptyBody)}}, nil, 2, "rocketmq-client-go"},
		{"a client missing from the answers", map[string]runningReport{"a": report(10, 20)}, nil, 2, "did not answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.offsets = nil
			c := &groupCalc{state: storage.GroupState{Group: "g", MessageModel: "BROADCASTING"},
				clients: []storage.ClientState{{Group: "g", ClientID: "a"}, {Group: "g", ClientID: "b"}}}
			broadcastOffsets(f, &groupData{name: "g", running: tt.running}, c)
			if (c.state.Lag == nil) != (tt.wantLag == nil) || (c.state.Lag != nil && *c.state.Lag != *tt.wantLag) {
				t.Fatalf("lag %v, want %v", c.state.Lag, tt.wantLag)
			}
			if len(c.clientQueues) != tt.wantRows {
				t.Fatalf("%d per-client rows, want %d", len(c.clientQueues), tt.wantRows)
			}
			if tt.wantErr != "" && (c.clients[1].OffsetsError == nil || !strings.Contains(*c.clients[1].OffsetsError, tt.wantErr)) {
				t.Fatalf("client b offsets error %v, want it to mention %q", c.clients[1].OffsetsError, tt.wantErr)
			}
		})
	}
}

// TestBroadcastLagFromBroker: when the clients cannot report, a 5.x broker's record of the
// lowest offset of the group's clients gives the slowest client's lag; without a record for
// every queue with messages, the lag stays unknown.
func TestBroadcastLagFromBroker(t *testing.T) {
	mq := func(q int) mqadmin.MessageQueue { return mqadmin.MessageQueue{Topic: "t", BrokerName: "b", QueueID: q} }
	cant := map[string]runningReport{"a": {err: fmt.Errorf("x: %w", mqadmin.ErrEmptyBody)}}
	conn := &mqadmin.ConsumerConnection{MessageModel: "BROADCASTING", Subscriptions: map[string]mqadmin.SubscriptionData{"t": {}}}
	for _, tt := range []struct {
		name    string
		record  map[int]int64
		wantLag *int64
	}{
		{"every queue recorded", map[int]int64{0: 7, 1: 15}, ptr(int64(8))},
		{"a queue with messages not recorded", map[int]int64{0: 7}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := &fetched{
				topics: map[string]map[string]mqadmin.TopicStats{"b": {"t": {Offsets: map[mqadmin.MessageQueue]mqadmin.TopicOffset{
					mq(0): {MaxOffset: 10}, mq(1): {MaxOffset: 20}}}}},
				offsets: map[string]mqadmin.BrokerOffsets{"b": {Broadcast: map[mqadmin.GroupTopic]map[int]int64{
					{Group: "g", Topic: "t"}: tt.record}}},
			}
			c := &groupCalc{state: storage.GroupState{Group: "g", MessageModel: "BROADCASTING"},
				clients: []storage.ClientState{{Group: "g", ClientID: "a"}}}
			broadcastOffsets(f, &groupData{name: "g", running: cant, conn: conn}, c)
			if (c.state.Lag == nil) != (tt.wantLag == nil) || (c.state.Lag != nil && *c.state.Lag != *tt.wantLag) {
				t.Fatalf("lag %v, want %v", c.state.Lag, tt.wantLag)
			}
			if tt.wantLag != nil && c.state.LagSource != "broker-broadcast" {
				t.Fatalf("lag source %q", c.state.LagSource)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
