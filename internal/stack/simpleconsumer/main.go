// Command simpleconsumer is a real RocketMQ 5.x SimpleConsumer (the official Go SDK,
// github.com/apache/rocketmq-clients/golang/v5) in a process of its own, talking gRPC to a
// rocketmq-proxy. Tests and the demo use it to make simple (pop) consumer groups: one that
// acknowledges what it receives, one that never does (messages come back after the
// invisible time), one that acknowledges slowly.
//
//	simpleconsumer -endpoint ADDR -group G -topic T [-ack now|never|after] [-ack-delay 2s]
//	               [-invisible 20s] [-batch 16] [-produce N]
//
// It prints STARTED once started, RECEIVED <attempt> <body> for every message received,
// CONSUMED 1 once a message is acknowledged, and shuts down when its standard input closes.
// With -produce N it instead sends N messages to the topic through the proxy, prints
// SENT <n> and exits.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	rmq "github.com/apache/rocketmq-clients/golang/v5"
	"github.com/apache/rocketmq-clients/golang/v5/credentials"
	v2 "github.com/apache/rocketmq-clients/golang/v5/protocol/v2"
)

// awaitTime is how long a receive waits for messages at the proxy; the proxy polls for at
// least 5 s, and refuses a request whose deadline leaves less.
const awaitTime = 5 * time.Second

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "simpleconsumer:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("simpleconsumer", flag.ContinueOnError)
	endpoint := fs.String("endpoint", "", "the proxy's gRPC address, host:port")
	group := fs.String("group", "", "consumer group")
	topic := fs.String("topic", "", "topic to subscribe to")
	ack := fs.String("ack", "now", "now, never, or after (-ack-delay)")
	ackDelay := fs.Duration("ack-delay", 2*time.Second, "how long a message is held before its ack, with -ack after")
	invisible := fs.Duration("invisible", 20*time.Second, "invisible time asked for with each receive")
	batch := fs.Int("batch", 16, "messages asked for with each receive")
	produce := fs.Int("produce", 0, "send this many messages instead of consuming")
	logDir := fs.String("log-dir", os.TempDir(), "where the SDK writes its own log")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *endpoint == "" || *topic == "" || (*group == "" && *produce == 0) {
		return errors.New("-endpoint, -topic and -group (or -produce) are required")
	}
	switch *ack {
	case "now", "never", "after":
	default:
		return fmt.Errorf("-ack %q: want now, never or after", *ack)
	}
	// The SDK logs to a file under $rocketmq.client.logRoot and reads its settings from the
	// environment when its logger is reset.
	os.Setenv("rocketmq.client.logRoot", *logDir)  //nolint:errcheck // only logging depends on it
	os.Setenv("rocketmq.client.logLevel", "error") //nolint:errcheck // only logging depends on it
	rmq.ResetLogger()

	var mu sync.Mutex
	say := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, format+"\n", a...)
	}
	cfg := &rmq.Config{Endpoint: *endpoint, ConsumerGroup: *group, Credentials: &credentials.SessionCredentials{}}
	if *produce > 0 {
		return send(cfg, *topic, *produce, say)
	}

	sc, err := rmq.NewSimpleConsumer(cfg,
		rmq.WithAwaitDuration(awaitTime),
		rmq.WithSubscriptionExpressions(map[string]*rmq.FilterExpression{*topic: rmq.SUB_ALL}))
	if err != nil {
		return err
	}
	if err := sc.Start(); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	say("STARTED")

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		io.Copy(io.Discard, bufio.NewReader(stdin)) //nolint:errcheck // EOF or an error both mean stop
		cancel()
	})
	for ctx.Err() == nil {
		rctx, rcancel := context.WithTimeout(ctx, awaitTime+10*time.Second)
		mvs, err := sc.Receive(rctx, int32(*batch), *invisible)
		rcancel()
		if err != nil {
			if !noMessage(err) {
				say("RECEIVE-FAILED %v", err)
				// Right after start the proxy may not have the client's settings yet; pause
				// before asking again rather than spin.
				select {
				case <-time.After(time.Second):
				case <-ctx.Done():
				}
			}
			continue
		}
		for _, mv := range mvs {
			say("RECEIVED %d %s", mv.GetDeliveryAttempt(), mv.GetBody())
			switch *ack {
			case "now":
				acknowledge(ctx, sc, mv, say)
			case "after":
				wg.Go(func() {
					select {
					case <-time.After(*ackDelay):
						acknowledge(ctx, sc, mv, say)
					case <-ctx.Done():
					}
				})
			}
		}
	}
	wg.Wait()
	done := make(chan error, 1)
	go func() { done <- sc.GracefulStop() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		return errors.New("shutdown took longer than 10 s")
	}
}

func acknowledge(ctx context.Context, sc rmq.SimpleConsumer, mv *rmq.MessageView, say func(string, ...any)) {
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sc.Ack(actx, mv); err != nil {
		say("ACK-FAILED %v", err)
		return
	}
	say("CONSUMED 1")
}

// send produces n messages with bodies "message <i>" through the proxy.
func send(cfg *rmq.Config, topic string, n int, say func(string, ...any)) error {
	p, err := rmq.NewProducer(cfg, rmq.WithTopics(topic))
	if err != nil {
		return err
	}
	if err := p.Start(); err != nil {
		return fmt.Errorf("start producer: %w", err)
	}
	defer p.GracefulStop() //nolint:errcheck // exiting anyway
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range n {
		if _, err := p.Send(ctx, &rmq.Message{Topic: topic, Body: fmt.Appendf(nil, "message %d", i)}); err != nil {
			return fmt.Errorf("send %d: %w", i, err)
		}
	}
	say("SENT %d", n)
	return nil
}

// noMessage reports the error Receive returns when nothing arrived within the await time.
func noMessage(err error) bool {
	var e *rmq.ErrRpcStatus
	return errors.As(err, &e) && e.GetCode() == int32(v2.Code_MESSAGE_NOT_FOUND)
}
