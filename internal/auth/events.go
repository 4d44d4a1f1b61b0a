package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"
)

// EventKind names a sign-in, sign-out or policy event.
type EventKind string

// Event kinds, named as the audit trail names its actions.
const (
	EventLogin            EventKind = "login"
	EventLogout           EventKind = "logout"
	EventLogoutEverywhere EventKind = "logout_everywhere"
	EventPolicyReloaded   EventKind = "policy_reloaded"
)

// Event is something the audit trail records about sign-in, sessions and the policy.
type Event struct {
	Kind EventKind
	At   time.Time
	// User is who signed in or out; nil for a policy reload, which the server does itself.
	User *Identity
	// Session is the SHA-256 of the session id as the sessions table keys it, "" without one.
	Session string
	// Err is why the action failed, nil when it succeeded; NoAccess marks a valid sign-in
	// that no grant matches.
	Err      error
	NoAccess bool
	// Before and After describe the policy replaced and the policy now in force.
	Before, After *PolicySummary
}

// PolicySummary identifies a policy without repeating it: its file, a SHA-256 of the
// file's bytes and how many rules it has.
type PolicySummary struct {
	Source    string `json:"source"`
	Digest    string `json:"sha256,omitempty"`
	Grants    int    `json:"grants"`
	Denies    int    `json:"denies"`
	Anonymous int    `json:"anonymous"`
}

// Summary describes p for the audit trail.
func (p *Policy) Summary() *PolicySummary {
	return &PolicySummary{Source: p.Source, Digest: p.Digest, Grants: len(p.Grants), Denies: len(p.Denies), Anonymous: len(p.Anonymous)}
}

// EventRecorder writes events to the audit trail. An error means the event was not
// recorded: a sign-in or a policy reload then does not take effect; a sign-out, which only
// takes access away, still does and the error is logged.
type EventRecorder interface {
	RecordEvent(ctx context.Context, e Event) error
}

// reloadPolicy puts a new policy in force once its audit entry is written.
func (s *Service) reloadPolicy(ctx context.Context) error {
	old := s.policy.Current()
	next, err := s.policy.read()
	if err != nil {
		s.recordEvent(ctx, Event{Kind: EventPolicyReloaded, Err: err, Before: old.Summary()})
		return err
	}
	if err := s.events.RecordEvent(ctx, Event{Kind: EventPolicyReloaded, At: s.now(), Before: old.Summary(), After: next.Summary()}); err != nil {
		return fmt.Errorf("policy not reloaded: %w", err)
	}
	s.policy.current.Store(next)
	return nil
}

// recordEvent records an event whose action stands whether or not it is recorded (a
// failure, a sign-out); an audit failure is logged.
func (s *Service) recordEvent(ctx context.Context, e Event) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	if err := s.events.RecordEvent(ctx, e); err != nil {
		s.logger.ErrorContext(ctx, "audit entry not written", "event", string(e.Kind), "err", err)
	}
}

// noEvents is the recorder of a Service built without one: events are only logged where
// they happen.
type noEvents struct{}

func (noEvents) RecordEvent(context.Context, Event) error { return nil }

// SessionHash returns the SHA-256 of a session id the way the sessions table keys it
// (base64url without padding), so audit entries and session rows can be matched without
// storing the id.
func SessionHash(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}
