package mqadmin_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

func TestBrokerErrors(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		missing := stacktest.Name(t, "missing")
		_, err := c.TopicStats(ctx, r.BrokerAddr, missing)
		if !errors.Is(err, mqadmin.ErrTopicNotExist) {
			t.Fatalf("stats of a missing topic: %v, want ErrTopicNotExist", err)
		}
		if !strings.Contains(err.Error(), "GET_TOPIC_STATS_INFO topic="+missing+" at "+r.BrokerAddr+": topic does not exist") {
			t.Fatalf("error text: %v", err)
		}
		_, err = c.ConsumerConnections(ctx, r.BrokerAddr, missing)
		if !errors.Is(err, mqadmin.ErrConsumerNotOnline) {
			t.Fatalf("connections of an offline group: %v, want ErrConsumerNotOnline", err)
		}
		stats, err := c.ConsumeStats(ctx, r.BrokerAddr, missing, "")
		if err != nil || len(stats.Offsets) != 0 {
			t.Fatalf("stats of an unknown group: %+v, %v; want empty", stats, err)
		}
		// A name server does not serve broker requests: 5.x says so, 4.9.x never answers.
		shortCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = c.BrokerRuntimeInfo(shortCtx, r.NamesrvAddr)
		cancel()
		if strings.HasPrefix(r.Version, "4.") {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("broker request to a 4.x name server: %v, want no answer", err)
			}
		} else if !errors.Is(err, mqadmin.ErrNotSupported) || !strings.Contains(err.Error(), "request type 28 not supported") {
			t.Fatalf("broker request to a name server: %v, want ErrNotSupported", err)
		}
		// 5.3 checks the group and the topic of a commit; 4.9.x takes any commit.
		errGroup := c.UpdateConsumerOffset(ctx, r.BrokerAddr, missing, "TBW102", 0, 0)
		group := stacktest.Name(t, "group")
		if err := c.CreateSubscriptionGroup(ctx, r.BrokerAddr, group); err != nil {
			t.Fatal(err)
		}
		errTopic := c.UpdateConsumerOffset(ctx, r.BrokerAddr, group, missing, 0, 0)
		if strings.HasPrefix(r.Version, "4.") {
			if errGroup != nil || errTopic != nil {
				t.Fatalf("4.x commits: unknown group %v, unknown topic %v; want both accepted", errGroup, errTopic)
			}
		} else if !errors.Is(errGroup, mqadmin.ErrSubscriptionGroupNotExist) || !errors.Is(errTopic, mqadmin.ErrTopicNotExist) {
			t.Fatalf("5.x commits: unknown group %v, unknown topic %v", errGroup, errTopic)
		}
	})
}

func TestBrokerRuntimeInfoAndGroups(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		// Right after start-up both 4.9.x and 5.x answer SYSTEM_ERROR
		// (NoSuchElementException from an empty statistics sample list) for a while.
		var info map[string]string
		start := time.Now()
		eventually(t, ctx, "broker runtime info", func() error {
			var err error
			info, err = c.BrokerRuntimeInfo(ctx, r.BrokerAddr)
			if err != nil && !errors.Is(err, mqadmin.ErrSystemError) {
				t.Fatal(err)
			}
			return err
		})
		t.Logf("runtime info available after %s of polling", time.Since(start).Round(time.Millisecond))
		wantDesc := "V" + strings.ReplaceAll(r.Version, ".", "_")
		if info["brokerVersionDesc"] != wantDesc {
			t.Fatalf("brokerVersionDesc %q, want %q (of %d keys)", info["brokerVersionDesc"], wantDesc, len(info))
		}
		group := stacktest.Name(t, "group")
		if err := c.CreateSubscriptionGroup(ctx, r.BrokerAddr, group); err != nil {
			t.Fatal(err)
		}
		groups, err := c.SubscriptionGroups(ctx, r.BrokerAddr)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := groups[group]
		if !ok || g.GroupName != group || !g.ConsumeEnable || g.RetryMaxTimes != 16 {
			t.Fatalf("group %s: %+v (present %v, %d groups)", group, g, ok, len(groups))
		}
		if _, ok := groups["TOOLS_CONSUMER"]; !ok {
			t.Fatalf("system group TOOLS_CONSUMER missing from %d groups", len(groups))
		}
	})
}

func TestOverTLS(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, _ *mqadmin.Client) {
		// Brokers and name servers default to permissive TLS with a self-signed test
		// certificate, serving TLS and plaintext on the same port.
		c := mqadmin.New(mqadmin.Options{TLS: &tls.Config{InsecureSkipVerify: true}})
		defer c.Close()
		ctx := testCtx(t)
		ci, err := c.ClusterInfo(ctx, r.NamesrvAddr)
		if err != nil {
			t.Fatal(err)
		}
		if ci.Brokers[r.BrokerName].MasterAddr() != r.BrokerAddr {
			t.Fatalf("cluster info over TLS: %+v", ci)
		}
		if _, err := c.SubscriptionGroups(ctx, r.BrokerAddr); err != nil {
			t.Fatal(err)
		}
	})
}
