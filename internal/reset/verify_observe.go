package reset

import (
	"fmt"
	"strings"
	"time"
)

// Verification is what the verifier saw after an execution, per queue set.
type Verification struct {
	// At is when the brokers were last read.
	At time.Time `json:"at"`
	// Until is the end of the window in which clients that held a queue at execution may
	// still commit an offset they had before the reset; zero when no client was online.
	// Deadline is when the verifier gives up on queues that do not keep the reset.
	Until    time.Time    `json:"until,omitzero"`
	Deadline time.Time    `json:"deadline,omitzero"`
	Queues   []QueueCheck `json:"queues"`
}

// Verdict is what one observation of a queue's committed offset says about the reset.
type Verdict string

// Verdicts.
const (
	// Waiting: the queue has not been seen at its target yet (the clients have not
	// committed a reset handed to them).
	Waiting Verdict = "waiting"
	// AtTarget: the committed offset is the target.
	AtTarget Verdict = "at_target"
	// ConsumedOn: the offset moved on from the target by consumption, which only a client
	// that took the reset can do.
	ConsumedOn Verdict = "consumed_on"
	// Reverted: the offset went back toward where it was before the reset: a client
	// committed the offset it held before it learned of the reset.
	Reverted Verdict = "reverted"
	// MovedAway: a rewound queue was seen below its target: something else moved it.
	MovedAway Verdict = "moved_away"
	// AtEnd: a rewound queue, rewritten by its broker, is back at the offset it had, which
	// is still the end of the queue. A client that took the reset and read to the end
	// commits exactly that, and clients commit every few seconds, so the steps between
	// may never show; a client that committed what it held before the reset would show the
	// same. It keeps the reset, but does not count as a client taking it: the window must
	// pass, and a later commit of the target marks it as the revert it was.
	AtEnd Verdict = "at_end"
)

// Keeps reports whether the verdict shows the reset kept.
func (v Verdict) Keeps() bool { return v == AtTarget || v == ConsumedOn || v == AtEnd }

// Label is the verdict in words.
func (v Verdict) Label() string {
	switch v {
	case Waiting:
		return "waiting for the clients"
	case AtTarget:
		return "at the target"
	case ConsumedOn:
		return "consumed on from the target"
	case Reverted:
		return "reverted"
	case MovedAway:
		return "moved below the target"
	case AtEnd:
		return "read again to the end of the queue"
	}
	return string(v)
}

// Observation is one change seen on a queue: when, the committed offset, and its verdict;
// By names the client a revert came from.
type Observation struct {
	At      time.Time `json:"at"`
	Offset  int64     `json:"offset"`
	Verdict Verdict   `json:"verdict"`
	By      string    `json:"by,omitempty"`
}

// maxLog bounds a queue's observation log; the first observation is always kept.
const maxLog = 40

// QueueCheck is one queue's verification.
type QueueCheck struct {
	QueueRef
	Path   Path  `json:"path,omitempty"`
	Before int64 `json:"before"`
	Target int64 `json:"target"`
	// Seen is the committed offset last seen, Verdict what it says; End is the queue's end
	// (its max offset) at that reading.
	Seen    int64   `json:"seen"`
	End     int64   `json:"end,omitempty"`
	Verdict Verdict `json:"verdict,omitempty"`
	// Clients are the group's clients connected to the queue's broker at execution; Owner
	// is the one that held the queue, when it could be told.
	Clients []string `json:"clients,omitempty"`
	Owner   string   `json:"owner,omitempty"`
	// Honoured is set while the last observation keeps the reset, since HonouredAt.
	Honoured   bool       `json:"honoured"`
	HonouredAt *time.Time `json:"honoured_at,omitempty"`
	// Reached is set once the queue held the reset: Lagboard wrote the target itself, or
	// the clients were seen committing it.
	Reached bool `json:"reached,omitempty"`
	// AdoptedAt is when a commit showed that a client holding the queue took the reset: it
	// consumed on from the target, committed a reset handed to it, or put the target back
	// after reverting it. Until then a client may still commit what it had before.
	AdoptedAt *time.Time `json:"adopted_at,omitempty"`
	// RevertedBy names the client of the last revert.
	RevertedBy string        `json:"reverted_by,omitempty"`
	Log        []Observation `json:"log,omitempty"`
	// LogDropped counts the observations dropped from the middle of a long log.
	LogDropped int `json:"log_dropped,omitempty"`
}

