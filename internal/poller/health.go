package poller

import (
	"fmt"
	"time"

	"github.com/lagboard/lagboard/internal/humanize"
)

// Health statuses, evaluated over a window of recent polls with no thresholds to tune,
// in the manner of LinkedIn Burrow.
const (
	OK      = "OK"      // consuming and keeping up, or caught up
	Warn    = "WARN"    // consuming, but the lag grows poll after poll
	Stall   = "STALL"   // clients online, lag > 0, committed offsets not moving
	Stop    = "STOP"    // lag > 0 and no commit for longer than the window
	Rewind  = "REWIND"  // a committed offset went backwards: a reset, or a client bug
	Offline = "OFFLINE" // no client online while messages wait
	Unknown = "UNKNOWN" // stale or missing data: nothing honest to say
)

// sample is what one poll saw of a group, kept in memory for health evaluation.
type sample struct {
	At        time.Time
	Lag       int64
	LagKnown  bool
	Committed int64 // sum of committed offsets over every queue of the group
	Clients   int   // -1 when unknown
	Rewound   int   // queues whose committed offset went backwards since the previous poll
	Stale     bool
	// Kind is how the group consumes (KindPull groups hold no long-lived connection).
	Kind string
	// Expired counts messages deleted before the group read them; PastEnd the queues
	// committed beyond their newest message.
	Expired int64
	PastEnd int
	// Redelivered is the simple/pop group's count of messages that came back
	// unacknowledged; -1 when unknown.
	Redelivered int64
	// Blocked names an orderly group's queue that stands still while others move.
	Blocked *blockedQueue
	// NoOffsets is true for a pull group the brokers hold no offsets of: it keeps them itself.
	NoOffsets bool
	// DLQ is the group's dead-letter total; -1 when it has none or it is unknown.
	DLQ int64
}

// blockedQueue is a group's queue whose committed offset stands still while others move.
type blockedQueue struct {
	Name    string // topic, broker and queue, for people
	Offset  int64
	Since   time.Time
	Orderly bool // the group consumes in order
}

// HealthRules are the time spans health is judged over.
type HealthRules struct {
	// Window is how far back evaluation looks; no commit for longer than this is STOP.
	Window time.Duration
	// StallAfter is how long offsets may stand still with clients online before STALL.
	StallAfter time.Duration
	// Interval is the poll interval; data older than three intervals is stale.
	Interval time.Duration
}

// evaluate returns the status of a group and a one-line reason for people. window holds the
// group's samples, oldest first, newest last; lastMove is when the committed offsets last
// changed (zero if never seen to change).
func evaluate(r HealthRules, window []sample, lastMove, now time.Time) (status, reason string) {
	if len(window) == 0 {
		return Unknown, "not polled yet"
	}
	cur := window[len(window)-1]
	switch {
	case cur.Stale:
		return Unknown, "no fresh data: the brokers serving this group did not answer the last poll"
	case now.Sub(cur.At) > 3*r.Interval:
		return Unknown, fmt.Sprintf("no data for %s", humanize.Duration(now.Sub(cur.At)))
	case cur.NoOffsets:
		return Unknown, "this pull group commits no offsets to the brokers: its progress is kept by its application"
	case !cur.LagKnown:
		return Unknown, "lag cannot be computed from what the brokers report"
	}
	status, reason = judgeProgress(r, window, lastMove, now)
	if cur.Expired > 0 {
		lost := humanize.Plural(cur.Expired, "message", "messages") + " expired before this group read them"
		if status == OK {
			return Warn, "consuming, but " + lost
		}
		reason += "; " + lost
	}
	if cur.PastEnd > 0 {
		reason += fmt.Sprintf("; %s committed past the newest message", humanize.Plural(cur.PastEnd, "queue", "queues"))
	}
	if n, since, ok := deadLettered(r, window, now); ok {
		dead := fmt.Sprintf("%s went to the dead-letter queue in the last %s",
			humanize.Plural(int(n), "message", "messages"), humanize.Duration(now.Sub(since)))
		if status == OK {
			return Warn, dead
		}
		reason += "; " + dead
	}
	return status, reason
}

// deadLettered reports how many of the group's messages went to its dead-letter topic
// within the window, and since when that is measured.
func deadLettered(r HealthRules, window []sample, now time.Time) (n int64, since time.Time, ok bool) {
	cur := window[len(window)-1]
	if cur.DLQ < 0 {
		return 0, time.Time{}, false
	}
	for _, s := range window {
		if now.Sub(s.At) > r.Window || s.DLQ < 0 {
			continue
		}
		if cur.DLQ > s.DLQ {
			return cur.DLQ - s.DLQ, s.At, true
		}
		break
	}
	return 0, time.Time{}, false
}

