package mqadmin_test

import (
	"fmt"
	"testing"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestPullMessages reads messages back by queue offset, as RocketMQ's tools do, on both
// brokers: bodies, offsets and store times as sent; nothing past the end; an offset outside
// the queue says where the queue is.
func TestPullMessages(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic := stacktest.Name(t, "topic")
		stacktest.CreateTopic(t, r, topic, 1)
		sent := stacktest.Produce(t, r, topic, 5)

		res, err := c.PullMessages(ctx, r.BrokerAddr, topic, 0, 1, 3)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != mqadmin.PullFound || len(res.Messages) != 3 || res.NextBeginOffset != 4 || res.MaxOffset != 5 {
			t.Fatalf("pull from 1: %+v", res)
		}
		for i, m := range res.Messages {
			if m.QueueOffset != int64(i+1) || string(m.Body) != fmt.Sprintf("message %d", i+1) || m.Topic != topic ||
				m.StoredAt.IsZero() || m.Properties[mqadmin.PropUniqKey] != sent[i+1].MsgID {
				t.Errorf("message %d: %+v (sent %s)", i, m, sent[i+1].MsgID)
			}
		}

		if res, err := c.PullMessages(ctx, r.BrokerAddr, topic, 0, 5, 3); err != nil || res.Status != mqadmin.PullNoNew {
			t.Errorf("pull at the end: %+v, %v", res, err)
		}
		if res, err := c.PullMessages(ctx, r.BrokerAddr, topic, 0, 50, 3); err != nil || res.Status != mqadmin.PullOffsetMoved || res.NextBeginOffset != 5 {
			t.Errorf("pull past the end: %+v, %v", res, err)
		}
	})
}

// TestSendMessage sends a message with keys and a tag through SEND_MESSAGE and reads it
// back where the broker says it stored it.
func TestSendMessage(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic := stacktest.Name(t, "topic")
		stacktest.CreateTopic(t, r, topic, 1)
		res, err := c.SendMessage(ctx, r.BrokerAddr, "lagboard-test", topic, 0, []byte("sent back"),
			map[string]string{mqadmin.PropKeys: "k1 k2", mqadmin.PropTags: "again"})
		if err != nil {
			t.Fatal(err)
		}
		// The broker answers a send once the commit log has it; the consume queue that a
		// pull reads is dispatched from there a moment later.
		var got mqadmin.PullResult
		eventually(t, ctx, "the sent message in its queue", func() error {
			got, err = c.PullMessages(ctx, r.BrokerAddr, topic, res.QueueID, res.QueueOffset, 1)
			if err == nil && len(got.Messages) != 1 {
				err = fmt.Errorf("pull: %+v", got)
			}
			return err
		})
		m := got.Messages[0]
		if string(m.Body) != "sent back" || m.Tag() != "again" || len(m.Keys()) != 2 {
			t.Fatalf("read back %+v", m)
		}
	})
}
