package poller

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Consumer kinds, as the groups and group pages name them.
const (
	KindPush   = "push"   // push consumer: the client commits automatically
	KindPull   = "pull"   // pull consumer: the application fetches and sets offsets itself
	KindSimple = "simple" // 5.x SimpleConsumer through the proxy: receive, then ack (pop)
	KindPop    = "pop"    // a remoting client consuming by pop (CONSUME_POP)
)

// runningCache is what the poller keeps of a group's last running-info round.
type runningCache struct {
	clients string    // the client ids asked, sorted and joined
	at      time.Time // when they were asked
	// owners and locked hold, per queue, the client that reported holding it and whether
	// it holds the queue's lock (orderly consumption).
	owners map[queueRef]string
	locked map[queueRef]bool
	// orderly is the clients' own PROP_CONSUMEORDERLY, when one reported it.
	orderly *bool
	// errs holds, per client, why it did not report.
	errs map[string]string
}

// runningAsk is whether and when a group's clients are asked for their running info.
type runningAsk int

const (
	askNot runningAsk = iota
	askNow
	// askUnlessPops: the group's clients register as pull consumers and its kind is not
	// known yet. They may be 5.x SimpleConsumers, which never answer (quiet.go): they are
	// asked once the group's pop statistics are in, and only if it does not pop.
	askUnlessPops
)

// runningDue returns whether a group's clients are to be asked for their running info this
// cycle: always for broadcasting groups (their offsets are in the clients), and for others
// when the set of clients changed or RunningInfoInterval passed, to learn which client owns
// each queue and, for orderly groups, holds its lock.
func (p *Poller) runningDue() func(g *groupData) runningAsk {
	now := p.cfg.Now()
	cached := make(map[string]runningCache, len(p.groups))
	kinds := make(map[string]string, len(p.groups))
	for name, gt := range p.groups {
		cached[name], kinds[name] = gt.running, gt.kind
	}
	return func(g *groupData) runningAsk {
		if g.conn == nil || len(g.conn.Connections) == 0 || g.connBroker == nil {
			return askNot
		}
		if broadcasting(g.conn.MessageModel) {
			return askNow
		}
		// Pop hands messages out per request: no client owns a queue, and a simple
		// consumer behind the 5.x proxy answers running-info requests with nothing.
		k := kinds[g.name]
		if k == KindSimple || k == KindPop || strings.EqualFold(g.conn.ConsumeType, mqadmin.ConsumePop) {
			return askNot
		}
		c := cached[g.name]
		if c.clients == clientsKey(g.conn) && now.Sub(c.at) < p.cfg.RunningInfoInterval {
			return askNot
		}
		if k == "" && strings.EqualFold(g.conn.ConsumeType, mqadmin.ConsumeActively) {
			return askUnlessPops
		}
		return askNow
	}
}

// fetchRunningInfo asks each online client of a group for its running info, through the
// broker that reported the connections, except the clients left alone after they did not
// answer in time (quiet.go). A client's failure is the client's: it never marks the broker
// down.
func (p *Poller) fetchRunningInfo(ctx context.Context, g *groupData, now time.Time) {
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	running := map[string]runningReport{}
	gt := p.groups[g.name]
	for _, cn := range g.conn.Connections {
		if gt != nil {
			if q, ok := gt.quiet[cn.ClientID]; ok && now.Before(q.until) {
				running[cn.ClientID] = runningReport{err: &errQuiet{q}}
				continue
			}
		}
		wg.Go(func() {
			var info mqadmin.ConsumerRunningInfo
			err := g.connBroker.doForClient(ctx, func(ctx context.Context) (err error) {
				info, err = p.admin.ConsumerRunningInfo(ctx, g.connBroker.addr, g.name, cn.ClientID, false)
				return err
			})
			if err != nil {
				// Said when it starts or changes, not each time the client is asked again.
				level := slog.LevelWarn
				if errors.Is(err, mqadmin.ErrEmptyBody) {
					level = slog.LevelDebug // what rocketmq-client-go clients answer: not news
				}
				if gt != nil {
					if _, was := gt.quiet[cn.ClientID]; was && timedOut(err) {
						level = slog.LevelDebug // silent before, and said then
					} else if gt.running.errs[cn.ClientID] == clientError(err, queuesHeld) {
						level = slog.LevelDebug
					}
				}
				p.cfg.Logger.Log(ctx, level, "a client did not report its running info",
					"group", g.name, "client", cn.ClientID, "addr", cn.ClientAddr, "err", err)
			}
			mu.Lock()
			running[cn.ClientID] = runningReport{info: info, err: err}
			mu.Unlock()
		})
	}
	wg.Wait()
	g.running = running
}

