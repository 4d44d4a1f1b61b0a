package stacktest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack"
)

// JavaOutput is what a Java consumer printed so far; it grows while the consumer runs.
type JavaOutput struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *JavaOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String returns the output so far.
func (o *JavaOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// Consumed sums the messages the consumer reported consuming.
func (o *JavaOutput) Consumed() int {
	total := 0
	for line := range strings.Lines(o.String()) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "CONSUMED "); ok {
			if k, err := strconv.Atoi(rest); err == nil {
				total += k
			}
		}
	}
	return total
}

// JavaConsumer runs JavaConsumer.java, a real RocketMQ Java push consumer from the broker
// version's own client jar, consuming topic as group until the test ends. Tests use it where
// the Go client falls short: it answers the broker's running-info request, which the Go
// client answers with an empty body. o.Broadcasting makes it a broadcasting consumer.
func JavaConsumer(t testing.TB, r RocketMQ, group, topic string, o ConsumerOptions) *JavaOutput {
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
	out := &JavaOutput{}
	cmd := exec.Command(java, args...)
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
