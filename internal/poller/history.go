package poller

import (
	"context"
	"time"

	"github.com/lagboard/lagboard/internal/storage"
)

// history resolves series ids, adds the cycle's history points to cycle, counts rewound
// queues and fills lag in time. It returns the history tracks to keep once stored.
func (p *Poller) history(ctx context.Context, calcs []*groupCalc, now time.Time, cycle *storage.Cycle) (pending, error) {
	if err := p.resolveSeries(ctx, calcs); err != nil {
		return pending{}, err
	}
	pend := pending{queues: map[storage.QueueKey]track[queueValue]{}, topics: map[storage.TopicKey]topicTrack{}}
	for _, c := range calcs {
		for _, q := range c.queues {
			tr := p.queues[q.key]
			if tr.has && q.state.ConsumerOffset < tr.seen.V.Consumer {
				c.sample.Rewound++
			}
			pts, next := tr.observe(point[queueValue]{At: now, V: queueValue{q.state.MaxOffset, q.state.ConsumerOffset}})
			for _, pt := range pts {
				cycle.QueueSamples = append(cycle.QueueSamples, storage.QueueSample{
					SeriesID: p.queueIDs[q.key], At: pt.At, MaxOffset: pt.V.Max, ConsumerOffset: pt.V.Consumer})
			}
			pend.queues[q.key] = next
		}
	}
	if err := p.lagTime(ctx, calcs, now); err != nil {
		return pending{}, err
	}
	for _, c := range calcs {
		p.topicPoints(c, now, cycle, pend)
	}
	return pend, nil
}

func (p *Poller) resolveSeries(ctx context.Context, calcs []*groupCalc) error {
	var qs []storage.QueueKey
	var ts []storage.TopicKey
	seenT := map[storage.TopicKey]bool{}
	for _, c := range calcs {
		for _, q := range c.queues {
			if _, ok := p.queueIDs[q.key]; !ok {
				qs = append(qs, q.key)
			}
			tk := storage.TopicKey{Group: q.key.Group, Topic: q.key.Topic}
			if _, ok := p.topicIDs[tk]; !ok && !seenT[tk] {
				seenT[tk] = true
				ts = append(ts, tk)
			}
		}
	}
	qids, err := storage.QueueSeriesIDs(ctx, p.cfg.Pool, p.cfg.ClusterID, qs)
	if err != nil {
		return err
	}
	tids, err := storage.TopicSeriesIDs(ctx, p.cfg.Pool, p.cfg.ClusterID, ts)
	if err != nil {
		return err
	}
	for k, id := range qids {
		p.queueIDs[k] = id
	}
	for k, id := range tids {
		p.topicIDs[k] = id
	}
	return nil
}

// lagTime fills, for every queue and group, the age of the oldest unconsumed message: 0
// when caught up, interpolated from stored (time, max offset) history when behind, and
// unknown (nil) when history does not reach back far enough.
func (p *Poller) lagTime(ctx context.Context, calcs []*groupCalc, now time.Time) error {
	var qs []storage.OffsetQuery
	for _, c := range calcs {
		for _, q := range c.queues {
			if q.known && q.lag > 0 && !p.exact(q) {
				qs = append(qs, storage.OffsetQuery{SeriesID: p.queueIDs[q.key], Offset: q.from})
			}
		}
	}
	brackets, err := storage.WriteTimeBrackets(ctx, p.cfg.Pool, qs)
	if err != nil {
		return err
	}
	for _, c := range calcs {
		var (
			worst       float64
			known       = c.state.Lag != nil
			interpolate bool
			exact       bool
		)
		for _, q := range c.queues {
			switch {
			case !q.known:
				continue
			case q.lag == 0:
				zero := 0.0
				q.state.LagSeconds = &zero
				continue
			}
			written, isExact := p.exactStoreTime(q)
			ok := isExact
			if !ok {
				b := brackets[storage.OffsetQuery{SeriesID: p.queueIDs[q.key], Offset: q.from}]
				written, ok = writeTime(b, q.from, now, q.state.MaxOffset)
			}
			if !ok {
				if !q.retry {
					known = false
				}
				continue
			}
			age := max(now.Sub(written).Seconds(), 0)
			since := written
			if since.After(now) {
				since = now
			}
			q.state.LagSeconds, q.state.LagSince = &age, &since
			if !q.retry {
				interpolate = interpolate || !isExact
				exact = exact || isExact
				worst = max(worst, age)
			}
		}
		switch {
		case !known:
			c.state.LagTimeSource = "unknown"
		case broadcasting(c.state.MessageModel) && *c.state.Lag > 0:
			// The lag is the clients' own; the brokers' queues cannot tell how old the
			// oldest message a client has not consumed is. Nothing waiting is 0 s, though.
			c.state.LagTimeSource = "unknown"
		case interpolate:
			c.state.LagSeconds, c.state.LagTimeSource = &worst, "interpolated"
		case exact:
			c.state.LagSeconds, c.state.LagTimeSource = &worst, "exact"
		default:
			zero := 0.0
			c.state.LagSeconds, c.state.LagTimeSource = &zero, "exact"
		}
	}
	return nil
}