// newCheck starts the verification of an executed queue. On the server and direct paths
// Lagboard wrote the target itself, so the queue holds the reset from the start and any
// return toward the old offset is a revert.
func newCheck(q QueueOutcome) QueueCheck {
	return QueueCheck{QueueRef: q.QueueRef, Path: q.Path, Before: q.Before, Target: q.Target, Seen: q.Before,
		Verdict: Waiting, Clients: q.Clients, Owner: q.Owner, Reached: q.Path != PathClient}
}

// classify says what a committed offset means for the queue as seen so far.
func (q QueueCheck) classify(seen int64) Verdict {
	if seen == q.Target {
		return AtTarget
	}
	if q.Before > q.Target { // a rewind
		switch {
		case seen < q.Target:
			return MovedAway
		case seen < q.Before:
			return ConsumedOn
		case q.AdoptedAt != nil:
			return ConsumedOn // consumed again up to where it was, by a client that took the reset
		case seen == q.Before && q.Path == PathServer && q.End == q.Before:
			return AtEnd
		case q.Reached:
			return Reverted
		}
		return Waiting
	}
	switch { // forward, or a queue that had no committed offset
	case seen > q.Target:
		return ConsumedOn
	case q.Reached:
		return Reverted
	}
	return Waiting
}

// honours reports whether a committed offset shows the reset kept, as the queue is now.
func (q QueueCheck) honours(seen int64) bool { return q.classify(seen).Keeps() }

// observe records one reading of the queue's committed offset. who names the client a
// revert came from; it is asked only when a revert is seen.
func (q *QueueCheck) observe(seen, end int64, now time.Time, who func(QueueCheck) string) {
	q.End = end
	v := q.classify(seen)
	first := len(q.Log) == 0
	changed := first || seen != q.Seen || v != q.Verdict
	at := now.UTC()
	if len(q.Clients) > 0 && q.AdoptedAt == nil {
		switch {
		case v == ConsumedOn,
			v == AtTarget && q.Path == PathClient,
			v == AtTarget && (q.Verdict == Reverted || q.Verdict == AtEnd):
			q.AdoptedAt = &at
		}
	}
	var by string
	if v == Reverted && changed {
		by = "a client"
		if who != nil {
			by = who(*q)
		}
		q.RevertedBy = by
	}
	if v.Keeps() {
		q.Reached = true
		if !q.Honoured {
			q.HonouredAt = &at
		}
	} else {
		q.HonouredAt = nil
	}
	q.Seen, q.Verdict, q.Honoured = seen, v, v.Keeps()
	if !changed {
		return
	}
	if len(q.Log) >= maxLog {
		q.Log = append(q.Log[:1], q.Log[2:]...)
		q.LogDropped++
	}
	q.Log = append(q.Log, Observation{At: at, Offset: seen, Verdict: v, By: by})
}

// observe records what the brokers show now.
func (v *Verification) observe(snap snapshot, now time.Time, who func(QueueCheck) string) {
	for i := range v.Queues {
		q := &v.Queues[i]
		if ext, cur, ok := snap.queue(q.QueueRef); ok {
			q.observe(cur, ext.MaxOffset, now, who)
		}
	}
}

// conclusion is where a verification stands.
type conclusion int

const (
	watching conclusion = iota // not yet decided
	kept                       // verified
	notKept                    // not honoured
)

