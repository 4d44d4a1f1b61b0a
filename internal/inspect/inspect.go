// Package inspect reads single messages from the brokers for the people looking at a group:
// the message a stuck queue is blocked on, the newest dead letters, and the body of either
// for those allowed to read it. Messages are read the way RocketMQ's own tools read them by
// offset (PULL_MESSAGE as TOOLS_CONSUMER, which commits nothing and touches no real group),
// never by running a consumer of the group. Every body read, and every dead letter sent
// back, is an audit entry.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Admin is what reading messages needs of the RocketMQ admin client (*mqadmin.Client).
type Admin interface {
	TopicRoute(ctx context.Context, namesrvAddr, topic string) (mqadmin.TopicRoute, error)
	TopicStats(ctx context.Context, brokerAddr, topic string) (mqadmin.TopicStats, error)
	PullMessages(ctx context.Context, brokerAddr, topic string, queueID int, offset int64, max int) (mqadmin.PullResult, error)
	SendMessage(ctx context.Context, brokerAddr, producerGroup, topic string, queueID int, body []byte, props map[string]string) (mqadmin.SendResult, error)
}

// Cluster is a cluster messages can be read from. AllowResend lets dead letters be sent
// back to their group's retry topic there.
type Cluster struct {
	Name         string
	NamesrvAddrs []string
	Admin        Admin
	AllowResend  bool
}

// Recorder writes audit entries (*audit.Recorder).
type Recorder interface {
	Record(ctx context.Context, e audit.Entry) error
}

// Service reads messages of the configured clusters.
type Service struct {
	clusters map[string]Cluster
	trail    Recorder
}

// New returns a Service over clusters, auditing through trail.
func New(clusters []Cluster, trail Recorder) *Service {
	s := &Service{clusters: map[string]Cluster{}, trail: trail}
	for _, c := range clusters {
		s.clusters[c.Name] = c
	}
	return s
}

// Ref names one message: a queue of a topic on a broker, and an offset in it.
type Ref struct {
	Topic   string
	Broker  string
	QueueID int
	Offset  int64
}

// Label is "topic broker/queue@offset".
func (r Ref) Label() string {
	return fmt.Sprintf("%s %s/%d@%d", r.Topic, r.Broker, r.QueueID, r.Offset)
}

// Message is a message read back, with where it was found.
type Message struct {
	Ref
	mqadmin.Message
}

// MaxBody is the largest body a page shows; longer ones are cut there and said to be.
const MaxBody = 64 << 10

// Cluster returns a configured cluster.
func (s *Service) Cluster(name string) (Cluster, error) {
	c, ok := s.clusters[name]
	if !ok {
		return Cluster{}, errcode.Errorf(errcode.NotFound, "There is no cluster %s.", name)
	}
	return c, nil
}

// brokerAddr returns the master address of broker in topic's route.
func (s *Service) brokerAddr(ctx context.Context, c Cluster, topic, broker string) (string, error) {
	var errs []error
	for _, ns := range c.NamesrvAddrs {
		route, err := c.Admin.TopicRoute(ctx, ns, topic)
		if err != nil {
			if errors.Is(err, mqadmin.ErrTopicNotExist) {
				return "", errcode.Errorf(errcode.NotFound, "The topic %s does not exist in cluster %s.", topic, c.Name)
			}
			errs = append(errs, err)
			continue
		}
		for _, b := range route.Brokers {
			if b.BrokerName == broker {
				if addr := b.MasterAddr(); addr != "" {
					return addr, nil
				}
				return "", errcode.Errorf(errcode.Unavailable, "Broker %s has no master registered.", broker)
			}
		}
		return "", errcode.Errorf(errcode.NotFound, "The topic %s has no queue on broker %s.", topic, broker)
	}
	return "", errcode.Wrap(errcode.Unavailable, fmt.Errorf("no name server of %s answered: %w", c.Name, errors.Join(errs...)),
		fmt.Sprintf("No name server of cluster %s answered.", c.Name))
}

