package http

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// groupsPerPage is the size of a page of the groups table.
const groupsPerPage = 100

// groups lists every group of the clusters the user may see, filtered, sorted and paged
// as the query string says, so a URL can be shared. htmx refreshes get the table only.
func (s *Server) groups(w http.ResponseWriter, r *http.Request) error {
	q, err := parseGroupsQuery(r.URL.Query())
	if err != nil {
		return err
	}
	sc := s.scope(r)
	key := "groups|" + sc.Key() + "|" + q.URL()
	// The table is the same for every viewer of these clusters: it is rendered once per
	// moment and its bytes shared; only the frame around it is rendered per request.
	p, err := get(&s.pages, key, func() (renderedGroups, error) {
		m, err := s.groupsModel(r, q, sc)
		if err != nil {
			return renderedGroups{}, err
		}
		var b strings.Builder
		err = views.GroupsTable(m).Render(r.Context(), &b)
		return renderedGroups{m: m, table: b.String()}, err
	})
	if err != nil {
		return err
	}
	if isHTMX(r) {
		// The filter form swaps the table in as the user types; the address bar follows,
		// so the view can be shared. (The table's own refresh replaces it with itself.)
		w.Header().Set("HX-Replace-Url", q.URL())
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, err := io.WriteString(w, p.table)
		return err
	}
	s.render(w, r, http.StatusOK, views.GroupsPageView(s.chrome(views.SectionGroups), p.m, templ.Raw(p.table)))
	return nil
}

// renderedGroups is a page of groups and its table, rendered (a string, so that every
// request writes the same bytes without copying them).
type renderedGroups struct {
	m     views.GroupsPage
	table string
}

// groupsModel reads one page of groups from storage.
func (s *Server) groupsModel(r *http.Request, q views.GroupsQuery, sc storage.Scope) (views.GroupsPage, error) {
	ctx, cancel := loadContext(r)
	defer cancel()
	now := time.Now()
	shown := sc
	if q.Cluster != "" {
		shown = sc.Only(q.Cluster) // an unknown or hidden cluster: nothing, said the same way
	}
	live, _, err := s.live(ctx, shown.Names(), now)
	if err != nil {
		return views.GroupsPage{}, err
	}
	page := max(q.Page, 1)
	res, err := storage.ListGroups(ctx, s.deps.Store, storage.GroupQuery{
		Scope: shown, Health: q.Health, Topic: q.Topic, Model: q.Model, Search: q.Search,
		Sort: q.Sort, Desc: q.Desc, Limit: groupsPerPage, Offset: (page - 1) * groupsPerPage,
	})
	if err != nil {
		return views.GroupsPage{}, err
	}
	m := views.GroupsPage{Live: live, Query: q, Clusters: sc.Names(), Healths: storage.HealthSeverity,
		Total: res.Total, Stored: res.Total}
	if res.Total == 0 && q.Filtered() {
		all, err := storage.ListGroups(ctx, s.deps.Store, storage.GroupQuery{Scope: sc, Limit: 1})
		if err != nil {
			return views.GroupsPage{}, err
		}
		m.Stored = all.Total
	}
	m.Pages = (res.Total + groupsPerPage - 1) / groupsPerPage
	if len(res.Rows) > 0 {
		m.First = (page-1)*groupsPerPage + 1
		m.Last = m.First + len(res.Rows) - 1
	}
	m.Rows, err = s.groupRows(ctx, res.Rows, now)
	return m, err
}

// groupRows builds the table's lines, with each group's lag over the last hour.
func (s *Server) groupRows(ctx context.Context, gs []storage.GroupRow, now time.Time) ([]views.GroupRow, error) {
	keys := make([]storage.GroupKey, len(gs))
	for i, g := range gs {
		keys[i] = storage.GroupKey{ClusterID: g.ClusterID, Group: g.Group}
	}
	end := now.Truncate(time.Minute).Add(time.Minute)
	hist, err := storage.LagHistory(ctx, s.deps.Store, keys, end.Add(-time.Hour), end, time.Minute, now)
	if err != nil {
		return nil, err
	}
	out := make([]views.GroupRow, len(gs))
	for i, g := range gs {
		var trend []*int64
		for _, p := range hist[keys[i]] {
			trend = append(trend, p.Lag)
		}
		out[i] = views.GroupRow{
			Cluster: g.Cluster, Group: g.Group, Href: views.GroupHref(g.Cluster, g.Group),
			Health: healthBadge(groupKey(g.Cluster, g.Group), g.GroupState), Lag: g.Lag, LagSeconds: g.LagSeconds,
			LagTimeSource: g.LagTimeSource, Drain: drainView(g.Drain), Trend: views.NewSparkline(trend), TPS: g.ConsumeTPS, Clients: g.Clients,
			Model: g.MessageModel, Type: g.ConsumeType, StaleSince: g.StaleSince,
			Kind: g.Kind, Orderly: g.Orderly != nil && *g.Orderly,
		}
	}
	return out, nil
}

// parseGroupsQuery reads the groups page's query string; a value that cannot be is an
// error that says which.
func parseGroupsQuery(v url.Values) (views.GroupsQuery, error) {
	q := views.GroupsQuery{
		Search: v.Get("q"), Cluster: v.Get("cluster"), Health: v.Get("health"), Topic: v.Get("topic"),
		Model: v.Get("model"), Sort: v.Get("sort"),
	}
	if !allowed(q.Health, storage.HealthSeverity...) {
		return q, errcode.Errorf(errcode.Invalid, "There is no health status %q.", q.Health)
	}
	if !allowed(q.Model, "CLUSTERING", "BROADCASTING") {
		return q, errcode.Errorf(errcode.Invalid, "There is no message model %q.", q.Model)
	}
	if _, ok := storage.GroupSorts[q.Sort]; q.Sort != "" && !ok {
		return q, errcode.Errorf(errcode.Invalid, "The groups cannot be sorted by %q.", q.Sort)
	}
	switch v.Get("dir") {
	case "", "asc":
	case "desc":
		q.Desc = true
	default:
		return q, errcode.Errorf(errcode.Invalid, "The sort direction must be asc or desc.")
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 1_000_000 {
			return q, errcode.Errorf(errcode.Invalid, "The page must be a number from 1.")
		}
		q.Page = n
	}
	return q, nil
}
