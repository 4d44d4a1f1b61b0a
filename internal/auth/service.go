package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/errcode"
)

// SignedOutPath is where the browser lands after sign-out when the provider has no
// end_session_endpoint.
const SignedOutPath = "/auth/signed-out"

// Service is sign-in, sessions and the policy together, as the HTTP layer uses them.
type Service struct {
	cfg      config.Auth
	oidc     *OIDC // nil when sign-in is off
	sessions *Sessions
	policy   *PolicyStore
	denials  DenialRecorder
	events   EventRecorder
	logger   *slog.Logger
	now      func() time.Time
}

// Options are the collaborators of New.
type Options struct {
	Config config.Auth
	Pool   *pgxpool.Pool
	Logger *slog.Logger
	// Denials receives refused requests; nil logs them (LogDenials).
	Denials DenialRecorder
	// Events receives sign-ins, sign-outs and policy reloads for the audit trail; nil
	// records nothing beyond the log.
	Events EventRecorder
	// HTTPClient calls the OpenID provider; nil means a client with a 10 s timeout.
	HTTPClient *http.Client
}

// New loads the policy and discovers the OpenID provider; either failing stops the start
// with a message naming the variable.
func New(ctx context.Context, o Options) (*Service, error) {
	policy, err := LoadPolicy(o.Config.PolicyFile, o.Config.OIDC.GroupsClaim, o.Config.AnonymousRead)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", config.EnvPolicyFile, err)
	}
	s := &Service{
		cfg:      o.Config,
		sessions: NewSessions(o.Pool, o.Config, o.Logger),
		policy:   policy,
		denials:  o.Denials,
		events:   o.Events,
		logger:   o.Logger,
		now:      time.Now,
	}
	if s.denials == nil {
		s.denials = LogDenials{Logger: o.Logger}
	}
	if s.events == nil {
		s.events = noEvents{}
	}
	if o.Config.OIDC.Enabled() {
		client := o.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 10 * time.Second}
		}
		if s.oidc, err = NewOIDC(ctx, o.Config.OIDC, client); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// SignInEnabled reports whether an OpenID provider is configured.
func (s *Service) SignInEnabled() bool { return s.oidc != nil }

// FormActionSources returns the provider origins that a form's redirects may reach (sign-out
// goes through the provider's end_session and back to sign-in), each with a leading space,
// for the form-action directive of the content security policy; "" without sign-in.
func (s *Service) FormActionSources() string {
	if s.oidc == nil {
		return ""
	}
	var b strings.Builder
	for _, o := range s.oidc.origins() {
		b.WriteString(" " + o)
	}
	return b.String()
}

// AnonymousRead reports whether visitors who are not signed in may read.
func (s *Service) AnonymousRead() bool { return s.cfg.AnonymousRead }

// Sessions returns the session manager.
func (s *Service) Sessions() *Sessions { return s.sessions }

// Policy returns the policy in force.
func (s *Service) Policy() *Policy { return s.policy.Current() }

// ReloadPolicy reads the policy file again; on error the old policy stays in force. The new
// policy takes effect only once its audit entry is written; a failed reload is recorded too.
func (s *Service) ReloadPolicy() error { return s.reloadPolicy(context.Background()) }

// ErrSignInOff is returned by BeginSignIn when no provider is configured.
var ErrSignInOff = errcode.Errorf(errcode.NotFound, "Sign-in is not configured on this dashboard.")

// BeginSignIn records a pending sign-in in the session and returns the provider URL.
func (s *Service) BeginSignIn(ctx context.Context, returnTo string) (string, error) {
	if s.oidc == nil {
		return "", ErrSignInOff
	}
	p, u := s.oidc.Begin(SafeReturnTo(returnTo), s.now())
	if err := s.sessions.putPending(ctx, p); err != nil {
		return "", err
	}
	return u, nil
}

// NoAccessError is the outcome of a valid sign-in that no grant matches: the user is told
// which claim values the provider sent, and gets no session.
type NoAccessError struct {
	Identity Identity
	Seen     []SeenClaim
}

func (e *NoAccessError) Error() string {
	return fmt.Sprintf("no grant matches the claims of %s", e.Identity.Subject)
}

