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
	sem := make(chan struct{}, 16)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	run := func(f func() error) {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := f(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	for t := range p.Topics {
		run(func() error {
			return admin.CreateTopic(ctx, brokerAddr, mqadmin.TopicConfig{Topic: p.TopicName(t), ReadQueueNums: p.Queues, WriteQueueNums: p.Queues})
		})
	}
	wg.Wait()
	for g := range p.Groups {
		run(func() error {
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
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("populate: %d failures, first: %w", len(errs), errs[0])
	}
	return nil
}
