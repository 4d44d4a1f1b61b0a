package http

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/freeze"
	"github.com/lagboard/lagboard/internal/views"
)

// freezeList lists the windows, with what each says now; managers get the links to change
// them.
func (s *Server) freezeList(w http.ResponseWriter, r *http.Request) error {
	if err := s.freezesOn(); err != nil {
		return err
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	ws, err := s.deps.Freezes.List(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	m := views.FreezeListPage{CanManage: s.deps.Auth.Visibility(r.Context(), auth.PermManageFreezes).Everywhere(),
		Deleted: r.URL.Query().Get("deleted")}
	for _, fw := range ws {
		m.Rows = append(m.Rows, freezeRow(fw, now))
	}
	s.render(w, r, http.StatusOK, views.FreezeListView(s.chrome(views.SectionFreezes), m))
	return nil
}

// freezeRow shapes a window for the list: in force until when, next from when, or over.
func freezeRow(w freeze.Window, now time.Time) views.FreezeRow {
	row := views.FreezeRow{ID: w.ID, Name: w.Name, Reason: w.Reason, Clusters: strings.Join(w.Clusters, " "),
		Groups: strings.Join(w.Groups, " "), When: w.Describe(), Zone: w.Zone, Status: "over",
		UpdatedBy: w.UpdatedByName, UpdatedAt: w.UpdatedAt}
	if row.UpdatedBy == "" {
		row.UpdatedBy = w.UpdatedBy
	}
	if _, end, ok := w.At(now); ok {
		row.Status, row.StatusAt = "in-force", &end
	} else if start, _, ok := w.Next(now); ok {
		row.Status, row.StatusAt = "upcoming", &start
	}
	return row
}

// freezeDelete deletes a window and goes back to the list, which says so.
func (s *Server) freezeDelete(w http.ResponseWriter, r *http.Request) error {
	if err := s.freezesOn(); err != nil {
		return err
	}
	ctx := r.Context()
	old, err := s.deps.Freezes.Get(ctx, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	if err := s.deps.Freezes.Delete(ctx, s.freezeWho(r), old.ID); err != nil {
		return err
	}
	seeOther(w, r, "/freezes?deleted="+url.QueryEscape(old.Name))
	return nil
}
