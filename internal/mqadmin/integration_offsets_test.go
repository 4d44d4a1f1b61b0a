package mqadmin_test

import (
	"maps"
	"testing"

	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
)

// TestBrokerOffsets reads a broker's whole offset table in one request and finds in it
// exactly the offsets committed, and no entry for a queue never committed.
func TestBrokerOffsets(t *testing.T) {
	forEachVersion(t, func(t *testing.T, r stacktest.RocketMQ, c *mqadmin.Client) {
		ctx := testCtx(t)
		topic, group, maxOffsets := committedGroup(t, ctx, r, c, 2, 10)
		other := stacktest.Name(t, "never")
		if err := c.CreateSubscriptionGroup(ctx, r.BrokerAddr, other); err != nil {
			t.Fatal(err)
		}

		all, err := c.BrokerOffsets(ctx, r.BrokerAddr)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int]int64{}
		for q, m := range maxOffsets {
			want[q] = m / 2
		}
		got := all.Committed[mqadmin.GroupTopic{Group: group, Topic: topic}]
		if !maps.Equal(got, want) {
			t.Fatalf("offsets of %s on %s: %v, want %v", group, topic, got, want)
		}
		if !all.Groups()[group] {
			t.Fatalf("Groups() lacks %s", group)
		}
		if all.Groups()[other] {
			t.Fatalf("Groups() lists %s, which never committed", other)
		}
	})
}
