package views

import "context"

// Viewer is who the page header shows: a signed-in user with a sign-out button, or an
// anonymous visitor with a sign-in link when sign-in is configured.
type Viewer struct {
	Name      string
	Anonymous bool
	CanSignIn bool
	// Resets and Audit show the navigation entries of the reset workflow and of the audit
	// trail to those who may use them somewhere.
	Resets bool
	Audit  bool
}

type viewerKey struct{}

// WithViewer returns ctx carrying the viewer that the layout's header shows; the HTTP
// layer sets it once a request is authorized.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// viewerFrom returns the viewer of the page, false on public pages.
func viewerFrom(ctx context.Context) (Viewer, bool) {
	v, ok := ctx.Value(viewerKey{}).(Viewer)
	return v, ok
}

// NoAccess is the page of a user who signed in correctly but whom no grant of the policy
// matches.
type NoAccess struct {
	Name    string
	Subject string
	Issuer  string
	// Claims are the claims the policy looks at, with the values the provider sent.
	Claims []ClaimValues
}

// ClaimValues is one claim and its values.
type ClaimValues struct {
	Name   string
	Values []string
}
