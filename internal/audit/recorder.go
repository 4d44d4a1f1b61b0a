package audit

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/auth"
)

// writeTimeout bounds an entry the Recorder writes in its own transaction.
const writeTimeout = 10 * time.Second

// Limits keep an entry readable and bounded whatever a client sends.
const (
	maxUserAgent = 512
	maxError     = 2000
)

// Recorder writes the entries of sign-in, sign-out, policy reloads and refused requests,
// each in its own transaction. It implements auth.DenialRecorder and auth.EventRecorder.
type Recorder struct {
	pool           *pgxpool.Pool
	logger         *slog.Logger
	groupsClaim    string
	trustedProxies []netip.Prefix
}

// RecorderOptions are the collaborators of NewRecorder.
type RecorderOptions struct {
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// GroupsClaim is the claim whose values are recorded as the actor's groups.
	GroupsClaim string
	// TrustedProxies are the proxies whose X-Forwarded-For is believed
	// (LAGBOARD_TRUSTED_PROXIES).
	TrustedProxies []netip.Prefix
}

// NewRecorder returns a Recorder writing to o.Pool.
func NewRecorder(o RecorderOptions) *Recorder {
	return &Recorder{pool: o.Pool, logger: o.Logger, groupsClaim: o.GroupsClaim, trustedProxies: o.TrustedProxies}
}

// Record appends e in a transaction of its own. The write outlives a cancelled request
// (the client going away does not erase what it did) but not writeTimeout.
func (r *Recorder) Record(ctx context.Context, e Entry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	if req, ok := RequestFrom(ctx); ok {
		if e.SourceIP == "" {
			e.SourceIP = ClientIP(req.RemoteAddr, req.ForwardedFor, r.trustedProxies)
		}
		if e.UserAgent == "" {
			e.UserAgent = truncate(req.UserAgent, maxUserAgent)
		}
		if e.RequestID == "" {
			e.RequestID = req.RequestID
		}
	}
	return pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error { return Append(ctx, tx, e) })
}

// RecordDenial implements auth.DenialRecorder: the denial is logged as before and appended
// to the trail. The request stays refused whatever happens here; an entry that cannot be
// written is logged as an error.
func (r *Recorder) RecordDenial(ctx context.Context, d auth.Denial) {
	auth.LogDenials{Logger: r.logger}.RecordDenial(ctx, d)
	params, _ := JSON(map[string]string{"permission": string(d.Permission), "method": d.Method, "path": d.Path})
	e := Entry{
		At: d.At, Actor: r.actor(d.User), Session: d.Session, RequestID: d.RequestID,
		Action: ActionAccessDenied, Target: Target{Cluster: d.Scope.Cluster, Group: d.Scope.Group},
		Reason: d.Reason, Parameters: params, Outcome: Denied,
	}
	if _, ok := RequestFrom(ctx); !ok {
		e.SourceIP = ClientIP(d.RemoteAddr, "", nil)
	}
	if err := r.Record(ctx, e); err != nil {
		r.logger.ErrorContext(ctx, "access denied; audit entry not written", "err", err,
			"subject", d.Who, "path", d.Path, "request_id", d.RequestID)
	}
}

// RecordEvent implements auth.EventRecorder.
func (r *Recorder) RecordEvent(ctx context.Context, ev auth.Event) error {
	e := Entry{At: ev.At, Actor: r.actor(ev.User), Session: ev.Session, Action: Action(ev.Kind), Outcome: Success}
	if ev.Kind == auth.EventPolicyReloaded {
		e.Actor = Actor{Subject: SystemSubject, Name: "policy reload (SIGHUP)"}
		e.Reason = "the policy file was read again"
		var err error
		if e.Before, err = JSON(ev.Before); err != nil {
			return err
		}
		if ev.After != nil {
			if e.After, err = JSON(ev.After); err != nil {
				return err
			}
		}
	}
	if ev.Err != nil {
		e.Outcome, e.Error = Failure, truncate(ev.Err.Error(), maxError)
		if ev.NoAccess {
			e.Outcome = Denied
		}
	}
	if err := r.Record(ctx, e); err != nil {
		return fmt.Errorf("audit trail: %w", err)
	}
	return nil
}

// actor copies who a user was at the time; nil is an anonymous visitor.
func (r *Recorder) actor(id *auth.Identity) Actor {
	if id == nil {
		return Actor{Subject: AnonymousSubject}
	}
	return Actor{Subject: id.Subject, Issuer: id.Issuer, Email: id.Email, Name: id.Name, Groups: id.Claims[r.groupsClaim]}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Origin is who acts and from where, as entries record them.
type Origin struct {
	Actor                          Actor
	SourceIP, UserAgent, RequestID string
}

// Origin returns the actor of id (nil is an anonymous visitor) and the origin of the
// request ctx belongs to, for entries written in a caller's own transaction.
func (r *Recorder) Origin(ctx context.Context, id *auth.Identity) Origin {
	o := Origin{Actor: r.actor(id)}
	if req, ok := RequestFrom(ctx); ok {
		o.SourceIP = ClientIP(req.RemoteAddr, req.ForwardedFor, r.trustedProxies)
		o.UserAgent = truncate(req.UserAgent, maxUserAgent)
		o.RequestID = req.RequestID
	}
	return o
}
