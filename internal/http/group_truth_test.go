package http

import (
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/storage"
)

// TestGroupModelTellsOneTruth shapes a group of each kind, as the poller stores them, for
// its page: no page shows a figure and says elsewhere that it is unknown. The broadcasting
// group with nothing waiting is the one the demo showed as "Lag in time 0 s (exact)" under
// a note saying the lag in time was unknown.
func TestGroupModelTellsOneTruth(t *testing.T) {
	now := time.Now()
	zero, secs := 0.0, 42.0
	goClient := storage.ClientState{ClientID: "10.0.0.1@1", Language: "GO"}
	tests := []struct {
		name    string
		g       storage.GroupRow
		queues  []storage.QueueState
		clients []storage.ClientState
		// note is a phrase one note must have, "" for none; unsaid one no note may have.
		note, unsaid string
		owners       bool
	}{
		{name: "broadcasting, nothing waiting", g: row("BROADCASTING", "push", ptr(int64(0)), &zero, "exact"),
			clients: []storage.ClientState{goClient}, note: "broadcasting group", unsaid: "lag in time is unknown"},
		{name: "broadcasting, messages waiting", g: row("BROADCASTING", "push", ptr(int64(40)), nil, "unknown"),
			clients: []storage.ClientState{goClient}, note: "the lag in time is unknown"},
		{name: "go push consumer, owners unknown", g: row("CLUSTERING", "push", ptr(int64(40)), &secs, "exact"),
			queues: []storage.QueueState{{Topic: "t", Broker: "b", Committed: true, PolledAt: now}}, clients: []storage.ClientState{goClient},
			note: "rocketmq-client-go answers"},
		{name: "orderly consumer with its locks", g: row("CLUSTERING", "push", ptr(int64(40)), &secs, "exact"),
			queues:  []storage.QueueState{{Topic: "t", Broker: "b", Committed: true, PolledAt: now, OwnerClient: ptr("10.0.0.1@1"), Locked: ptr(true)}},
			clients: []storage.ClientState{goClient}, unsaid: "owns each queue is unknown", owners: true},
		{name: "simple consumer", g: row("CLUSTERING", "simple", ptr(int64(40)), &secs, "exact"),
			clients: []storage.ClientState{goClient}, note: "simple consumer", unsaid: "owns each queue is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := groupModel(tt.g, tt.queues, tt.clients)
			if c := m.Contradictions(); len(c) > 0 {
				t.Errorf("the page contradicts itself: %q; notes %q", c, m.Notes)
			}
			all := strings.ToLower(strings.Join(m.Notes, "\n"))
			if tt.note != "" && !strings.Contains(all, strings.ToLower(tt.note)) {
				t.Errorf("no note says %q: %q", tt.note, m.Notes)
			}
			if tt.unsaid != "" && strings.Contains(all, tt.unsaid) {
				t.Errorf("a note says %q: %q", tt.unsaid, m.Notes)
			}
			if m.ShowOwners() != tt.owners {
				t.Errorf("owner column shown: %v, want %v", m.ShowOwners(), tt.owners)
			}
		})
	}
}

func row(model, kind string, lag *int64, secs *float64, source string) storage.GroupRow {
	var g storage.GroupRow
	g.Cluster, g.Group, g.MessageModel, g.Kind, g.Clients = "prod", "g", model, kind, ptr(int32(1))
	g.Lag, g.LagSeconds, g.LagTimeSource, g.Health = lag, secs, source, "OK"
	return g
}
