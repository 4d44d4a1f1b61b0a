package http

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
)

// apiPrefix starts every route of the JSON API (docs/API.md). Its answers, errors
// included, are JSON; it is read with an API token (Authorization: Bearer lbt_…) or, from a
// browser, with the session.
const apiPrefix = "/api/"

// apiRoutes are the JSON API's routes: the data of the read pages, and reset previews
// (dry runs: nothing is stored or changed).
func (s *Server) apiRoutes() []route {
	return []route{
		{http.MethodGet, "/api/v1/groups", s.handle(s.apiGroups), auth.PermViewDashboard},
		{http.MethodGet, "/api/v1/clusters/{cluster}/groups/{group}", s.handle(s.apiGroup), auth.PermViewDashboard},
		{http.MethodGet, "/api/v1/clusters/{cluster}/groups/{group}/history", s.handle(s.apiHistory), auth.PermViewDashboard},
		{http.MethodGet, "/api/v1/clusters/{cluster}/groups/{group}/reset-preview", s.handle(s.apiResetPreview), auth.PermRequestReset},
	}
}

// isAPI reports whether r is for the JSON API.
func isAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, apiPrefix) }

// apiError is the body of every error of the API.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeAPIError answers an API request with an error as JSON; a 401 says how to
// authenticate.
func writeAPIError(w http.ResponseWriter, status int, code, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = code, msg
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="lagboard"`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(e) //nolint:errcheck // the client went away
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, v any) error {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// errNeedToken answers an API request that carries no credentials.
var errNeedToken = errcode.Errorf(errcode.Unauthorized,
	`Send an API token as "Authorization: Bearer lbt_…"; issue one on the API tokens page.`)

// errBadAuthorization answers an Authorization header that is no Lagboard token.
var errBadAuthorization = errcode.Errorf(errcode.Unauthorized,
	`The Authorization header must be "Bearer " followed by a Lagboard API token (lbt_…).`)

// protectAPI is protect for the JSON API: the principal is the bearer token's when the
// request has one, the session's otherwise, and refusals are JSON. A request without
// credentials is told to bring a token (401), never sent to sign in.
func (s *Server) protectAPI(rt route) http.Handler {
	check := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		a := s.deps.Auth
		fail := func(err error) { s.handle(func(http.ResponseWriter, *http.Request) error { return err })(w, r) }
		secret, ok := auth.BearerToken(r.Header.Get("Authorization"))
		var p auth.Principal
		var err error
		switch {
		case !ok:
			err = errBadAuthorization
		case secret != "" && s.deps.Tokens == nil:
			err = errcode.Errorf(errcode.Unavailable, "API tokens are not enabled on this server.")
		case secret != "":
			p, err = s.deps.Tokens.Authenticate(r.Context(), secret, s.clientIP(r))
		default:
			p, err = a.Principal(r.Context())
		}
		if err != nil {
			fail(err)
			return
		}
		scope := auth.Scope{Cluster: chi.URLParam(r, "cluster"), Group: chi.URLParam(r, "group")}
		d := a.Decide(p, rt.perm, scope)
		if !d.Allowed {
			if !p.SignedIn() {
				fail(errNeedToken)
				return
			}
			denial := auth.Denial{Who: p.Who(), Permission: rt.perm, Scope: scope, Method: r.Method, Path: r.URL.Path,
				Reason: d.Reason, RequestID: middleware.GetReqID(r.Context()), RemoteAddr: r.RemoteAddr,
				Name: p.Identity.Name, Issuer: p.Identity.Issuer, User: p.Identity}
			if p.Token != nil {
				denial.Reason += " (API token " + p.Token.Name + ")"
			}
			a.RecordDenial(r.Context(), denial)
			fail(errNoAccess)
			return
		}
		rt.handler.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
	}
	return s.deps.Auth.Sessions().LoadAndSave(withAuditRequest(http.HandlerFunc(check)))
}

// clientIP is where r came from, as the audit trail records it.
func (s *Server) clientIP(r *http.Request) string {
	if s.deps.Trail == nil {
		return audit.ClientIP(r.RemoteAddr, "", nil)
	}
	return s.deps.Trail.Origin(r.Context(), nil).SourceIP
}

// apiGroupJSON is a consumer group as the API gives it. Unknown values are null.
type apiGroupJSON struct {
	Cluster        string     `json:"cluster"`
	Group          string     `json:"group"`
	Health         string     `json:"health"`
	HealthReason   string     `json:"health_reason,omitempty"`
	Kind           string     `json:"kind,omitempty"`
	KindInferred   bool       `json:"kind_inferred,omitempty"`
	Orderly        *bool      `json:"orderly"`
	MessageModel   string     `json:"message_model,omitempty"`
	ConsumeType    string     `json:"consume_type,omitempty"`
	Clients        *int32     `json:"clients"`
	Topics         []string   `json:"topics"`
	Lag            *int64     `json:"lag"`
	LagSeconds     *float64   `json:"lag_seconds"`
	LagTimeSource  string     `json:"lag_time_source,omitempty"`
	RetryLag       *int64     `json:"retry_lag"`
	Inflight       *int64     `json:"inflight"`
	ConsumeTPS     *float64   `json:"consume_tps"`
	Expired        *int64     `json:"expired"`
	PastEnd        int32      `json:"queues_past_end"`
	NeverCommitted int32      `json:"queues_never_committed"`
	Redelivered    *int64     `json:"redelivered"`
	DeadLetters    *int64     `json:"dead_letters"`
	LastCommitAt   *time.Time `json:"last_commit_at"`
	PolledAt       time.Time  `json:"polled_at"`
	StaleSince     *time.Time `json:"stale_since"`
	StaleReason    *string    `json:"stale_reason"`
	Drain          apiDrain   `json:"drain"`
	Href           string     `json:"href"`
}

// apiDrain is a group's time to drain: the worst of its topics (docs/ALERTS.md).
type apiDrain struct {
	// State is draining, growing, flat, caught_up or unknown.
	State   string   `json:"state"`
	Seconds *float64 `json:"seconds"`
	LagRate *float64 `json:"lag_rate"`
	Reason  string   `json:"reason,omitempty"`
}

func apiGroup(g storage.GroupRow) apiGroupJSON {
	topics := g.Topics
	if topics == nil {
		topics = []string{}
	}
	return apiGroupJSON{Cluster: g.Cluster, Group: g.Group, Health: g.Health, HealthReason: g.HealthReason,
		Kind: g.Kind, KindInferred: g.KindInferred, Orderly: g.Orderly, MessageModel: g.MessageModel,
		ConsumeType: g.ConsumeType, Clients: g.Clients, Topics: topics, Lag: g.Lag, LagSeconds: g.LagSeconds,
		LagTimeSource: g.LagTimeSource, RetryLag: g.RetryLag, Inflight: g.Inflight, ConsumeTPS: g.ConsumeTPS,
		Expired: g.Expired, PastEnd: g.PastEnd, NeverCommitted: g.NeverCommitted, Redelivered: g.Redelivered,
		DeadLetters: g.DLQTotal, LastCommitAt: g.LastCommitAt, PolledAt: g.PolledAt, StaleSince: g.StaleSince,
		StaleReason: g.StaleReason, Drain: apiDrain{State: g.Drain.State, Seconds: g.Drain.Seconds, LagRate: g.Drain.LagRate, Reason: g.Drain.Reason},
		Href: "/api/v1/clusters/" + url.PathEscape(g.Cluster) + "/groups/" + url.PathEscape(g.Group)}
}

// maxPerPage bounds a page of the groups list.
const maxPerPage = 1000

// apiGroups lists the groups the caller may see, filtered, sorted and paged with the
// groups page's parameters (q, cluster, health, topic, model, sort, dir, page) and
// per_page.
func (s *Server) apiGroups(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q, err := parseGroupsQuery(v)
	if err != nil {
		return err
	}
	per := groupsPerPage
	if p := v.Get("per_page"); p != "" {
		if per, err = strconv.Atoi(p); err != nil || per < 1 || per > maxPerPage {
			return errcode.Errorf(errcode.Invalid, "per_page must be a number from 1 to %d.", maxPerPage)
		}
	}
	page := max(q.Page, 1)
	ctx, cancel := loadContext(r)
	defer cancel()
	sc := s.scope(r)
	if q.Cluster != "" {
		sc = sc.Only(q.Cluster)
	}
	res, err := storage.ListGroups(ctx, s.deps.Store, storage.GroupQuery{
		Scope: sc, Health: q.Health, Topic: q.Topic, Model: q.Model, Search: q.Search,
		Sort: q.Sort, Desc: q.Desc, Limit: per, Offset: (page - 1) * per,
	})
	if err != nil {
		return err
	}
	out := struct {
		Total   int            `json:"total"`
		Page    int            `json:"page"`
		PerPage int            `json:"per_page"`
		Groups  []apiGroupJSON `json:"groups"`
	}{Total: res.Total, Page: page, PerPage: per, Groups: make([]apiGroupJSON, len(res.Rows))}
	for i, g := range res.Rows {
		out.Groups[i] = apiGroup(g)
	}
	return writeJSON(w, out)
}

// apiQueueJSON is one queue of a group's topic.
type apiQueueJSON struct {
	Topic          string     `json:"topic"`
	Broker         string     `json:"broker"`
	QueueID        int32      `json:"queue_id"`
	MinOffset      *int64     `json:"min_offset"`
	MaxOffset      int64      `json:"max_offset"`
	ConsumerOffset *int64     `json:"consumer_offset"`
	StartOffset    *int64     `json:"start_offset,omitempty"`
	StartRule      *string    `json:"start_rule,omitempty"`
	Lag            int64      `json:"lag"`
	LagSeconds     *float64   `json:"lag_seconds"`
	LastTimestamp  *time.Time `json:"last_timestamp"`
	Owner          *string    `json:"owner"`
	Locked         *bool      `json:"locked,omitempty"`
	Inflight       *int64     `json:"inflight,omitempty"`
	MovedAt        *time.Time `json:"moved_at"`
	PolledAt       time.Time  `json:"polled_at"`
	Stale          bool       `json:"stale"`
}

// apiGroup answers one group with its queues and online clients.
func (s *Server) apiGroup(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := loadContext(r)
	defer cancel()
	g, err := s.groupOf(ctx, r)
	if err != nil {
		return err
	}
	queues, err := storage.QueueStates(ctx, s.deps.Store, g.ClusterID, g.Group)
	if err != nil {
		return err
	}
	clients, err := storage.ClientStates(ctx, s.deps.Store, g.ClusterID, g.Group)
	if err != nil {
		return err
	}
	type clientJSON struct {
		ID       string `json:"id"`
		Addr     string `json:"addr"`
		Language string `json:"language"`
		Version  string `json:"version"`
	}
	out := struct {
		apiGroupJSON
		Queues  []apiQueueJSON `json:"queues"`
		Clients []clientJSON   `json:"clients"`
	}{apiGroupJSON: apiGroup(g), Queues: make([]apiQueueJSON, len(queues)), Clients: make([]clientJSON, len(clients))}
	for i, q := range queues {
		aq := apiQueueJSON{Topic: q.Topic, Broker: q.Broker, QueueID: q.QueueID, MinOffset: q.MinOffset, MaxOffset: q.MaxOffset,
			StartOffset: q.StartOffset, StartRule: q.StartRule, LagSeconds: q.LagSeconds, LastTimestamp: q.LastTimestamp,
			Owner: q.OwnerClient, Locked: q.Locked, Inflight: q.Inflight, MovedAt: q.MovedAt, PolledAt: q.PolledAt, Stale: q.Stale}
		from := q.ConsumerOffset
		if q.Committed {
			aq.ConsumerOffset = &q.ConsumerOffset
		} else if q.StartOffset != nil {
			from = *q.StartOffset
		}
		aq.Lag = max(q.MaxOffset-from, 0)
		out.Queues[i] = aq
	}
	for i, c := range clients {
		out.Clients[i] = clientJSON{ID: c.ClientID, Addr: c.Addr, Language: c.Language, Version: c.Version}
	}
	return writeJSON(w, out)
}

// apiHistory answers a group's lag history over a chart range (range=1h … 30d), one point
// per bucket.
func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request) error {
	rng, err := parseRange(r.URL.Query().Get("range"))
	if err != nil {
		return err
	}
	h, err := s.historyOf(r, rng)
	if err != nil {
		return err
	}
	type pointJSON struct {
		At      time.Time `json:"at"`
		Lag     *int64    `json:"lag"`
		Seconds *float64  `json:"lag_seconds"`
	}
	type resetJSON struct {
		At    time.Time `json:"at"`
		Label string    `json:"label"`
	}
	out := struct {
		Range  string      `json:"range"`
		Step   int         `json:"step_seconds"`
		Points []pointJSON `json:"points"`
		Resets []resetJSON `json:"resets"`
	}{Range: rng.key, Step: int(rng.step.Seconds()), Points: make([]pointJSON, len(h.Times)), Resets: make([]resetJSON, len(h.Resets))}
	for i := range h.Times {
		out.Points[i] = pointJSON{At: time.Unix(h.Times[i], 0).UTC(), Lag: h.Lag[i], Seconds: h.Seconds[i]}
	}
	for i, rr := range h.Resets {
		out.Resets[i] = resetJSON{At: time.Unix(rr.At, 0).UTC(), Label: rr.Label}
	}
	return writeJSON(w, out)
}

// apiResetPreview is a dry run of a reset: what it would do now, computed from the brokers
// as the request form's preview is; nothing is stored. Parameters: topic, kind, and time
// (RFC 3339), by (a shift), queue=broker/id (repeated; the queues to reset, all when
// absent) or offset.broker/id=N (exact offsets), as the form names them.
func (s *Server) apiResetPreview(w http.ResponseWriter, r *http.Request) error {
	if err := s.resetsOn(); err != nil {
		return err
	}
	v := url.Values{}
	for k, vs := range r.URL.Query() {
		v[k] = vs
	}
	v.Set("cluster", chi.URLParam(r, "cluster"))
	v.Set("group", chi.URLParam(r, "group"))
	if t := v.Get("time"); t != "" {
		v.Set("time_utc", t)
	}
	if len(v["queue"]) > 0 {
		v.Set("scope", "chosen")
	}
	in := parseResetForm(v)
	if in.err != nil {
		return in.err
	}
	ctx, cancel := loadContext(r)
	defer cancel()
	p, err := s.deps.Resets.Preview(ctx, s.who(r), in.spec)
	if err != nil {
		return err
	}
	return writeJSON(w, struct {
		Spec    any `json:"spec"`
		Preview any `json:"preview"`
	}{in.spec, p})
}
