package devidp

import (
	"context"
	"crypto/rand"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes. A pending sign-in has authRequestTTL to complete the form; the code it yields is
// good for codeTTL and for one exchange.
const (
	authRequestTTL  = 10 * time.Minute
	codeTTL         = time.Minute
	accessTokenTTL  = time.Hour
	idTokenLifetime = time.Hour
)

// errNotFound is what the op package sees for a missing or expired request, code or token.
var errNotFound = errors.New("not found or expired")

// store is the provider's in-memory state and implements op.Storage: authorization requests
// and codes here, access tokens in tokens.go, clients and keys in client.go, claims in
// userinfo.go. Users, clients and the key never change after New; everything else is guarded
// by mu and expires lazily, so no goroutine is needed to clean up.
type store struct {
	now             func() time.Time
	users           map[string]User
	clients         map[string]*client
	groupsInIDToken bool
	key             *signingKey

	mu        sync.Mutex
	requests  map[string]*authRequest
	codes     map[string]string // code -> request id
	usedCodes map[string]usedCode
	tokens    map[string]*accessToken
}

var _ op.Storage = (*store)(nil)

// authRequest is one authorization request, from /authorize to the code exchange. Values
// handed to the op package are copies, so they never race with the store.
type authRequest struct {
	id           string
	clientID     string
	redirectURI  string
	state        string
	nonce        string
	scopes       []string
	responseType oidc.ResponseType
	responseMode oidc.ResponseMode
	challenge    oidc.CodeChallenge
	expires      time.Time

	subject  string // set by a successful sign-in
	authTime time.Time
	code     string // set when the code is issued
}

// The getters implement op.AuthRequest.
func (a authRequest) GetID() string                         { return a.id }
func (a authRequest) GetACR() string                        { return "" }
func (a authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a authRequest) GetClientID() string                   { return a.clientID }
func (a authRequest) GetCodeChallenge() *oidc.CodeChallenge { return &a.challenge }
func (a authRequest) GetNonce() string                      { return a.nonce }
func (a authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a authRequest) GetScopes() []string                   { return a.scopes }
func (a authRequest) GetState() string                      { return a.state }
func (a authRequest) GetSubject() string                    { return a.subject }
func (a authRequest) Done() bool                            { return a.subject != "" }

// usedCode remembers an exchanged code so that a second use can revoke what the first got.
type usedCode struct {
	requestID string
	expires   time.Time
}

// purge drops everything expired. Callers hold mu.
func (s *store) purge(now time.Time) {
	for id, r := range s.requests {
		if now.After(r.expires) {
			delete(s.requests, id)
		}
	}
	for code, id := range s.codes {
		if _, ok := s.requests[id]; !ok {
			delete(s.codes, code)
		}
	}
	for code, u := range s.usedCodes {
		if now.After(u.expires) {
			delete(s.usedCodes, code)
		}
	}
	for id, t := range s.tokens {
		if now.After(t.expires) {
			delete(s.tokens, id)
		}
	}
}

// CreateAuthRequest stores a validated /authorize request. The op package has already checked
// the client, redirect URI, scopes and response type; this adds what the op package leaves
// optional: PKCE with S256 is mandatory, and prompt=none fails because there is no session.
func (s *store) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if req.CodeChallenge == "" {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge is required: this provider requires PKCE with S256")
	}
	if req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return nil, oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		return nil, oidc.ErrLoginRequired().WithDescription("this provider keeps no sign-in session")
	}
	now := s.now()
	r := &authRequest{
		id:           rand.Text(),
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       slices.Clone(req.Scopes),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		challenge:    oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod},
		expires:      now.Add(authRequestTTL),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.purge(now)
	s.requests[r.id] = r
	return *r, nil
}

// AuthRequestByID returns a live request; the op package calls it after the sign-in.
func (s *store) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok || s.now().After(r.expires) {
		return nil, errNotFound
	}
	return *r, nil
}

// pendingRequest returns a live request that is still waiting for its sign-in.
func (s *store) pendingRequest(id string) (authRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok || s.now().After(r.expires) || r.Done() {
		return authRequest{}, errNotFound
	}
	return *r, nil
}

// completeLogin records who signed in for a pending request.
func (s *store) completeLogin(id, username string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r, ok := s.requests[id]
	if !ok || now.After(r.expires) || r.Done() {
		return errNotFound
	}
	r.subject, r.authTime = username, now
	return nil
}

// SaveAuthCode attaches a code to a signed-in request and shortens its life to codeTTL.
func (s *store) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	r, ok := s.requests[id]
	if !ok || now.After(r.expires) || !r.Done() {
		return errNotFound
	}
	r.expires = now.Add(codeTTL)
	r.code = code
	s.codes[code] = id
	return nil
}

// AuthRequestByCode finds the request behind a code. The code is consumed only when tokens
// are issued (CreateAccessToken): a failed exchange, say with the wrong client authentication,
// leaves it usable, which x/oauth2 relies on when it retries with the secret in the body.
// Presenting a consumed code revokes the access tokens it obtained (RFC 6749 4.1.2).
func (s *store) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if used, ok := s.usedCodes[code]; ok {
		for id, t := range s.tokens {
			if t.requestID == used.requestID {
				delete(s.tokens, id)
			}
		}
		return nil, errors.New("authorization code already used")
	}
	r, ok := s.requests[s.codes[code]]
	if !ok || s.now().After(r.expires) {
		return nil, errNotFound
	}
	return *r, nil
}

// consumeCode marks the code of request id as used, once. Callers hold mu.
func (s *store) consumeCode(id string, now time.Time) error {
	r, ok := s.requests[id]
	if !ok || r.code == "" || s.codes[r.code] != id || now.After(r.expires) {
		return oidc.ErrInvalidGrant().WithDescription("authorization code already used or expired")
	}
	delete(s.codes, r.code)
	s.usedCodes[r.code] = usedCode{requestID: id, expires: now.Add(authRequestTTL)}
	return nil
}

// DeleteAuthRequest forgets a request once its tokens are issued.
func (s *store) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	return nil
}

// Health reports the store as always healthy: it is memory.
func (s *store) Health(context.Context) error { return nil }