// exact reports whether the broker told the store time of the queue's first unconsumed
// message this cycle.
func (p *Poller) exact(q *queueRow) bool {
	_, ok := p.exactStoreTime(q)
	return ok
}

// exactStoreTime returns the store time the broker gave for the queue's first unconsumed
// message. The brokers are asked at the committed offset, which is that message unless the
// group starts elsewhere (it never committed) or retention moved its start to the oldest
// message kept, whose time the broker also gives.
func (p *Poller) exactStoreTime(q *queueRow) (time.Time, bool) {
	if q.from != q.state.ConsumerOffset && (q.state.MinOffset == nil || q.from != *q.state.MinOffset) {
		return time.Time{}, false
	}
	t, ok := p.storeTimes[spanKey{q.key.Topic, q.key.Broker, int(q.key.QueueID), q.state.ConsumerOffset}]
	return t, ok
}

// writeTime estimates when message off was written from the samples bracketing it. The
// current observation (now, curMax) stands in for a later sample not yet stored.
func writeTime(b storage.Bracket, off int64, now time.Time, curMax int64) (time.Time, bool) {
	if b.Before == nil {
		return time.Time{}, false // written before the stored history begins
	}
	after, afterMax := now, curMax
	if b.After != nil {
		after, afterMax = *b.After, b.AfterMax
	}
	if afterMax <= b.BeforeMax || !after.After(*b.Before) {
		return *b.Before, true
	}
	frac := float64(off-b.BeforeMax+1) / float64(afterMax-b.BeforeMax)
	frac = min(max(frac, 0), 1)
	return b.Before.Add(time.Duration(frac * float64(after.Sub(*b.Before)))), true
}

// topicPoints adds, at most once a minute, a point per topic of the group.
func (p *Poller) topicPoints(c *groupCalc, now time.Time, cycle *storage.Cycle, pend pending) {
	type agg struct {
		v          topicValue
		lagSeconds *float64
	}
	per := map[string]*agg{}
	for _, q := range c.queues {
		a := per[q.key.Topic]
		if a == nil {
			a = &agg{}
			per[q.key.Topic] = a
		}
		a.v.Max += q.state.MaxOffset
		a.v.Consumer += q.state.ConsumerOffset
		if q.known {
			a.v.Lag += q.lag
		}
		if s := q.state.LagSeconds; s != nil && (a.lagSeconds == nil || *s > *a.lagSeconds) {
			v := *s
			a.lagSeconds = &v
		}
	}
	minute := now.Truncate(time.Minute)
	for topic, a := range per {
		key := storage.TopicKey{Group: c.state.Group, Topic: topic}
		tt := p.topics[key]
		if tt.minute.Equal(minute) {
			continue
		}
		var rate *float64
		if !tt.prevAt.IsZero() && a.v.Consumer >= tt.prevCons {
			r := float64(a.v.Consumer-tt.prevCons) / now.Sub(tt.prevAt).Seconds()
			rate = &r
		}
		pts, next := tt.observe(point[topicValue]{At: now, V: a.v})
		for _, pt := range pts {
			tp := storage.TopicPoint{SeriesID: p.topicIDs[key], At: pt.At, MaxOffset: pt.V.Max,
				ConsumerOffset: pt.V.Consumer, Lag: pt.V.Lag}
			if pt.At.Equal(now) {
				tp.LagSeconds, tp.ConsumeTPS = a.lagSeconds, rate
			}
			cycle.TopicPoints = append(cycle.TopicPoints, tp)
		}
		pend.topics[key] = topicTrack{track: next, minute: minute, prevAt: now, prevCons: a.v.Consumer}
	}
}
