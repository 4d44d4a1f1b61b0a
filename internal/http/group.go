package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// chartRange is one range of the lag chart and the bucket its points are drawn at.
type chartRange struct {
	key, label string
	span, step time.Duration
}

// chartRanges keep each chart at 60 to 1,440 points.
var chartRanges = []chartRange{
	{"1h", "1 hour", time.Hour, time.Minute},
	{"6h", "6 hours", 6 * time.Hour, time.Minute},
	{"24h", "24 hours", 24 * time.Hour, 2 * time.Minute},
	{"7d", "7 days", 7 * 24 * time.Hour, 10 * time.Minute},
	{"30d", "30 days", 30 * 24 * time.Hour, time.Hour},
}

func parseRange(v string) (chartRange, error) {
	if v == "" {
		return chartRanges[1], nil
	}
	for _, r := range chartRanges {
		if r.key == v {
			return r, nil
		}
	}
	return chartRange{}, errcode.Errorf(errcode.Invalid, "The chart range must be one of 1h, 6h, 24h, 7d, 30d.")
}

// groupOf reads the {cluster} and {group} of the route; a group not stored is not found.
func (s *Server) groupOf(ctx context.Context, r *http.Request) (storage.GroupRow, error) {
	cluster, group := chi.URLParam(r, "cluster"), chi.URLParam(r, "group")
	g, err := storage.GroupRowOf(ctx, s.deps.Store, cluster, group)
	if errors.Is(err, pgx.ErrNoRows) {
		return g, errcode.Errorf(errcode.NotFound, "There is no consumer group %s in cluster %s.", group, cluster)
	}
	return g, err
}

// group shows one consumer group: its summary, queues, clients and lag chart. htmx
// requests get a fragment: the chart with its ranges when they target it (a range link),
// the live region otherwise (its refresh). The chart fetches its own data.
func (s *Server) group(w http.ResponseWriter, r *http.Request) error {
	rng, err := parseRange(r.URL.Query().Get("range"))
	if err != nil {
		return err
	}
	cluster, group := chi.URLParam(r, "cluster"), chi.URLParam(r, "group")
	key := "group|" + cluster + "|" + group + "|" + r.URL.RequestURI()
	m, err := get(&s.pages, key, func() (views.GroupPage, error) { return s.groupModel(r, rng) })
	if err != nil {
		return err
	}
	// Per viewer, so never in the shared cache entry (m is a copy of it).
	m.CanRequestReset = s.deps.Auth.Allowed(r.Context(), auth.PermRequestReset, auth.Scope{Cluster: cluster, Group: group})
	m.CanManageAlerts = s.deps.Auth.Allowed(r.Context(), auth.PermManageAlerts, auth.Scope{Cluster: cluster, Group: group})
	if isHTMX(r) {
		if r.Header.Get("HX-Target") == chartTarget {
			s.render(w, r, http.StatusOK, views.GroupChart(m.Chart))
			return nil
		}
		s.render(w, r, http.StatusOK, views.GroupLive(m))
		return nil
	}
	c := s.chrome(views.SectionGroups)
	c.Styles, c.Scripts = []string{"vendor/uPlot.min.css"}, []string{"vendor/uPlot.iife.min.js", "js/chart.js"}
	s.render(w, r, http.StatusOK, views.GroupPageView(c, m))
	return nil
}

// chartTarget is the id of the chart's fragment, which range links swap.
const chartTarget = "chart-card"

