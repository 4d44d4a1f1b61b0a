package stack

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// TestRocketMQStartStop starts each version for real (it needs java and the jars from
// scripts/rocketmq/fetch.sh, and fails without them), sends messages through it with
// rocketmq-client-go, stops it and checks nothing is left running or listening.
func TestRocketMQStartStop(t *testing.T) {
	rlog.SetLogLevel("error")
	for _, v := range rocketmqVersions(t) {
		t.Run(v, func(t *testing.T) {
			ctx := context.Background()
			start := time.Now()
			mq, err := StartRocketMQ(ctx, RocketMQOptions{Version: v})
			if err != nil {
				t.Fatal(err)
			}
			stopped := false
			defer func() {
				if !stopped {
					mq.Stop() //nolint:errcheck // the test has already failed
				}
			}()
			t.Logf("rocketmq %s ready in %s: namesrv %s in %s, broker %s in %s",
				v, time.Since(start).Round(time.Millisecond),
				mq.NamesrvAddr, mq.NamesrvStartup.Round(time.Millisecond),
				mq.BrokerAddr, mq.BrokerStartup.Round(time.Millisecond))

			for _, port := range mq.Ports() {
				if err := dialOnce(ctx, net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err != nil {
					t.Fatalf("port %d: %v\n%s", port, err, mq.LogTail(20))
				}
			}

			cli := mqadmin.New(mqadmin.Options{})
			err = mq.brokerRegistered(ctx, cli)
			cli.Close()
			if err != nil {
				t.Fatalf("readiness did not hold: %v\n%s", err, mq.LogTail(20))
			}

			sendStart := time.Now()
			sendMessages(t, mq, "lagboard-stack-test", 5)
			t.Logf("created a topic and sent 5 messages in %s", time.Since(sendStart).Round(time.Millisecond))
			for _, p := range mq.Processes() {
				t.Logf("%s pid %d: RSS %d MiB after sending", p.Name(), p.Pid(), rssKiB(t, p.Pid())>>10)
			}

			stopStart := time.Now()
			err = mq.Stop()
			stopped = true
			if err != nil {
				t.Fatalf("stop: %v\n%s", err, mq.LogTail(30))
			}
			t.Logf("stopped in %s", time.Since(stopStart).Round(time.Millisecond))
			for _, p := range mq.Processes() {
				select {
				case <-p.Done():
				default:
					t.Errorf("%s still running after Stop", p.Name())
				}
			}
			for _, port := range mq.Ports() {
				if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
					c.Close()
					t.Errorf("port %d still accepts connections after Stop", port)
				}
			}
			if _, err := os.Stat(mq.Dir); !os.IsNotExist(err) {
				t.Errorf("%s not removed by Stop: %v", mq.Dir, err)
			}
		})
	}
}

// TestStartRocketMQErrors checks the failures that need no running JVM say what to do and
// leave nothing behind.
func TestStartRocketMQErrors(t *testing.T) {
	emptyLib := t.TempDir()
	tests := []struct {
		name string
		opts RocketMQOptions
		want string
	}{
		{"unknown version", RocketMQOptions{Version: "3.2.6"}, `unsupported version "3.2.6"`},
		{"no java", RocketMQOptions{Version: "5.3.3", Java: "/nonexistent/java"}, "java not found"},
		{"no jars", RocketMQOptions{Version: "5.3.3", LibDir: emptyLib}, "run scripts/rocketmq/fetch.sh 5.3.3"},
		{"no logback files", RocketMQOptions{Version: "5.3.3", ConfDir: emptyLib}, "logback_namesrv.xml and logback_broker.xml not found"},
		// /bin/false stands in for a JVM that dies at once: the error must carry its log.
		{"exits early", RocketMQOptions{Version: "5.3.3", Java: "/bin/false"}, "namesrv-5.3.3 exited during start-up"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.LibDir == "" && tt.opts.Version == "5.3.3" {
				// The jars must exist for the later checks to be reached.
				if _, err := rocketmqLibDir("5.3.3", ""); err != nil {
					t.Fatal(err)
				}
			}
			before := tempEntries(t)
			mq, err := StartRocketMQ(context.Background(), tt.opts)
			if err == nil {
				mq.Stop() //nolint:errcheck // unexpected success
				t.Fatal("StartRocketMQ succeeded")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			if after := tempEntries(t); after > before {
				t.Errorf("%d new entries left in %s", after-before, os.TempDir())
			}
		})
	}
}

