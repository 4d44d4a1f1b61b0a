// Package demo makes real RocketMQ traffic for the local demo stack: producers, and consumer
// groups chosen to show each of Lagboard's states and each kind of consumer. It uses
// rocketmq-client-go (push and pull consumers) and the official 5.x Go SDK (simple
// consumers, through the proxy), the clients real Go services use.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"
	"golang.org/x/sync/errgroup"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// Config says where the traffic goes.
type Config struct {
	NamesrvAddr string
	BrokerAddr  string
	// ProxyAddr is the 5.x proxy's gRPC endpoint; without it the simple groups do not run.
	ProxyAddr string
	Logger    *slog.Logger
}

// Topic is a demo topic and how many messages a second it receives.
type Topic struct {
	Name   string
	Queues int
	Rate   int
}

// Group is a demo consumer group and the state it is meant to show.
type Group struct {
	Name  string
	Topic string
	Model consumer.MessageModel
	// PerMessage is how long each message takes; it makes a group fall behind.
	PerMessage time.Duration
	// StopAfter stops the group's consumers after a while, so it goes offline.
	StopAfter time.Duration
	// Instances is how many consumer processes the group has.
	Instances int
	// Kind is "push" (the default), "pull" (sets its offsets by hand) or "simple" (a 5.x
	// SimpleConsumer through the proxy).
	Kind string
	// Orderly consumes each queue in order; BlockAfter then makes it stop on a message of
	// queue 0 after that long, so that queue stands still while the others move.
	Orderly    bool
	BlockAfter time.Duration
	// SkipAckEvery leaves one message in that many unacknowledged (simple groups): it comes
	// back after the invisible time.
	SkipAckEvery int
	// FailEvery fails one message in that many, every time: after MaxRetries redeliveries
	// it goes to the group's dead-letter topic.
	FailEvery, MaxRetries int
	About                 string
}

// Topics are the demo topics.
var Topics = []Topic{
	{Name: "demo-orders", Queues: 8, Rate: 20},
	{Name: "demo-payments", Queues: 4, Rate: 10},
	{Name: "demo-audit", Queues: 2, Rate: 2},
}

// Groups are the demo consumer groups.
var Groups = []Group{
	{Name: "demo-orders-fast", Topic: "demo-orders", Model: consumer.Clustering, Instances: 2,
		About: "keeps up: lag stays near zero"},
	{Name: "demo-payments-slow", Topic: "demo-payments", Model: consumer.Clustering, Instances: 1,
		PerMessage: 250 * time.Millisecond, About: "consumes 4 messages/s of 10: lag grows"},
	{Name: "demo-audit-broadcast", Topic: "demo-audit", Model: consumer.BroadCasting, Instances: 2,
		About: "broadcasting: each client keeps its own offsets"},
	{Name: "demo-orders-offline", Topic: "demo-orders", Model: consumer.Clustering, Instances: 1,
		StopAfter: 30 * time.Second, About: "stops after 30 s: goes offline with a growing backlog"},
	{Name: "demo-payments-ordered", Topic: "demo-payments", Model: consumer.Clustering, Instances: 1,
		Orderly: true, BlockAfter: 45 * time.Second, About: "orderly; after 45 s one message blocks queue 0 while the others move"},
	{Name: "demo-audit-pull", Topic: "demo-audit", Model: consumer.Clustering, Instances: 1, Kind: "pull",
		About: "pull consumer: fetches and commits its offsets by hand"},
	{Name: "demo-audit-failing", Topic: "demo-audit", Model: consumer.Clustering, Instances: 1, FailEvery: 10,
		MaxRetries: 1, About: "fails one message in ten for good: its dead letters grow"},
	{Name: "demo-orders-simple", Topic: "demo-orders", Model: consumer.Clustering, Instances: 1, Kind: "simple",
		SkipAckEvery: 20, About: "5.x simple consumer: acks 19 of 20; the rest come back after 10 s"},
}

// Run creates the demo topics and runs producers and consumers until ctx is cancelled.
func Run(ctx context.Context, cfg Config) error {
	rlog.SetLogLevel("error")
	admin := mqadmin.New(mqadmin.Options{})
	defer admin.Close()
	for _, t := range Topics {
		tc := mqadmin.TopicConfig{Topic: t.Name, ReadQueueNums: t.Queues, WriteQueueNums: t.Queues}
		if err := admin.CreateTopic(ctx, cfg.BrokerAddr, tc); err != nil {
			return fmt.Errorf("demo: create topic %s: %w", t.Name, err)
		}
	}
	if err := waitRoutes(ctx, admin, cfg.NamesrvAddr); err != nil {
		return err
	}

	g, ctx := errgroup.WithContext(ctx)
	for _, grp := range Groups {
		for i := range grp.Instances {
			switch grp.Kind {
			case "pull":
				g.Go(func() error { return pull(ctx, cfg, grp, i) })
			case "simple":
				if cfg.ProxyAddr == "" {
					cfg.Logger.Info("demo: no proxy, so no simple consumer", "group", grp.Name)
					continue
				}
				g.Go(func() error { return simple(ctx, cfg, grp) })
			default:
				g.Go(func() error { return consume(ctx, cfg, grp, i) })
			}
		}
	}
	g.Go(func() error { return produce(ctx, cfg) })
	return g.Wait()
}

