package http

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// WatchedCluster is a configured cluster as the pages need it.
type WatchedCluster struct {
	Name string
	// PollInterval is the time between polls; data older than three of them is stale.
	PollInterval time.Duration
}

// staleAfter is how many poll intervals old data may be before pages call it stale.
const staleAfter = 3

// scope returns what the request's user may see: the configured clusters the dashboard
// permission reaches, in order, each with the patterns of the groups it reaches. Pages
// read through it, and cache keys include it, so no viewer is shown another's rows.
func (s *Server) scope(r *http.Request) storage.Scope { return s.scopeOf(r, auth.PermViewDashboard) }

// scopeOf returns the configured clusters and groups on which the request's user holds perm.
func (s *Server) scopeOf(r *http.Request, perm auth.Permission) storage.Scope {
	v := s.deps.Auth.Visibility(r.Context(), perm)
	var sc storage.Scope
	for _, w := range s.deps.Watched {
		if groups, except := v.Patterns(w.Name); groups != nil {
			sc.Clusters = append(sc.Clusters, storage.ClusterScope{Name: w.Name, Groups: groups, Except: except})
		}
	}
	return sc
}

// interval is the poll interval of a configured cluster; 10 s for one not configured.
func (s *Server) interval(cluster string) time.Duration {
	for _, w := range s.deps.Watched {
		if w.Name == cluster {
			return w.PollInterval
		}
	}
	return 10 * time.Second
}

// live says how fresh the data of the named clusters is, from their brokers as the
// pollers last saw them: when each cluster was last polled, which are older than three
// poll intervals, and which brokers are failing.
func (s *Server) live(ctx context.Context, clusters []string, now time.Time) (views.Live, []storage.BrokerStatus, error) {
	l := views.Live{Now: now}
	brokers, err := storage.BrokerStatuses(ctx, s.deps.Store, clusters)
	if err != nil {
		return l, nil, err
	}
	seen := map[string]time.Time{}
	for _, b := range brokers {
		if t := b.SeenAt(); t.After(seen[b.Cluster]) {
			seen[b.Cluster] = t
		}
		if b.Failing() {
			l.Stale = append(l.Stale, fmt.Sprintf("broker %s of %s is failing: %s", b.Broker, b.Cluster, deref(b.Err)))
		}
	}
	for i, c := range clusters {
		every := s.interval(c)
		if i == 0 || every < l.Every {
			l.Every = every
		}
		t, ok := seen[c]
		if !ok {
			continue // not polled yet: nothing stale to warn about, the page says so
		}
		if l.UpdatedAt.IsZero() || t.Before(l.UpdatedAt) {
			l.UpdatedAt = t
		}
		if age := now.Sub(t); age > staleAfter*every {
			l.Stale = append(l.Stale, fmt.Sprintf("cluster %s was last polled %s ago (every %s expected)",
				c, humanize.Duration(age), humanize.Duration(every)))
		}
	}
	if l.Every == 0 {
		l.Every = 10 * time.Second
	}
	return l, brokers, nil
}

// healthBadge is a group's health for the views.
func healthBadge(id string, g storage.GroupState) views.HealthBadge {
	return views.HealthBadge{ID: id, Status: g.Health, Reason: g.HealthReason}
}

// drainView shapes a stored time-to-drain estimate for pages.
func drainView(d storage.Drain) views.Drain {
	return views.Drain{State: d.State, Seconds: d.Seconds, Reason: d.Reason}
}

// groupKey names a group for element ids, unique on a page.
func groupKey(cluster, group string) string { return cluster + "--" + group }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// allowed reports whether v is "" or one of vs.
func allowed(v string, vs ...string) bool { return v == "" || slices.Contains(vs, v) }
