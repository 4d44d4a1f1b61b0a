package reset

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Admin is what the workflow needs of the RocketMQ admin client (*mqadmin.Client).
type Admin interface {
	TopicRoute(ctx context.Context, namesrvAddr, topic string) (mqadmin.TopicRoute, error)
	TopicStats(ctx context.Context, brokerAddr, topic string) (mqadmin.TopicStats, error)
	ConsumeStats(ctx context.Context, brokerAddr, group, topic string) (mqadmin.ConsumeStats, error)
	QueryConsumerOffset(ctx context.Context, brokerAddr, group, topic string, queueID int) (int64, error)
	ConsumerConnections(ctx context.Context, brokerAddr, group string) (mqadmin.ConsumerConnection, error)
	ConsumerRunningInfo(ctx context.Context, brokerAddr, group, clientID string, jstack bool) (mqadmin.ConsumerRunningInfo, error)
	BrokerConfig(ctx context.Context, brokerAddr string) (map[string]string, error)
	BrokerRuntimeInfo(ctx context.Context, brokerAddr string) (map[string]string, error)
	SearchOffsetByTimestamp(ctx context.Context, brokerAddr, topic string, queueID int, ts time.Time) (int64, error)
	ResetOffset(ctx context.Context, brokerAddr string, req mqadmin.ResetOffsetRequest) (map[mqadmin.MessageQueue]int64, error)
	ResetQueueOffset(ctx context.Context, brokerAddr, group, topic string, queueID int, offset int64) error
	UpdateConsumerOffset(ctx context.Context, brokerAddr, group, topic string, queueID int, offset int64) error
	SubscriptionGroups(ctx context.Context, brokerAddr string) (map[string]mqadmin.SubscriptionGroupConfig, error)
	BrokerStats(ctx context.Context, brokerAddr, name, key string) (mqadmin.BrokerStatsData, error)
	PullMessages(ctx context.Context, brokerAddr, topic string, queueID int, offset int64, max int) (mqadmin.PullResult, error)
	BrokerOffsets(ctx context.Context, brokerAddr string) (mqadmin.BrokerOffsets, error)
}

// Cluster is a cluster the workflow can reset offsets on.
type Cluster struct {
	Name         string
	NamesrvAddrs []string
	Admin        Admin
}

// brokerState is what is read from one broker, for a preview and again at execution.
type brokerState struct {
	name, addr string
	serverSide bool
	version    string
	conn       mqadmin.ConsumerConnection
	online     int
	extents    map[int]mqadmin.TopicOffset
	committed  map[int]int64
}

// snapshot is the topic's queues and the group's offsets across the topic's brokers.
type snapshot struct {
	brokers []brokerState
}

// read reads the topic's route and, on each broker's master, the queues' extents, the
// group's committed offsets, its online clients and how the broker resets: what a preview
// and an execution need.
func read(ctx context.Context, c Cluster, group, topic string) (snapshot, error) {
	return readTopic(ctx, c, group, topic, true)
}

// readOffsets reads only the queues' extents and the group's committed offsets, which is
// all verification looks at, every second.
func readOffsets(ctx context.Context, c Cluster, group, topic string) (snapshot, error) {
	return readTopic(ctx, c, group, topic, false)
}

func readTopic(ctx context.Context, c Cluster, group, topic string, whole bool) (snapshot, error) {
	route, err := topicRoute(ctx, c, topic)
	if err != nil {
		return snapshot{}, err
	}
	var snap snapshot
	for _, b := range route.Brokers {
		bs, err := readBroker(ctx, c.Admin, b, group, topic, whole)
		if err != nil {
			return snapshot{}, err
		}
		snap.brokers = append(snap.brokers, bs)
	}
	sort.Slice(snap.brokers, func(i, j int) bool { return snap.brokers[i].name < snap.brokers[j].name })
	if len(snap.brokers) == 0 {
		return snapshot{}, errcode.Errorf(errcode.NotFound, "The topic %s has no broker in cluster %s.", topic, c.Name)
	}
	return snap, nil
}

