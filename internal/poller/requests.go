package poller

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Request names, as reports and metrics count them.
const (
	reqClusterInfo    = "cluster_info"
	reqTopicList      = "topic_list"
	reqRuntimeInfo    = "broker_runtime_info"
	reqSubscriptions  = "subscription_groups"
	reqConsumeStats   = "consume_stats"
	reqBrokerConsume  = "broker_consume_stats"
	reqConnections    = "consumer_connections"
	reqTopicStats     = "topic_stats"
	reqTimeSpans      = "consume_time_spans"
	reqRunningInfo    = "consumer_running_info"
	reqTopicConsumers = "topic_consumers"
	reqBrokerOffsets  = "broker_offsets"
	reqInitialOffset  = "initial_offset"
	reqBrokerStats    = "broker_stats"
	reqSearchOffset   = "search_offset"
	reqPullMessages   = "pull_messages"
)

// countingAdmin is the poller's Admin, counting the requests of the cycle by kind, so a
// report says what a cycle sent and a benchmark how many round trips it costs.
type countingAdmin struct {
	Admin
	mu   sync.Mutex
	n    map[string]int
	took map[string]time.Duration
}

func newCountingAdmin(a Admin) *countingAdmin {
	return &countingAdmin{Admin: a, n: map[string]int{}, took: map[string]time.Duration{}}
}

// count counts a request of kind; the func it returns, called when the answer is in, adds
// the time it took.
func (c *countingAdmin) count(kind string) func() {
	c.mu.Lock()
	c.n[kind]++
	c.mu.Unlock()
	began := time.Now()
	return func() {
		d := time.Since(began)
		c.mu.Lock()
		c.took[kind] += d
		c.mu.Unlock()
	}
}

// take returns the counts and the time the requests took, summed by kind (concurrent
// requests each count in full), since the last take, and starts again.
func (c *countingAdmin) take() (map[string]int, map[string]time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, took := maps.Clone(c.n), maps.Clone(c.took)
	clear(c.n)
	clear(c.took)
	return n, took
}

func (c *countingAdmin) ClusterInfo(ctx context.Context, addr string) (mqadmin.ClusterInfo, error) {
	defer c.count(reqClusterInfo)()
	return c.Admin.ClusterInfo(ctx, addr)
}

func (c *countingAdmin) TopicList(ctx context.Context, addr string) ([]string, error) {
	defer c.count(reqTopicList)()
	return c.Admin.TopicList(ctx, addr)
}

func (c *countingAdmin) BrokerRuntimeInfo(ctx context.Context, addr string) (map[string]string, error) {
	defer c.count(reqRuntimeInfo)()
	return c.Admin.BrokerRuntimeInfo(ctx, addr)
}

func (c *countingAdmin) SubscriptionGroups(ctx context.Context, addr string) (map[string]mqadmin.SubscriptionGroupConfig, error) {
	defer c.count(reqSubscriptions)()
	return c.Admin.SubscriptionGroups(ctx, addr)
}

func (c *countingAdmin) ConsumeStats(ctx context.Context, addr, group, topic string) (mqadmin.ConsumeStats, error) {
	defer c.count(reqConsumeStats)()
	return c.Admin.ConsumeStats(ctx, addr, group, topic)
}

func (c *countingAdmin) BrokerConsumeStats(ctx context.Context, addr string, orderOnly bool) (mqadmin.BrokerConsumeStats, error) {
	defer c.count(reqBrokerConsume)()
	return c.Admin.BrokerConsumeStats(ctx, addr, orderOnly)
}

func (c *countingAdmin) ConsumerConnections(ctx context.Context, addr, group string) (mqadmin.ConsumerConnection, error) {
	defer c.count(reqConnections)()
	return c.Admin.ConsumerConnections(ctx, addr, group)
}

func (c *countingAdmin) TopicStats(ctx context.Context, addr, topic string) (mqadmin.TopicStats, error) {
	defer c.count(reqTopicStats)()
	return c.Admin.TopicStats(ctx, addr, topic)
}

func (c *countingAdmin) ConsumeTimeSpans(ctx context.Context, addr, group, topic string) ([]mqadmin.QueueTimeSpan, error) {
	defer c.count(reqTimeSpans)()
	return c.Admin.ConsumeTimeSpans(ctx, addr, group, topic)
}

func (c *countingAdmin) ConsumerRunningInfo(ctx context.Context, addr, group, clientID string, jstack bool) (mqadmin.ConsumerRunningInfo, error) {
	defer c.count(reqRunningInfo)()
	return c.Admin.ConsumerRunningInfo(ctx, addr, group, clientID, jstack)
}

func (c *countingAdmin) TopicConsumers(ctx context.Context, addr, topic string) ([]string, error) {
	defer c.count(reqTopicConsumers)()
	return c.Admin.TopicConsumers(ctx, addr, topic)
}

func (c *countingAdmin) BrokerOffsets(ctx context.Context, addr string) (mqadmin.BrokerOffsets, error) {
	defer c.count(reqBrokerOffsets)()
	return c.Admin.BrokerOffsets(ctx, addr)
}

func (c *countingAdmin) InitialOffset(ctx context.Context, addr, group, topic string, queueID int) (int64, error) {
	defer c.count(reqInitialOffset)()
	return c.Admin.InitialOffset(ctx, addr, group, topic, queueID)
}

func (c *countingAdmin) BrokerStats(ctx context.Context, addr, name, key string) (mqadmin.BrokerStatsData, error) {
	defer c.count(reqBrokerStats)()
	return c.Admin.BrokerStats(ctx, addr, name, key)
}

func (c *countingAdmin) SearchOffsetByTimestamp(ctx context.Context, addr, topic string, queueID int, ts time.Time) (int64, error) {
	defer c.count(reqSearchOffset)()
	return c.Admin.SearchOffsetByTimestamp(ctx, addr, topic, queueID, ts)
}

func (c *countingAdmin) PullMessages(ctx context.Context, addr, topic string, queueID int, offset int64, max int) (mqadmin.PullResult, error) {
	defer c.count(reqPullMessages)()
	return c.Admin.PullMessages(ctx, addr, topic, queueID, offset, max)
}
