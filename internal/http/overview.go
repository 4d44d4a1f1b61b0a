package http

import (
	"net/http"

	"github.com/lagboard/lagboard/internal/views"
)

// overview shows every configured cluster and its brokers; htmx refreshes get the list only.
func (s *Server) overview(w http.ResponseWriter, r *http.Request) error {
	m := s.deps.Clusters.Overview(r.Context())
	if isHTMX(r) {
		s.render(w, r, http.StatusOK, views.ClusterList(m))
		return nil
	}
	s.render(w, r, http.StatusOK, views.OverviewPage(s.chrome(views.SectionOverview), m))
	return nil
}
