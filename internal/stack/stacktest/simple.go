package stacktest

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SimpleOptions tunes the simple consumers tests start.
type SimpleOptions struct {
	// Ack is when a received message is acknowledged: "now" (the default), "never" (it
	// comes back after the invisible time), or "after" AckDelay.
	Ack      string
	AckDelay time.Duration
	// Invisible is the invisible time asked for with each receive; 20 s when zero. The
	// test stack's proxy accepts 1 s and more.
	Invisible time.Duration
	// Batch is how many messages one receive asks for; 16 when zero.
	Batch int
}

// SimpleConsume starts a real RocketMQ 5.x SimpleConsumer (the official Go SDK, in its own
// process: internal/stack/simpleconsumer) of group on topic, talking gRPC to the broker's
// proxy. It prints RECEIVED <attempt> <body> per delivery and CONSUMED 1 per ack, so
// Received counts deliveries, redeliveries included. It runs until Stop or the end of the
// test.
func SimpleConsume(t testing.TB, r RocketMQ, group, topic string, o SimpleOptions) *Consumer {
	t.Helper()
	if r.ProxyAddr == "" {
		t.Fatalf("RocketMQ %s runs without a proxy: simple consumers need one (5.x)", r.Version)
	}
	args := []string{"-endpoint", r.ProxyAddr, "-group", group, "-topic", topic, "-log-dir", t.TempDir()}
	if o.Ack != "" {
		args = append(args, "-ack", o.Ack)
	}
	if o.AckDelay > 0 {
		args = append(args, "-ack-delay", o.AckDelay.String())
	}
	if o.Invisible > 0 {
		args = append(args, "-invisible", o.Invisible.String())
	}
	if o.Batch > 0 {
		args = append(args, "-batch", strconv.Itoa(o.Batch))
	}
	return startConsumer(t, exec.Command(buildCommand(t, &simpleConsumer, "simpleconsumer"), args...), "simple consumer")
}

// SimpleProduce sends n messages with bodies "message <i>" to topic through the broker's
// 5.x proxy, with the official Go SDK's producer (internal/stack/simpleconsumer -produce).
func SimpleProduce(t testing.TB, r RocketMQ, topic string, n int) {
	t.Helper()
	if r.ProxyAddr == "" {
		t.Fatalf("RocketMQ %s runs without a proxy: the 5.x SDK needs one", r.Version)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildCommand(t, &simpleConsumer, "simpleconsumer"),
		"-endpoint", r.ProxyAddr, "-topic", topic, "-produce", strconv.Itoa(n), "-log-dir", t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), fmt.Sprintf("SENT %d", n)) {
		t.Fatalf("5.x SDK producer: %v\n%s", err, out)
	}
}

// Redelivered counts the deliveries of a simple consumer (SimpleConsume) that were not a
// message's first.
func (o *ConsumerOutput) Redelivered() int {
	n := 0
	for line := range strings.Lines(o.String()) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "RECEIVED ")
		if !ok {
			continue
		}
		if attempt, _, _ := strings.Cut(rest, " "); attempt != "1" {
			n++
		}
	}
	return n
}
