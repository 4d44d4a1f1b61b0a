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
	// askVersion holds the brokers whose version is asked this cycle.
	askVersion map[string]bool
	groups     map[string]*groupData
	// offsets holds each broker's whole offset table, by broker name, for brokers that
	// answered GET_ALL_CONSUMER_OFFSET.
	offsets map[string]mqadmin.BrokerOffsets
	// orderlyConfig holds the groups whose subscription group config asks for orderly
	// consumption.
	orderlyConfig map[string]bool
	// found says where discovery found each group, and which retry topics are pop's.
	found discovered
	// dlq holds what the brokers hold of each group's dead-letter topic.
	dlq map[string]dlqCount
	// topics holds each broker's topic extents, by broker name and topic.
	topics map[string]map[string]mqadmin.TopicStats
	// storeTimes holds the store time of the first unconsumed message of queues behind.
	storeTimes map[spanKey]time.Time
	// topicsRead holds the topic stats read this cycle to derive progress (wide.go), by
	// broker and topic: fresh, so not asked again.
	topicsRead map[string]map[string]mqadmin.TopicStats
}

// groupData is what one cycle read of a group.
type groupData struct {
	name  string
	stats map[string]mqadmin.ConsumeStats // by broker name, for brokers that answered
	errs  map[string]error                // by broker name, for brokers that did not
	wide  map[string]bool                 // brokers whose stats came from the broker-wide answer
	// derived holds the brokers whose stats were derived from their offset table (wide.go):
	// no consume rate, no last consumed time.
	derived map[string]bool
	conn    *mqadmin.ConsumerConnection // nil when unknown
	// online is false when a broker answered that no client of the group is connected.
	online bool
	// connKnown is true when some broker answered the connection request.
	connKnown bool
	// connBroker answered the connection request; running info is asked through it.
	connBroker *brokerPool
	// connReused is true when the clients were not asked this cycle but taken from the
	// last answer (connections).
	connReused bool
	// running holds each client's own report when it was asked this cycle (runningDue).
	running map[string]runningReport
	// askUnlessPops is set when the clients are to be asked once the pop statistics are
	// in, if the group does not pop (askUnlessPops).
	askUnlessPops bool
	// initial holds, for queues never committed, what the broker answers a client asking
	// where to start (InitialOffset): an offset, or an error (ErrQueryNotFound: the
	// client's own setting decides).
	initial map[queueRef]initialAnswer
	// pop holds, by broker and topic, the broker's figures of the group's pop consumption,
	// for groups that may pop (mayPop).
	pop map[string]map[string]popTopicStats
	mu  sync.Mutex
}

// queueRef names a queue of a group's topic on a broker.
type queueRef struct {
	topic, broker string
	queue         int
}

// initialAnswer is a broker's answer to InitialOffset.
type initialAnswer struct {
	offset int64
	err    error
}

// runningReport is a client's answer to a running-info request.
type runningReport struct {
	info mqadmin.ConsumerRunningInfo
	err  error
}

// retryPrefix starts the name of every group's retry topic, dlqPrefix its dead-letter topic.
const (
	retryPrefix = "%RETRY%"
	dlqPrefix   = "%DLQ%"
)

// versionRefresh is how often a broker's version is asked again.
const versionRefresh = time.Minute

// versionMemo is a broker's version, and when it was read.
type versionMemo struct {
	version string
	at      time.Time
}

