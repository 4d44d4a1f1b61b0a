package auth

import (
	"context"
	"log/slog"
	"time"
)

// Denial is one refused request: who asked, for what, and why it was refused.
type Denial struct {
	At time.Time
	// Who is the subject of the signed-in user, or "anonymous"; Name and Issuer describe
	// the user when signed in.
	Who    string
	Name   string
	Issuer string
	// Permission and Scope are what the route needed.
	Permission Permission
	Scope      Scope
	Method     string
	Path       string
	// Reason says which rule refused, or that none granted; it is never shown to the user.
	Reason     string
	RequestID  string
	RemoteAddr string
	// User is the signed-in user, nil for anonymous visitors; Session is the SHA-256 of the
	// session id (see SessionHash), filled in by Service.RecordDenial.
	User    *Identity
	Session string
}

// DenialRecorder receives every refused request. The audit trail (internal/audit) implements
// it; LogDenials writes each denial to the log. A recorder never changes the answer: the
// request is refused whatever happens to its record.
type DenialRecorder interface {
	RecordDenial(ctx context.Context, d Denial)
}

// LogDenials records denials as structured warnings.
type LogDenials struct {
	Logger *slog.Logger
}

// RecordDenial implements DenialRecorder.
func (l LogDenials) RecordDenial(ctx context.Context, d Denial) {
	l.Logger.WarnContext(ctx, "access denied",
		slog.Group("who", "subject", d.Who, "name", d.Name, "issuer", d.Issuer, "remote_addr", d.RemoteAddr),
		slog.Group("what", "permission", string(d.Permission), "scope", d.Scope.String(), "method", d.Method, "path", d.Path),
		"why", d.Reason,
		"request_id", d.RequestID,
	)
}
