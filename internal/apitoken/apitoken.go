// Package apitoken issues, checks and revokes the bearer tokens of Lagboard's JSON API.
//
// A user token acts as the user who issued it, with the claims they had at the time; the
// policy in force decides, as for their session, and "sign out everywhere" ends it too. A
// service token belongs to no person: an administrator gives it a role and the cluster
// and group patterns it reaches. Either kind may use only the permissions it carries, all
// of them read-only (auth.TokenPermissions), and expires.
//
// Issuing and revoking are audit entries written in the same transaction as the change;
// the secret is shown once and only its SHA-256 is kept.
package apitoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
)

// Kinds of token.
const (
	KindUser    = "user"
	KindService = "service"
)

// Limits on what may be issued.
const (
	MaxDays        = 365
	DefaultDays    = 30
	MaxName        = 80
	MaxActive      = 20 // unexpired, unrevoked tokens per owner
	maxPatterns    = 20
	usedEvery      = time.Minute // last use is written at most this often
	serviceIssuer  = "lagboard"
	serviceSubject = "token:"
)

// Audit actions.
const (
	ActionIssued  audit.Action = "token.issued"
	ActionRevoked audit.Action = "token.revoked"
)

// Token is an issued token as listed; never its secret.
type Token struct {
	ID           string
	Name         string
	Kind         string
	Identity     auth.Identity
	OwnerIssuer  string
	OwnerSubject string
	Generation   int64
	Permissions  []auth.Permission
	// Role, Clusters and Groups are a service token's grant.
	Role         auth.Role
	Clusters     []string
	Groups       []string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	LastUsedAt   *time.Time
	LastUsedFrom string
	RevokedAt    *time.Time
	RevokedBy    string
}

