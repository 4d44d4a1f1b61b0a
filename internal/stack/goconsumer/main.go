// Command goconsumer is a real rocketmq-client-go push consumer in a process of its own, for
// tests. Running consumers out of the test process keeps the race detector on Lagboard's
// code: rocketmq-client-go v2.1.2 has data races of its own (its rebalance races its start),
// which would fail any test that hosted it. Consumers are separate processes in production
// too.
//
//	goconsumer -namesrv ADDR -group G -topic T [-instance I] [-broadcast]
//	           [-delay 100ms] [-stuck] [-refuse-once BODY]
//
// It prints STARTED once started, RECEIVED <body> when a message arrives and CONSUMED 1
// once it is acknowledged, and shuts down when its standard input closes.
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
	namesrv := fs.String("namesrv", "", "name server address")
	group := fs.String("group", "", "consumer group")
	topic := fs.String("topic", "", "topic to subscribe to")
	instance := fs.String("instance", fmt.Sprintf("goconsumer-%d", os.Getpid()), "client instance name")
	broadcast := fs.Bool("broadcast", false, "broadcasting instead of clustering")
	delay := fs.Duration("delay", 0, "time each message takes")
	stuck := fs.Bool("stuck", false, "never finish the first message")
	refuseOnce := fs.String("refuse-once", "", "ask for redelivery of the message with this body, once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *namesrv == "" || *group == "" || *topic == "" {
		return fmt.Errorf("-namesrv, -group and -topic are required")
	}
	rlog.SetLogLevel("error")
	var mu sync.Mutex
	say := func(format string, a ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, format+"\n", a...)
	}
	model := consumer.Clustering
	if *broadcast {
		model = consumer.BroadCasting
	}
	c, err := rocketmq.NewPushConsumer(
		consumer.WithNameServer([]string{*namesrv}),
		consumer.WithGroupName(*group),
		consumer.WithInstance(*instance),
		consumer.WithConsumerModel(model),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
		consumer.WithConsumeGoroutineNums(1),
		consumer.WithConsumeMessageBatchMaxSize(1),
	)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	var refused atomic.Bool
	err = c.Subscribe(*topic, consumer.MessageSelector{}, func(ctx context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			say("RECEIVED %s", m.Body)
			if *stuck {
				<-stop
				return consumer.ConsumeRetryLater, nil
			}
			if *refuseOnce != "" && string(m.Body) == *refuseOnce && refused.CompareAndSwap(false, true) {
				return consumer.ConsumeRetryLater, nil
			}
			select {
			case <-time.After(*delay):
			case <-stop:
				return consumer.ConsumeRetryLater, nil
			}
			say("CONSUMED 1")
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		return err
	}
	if err := c.Start(); err != nil {
		return err
	}
	say("STARTED")
	io.Copy(io.Discard, bufio.NewReader(stdin)) //nolint:errcheck // EOF or an error both mean stop
	close(stop)
	done := make(chan error, 1)
	go func() { done <- c.Shutdown() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		return fmt.Errorf("shutdown took longer than 10 s")
	}
}