// FinishSignIn completes the sign-in of the callback query q and returns who signed in and
// where to go next. Whatever fails, the pre-sign-in session is destroyed and no session is
// signed in.
func (s *Service) FinishSignIn(ctx context.Context, q url.Values) (Identity, string, error) {
	if s.oidc == nil {
		return Identity{}, "", ErrSignInOff
	}
	// A failed callback drops the pre-sign-in session; a session that is already signed in
	// stays, so that a forged callback link cannot sign anyone out.
	// A failure is recorded once a sign-in started in this browser comes back: without one,
	// anyone could fill the audit trail with requests to the callback.
	started := false
	var who *Identity // once the provider has said who it is
	fail := func(err error) (Identity, string, error) {
		var none *NoAccessError
		if errors.As(err, &none) {
			who = &none.Identity
		}
		if started {
			// Until the provider says who signs in, the actor is whoever is signed in in
			// this browser already: the failure is theirs, not an anonymous visitor's.
			actor := who
			if actor == nil {
				actor = s.sessions.identity(ctx)
			}
			s.recordEvent(ctx, Event{Kind: EventLogin, User: actor, Session: s.sessions.hash(ctx), Err: err, NoAccess: none != nil})
		}
		if s.sessions.signedIn(ctx) {
			return Identity{}, "", err
		}
		if derr := s.sessions.destroy(ctx); derr != nil {
			return Identity{}, "", errors.Join(err, derr)
		}
		return Identity{}, "", err
	}
	p, ok := s.sessions.takePending(ctx)
	if !ok {
		return fail(refused(errors.New("no pending sign-in in this session"),
			"This sign-in was not started in this browser, or was already used."))
	}
	started = true
	if s.now().Sub(p.Started) > pendingTTL {
		return fail(refused(errors.New("pending sign-in expired"), "The sign-in took too long."))
	}
	id, raw, err := s.oidc.Finish(ctx, p, q)
	if err != nil {
		return fail(err)
	}
	who = &id
	if pol := s.policy.Current(); !pol.HasAccess(id.Claims) {
		return fail(&NoAccessError{Identity: id, Seen: SeenClaims(pol, id.Claims)})
	}
	if err := s.sessions.signIn(ctx, id, raw); err != nil {
		return fail(err)
	}
	// Strict: a sign-in the audit trail cannot record does not happen.
	if err := s.events.RecordEvent(ctx, Event{Kind: EventLogin, At: s.now(), User: &id, Session: s.sessions.hash(ctx)}); err != nil {
		return Identity{}, "", errors.Join(fmt.Errorf("sign-in of %s not recorded: %w", id.Subject, err), s.sessions.destroy(ctx))
	}
	return id, p.ReturnTo, nil
}

// Principal returns who makes the request: the session's user, or an anonymous visitor.
func (s *Service) Principal(ctx context.Context) (Principal, error) {
	id, err := s.sessions.current(ctx)
	if err != nil {
		return Principal{}, err
	}
	return Principal{Identity: id}, nil
}

// Decide says whether p may use perm within scope under the policy in force.
func (s *Service) Decide(p Principal, perm Permission, scope Scope) Decision {
	return s.policy.Current().Decide(p.subject(), perm, scope, s.cfg.AnonymousRead)
}

// Allowed reports whether the principal of an authorized request may use perm within
// scope; handlers use it to show only what the user may see, e.g. the clusters they read.
func (s *Service) Allowed(ctx context.Context, perm Permission, scope Scope) bool {
	p, ok := PrincipalFrom(ctx)
	return ok && s.Decide(p, perm, scope).Allowed
}

// RecordDenial hands a refused request to the denial recorder.
func (s *Service) RecordDenial(ctx context.Context, d Denial) {
	if d.At.IsZero() {
		d.At = s.now()
	}
	if d.Session == "" {
		d.Session = s.sessions.hash(ctx)
	}
	s.denials.RecordDenial(ctx, d)
}

// SignOut ends the session and returns where to send the browser: the provider's
// end_session_endpoint when it has one, else the signed-out page.
func (s *Service) SignOut(ctx context.Context) (string, error) {
	idToken := s.sessions.idToken(ctx)
	who, sess := s.sessions.identity(ctx), s.sessions.hash(ctx)
	if err := s.sessions.destroy(ctx); err != nil {
		return "", err
	}
	if who != nil {
		s.recordEvent(ctx, Event{Kind: EventLogout, User: who, Session: sess})
	}
	return s.afterSignOut(idToken), nil
}

// SignOutEverywhere ends every session of the signed-in user, in every browser.
func (s *Service) SignOutEverywhere(ctx context.Context, id *Identity) (string, error) {
	idToken := s.sessions.idToken(ctx)
	sess := s.sessions.hash(ctx)
	if err := s.sessions.revokeAll(ctx, id); err != nil {
		s.recordEvent(ctx, Event{Kind: EventLogoutEverywhere, User: id, Session: sess, Err: err})
		return "", err
	}
	s.recordEvent(ctx, Event{Kind: EventLogoutEverywhere, User: id, Session: sess})
	s.logger.InfoContext(ctx, "signed out everywhere", "subject", id.Subject, "issuer", id.Issuer)
	return s.afterSignOut(idToken), nil
}

func (s *Service) afterSignOut(idToken string) string {
	if s.oidc != nil {
		if u := s.oidc.EndSessionURL(idToken); u != "" {
			return u
		}
	}
	return SignedOutPath
}

// Run deletes expired sessions every few minutes and reloads the policy on each value from
// hup (SIGHUP), until ctx is done. An invalid policy is logged and the old one kept.
func (s *Service) Run(ctx context.Context, hup <-chan os.Signal) error {
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			if err := s.reloadPolicy(ctx); err != nil {
				s.logger.ErrorContext(ctx, "policy reload failed; keeping the previous policy", "file", s.policy.Path(), "err", err)
				continue
			}
			p := s.Policy()
			s.logger.InfoContext(ctx, "policy reloaded", "file", s.policy.Path(), "grants", len(p.Grants), "denies", len(p.Denies))
		case <-tick.C:
			n, err := s.sessions.deleteExpired(ctx)
			if err != nil {
				s.logger.WarnContext(ctx, "deleting expired sessions failed", "err", err)
			} else if n > 0 {
				s.logger.DebugContext(ctx, "deleted expired sessions", "count", n)
			}
		}
	}
}

// SessionHash returns the SHA-256 of the request's session id (see SessionHash), "" without
// a session, for audit entries.
func (s *Service) SessionHash(ctx context.Context) string {
	if !s.sessions.signedIn(ctx) {
		return ""
	}
	return s.sessions.hash(ctx)
}
