package demo

import (
	"context"
	"fmt"
	"sync"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Population is a synthetic fleet for benchmarks: Groups consumer groups spread over
// Topics topics of Queues queues each, every group with committed offsets on every queue
// of its topic.
type Population struct {
	Prefix string
	Groups int
	Topics int
	Queues int
}

// GroupName and TopicName name the population's members.
func (p Population) GroupName(i int) string { return fmt.Sprintf("%s-g%04d", p.Prefix, i) }

// TopicName names topic i.
func (p Population) TopicName(i int) string { return fmt.Sprintf("%s-t%03d", p.Prefix, i) }

// Populate creates the population's topics and groups on a broker and commits an offset
// of 0 for every group on every queue of its topic, so each group shows up in consume
// stats with Queues queues. Requests run concurrently, a few at a time.
func Populate(ctx context.Context, admin *mqadmin.Client, brokerAddr string, p Population) error {
	l := newLimited(16)
	for t := range p.Topics {
		l.run(func() error {
			return admin.CreateTopic(ctx, brokerAddr, mqadmin.TopicConfig{Topic: p.TopicName(t), ReadQueueNums: p.Queues, WriteQueueNums: p.Queues})
		})
	}
	if err := l.wait("populate"); err != nil {
		return err
	}
	for g := range p.Groups {
		l.run(func() error {
			group, topic := p.GroupName(g), p.TopicName(g%p.Topics)
			if err := admin.CreateSubscriptionGroup(ctx, brokerAddr, group); err != nil {
				return err
			}
			for q := range p.Queues {
				if err := admin.UpdateConsumerOffset(ctx, brokerAddr, group, topic, q, 0); err != nil {
					return fmt.Errorf("commit %s %s/%d: %w", group, topic, q, err)
				}
			}
			return nil
		})
	}
	return l.wait("populate")
}

// limited runs functions concurrently, a few at a time, and collects their failures.
type limited struct {
	sem  chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	errs []error
}

func newLimited(n int) *limited { return &limited{sem: make(chan struct{}, n)} }

func (l *limited) run(fn func() error) {
	l.sem <- struct{}{}
	l.wg.Go(func() {
		defer func() { <-l.sem }()
		if err := fn(); err != nil {
			l.mu.Lock()
			l.errs = append(l.errs, err)
			l.mu.Unlock()
		}
	})
}

// wait waits for every function run so far and says how many failed, naming the step.
func (l *limited) wait(step string) error {
	l.wg.Wait()
	if len(l.errs) > 0 {
		return fmt.Errorf("%s: %d failures, first: %w", step, len(l.errs), l.errs[0])
	}
	return nil
}
