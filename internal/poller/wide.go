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
	groups map[string]mqadmin.ConsumeStats // each group's topics, merged
	topics map[string]map[string]bool      // group → topics answered
	err    error
}

// fetchBrokerWide asks every broker for the progress of all its groups at once. The call
// may take longer than one request's timeout on a broker with many groups: it is bounded by
// the cycle's deadline instead.
func (p *Poller) fetchBrokerWide(ctx context.Context, f *fetched) map[string]*brokerWide {
	out := make(map[string]*brokerWide, len(f.brokers))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, b := range f.brokers {
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
