package mqadmin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestJavaConsumer runs a real Java push consumer (the RocketMQ client jar of the broker's
// own version, from testdata/JavaConsumer.java). It asks the consumer for its running info
// through the broker, then resets the group's offsets while it is online; on 4.x that goes
// through the client (RESET_CONSUMER_CLIENT_OFFSET), on 5.x the broker does it itself.
func TestJavaConsumer(t *testing.T) {
	const n = 8
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic := stacktest.Name(t, "topic")
		group := stacktest.Name(t, "group")
		before := time.Now().Add(-time.Minute)
		stacktest.CreateTopic(t, r, topic, 2)
		stacktest.Produce(t, r, topic, n)
		out := startJavaConsumer(t, r, group, topic)

		var cc mqadmin.ConsumerConnection
		eventually(t, ctx, "java consumer connection", func() error {
			var err error
			cc, err = c.ConsumerConnections(ctx, r.BrokerAddr, group)
			return err
		})
		if len(cc.Connections) != 1 || cc.Connections[0].Language != "JAVA" {
			t.Fatalf("connections %+v", cc.Connections)
		}
		eventually(t, ctx, "running info with committed offsets", func() error {
			info, err := c.ConsumerRunningInfo(ctx, r.BrokerAddr, group, cc.Connections[0].ClientID, false)
			if err != nil {
				return err
			}
			var committed int64
			held := 0
			for mq, q := range info.Queues {
				if mq.Topic == topic && mq.BrokerName == r.BrokerName {
					held++
					committed += q.CommitOffset
				}
			}
			if held != 2 || committed != n {
				return fmt.Errorf("%d queues of %s held, offsets summing to %d, want 2 and %d", held, topic, committed, n)
			}
			if info.Properties["PROP_CONSUME_TYPE"] != mqadmin.ConsumePassively || info.Properties["messageModel"] != mqadmin.Clustering {
				return fmt.Errorf("properties %v", info.Properties)
			}
			if len(info.Subscriptions) == 0 || len(info.Status) == 0 {
				return fmt.Errorf("subscriptions %v status %v", info.Subscriptions, info.Status)
			}
			return nil
		})

		// The 4.x client path needs a committed offset on every queue.
		eventually(t, ctx, "offsets committed to the broker", func() error {
			stats, err := c.ConsumeStats(ctx, r.BrokerAddr, group, topic)
			if err != nil {
				return err
			}
			if len(stats.Offsets) != 2 || stats.TotalLag() != 0 {
				return fmt.Errorf("stats %+v", stats.Offsets)
			}
			return nil
		})
		if _, err := c.ResetOffset(ctx, r.BrokerAddr, mqadmin.ResetOffsetRequest{
			Group: group, Topic: topic, Timestamp: before, Force: true}); err != nil {
			t.Fatal(err)
		}
		resetCtx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		eventually(t, resetCtx, "messages consumed again after the reset", func() error {
			if got := consumedCount(out.String()); got < 2*n {
				return fmt.Errorf("%d consumed, want %d", got, 2*n)
			}
			return nil
		})
	})
}

// consumedCount sums the CONSUMED lines JavaConsumer prints.
func consumedCount(out string) int {
	total := 0
	for line := range strings.Lines(out) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "CONSUMED "); ok {
			if k, err := strconv.Atoi(rest); err == nil {
				total += k
			}
		}
	}
	return total
}

// startJavaConsumer runs testdata/JavaConsumer.java against r until the test ends.
// It returns the consumer's output, which grows as it runs.
func startJavaConsumer(t *testing.T, r stacktest.RocketMQ, group, topic string) *lockedBuffer {
	t.Helper()
	java, err := exec.LookPath("java")
	if home := os.Getenv("JAVA_HOME"); home != "" {
		java, err = filepath.Join(home, "bin", "java"), nil
	}
	if err != nil {
		t.Fatalf("java: %v", err)
	}
	lib := rocketmqLib(t, r.Version)
	dir := t.TempDir()
	out := &lockedBuffer{}
	cmd := exec.Command(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:-UsePerfData",
		"-Duser.home="+dir, "-Drocketmq.client.logRoot="+filepath.Join(dir, "logs"),
		"-cp", filepath.Join(lib, "*"), filepath.Join("testdata", "JavaConsumer.java"),
		r.NamesrvAddr, group, topic, stacktest.Name(t, "java"))
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
	t.Cleanup(func() {
		stdin.Close() // asks the consumer to shut down
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill() //nolint:errcheck // it is ours and overdue
			<-done
		}
		if t.Failed() {
			t.Logf("java consumer output:\n%s", out.String())
		}
	})
	deadline := time.After(90 * time.Second)
	for !strings.Contains(out.String(), "STARTED") {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("java consumer exited: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("java consumer not started after 90 s:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return out
}

// rocketmqLib is where scripts/rocketmq/fetch.sh puts a version's jars.
func rocketmqLib(t *testing.T, version string) string {
	t.Helper()
	cache := os.Getenv("LAGBOARD_CACHE")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		cache = filepath.Join(home, ".cache", "lagboard")
	}
	lib := filepath.Join(cache, "rocketmq", version, "lib")
	if _, err := os.Stat(filepath.Join(lib, "rocketmq-client-"+version+".jar")); err != nil {
		t.Fatalf("rocketmq client jar: %v (run scripts/rocketmq/fetch.sh %s)", errors.Unwrap(err), version)
	}
	return lib
}

// lockedBuffer is a bytes.Buffer safe for a process writing while a test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
