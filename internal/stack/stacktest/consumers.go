package stacktest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack"
)

// ConsumerOptions tunes the consumers tests start.
type ConsumerOptions struct {
	// Broadcasting makes the group a broadcasting group; clustering otherwise.
	Broadcasting bool
	// Instance names the client; a fresh name when empty.
	Instance string
	// Delay is how long each message takes; the consumer then takes one at a time.
	Delay time.Duration
	// Stuck makes the consumer never finish its first message (Go consumer only).
	Stuck bool
	// RefuseOnce asks for redelivery of the message with this body, the first time only
	// (Go consumer only): the message goes to the group's retry topic.
	RefuseOnce string
	// StuckOn makes the consumer never finish the message with this body (the Java
	// consumer, orderly only, suspends its queue again and again): its queue stands still
	// while the others move.
	StuckOn string
	// Orderly consumes each queue in order, holding the queue's lock on the broker.
	Orderly bool
	// FailAll fails every message (Go consumer only); after MaxRetries redeliveries a
	// message goes to the group's dead-letter topic.
	FailAll    bool
	MaxRetries int
	// Pull runs a pull consumer that sets its offsets by hand (Go consumer only); with
	// LocalOffsets it never calls UpdateOffset (the client still writes the offsets its
	// own rebalance sets, if any).
	Pull         bool
	LocalOffsets bool
	// FromLast starts a queue the group never committed on from its last offset, the
	// client's default (Go push consumer only; the first offset otherwise).
	FromLast bool
	// Paused holds every message the consumer fetches until Resume (Go push consumer
	// only): it registers, starts fetching where it computed, and neither consumes nor
	// commits. Its output names each queue's first message all the same (FirstOffsets).
	Paused bool
	// Suspended starts the consumer with its client's own Suspend (Go push consumer
	// only): it registers and computes where it starts, and never fetches, so it never
	// commits either, even on a queue with nothing to read.
	Suspended bool
}

// SyncBuffer is a bytes.Buffer that concurrent writers may share: a logger's, a process's
// output.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ConsumerOutput is what a consumer process printed so far; it grows while it runs.
type ConsumerOutput struct{ SyncBuffer }

// Consumed counts the messages the consumer acknowledged.
func (o *ConsumerOutput) Consumed() int { return o.count("CONSUMED ") }

// Received counts the messages that reached the consumer's handler.
func (o *ConsumerOutput) Received() int { return o.count("RECEIVED ") }

func (o *ConsumerOutput) count(prefix string) int {
	total := 0
	for line := range strings.Lines(o.String()) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
		if !ok {
			continue
		}
		if prefix == "CONSUMED " {
			if k, err := strconv.Atoi(rest); err == nil {
				total += k
			}
		} else {
			total++
		}
	}
	return total
}

// FirstOffsets returns, per queue id, the offset of the first message the consumer received
// from it.
func (o *ConsumerOutput) FirstOffsets() map[int]int64 {
	out := map[int]int64{}
	for line := range strings.Lines(o.String()) {
		var q int
		var off int64
		if n, _ := fmt.Sscanf(line, "FIRST %d %d", &q, &off); n == 2 {
			out[q] = off
		}
	}
	return out
}

// Consumer is a consumer process started by a test.
type Consumer struct {
	Output *ConsumerOutput
	stop   func()
	stdin  io.Writer
}

// Resume lets a consumer started Paused consume.
func (c *Consumer) Resume(t testing.TB) {
	t.Helper()
	if _, err := io.WriteString(c.stdin, "resume\n"); err != nil {
		t.Fatalf("resume consumer: %v", err)
	}
	c.wait(t, func() bool { return strings.Contains(c.Output.String(), "RESUMED") }, 30*time.Second, "resumed")
}

// Stop shuts the consumer down and waits for it; also done when the test ends.
func (c *Consumer) Stop() { c.stop() }

// WaitConsumed waits until the consumer has acknowledged at least n messages.
func (c *Consumer) WaitConsumed(t testing.TB, n int, within time.Duration) {
	t.Helper()
	c.wait(t, func() bool { return c.Output.Consumed() >= n }, within, "%d messages consumed", n)
}

// WaitReceived waits until at least n messages reached the consumer's handler.
func (c *Consumer) WaitReceived(t testing.TB, n int, within time.Duration) {
	t.Helper()
	c.wait(t, func() bool { return c.Output.Received() >= n }, within, "%d messages received", n)
}

func (c *Consumer) wait(t testing.TB, cond func() bool, within time.Duration, format string, args ...any) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("consumer: not "+format+" after %s:\n%s", append(args, within, c.Output.String())...)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Consume starts a real rocketmq-client-go push consumer of group on topic, in a process of
// its own (internal/stack/goconsumer), consuming one message at a time, from the first
// offset unless o.FromLast. Its own process keeps rocketmq-client-go's data races out of the
// race detector's view of Lagboard's code. It runs until Stop or the end of the test.
func Consume(t testing.TB, r RocketMQ, group, topic string, o ConsumerOptions) *Consumer {
	t.Helper()
	if o.Instance == "" {
		o.Instance = Name(t, "go")
	}
	args := []string{"-namesrv", r.NamesrvAddr, "-group", group, "-topic", topic, "-instance", o.Instance}
	if o.Broadcasting {
		args = append(args, "-broadcast")
	}
	if o.Delay > 0 {
		args = append(args, "-delay", o.Delay.String())
	}
	if o.Stuck {
		args = append(args, "-stuck")
	}
	if o.RefuseOnce != "" {
		args = append(args, "-refuse-once", o.RefuseOnce)
	}
	if o.StuckOn != "" {
		args = append(args, "-stuck-on", o.StuckOn)
	}
	if o.Orderly {
		args = append(args, "-orderly")
	}
	if o.FailAll {
		args = append(args, "-fail-all", "-max-retries", strconv.Itoa(o.MaxRetries))
	}
	if o.FromLast {
		args = append(args, "-from", "last")
	}
	if o.Paused {
		args = append(args, "-paused")
	}
	if o.Suspended {
		args = append(args, "-suspended")
	}
	if o.Pull {
		args = append(args, "-pull")
		if o.LocalOffsets {
			args = append(args, "-commit", "local")
		}
	}
	return startConsumer(t, exec.Command(goConsumerBinary(t), args...), "go consumer")
}

