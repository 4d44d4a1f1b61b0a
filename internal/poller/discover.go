package poller

import (
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// groupOrigin records where a cycle found a group. A group RocketMQ keeps any state for has
// a subscription group config, a retry topic or committed offsets; one found only by asking
// who consumes a topic must also be online to be real (see discoverGroups).
type groupOrigin struct {
	config, retryTopic, offsets, scan bool
}

// discovered is what discovery learned of the cluster besides the group names.
type discovered struct {
	origins map[string]*groupOrigin
	// dlq holds the groups that have a dead-letter topic (%DLQ%<group>); listed tells the
	// name server's topic list was read, so a group missing from dlq has none.
	dlq    map[string]bool
	listed bool
	// popRetry maps a pop retry topic (%RETRY%<group>_<topic>, or + in the V2 form) to
	// the group and topic it belongs to.
	popRetry map[string]mqadmin.GroupTopic
}

// discoverGroups returns the groups of the cluster: those with a subscription group config
// on any broker, those with committed offsets on any broker (GET_ALL_CONSUMER_OFFSET, which
// finds pull groups that never register a client), those that only show through a retry
// topic, and those some broker says consume a topic. It also reads the versions f asks for
// and each broker's offset table into f.
func (p *Poller) discoverGroups(ctx context.Context, f *fetched) discovered {
	var (
		mu sync.Mutex
		d  = discovered{origins: map[string]*groupOrigin{}, popRetry: map[string]mqadmin.GroupTopic{}, dlq: map[string]bool{}}
		wg sync.WaitGroup
	)
	origin := func(g string) *groupOrigin {
		o := d.origins[g]
		if o == nil {
			o = &groupOrigin{}
			d.origins[g] = o
		}
		return o
	}
	for _, b := range f.brokers {
		wg.Go(func() {
			var subs map[string]mqadmin.SubscriptionGroupConfig
			if err := b.do(ctx, func(ctx context.Context) (err error) {
				subs, err = p.admin.SubscriptionGroups(ctx, b.addr)
				return err
			}); err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for g, cfg := range subs {
				origin(g).config = true
				if cfg.ConsumeMessageOrderly {
					f.orderlyConfig[g] = true
				}
			}
		})
		wg.Go(func() {
			var offs mqadmin.BrokerOffsets
			if err := b.do(ctx, func(ctx context.Context) (err error) {
				offs, err = p.admin.BrokerOffsets(ctx, b.addr)
				return err
			}); err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			f.offsets[b.name] = offs
			for gt := range offs.Committed {
				origin(gt.Group).offsets = true
			}
		})
		if !f.askVersion[b.name] {
			continue
		}
		wg.Go(func() {
			var kv map[string]string
			if b.do(ctx, func(ctx context.Context) (err error) {
				kv, err = p.admin.BrokerRuntimeInfo(ctx, b.addr)
				return err
			}) == nil {
				mu.Lock()
				f.version[b.name] = kv["brokerVersionDesc"]
				mu.Unlock()
			}
		})
	}
	var topics, retries []string
	wg.Go(func() {
		for _, addr := range p.cfg.NamesrvAddrs {
			cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
			list, err := p.admin.TopicList(cctx, addr)
			cancel()
			if err != nil {
				continue // the topic list is disabled on some name servers: the brokers suffice
			}
			d.listed = true
			for _, t := range list {
				if rest, ok := strings.CutPrefix(t, retryPrefix); ok {
					retries = append(retries, rest)
				} else if g, ok := strings.CutPrefix(t, dlqPrefix); ok {
					d.dlq[g] = true
				} else {
					topics = append(topics, t)
				}
			}
			return
		}
	})
	wg.Wait()

	known := map[string]bool{}
	for g := range d.origins {
		known[g] = true
	}
	isTopic := map[string]bool{}
	for _, t := range topics {
		isTopic[t] = true
	}
	for _, rest := range retries {
		if gt, ok := popRetryTopic(rest, known, isTopic); ok {
			d.popRetry[retryPrefix+rest] = gt
			continue
		}
		origin(rest).retryTopic = true
	}
	// Pop retry topics also show in the offset tables, as topics of their group.
	for _, offs := range f.offsets {
		for gt := range offs.Committed {
			if rest, ok := strings.CutPrefix(gt.Topic, retryPrefix); ok && rest != gt.Group {
				if t, ok := popRetryOf(rest, gt.Group); ok {
					d.popRetry[gt.Topic] = mqadmin.GroupTopic{Group: gt.Group, Topic: t}
				}
			}
		}
	}
	for g := range p.onlineGroups(ctx, f, topics) {
		origin(g).scan = true
	}
	for g := range d.origins {
		if systemGroup(g) {
			delete(d.origins, g)
		}
	}
	return d
}

// popRetryTopic tells whether the retry topic %RETRY%<rest> belongs to pop consumption
// rather than to a group: pop names it %RETRY%<group>_<topic> (or <group>+<topic>, the V2
// form). Group and topic names may themselves hold '_', so a split counts only when it
// names a group known otherwise and an existing topic.
func popRetryTopic(rest string, groups, topics map[string]bool) (mqadmin.GroupTopic, bool) {
	if g, t, ok := strings.Cut(rest, "+"); ok && g != "" && t != "" {
		return mqadmin.GroupTopic{Group: g, Topic: t}, true
	}
	if groups[rest] {
		return mqadmin.GroupTopic{}, false
	}
	for i := strings.IndexByte(rest, '_'); i >= 0; {
		g, t := rest[:i], rest[i+1:]
		if groups[g] && topics[t] {
			return mqadmin.GroupTopic{Group: g, Topic: t}, true
		}
		j := strings.IndexByte(rest[i+1:], '_')
		if j < 0 {
			break
		}
		i += j + 1
	}
	return mqadmin.GroupTopic{}, false
}

// popRetryOf returns the topic of group's pop retry topic %RETRY%<rest>, if rest is
// <group>_<topic> or <group>+<topic>.
func popRetryOf(rest, group string) (string, bool) {
	if t, ok := strings.CutPrefix(rest, group+"_"); ok && t != "" {
		return t, true
	}
	if t, ok := strings.CutPrefix(rest, group+"+"); ok && t != "" {
		return t, true
	}
	return "", false
}

// onlineGroups returns the groups some broker says consume one of topics
// (QUERY_TOPIC_CONSUME_BY_WHO): groups that are online but have neither a subscription group
// config, nor a retry topic, nor offsets (a broker with autoCreateSubscriptionGroup=false
// registers their clients all the same). It asks at most once per TopicScanInterval, a
// request per topic and broker, and remembers the answer.
//
// RocketMQ 5.3.3 answers, for a topic with online subscribers, the topic's own name among
// the groups (ConsumerManager.registerConsumer records the subscribed topic where it means
// the group), so what this finds is only a candidate: fetch keeps it only if the group has
// clients online.
func (p *Poller) onlineGroups(ctx context.Context, f *fetched, topics []string) map[string]bool {
	if !p.onlineAt.IsZero() && p.cfg.Now().Sub(p.onlineAt) < p.cfg.TopicScanInterval {
		return p.online
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		found = map[string]bool{}
	)
	for _, b := range f.brokers {
		for _, topic := range topics {
			wg.Go(func() {
				var groups []string
				if b.do(ctx, func(ctx context.Context) (err error) {
					groups, err = p.admin.TopicConsumers(ctx, b.addr, topic)
					return err
				}) != nil {
					return // not on this broker, or the broker is down: the next scan asks again
				}
				mu.Lock()
				defer mu.Unlock()
				for _, g := range groups {
					found[g] = true
				}
			})
		}
	}
	wg.Wait()
	if downBrokers(f) == "" {
		p.online, p.onlineAt = found, p.cfg.Now()
	} else {
		for g := range p.online { // a broker did not answer: keep what it said last time
			found[g] = true
		}
		p.online = found
	}
	return found
}

// sortedNames returns the names of the discovered groups, sorted.
func (d discovered) sortedNames() []string {
	out := make([]string, 0, len(d.origins))
	for g := range d.origins {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}
