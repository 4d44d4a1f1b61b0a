package http

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// worstShown is how many groups each worst list of the overview shows; resetsShown how
// many recent resets it lists.
const (
	worstShown  = 10
	resetsShown = 10
)

// overview shows, from stored data, each visible cluster's brokers and groups by health,
// the groups furthest behind and recent resets; htmx refreshes get the fragment only.
func (s *Server) overview(w http.ResponseWriter, r *http.Request) error {
	sc := s.scope(r)
	m, err := get(&s.pages, "overview|"+sc.Key(), func() (views.Overview, error) {
		return s.overviewModel(r, sc)
	})
	if err != nil {
		return err
	}
	if isHTMX(r) {
		s.render(w, r, http.StatusOK, views.OverviewLive(m))
		return nil
	}
	s.render(w, r, http.StatusOK, views.OverviewPage(s.chrome(views.SectionOverview), m))
	return nil
}

// overviewModel reads the overview of what the scope shows from storage.
func (s *Server) overviewModel(r *http.Request, sc storage.Scope) (views.Overview, error) {
	ctx, cancel := loadContext(r)
	defer cancel()
	now := time.Now()
	names := sc.Names()
	live, brokers, err := s.live(ctx, names, now)
	if err != nil {
		return views.Overview{}, err
	}
	counts, err := storage.HealthCounts(ctx, s.deps.Store, sc)
	if err != nil {
		return views.Overview{}, err
	}
	byTime, byLag, err := storage.WorstGroups(ctx, s.deps.Store, sc, worstShown)
	if err != nil {
		return views.Overview{}, err
	}
	resets, err := storage.RecentResets(ctx, s.deps.Store, sc, resetsShown)
	if err != nil {
		return views.Overview{}, err
	}
	m := views.Overview{Live: live, WorstByTime: worstRows(byTime), WorstByLag: worstRows(byLag), Resets: recentResets(resets)}
	for _, name := range names {
		m.Clusters = append(m.Clusters, s.clusterCard(name, brokers, counts, now))
	}
	return m, nil
}

func (s *Server) clusterCard(name string, brokers []storage.BrokerStatus, counts []storage.HealthCount, now time.Time) views.ClusterCard {
	card := views.ClusterCard{Name: name, GroupsHref: views.GroupsQuery{Cluster: name}.URL()}
	every := s.interval(name)
	for _, b := range brokers {
		if b.Cluster != name {
			continue
		}
		card.Polled = true
		row := views.BrokerRow{Name: b.Broker, Addr: b.Addr, Version: b.Version, Status: views.BrokerUp, Since: b.SeenAt()}
		switch {
		case b.Failing():
			row.Status, row.Err, row.Since = views.BrokerFailing, deref(b.Err), time.Time{}
			if b.OKAt != nil {
				row.Since = *b.OKAt
			}
		case now.Sub(b.SeenAt()) > staleAfter*every:
			row.Status = views.BrokerStale
		}
		card.Brokers = append(card.Brokers, row)
	}
	for _, c := range counts {
		if c.Cluster != name {
			continue
		}
		card.Polled = true
		card.Groups += c.Groups
		card.Health = append(card.Health, views.HealthCount{Health: c.Health, Groups: c.Groups,
			Href: views.GroupsQuery{Cluster: name, Health: c.Health}.URL()})
	}
	slices.SortFunc(card.Health, func(a, b views.HealthCount) int {
		return slices.Index(storage.HealthSeverity, a.Health) - slices.Index(storage.HealthSeverity, b.Health)
	})
	return card
}

func worstRows(gs []storage.GroupRow) []views.WorstGroup {
	out := make([]views.WorstGroup, len(gs))
	for i, g := range gs {
		out[i] = views.WorstGroup{Cluster: g.Cluster, Group: g.Group, Href: views.GroupHref(g.Cluster, g.Group),
			Health: healthBadge("w-"+groupKey(g.Cluster, g.Group), g.GroupState), Lag: g.Lag, LagSeconds: g.LagSeconds}
	}
	return out
}

func recentResets(rs []storage.ResetRow) []views.RecentReset {
	out := make([]views.RecentReset, len(rs))
	for i, r := range rs {
		out[i] = views.RecentReset{Cluster: r.Cluster, Group: r.Group, Topic: r.Topic, Kind: r.Kind, State: r.State,
			By: r.RequestedBy, At: r.At(), Href: resetHref(r.ID), GroupHref: views.GroupHref(r.Cluster, r.Group)}
	}
	return out
}

// resetHref is the page of a reset request.
func resetHref(id string) string { return "/resets/" + url.PathEscape(id) }
