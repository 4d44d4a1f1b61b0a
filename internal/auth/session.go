package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/config"
	"github.com/lagboard/lagboard/internal/storage"
)

// Cookie names. The __Host- prefix makes browsers refuse the cookie unless it is Secure,
// host-only and for path /, so a sibling subdomain cannot plant or shadow it.
const (
	CookieName       = "lagboard_session"
	SecureCookieName = "__Host-lagboard_session"
)

// Session keys. Values are basic types, so the gob codec of scs needs no registration.
const (
	keyPending  = "pending"  // JSON of Pending, before sign-in
	keyIdentity = "identity" // JSON of Identity, after sign-in
	keyGen      = "gen"      // the user's session generation at sign-in
	keyIDToken  = "id_token" // the raw ID token, for id_token_hint at sign-out
)

// Sessions are server-side sessions in Postgres (the sessions table of migration 0002),
// identified by a random cookie whose hash is the key in the table.
type Sessions struct {
	mgr  *scs.SessionManager
	pool *pgxpool.Pool
}

// NewSessions configures the session manager. It starts no goroutine: Service.Run deletes
// expired rows.
func NewSessions(pool *pgxpool.Pool, cfg config.Auth, logger *slog.Logger) *Sessions {
	m := scs.New()
	m.Store = pgxstore.NewWithCleanupInterval(pool, 0)
	m.HashTokenInStore = true
	m.IdleTimeout = cfg.SessionIdleTimeout
	m.Lifetime = cfg.SessionLifetime
	m.Cookie.Name = CookieName
	if cfg.CookieSecure {
		m.Cookie.Name = SecureCookieName
	}
	m.Cookie.HttpOnly = true
	m.Cookie.Secure = cfg.CookieSecure
	m.Cookie.SameSite = http.SameSiteLaxMode
	m.Cookie.Path = "/"
	m.Cookie.Persist = true
	m.ErrorFunc = func(w http.ResponseWriter, r *http.Request, err error) {
		logger.ErrorContext(r.Context(), "session store failed", "path", r.URL.Path, "err", err)
		http.Error(w, "The session store is unavailable; try again in a moment.", http.StatusServiceUnavailable)
	}
	return &Sessions{mgr: m, pool: pool}
}

// LoadAndSave loads the request's session before h and saves it after.
func (s *Sessions) LoadAndSave(h http.Handler) http.Handler { return s.mgr.LoadAndSave(h) }

// CookieName returns the name of the session cookie.
func (s *Sessions) CookieName() string { return s.mgr.Cookie.Name }

func (s *Sessions) putPending(ctx context.Context, p Pending) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode pending sign-in: %w", err)
	}
	s.mgr.Put(ctx, keyPending, b)
	return nil
}

// takePending removes and returns the pending sign-in; it is good for one callback only.
func (s *Sessions) takePending(ctx context.Context) (Pending, bool) {
	b := s.mgr.PopBytes(ctx, keyPending)
	var p Pending
	if b == nil || json.Unmarshal(b, &p) != nil {
		return Pending{}, false
	}
	return p, true
}

// signIn starts the user's session under a new token: the pre-sign-in session id, which
// someone else may know, is deleted and never carries a signed-in user.
func (s *Sessions) signIn(ctx context.Context, id Identity, rawIDToken string) error {
	gen, err := storage.SessionGeneration(ctx, s.pool, id.Issuer, id.Subject)
	if err != nil {
		return err
	}
	if err := s.mgr.RenewToken(ctx); err != nil {
		return fmt.Errorf("renew session token: %w", err)
	}
	b, err := json.Marshal(id)
	if err != nil {
		return fmt.Errorf("encode identity: %w", err)
	}
	s.mgr.Remove(ctx, keyPending)
	s.mgr.Put(ctx, keyIdentity, b)
	s.mgr.Put(ctx, keyGen, gen)
	s.mgr.Put(ctx, keyIDToken, rawIDToken)
	return nil
}

// current returns the signed-in user, nil without one. A session revoked by "sign out
// everywhere" is destroyed on sight.
func (s *Sessions) current(ctx context.Context) (*Identity, error) {
	b := s.mgr.GetBytes(ctx, keyIdentity)
	if b == nil {
		return nil, nil
	}
	var id Identity
	if err := json.Unmarshal(b, &id); err != nil {
		return nil, fmt.Errorf("decode session identity: %w", err)
	}
	gen, err := storage.SessionGeneration(ctx, s.pool, id.Issuer, id.Subject)
	if err != nil {
		return nil, err
	}
	if s.mgr.GetInt64(ctx, keyGen) < gen {
		return nil, s.destroy(ctx)
	}
	return &id, nil
}

// signedIn reports whether the session carries a signed-in user, revoked or not.
func (s *Sessions) signedIn(ctx context.Context) bool { return s.mgr.Exists(ctx, keyIdentity) }

// identity returns the session's user without checking revocation, nil without one; sign-out
// uses it to say who signed out.
func (s *Sessions) identity(ctx context.Context) *Identity {
	var id Identity
	if b := s.mgr.GetBytes(ctx, keyIdentity); b == nil || json.Unmarshal(b, &id) != nil {
		return nil
	}
	return &id
}

// hash returns the SHA-256 of the request's session id, "" before the session has one.
func (s *Sessions) hash(ctx context.Context) string { return SessionHash(s.mgr.Token(ctx)) }

// idToken returns the raw ID token of the session, "" without one.
func (s *Sessions) idToken(ctx context.Context) string { return s.mgr.GetString(ctx, keyIDToken) }

// destroy deletes the session row and clears the cookie.
func (s *Sessions) destroy(ctx context.Context) error {
	if err := s.mgr.Destroy(ctx); err != nil {
		return fmt.Errorf("destroy session: %w", err)
	}
	return nil
}

// revokeAll invalidates every session of the user, this one included.
func (s *Sessions) revokeAll(ctx context.Context, id *Identity) error {
	if _, err := storage.RevokeSessions(ctx, s.pool, id.Issuer, id.Subject); err != nil {
		return err
	}
	return s.destroy(ctx)
}

// deleteExpired removes expired session rows.
func (s *Sessions) deleteExpired(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return storage.DeleteExpiredSessions(ctx, s.pool)
}
