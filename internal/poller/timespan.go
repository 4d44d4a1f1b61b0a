package poller

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/lagboard/lagboard/internal/mqadmin"
)

// spanKey names the message at a committed offset; its store time never changes, so it is
// asked for once.
type spanKey struct {
	topic, broker string
	queue         int
	offset        int64
}

// fetchStoreTimes asks the brokers for the store time of the first unconsumed message of
// every queue that is behind, for those not already known, and returns the store times of
// every queue behind. One request covers a group's topic on one broker; its answer is the
// group's alone: groups on one topic stand at different offsets.
func (p *Poller) fetchStoreTimes(ctx context.Context, f *fetched) map[spanKey]time.Time {
	type call struct{ group, broker, topic string }
	type groupQueue struct {
		group string
		queue spanKey // offset -1
	}
	need := map[call]bool{}
	behind := map[groupQueue]int64{} // the committed offset of each group's queue behind
	for _, g := range f.groups {
		for broker, st := range g.stats {
			for mq, o := range st.Offsets {
				if o.Lag() <= 0 || strings.HasPrefix(mq.Topic, retryPrefix) {
					continue
				}
				k := spanKey{mq.Topic, broker, mq.QueueID, o.ConsumerOffset}
				behind[groupQueue{g.name, spanKey{mq.Topic, broker, mq.QueueID, -1}}] = o.ConsumerOffset
				if _, ok := p.storeTimes[k]; !ok {
					need[call{g.name, broker, mq.Topic}] = true
				}
			}
		}
	}
	pools := map[string]*brokerPool{}
	for _, b := range f.brokers {
		pools[b.name] = b
	}
	var (
		mu      sync.Mutex
		fetched = map[groupQueue]time.Time{} // store time at the group's committed offset
		oldest  = map[spanKey]time.Time{}    // per queue (offset -1): store time of the oldest message kept
		wg      sync.WaitGroup
	)
	for c := range need {
		b := pools[c.broker]
		wg.Go(func() {
			err := b.do(ctx, func(ctx context.Context) error {
				spans, err := p.admin.ConsumeTimeSpans(ctx, b.addr, c.group, c.topic)
				if err != nil {
					return err
				}
				answered := time.Now()
				mu.Lock()
				defer mu.Unlock()
				for _, s := range spans {
					k := spanKey{c.topic, c.broker, s.Queue.QueueID, -1}
					if !s.Oldest.IsZero() {
						oldest[k] = s.Oldest
					}
					stored := answered.Add(-s.Delay) // the broker measured the delay while answering
					if s.Delay > 0 && plausibleStoreTime(stored, s) {
						fetched[groupQueue{c.group, k}] = stored
					}
				}
				return nil
			})
			_ = err // a broker that cannot say leaves interpolation to fill in
		})
	}
	wg.Wait()
	out := make(map[spanKey]time.Time, len(behind))
	for gq, offset := range behind {
		q := gq.queue
		k := spanKey{q.topic, q.broker, q.queue, offset}
		if _, ok := out[k]; ok {
			continue // another group at the same offset: the same message
		}
		if t, ok := p.storeTimes[k]; ok {
			out[k] = t
		} else if t, ok := fetched[gq]; ok {
			out[k] = t
		} else if t, ok := oldest[q]; ok && k.offset <= minOffset(f, k) {
			// No committed offset (reported as 0) or one below what is kept: the first
			// unconsumed message is the oldest one kept, whose store time the broker gave.
			out[k] = t
		}
	}
	return out
}

// plausibleStoreTime rejects what a broker says for a committed offset it has no message
// for: with no committed offset, or one below the oldest message kept, it measures from
// store time 0, the epoch. A real store time is not older than the queue's oldest message.
func plausibleStoreTime(stored time.Time, s mqadmin.QueueTimeSpan) bool {
	return !s.Oldest.IsZero() && !stored.Before(s.Oldest.Add(-time.Second))
}

// minOffset returns the queue's min offset from this cycle's topic extents, -1 if unknown.
func minOffset(f *fetched, k spanKey) int64 {
	ext, ok := f.topics[k.broker][k.topic].Offsets[mqadmin.MessageQueue{Topic: k.topic, BrokerName: k.broker, QueueID: k.queue}]
	if !ok {
		return -1
	}
	return ext.MinOffset
}