// Read returns the message at ref, without auditing: callers show its metadata only, or
// record the read of its body (ReadBody).
func (s *Service) Read(ctx context.Context, cluster string, ref Ref) (Message, error) {
	c, err := s.Cluster(cluster)
	if err != nil {
		return Message{}, err
	}
	addr, err := s.brokerAddr(ctx, c, ref.Topic, ref.Broker)
	if err != nil {
		return Message{}, err
	}
	res, err := c.Admin.PullMessages(ctx, addr, ref.Topic, ref.QueueID, ref.Offset, 1)
	if err != nil {
		return Message{}, errcode.Wrap(errcode.Unavailable, err, fmt.Sprintf("Broker %s did not give the message: %s", ref.Broker, answer(err)))
	}
	switch {
	case res.Status == mqadmin.PullOffsetMoved || (res.Status == mqadmin.PullNoNew && ref.Offset >= res.MaxOffset):
		return Message{}, errcode.Errorf(errcode.NotFound, "There is no message at offset %d of %s/%d: the queue holds offsets %d to %d.",
			ref.Offset, ref.Broker, ref.QueueID, res.MinOffset, max(res.MaxOffset-1, res.MinOffset))
	case len(res.Messages) == 0:
		return Message{}, errcode.Errorf(errcode.Unavailable, "Broker %s returned no message at offset %d; try again.", ref.Broker, ref.Offset)
	}
	m := res.Messages[0]
	if m.QueueOffset != ref.Offset {
		return Message{}, errcode.Errorf(errcode.NotFound, "There is no message at offset %d of %s/%d (the next is at %d).",
			ref.Offset, ref.Broker, ref.QueueID, m.QueueOffset)
	}
	return Message{Ref: ref, Message: m}, nil
}

// ReadBody returns the message at ref with its body, after recording who read it: a body
// read that cannot be recorded is not given. who is the entry's actor and origin.
func (s *Service) ReadBody(ctx context.Context, who audit.Entry, cluster, group string, ref Ref) (Message, error) {
	m, err := s.Read(ctx, cluster, ref)
	if err != nil {
		return Message{}, err
	}
	e := who
	e.Action, e.Outcome = audit.ActionMessageRead, audit.Success
	e.Target = audit.Target{Cluster: cluster, Group: group, Topic: ref.Topic, Queues: []string{fmt.Sprintf("%s/%d", ref.Broker, ref.QueueID)}}
	e.Parameters = mustJSON(map[string]any{"offset": ref.Offset, "msg_id": m.MsgID, "size": len(m.Body)})
	if err := s.trail.Record(ctx, e); err != nil {
		return Message{}, fmt.Errorf("record the read of %s: %w", ref.Label(), err)
	}
	return m, nil
}

// DeadLetters returns the newest n messages of group's dead-letter topic, newest first.
func (s *Service) DeadLetters(ctx context.Context, cluster, group string, n int) ([]Message, error) {
	c, err := s.Cluster(cluster)
	if err != nil {
		return nil, err
	}
	topic := DeadLetterTopic(group)
	var out []Message
	for _, ns := range c.NamesrvAddrs {
		route, err := c.Admin.TopicRoute(ctx, ns, topic)
		if errors.Is(err, mqadmin.ErrTopicNotExist) {
			return nil, nil
		}
		if err != nil {
			continue
		}
		for _, b := range route.Brokers {
			addr := b.MasterAddr()
			if addr == "" {
				continue
			}
			stats, err := c.Admin.TopicStats(ctx, addr, topic)
			if err != nil {
				return nil, errcode.Wrap(errcode.Unavailable, err, fmt.Sprintf("Broker %s did not give the dead letters: %s", b.BrokerName, answer(err)))
			}
			for mq, ext := range stats.Offsets {
				from := max(ext.MinOffset, ext.MaxOffset-int64(n))
				if from >= ext.MaxOffset {
					continue
				}
				res, err := c.Admin.PullMessages(ctx, addr, topic, mq.QueueID, from, n)
				if err != nil {
					return nil, errcode.Wrap(errcode.Unavailable, err, fmt.Sprintf("Broker %s did not give the dead letters: %s", b.BrokerName, answer(err)))
				}
				for _, m := range res.Messages {
					out = append(out, Message{Ref: Ref{Topic: topic, Broker: b.BrokerName, QueueID: mq.QueueID, Offset: m.QueueOffset}, Message: m})
				}
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].StoredAt.After(out[j].StoredAt) })
		if len(out) > n {
			out = out[:n]
		}
		return out, nil
	}
	return nil, errcode.Errorf(errcode.Unavailable, "No name server of cluster %s answered.", cluster)
}

// DeadLetterTopic and RetryTopic name a group's dead-letter and retry topics.
func DeadLetterTopic(group string) string { return "%DLQ%" + group }

// RetryTopic names a group's retry topic.
func RetryTopic(group string) string { return "%RETRY%" + group }

// answer is a broker error in a few words for people.
func answer(err error) string {
	var be *mqadmin.BrokerError
	if errors.As(err, &be) {
		if r := strings.TrimSpace(be.Remark); r != "" {
			return r
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "it did not answer in time"
	}
	return "it could not be reached"
}
