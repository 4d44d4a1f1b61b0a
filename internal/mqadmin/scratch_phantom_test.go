package mqadmin_test

import (
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

func TestScratchPhantom(t *testing.T) {
	r := stacktest.Broker(t, "5.3.3")
	c := mqadmin.New(mqadmin.Options{})
	defer c.Close()
	ctx := testCtx(t)
	topic := stacktest.Name(t, "topic")
	group := stacktest.Name(t, "group")
	stacktest.CreateTopic(t, r, topic, 2)
	stacktest.Produce(t, r, topic, 4)
	g, _ := c.TopicConsumers(ctx, r.BrokerAddr, topic)
	t.Logf("before consumer: %v", g)
	cons := stacktest.Consume(t, r, group, topic, stacktest.ConsumerOptions{})
	cons.WaitConsumed(t, 4, 60*time.Second)
	g, _ = c.TopicConsumers(ctx, r.BrokerAddr, topic)
	t.Logf("with consumer: %v", g)
	all, _ := c.BrokerOffsets(ctx, r.BrokerAddr)
	for gt, q := range all.Committed {
		if gt.Topic == topic || gt.Group == topic {
			t.Logf("offsets %+v %v", gt, q)
		}
	}
}
