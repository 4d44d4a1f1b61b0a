package mqadmin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ResetPath says how a reset was carried out on a broker.
type ResetPath string

// Reset paths.
const (
	// ResetByBroker: the broker reset the offsets itself (5.2+), or handed them to the
	// online clients (4.x), which commit them over the next 10-20 s.
	ResetByBroker ResetPath = "broker"
	// ResetDirect: no client was online, so each queue's committed offset was written
	// directly with UPDATE_CONSUMER_OFFSET.
	ResetDirect ResetPath = "direct"
)

// QueueReset is the outcome of a reset on one queue.
type QueueReset struct {
	Queue MessageQueue
	// Before is the committed offset read just before the reset, -1 when unknown.
	Before int64
	// Target is the offset the queue is to be set to.
	Target int64
	// Changed is false when the queue was left alone: the direct path, unless forced, only
	// moves offsets back, as the broker's client path does.
	Changed bool
	// Err is the broker's refusal for this queue, if any.
	Err error
}

// ResetResult is the outcome of a reset on one broker.
type ResetResult struct {
	Path   ResetPath
	Queues []QueueReset // sorted by topic and queue
}

// ResetOffsetWithFallback resets as ResetOffset does and, where the broker answers that
// no client is online (or, on 4.x, that a queue has no committed offset yet), writes each
// queue's committed offset directly: the target is the offset for the timestamp (or the
// max offset), and a queue moves forward only when req.Force is set. The queues come from
// the group's consume stats or, when it has no offsets on the topic, from the topic's
// extents. Errors on single queues are reported per queue; the error returned is for
// the reset as a whole.
func (c *Client) ResetOffsetWithFallback(ctx context.Context, brokerAddr string, req ResetOffsetRequest) (ResetResult, error) {
	before := map[MessageQueue]int64{}
	if st, err := c.ConsumeStats(ctx, brokerAddr, req.Group, req.Topic); err == nil {
		for mq, o := range st.Offsets {
			before[mq] = o.ConsumerOffset
		}
	}
	targets, err := c.ResetOffset(ctx, brokerAddr, req)
	switch {
	case err == nil:
		res := ResetResult{Path: ResetByBroker}
		for mq, target := range targets {
			b, ok := before[mq]
			if !ok {
				b = -1
			}
			res.Queues = append(res.Queues, QueueReset{Queue: mq, Before: b, Target: target, Changed: b != target})
		}
		sortQueueResets(res.Queues)
		return res, nil
	case !needsDirectReset(err):
		return ResetResult{}, err
	}
	return c.resetDirect(ctx, brokerAddr, req, before)
}

// needsDirectReset reports the broker answers after which tools write offsets directly.
func needsDirectReset(err error) bool {
	var be *BrokerError
	if !errors.As(err, &be) {
		return false
	}
	return errors.Is(err, ErrConsumerNotOnline) ||
		(errors.Is(err, ErrSystemError) && strings.Contains(strings.ToLower(be.Remark), "not exist"))
}

func (c *Client) resetDirect(ctx context.Context, addr string, req ResetOffsetRequest, before map[MessageQueue]int64) (ResetResult, error) {
	current := map[MessageQueue]int64{}
	for mq, off := range before {
		if mq.Topic == req.Topic {
			current[mq] = off
		}
	}
	if len(current) == 0 {
		// The group never committed on the topic here: start from each queue's oldest message.
		ts, err := c.TopicStats(ctx, addr, req.Topic)
		if err != nil {
			return ResetResult{}, err
		}
		for mq, o := range ts.Offsets {
			current[mq] = o.MinOffset
		}
	}
	res := ResetResult{Path: ResetDirect}
	for mq, cur := range current {
		qr := QueueReset{Queue: mq, Before: cur}
		var err error
		if req.ToLatest {
			qr.Target, err = c.MaxOffset(ctx, addr, mq.Topic, mq.QueueID)
		} else {
			qr.Target, err = c.SearchOffsetByTimestamp(ctx, addr, mq.Topic, mq.QueueID, req.Timestamp)
		}
		if err == nil && (req.Force || qr.Target <= cur) {
			err = c.UpdateConsumerOffset(ctx, addr, req.Group, mq.Topic, mq.QueueID, qr.Target)
			qr.Changed = err == nil && qr.Target != cur
		}
		qr.Err = err
		res.Queues = append(res.Queues, qr)
	}
	sortQueueResets(res.Queues)
	for _, q := range res.Queues {
		if q.Err != nil {
			return res, fmt.Errorf("mqadmin: reset %s on %s at %s: some queues failed, first: %w", req.Group, req.Topic, addr, q.Err)
		}
	}
	return res, nil
}

func sortQueueResets(qs []QueueReset) {
	sort.Slice(qs, func(i, j int) bool { return qs[i].Queue.Less(qs[j].Queue) })
}
