package http

import (
	"net/http"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/reset"
)

// who is the person making r, for the reset workflow: their identity and the request's
// origin for the audit trail, and the policy's answer for any permission and scope.
func (s *Server) who(r *http.Request) reset.Who {
	ctx := r.Context()
	p, _ := auth.PrincipalFrom(ctx)
	o := s.deps.Trail.Origin(ctx, p.Identity)
	a := s.deps.Auth
	return reset.Who{
		Actor: o.Actor, Session: a.SessionHash(ctx), SourceIP: o.SourceIP, UserAgent: o.UserAgent, RequestID: o.RequestID,
		May: func(perm auth.Permission, scope auth.Scope) bool {
			return p.SignedIn() && a.Decide(p, perm, scope).Allowed
		},
	}
}
