package views

import "time"

// SectionTokens marks the API tokens page, reached from the user menu.
const SectionTokens = "tokens"

// TokensPage lists API tokens and issues new ones.
type TokensPage struct {
	Tokens []TokenRow
	// Issued is the token just issued, whose secret is shown this once.
	Issued *IssuedToken
	// Error says why the last form was refused; Form and ServiceForm hold what was sent.
	Error       string
	Form        TokenForm
	ServiceForm TokenForm
	// Admin may issue service tokens and sees everyone's tokens.
	Admin bool
	// CanPreview is true when the viewer may request resets, so their tokens may preview.
	CanPreview bool
	MaxDays    int
}

// TokenForm is a token request as typed.
type TokenForm struct {
	Name, Days, Clusters, Groups string
	Preview                      bool
}

// IssuedToken is a token just issued.
type IssuedToken struct {
	Name, Kind, Secret string
	ExpiresAt          time.Time
}

// TokenRow is one token of the list.
type TokenRow struct {
	ID, Name, Kind string
	// ActsAs is the user a user token acts as, or the service token's own name.
	ActsAs      string
	IssuedBy    string
	Permissions []string
	// Scope is a service token's role and patterns, "" for a user token (the user's own).
	Scope        string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	LastUsedAt   *time.Time
	LastUsedFrom string
	State        string
	Revocable    bool
}