// waitRoutes waits until the name server serves a route for every demo topic; clients
// refuse to send to a topic without one.
func waitRoutes(ctx context.Context, admin *mqadmin.Client, namesrv string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for _, t := range Topics {
		for {
			if _, err := admin.TopicRoute(ctx, namesrv, t.Name); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("demo: no route for %s: %w", t.Name, ctx.Err())
			case <-tick.C:
			}
		}
	}
	return nil
}

func produce(ctx context.Context, cfg Config) error {
	p, err := rocketmq.NewProducer(
		producer.WithNameServer([]string{cfg.NamesrvAddr}),
		producer.WithGroupName("demo-producer"),
		producer.WithRetry(2),
	)
	if err != nil {
		return fmt.Errorf("demo: producer: %w", err)
	}
	if err := p.Start(); err != nil {
		return fmt.Errorf("demo: start producer: %w", err)
	}
	defer p.Shutdown() //nolint:errcheck // shutting down anyway

	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var n int64
	failing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		for _, t := range Topics {
			// Rate per second, sent in ten slices; the remainder goes in the first slices.
			count := t.Rate / 10
			if int(n%10) < t.Rate%10 {
				count++
			}
			for range count {
				body := fmt.Sprintf(`{"demo":%q,"seq":%d,"at":%q}`, t.Name, n, time.Now().UTC().Format(time.RFC3339Nano))
				_, err := p.SendSync(ctx, primitive.NewMessage(t.Name, []byte(body)))
				if err != nil && ctx.Err() == nil && !failing {
					cfg.Logger.Warn("demo: send failing", "topic", t.Name, "err", err)
				}
				failing = err != nil
			}
		}
		n++
	}
}

func consume(ctx context.Context, cfg Config, grp Group, instance int) error {
	opts := []consumer.Option{
		consumer.WithNameServer([]string{cfg.NamesrvAddr}),
		consumer.WithGroupName(grp.Name),
		consumer.WithConsumerModel(grp.Model),
		consumer.WithInstance(fmt.Sprintf("%s-%d", grp.Name, instance)),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}
	if grp.PerMessage > 0 || grp.Orderly {
		opts = append(opts, consumer.WithConsumeGoroutineNums(1), consumer.WithConsumeMessageBatchMaxSize(1))
	}
	if grp.Orderly {
		opts = append(opts, consumer.WithConsumerOrder(true))
	}
	if grp.FailEvery > 0 {
		opts = append(opts, consumer.WithMaxReconsumeTimes(int32(grp.MaxRetries)))
	}
	c, err := rocketmq.NewPushConsumer(opts...)
	if err != nil {
		return fmt.Errorf("demo: consumer %s: %w", grp.Name, err)
	}
	started := time.Now()
	stopping := ctx.Done()
	err = c.Subscribe(grp.Topic, consumer.MessageSelector{}, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		if grp.BlockAfter > 0 && time.Since(started) > grp.BlockAfter && msgs[0].Queue.QueueId == 0 {
			<-stopping // the message that never finishes: its queue waits behind it
			return consumer.SuspendCurrentQueueAMoment, nil
		}
		if grp.FailEvery > 0 && seq(msgs[0].Body)%grp.FailEvery == 0 {
			return consumer.ConsumeRetryLater, nil // fails every time it is tried
		}
		if grp.PerMessage > 0 {
			select {
			case <-stopping:
			case <-time.After(grp.PerMessage * time.Duration(len(msgs))):
			}
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return fmt.Errorf("demo: subscribe %s: %w", grp.Name, err)
	}
	if err := c.Start(); err != nil {
		return fmt.Errorf("demo: start consumer %s: %w", grp.Name, err)
	}
	stop := ctx.Done()
	if grp.StopAfter > 0 {
		timer := time.NewTimer(grp.StopAfter)
		defer timer.Stop()
		select {
		case <-stop:
		case <-timer.C:
			cfg.Logger.Info("demo: consumer going offline as planned", "group", grp.Name)
		}
		return c.Shutdown()
	}
	<-stop
	return c.Shutdown()
}

// seq reads the sequence number the demo producer puts in every body, -1 without one.
func seq(body []byte) int {
	_, rest, ok := strings.Cut(string(body), `"seq":`)
	if !ok {
		return -1
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return -1
	}
	return n
}
