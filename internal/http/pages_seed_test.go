package http

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/storage"
)

// seed writes a cluster's poll through storage.SaveCycle, as the poller does: brokers,
// groups with a queue each on their topic, and, when lagHistory is given, a point a minute
// of each group's lag for the last hour.
type seed struct {
	cluster string
	at      time.Time
	brokers []storage.BrokerState
	groups  []storage.GroupState
	queues  []storage.QueueState
	clients []storage.ClientState
	// clientQueues are broadcasting clients' own offsets.
	clientQueues []storage.ClientQueueState
	// history maps group → lag per minute for the minutes before at (oldest first).
	history map[string][]int64
}

func (s seed) save(t testing.TB, pool *pgxpool.Pool) int64 {
	t.Helper()
	ctx := context.Background()
	c, err := storage.UpsertCluster(ctx, pool, s.cluster, []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []time.Time{s.at, s.at.AddDate(0, -1, 0)} {
		if err := storage.EnsurePartitions(ctx, pool, at); err != nil {
			t.Fatal(err)
		}
	}
	cy := storage.Cycle{ClusterID: c.ID, At: s.at, Brokers: s.brokers, Groups: s.groups, Queues: s.queues, Clients: s.clients,
		ClientQueues: s.clientQueues}
	var keys []storage.TopicKey
	for g := range s.history {
		keys = append(keys, storage.TopicKey{Group: g, Topic: "topic-" + g})
	}
	ids, err := storage.TopicSeriesIDs(ctx, pool, c.ID, keys)
	if err != nil {
		t.Fatal(err)
	}
	for g, lags := range s.history {
		for i, lag := range lags {
			at := s.at.Add(-time.Duration(len(lags)-i) * time.Minute)
			secs := float64(lag) / 10
			cy.TopicPoints = append(cy.TopicPoints, storage.TopicPoint{SeriesID: ids[storage.TopicKey{Group: g, Topic: "topic-" + g}],
				At: at, MaxOffset: 1000 + lag, ConsumerOffset: 1000, Lag: lag, LagSeconds: &secs})
		}
	}
	if err := storage.SaveCycle(ctx, pool, cy); err != nil {
		t.Fatal(err)
	}
	return c.ID
}

func ptr[T any](v T) *T { return &v }

// group is a stored group with a queue on topic-<name>.
func group(name, health string, lag *int64, lagSeconds *float64, model string, at time.Time) (storage.GroupState, storage.QueueState) {
	g := storage.GroupState{Group: name, MessageModel: model, ConsumeType: "CONSUME_PASSIVELY", Clients: ptr(int32(1)),
		Topics: []string{"topic-" + name}, Lag: lag, LagSeconds: lagSeconds, LagTimeSource: "exact", ConsumeTPS: ptr(12.5),
		Health: health, HealthReason: "reason of " + name, PolledAt: at}
	if lagSeconds == nil {
		g.LagTimeSource = "unknown"
	}
	var l int64
	if lag != nil {
		l = *lag
	}
	q := storage.QueueState{Group: name, Topic: "topic-" + name, Broker: "broker-a", QueueID: 0, MinOffset: ptr(int64(0)),
		MaxOffset: 1000 + l, ConsumerOffset: 1000, Committed: true, LagSeconds: lagSeconds, PolledAt: at}
	return g, q
}

// fleet is n groups named fleet-0000…, with health, lag and model cycling.
func fleet(cluster string, n int, at time.Time) seed {
	s := seed{cluster: cluster, at: at, brokers: []storage.BrokerState{{Name: "broker-a", Addr: "10.0.0.1:10911", Version: "V5_3_3"}}}
	healths := []string{"OK", "WARN", "STALL", "STOP", "OFFLINE", "REWIND", "UNKNOWN"}
	for i := range n {
		var lag *int64
		var secs *float64
		if i%10 != 9 {
			lag = ptr(int64(i * 7 % 1000))
			if i%5 != 4 {
				secs = ptr(float64(i % 300))
			}
		}
		model := "CLUSTERING"
		if i%4 == 3 {
			model = "BROADCASTING"
		}
		g, q := group(fmt.Sprintf("%s-fleet-%04d", cluster, i), healths[i%len(healths)], lag, secs, model, at)
		s.groups, s.queues = append(s.groups, g), append(s.queues, q)
	}
	return s
}
