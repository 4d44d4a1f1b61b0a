// Package audit is Lagboard's audit trail: typed entries, appended inside the caller's
// transaction to an append-only, hash-chained table, and verified by walking the chain.
// docs/AUDIT.md describes the canonical form and what verification proves.
package audit

import (
	"encoding/json"
	"time"
)

// Action names what an entry records.
type Action string

// Actions recorded today.
const (
	ActionLogin            Action = "login"
	ActionLogout           Action = "logout"
	ActionLogoutEverywhere Action = "logout_everywhere"
	ActionAccessDenied     Action = "access_denied"
	ActionPolicyReloaded   Action = "policy_reloaded"
	ActionConfigChanged    Action = "config_changed"
)

// Actions of the reset workflow, one per change of a request's state (internal/reset).
// Every one names the request in Parameters as "reset_id" and its kind as "kind".
const (
	ActionResetRequested   Action = "reset.requested"
	ActionResetApproved    Action = "reset.approved"
	ActionResetRejected    Action = "reset.rejected"
	ActionResetCancelled   Action = "reset.cancelled"
	ActionResetExpired     Action = "reset.expired"
	ActionResetStarted     Action = "reset.started"
	ActionResetRefused     Action = "reset.refused"
	ActionResetExecuted    Action = "reset.executed"
	ActionResetVerified    Action = "reset.verified"
	ActionResetNotHonoured Action = "reset.not_honoured"
	// ActionResetOverrideRequested records an emergency override of a change freeze: who may
	// execute the request states why it must run inside the freeze, and it needs one more
	// approval. Approvals given after it are ActionResetOverrideApproved.
	ActionResetOverrideRequested Action = "reset.override_requested"
	ActionResetOverrideApproved  Action = "reset.override_approved"
)

// Actions of the change-freeze windows (internal/freeze). Parameters name the window
// ("freeze_id", "name"); Before and After hold it.
const (
	ActionFreezeCreated Action = "freeze.created"
	ActionFreezeUpdated Action = "freeze.updated"
	ActionFreezeDeleted Action = "freeze.deleted"
)

// Actions of alerting (internal/alert): rule changes, silences, acknowledgements and
// notifications put back in the queue. Rule entries name the rule in Parameters as
// "rule_id" and hold it without its secret in Before and After.
const (
	ActionAlertRuleCreated  Action = "alert.rule_created"
	ActionAlertRuleChanged  Action = "alert.rule_changed"
	ActionAlertRuleDeleted  Action = "alert.rule_deleted"
	ActionAlertSilenced     Action = "alert.silenced"
	ActionAlertSilenceEnded Action = "alert.silence_ended"
	ActionAlertAcknowledged Action = "alert.acknowledged"
	ActionAlertRetried      Action = "alert.notification_retried"
)

// ActionArchived records an archival (Archive): old entries moved out of the table into a
// file. Its Parameters are an ArchiveRecord.
const ActionArchived Action = "audit.archived"

// Actions of reading messages: a message body shown to someone, a dead letter about to be
// sent back to its group's retry topic (recorded before the broker is asked, so that a
// message sent is never missing from the trail), and how that ended.
const (
	ActionMessageRead          Action = "message.read"
	ActionMessageResendStarted Action = "message.resend_started"
	ActionMessageResent        Action = "message.resent"
)

// Outcome says how the recorded action ended.
type Outcome string

// Outcomes.
const (
	Success Outcome = "success"
	Failure Outcome = "failure"
	Denied  Outcome = "denied"
)

// Actor is who acted, as known at the time: group membership is copied, not looked up
// later, so an entry says what access the person had when they acted.
type Actor struct {
	Subject string
	Issuer  string
	Email   string
	Name    string
	Groups  []string
}

// SystemSubject is the actor subject of entries the server writes on its own behalf, such
// as a policy reload on SIGHUP.
const SystemSubject = "system"

// AnonymousSubject is the actor subject of a visitor who is not signed in.
const AnonymousSubject = "anonymous"

// Target is what the action was about. Queues are "broker/queueId" labels.
type Target struct {
	Cluster string
	Group   string
	Topic   string
	Queues  []string
}

// Entry is one audit record. Callers fill in what they know; Append assigns Seq, ID,
// PrevHash and Hash, and At when it is zero. Entries never carry secrets (tokens, passwords,
// raw session ids) or message bodies.
type Entry struct {
	Seq int64
	ID  string
	At  time.Time

	Actor Actor
	// Session is a SHA-256 of the session id (the key of the sessions table), never the id.
	Session   string
	SourceIP  string
	UserAgent string
	RequestID string

	Action Action
	Target Target
	Reason string
	// Parameters, Before and After are JSON documents, nil when absent.
	Parameters json.RawMessage
	Before     json.RawMessage
	After      json.RawMessage

	Outcome Outcome
	Error   string

	PrevHash string
	Hash     string
}

// JSON encodes v for Entry's JSON fields; nil stays nil.
func JSON(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// Head is the newest entry of the chain: auditors record it elsewhere, and a later
// verification that still finds it proves nothing before it was rewritten.
type Head struct {
	Seq  int64
	Hash string
}