// groupModel reads a group's page from storage.
func (s *Server) groupModel(r *http.Request, rng chartRange) (views.GroupPage, error) {
	ctx, cancel := loadContext(r)
	defer cancel()
	g, err := s.groupOf(ctx, r)
	if err != nil {
		return views.GroupPage{}, err
	}
	now := time.Now()
	live, _, err := s.live(ctx, []string{g.Cluster}, now)
	if err != nil {
		return views.GroupPage{}, err
	}
	queues, err := storage.QueueStates(ctx, s.deps.Store, g.ClusterID, g.Group)
	if err != nil {
		return views.GroupPage{}, err
	}
	clients, err := storage.ClientStates(ctx, s.deps.Store, g.ClusterID, g.Group)
	if err != nil {
		return views.GroupPage{}, err
	}
	var perClient []storage.ClientQueueState
	if g.MessageModel == "BROADCASTING" {
		if perClient, err = storage.ClientQueueStates(ctx, s.deps.Store, g.ClusterID, g.Group); err != nil {
			return views.GroupPage{}, err
		}
	}
	from, to := rng.window(now)
	resets, err := storage.GroupResets(ctx, s.deps.Store, g.Cluster, g.Group, from, to)
	if err != nil {
		return views.GroupPage{}, err
	}
	drains, err := storage.TopicDrains(ctx, s.deps.Store, g.Cluster, g.Group)
	if err != nil {
		return views.GroupPage{}, err
	}
	firing, err := storage.FiringAlertsOf(ctx, s.deps.Store, g.Cluster, g.Group)
	if err != nil {
		return views.GroupPage{}, err
	}
	m := groupModel(g, queues, clients)
	if s.deps.Messages != nil {
		href := views.GroupHref(g.Cluster, g.Group)
		if g.DLQTotal != nil {
			m.DeadLettersHref = href + "/dead-letters"
		}
		if g.Health == "STALL" || g.Health == "STOP" {
			m.BlockedHref = href + "/blocked"
		}
	}
	m.PerClient = clientProgress(clients, perClient)
	m.Drain = drainView(g.Drain)
	addTopicDrains(&m, drains)
	m.Alerts = groupAlerts(firing)
	m.Live = live
	m.Self = r.URL.RequestURI()
	href := views.GroupHref(g.Cluster, g.Group)
	m.Chart = views.Chart{Src: href + "/history?range=" + rng.key, Range: rng.key, Every: live.Every}
	for _, cr := range chartRanges {
		m.Chart.Ranges = append(m.Chart.Ranges, views.ChartRange{Key: cr.key, Label: cr.label,
			Href: href + "?range=" + cr.key, Current: cr.key == rng.key})
	}
	for _, rr := range resets {
		m.Chart.Resets = append(m.Chart.Resets, views.ResetMarker{At: rr.At(), Label: resetLabel(rr), Href: resetHref(rr.ID)})
	}
	return m, nil
}

// window is the span of time a chart of the range shows at now, to the end of the
// current bucket.
func (c chartRange) window(now time.Time) (from, to time.Time) {
	to = now.Truncate(c.step).Add(c.step)
	return to.Add(-c.span), to
}

// resetLabel says what a reset marked on the chart did.
func resetLabel(r storage.ResetRow) string {
	l := "reset of " + r.Topic + " to " + r.Kind
	if r.ExecutedBy != "" {
		l += " by " + r.ExecutedBy
	}
	return l + " (" + views.ResetStateLabel(r.State) + ")"
}

// historyJSON is the lag chart's data: columns of equal length, as uPlot takes them.
type historyJSON struct {
	// Times are Unix seconds: the start of each bucket, or, in the bucket of the group's
	// first observation, the second after it was taken (never before it).
	Times []int64 `json:"t"`
	// Lag is messages waiting, Seconds the age of the oldest; null where unknown.
	Lag     []*int64   `json:"lag"`
	Seconds []*float64 `json:"seconds"`
	// Resets are offset resets to mark: Unix seconds and a label.
	Resets []resetJSON `json:"resets"`
}

type resetJSON struct {
	At    int64  `json:"at"`
	Label string `json:"label"`
}

// groupHistory serves the group's lag history for the chart's range as JSON.
func (s *Server) groupHistory(w http.ResponseWriter, r *http.Request) error {
	rng, err := parseRange(r.URL.Query().Get("range"))
	if err != nil {
		return err
	}
	key := "history|" + chi.URLParam(r, "cluster") + "|" + chi.URLParam(r, "group") + "|" + rng.key
	out, err := get(&s.pages, key, func() (historyJSON, error) { return s.historyOf(r, rng) })
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	return json.NewEncoder(w).Encode(out)
}

// historyOf reads a group's lag history for a chart range.
func (s *Server) historyOf(r *http.Request, rng chartRange) (historyJSON, error) {
	ctx, cancel := loadContext(r)
	defer cancel()
	g, err := s.groupOf(ctx, r)
	if err != nil {
		return historyJSON{}, err
	}
	now := time.Now()
	from, to := rng.window(now)
	key := storage.GroupKey{ClusterID: g.ClusterID, Group: g.Group}
	hist, err := storage.LagHistory(ctx, s.deps.Store, []storage.GroupKey{key}, from, to, rng.step, now)
	if err != nil {
		return historyJSON{}, err
	}
	resets, err := storage.GroupResets(ctx, s.deps.Store, g.Cluster, g.Group, from, to)
	if err != nil {
		return historyJSON{}, err
	}
	pts := hist[key]
	out := historyJSON{Times: make([]int64, len(pts)), Lag: make([]*int64, len(pts)),
		Seconds: make([]*float64, len(pts)), Resets: []resetJSON{}}
	for i, p := range pts {
		out.Times[i], out.Lag[i], out.Seconds[i] = unixCeil(p.At), p.Lag, p.Seconds
	}
	for _, rr := range resets {
		out.Resets = append(out.Resets, resetJSON{At: rr.At().Unix(), Label: resetLabel(rr)})
	}
	return out, nil
}

