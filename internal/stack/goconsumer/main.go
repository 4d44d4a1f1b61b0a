// Command goconsumer is a real rocketmq-client-go consumer in a process of its own, for tests
// and the demo. Running consumers out of the test process keeps the race detector on
// Lagboard's code: rocketmq-client-go v2.1.2 has data races of its own (its rebalance races
// its start), which would fail any test that hosted it. Consumers are separate processes in
// production too.
//
//	goconsumer -namesrv ADDR -group G -topic T [-instance I] [-broadcast] [-orderly]
//	           [-delay 100ms] [-stuck] [-stuck-on BODY] [-refuse-once BODY]
//	           [-fail-all -max-retries N] [-from first|last] [-paused|-suspended]
//	goconsumer -pull -namesrv ADDR -group G -topic T [-commit broker|local] [-delay 100ms]
//
// The default is a push consumer; -orderly makes it consume each queue in order (queues are
// locked on the broker by one client). -pull runs a pull consumer that fetches each queue
// itself (PullFrom) and sets its offsets by hand (UpdateOffset), persisting them to the
// broker every second with -commit broker, or keeping them in the process with -commit
// local.
//
// A push consumer starts from the first offset of a queue its group never committed on, or
// with -from last from the last, the client's default. -paused holds every message it
// fetches, neither consuming nor committing, until a line "resume" arrives on its standard
// input. -suspended starts it with the client's own Suspend: it registers and computes
// where it starts, but never fetches (the client would wait 30 s after a Resume to fetch;
// a test stops it instead).
//
// It prints STARTED once started, RECEIVED <body> when a message arrives, FIRST <queue>
// <offset> before the first message of each queue, and CONSUMED 1 once it is acknowledged
// (for -pull: once its offset is set), and shuts down when its standard input closes.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "goconsumer:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("goconsumer", flag.ContinueOnError)
	var o options
	fs.StringVar(&o.namesrv, "namesrv", "", "name server address")
	fs.StringVar(&o.group, "group", "", "consumer group")
	fs.StringVar(&o.topic, "topic", "", "topic to subscribe to")
	fs.StringVar(&o.instance, "instance", fmt.Sprintf("goconsumer-%d", os.Getpid()), "client instance name")
	fs.BoolVar(&o.broadcast, "broadcast", false, "broadcasting instead of clustering")
	fs.BoolVar(&o.orderly, "orderly", false, "consume each queue in order, holding its lock")
	fs.DurationVar(&o.delay, "delay", 0, "time each message takes")
	fs.BoolVar(&o.stuck, "stuck", false, "never finish the first message")
	fs.StringVar(&o.stuckOn, "stuck-on", "", "never finish the message with this body")
	fs.StringVar(&o.refuseOnce, "refuse-once", "", "ask for redelivery of the message with this body, once")
	fs.BoolVar(&o.failAll, "fail-all", false, "fail every message: after -max-retries redeliveries it goes to the dead-letter topic")
	fs.IntVar(&o.maxRetries, "max-retries", -1, "redeliveries before a message goes to the dead-letter topic (the client's default when negative)")
	fs.StringVar(&o.from, "from", "first", "push: where to start on a queue never committed on, first or last")
	fs.BoolVar(&o.paused, "paused", false, "push: hold every message until a line \"resume\" on standard input")
	fs.BoolVar(&o.suspended, "suspended", false, "push: register, but never fetch")
	pull := fs.Bool("pull", false, "a pull consumer setting its offsets by hand")
	fs.StringVar(&o.commit, "commit", "broker", "pull: broker (persist offsets every second) or local (never)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.namesrv == "" || o.group == "" || o.topic == "" {
		return fmt.Errorf("-namesrv, -group and -topic are required")
	}
	if o.from != "first" && o.from != "last" {
		return fmt.Errorf("-from %q: want first or last", o.from)
	}
	if o.commit != "broker" && o.commit != "local" {
		return fmt.Errorf("-commit %q: want broker or local", o.commit)
	}
	rlog.SetLogLevel("error")
	var mu sync.Mutex
	say := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, format+"\n", a...)
	}
	stop, resume := make(chan struct{}), make(chan struct{}, 1)
	go func() {
		lines := bufio.NewScanner(stdin)
		for lines.Scan() {
			if lines.Text() == "resume" {
				select {
				case resume <- struct{}{}:
				default:
				}
			}
		}
		close(stop) // EOF or an error both mean stop
	}()
	if *pull {
		return runPull(o, stop, say)
	}
	return runPush(o, stop, resume, say)
}

type options struct {
	namesrv, group, topic, instance string
	broadcast, orderly, stuck       bool
	failAll                         bool
	maxRetries                      int
	delay                           time.Duration
	stuckOn, refuseOnce, commit     string
	from                            string
	paused, suspended               bool
}