// State says whether the token works: "active", "expired" or "revoked".
func (t Token) State(now time.Time) string {
	switch {
	case t.RevokedAt != nil:
		return "revoked"
	case !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

// Grant is what the token lets its bearer do.
func (t Token) Grant() *auth.TokenGrant {
	g := &auth.TokenGrant{ID: t.ID, Name: t.Name, Permissions: slices.Clone(t.Permissions)}
	if t.Kind == KindService {
		g.Service = &auth.Rule{Role: t.Role, Clusters: t.Clusters, Groups: t.Groups}
	}
	return g
}

// Request is what someone asks to be issued.
type Request struct {
	Name string
	// Days until the token expires, 1 to MaxDays.
	Days int
	// Preview lets the token preview resets (reset:request, for dry runs) besides reading.
	Preview bool
	// Clusters and Groups are the patterns a service token reaches; ignored for user tokens.
	Clusters []string
	Groups   []string
}

// Service keeps the tokens in Postgres.
type Service struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

// New returns a Service on pool.
func New(pool *pgxpool.Pool) *Service { return &Service{pool: pool, now: time.Now} }

// Issued is a new token and its secret, which is never shown again.
type Issued struct {
	Token  Token
	Secret string
}

// IssueUser issues a token that acts as owner. who is the audit entry's actor and origin.
func (s *Service) IssueUser(ctx context.Context, owner auth.Identity, who audit.Entry, req Request) (Issued, error) {
	t, err := s.check(req, KindUser)
	if err != nil {
		return Issued{}, err
	}
	t.Identity, t.OwnerIssuer, t.OwnerSubject = owner, owner.Issuer, owner.Subject
	if t.Generation, err = storage.SessionGeneration(ctx, s.pool, owner.Issuer, owner.Subject); err != nil {
		return Issued{}, err
	}
	return s.issue(ctx, t, who)
}

// IssueService issues a service token; admin is the administrator who issues it.
func (s *Service) IssueService(ctx context.Context, admin auth.Identity, who audit.Entry, req Request) (Issued, error) {
	t, err := s.check(req, KindService)
	if err != nil {
		return Issued{}, err
	}
	t.OwnerIssuer, t.OwnerSubject = admin.Issuer, admin.Subject
	t.Role, t.Clusters, t.Groups = auth.RoleViewer, req.Clusters, req.Groups
	if req.Preview {
		t.Role = auth.RoleOperator
	}
	return s.issue(ctx, t, who)
}

// check validates a request into the token it would issue.
func (s *Service) check(req Request, kind string) (Token, error) {
	invalid := func(format string, args ...any) (Token, error) {
		return Token{}, errcode.Errorf(errcode.Invalid, format, args...)
	}
	name := strings.TrimSpace(req.Name)
	switch {
	case name == "":
		return invalid("Give the token a name that says what uses it, such as \"on-call bot\".")
	case !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return invalid("The name may not contain control characters.")
	case utf8.RuneCountInString(name) > MaxName:
		return invalid("The name is longer than %d characters.", MaxName)
	case req.Days < 1 || req.Days > MaxDays:
		return invalid("A token lasts from 1 to %d days.", MaxDays)
	}
	if kind == KindService {
		for _, f := range []struct {
			what     string
			patterns []string
		}{{"cluster", req.Clusters}, {"consumer group", req.Groups}} {
			if len(f.patterns) == 0 {
				return invalid("Give at least one %s pattern (* for all).", f.what)
			}
			if len(f.patterns) > maxPatterns {
				return invalid("Give at most %d %s patterns.", maxPatterns, f.what)
			}
			for _, p := range f.patterns {
				if err := auth.CheckPattern(p); err != nil || len(p) > 255 || !utf8.ValidString(p) {
					return invalid("The %s pattern %q is not one: use names and * only.", f.what, p)
				}
			}
		}
	}
	now := s.now()
	t := Token{ID: audit.NewID(), Name: name, Kind: kind, Permissions: []auth.Permission{auth.PermViewDashboard},
		CreatedAt: now, ExpiresAt: now.Add(time.Duration(req.Days) * 24 * time.Hour)}
	if req.Preview {
		t.Permissions = append(t.Permissions, auth.PermRequestReset)
	}
	if kind == KindService {
		t.Identity = auth.Identity{Issuer: serviceIssuer, Subject: serviceSubject + t.ID, Name: name + " (service token)"}
	}
	return t, nil
}

// issue stores t with a new secret and its audit entry, in one transaction.
func (s *Service) issue(ctx context.Context, t Token, who audit.Entry) (Issued, error) {
	secret, hash := auth.NewTokenSecret()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var active int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM api_token WHERE owner_issuer = $1 AND owner_subject = $2
			AND kind = $3 AND revoked_at IS NULL AND expires_at > now()`, t.OwnerIssuer, t.OwnerSubject, t.Kind).Scan(&active); err != nil {
			return fmt.Errorf("count tokens: %w", err)
		}
		if active >= MaxActive {
			return errcode.Errorf(errcode.Conflict, "You already have %d active %s tokens: revoke one you no longer use first.", active, t.Kind)
		}
		id, err := json.Marshal(t.Identity)
		if err != nil {
			return err
		}
		var role *string
		if t.Role != "" {
			role = new(string(t.Role))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO api_token (id, name, kind, secret_hash, identity, owner_issuer, owner_subject,
			generation, permissions, role, clusters, groups, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			t.ID, t.Name, t.Kind, hash, id, t.OwnerIssuer, t.OwnerSubject, t.Generation, perms(t.Permissions),
			role, t.Clusters, t.Groups, t.CreatedAt, t.ExpiresAt); err != nil {
			return fmt.Errorf("store token: %w", err)
		}
		e := who
		e.Action, e.Outcome, e.Reason = ActionIssued, audit.Success, "API token "+t.Name
		if e.Parameters, err = audit.JSON(summary(t)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, e)
	})
	if err != nil {
		return Issued{}, err
	}
	return Issued{Token: t, Secret: secret}, nil
}

// summary is what the audit trail records of a token: everything but the secret.
func summary(t Token) map[string]any {
	m := map[string]any{"token_id": t.ID, "name": t.Name, "kind": t.Kind, "permissions": perms(t.Permissions),
		"expires_at": t.ExpiresAt.UTC().Format(time.RFC3339), "acts_as": t.Identity.Subject}
	if t.Kind == KindService {
		m["role"], m["clusters"], m["groups"] = string(t.Role), t.Clusters, t.Groups
	}
	return m
}

func perms(ps []auth.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// ErrNotYours is the answer to revoking a token one may not: the same as a token that does
// not exist, so ids cannot be probed.
var ErrNotYours = errcode.Errorf(errcode.NotFound, "There is no such token among those you may revoke.")

// Revoke ends a token now. by may revoke their own tokens; admin lets them revoke any.
func (s *Service) Revoke(ctx context.Context, by auth.Identity, admin bool, who audit.Entry, id string) (Token, error) {
	var t Token
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		if t, err = one(ctx, tx, `WHERE id = $1 FOR UPDATE`, id); errors.Is(err, pgx.ErrNoRows) {
			return ErrNotYours
		} else if err != nil {
			return err
		}
		if !admin && (t.OwnerIssuer != by.Issuer || t.OwnerSubject != by.Subject) {
			return ErrNotYours
		}
		if t.RevokedAt != nil {
			return errcode.Errorf(errcode.Conflict, "The token %s was already revoked.", t.Name)
		}
		now := s.now()
		t.RevokedAt, t.RevokedBy = &now, by.Subject
		if _, err := tx.Exec(ctx, `UPDATE api_token SET revoked_at = $2, revoked_by = $3 WHERE id = $1`, id, now, by.Subject); err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		e := who
		e.Action, e.Outcome, e.Reason = ActionRevoked, audit.Success, "API token "+t.Name
		if e.Parameters, err = audit.JSON(summary(t)); err != nil {
			return err
		}
		return audit.Append(ctx, tx, e)
	})
	return t, err
}

// List returns the tokens of one owner, or every token when owner is nil, newest first.
func (s *Service) List(ctx context.Context, owner *auth.Identity) ([]Token, error) {
	where, args := `ORDER BY created_at DESC LIMIT 500`, []any{}
	if owner != nil {
		where = `WHERE owner_issuer = $1 AND owner_subject = $2 ORDER BY created_at DESC LIMIT 500`
		args = []any{owner.Issuer, owner.Subject}
	}
	rows, err := s.pool.Query(ctx, `SELECT `+columns+` FROM api_token `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return pgx.CollectRows(rows, scan)
}

// ErrBadToken answers every token that does not work, whatever the reason.
var ErrBadToken = errcode.Errorf(errcode.Unauthorized, "The API token is unknown, expired or revoked.")

// Authenticate returns the principal a bearer token stands for, and records its use. from
// is where the request came from. An unknown, expired or revoked token, or a user token
// whose user signed out everywhere since, is ErrBadToken.
func (s *Service) Authenticate(ctx context.Context, secret, from string) (auth.Principal, error) {
	t, err := one(ctx, s.pool, `WHERE secret_hash = $1`, auth.TokenHash(secret))
	if errors.Is(err, pgx.ErrNoRows) {
		return auth.Principal{}, ErrBadToken
	}
	if err != nil {
		return auth.Principal{}, err
	}
	now := s.now()
	if t.State(now) != "active" {
		return auth.Principal{}, ErrBadToken
	}
	if t.Kind == KindUser {
		gen, err := storage.SessionGeneration(ctx, s.pool, t.OwnerIssuer, t.OwnerSubject)
		if err != nil {
			return auth.Principal{}, err
		}
		if gen > t.Generation {
			return auth.Principal{}, ErrBadToken
		}
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= usedEvery {
		if _, err := s.pool.Exec(ctx, `UPDATE api_token SET last_used_at = $2, last_used_from = $3 WHERE id = $1`,
			t.ID, now, from); err != nil {
			return auth.Principal{}, fmt.Errorf("record token use: %w", err)
		}
	}
	id := t.Identity
	return auth.Principal{Identity: &id, Token: t.Grant()}, nil
}

const columns = `id, name, kind, identity, owner_issuer, owner_subject, generation, permissions, coalesce(role, ''),
	coalesce(clusters, '{}'), coalesce(groups, '{}'), created_at, expires_at, last_used_at, coalesce(last_used_from, ''),
	revoked_at, coalesce(revoked_by, '')`

func one(ctx context.Context, db storage.DBTX, where string, args ...any) (Token, error) {
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM api_token `+where, args...)
	if err != nil {
		return Token{}, fmt.Errorf("read token: %w", err)
	}
	return pgx.CollectExactlyOneRow(rows, scan)
}

func scan(row pgx.CollectableRow) (Token, error) {
	var t Token
	var id []byte
	var ps []string
	var role string
	err := row.Scan(&t.ID, &t.Name, &t.Kind, &id, &t.OwnerIssuer, &t.OwnerSubject, &t.Generation, &ps, &role,
		&t.Clusters, &t.Groups, &t.CreatedAt, &t.ExpiresAt, &t.LastUsedAt, &t.LastUsedFrom, &t.RevokedAt, &t.RevokedBy)
	if err != nil {
		return t, fmt.Errorf("read token: %w", err)
	}
	if err := json.Unmarshal(id, &t.Identity); err != nil {
		return t, fmt.Errorf("read token %s identity: %w", t.ID, err)
	}
	t.Role = auth.Role(role)
	for _, p := range ps {
		t.Permissions = append(t.Permissions, auth.Permission(p))
	}
	return t, nil
}
