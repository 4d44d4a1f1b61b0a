package poller_test

import (
	"context"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

func TestScratchTimer(t *testing.T) {
	r := stacktest.Broker(t, "5.3.3")
	c := mqadmin.New(mqadmin.Options{})
	defer c.Close()
	ctx := context.Background()
	ts, err := c.TopicStats(ctx, r.BrokerAddr, "rmq_sys_wheel_timer")
	t.Logf("timer topic %+v %v", ts, err)
	var start int64
	for _, o := range ts.Offsets {
		start = o.MaxOffset
	}
	topic, group := stacktest.Name(t, "t"), stacktest.Name(t, "never")
	stacktest.CreateTopic(t, r, topic, 1)
	cn := stacktest.SimpleConsume(t, r, group, topic, stacktest.SimpleOptions{Ack: "never", Invisible: 3 * time.Second, Batch: 2})
	ca := stacktest.SimpleConsume(t, r, stacktest.Name(t, "acks"), topic, stacktest.SimpleOptions{})
	stacktest.Produce(t, r, topic, 3)
	cn.WaitReceived(t, 3, 60*time.Second)
	ca.WaitConsumed(t, 3, 60*time.Second)
	res, err := c.PullMessages(ctx, r.BrokerAddr, "rmq_sys_wheel_timer", 0, start, 32)
	t.Logf("pull: status %v next %d err %v", res.Status, res.NextBeginOffset, err)
	for _, m := range res.Messages {
		t.Logf("off %d stored %s tag %q props %v body %s", m.QueueOffset, m.StoredAt.Format(time.RFC3339Nano), m.Tag(), m.Properties, m.Body)
	}
}
