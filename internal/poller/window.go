package poller

import "time"

// healthWindow is a group's recent samples for health, kept small: at 20,000 groups and the
// default 10 min window at 10 s, full samples would take about 190 MB. Only the newest
// sample is kept whole; of the ones before it, evaluate reads the time, the lag, rewinds,
// dead letters and redeliveries, and that is all a windowPoint holds (40 bytes).
type healthWindow struct {
	past []windowPoint // oldest first; the newest sample's point is the last
	last sample
}

// windowPoint is what evaluate reads of a sample older than the newest.
type windowPoint struct {
	at               int64 // Unix nanoseconds
	lag, dlq, redeli int64
	rewound          int32
	lagKnown, stale  bool
}

func pointOf(s sample) windowPoint {
	return windowPoint{at: s.At.UnixNano(), lag: s.Lag, dlq: s.DLQ, redeli: s.Redelivered,
		rewound: int32(s.Rewound), lagKnown: s.LagKnown, stale: s.Stale}
}

func (p windowPoint) sample() sample {
	return sample{At: time.Unix(0, p.at), Lag: p.lag, LagKnown: p.lagKnown, Rewound: int(p.rewound),
		Stale: p.stale, DLQ: p.dlq, Redelivered: p.redeli}
}

// push adds the cycle's sample and drops those older than span, always keeping the newest.
// The slice is trimmed in place, so a full window allocates nothing.
func (w *healthWindow) push(s sample, now time.Time, span time.Duration) {
	w.past = append(w.past, pointOf(s))
	w.last = s
	i := 0
	for i < len(w.past)-1 && now.Sub(time.Unix(0, w.past[i].at)) > span {
		i++
	}
	if i > 0 {
		w.past = w.past[:copy(w.past, w.past[i:])]
	}
}

// begin is the time of the oldest sample kept, zero when there is none.
func (w *healthWindow) begin() time.Time {
	if len(w.past) == 0 {
		return time.Time{}
	}
	return time.Unix(0, w.past[0].at)
}

// samples writes the window into buf as evaluate takes it: the older samples with the
// fields it reads of them, the newest whole.
func (w *healthWindow) samples(buf []sample) []sample {
	buf = buf[:0]
	if len(w.past) == 0 {
		return buf
	}
	for _, p := range w.past[:len(w.past)-1] {
		buf = append(buf, p.sample())
	}
	return append(buf, w.last)
}
