package poller

import "time"

// point is one observation of a history series: a time and the values that matter.
type point[V comparable] struct {
	At time.Time
	V  V
}

// track decides which observations of a series to store: the first, every change, and the
// last observation of a flat stretch when it ends, so a stretch is stored as its two ends.
// That is all interpolation needs, and idle queues cost nothing.
type track[V comparable] struct {
	written, seen point[V]
	has           bool
}

// observe returns the points to write for observation p and the track to keep once they
// are written. The receiver is not changed: a failed write must not lose the stretch.
func (t track[V]) observe(p point[V]) ([]point[V], track[V]) {
	switch {
	case !t.has:
		return []point[V]{p}, track[V]{written: p, seen: p, has: true}
	case p.V == t.seen.V:
		t.seen = p
		return nil, t
	case t.seen.At != t.written.At:
		return []point[V]{t.seen, p}, track[V]{written: p, seen: p, has: true}
	default:
		return []point[V]{p}, track[V]{written: p, seen: p, has: true}
	}
}