var goConsumer, simpleConsumer once[string]

// goConsumerBinary builds internal/stack/goconsumer once per test binary, without the race
// detector.
func goConsumerBinary(t testing.TB) string {
	t.Helper()
	return buildCommand(t, &goConsumer, "goconsumer")
}

// buildCommand builds internal/stack/<name> once per test binary, without the race detector.
func buildCommand(t testing.TB, o *once[string], name string) string {
	t.Helper()
	return buildPackage(t, o, name, "./internal/stack/"+name)
}

var webBinary once[string]

// WebBinary builds the Lagboard server, ./cmd/web, once per test binary, for tests that
// run it as a process of its own: to kill it, restart it, run several.
func WebBinary(t testing.TB) string {
	t.Helper()
	return buildPackage(t, &webBinary, "web", "./cmd/web")
}

// buildPackage builds the command in pkg, relative to the repository's root, once per test
// binary, without the race detector.
func buildPackage(t testing.TB, o *once[string], name, pkg string) string {
	t.Helper()
	return o.get(t, func(ctx context.Context) (string, error) {
		root, err := stack.RepoRoot()
		if err != nil {
			return "", err
		}
		dir, err := os.MkdirTemp("", "lagboard-"+name+"-")
		if err != nil {
			return "", err
		}
		atExit(func() { os.RemoveAll(dir) })
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goTool); err != nil {
			goTool = "go"
		}
		bin := filepath.Join(dir, name)
		cmd := exec.CommandContext(ctx, goTool, "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("build %s: %v\n%s", name, err, out)
		}
		return bin, nil
	})
}

// JavaConsumer runs JavaConsumer.java, a real RocketMQ Java push consumer from the broker
// version's own client jar, consuming topic as group until the test ends. Tests use it where
// the Go client falls short: it answers the broker's running-info request, which the Go
// client answers with an empty body, and it follows online resets. o.Broadcasting makes it
// a broadcasting consumer, o.Delay a slow one, o.Orderly an orderly one (with o.StuckOn
// suspending the queue of that message again and again); the other options are ignored.
func JavaConsumer(t testing.TB, r RocketMQ, group, topic string, o ConsumerOptions) *Consumer {
	t.Helper()
	java, err := exec.LookPath("java")
	if home := os.Getenv("JAVA_HOME"); home != "" {
		java, err = filepath.Join(home, "bin", "java"), nil
	}
	if err != nil {
		t.Fatalf("java: %v", err)
	}
	lib, err := stack.RocketMQLibDir(r.Version)
	if err != nil {
		t.Fatal(err)
	}
	root, err := stack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if o.Instance == "" {
		o.Instance = Name(t, "java")
	}
	args := []string{"-Xmx128m", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-XX:TieredStopAtLevel=1",
		"-Duser.home=" + t.TempDir(), "-cp", filepath.Join(lib, "*"),
		filepath.Join(root, "internal", "stack", "stacktest", "JavaConsumer.java"),
		r.NamesrvAddr, group, topic, o.Instance}
	if o.Broadcasting {
		args = append(args, "BROADCASTING")
	}
	if o.Delay > 0 {
		args = append(args, fmt.Sprintf("DELAY=%d", o.Delay.Milliseconds()))
	}
	if o.Orderly {
		args = append(args, "ORDERLY")
	}
	if o.StuckOn != "" {
		args = append(args, "STUCK="+o.StuckOn)
	}
	return startConsumer(t, exec.Command(java, args...), "java consumer")
}

// startConsumer runs a consumer process that prints STARTED when ready and stops when its
// standard input closes, and waits for it to start.
func startConsumer(t testing.TB, cmd *exec.Cmd, what string) *Consumer {
	t.Helper()
	out := &ConsumerOutput{}
	cmd.Stdout, cmd.Stderr = out, out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var once sync.Once
	c := &Consumer{Output: out, stdin: stdin}
	c.stop = func() {
		once.Do(func() {
			stdin.Close() // asks the consumer to shut down
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				cmd.Process.Kill() //nolint:errcheck // it is ours and overdue
				<-done
			}
		})
	}
	t.Cleanup(func() {
		c.stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", what, out.String())
		}
	})
	deadline := time.After(90 * time.Second)
	for !strings.Contains(out.String(), "STARTED") {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("%s exited: %v\n%s", what, err, out.String())
		case <-deadline:
			t.Fatalf("%s not started after 90 s:\n%s", what, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return c
}