// fetchRunningUnlessPops asks the clients of the groups deferred by runningDue, now that
// the pop statistics are in, unless the group pops.
func (p *Poller) fetchRunningUnlessPops(ctx context.Context, f *fetched, now time.Time) {
	var wg sync.WaitGroup
	for _, g := range f.groups {
		if g.askUnlessPops && !pops(f, g) {
			wg.Go(func() { p.fetchRunningInfo(ctx, g, now) })
		}
	}
	wg.Wait()
}

// queuesHeld is what a clustering group's client tells in its running info.
const queuesHeld = "the queues it holds"

// updateRunning folds this cycle's running-info answers, if the clients were asked, into
// what the poller keeps of the group.
func updateRunning(g *groupData, gt *groupTrack, now time.Time) {
	if g.connKnown && !g.online {
		gt.running = runningCache{} // no client online: none owns a queue
		return
	}
	if g.running == nil || g.conn == nil {
		if g.conn != nil && clientsKey(g.conn) != gt.running.clients {
			gt.running = runningCache{} // other clients now: what the old ones said is void
		}
		return
	}
	rc := runningCache{clients: clientsKey(g.conn), at: now, owners: map[queueRef]string{},
		locked: map[queueRef]bool{}, errs: map[string]string{}}
	for client, rep := range g.running {
		if rep.err != nil {
			rc.errs[client] = clientError(rep.err, queuesHeld)
			continue
		}
		if v, ok := rep.info.Properties["PROP_CONSUMEORDERLY"]; ok {
			b, err := strconv.ParseBool(v)
			if err == nil {
				rc.orderly = &b
			}
		}
		for mq, pq := range rep.info.Queues {
			if pq.Dropped {
				continue
			}
			ref := queueRef{topic: mq.Topic, broker: mq.BrokerName, queue: mq.QueueID}
			rc.owners[ref] = client
			if pq.Locked {
				rc.locked[ref] = true
			}
		}
	}
	gt.running = rc
}

// clientsKey identifies a set of clients.
func clientsKey(cc *mqadmin.ConsumerConnection) string {
	ids := make([]string, len(cc.Connections))
	for i, c := range cc.Connections {
		ids[i] = c.ClientID
	}
	slices.Sort(ids)
	return strings.Join(ids, ",")
}

// kindOf names how a group consumes. Online clients say it (their consume type), except that
// the 5.x proxy registers SimpleConsumers as pull consumers (CONSUME_ACTIVELY): a pull group
// that pops (it has a pop retry topic, or the broker counts pop checkpoints for it) is a
// simple one. With no client online the kind last seen stands, marked as remembered; a group
// never seen online that has offsets but no subscription group config committed them
// without ever registering a client, which only pull consumers do.
func kindOf(f *fetched, g *groupData, gt *groupTrack) (kind string, inferred bool) {
	if g.conn != nil && g.conn.ConsumeType != "" {
		switch strings.ToUpper(g.conn.ConsumeType) {
		case "CONSUME_PASSIVELY":
			return KindPush, false
		case "CONSUME_POP":
			return KindPop, false
		case "CONSUME_ACTIVELY":
			switch {
			case pops(f, g) || gt.kind == KindSimple:
				return KindSimple, false
			case popUnanswered(g):
				// Whether it pops is not known this cycle: what was known stands, or nothing.
				return gt.kind, true
			}
			return KindPull, false
		}
	}
	if gt.kind != "" {
		return gt.kind, true
	}
	if pops(f, g) {
		return KindSimple, true
	}
	if o := f.found.origins[g.name]; o != nil && o.offsets && !o.config && !o.retryTopic {
		return KindPull, true
	}
	// Not inferred when clients are online whose consume type the broker did not name: a
	// pop client on a 4.x broker, which has no pop, reads so.
	return "", g.conn == nil || len(g.conn.Connections) == 0
}

// popUnanswered reports whether a broker did not answer whether the group pops.
func popUnanswered(g *groupData) bool {
	for _, byTopic := range g.pop {
		for _, ps := range byTopic {
			if ps.unanswered {
				return true
			}
		}
	}
	return false
}

// pops reports whether the group consumes by pop: a broker counts pop checkpoints for it,
// or it has a pop retry topic (pop creates one per topic the first time a message is not
// acknowledged in time).
func pops(f *fetched, g *groupData) bool {
	for _, byTopic := range g.pop {
		for _, ps := range byTopic {
			if ps.popped {
				return true
			}
		}
	}
	for _, gt := range f.found.popRetry {
		if gt.Group == g.name {
			return true
		}
	}
	return false
}
