package views

import (
	"strings"
	"time"
)

// ResetPage is the page of one reset request: what was asked and why, the frozen
// preview, the approvers' decisions, what execution did and what verification saw.
type ResetPage struct {
	ID, Self              string
	Cluster, Group, Topic string
	GroupHref             string
	Kind, Target, Scope   string
	// TargetAt is the instant of a reset to a point in time, shown in the viewer's time
	// zone and in UTC instead of Target.
	TargetAt       *time.Time
	Reason, Ticket string
	RequestedBy    string
	RequestedAt    time.Time
	ExpiresAt      time.Time
	// Overdue is set when the request is past its expiry but not marked expired yet.
	Overdue           bool
	State, StateLabel string
	// Live makes the state fragment poll while execution or verification runs.
	Live                bool
	Approvals, Required int
	Decisions           []ResetDecision
	Preview             ResetPreview
	ExecutedBy          string
	ExecutedAt          *time.Time
	Outcome             *ResetOutcome
	Verification        *ResetVerification
	ClosedBy            string
	ClosedAt            *time.Time
	CloseComment        string
	Timeline            []TimelineItem
	// What the viewer may do here; the server checks again on every action.
	CanDecide, CanExecute, CanCancel bool
	// Freeze says which change freeze is in force on the request's groups and until when,
	// "" when none is. CanOverride offers the emergency override, whose reason as typed and
	// the error of a refused attempt are OverrideReason and OverrideError. Override is the
	// override asked for, if any.
	Freeze string
	// ActionError is why the viewer's last action was refused.
	ActionError                   string
	CanOverride                   bool
	OverrideReason, OverrideError string
	Override                      *ResetOverride
	// Items are the groups and topics of a request of several, each with its own preview,
	// outcome and verification; empty for a request of one (Preview, Outcome and
	// Verification above are then its own).
	Items []ResetItem
	// BatchSummary says how a request of several groups ended when some or all of them
	// were not carried out, "" otherwise.
	BatchSummary string
}

// ResetItem is one group and topic of a request of several.
type ResetItem struct {
	Key               string
	Group, Topic      string
	GroupHref         string
	State, StateLabel string
	Preview           ResetPreview
	Outcome           *ResetOutcome
	Verification      *ResetVerification
	// NotAttempted says why nothing was sent for this group.
	NotAttempted string
}

// Title is the page's title: the group, or how many groups.
func (m ResetPage) Title() string {
	if len(m.Items) > 0 {
		return "Reset of " + Plural(len(m.Items), "group", "groups")
	}
	return "Reset of " + m.Group
}

// Actions reports whether the viewer has any action on the request.
func (m ResetPage) Actions() bool { return m.CanDecide || m.CanExecute || m.CanCancel || m.CanOverride }

// ResetOverride is an emergency override of a change freeze: who asked, when, why, and the
// windows then in force.
type ResetOverride struct {
	By, Reason, Windows string
	At                  time.Time
}

// ResetDecision is one approver's approval or rejection.
type ResetDecision struct {
	By       string
	Approved bool
	Comment  string
	At       time.Time
}

// ResetOutcome is what execution did on each queue.
type ResetOutcome struct {
	At   time.Time
	Rows []OutcomeRow
	// Changed, Unchanged, Handed and Failed count the queues by result.
	Changed, Unchanged, Handed, Failed int
}

// Summary counts the queues by result: "4 queues: 3 changed, 1 failed".
func (o ResetOutcome) Summary() string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{o.Changed, "changed"}, {o.Unchanged, "already at the target"}, {o.Handed, "handed to the clients"}, {o.Failed, "failed"}} {
		if p.n > 0 {
			parts = append(parts, Count(int64(p.n))+" "+p.what)
		}
	}
	return Plural(len(o.Rows), "queue", "queues") + ": " + strings.Join(parts, ", ")
}

