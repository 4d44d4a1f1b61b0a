package poller

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// fetched is everything one cycle read from the cluster.
type fetched struct {
	brokers []*brokerPool
	version map[string]string // broker name → version
	groups  map[string]*groupData
	// topics holds each broker's topic extents, by broker name and topic.
	topics map[string]map[string]mqadmin.TopicStats
	// storeTimes holds the store time of the first unconsumed message of queues behind.
	storeTimes map[spanKey]time.Time
}

// groupData is what one cycle read of a group.
type groupData struct {
	name  string
	stats map[string]mqadmin.ConsumeStats // by broker name, for brokers that answered
	errs  map[string]error                // by broker name, for brokers that did not
	conn  *mqadmin.ConsumerConnection     // nil when unknown
	// online is false when a broker answered that no client of the group is connected.
	online bool
	// connKnown is true when some broker answered the connection request.
	connKnown bool
	// connBroker answered the connection request; running info is asked through it.
	connBroker *brokerPool
	// running holds each client's own report, for broadcasting groups.
	running map[string]runningReport
	mu      sync.Mutex
}

// runningReport is a client's answer to a running-info request.
type runningReport struct {
	info mqadmin.ConsumerRunningInfo
	err  error
}

// retryPrefix starts the name of every group's retry topic.
const retryPrefix = "%RETRY%"

// fetch discovers brokers and groups and reads every group's progress from every broker,
// all within ctx's deadline.
func (p *Poller) fetch(ctx context.Context) (*fetched, error) {
	info, err := p.clusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	f := &fetched{version: map[string]string{}, groups: map[string]*groupData{}, topics: map[string]map[string]mqadmin.TopicStats{}}
	for name, b := range info.Brokers {
		if addr := b.MasterAddr(); addr != "" {
			f.brokers = append(f.brokers, newBrokerPool(name, addr, p.cfg.BrokerConcurrency, p.cfg.CallTimeout))
		}
	}
	sort.Slice(f.brokers, func(i, j int) bool { return f.brokers[i].name < f.brokers[j].name })

	names := p.discoverGroups(ctx, f)
	for _, g := range names {
		f.groups[g] = &groupData{name: g, stats: map[string]mqadmin.ConsumeStats{}, errs: map[string]error{}}
	}

	var wg sync.WaitGroup
	for _, g := range f.groups {
		wg.Go(func() {
			var inner sync.WaitGroup
			for _, b := range f.brokers {
				inner.Go(func() { p.fetchStats(ctx, b, g, "") })
			}
			inner.Go(func() { p.fetchConnections(ctx, f.brokers, g) })
			inner.Wait()
			p.fetchRunningInfo(ctx, g)
			// A group that has never committed on a topic its clients subscribe to has no
			// offsets there, so the broker leaves the topic out unless asked for it by name;
			// asked, it reports the whole backlog.
			for _, topic := range uncommittedTopics(g) {
				for _, b := range f.brokers {
					inner.Go(func() { p.fetchStats(ctx, b, g, topic) })
				}
			}
			inner.Wait()
		})
	}
	wg.Wait()
	p.fetchTopicStats(ctx, f)
	f.storeTimes = p.fetchStoreTimes(ctx, f)
	return f, nil
}

// fetchStats reads the group's progress on one broker (all its topics when topic is empty)
// and merges it into what is known of the group.
func (p *Poller) fetchStats(ctx context.Context, b *brokerPool, g *groupData, topic string) {
	var st mqadmin.ConsumeStats
	err := b.do(ctx, func(ctx context.Context) (err error) {
		st, err = p.cfg.Admin.ConsumeStats(ctx, b.addr, g.name, topic)
		return err
	})
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case err != nil && !answered(err):
		g.errs[b.name] = err
	case err != nil:
		// The broker answered with an error (e.g. the topic is not on it): nothing to add.
	case g.stats[b.name].Offsets == nil:
		g.stats[b.name] = st
	default:
		merged := g.stats[b.name]
		for mq, o := range st.Offsets {
			merged.Offsets[mq] = o
		}
		g.stats[b.name] = merged
	}
}

// uncommittedTopics returns the topics the group's clients subscribe to that no broker
// reported offsets for.
func uncommittedTopics(g *groupData) []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	// Broadcasting groups keep offsets in their clients: the broker's figures by topic would
	// count every message as waiting.
	if g.conn == nil || broadcasting(g.conn.MessageModel) {
		return nil
	}
	have := map[string]bool{}
	for _, st := range g.stats {
		for mq := range st.Offsets {
			have[mq.Topic] = true
		}
	}
	var out []string
	for topic := range g.conn.Subscriptions {
		if !have[topic] {
			out = append(out, topic)
		}
	}
	sort.Strings(out)
	return out
}

// clusterInfo asks the name servers in order.
func (p *Poller) clusterInfo(ctx context.Context) (mqadmin.ClusterInfo, error) {
	var errs []error
	for _, addr := range p.cfg.NamesrvAddrs {
		cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
		info, err := p.cfg.Admin.ClusterInfo(cctx, addr)
		cancel()
		if err == nil {
			return info, nil
		}
		errs = append(errs, err)
	}
	return mqadmin.ClusterInfo{}, fmt.Errorf("%w: %w", errNoNamesrv, errors.Join(errs...))
}

