package mqadmin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sort"
	"sync"
)

// GroupConsumeStats returns a group's progress merged over every broker that serves it, as
// RocketMQ's own tools compute it: the brokers are those in the route of the group's retry
// topic (every group that ever consumed has one), or else of topic, and each master is asked
// for the group's stats; the offset tables are merged, retry queues included, and the
// consume rates summed. A broker that fails makes the whole call fail, naming it: a
// partial answer would understate the lag.
func (c *Client) GroupConsumeStats(ctx context.Context, namesrvAddr, group, topic string) (ConsumeStats, error) {
	route, err := c.TopicRoute(ctx, namesrvAddr, "%RETRY%"+group)
	if errors.Is(err, ErrTopicNotExist) && topic != "" {
		route, err = c.TopicRoute(ctx, namesrvAddr, topic)
	}
	if err != nil {
		return ConsumeStats{}, fmt.Errorf("mqadmin: brokers of group %s: %w", group, err)
	}
	var addrs []string
	for _, b := range route.Brokers {
		if addr := b.MasterAddr(); addr != "" {
			addrs = append(addrs, addr)
		}
	}
	sort.Strings(addrs)
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		merged = ConsumeStats{Offsets: map[MessageQueue]OffsetWrapper{}}
		errs   []error
	)
	for _, addr := range addrs {
		wg.Go(func() {
			st, err := c.ConsumeStats(ctx, addr, group, topic)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			merged.ConsumeTPS += st.ConsumeTPS
			maps.Copy(merged.Offsets, st.Offsets)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return ConsumeStats{}, errors.Join(errs...)
	}
	return merged, nil
}