// FailedLine says how many queues failed: "1 of 2 queues failed and kept its old offset".
func (o ResetOutcome) FailedLine() string {
	keep := "kept their old offsets"
	if o.Failed == 1 {
		keep = "kept its old offset"
	}
	return Count(int64(o.Failed)) + " of " + Plural(len(o.Rows), "queue", "queues") + " failed and " + keep
}

// Partial reports whether some queues failed and others did not.
func (o ResetOutcome) Partial() bool { return o.Failed > 0 && o.Failed < len(o.Rows) }

// AllFailed reports whether every queue failed.
func (o ResetOutcome) AllFailed() bool { return o.Failed > 0 && o.Failed == len(o.Rows) }

// OutcomeRow is one queue's result.
type OutcomeRow struct {
	Queue, Path    string
	Before, Target string
	// Result is changed, unchanged, handed or failed; Error the broker's answer.
	Result, Error string
	// Left marks a queue a copy left as it was: the source group had no offset there.
	Left bool
}

// ResetVerification is what the verifier saw after execution.
type ResetVerification struct {
	At   time.Time
	Rows []VerifyRow
	// Done is set once the verifier concluded (verified or not honoured).
	Done bool
	// Until is the end of the window in which clients online at execution may still
	// commit what they had before the reset, nil when none was online; Deadline is when the
	// verifier decides at the latest.
	Until, Deadline *time.Time
	// Clients are those online at execution, for the sentence that says what is awaited.
	Clients string
}

// VerifyRow is one queue's verification.
type VerifyRow struct {
	Queue, Before, Target, Seen string
	// Verdict is the last observation's verdict (at_target, consumed_on, reverted,
	// moved_away, waiting) and Label says it in words, naming the client of a revert.
	Verdict, Label string
	Honoured       bool
	// Owner is the client holding the queue at execution, when it could be told.
	Owner string
	// Log is what was seen and when; Dropped counts observations left out of a long log.
	Log     []VerifyObservation
	Dropped int
}

// VerifyObservation is one change seen on a queue.
type VerifyObservation struct {
	At      time.Time
	Offset  string
	Verdict string
	Label   string
}

// VerdictClass is the badge class of a verification verdict; a verdict that is neither
// kept nor waiting is an error once the verifier has concluded, and a warning before.
func VerdictClass(verdict string, done bool) string {
	switch verdict {
	case "at_target", "consumed_on":
		return "badge ok"
	case "waiting", "":
		if done {
			return "badge err"
		}
		return "badge stale"
	}
	if done {
		return "badge err"
	}
	return "badge warn"
}

// TimelineItem is one entry of the request's history, from the audit trail.
type TimelineItem struct {
	At      time.Time
	Actor   string
	Action  string
	Outcome string
	Reason  string
	Error   string
	// About names the group and topic of a request of several the entry concerns.
	About string
}

// ActionLabel says what a timeline entry's action did.
func (t TimelineItem) ActionLabel() string {
	switch t.Action {
	case "reset.requested":
		return "requested"
	case "reset.approved":
		return "approved"
	case "reset.rejected":
		return "rejected"
	case "reset.cancelled":
		return "cancelled"
	case "reset.expired":
		return "expired"
	case "reset.started":
		return "started execution"
	case "reset.executed":
		return "executed"
	case "reset.refused":
		return "refused execution"
	case "reset.verified":
		return "verified"
	case "reset.not_honoured":
		return "found not honoured"
	case "reset.override_requested":
		return "asked for an emergency override of the change freeze"
	case "reset.override_approved":
		return "approved the emergency override"
	}
	return t.Action
}

// OutcomeClass is the badge class of a queue's result.
func OutcomeClass(result string) string {
	switch result {
	case "changed", "unchanged":
		return "badge ok"
	case "handed":
		return "badge stale"
	}
	return "badge err"
}

// commentSuffix is a comment after a sentence: ": comment", "" without one.
func commentSuffix(c string) string {
	if c == "" {
		return ""
	}
	return ": " + c
}
