package poller

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/storage"
)

// queueValue is what a queue's history stores.
type queueValue struct{ Max, Consumer int64 }

// topicValue is what a group's per-topic history stores.
type topicValue struct{ Max, Consumer, Lag int64 }

// topicTrack is a per-topic history track plus what rates and minutes need.
type topicTrack struct {
	track[topicValue]
	minute   time.Time // the minute of the last point taken
	prevAt   time.Time
	prevCons int64
}

// groupTrack is what the poller remembers of a group between cycles.
type groupTrack struct {
	window       []sample
	lastMove     time.Time
	committed    int64
	hasCommitted bool
	model, ctype string
	// brokers are those that reported offsets of the group when last read: a failure of one
	// of them makes the group stale, a failure of another broker does not.
	brokers map[string]bool
}

// queueRow is a queue's state in the making, with what lag in time needs.
type queueRow struct {
	key   storage.QueueKey
	state storage.QueueState
	lag   int64
	known bool
	retry bool
}

// groupCalc is a group's state in the making.
type groupCalc struct {
	state        storage.GroupState
	queues       []*queueRow
	clients      []storage.ClientState
	clientQueues []storage.ClientQueueState
	sample       sample
}

// computeGroup turns what was read of a group into its state. It does not fill lag in
// time or health, which need the other groups' queries and the group's window.
func (p *Poller) computeGroup(f *fetched, g *groupData, gt *groupTrack, now time.Time) *groupCalc {
	c := &groupCalc{state: storage.GroupState{Group: g.name, PolledAt: now, LagTimeSource: "unknown"}}
	st := &c.state
	if g.conn != nil {
		gt.model, gt.ctype = enumName(g.conn.MessageModel), enumName(g.conn.ConsumeType)
		for _, cn := range g.conn.Connections {
			c.clients = append(c.clients, storage.ClientState{Group: g.name, ClientID: cn.ClientID, Addr: cn.ClientAddr,
				Language: cn.Language, Version: clientVersion(cn.Version)})
		}
	}
	st.MessageModel, st.ConsumeType = gt.model, gt.ctype
	if g.connKnown {
		n := int32(len(c.clients))
		st.Clients = &n
	}

	var (
		lag, retryLag, inflight, committed int64
		tps                                float64
		allKnown, allPull                  = true, true
		topics                             = map[string]bool{}
	)
	gt.brokers = map[string]bool{}
	for broker, cs := range g.stats {
		if len(cs.Offsets) > 0 {
			gt.brokers[broker] = true
		}
		tps += cs.ConsumeTPS
		for mq, o := range cs.Offsets {
			r := &queueRow{key: storage.QueueKey{Group: g.name, Topic: mq.Topic, Broker: broker, QueueID: int32(mq.QueueID)}}
			r.retry = strings.HasPrefix(mq.Topic, retryPrefix)
			r.lag, r.known = o.Lag(), o.ConsumerOffset >= 0 && o.Lag() >= 0
			r.state = storage.QueueState{Group: g.name, Topic: mq.Topic, Broker: broker, QueueID: int32(mq.QueueID),
				MaxOffset: o.BrokerOffset, ConsumerOffset: o.ConsumerOffset, PolledAt: now}
			if ext, ok := f.topics[broker][mq.Topic].Offsets[mqadmin.MessageQueue{Topic: mq.Topic, BrokerName: broker, QueueID: mq.QueueID}]; ok {
				st := ext.MinOffset
				r.state.MinOffset = &st
			}
			if n, ok := o.Inflight(); ok {
				pull := o.PullOffset
				r.state.PullOffset = &pull
				inflight += n
			} else {
				allPull = false
			}
			if o.LastTimestamp > 0 {
				t := time.UnixMilli(o.LastTimestamp)
				r.state.LastTimestamp = &t
			}
			if !r.known {
				allKnown = false
			} else {
				lag += r.lag
				if r.retry {
					retryLag += r.lag
				}
			}
			committed += o.ConsumerOffset
			if !r.retry {
				topics[mq.Topic] = true
			}
			c.queues = append(c.queues, r)
		}
	}
	sort.Slice(c.queues, func(i, j int) bool { return lessKey(c.queues[i].key, c.queues[j].key) })
	for t := range topics {
		st.Topics = append(st.Topics, t)
	}
	sort.Strings(st.Topics)
	if st.Topics == nil {
		st.Topics = []string{}
	}
	// A group with no queue anywhere, or on broadcasting offsets the brokers do not keep,
	// has no lag to report: unknown, never zero.
	if len(c.queues) > 0 && allKnown && st.MessageModel != "BROADCASTING" {
		st.Lag, st.RetryLag = &lag, &retryLag
		if allPull {
			st.Inflight = &inflight
		}
	}
	if len(g.stats) > 0 {
		st.ConsumeTPS = &tps
	}
	clients := -1
	if st.Clients != nil {
		clients = int(*st.Clients)
	}
	c.sample = sample{At: now, LagKnown: st.Lag != nil, Committed: committed, Clients: clients}
	if st.Lag != nil {
		c.sample.Lag = *st.Lag
	}
	if broadcasting(st.MessageModel) {
		broadcastOffsets(f, g, c)
	}
	return c
}

// enumName turns a fastjson enum name into the upper-case form RocketMQ documents.
func enumName(s string) string { return strings.ToUpper(s) }

// clientVersion shows a client's version code; the names behind the codes are RocketMQ's.
func clientVersion(v int32) string {
	if v <= 0 {
		return ""
	}
	return "#" + strconv.Itoa(int(v))
}

func lessKey(a, b storage.QueueKey) bool {
	if a.Topic != b.Topic {
		return a.Topic < b.Topic
	}
	if a.Broker != b.Broker {
		return a.Broker < b.Broker
	}
	return a.QueueID < b.QueueID
}