// fetch discovers brokers and groups and reads every group's progress from every broker,
// all within ctx's deadline.
func (p *Poller) fetch(ctx context.Context, now time.Time) (*fetched, error) {
	info, err := p.clusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	f := &fetched{version: map[string]string{}, groups: map[string]*groupData{},
		topics:  map[string]map[string]mqadmin.TopicStats{},
		offsets: map[string]mqadmin.BrokerOffsets{}, orderlyConfig: map[string]bool{}}
	for name, b := range info.Brokers {
		if addr := b.MasterAddr(); addr != "" {
			f.brokers = append(f.brokers, newBrokerPool(name, addr, p.cfg.BrokerConcurrency, p.cfg.CallTimeout))
		}
	}
	sort.Slice(f.brokers, func(i, j int) bool { return f.brokers[i].name < f.brokers[j].name })

	// A broker's version changes only with a restart: it is asked once a minute, not each
	// cycle (GET_BROKER_RUNTIME_INFO is among the broker's slowest answers).
	f.askVersion = map[string]bool{}
	if p.versions == nil {
		p.versions = map[string]versionMemo{}
	}
	for _, b := range f.brokers {
		if m, ok := p.versions[b.addr]; ok && now.Sub(m.at) < versionRefresh && now.After(m.at) {
			f.version[b.name] = m.version
		} else {
			f.askVersion[b.name] = true
		}
	}
	f.found = p.discoverGroups(ctx, f)
	for _, b := range f.brokers {
		if v, ok := f.version[b.name]; ok && f.askVersion[b.name] {
			p.versions[b.addr] = versionMemo{version: v, at: now}
		}
	}
	for _, g := range f.found.sortedNames() {
		f.groups[g] = &groupData{name: g, stats: map[string]mqadmin.ConsumeStats{}, errs: map[string]error{},
			wide: map[string]bool{}, derived: map[string]bool{}}
	}
	// Every group's progress, one request per broker; a group the answers do not cover
	// is asked on its own.
	wide, committed := p.fetchBrokerWide(ctx, f), committedTopics(f)

	due := p.runningDue()
	var wg sync.WaitGroup
	for _, g := range f.groups {
		wg.Go(func() {
			var inner sync.WaitGroup
			for _, b := range f.brokers {
				if !statsFromWide(wide[b.name], committed, b, g) {
					inner.Go(func() { p.fetchStats(ctx, b, g, "") })
				}
			}
			inner.Wait()
			p.connections(ctx, f, g, now)
			dropUnsubscribed(g)
			for _, b := range f.brokers {
				if needPullOffsets(f, b, g) {
					inner.Go(func() { p.fetchStats(ctx, b, g, "") })
				}
			}
			switch due(g) {
			case askNow:
				p.fetchRunningInfo(ctx, g, now)
			case askUnlessPops:
				g.askUnlessPops = true
			}
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
	p.rememberConnections(f, now)
	p.cycleNo++
	p.fetchPopStats(ctx, f)
	p.fetchRunningUnlessPops(ctx, f, now)
	p.readPopLogs(ctx, f)
	// A group found only by asking who consumes a topic is real only while it is online.
	for name, g := range f.groups {
		if o := f.found.origins[name]; o != nil && o.scan && !o.config && !o.retryTopic && !o.offsets && !g.online {
			delete(f.groups, name)
		}
	}
	p.fetchTopicStats(ctx, f, now)
	p.fetchDeadLetters(ctx, f)
	p.fetchInitialOffsets(ctx, f)
	f.storeTimes = p.fetchStoreTimes(ctx, f)
	return f, nil
}

// topicStats reads a topic's queues on broker b, within the broker's limits.
func (p *Poller) topicStats(ctx context.Context, b *brokerPool, topic string) (ts mqadmin.TopicStats, err error) {
	err = b.do(ctx, func(ctx context.Context) (err error) {
		ts, err = p.admin.TopicStats(ctx, b.addr, topic)
		return err
	})
	return ts, err
}

// fetchStats reads the group's progress on one broker (all its topics when topic is empty)
// and merges it into what is known of the group.
func (p *Poller) fetchStats(ctx context.Context, b *brokerPool, g *groupData, topic string) {
	var st mqadmin.ConsumeStats
	err := b.do(ctx, func(ctx context.Context) (err error) {
		st, err = p.admin.ConsumeStats(ctx, b.addr, g.name, topic)
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
		info, err := p.admin.ClusterInfo(cctx, addr)
		cancel()
		if err == nil {
			return info, nil
		}
		errs = append(errs, err)
	}
	return mqadmin.ClusterInfo{}, fmt.Errorf("%w: %w", errNoNamesrv, errors.Join(errs...))
}

// fetchConnections asks the brokers in turn for the group's online clients.
func (p *Poller) fetchConnections(ctx context.Context, brokers []*brokerPool, g *groupData) {
	for _, b := range brokers {
		var cc mqadmin.ConsumerConnection
		err := b.do(ctx, func(ctx context.Context) (err error) {
			cc, err = p.admin.ConsumerConnections(ctx, b.addr, g.name)
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
// offsets on, from each broker that has them. The groups' own answers carry each queue's
// max offset; the extents add the min offset, which moves only when retention deletes old
// messages: it is asked again once per ConnectionsRefresh, spread over the cycles. Topics
// a broadcasting group subscribes to are read every cycle, their max offsets being what
// its clients' offsets are measured against.
func (p *Poller) fetchTopicStats(ctx context.Context, f *fetched, now time.Time) {
	want := map[string]map[string]bool{} // broker → topics; true: read it this cycle
	add := func(broker, topic string, fresh bool) {
		if want[broker] == nil {
			want[broker] = map[string]bool{}
		}
		want[broker][topic] = want[broker][topic] || fresh
	}
	for _, g := range f.groups {
		if g.conn != nil && broadcasting(g.conn.MessageModel) {
			for topic := range g.conn.Subscriptions {
				for _, b := range f.brokers {
					add(b.name, topic, true)
				}
			}
		}
		for broker, st := range g.stats {
			for mq := range st.Offsets {
				add(broker, mq.Topic, false)
			}
		}
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		next = map[string]map[string]extentMemo{}
	)
	keep := func(broker, topic string, m extentMemo) {
		mu.Lock()
		defer mu.Unlock()
		if f.topics[broker] == nil {
			f.topics[broker], next[broker] = map[string]mqadmin.TopicStats{}, map[string]extentMemo{}
		}
		f.topics[broker][topic], next[broker][topic] = m.stats, m
	}
	for _, b := range f.brokers {
		for topic, fresh := range want[b.name] {
			if ts, ok := f.topicsRead[b.name][topic]; ok {
				keep(b.name, topic, extentMemo{stats: ts, at: now})
				continue
			}
			if m, ok := p.extents[b.name][topic]; ok && !fresh &&
				!refreshDue(b.name+"/"+topic, m.at, now, p.cycleNo, p.cfg.ConnectionsRefresh, p.cfg.Interval) {
				keep(b.name, topic, m)
				continue
			}
			wg.Go(func() {
				ts, err := p.topicStats(ctx, b, topic)
				if err != nil {
					// The last extents stand in until the broker answers again, but never
					// for a broadcasting group's max offsets.
					if m, ok := p.extents[b.name][topic]; ok && !fresh {
						keep(b.name, topic, m)
					}
					return
				}
				keep(b.name, topic, extentMemo{stats: ts, at: now})
			})
		}
	}
	wg.Wait()
	p.extents = next
}

// extentMemo is a topic's extents on a broker as last read.
type extentMemo struct {
	stats mqadmin.TopicStats
	at    time.Time
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
