package http

import (
	"net/http"
	"time"

	"github.com/lagboard/lagboard/internal/discovery"
	"github.com/lagboard/lagboard/internal/views"
)

// overview shows every configured cluster and its brokers; htmx refreshes get the list only.
func (s *Server) overview(w http.ResponseWriter, r *http.Request) error {
	m := overviewModel(s.visibleClusters(r, s.deps.Clusters.Describe(r.Context())), time.Now())
	if isHTMX(r) {
		s.render(w, r, http.StatusOK, views.ClusterList(m))
		return nil
	}
	s.render(w, r, http.StatusOK, views.OverviewPage(s.chrome(views.SectionOverview), m))
	return nil
}

func overviewModel(clusters []discovery.Cluster, now time.Time) views.Overview {
	m := views.Overview{CheckedAt: now}
	for _, c := range clusters {
		card := views.ClusterCard{Name: c.Name, NamesrvAddrs: c.NamesrvAddrs}
		if c.Err != nil {
			card.Err = c.Err.Error()
		}
		for _, b := range c.Brokers {
			row := views.BrokerRow{Name: b.Name, Addr: b.MasterAddr, Version: b.Version, Unreachable: !b.Answered}
			if b.Err != nil {
				row.Err = b.Err.Error()
			}
			card.Brokers = append(card.Brokers, row)
		}
		m.Clusters = append(m.Clusters, card)
	}
	return m
}
