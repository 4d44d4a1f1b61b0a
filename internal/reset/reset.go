// Package reset is Lagboard's offset reset workflow: an operator requests a reset and the
// server freezes a preview of exactly what will move; someone else approves it; the
// requester or an approver executes it once, after checking that the group has not moved
// away from the preview; and the verifier then checks that the brokers and clients kept
// the new offsets. Every change of state is written with its audit entry in one
// transaction, so a change whose entry cannot be written does not happen.
package reset

import (
	"fmt"
	"time"
)

// Kind is what a reset moves the offsets to.
type Kind string

// Kinds of reset.
const (
	// ToEarliest moves each queue to its oldest stored message (the min offset).
	ToEarliest Kind = "earliest"
	// ToLatest moves each queue to its max offset, skipping the backlog.
	ToLatest Kind = "latest"
	// ToTime moves each queue to its first message stored at or after a time.
	ToTime Kind = "timestamp"
	// ToOffsets moves each chosen queue to an exact offset.
	ToOffsets Kind = "exact"
	// Shift moves each queue by N messages: back (negative) to consume again, forward to skip.
	Shift Kind = "shift"
	// ToGroup moves each queue to the offset another group (Spec.Source) has committed on
	// it; a queue the source never committed on is left as it is.
	ToGroup Kind = "group"
)

// Kinds lists the kinds in the order forms show them.
func Kinds() []Kind { return []Kind{ToEarliest, ToLatest, ToTime, ToOffsets, Shift, ToGroup} }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, v := range Kinds() {
		if k == v {
			return true
		}
	}
	return false
}

// Label is the kind in words.
func (k Kind) Label() string {
	switch k {
	case ToEarliest:
		return "To earliest"
	case ToLatest:
		return "To latest (skip the backlog)"
	case ToTime:
		return "To a point in time"
	case ToOffsets:
		return "To exact offsets"
	case Shift:
		return "Shift by N messages"
	case ToGroup:
		return "Copy another group's offsets"
	}
	return string(k)
}

// State is where a request is in the workflow.
type State string

// States; see migrations/0007_resets.sql.
const (
	Pending     State = "pending"
	Approved    State = "approved"
	Executing   State = "executing"
	Executed    State = "executed"
	Partial     State = "partial"
	Failed      State = "failed"
	Verified    State = "verified"
	NotHonoured State = "not_honoured"
	Rejected    State = "rejected"
	Cancelled   State = "cancelled"
	Expired     State = "expired"
	Refused     State = "refused"
	Interrupted State = "interrupted"
)

// States lists every state, open ones first, for filters.
func States() []State {
	return []State{Pending, Approved, Executing, Executed, Partial, Failed, Verified, NotHonoured,
		Rejected, Cancelled, Expired, Refused, Interrupted}
}

// Open reports whether the request still blocks another one on its group and topic.
func (s State) Open() bool { return s == Pending || s == Approved || s == Executing }

// Label is the state in words.
func (s State) Label() string {
	switch s {
	case Pending:
		return "Waiting for approval"
	case Approved:
		return "Approved"
	case Executing:
		return "Executing"
	case Executed:
		return "Executed, verifying"
	case Partial:
		return "Partly executed"
	case Failed:
		return "Failed"
	case Verified:
		return "Verified"
	case NotHonoured:
		return "Not honoured"
	case Rejected:
		return "Rejected"
	case Cancelled:
		return "Cancelled"
	case Expired:
		return "Expired"
	case Refused:
		return "Refused at execution"
	case Interrupted:
		return "Interrupted: outcome unknown"
	}
	return string(s)
}

// QueueRef names one queue of the request's topic: a broker name and a queue id.
type QueueRef struct {
	Broker  string `json:"broker"`
	QueueID int    `json:"queue_id"`
}

// String is the queue's label, "broker/queueId", as the audit trail records queues.
func (q QueueRef) String() string { return fmt.Sprintf("%s/%d", q.Broker, q.QueueID) }

// Less orders queues by broker, then queue id.
func (q QueueRef) Less(o QueueRef) bool {
	if q.Broker != o.Broker {
		return q.Broker < o.Broker
	}
	return q.QueueID < o.QueueID
}

// Request is a reset request as stored.
type Request struct {
	ID      string
	Cluster string
	Group   string
	Topic   string
	Spec    Spec
	Reason  string
	Ticket  string
	Preview Preview
	// RequiredApprovals is how many different approvers must approve.
	RequiredApprovals int
	State             State

	RequestedBy     string
	RequestedByName string
	RequestedAt     time.Time
	ExpiresAt       time.Time

	ExecutedBy     string
	ExecutedByName string
	ExecutedAt     *time.Time
	Outcome        *Outcome

	VerifiedAt   *time.Time
	Verification *Verification

	ClosedBy     string
	ClosedByName string
	ClosedAt     *time.Time
	CloseComment string

	UpdatedAt time.Time
	Decisions []Decision

	// OverrideAt is set once an emergency override of a change freeze was asked for, by
	// OverrideBy, for OverrideReason, while the windows OverrideWindows were in force: the
	// request may then be executed inside a freeze, with one approval more.
	OverrideReason, OverrideBy, OverrideByName, OverrideWindows string
	OverrideAt                                                  *time.Time

	// BatchID is set on each (group, topic) of a request of several: the id of its first,
	// which names the whole request. BatchIndex numbers them from 0, BatchSize counts them.
	BatchID    string
	BatchIndex int
	BatchSize  int
}

// Batched reports whether the request is one (group, topic) of a request of several.
func (r Request) Batched() bool { return r.BatchID != "" }

// Approvals counts the approvals the request has.
func (r Request) Approvals() int {
	n := 0
	for _, d := range r.Decisions {
		if d.Approved {
			n++
		}
	}
	return n
}

// DecidedBy reports whether subject has already approved or rejected the request.
func (r Request) DecidedBy(subject string) bool {
	for _, d := range r.Decisions {
		if d.Actor == subject {
			return true
		}
	}
	return false
}

// ApprovedBy reports whether subject approved the request.
func (r Request) ApprovedBy(subject string) bool {
	for _, d := range r.Decisions {
		if d.Actor == subject && d.Approved {
			return true
		}
	}
	return false
}

// Decision is one approver's approval or rejection.
type Decision struct {
	Actor     string
	ActorName string
	Approved  bool
	Comment   string
	At        time.Time
}