// unixCeil is t in Unix seconds, rounded up: a time drawn at a whole second must not lie
// before what it shows.
func unixCeil(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// groupModel shapes a group's stored state for its page.
func groupModel(g storage.GroupRow, queues []storage.QueueState, clients []storage.ClientState) views.GroupPage {
	m := views.GroupPage{
		Cluster: g.Cluster, Group: g.Group, Health: healthBadge("group", g.GroupState),
		Lag: g.Lag, RetryLag: g.RetryLag, Inflight: g.Inflight, LagSeconds: g.LagSeconds, LagTimeSource: g.LagTimeSource,
		TPS: g.ConsumeTPS, Clients: g.Clients, Model: g.MessageModel, Type: g.ConsumeType,
		LastCommitAt: g.LastCommitAt, PolledAt: g.PolledAt, StaleSince: g.StaleSince, StaleReason: deref(g.StaleReason),
		Kind: g.Kind, KindInferred: g.KindInferred, Orderly: g.Orderly, Expired: g.Expired, PastEnd: g.PastEnd,
		NeverCommitted: g.NeverCommitted, Redelivered: g.Redelivered, DeliveredPerMin: g.DeliveredPerMin,
		AckedPerMin: g.AckedPerMin, InflightSince: g.InflightSince, InflightVisibleAt: g.InflightVisibleAt,
	}
	m.Notes = kindNotes(g, queues, clients)
	if g.MessageModel == "BROADCASTING" {
		note := "This is a broadcasting group: every client consumes every message and keeps its own offsets, which " +
			"the brokers do not hold. The queues below show what the brokers report; each client's own progress is " +
			"under Progress per client."
		if g.LagSeconds == nil {
			// Said only when the figure above says unknown too: one truth per number.
			note += " The lag in time is unknown: no broker knows when the oldest message a client has not consumed was written."
		}
		m.Notes = append(m.Notes, note)
	}
	byTopic := map[string]*views.TopicQueues{}
	for _, q := range queues {
		t := byTopic[q.Topic]
		if t == nil {
			t = &views.TopicQueues{Topic: q.Topic}
			byTopic[q.Topic] = t
			if strings.HasPrefix(q.Topic, "%RETRY%") {
				m.Retry = t
			} else {
				m.Topics = append(m.Topics, views.TopicQueues{Topic: q.Topic})
			}
		}
		t.Queues = append(t.Queues, queueView(q))
		if l := t.Queues[len(t.Queues)-1].Lag; l != nil {
			t.Lag += *l
		} else {
			t.Unknown++
		}
	}
	for i := range m.Topics {
		m.Topics[i] = *byTopic[m.Topics[i].Topic]
	}
	for _, c := range clients {
		m.Online = append(m.Online, views.Client{ID: c.ClientID, Addr: c.Addr, Language: c.Language, Version: c.Version,
			OffsetsError: deref(c.OffsetsError)})
	}
	return m
}

func queueView(q storage.QueueState) views.Queue {
	v := views.Queue{Broker: q.Broker, QueueID: q.QueueID, MinOffset: q.MinOffset, MaxOffset: q.MaxOffset,
		ConsumerOffset: q.ConsumerOffset, LagSeconds: q.LagSeconds, LastConsumed: q.LastTimestamp,
		Owner: deref(q.OwnerClient), Locked: q.Locked != nil && *q.Locked, Stale: q.Stale,
		Committed: q.Committed, StartOffset: q.StartOffset, StartRule: deref(q.StartRule)}
	switch {
	case !q.Committed:
		// The broker reports such a queue as committed at 0; where the group will start
		// decides what waits.
		if q.StartOffset != nil {
			lag := max(q.MaxOffset-*q.StartOffset, 0)
			v.Lag = &lag
		}
	case q.ConsumerOffset > q.MaxOffset:
		zero := int64(0)
		v.Lag, v.PastEnd = &zero, q.ConsumerOffset-q.MaxOffset
	default:
		lag := q.MaxOffset - q.ConsumerOffset
		v.Lag = &lag
		if q.MinOffset != nil && q.ConsumerOffset < *q.MinOffset {
			v.Expired = *q.MinOffset - q.ConsumerOffset
		}
	}
	switch {
	case q.Inflight != nil: // a simple or pop group: from the broker's pop records
		v.Inflight = q.Inflight
	case q.PullOffset != nil:
		in := max(*q.PullOffset-q.ConsumerOffset, 0)
		v.Inflight = &in
	}
	return v
}
