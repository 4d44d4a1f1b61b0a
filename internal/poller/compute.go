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
	window       healthWindow
	lastMove     time.Time
	committed    int64
	hasCommitted bool
	model, ctype string
	// brokers are those that reported offsets of the group when last read: a failure of one
	// of them makes the group stale, a failure of another broker does not.
	brokers map[string]bool
	// kind is how the group consumes (KindPush, ...), "" until known; running is what its
	// clients last said of themselves; initial caches the brokers' answers for queues the
	// group never committed on.
	kind    string
	running runningCache
	// quiet holds the clients left unasked for running info after they did not answer in
	// time (quiet.go).
	quiet   map[string]quietClient
	initial map[queueRef]initialCached
	// queueMoved is when each queue's committed offset last changed, for orderly groups'
	// blocked queues.
	queueMoved map[queueRef]time.Time
	// kindUnknownSaid is set once the log said that the group's online clients claim a
	// consume type the broker does not know, until that changes.
	kindUnknownSaid bool
}

// queueRow is a queue's state in the making, with what lag in time needs.
type queueRow struct {
	key   storage.QueueKey
	state storage.QueueState
	lag   int64
	known bool
	retry bool
	// from is the first offset the group has not consumed: the committed offset, the min
	// offset when messages expired before the group read them, or where a group that never
	// committed will start.
	from int64
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
	updateQuiet(g, gt, now)
	updateRunning(g, gt, now)
	if g.conn != nil {
		gt.model, gt.ctype = enumName(g.conn.MessageModel), enumName(g.conn.ConsumeType)
		for _, cn := range g.conn.Connections {
			cl := storage.ClientState{Group: g.name, ClientID: cn.ClientID, Addr: cn.ClientAddr,
				Language: cn.Language, Version: clientVersion(cn.Version)}
			if msg, ok := gt.running.errs[cn.ClientID]; ok {
				cl.OffsetsError = &msg
			}
			c.clients = append(c.clients, cl)
		}
	}
	st.MessageModel, st.ConsumeType = gt.model, gt.ctype
	st.Kind, st.KindInferred = kindOf(f, g, gt)
	gt.kind = st.Kind
	if unknown := st.Kind == "" && !st.KindInferred; unknown && !gt.kindUnknownSaid {
		p.cfg.Logger.Warn("the broker does not know how a group's online clients consume "+
			"(a pop client on a 4.x broker, which has no pop, reads so)", "group", g.name)
		gt.kindUnknownSaid = true
	} else if !unknown {
		gt.kindUnknownSaid = false
	}
	if st.Kind == KindSimple || st.Kind == KindPop {
		gt.running = runningCache{} // no client owns a queue in pop consumption
		for i := range c.clients {
			c.clients[i].OffsetsError = nil
		}
	}
	st.Orderly = gt.running.orderly
	if f.orderlyConfig[g.name] {
		t := true
		st.Orderly = &t
	}
	if g.connKnown {
		n := int32(len(c.clients))
		st.Clients = &n
	}
	fromWhere := ""
	if g.conn != nil {
		fromWhere = g.conn.ConsumeFromWhere
	}

	var (
		lag, retryLag, inflight, committed, expired int64
		tps                                         float64
		allKnown, allPull, expiredKnown             = true, true, true
		topics                                      = map[string]bool{}
		initial                                     = map[queueRef]initialCached{}
		moved                                       = map[queueRef]time.Time{}
	)
	gt.brokers = map[string]bool{}
	for broker, cs := range g.stats {
		if len(cs.Offsets) > 0 {
			gt.brokers[broker] = true
		}
		tps += cs.ConsumeTPS
		offs, haveTable := f.offsets[broker]
		for mq, o := range cs.Offsets {
			ref := queueRef{topic: mq.Topic, broker: broker, queue: mq.QueueID}
			r := &queueRow{key: storage.QueueKey{Group: g.name, Topic: mq.Topic, Broker: broker, QueueID: int32(mq.QueueID)}}
			r.retry = strings.HasPrefix(mq.Topic, retryPrefix)
			r.state = storage.QueueState{Group: g.name, Topic: mq.Topic, Broker: broker, QueueID: int32(mq.QueueID),
				MaxOffset: o.BrokerOffset, ConsumerOffset: o.ConsumerOffset, PolledAt: now, Committed: true}
			var minOff *int64
			if ext, ok := f.topics[broker][mq.Topic].Offsets[mqadmin.MessageQueue{Topic: mq.Topic, BrokerName: broker, QueueID: mq.QueueID}]; ok {
				m := ext.MinOffset
				r.state.MinOffset, minOff = &m, &m
			}
			if owner, ok := gt.running.owners[ref]; ok {
				r.state.OwnerClient = &owner
				locked := gt.running.locked[ref]
				r.state.Locked = &locked
			}
			_, wasCommitted := offs.Committed[mqadmin.GroupTopic{Group: g.name, Topic: mq.Topic}][mq.QueueID]
			switch {
			case haveTable && !wasCommitted && !broadcasting(st.MessageModel):
				// The broker reports a queue never committed on as 0: where the group will
				// really start decides its lag.
				r.state.Committed = false
				a, asked := g.initial[ref]
				if asked {
					initial[ref] = initialCached{answer: a, at: now}
				} else if cached, ok := gt.initial[ref]; ok {
					a, asked = cached.answer, true
					initial[ref] = cached
				}
				start, rule := startOf(a, asked, st.Kind, fromWhere, r.retry, o.BrokerOffset, minOff)
				r.state.StartOffset, r.state.StartRule = start, &rule
				if start != nil {
					r.from = *start
					r.lag, r.known = max(o.BrokerOffset-*start, 0), true
				}
				if o.BrokerOffset > 0 {
					st.NeverCommitted++
				}
			case o.ConsumerOffset > o.BrokerOffset:
				// Committed beyond the newest message (a reset past the end): nothing waits.
				r.from, r.lag, r.known = o.ConsumerOffset, 0, true
				st.PastEnd++
			default:
				r.from, r.lag, r.known = o.ConsumerOffset, o.Lag(), o.ConsumerOffset >= 0
				if minOff == nil {
					expiredKnown = false
				} else if o.ConsumerOffset < *minOff {
					// Retention deleted these before the group read them: lost to it.
					r.from = *minOff
					if !r.retry {
						expired += *minOff - o.ConsumerOffset
					}
				}
			}
			if r.state.Committed {
				if prev, ok := gt.queueMoved[ref]; ok {
					moved[ref] = prev
				}
				if q, ok := p.queues[r.key]; ok && q.has && q.seen.V.Consumer != o.ConsumerOffset {
					moved[ref] = now
				}
				if t, ok := moved[ref]; ok {
					r.state.MovedAt = &t
				}
			}
			if n, ok := o.Inflight(); ok && st.Kind != KindSimple && st.Kind != KindPop {
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
	gt.initial, gt.queueMoved = initial, moved
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
	if len(c.queues) > 0 && expiredKnown && st.MessageModel != "BROADCASTING" {
		st.Expired = &expired
	}
	if len(g.stats) > 0 && len(g.derived) == 0 {
		st.ConsumeTPS = &tps
	}
	popFigures(g, st)
	if st.Kind == KindSimple || st.Kind == KindPop {
		p.popInflight(c, gt)
	}
	clients := -1
	if st.Clients != nil {
		clients = int(*st.Clients)
	}
	committedAny := false
	for _, q := range c.queues {
		committedAny = committedAny || q.state.Committed
	}
	c.sample = sample{At: now, LagKnown: st.Lag != nil, Committed: committed, Clients: clients,
		Expired: expired, Redelivered: -1, Kind: st.Kind, PastEnd: int(st.PastEnd),
		NoOffsets: st.Kind == KindPull && !committedAny && st.MessageModel != "BROADCASTING"}
	if st.Lag != nil {
		c.sample.Lag = *st.Lag
	}
	if st.Redelivered != nil {
		c.sample.Redelivered = *st.Redelivered
	}
	if broadcasting(st.MessageModel) {
		broadcastOffsets(f, g, c)
	}
	return c
}

// popInflight fills a simple or pop group's messages in flight, per queue and in all, from
// the brokers' pop records; unknown while a broker's records are not read to their end.
func (p *Poller) popInflight(c *groupCalc, gt *groupTrack) {
	byQueue, since, ok := p.inflightOf(c.state.Group, gt.brokers)
	if !ok || len(gt.brokers) == 0 {
		return
	}
	var total int64
	var first time.Time
	for _, q := range c.queues {
		in := byQueue[queueRef{topic: q.key.Topic, broker: q.key.Broker, queue: int(q.key.QueueID)}]
		n := in.count
		q.state.Inflight = &n
		if in.count > 0 {
			v := in.first
			q.state.InflightVisibleAt = &v
			if first.IsZero() || v.Before(first) {
				first = v
			}
		}
		total += n
	}
	c.state.Inflight = &total
	if !since.IsZero() {
		c.state.InflightSince = &since
	}
	if !first.IsZero() {
		c.state.InflightVisibleAt = &first
	}
}

// popFigures sums the brokers' pop figures of a simple or pop group over its topics.
func popFigures(g *groupData, st *storage.GroupState) {
	if st.Kind != KindSimple && st.Kind != KindPop {
		return
	}
	var (
		redelivered, delivered, acked int64
		rk, dk, ak                    = len(g.pop) > 0, len(g.pop) > 0, len(g.pop) > 0
	)
	for _, byTopic := range g.pop {
		for _, ps := range byTopic {
			if !ps.popped {
				continue
			}
			if ps.redelivered == nil {
				rk = false
			} else {
				redelivered += *ps.redelivered
			}
			if ps.delivered == nil {
				dk = false
			} else {
				delivered += *ps.delivered
			}
			if ps.acked == nil {
				ak = false
			} else {
				acked += *ps.acked
			}
		}
	}
	if rk {
		st.Redelivered = &redelivered
	}
	if dk {
		st.DeliveredPerMin = &delivered
	}
	if ak {
		st.AckedPerMin = &acked
	}
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