// conclude decides the verification at now. A request is verified once every queue keeps
// the reset and has for settle, and every queue whose broker had clients online at
// execution either showed a client taking the reset or went through the whole window
// keeping it. At the deadline it is decided on what is seen then.
func (v *Verification) conclude(now time.Time, settle time.Duration) conclusion {
	all, settled, adopted := true, true, true
	for _, q := range v.Queues {
		switch {
		case !q.Honoured:
			all = false
		case q.HonouredAt != nil && now.Sub(*q.HonouredAt) < settle:
			settled = false
		}
		if len(q.Clients) > 0 && q.AdoptedAt == nil {
			adopted = false
		}
	}
	windowOver := v.Until.IsZero() || !now.Before(v.Until)
	switch {
	case all && settled && (adopted || windowOver):
		return kept
	case !v.Deadline.IsZero() && !now.Before(v.Deadline):
		if all {
			return kept
		}
		return notKept
	}
	return watching
}

// reverts describes every revert seen, for the audit entry: "broker-a/0 reverted to 30 by
// client-1 at 04:07:27Z, kept again at 04:07:33Z".
func (v *Verification) reverts() []string {
	var out []string
	for _, q := range v.Queues {
		for i, o := range q.Log {
			if o.Verdict == AtEnd && i+1 < len(q.Log) && q.Log[i+1].Verdict == AtTarget {
				out = append(out, fmt.Sprintf("%s went back to %d at %s, at the target again at %s", q.QueueRef, o.Offset,
					o.At.UTC().Format(auditTime), q.Log[i+1].At.UTC().Format(auditTime)))
			}
			if o.Verdict != Reverted {
				continue
			}
			s := fmt.Sprintf("%s reverted to %d by %s at %s", q.QueueRef, o.Offset, o.By, o.At.UTC().Format(auditTime))
			for _, next := range q.Log[i+1:] {
				if next.Verdict.Keeps() {
					s += ", kept again at " + next.At.UTC().Format(auditTime)
					break
				}
				if next.Verdict == Reverted {
					break
				}
			}
			out = append(out, s)
		}
	}
	return out
}

// auditTime is how times appear in verification entries: UTC, with milliseconds.
const auditTime = "2006-01-02T15:04:05.000Z"

// problems lists the queues that do not keep the reset, for the audit entry.
func (v *Verification) problems() []string {
	var out []string
	for _, q := range v.Queues {
		if q.Honoured {
			continue
		}
		s := fmt.Sprintf("%s at %d, target %d: %s", q.QueueRef, q.Seen, q.Target, q.Verdict.Label())
		if q.Verdict == Reverted && q.RevertedBy != "" {
			s += " by " + q.RevertedBy
		}
		out = append(out, s)
	}
	return out
}

// digest is what the audit entry keeps of a verification: per queue the target, what was
// seen last and the observation log.
func (v *Verification) digest() map[string]any {
	out := map[string]any{}
	for _, q := range v.Queues {
		log := make([]map[string]any, 0, len(q.Log))
		for _, o := range q.Log {
			e := map[string]any{"at": o.At.UTC().Format(auditTime), "offset": o.Offset, "verdict": o.Verdict}
			if o.By != "" {
				e["by"] = o.By
			}
			log = append(log, e)
		}
		d := map[string]any{"before": q.Before, "target": q.Target, "seen": q.Seen, "verdict": q.Verdict,
			"honoured": q.Honoured, "log": log}
		if len(q.Clients) > 0 {
			d["clients"] = strings.Join(q.Clients, ", ")
		}
		if q.Owner != "" {
			d["owner"] = q.Owner
		}
		if q.AdoptedAt != nil {
			d["adopted_at"] = q.AdoptedAt.UTC().Format(auditTime)
		}
		if q.LogDropped > 0 {
			d["log_dropped"] = q.LogDropped
		}
		out[q.String()] = d
	}
	return out
}
