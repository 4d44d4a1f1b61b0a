package poller

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/storage"
)

// broadcastOffsets fills a broadcasting group's per-client offsets from what each client
// reported, and the group's lag as the lag of its slowest client. The lag stays unknown
// when any client could not report: the missing one may be the slowest.
func broadcastOffsets(f *fetched, g *groupData, c *groupCalc) {
	st := &c.state
	var (
		worst, committed int64
		allKnown         = len(c.clients) > 0
	)
	for i := range c.clients {
		cl := &c.clients[i]
		rep, ok := g.running[cl.ClientID]
		if !ok || rep.err != nil {
			msg := offsetsError(rep.err)
			cl.OffsetsError = &msg
			allKnown = false
			continue
		}
		var clientLag int64
		queues := make([]mqadmin.MessageQueue, 0, len(rep.info.Queues))
		for mq := range rep.info.Queues {
			queues = append(queues, mq)
		}
		sort.Slice(queues, func(i, j int) bool { return queues[i].Less(queues[j]) })
		for _, mq := range queues {
			pq := rep.info.Queues[mq]
			row := storage.ClientQueueState{Group: g.name, ClientID: cl.ClientID, Topic: mq.Topic,
				Broker: mq.BrokerName, QueueID: int32(mq.QueueID), CommitOffset: pq.CommitOffset}
			ext, known := f.topics[mq.BrokerName][mq.Topic].Offsets[mq]
			if known && pq.CommitOffset >= 0 {
				m := ext.MaxOffset
				row.MaxOffset = &m
				clientLag += max(m-pq.CommitOffset, 0)
			} else {
				allKnown = false
			}
			committed += max(pq.CommitOffset, 0)
			c.clientQueues = append(c.clientQueues, row)
		}
		worst = max(worst, clientLag)
	}
	c.sample.Committed = committed
	if !allKnown {
		// A 5.x broker records the lowest offset of the group's clients: the slowest
		// client's progress, when the clients themselves cannot say.
		var ok bool
		worst, committed, ok = brokerBroadcastLag(f, g)
		if !ok {
			return
		}
		c.sample.Committed = committed
		st.LagSource = "broker-broadcast"
	}
	zero := int64(0)
	st.Lag, st.RetryLag = &worst, &zero
	c.sample.Lag, c.sample.LagKnown = worst, true
}

// brokerBroadcastLag sums, over every queue of the topics the broadcasting group subscribes
// to, the distance from the lowest offset of its clients as the brokers record it to the
// queue's max offset, and those offsets. ok is false when a broker has no such record for a
// queue with messages.
func brokerBroadcastLag(f *fetched, g *groupData) (lag, committed int64, ok bool) {
	if g.conn == nil || len(g.conn.Subscriptions) == 0 {
		return 0, 0, false
	}
	for topic := range g.conn.Subscriptions {
		if strings.HasPrefix(topic, retryPrefix) {
			continue
		}
		for broker, exts := range f.topics {
			ext, has := exts[topic]
			if !has {
				continue
			}
			rec := f.offsets[broker].Broadcast[mqadmin.GroupTopic{Group: g.name, Topic: topic}]
			for mq, o := range ext.Offsets {
				off, known := rec[mq.QueueID]
				switch {
				case known:
					lag += max(o.MaxOffset-off, 0)
					committed += off
				case o.MaxOffset > 0:
					return 0, 0, false
				}
			}
		}
	}
	return lag, committed, true
}

// offsetsError says, for people, why a broadcasting client's offsets are missing.
func offsetsError(err error) string { return clientError(err, "its offsets") }

// clientError says, for people, why a client's running info is missing; what names what it
// would have told.
func clientError(err error, what string) string {
	var quiet *errQuiet
	switch {
	case errors.As(err, &quiet):
		return clientError(quiet.q.err, what) + "; asked again after " +
			quiet.q.until.UTC().Format("15:04:05") + " UTC, since each unanswered ask holds a broker thread for up to 10 s"
	case err == nil:
		return "the client did not answer in this poll"
	case errors.Is(err, mqadmin.ErrEmptyBody):
		return "the client answered without " + what + " (rocketmq-client-go clients do)"
	case timedOut(err):
		return "the client did not answer in time: " + what + " unknown"
	default:
		return fmt.Sprintf("the client did not report %s: %v", what, err)
	}
}
