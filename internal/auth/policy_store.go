package auth

import (
	"crypto/sha256"
	"fmt"
	"os"
	"sync/atomic"
)

// PolicyStore holds the policy in force. Reload swaps in a new one read from the same file
// and keeps the old one when the file is invalid; readers never see a half-loaded policy.
type PolicyStore struct {
	path          string
	defaultClaim  string
	anonymousRead bool
	current       atomic.Pointer[Policy]
}

// LoadPolicy reads and validates the policy file at path. An empty path is allowed only for
// an anonymous-only dashboard: nobody can sign in, anonymous visitors get DefaultAnonymous.
func LoadPolicy(path, defaultClaim string, anonymousRead bool) (*PolicyStore, error) {
	s := &PolicyStore{path: path, defaultClaim: defaultClaim, anonymousRead: anonymousRead}
	p, err := s.read()
	if err != nil {
		return nil, err
	}
	s.current.Store(p)
	return s, nil
}

// Current returns the policy in force.
func (s *PolicyStore) Current() *Policy { return s.current.Load() }

// Path returns the policy file's path, "" when there is none.
func (s *PolicyStore) Path() string { return s.path }

// Reload reads the file again. On error the previous policy stays in force and the error,
// with its line, is returned for the caller to log.
func (s *PolicyStore) Reload() error {
	p, err := s.read()
	if err != nil {
		return err
	}
	s.current.Store(p)
	return nil
}

func (s *PolicyStore) read() (*Policy, error) {
	var p *Policy
	if s.path == "" {
		p = &Policy{Source: "(no policy file)", Claim: s.defaultClaim}
	} else {
		data, err := os.ReadFile(s.path)
		if err != nil {
			return nil, fmt.Errorf("read policy: %w", err)
		}
		if p, err = ParsePolicy(data, s.path, s.defaultClaim); err != nil {
			return nil, err
		}
		p.Digest = fmt.Sprintf("%x", sha256.Sum256(data))
	}
	if s.anonymousRead && len(p.Anonymous) == 0 {
		p.Anonymous = DefaultAnonymous()
	}
	return p, nil
}
