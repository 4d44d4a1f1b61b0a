package demo

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Fleet is a synthetic cluster as large users run them, for the scale benchmark: Groups
// consumer groups, GroupsPerTopic of them on each topic of Queues queues, Messages messages
// stored on every queue, and each group committed somewhere between 0 and Messages on each
// queue (so lags differ from queue to queue), with the retry topic a consumer that once ran
// leaves behind. Nothing consumes or produces afterwards: every number stands still, so two
// tools reading it must agree exactly.
type Fleet struct {
	Prefix         string
	Groups         int
	GroupsPerTopic int
	Queues         int
	Messages       int
}

// Topics is the number of topics of the fleet.
func (f Fleet) Topics() int { return (f.Groups + f.GroupsPerTopic - 1) / f.GroupsPerTopic }

// GroupName and TopicName name the fleet's members.
func (f Fleet) GroupName(i int) string { return fmt.Sprintf("%s-g%05d", f.Prefix, i) }

// TopicName names topic i.
func (f Fleet) TopicName(i int) string { return fmt.Sprintf("%s-t%04d", f.Prefix, i) }

// Committed is the offset group i commits on queue q: spread over 1..Messages (never 0,
// which mqadmin brokerConsumeStats leaves out of its report).
func (f Fleet) Committed(i, q int) int64 {
	h := fnv.New32a()
	h.Write([]byte(strconv.Itoa(i) + "/" + strconv.Itoa(q))) //nolint:errcheck // hashes never fail
	return 1 + int64(h.Sum32()%uint32(f.Messages))
}

// Build creates the fleet on a broker: topics, messages, groups with their retry topics, and
// the committed offsets, with at most concurrency requests in flight. progress, when not
// nil, is called as steps end.
func (f Fleet) Build(ctx context.Context, admin *mqadmin.Client, brokerAddr string, concurrency int, progress func(step string)) error {
	l := newLimited(concurrency)
	run := l.run
	step := func(name string) error {
		if err := l.wait("fleet " + name); err != nil {
			return err
		}
		if progress != nil {
			progress(name)
		}
		return nil
	}
	for t := range f.Topics() {
		run(func() error {
			return again(ctx, func() error {
				return admin.CreateTopic(ctx, brokerAddr, mqadmin.TopicConfig{Topic: f.TopicName(t), ReadQueueNums: f.Queues, WriteQueueNums: f.Queues})
			})
		})
	}
	if err := step("topics"); err != nil {
		return err
	}
	for t := range f.Topics() {
		for q := range f.Queues {
			run(func() error {
				for n := range f.Messages {
					body := []byte(fmt.Sprintf("fleet message %d", n))
					if err := sendBusy(ctx, admin, brokerAddr, f.Prefix+"-producer", f.TopicName(t), q, body); err != nil {
						return fmt.Errorf("send to %s/%d: %w", f.TopicName(t), q, err)
					}
				}
				return nil
			})
		}
	}
	if err := step("messages"); err != nil {
		return err
	}
	for g := range f.Groups {
		run(func() error {
			group, topic := f.GroupName(g), f.TopicName(g/f.GroupsPerTopic)
			if err := again(ctx, func() error { return admin.CreateSubscriptionGroup(ctx, brokerAddr, group) }); err != nil {
				return err
			}
			if err := again(ctx, func() error {
				return admin.CreateTopic(ctx, brokerAddr, mqadmin.TopicConfig{Topic: "%RETRY%" + group, ReadQueueNums: 1, WriteQueueNums: 1})
			}); err != nil {
				return err
			}
			for q := range f.Queues {
				if err := again(ctx, func() error { return admin.UpdateConsumerOffset(ctx, brokerAddr, group, topic, q, f.Committed(g, q)) }); err != nil {
					return fmt.Errorf("commit %s %s/%d: %w", group, topic, q, err)
				}
			}
			return nil
		})
	}
	return step("groups")
}

// again runs an idempotent admin request up to five times while it times out or the broker
// is busy: a broker rewriting its topic and group files for thousands of entries, on a
// loaded machine, answers some requests late.
func again(ctx context.Context, fn func() error) error {
	var err error
	for try, wait := 0, 100*time.Millisecond; try < 5; try, wait = try+1, 2*wait {
		err = fn()
		if err == nil || ctx.Err() != nil || !(errors.Is(err, context.DeadlineExceeded) || errors.Is(err, mqadmin.ErrSystemBusy)) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
	return err
}

// sendBusy sends one message, waiting out the broker's flow control ("system busy"), which
// a loaded machine triggers while a fleet is built.
func sendBusy(ctx context.Context, admin *mqadmin.Client, brokerAddr, producer, topic string, queue int, body []byte) error {
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, 2*time.Second) {
		_, err := admin.SendMessage(ctx, brokerAddr, producer, topic, queue, body, nil)
		if !errors.Is(err, mqadmin.ErrSystemBusy) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
