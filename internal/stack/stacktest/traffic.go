package stacktest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

var quietClient sync.Once

// QuietClient turns rocketmq-client-go's logging down to errors; its default is chatty
// logrus on stdout, which buries test output.
func QuietClient() { quietClient.Do(func() { rlog.SetLogLevel("error") }) }

// CreateTopic creates topic with the given number of queues on the broker and waits until
// the name server serves its route, as producers need.
func CreateTopic(t testing.TB, r RocketMQ, topic string, queues int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin := mqadmin.New(mqadmin.Options{})
	defer admin.Close()
	tc := mqadmin.TopicConfig{Topic: topic, ReadQueueNums: queues, WriteQueueNums: queues}
	if err := admin.CreateTopic(ctx, r.BrokerAddr, tc); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		route, err := admin.TopicRoute(ctx, r.NamesrvAddr, topic)
		if err == nil && len(route.Queues) > 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no route for topic %s after 60 s: %v", topic, err)
		case <-tick.C:
		}
	}
}

// Produce sends n messages to topic with a real rocketmq-client-go producer and returns
// the queue each landed on and its offset there. Every send must succeed. It returns once
// the broker has indexed every message: a send is acknowledged when the message is in the
// commit log, and the queue's max offset follows a moment later.
func Produce(t testing.TB, r RocketMQ, topic string, n int) []*primitive.SendResult {
	t.Helper()
	QuietClient()
	p, err := rocketmq.NewProducer(
		producer.WithNameServer([]string{r.NamesrvAddr}),
		producer.WithGroupName(Name(t, "producer")),
		// A client instance of its own: rocketmq-client-go shares one per instance name
		// and fails to create it when parallel tests race for the default one.
		producer.WithInstanceName(Name(t, "producer")),
		producer.WithRetry(2),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown() //nolint:errcheck // test teardown
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out := make([]*primitive.SendResult, 0, n)
	for i := range n {
		res, err := p.SendSync(ctx, primitive.NewMessage(topic, fmt.Appendf(nil, "message %d", i)))
		if err != nil {
			t.Fatalf("send %d to %s: %v", i, topic, err)
		}
		if res.Status != primitive.SendOK {
			t.Fatalf("send %d to %s: status %v", i, topic, res.Status)
		}
		out = append(out, res)
	}
	waitIndexed(t, ctx, r, out)
	return out
}

// waitIndexed waits until each queue's max offset is past the last message sent to it.
func waitIndexed(t testing.TB, ctx context.Context, r RocketMQ, sent []*primitive.SendResult) {
	t.Helper()
	want := map[primitive.MessageQueue]int64{}
	for _, res := range sent {
		mq := *res.MessageQueue
		want[mq] = max(want[mq], res.QueueOffset+1)
	}
	admin := mqadmin.New(mqadmin.Options{})
	defer admin.Close()
	for mq, next := range want {
		for {
			got, err := admin.MaxOffset(ctx, r.BrokerAddr, mq.Topic, mq.QueueId)
			if err == nil && got >= next {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("queue %s/%d: max offset %d, want %d after sending: %v", mq.Topic, mq.QueueId, got, next, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// ProduceMany sends n small messages to topic in batches of 100 with a real
// rocketmq-client-go producer, for tests that need volume (e.g. to fill commit log files).
// It returns once the broker has indexed them.
func ProduceMany(t testing.TB, r RocketMQ, topic string, n int) {
	t.Helper()
	QuietClient()
	p, err := rocketmq.NewProducer(
		producer.WithNameServer([]string{r.NamesrvAddr}),
		producer.WithGroupName(Name(t, "producer")),
		producer.WithInstanceName(Name(t, "producer")),
		producer.WithRetry(2),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown() //nolint:errcheck // test teardown
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var last []*primitive.SendResult
	for i := 0; i < n; i += 100 {
		batch := make([]*primitive.Message, 0, 100)
		for j := i; j < min(i+100, n); j++ {
			batch = append(batch, primitive.NewMessage(topic, fmt.Appendf(nil, "m%d", j)))
		}
		res, err := p.SendSync(ctx, batch...)
		if err != nil {
			t.Fatalf("send batch at %d to %s: %v", i, topic, err)
		}
		if res.Status != primitive.SendOK {
			t.Fatalf("send batch at %d to %s: status %v", i, topic, res.Status)
		}
		end := *res // a batch lands on one queue from QueueOffset on
		end.QueueOffset += int64(len(batch) - 1)
		last = append(last[:0], &end)
	}
	waitIndexed(t, ctx, r, last)
}

// ProduceDelayed sends one message to topic with a delay level (RocketMQ's levels: 1 = 1 s,
// 2 = 5 s, 3 = 10 s, 4 = 30 s, 5 = 1 min, …). The broker keeps it in its delay queue
// (SCHEDULE_TOPIC_XXXX) until it is due.
func ProduceDelayed(t testing.TB, r RocketMQ, topic, body string, level int) {
	t.Helper()
	QuietClient()
	p, err := rocketmq.NewProducer(
		producer.WithNameServer([]string{r.NamesrvAddr}),
		producer.WithGroupName(Name(t, "producer")),
		producer.WithInstanceName(Name(t, "producer")),
		producer.WithRetry(2),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown() //nolint:errcheck // test teardown
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m := primitive.NewMessage(topic, []byte(body))
	m.WithDelayTimeLevel(level)
	res, err := p.SendSync(ctx, m)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("send delayed to %s: %v %v", topic, res, err)
	}
}
