package http

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/storage"
)

// kindGroups are the groups seeded by seedKinds, one of each kind a dashboard shows, by
// a short name of the kind.
type kindGroups map[string]string

// kindOrder lists seedKinds' kinds in the order pages are visited.
var kindOrder = []string{"push", "orderly", "broadcasting", "pull", "simple"}

// seedKinds stores, in cluster prod as the poller would, one group of each kind with
// queues on two brokers, online clients and an hour of history (the pull group has none,
// so its chart is empty), plus reset is the reset tests' real group, so that the reset
// form suggests its topic. Long names are there on purpose: they must wrap, not overflow.
func seedKinds(t *testing.T, pool *pgxpool.Pool, now time.Time, reset seededGroup) kindGroups {
	t.Helper()
	names := kindGroups{
		"push":         "payments-settlement-reconciliation-eu-west-1",
		"orderly":      "orders-orderly",
		"broadcasting": "cache-invalidation-broadcast",
		"pull":         "ledger-export-pull",
		"simple":       "notifications-simple",
	}
	s := seed{cluster: "prod", at: now, brokers: []storage.BrokerState{
		{Name: "broker-a", Addr: "10.0.0.1:10911", Version: "V5_3_3"},
		{Name: "broker-b", Addr: "10.0.0.2:10911", Version: "V5_3_3"},
	}, history: map[string][]int64{}}
	owners := []string{"10.0.3.17@12345#2001634560", "10.0.3.18@12346#2001634561"}
	for _, kind := range kindOrder {
		name := names[kind]
		lag, secs := int64(1234567), 754.2
		g := storage.GroupState{Group: name, MessageModel: "CLUSTERING", ConsumeType: "CONSUME_PASSIVELY", Clients: ptr(int32(2)),
			Topics: []string{"topic-" + name}, Lag: &lag, RetryLag: ptr(int64(12)), LagSeconds: &secs, LagTimeSource: "exact",
			ConsumeTPS: ptr(1523.5), Health: "STALL", HealthReason: "Messages wait and the committed offset has not moved for 12 min.",
			PolledAt: now, LastCommitAt: ptr(now.Add(-12 * time.Minute)), Kind: "push", Orderly: ptr(false), Expired: ptr(int64(0))}
		clients := []storage.ClientState{
			{Group: name, ClientID: owners[0], Addr: "10.0.3.17:53012", Language: "GO", Version: "V5_3_3"},
			{Group: name, ClientID: owners[1], Addr: "10.0.3.18:53013", Language: "JAVA", Version: "V5_3_3"},
		}
		switch kind {
		case "push":
			g.Inflight = ptr(int64(8 * 32))
		case "orderly":
			g.Inflight = ptr(int64(8 * 32))
			g.Orderly, g.Health, g.HealthReason = ptr(true), "OK", "Keeping up."
		case "broadcasting":
			g.MessageModel, g.LagSeconds, g.LagTimeSource, g.LagSource = "BROADCASTING", nil, "unknown", "broker-broadcast"
			g.Health, g.HealthReason = "WARN", "Lag grew over the last 10 min."
		case "pull":
			g.Kind, g.ConsumeType, g.Clients, g.Health, g.HealthReason = "pull", "CONSUME_ACTIVELY", ptr(int32(0)), "OK", "Keeping up."
			clients = nil
		case "simple":
			g.Kind, g.ConsumeType, g.Orderly, g.Health, g.HealthReason = "simple", "CONSUME_ACTIVELY", nil, "OK", "Keeping up."
			g.Inflight, g.Redelivered, g.DeliveredPerMin, g.AckedPerMin = ptr(int64(37)), ptr(int64(4)), ptr(int64(9000)), ptr(int64(8990))
			g.InflightSince, g.InflightVisibleAt = ptr(now.Add(-time.Hour)), ptr(now.Add(40*time.Second))
		}
		s.groups = append(s.groups, g)
		s.clients = append(s.clients, clients...)
		for b, broker := range []string{"broker-a", "broker-b"} {
			for q := range 4 {
				qs := storage.QueueState{Group: name, Topic: "topic-" + name, Broker: broker, QueueID: int32(q),
					MinOffset: ptr(int64(0)), MaxOffset: 9_000_000 + int64(q*1000), ConsumerOffset: 8_800_000 + int64(q*900),
					PolledAt: now, Committed: true, LastTimestamp: ptr(now.Add(-13 * time.Minute)), LagSeconds: ptr(754.2)}
				switch kind {
				case "push", "orderly":
					qs.OwnerClient = &owners[(b*4+q)%2]
					qs.Locked = ptr(kind == "orderly")
					qs.PullOffset = ptr(qs.ConsumerOffset + 32)
				case "simple":
					qs.Inflight = ptr(int64(q + b))
				case "broadcasting":
					qs.LagSeconds = nil
				}
				s.queues = append(s.queues, qs)
			}
		}
		if kind == "broadcasting" {
			for _, c := range owners {
				for q := range 4 {
					s.clientQueues = append(s.clientQueues, storage.ClientQueueState{Group: name, ClientID: c, Topic: "topic-" + name,
						Broker: "broker-a", QueueID: int32(q), CommitOffset: 8_900_000, MaxOffset: ptr(int64(9_000_000 + q*1000))})
				}
			}
		}
		if kind != "pull" {
			lags := make([]int64, 60)
			for m := range lags {
				lags[m] = int64(900_000 + m*5_000)
			}
			s.history[name] = lags
		}
	}
	rg, rq := group(reset.group, "OK", ptr(int64(40)), ptr(3.0), "CLUSTERING", now)
	rg.Topics, rg.Kind = []string{reset.topic}, "push"
	rq.Topic = reset.topic
	s.groups, s.queues = append(s.groups, rg), append(s.queues, rq)
	s.save(t, pool)

	// Staging: enough groups for the groups list to page.
	f := fleet("staging", 130, now)
	for i := range f.groups {
		f.groups[i].Kind = "push"
	}
	f.save(t, pool)
	return names
}
