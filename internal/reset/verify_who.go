package reset

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// whoTimeout bounds each call made to name a client: naming is worth a moment, not a
// stalled verification.
const whoTimeout = 3 * time.Second

// committer names the client a revert on q most likely came from, as the broker knows the
// group's clients at this moment: the only client connected, or the one that says it holds
// the queue (Java clients answer running-info requests; rocketmq-client-go does not), or
// the queue's owner at execution if it is still connected. A revert seen after every
// client left was committed by one leaving (clients commit their offsets as they shut
// down); when only one client was online at execution, that is the one. Otherwise it is
// "a client".
func (s *Service) committer(ctx context.Context, c Cluster, snap snapshot, group, topic string, q QueueCheck) string {
	b, ok := snap.broker(q.Broker)
	if !ok {
		return "a client"
	}
	cctx, cancel := context.WithTimeout(ctx, whoTimeout)
	conn, err := c.Admin.ConsumerConnections(cctx, b.addr, group)
	cancel()
	var ids []string
	switch {
	case err == nil:
		for _, cn := range conn.Connections {
			ids = append(ids, cn.ClientID)
		}
	case !errors.Is(err, mqadmin.ErrConsumerNotOnline):
		s.o.Logger.WarnContext(ctx, "name the client of a revert", "err", err, "queue", q.QueueRef.String())
		return "a client"
	}
	switch {
	case len(ids) == 1:
		return ids[0]
	case len(ids) == 0 && len(q.Clients) == 1:
		return q.Clients[0] + " (since disconnected)"
	case len(ids) == 0:
		return "a client"
	}
	mq := mqadmin.MessageQueue{Topic: topic, BrokerName: q.Broker, QueueID: q.QueueID}
	for _, id := range ids {
		cctx, cancel := context.WithTimeout(ctx, whoTimeout)
		info, err := c.Admin.ConsumerRunningInfo(cctx, b.addr, group, id, false)
		cancel()
		if _, holds := info.Queues[mq]; err == nil && holds {
			return id
		}
	}
	if q.Owner != "" && slices.Contains(ids, q.Owner) {
		return q.Owner + " (its owner at execution)"
	}
	return "a client"
}

// owners names, for a broker's queues, the client that holds each one, when it can be
// told: the only client online, or the one whose running info lists the queue. Queues
// nobody can be told to hold are missing.
func owners(ctx context.Context, c Cluster, b brokerState, group, topic string) map[int]string {
	out := map[int]string{}
	switch len(b.conn.Connections) {
	case 0:
		return out
	case 1:
		for id := range b.extents {
			out[id] = b.conn.Connections[0].ClientID
		}
		return out
	}
	for _, cn := range b.conn.Connections {
		cctx, cancel := context.WithTimeout(ctx, whoTimeout)
		info, err := c.Admin.ConsumerRunningInfo(cctx, b.addr, group, cn.ClientID, false)
		cancel()
		if err != nil {
			continue
		}
		for mq := range info.Queues {
			if mq.Topic == topic && mq.BrokerName == b.name {
				out[mq.QueueID] = cn.ClientID
			}
		}
	}
	return out
}
