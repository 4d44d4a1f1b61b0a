package http

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/apitoken"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/views"
)

// tokenRoutes are the pages that issue and revoke API tokens. They are used with a
// session only: a token cannot issue tokens. Everyone who may read the dashboard issues
// tokens for themselves; service tokens are for administrators. Who may revoke which token
// is decided by the token service (its owner, or an administrator).
func (s *Server) tokenRoutes() []route {
	return []route{
		{http.MethodGet, "/tokens", s.handle(s.tokens), auth.PermViewDashboard},
		{http.MethodPost, "/tokens", s.handle(s.tokenIssue), auth.PermViewDashboard},
		{http.MethodPost, "/tokens/service", s.handle(s.tokenIssueService), auth.PermAdmin},
		{http.MethodPost, "/tokens/{id}/revoke", s.handle(s.tokenRevoke), auth.PermViewDashboard},
	}
}

// tokenUser is the signed-in user of a token route; anonymous readers cannot hold tokens.
func (s *Server) tokenUser(r *http.Request) (auth.Identity, error) {
	if s.deps.Tokens == nil || s.deps.Trail == nil {
		return auth.Identity{}, errcode.Errorf(errcode.Unavailable, "API tokens are not enabled on this server.")
	}
	p, _ := auth.PrincipalFrom(r.Context())
	if !p.SignedIn() {
		return auth.Identity{}, s.refuse(r, auth.PermViewDashboard, auth.Scope{}, "API tokens need a signed-in user")
	}
	return *p.Identity, nil
}

// tokenAdmin reports whether the user administers Lagboard everywhere, which lets them see
// and revoke every token and issue service tokens.
func (s *Server) tokenAdmin(r *http.Request) bool {
	return s.deps.Auth.Visibility(r.Context(), auth.PermAdmin).Everywhere()
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request) error {
	m, err := s.tokensModel(r)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, views.TokensView(s.chrome(views.SectionTokens), m))
	return nil
}

// tokensModel is the page with empty forms.
func (s *Server) tokensModel(r *http.Request) (views.TokensPage, error) {
	id, err := s.tokenUser(r)
	if err != nil {
		return views.TokensPage{}, err
	}
	admin := s.tokenAdmin(r)
	var owner *auth.Identity
	if !admin {
		owner = &id
	}
	ts, err := s.deps.Tokens.List(r.Context(), owner)
	if err != nil {
		return views.TokensPage{}, err
	}
	days := strconv.Itoa(apitoken.DefaultDays)
	m := views.TokensPage{Admin: admin, CanPreview: s.deps.Auth.Allowed(r.Context(), auth.PermRequestReset, auth.Scope{}),
		MaxDays: apitoken.MaxDays, Form: views.TokenForm{Days: days}, ServiceForm: views.TokenForm{Days: days}}
	now := time.Now()
	for _, t := range ts {
		row := views.TokenRow{ID: t.ID, Name: t.Name, Kind: t.Kind, ActsAs: t.Identity.Name, IssuedBy: t.OwnerSubject,
			CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, LastUsedFrom: t.LastUsedFrom,
			State: t.State(now)}
		row.Revocable = row.State == "active"
		for _, p := range t.Permissions {
			row.Permissions = append(row.Permissions, string(p))
		}
		if t.Kind == apitoken.KindService {
			row.Scope = string(t.Role) + " on clusters " + strings.Join(t.Clusters, " ") + ", groups " + strings.Join(t.Groups, " ")
		} else if t.OwnerSubject == id.Subject && t.OwnerIssuer == id.Issuer {
			row.IssuedBy = "you"
		}
		m.Tokens = append(m.Tokens, row)
	}
	return m, nil
}

// tokenRequest reads a posted token form.
func tokenRequest(r *http.Request) (apitoken.Request, views.TokenForm, error) {
	if err := r.ParseForm(); err != nil {
		return apitoken.Request{}, views.TokenForm{}, errcode.Errorf(errcode.Invalid, "The form could not be read.")
	}
	f := views.TokenForm{Name: r.PostForm.Get("name"), Days: strings.TrimSpace(r.PostForm.Get("days")),
		Clusters: r.PostForm.Get("clusters"), Groups: r.PostForm.Get("groups"), Preview: r.PostForm.Get("preview") != ""}
	req := apitoken.Request{Name: f.Name, Preview: f.Preview, Clusters: patterns(f.Clusters), Groups: patterns(f.Groups)}
	days, err := strconv.Atoi(f.Days)
	if err != nil {
		return req, f, errcode.Errorf(errcode.Invalid, "Say for how many days the token lasts, from 1 to %d.", apitoken.MaxDays)
	}
	req.Days = days
	return req, f, nil
}

// patterns splits a list of patterns typed with spaces or commas.
func patterns(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })
}

// tokenIssue issues a token acting as the user and shows it once.
func (s *Server) tokenIssue(w http.ResponseWriter, r *http.Request) error {
	return s.issueToken(w, r, false)
}

// tokenIssueService issues a service token and shows it once.
func (s *Server) tokenIssueService(w http.ResponseWriter, r *http.Request) error {
	return s.issueToken(w, r, true)
}

func (s *Server) issueToken(w http.ResponseWriter, r *http.Request, service bool) error {
	id, err := s.tokenUser(r)
	if err != nil {
		return err
	}
	req, f, err := tokenRequest(r)
	if err == nil && !service && req.Preview && !s.deps.Auth.Allowed(r.Context(), auth.PermRequestReset, auth.Scope{}) {
		err = errcode.Errorf(errcode.Invalid, "You may not request resets, so a token of yours cannot preview them.")
	}
	var issued apitoken.Issued
	if err == nil {
		if service {
			issued, err = s.deps.Tokens.IssueService(r.Context(), id, s.auditWho(r), req)
		} else {
			issued, err = s.deps.Tokens.IssueUser(r.Context(), id, s.auditWho(r), req)
		}
	}
	if code := errcode.Code(err); err != nil && code != errcode.Invalid && code != errcode.Conflict {
		return err
	}
	m, merr := s.tokensModel(r)
	if merr != nil {
		return merr
	}
	status := http.StatusOK
	if err != nil {
		// What was sent stays in the form, so nothing typed is lost.
		m.Error, status = errcode.Message(err), statusOf(errcode.Code(err))
		if service {
			m.ServiceForm = f
		} else {
			m.Form = f
		}
	} else {
		m.Issued = &views.IssuedToken{Name: issued.Token.Name, Kind: issued.Token.Kind, Secret: issued.Secret, ExpiresAt: issued.Token.ExpiresAt}
	}
	s.render(w, r, status, views.TokensView(s.chrome(views.SectionTokens), m))
	return nil
}

// tokenRevoke revokes a token of the user's, or any token for an administrator.
func (s *Server) tokenRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := s.tokenUser(r)
	if err != nil {
		return err
	}
	if _, err := s.deps.Tokens.Revoke(r.Context(), id, s.tokenAdmin(r), s.auditWho(r), chi.URLParam(r, "id")); err != nil {
		return err
	}
	seeOther(w, r, "/tokens")
	return nil
}