// judgeProgress is evaluate for fresh, known data.
func judgeProgress(r HealthRules, window []sample, lastMove, now time.Time) (status, reason string) {
	cur := window[len(window)-1]
	for i := len(window) - 1; i >= 0; i-- {
		if s := window[i]; s.Rewound > 0 && now.Sub(s.At) <= r.Window {
			return Rewind, fmt.Sprintf("committed offsets went backwards on %s %s ago: a reset, or a client committing old offsets",
				humanize.Plural(s.Rewound, "queue", "queues"), humanize.Duration(now.Sub(s.At)))
		}
	}
	waiting := humanize.Plural(cur.Lag, "message", "messages") + " waiting"
	if cur.Lag <= 0 {
		if back, since, ok := cameBack(r, window, now); ok {
			return Warn, fmt.Sprintf("%s came back unacknowledged in the last %s",
				humanize.Plural(int(back), "message", "messages"), humanize.Duration(now.Sub(since)))
		}
		return OK, "caught up"
	}
	pull := cur.Kind == KindPull
	if cur.Clients == 0 && !pull {
		return Offline, "no client online; " + waiting
	}
	still := now.Sub(lastMove)
	if lastMove.IsZero() {
		still = now.Sub(window[0].At) // never seen to move: at least since the window began
	}
	if still >= r.Window {
		if pull {
			return Stop, fmt.Sprintf("no commit for %s; %s (a pull group shows its progress only by committing)",
				humanize.Duration(still), waiting)
		}
		return Stop, fmt.Sprintf("no commit for %s; %s", humanize.Duration(still), waiting)
	}
	if cur.Clients > 0 && still >= r.StallAfter {
		return Stall, fmt.Sprintf("committed offsets unchanged for %s with %s online; %s",
			humanize.Duration(still), humanize.Plural(cur.Clients, "client", "clients"), waiting)
	}
	if pull && still >= r.StallAfter {
		return Stall, fmt.Sprintf("committed offsets unchanged for %s; %s (a pull group need hold no connection: only its commits show progress)",
			humanize.Duration(still), waiting)
	}
	if b := cur.Blocked; b != nil {
		what := "queue"
		if b.Orderly {
			what = "ordered queue"
		}
		return Stall, fmt.Sprintf("%s %s blocked at offset %s for %s while the group's other queues move; %s",
			what, b.Name, humanize.Thousands(b.Offset), humanize.Duration(now.Sub(b.Since)), waiting)
	}
	if back, since, ok := cameBack(r, window, now); ok {
		return Warn, fmt.Sprintf("%s came back unacknowledged in the last %s; %s",
			humanize.Plural(int(back), "message", "messages"), humanize.Duration(now.Sub(since)), waiting)
	}
	if first, ok := growing(r, window, now); ok {
		return Warn, fmt.Sprintf("consuming, but the lag grew from %s to %s in %s",
			humanize.Thousands(first.Lag), humanize.Thousands(cur.Lag), humanize.Duration(cur.At.Sub(first.At)))
	}
	return OK, "consuming; " + waiting
}

// cameBack reports how many messages of a simple or pop group came back unacknowledged
// within the window (its redelivery count grew), and since when that is measured.
func cameBack(r HealthRules, window []sample, now time.Time) (n int64, since time.Time, ok bool) {
	cur := window[len(window)-1]
	if cur.Redelivered < 0 {
		return 0, time.Time{}, false
	}
	for _, s := range window {
		if now.Sub(s.At) > r.Window || s.Redelivered < 0 {
			continue
		}
		if cur.Redelivered > s.Redelivered {
			return cur.Redelivered - s.Redelivered, s.At, true
		}
		break
	}
	return 0, time.Time{}, false
}

// growing reports whether the lag rose at every step over at least four polls within the
// window, and returns the first of them.
func growing(r HealthRules, window []sample, now time.Time) (sample, bool) {
	var run []sample
	for _, s := range window {
		if now.Sub(s.At) > r.Window || !s.LagKnown {
			continue
		}
		if len(run) > 0 && s.Lag <= run[len(run)-1].Lag {
			run = run[:0]
		}
		run = append(run, s)
	}
	if len(run) < 4 {
		return sample{}, false
	}
	return run[0], true
}
