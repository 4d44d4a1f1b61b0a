package demo

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	rmq "github.com/apache/rocketmq-clients/golang/v5"
	"github.com/apache/rocketmq-clients/golang/v5/credentials"
)

// pull consumes with a rocketmq-client-go pull consumer that fetches each queue itself and
// sets its offsets by hand, persisting them to the broker every few seconds.
func pull(ctx context.Context, cfg Config, grp Group, instance int) error {
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{cfg.NamesrvAddr})))
	if err != nil {
		return fmt.Errorf("demo: admin: %w", err)
	}
	queues, err := adm.FetchPublishMessageQueues(ctx, grp.Topic)
	adm.Close() //nolint:errcheck // only the queues were needed
	if err != nil {
		return fmt.Errorf("demo: queues of %s: %w", grp.Topic, err)
	}
	c, err := rocketmq.NewPullConsumer(
		consumer.WithNameServer([]string{cfg.NamesrvAddr}),
		consumer.WithGroupName(grp.Name),
		consumer.WithInstance(fmt.Sprintf("%s-%d", grp.Name, instance)),
	)
	if err != nil {
		return fmt.Errorf("demo: pull consumer %s: %w", grp.Name, err)
	}
	if err := c.Subscribe(grp.Topic, consumer.MessageSelector{}); err != nil {
		return fmt.Errorf("demo: subscribe %s: %w", grp.Name, err)
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("demo: start pull consumer %s: %w", grp.Name, err)
	}
	defer c.Shutdown() //nolint:errcheck // shutting down anyway
	next := map[primitive.MessageQueue]int64{}
	for _, mq := range queues {
		if off, err := c.CurrentOffset(mq); err == nil && off > 0 {
			next[*mq] = off
		}
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		for _, mq := range queues {
			pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			res, err := c.PullFrom(pctx, mq, next[*mq], 32)
			cancel()
			if err != nil || res == nil {
				continue
			}
			if msgs := res.GetMessageExts(); len(msgs) > 0 {
				next[*mq] = msgs[len(msgs)-1].QueueOffset + 1
				c.UpdateOffset(mq, next[*mq]) //nolint:errcheck // only records the offset in memory
			} else if res.NextBeginOffset > next[*mq] {
				next[*mq] = res.NextBeginOffset
			}
		}
		if n%5 == 0 {
			// The client persists the queues its rebalance assigned: rebalance first.
			if r, ok := c.(interface{ Rebalance() }); ok {
				r.Rebalance()
			}
			c.PersistOffset(ctx, grp.Topic) //nolint:errcheck // tried again in five seconds
		}
	}
}

// simple consumes with a 5.x SimpleConsumer through the proxy: it receives, and acks all
// but one message in SkipAckEvery, which come back after their invisible time.
func simple(ctx context.Context, cfg Config, grp Group) error {
	os.Setenv("rocketmq.client.logRoot", os.TempDir()) //nolint:errcheck // only the SDK's own log
	os.Setenv("rocketmq.client.logLevel", "error")     //nolint:errcheck // only the SDK's own log
	rmq.ResetLogger()
	sc, err := rmq.NewSimpleConsumer(&rmq.Config{Endpoint: cfg.ProxyAddr, ConsumerGroup: grp.Name,
		Credentials: &credentials.SessionCredentials{}},
		rmq.WithAwaitDuration(5*time.Second),
		rmq.WithSubscriptionExpressions(map[string]*rmq.FilterExpression{grp.Topic: rmq.SUB_ALL}))
	if err != nil {
		return fmt.Errorf("demo: simple consumer %s: %w", grp.Name, err)
	}
	if err := sc.Start(); err != nil {
		return fmt.Errorf("demo: start simple consumer %s: %w", grp.Name, err)
	}
	defer sc.GracefulStop() //nolint:errcheck // shutting down anyway
	n := 0
	for ctx.Err() == nil {
		rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		mvs, err := sc.Receive(rctx, 16, 10*time.Second)
		cancel()
		if err != nil {
			select { // nothing to receive, or the proxy not ready yet
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for _, mv := range mvs {
			n++
			if grp.SkipAckEvery > 0 && n%grp.SkipAckEvery == 0 {
				continue
			}
			actx, cancel := context.WithTimeout(ctx, 5*time.Second)
			sc.Ack(actx, mv) //nolint:errcheck // an ack lost is a message that comes back
			cancel()
		}
	}
	return nil
}