// readBroker reads one broker's master; whole adds how it resets and who is online.
func readBroker(ctx context.Context, a Admin, b mqadmin.BrokerData, group, topic string, whole bool) (brokerState, error) {
	addr := b.MasterAddr()
	if addr == "" {
		return brokerState{}, errcode.Errorf(errcode.Unavailable, "Broker %s has no master registered with the name server; resets need every master of the topic.", b.BrokerName)
	}
	bs := brokerState{name: b.BrokerName, addr: addr, extents: map[int]mqadmin.TopicOffset{}, committed: map[int]int64{}}
	stats, err := a.TopicStats(ctx, addr, topic)
	if err != nil {
		return brokerState{}, brokerErr(b.BrokerName, "read the queues of "+topic, err)
	}
	for mq, o := range stats.Offsets {
		bs.extents[mq.QueueID] = o
	}
	cs, err := a.ConsumeStats(ctx, addr, group, topic)
	if err != nil {
		return brokerState{}, brokerErr(b.BrokerName, "read the offsets of "+group, err)
	}
	for mq, o := range cs.Offsets {
		if mq.Topic == topic {
			bs.committed[mq.QueueID] = o.ConsumerOffset
		}
	}
	if err := bs.noneOrZero(ctx, a, group, topic); err != nil {
		return brokerState{}, brokerErr(b.BrokerName, "read the offsets of "+group, err)
	}
	if !whole {
		return bs, nil
	}
	conf, err := a.BrokerConfig(ctx, addr)
	if err != nil {
		return brokerState{}, brokerErr(b.BrokerName, "read its configuration", err)
	}
	bs.serverSide = conf["useServerSideResetOffset"] == "true"
	if info, err := a.BrokerRuntimeInfo(ctx, addr); err == nil {
		bs.version = info["brokerVersionDesc"]
	}
	switch conn, err := a.ConsumerConnections(ctx, addr, group); {
	case err == nil:
		bs.conn, bs.online = conn, len(conn.Connections)
	case !errors.Is(err, mqadmin.ErrConsumerNotOnline):
		return brokerState{}, brokerErr(b.BrokerName, "list the clients of "+group, err)
	}
	return bs, nil
}

// noneOrZero tells "no committed offset" from a committed 0, which consume stats report
// alike: each queue at 0 or missing is asked for its offset, and one without is dropped.
func (bs *brokerState) noneOrZero(ctx context.Context, a Admin, group, topic string) error {
	for id := range bs.extents {
		if off, ok := bs.committed[id]; ok && off != 0 {
			continue
		}
		off, err := a.QueryConsumerOffset(ctx, bs.addr, group, topic, id)
		switch {
		case errors.Is(err, mqadmin.ErrQueryNotFound):
			delete(bs.committed, id)
		case err != nil:
			return err
		default:
			bs.committed[id] = off
		}
	}
	return nil
}

func topicRoute(ctx context.Context, c Cluster, topic string) (mqadmin.TopicRoute, error) {
	var last error
	for _, ns := range c.NamesrvAddrs {
		route, err := c.Admin.TopicRoute(ctx, ns, topic)
		if err == nil {
			return route, nil
		}
		if errors.Is(err, mqadmin.ErrTopicNotExist) {
			return mqadmin.TopicRoute{}, errcode.Wrap(errcode.NotFound, err,
				fmt.Sprintf("The topic %s does not exist in cluster %s.", topic, c.Name))
		}
		last = err
	}
	return mqadmin.TopicRoute{}, errcode.Wrap(errcode.Unavailable, last,
		fmt.Sprintf("No name server of cluster %s answered; try again in a moment.", c.Name))
}

func brokerErr(broker, what string, err error) error {
	return errcode.Wrap(errcode.Unavailable, err, fmt.Sprintf("Broker %s did not let us %s: %s", broker, what, brokerAnswer(err)))
}

// brokerAnswer is a broker's answer for people: what its response code means and its
// remark, without addresses; for other errors the innermost one.
func brokerAnswer(err error) string {
	var be *mqadmin.BrokerError
	if errors.As(err, &be) {
		what := fmt.Sprintf("response code %d", be.Code)
		if sentinel := be.Unwrap(); sentinel != nil {
			what = sentinel.Error()
		}
		if r := strings.TrimSpace(be.Remark); r != "" {
			what += ": " + r
		}
		return what
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer in time"
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// queue returns the queue's extents and committed offset in the snapshot.
func (s snapshot) queue(q QueueRef) (ext mqadmin.TopicOffset, committed int64, ok bool) {
	for _, b := range s.brokers {
		if b.name != q.Broker {
			continue
		}
		ext, ok = b.extents[q.QueueID]
		return ext, b.committedAt(q.QueueID), ok
	}
	return mqadmin.TopicOffset{}, -1, false
}

// queues lists every queue of the snapshot in order.
func (s snapshot) queues() []QueueRef {
	var out []QueueRef
	for _, b := range s.brokers {
		ids := make([]int, 0, len(b.extents))
		for id := range b.extents {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		for _, id := range ids {
			out = append(out, QueueRef{Broker: b.name, QueueID: id})
		}
	}
	return out
}

// committedAt is the group's committed offset on a queue of the broker, -1 when none.
func (b brokerState) committedAt(queueID int) int64 {
	if off, ok := b.committed[queueID]; ok {
		return off
	}
	return -1
}

func (s snapshot) broker(name string) (brokerState, bool) {
	for _, b := range s.brokers {
		if b.name == name {
			return b, true
		}
	}
	return brokerState{}, false
}