// TestRocketMQArgs pins the per-version differences of the command lines and config files.
func TestRocketMQArgs(t *testing.T) {
	tests := []struct {
		major         int
		want, wantNot []string
	}{
		{4, []string{"--add-opens java.base/java.nio=ALL-UNNAMED", "--add-opens java.base/jdk.internal.ref=ALL-UNNAMED",
			"-Drocketmq.broker.diskSpaceWarningLevelRatio=0.98"}, []string{"rmq.logback"}},
		{5, []string{"-Drmq.logback.configurationFile=/d/home/conf/logback_broker.xml"}, []string{"--add-opens"}},
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.major), func(t *testing.T) {
			args := strings.Join(brokerArgs(tt.major, "/d", "/lib"), " ")
			for _, w := range tt.want {
				if !strings.Contains(args, w) {
					t.Errorf("broker args lack %q: %s", w, args)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(args, w) {
					t.Errorf("broker args have %q: %s", w, args)
				}
			}
			if !strings.HasSuffix(args, "-cp /lib/* org.apache.rocketmq.broker.BrokerStartup -c /d/broker.conf") {
				t.Errorf("broker args end wrong: %s", args)
			}
		})
	}
	got := properties(map[string]string{"b": `C:\x`, "a": "1\n2"})
	if want := "a=1\\n2\nb=C:\\\\x\n"; got != want {
		t.Errorf("properties = %q, want %q", got, want)
	}
}

func tempEntries(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir(os.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range es {
		if strings.HasPrefix(e.Name(), "lagboard-rocketmq-") {
			n++
		}
	}
	return n
}

// rocketmqVersions reads scripts/rocketmq/versions, the releases the project runs against.
func rocketmqVersions(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../scripts/rocketmq/versions")
	if err != nil {
		t.Fatal(err)
	}
	var vs []string
	for line := range strings.Lines(string(b)) {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			vs = append(vs, line)
		}
	}
	if len(vs) == 0 {
		t.Fatal("no versions in scripts/rocketmq/versions")
	}
	return vs
}

// sendMessages creates topic on the broker and sends n messages to it, expecting SEND_OK.
func sendMessages(t *testing.T, mq *RocketMQ, topic string, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns := primitive.NewPassthroughResolver([]string{mq.NamesrvAddr})

	adm, err := admin.NewAdmin(admin.WithResolver(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(mq.BrokerAddr)); err != nil {
		t.Fatalf("create topic %s on %s: %v\n%s", topic, mq.BrokerAddr, err, mq.LogTail(20))
	}

	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(ns),
		producer.WithGroupName("lagboard-stack-test-producer"),
		producer.WithInstanceName(fmt.Sprintf("stack-test-%s-%d", mq.Version, os.Getpid())),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5*time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown() //nolint:errcheck // nothing to do about it in a test

	for i := range n {
		msg := primitive.NewMessage(topic, []byte("message "+strconv.Itoa(i)))
		var res *primitive.SendResult
		// The topic's route reaches the name server asynchronously after CreateTopic, so
		// the first send may not find it yet.
		for {
			res, err = p.SendSync(ctx, msg)
			if err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Fatalf("send %d: %v\n%s", i, err, mq.LogTail(20))
		}
		if res.Status != primitive.SendOK {
			t.Fatalf("send %d: status %d, want SEND_OK (%s)\n%s", i, res.Status, res, mq.LogTail(20))
		}
	}
}

// rssKiB reads a process's resident set size from /proc.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kib, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return kib
		}
	}
	t.Fatalf("no VmRSS for pid %d", pid)
	return 0
}