// runPush consumes with a push consumer until stop is closed.
func runPush(o options, stop, resume <-chan struct{}, say func(string, ...any)) error {
	model := consumer.Clustering
	if o.broadcast {
		model = consumer.BroadCasting
	}
	from := consumer.ConsumeFromFirstOffset
	if o.from == "last" {
		from = consumer.ConsumeFromLastOffset
	}
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer([]string{o.namesrv}),
		consumer.WithGroupName(o.group),
		consumer.WithInstance(o.instance),
		consumer.WithConsumerModel(model),
		consumer.WithConsumerOrder(o.orderly),
		consumer.WithConsumeFromWhere(from),
		consumer.WithConsumeGoroutineNums(1),
		consumer.WithConsumeMessageBatchMaxSize(1),
		consumer.WithMaxReconsumeTimes(int32(o.maxRetries)),
	)
	if err != nil {
		return err
	}
	// An orderly consumer that gives up on a message suspends its queue and tries it again;
	// any other consumer sends it to the retry topic.
	retry := consumer.ConsumeRetryLater
	if o.orderly {
		retry = consumer.SuspendCurrentQueueAMoment
	}
	var (
		refused  atomic.Bool
		seen     sync.Map // queue id → true once its first message arrived
		released = make(chan struct{})
	)
	if !o.paused {
		close(released)
	}
	err = c.Subscribe(o.topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			if _, again := seen.LoadOrStore(m.Queue.QueueId, true); !again {
				say("FIRST %d %d", m.Queue.QueueId, m.QueueOffset)
			}
			select {
			case <-released:
			case <-stop:
				return retry, nil
			}
			say("RECEIVED %s", m.Body)
			if o.stuck || (o.stuckOn != "" && string(m.Body) == o.stuckOn) {
				<-stop
				return retry, nil
			}
			if o.refuseOnce != "" && string(m.Body) == o.refuseOnce && refused.CompareAndSwap(false, true) {
				return retry, nil
			}
			if o.failAll {
				say("FAILED %s", m.Body)
				return retry, nil
			}
			select {
			case <-time.After(o.delay):
			case <-stop:
				return retry, nil
			}
			say("CONSUMED 1")
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return err
	}
	if o.suspended {
		c.Suspend()
	}
	if err := c.Start(); err != nil {
		return err
	}
	say("STARTED")
	for {
		select {
		case <-resume:
			if o.paused {
				o.paused = false
				close(released)
			}
			say("RESUMED")
		case <-stop:
			return shutdown(c.Shutdown)
		}
	}
}

// runPull reads every queue of the topic with PullFrom and sets the offsets by hand, as an
// application managing its own progress does.
func runPull(o options, stop <-chan struct{}, say func(string, ...any)) error {
	queues, err := topicQueues(o.namesrv, o.topic)
	if err != nil {
		return err
	}
	c, err := rocketmq.NewPullConsumer(
		consumer.WithNameServer([]string{o.namesrv}),
		consumer.WithGroupName(o.group),
		consumer.WithInstance(o.instance),
	)
	if err != nil {
		return err
	}
	if err := c.Subscribe(o.topic, consumer.MessageSelector{}); err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	next := map[primitive.MessageQueue]int64{}
	if o.commit == "broker" {
		for _, mq := range queues { // go on from what an earlier run committed
			if off, err := c.CurrentOffset(mq); err == nil && off > 0 {
				next[*mq] = off
			}
		}
	}
	say("STARTED")
	persist := time.NewTicker(time.Second)
	defer persist.Stop()
	for {
		for _, mq := range queues {
			if !pullQueue(c, mq, next, o, stop, say) {
				return shutdown(c.Shutdown)
			}
		}
		select {
		case <-stop:
			return shutdown(c.Shutdown)
		case <-persist.C:
			if o.commit == "broker" {
				// The client persists only the queues its rebalance assigned, and forgets the
				// offset of any other: rebalance first so the offsets just set are among them,
				// and set them all again, as an application that keeps its own progress does,
				// so that an offset forgotten while a rebalance under load missed its queue
				// is not lost (it is set once, when its queue's last message is consumed).
				if r, ok := c.(interface{ Rebalance() }); ok {
					r.Rebalance()
				}
				for _, mq := range queues {
					if off, ok := next[*mq]; ok {
						c.UpdateOffset(mq, off) //nolint:errcheck // it only records the offset in memory
					}
				}
				c.PersistOffset(context.Background(), o.topic) //nolint:errcheck // tried again next second
			}
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// pullQueue pulls what is new on one queue and sets the queue's offset past it. It returns
// false once stop is closed.
func pullQueue(c rocketmq.PullConsumer, mq *primitive.MessageQueue, next map[primitive.MessageQueue]int64,
	o options, stop <-chan struct{}, say func(string, ...any)) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := c.PullFrom(ctx, mq, next[*mq], 16)
	if err != nil || res == nil {
		return true
	}
	for _, m := range res.GetMessageExts() {
		say("RECEIVED %s", m.Body)
		select {
		case <-time.After(o.delay):
		case <-stop:
			return false
		}
		next[*mq] = m.QueueOffset + 1
		if o.commit == "broker" {
			c.UpdateOffset(mq, next[*mq]) //nolint:errcheck // it only records the offset in memory
		}
		say("CONSUMED 1")
	}
	if res.NextBeginOffset > next[*mq] && len(res.GetMessageExts()) == 0 {
		next[*mq] = res.NextBeginOffset // e.g. moved past messages removed by retention
	}
	return true
}

// topicQueues returns the topic's queues from its route.
func topicQueues(namesrv, topic string) ([]*primitive.MessageQueue, error) {
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{namesrv})))
	if err != nil {
		return nil, err
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return adm.FetchPublishMessageQueues(ctx, topic)
}

func shutdown(f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("shutdown took longer than 10 s")
	}
}
