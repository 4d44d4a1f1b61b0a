package poller

import (
	"context"
	"strings"
	"sync"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// brokerWide is one broker's answer to GET_BROKER_CONSUME_STATS: every group's progress in
// one request instead of one per group.
type brokerWide struct {
	groups  map[string]mqadmin.ConsumeStats // each group's topics, merged
	topics  map[string]map[string]bool      // group → topics answered
	err     error
	derived bool                          // built from the offset table and topic stats (deriveWide)
	read    map[string]mqadmin.TopicStats // the topic stats it was built from, by topic
}

// fetchBrokerWide asks every broker for the progress of all its groups at once. The call
// may take longer than one request's timeout on a broker with many groups: it is bounded by
// the cycle's deadline instead.
func (p *Poller) fetchBrokerWide(ctx context.Context, f *fetched) map[string]*brokerWide {
	out := make(map[string]*brokerWide, len(f.brokers))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, b := range f.brokers {
		if offs, ok := f.offsets[b.name]; ok && len(offs.Groups()) > p.cfg.DeriveAbove {
			wg.Go(func() {
				w := p.deriveWide(ctx, b, offs)
				mu.Lock()
				out[b.name] = w
				if w.read != nil {
					if f.topicsRead == nil {
						f.topicsRead = map[string]map[string]mqadmin.TopicStats{}
					}
					f.topicsRead[b.name] = w.read
				}
				mu.Unlock()
			})
			continue
		}
		wg.Go(func() {
			var all mqadmin.BrokerConsumeStats
			err := b.doLong(ctx, func(ctx context.Context) (err error) {
				all, err = p.admin.BrokerConsumeStats(ctx, b.addr, false)
				return err
			})
			w := &brokerWide{err: err}
			if err == nil {
				w.groups = make(map[string]mqadmin.ConsumeStats, len(all.Groups))
				w.topics = make(map[string]map[string]bool, len(all.Groups))
				for group, list := range all.Groups {
					merged := mqadmin.ConsumeStats{Offsets: map[mqadmin.MessageQueue]mqadmin.OffsetWrapper{}}
					topics := map[string]bool{}
					for _, cs := range list {
						merged.ConsumeTPS += cs.ConsumeTPS
						for mq, o := range cs.Offsets {
							merged.Offsets[mq] = o
							topics[mq.Topic] = true
						}
					}
					w.groups[group], w.topics[group] = merged, topics
				}
			}
			mu.Lock()
			out[b.name] = w
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// deriveWide builds what GET_BROKER_CONSUME_STATS would answer from the broker's offset
// table and the max offsets of the topics in it, as the broker itself computes that answer:
// every queue of each topic a group has committed on, its committed offset or 0 where it has
// none. Pull offsets, as with that request, are asked of the groups that need them
// (needPullOffsets). The consume rate and the last consumed
// message's store time, which the broker reads from its statistics and its commit log for
// every queue, are left unknown. Topics whose stats the broker did not give are left out,
// so the groups on them are asked on their own (statsFromWide).
func (p *Poller) deriveWide(ctx context.Context, b *brokerPool, offs mqadmin.BrokerOffsets) *brokerWide {
	topics := map[string]bool{}
	for gt := range offs.Committed {
		topics[gt.Topic] = true
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		read = make(map[string]mqadmin.TopicStats, len(topics))
	)
	for topic := range topics {
		wg.Go(func() {
			ts, err := p.topicStats(ctx, b, topic)
			if err != nil {
				return
			}
			mu.Lock()
			read[topic] = ts
			mu.Unlock()
		})
	}
	wg.Wait()
	if e := b.failure(); e != nil && len(read) == 0 {
		return &brokerWide{err: e}
	}
	w := &brokerWide{groups: map[string]mqadmin.ConsumeStats{}, topics: map[string]map[string]bool{}, derived: true, read: read}
	for gt, committed := range offs.Committed {
		ts, ok := read[gt.Topic]
		if !ok {
			continue
		}
		st, ok := w.groups[gt.Group]
		if !ok {
			st = mqadmin.ConsumeStats{Offsets: map[mqadmin.MessageQueue]mqadmin.OffsetWrapper{}}
			w.groups[gt.Group], w.topics[gt.Group] = st, map[string]bool{}
		}
		for mq, ext := range ts.Offsets {
			st.Offsets[mq] = mqadmin.OffsetWrapper{BrokerOffset: max(ext.MaxOffset, 0), ConsumerOffset: max(committed[mq.QueueID], 0)}
		}
		w.topics[gt.Group][gt.Topic] = true
	}
	return w
}

// dropUnsubscribed removes from derived progress the topics a group's online clients do
// not subscribe to, as the broker leaves them out of its own answers: a topic the group
// once committed on and no longer reads is not its backlog.
func dropUnsubscribed(g *groupData) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conn == nil || !g.online || len(g.conn.Subscriptions) == 0 {
		return
	}
	for broker := range g.derived {
		st := g.stats[broker]
		for mq := range st.Offsets {
			if _, ok := g.conn.Subscriptions[mq.Topic]; !ok {
				delete(st.Offsets, mq)
			}
		}
	}
}

// committedTopics indexes the brokers' offset tables: broker → group → topics the group
// has committed offsets on. A broker missing had no offset table this cycle.
func committedTopics(f *fetched) map[string]map[string][]string {
	out := make(map[string]map[string][]string, len(f.offsets))
	for broker, offs := range f.offsets {
		byGroup := map[string][]string{}
		for gt := range offs.Committed {
			byGroup[gt.Group] = append(byGroup[gt.Group], gt.Topic)
		}
		out[broker] = byGroup
	}
	return out
}

// statsFromWide fills the group's progress on broker b from the broker-wide answer and
// reports whether it could. It cannot when the broker did not give that answer, when its
// offset table is unknown (nothing to check the answer against), or when the answer leaves
// out a topic the group has offsets on (the broker omits topics an online client does not
// subscribe to, and groups without a subscription group config): the group is then asked
// on its own, as GET_CONSUME_STATS reports those. A broker that did not answer at all is
// the group's failure there, as a request of its own would have been.
func statsFromWide(w *brokerWide, committed map[string]map[string][]string, b *brokerPool, g *groupData) bool {
	if w == nil {
		return false
	}
	if w.err != nil {
		if answered(w.err) {
			return false
		}
		g.mu.Lock()
		g.errs[b.name] = w.err
		g.mu.Unlock()
		return true
	}
	byGroup, ok := committed[b.name]
	if !ok {
		return false
	}
	st, listed := w.groups[g.name]
	for _, topic := range byGroup[g.name] {
		if !listed || !w.topics[g.name][topic] {
			return false
		}
	}
	if !listed {
		st = mqadmin.ConsumeStats{Offsets: map[mqadmin.MessageQueue]mqadmin.OffsetWrapper{}}
	}
	g.mu.Lock()
	g.stats[b.name] = st
	g.wide[b.name] = true
	if w.derived {
		g.derived[b.name] = true
	}
	g.mu.Unlock()
	return true
}

// needPullOffsets reports whether the group's messages in flight on broker b must be asked
// for on their own: only GET_CONSUME_STATS carries pull offsets (5.1 and later), and they
// matter only for an online push group with messages waiting there (a group caught up has
// none in flight).
func needPullOffsets(f *fetched, b *brokerPool, g *groupData) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.wide[b.name] || !g.online || g.conn == nil || broadcasting(g.conn.MessageModel) ||
		!strings.EqualFold(g.conn.ConsumeType, "CONSUME_PASSIVELY") || !pullOffsetsOn(f.version[b.name]) {
		return false
	}
	for _, o := range g.stats[b.name].Offsets {
		if o.Lag() > 0 {
			return true
		}
	}
	return false
}

// pullOffsetsOn reports whether a broker of this version keeps pull offsets (5.1 and
// later); an unknown version is asked.
func pullOffsetsOn(version string) bool {
	return !strings.HasPrefix(version, "V4") && !strings.HasPrefix(version, "V5_0_")
}
