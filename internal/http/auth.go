package http

import (
	"errors"
	"net/http"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/views"
)

// login starts a sign-in: the pending state, nonce and PKCE verifier go into the
// server-side session, the browser goes to the provider. return_to, a local path, is where
// the callback will send the browser once signed in.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	next, err := s.deps.Auth.BeginSignIn(r.Context(), r.URL.Query().Get("return_to"))
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// callback finishes a sign-in. A refused sign-in is logged with its cause and shown without
// it; a valid one that no grant matches gets the no-access page and no session.
func (s *Server) callback(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	id, next, err := s.deps.Auth.FinishSignIn(ctx, r.URL.Query())
	var none *auth.NoAccessError
	switch {
	case errors.As(err, &none):
		s.deps.Logger.WarnContext(ctx, "sign-in refused: no grant matches", "subject", none.Identity.Subject,
			"name", none.Identity.Name, "issuer", none.Identity.Issuer, "claims", none.Seen)
		s.render(w, r, http.StatusForbidden, views.AuthNoAccessPage(s.chrome(""), noAccessModel(none)))
		return nil
	case errcode.Code(err) == errcode.Unauthorized:
		s.deps.Logger.WarnContext(ctx, "sign-in refused", "remote_addr", r.RemoteAddr, "err", err)
		return err
	case err != nil:
		return err
	}
	s.deps.Logger.InfoContext(ctx, "signed in", "subject", id.Subject, "name", id.Name, "issuer", id.Issuer)
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func noAccessModel(e *auth.NoAccessError) views.NoAccess {
	m := views.NoAccess{Name: e.Identity.Name, Subject: e.Identity.Subject, Issuer: e.Identity.Issuer}
	for _, c := range e.Seen {
		m.Claims = append(m.Claims, views.ClaimValues{Name: c.Name, Values: c.Values})
	}
	return m
}

// logout ends the session and, when the provider offers it, the provider's session too.
// It is a POST, which cross-origin protection guards, so no other site can sign anyone out.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	next, err := s.deps.Auth.SignOut(r.Context())
	if err != nil {
		return err
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// logoutEverywhere ends every session of the signed-in user, in every browser.
func (s *Server) logoutEverywhere(w http.ResponseWriter, r *http.Request) error {
	id := auth.UserFrom(r.Context())
	if id == nil {
		return errcode.Errorf(errcode.Unauthorized, "You are not signed in.")
	}
	next, err := s.deps.Auth.SignOutEverywhere(r.Context(), id)
	if err != nil {
		return err
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// signedOut is where sign-out lands when the provider has no end_session_endpoint.
func (s *Server) signedOut(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, http.StatusOK, views.AuthSignedOutPage(s.chrome("")))
	return nil
}
