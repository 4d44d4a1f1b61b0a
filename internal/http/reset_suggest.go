package http

import (
	"context"
	"net/http"
	"strings"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// suggestShown is how many groups the request form suggests at once.
const suggestShown = 50

// resetSuggest answers the request form's group box as the user types: the stored groups
// of the cluster whose names contain what was typed, among those the user may request
// resets for and no other, as the options of the box's datalist.
func (s *Server) resetSuggest(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	cluster, group := strings.TrimSpace(q.Get("cluster")), strings.TrimSpace(q.Get("group"))
	if len(group) > maxFilterText {
		group = group[:maxFilterText]
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	groups, err := s.suggestGroups(ctx, r, cluster, group)
	if err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, views.GroupOptions(groups))
	return nil
}

// suggestGroups lists the groups of cluster ("" for every cluster) whose names contain
// typed, among those the request's user may request resets for.
func (s *Server) suggestGroups(ctx context.Context, r *http.Request, cluster, typed string) ([]string, error) {
	if s.deps.Store == nil {
		return nil, nil
	}
	sc := s.scopeOf(r, auth.PermRequestReset)
	if cluster != "" {
		sc = sc.Only(cluster)
	}
	if len(sc.Clusters) == 0 {
		return nil, nil
	}
	page, err := storage.ListGroups(ctx, s.deps.Store, storage.GroupQuery{Scope: sc, Search: typed, Sort: "group", Limit: suggestShown})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(page.Rows))
	for _, g := range page.Rows {
		if cluster == "" || g.Cluster == cluster {
			out = append(out, g.Group)
		}
	}
	return out, nil
}
