package mqadmin_test

import (
	"context"
	"sync"
	"testing"

	"github.com/lagboard/lagboard/internal/demo"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// BenchmarkConsumeStatsRoundTrip measures one GET_CONSUME_STATS request and its decoding,
// on loopback against the real broker, for a group with 8 queues.
func BenchmarkConsumeStatsRoundTrip(b *testing.B) {
	r := stacktest.Broker(b, stacktest.Versions(b)[0])
	c := mqadmin.New(mqadmin.Options{})
	defer c.Close()
	ctx := context.Background()
	pop := demo.Population{Prefix: stacktest.Name(b, "rt"), Groups: 1, Topics: 1, Queues: 8}
	if err := demo.Populate(ctx, c, r.BrokerAddr, pop); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		st, err := c.ConsumeStats(ctx, r.BrokerAddr, pop.GroupName(0), "")
		if err != nil || len(st.Offsets) != 8 {
			b.Fatalf("consume stats: %d queues, %v", len(st.Offsets), err)
		}
	}
}

// BenchmarkConsumeStats1000Groups measures reading the consume stats of 1,000 groups of 8
// queues each from the real broker, 16 requests in flight at most.
func BenchmarkConsumeStats1000Groups(b *testing.B) {
	r := stacktest.Broker(b, stacktest.Versions(b)[0])
	c := mqadmin.New(mqadmin.Options{})
	defer c.Close()
	ctx := context.Background()
	pop := demo.Population{Prefix: stacktest.Name(b, "many"), Groups: 1000, Topics: 100, Queues: 8}
	if err := demo.Populate(ctx, c, r.BrokerAddr, pop); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		sem := make(chan struct{}, 16)
		var wg sync.WaitGroup
		for g := range pop.Groups {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				st, err := c.ConsumeStats(ctx, r.BrokerAddr, pop.GroupName(g), "")
				if err != nil || len(st.Offsets) != pop.Queues {
					b.Errorf("group %d: %d queues, %v", g, len(st.Offsets), err)
				}
			})
		}
		wg.Wait()
	}
}