// discoverGroups returns the groups of the cluster: those with a subscription group config on
// any broker, and those that only show through a retry topic. It also reads broker versions.
func (p *Poller) discoverGroups(ctx context.Context, f *fetched) []string {
	var (
		mu  sync.Mutex
		set = map[string]bool{}
		wg  sync.WaitGroup
	)
	for _, b := range f.brokers {
		wg.Go(func() {
			var subs map[string]mqadmin.SubscriptionGroupConfig
			if err := b.do(ctx, func(ctx context.Context) (err error) {
				subs, err = p.cfg.Admin.SubscriptionGroups(ctx, b.addr)
				return err
			}); err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for g := range subs {
				set[g] = true
			}
		})
		wg.Go(func() {
			var kv map[string]string
			if b.do(ctx, func(ctx context.Context) (err error) {
				kv, err = p.cfg.Admin.BrokerRuntimeInfo(ctx, b.addr)
				return err
			}) == nil {
				mu.Lock()
				f.version[b.name] = kv["brokerVersionDesc"]
				mu.Unlock()
			}
		})
	}
	var topics []string
	wg.Go(func() {
		for _, addr := range p.cfg.NamesrvAddrs {
			cctx, cancel := context.WithTimeout(ctx, p.cfg.CallTimeout)
			list, err := p.cfg.Admin.TopicList(cctx, addr)
			cancel()
			if err != nil {
				continue // the topic list is disabled on some name servers: subscription groups suffice
			}
			mu.Lock()
			for _, t := range list {
				if g, ok := strings.CutPrefix(t, retryPrefix); ok {
					set[g] = true
				} else if !strings.HasPrefix(t, "%DLQ%") {
					topics = append(topics, t)
				}
			}
			mu.Unlock()
			return
		}
	})
	wg.Wait()
	for g := range p.onlineGroups(ctx, f, topics) {
		set[g] = true
	}
	out := make([]string, 0, len(set))
	for g := range set {
		if !systemGroup(g) {
			out = append(out, g)
		}
	}
	sort.Strings(out)
	return out
}

// onlineGroups returns the groups some broker says consume one of topics: groups that are
// online but have neither a subscription group config nor a retry topic (a broker with
// autoCreateSubscriptionGroup=false registers their clients all the same). It asks at most
// once per TopicScanInterval, a request per topic and broker, and remembers the answer.
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
					groups, err = p.cfg.Admin.TopicConsumers(ctx, b.addr, topic)
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

// fetchConnections asks the brokers in turn for the group's online clients.
func (p *Poller) fetchConnections(ctx context.Context, brokers []*brokerPool, g *groupData) {
	for _, b := range brokers {
		var cc mqadmin.ConsumerConnection
		err := b.do(ctx, func(ctx context.Context) (err error) {
			cc, err = p.cfg.Admin.ConsumerConnections(ctx, b.addr, g.name)
			return err
		})
		g.mu.Lock()
		switch {
		case err == nil:
			g.conn, g.connKnown, g.online, g.connBroker = &cc, true, len(cc.Connections) > 0, b
		case errors.Is(err, mqadmin.ErrConsumerNotOnline):
			g.connKnown = true
		}
		done := g.connKnown
		g.mu.Unlock()
		if done {
			return
		}
	}
}

// fetchTopicStats reads the extent (min and max offsets) of every topic some group has
// offsets on, from each broker that has them.
func (p *Poller) fetchTopicStats(ctx context.Context, f *fetched) {
	want := map[string]map[string]bool{} // broker → topics
	for _, g := range f.groups {
		// Broadcasting groups have no offsets on the brokers; their clients' offsets are
		// measured against the extents of the topics they subscribe to, on every broker.
		if g.conn != nil && broadcasting(g.conn.MessageModel) {
			for topic := range g.conn.Subscriptions {
				for _, b := range f.brokers {
					if want[b.name] == nil {
						want[b.name] = map[string]bool{}
					}
					want[b.name][topic] = true
				}
			}
		}
		for broker, st := range g.stats {
			for mq := range st.Offsets {
				if want[broker] == nil {
					want[broker] = map[string]bool{}
				}
				want[broker][mq.Topic] = true
			}
		}
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	for _, b := range f.brokers {
		for topic := range want[b.name] {
			wg.Go(func() {
				var ts mqadmin.TopicStats
				if b.do(ctx, func(ctx context.Context) (err error) {
					ts, err = p.cfg.Admin.TopicStats(ctx, b.addr, topic)
					return err
				}) != nil {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				if f.topics[b.name] == nil {
					f.topics[b.name] = map[string]mqadmin.TopicStats{}
				}
				f.topics[b.name][topic] = ts
			})
		}
	}
	wg.Wait()
}

// fetchRunningInfo asks each client of a broadcasting group for its own offsets, through
// the broker that reported the connections.
func (p *Poller) fetchRunningInfo(ctx context.Context, g *groupData) {
	if g.conn == nil || !broadcasting(g.conn.MessageModel) || g.connBroker == nil {
		return
	}
	var (
		mu sync.Mutex
		wg sync.WaitGroup
	)
	running := map[string]runningReport{}
	for _, cn := range g.conn.Connections {
		wg.Go(func() {
			var info mqadmin.ConsumerRunningInfo
			err := g.connBroker.do(ctx, func(ctx context.Context) (err error) {
				info, err = p.cfg.Admin.ConsumerRunningInfo(ctx, g.connBroker.addr, g.name, cn.ClientID, false)
				return err
			})
			mu.Lock()
			running[cn.ClientID] = runningReport{info: info, err: err}
			mu.Unlock()
		})
	}
	wg.Wait()
	g.running = running
}

func broadcasting(model string) bool { return strings.EqualFold(model, "BROADCASTING") }

// systemGroup reports groups RocketMQ itself uses; they are not shown.
func systemGroup(g string) bool {
	switch g {
	case "TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "DEFAULT_CONSUMER",
		"CID_ONS-HTTP-PROXY", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_ONSAPI_PULL":
		return true
	}
	return strings.HasPrefix(g, "CID_RMQ_SYS_") || strings.HasPrefix(g, "CID_SYS_RMQ_")
}
