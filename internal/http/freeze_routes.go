package http

import (
	"net/http"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/freeze"
)

// freezeRoutes are the routes of the change-freeze windows. Everyone who reads the
// dashboard may see them (they say when resets will not run); changing them needs
// freeze:manage on every cluster and group, since a window's patterns reach any group,
// present or future.
func (s *Server) freezeRoutes() []route {
	manage := auth.PermManageFreezes
	return []route{
		{http.MethodGet, "/freezes", s.handle(s.freezeList), auth.PermViewDashboard},
		{http.MethodGet, "/freezes/new", s.handle(s.everywhere(manage, s.freezeNew)), manage},
		{http.MethodPost, "/freezes", s.handle(s.everywhere(manage, s.freezeSave)), manage},
		{http.MethodGet, "/freezes/{id}", s.handle(s.everywhere(manage, s.freezeEdit)), manage},
		{http.MethodPost, "/freezes/{id}", s.handle(s.everywhere(manage, s.freezeSave)), manage},
		{http.MethodPost, "/freezes/{id}/delete", s.handle(s.everywhere(manage, s.freezeDelete)), manage},
	}
}

// everywhere lets h run only for users whose grant of perm covers every cluster and group,
// as the audit trail's routes do.
func (s *Server) everywhere(perm auth.Permission, h handlerFunc) handlerFunc {
	return s.wholeTrail(perm, h)
}

// errFreezesOff answers the freeze routes when the server runs without them.
var errFreezesOff = errcode.Errorf(errcode.Unavailable, "Change-freeze windows are not kept on this server.")

func (s *Server) freezesOn() error {
	if s.deps.Freezes == nil || s.deps.Trail == nil {
		return errFreezesOff
	}
	return nil
}

// freezeWho is the person changing windows, for the audit trail.
func (s *Server) freezeWho(r *http.Request) freeze.Who {
	w := s.who(r)
	return freeze.Who{Actor: w.Actor, Session: w.Session, SourceIP: w.SourceIP, UserAgent: w.UserAgent, RequestID: w.RequestID, May: w.May}
}
