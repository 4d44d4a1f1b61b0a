package http

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/lagboard/lagboard/internal/audit"
	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/inspect"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// messageRoutes read single messages of a group from the brokers. Their {cluster} and
// {group} scope every check; the topic must be one of the group's (or its retry or
// dead-letter topic), so a group scope never reads other groups' messages.
func (s *Server) messageRoutes() []route {
	return []route{
		{http.MethodGet, "/clusters/{cluster}/groups/{group}/blocked", s.handle(s.blockedOn), auth.PermViewDashboard},
		{http.MethodGet, "/clusters/{cluster}/groups/{group}/dead-letters", s.handle(s.deadLetters), auth.PermViewDashboard},
		{http.MethodGet, "/clusters/{cluster}/groups/{group}/message", s.handle(s.messageBody), auth.PermReadMessages},
		{http.MethodPost, "/clusters/{cluster}/groups/{group}/dead-letters/resend", s.handle(s.resendDeadLetter), auth.PermResendMessages},
	}
}

var errMessagesOff = errcode.Errorf(errcode.Unavailable, "Reading messages is not available on this server.")

// blockedAfter is how long a queue's committed offset must stand still, messages waiting,
// for the page to show what it waits on.
const blockedAfter = time.Minute

// maxBlocked bounds the queues whose blocking message a page reads.
const maxBlocked = 8

// blockedOn shows, for each queue of the group that stands still with messages waiting, the
// message at its committed offset: what the consumer has to get past.
func (s *Server) blockedOn(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := loadContext(r)
	defer cancel()
	g, err := s.groupOf(ctx, r)
	if err != nil {
		return err
	}
	if s.deps.Messages == nil {
		return errMessagesOff
	}
	queues, err := storage.QueueStates(ctx, s.deps.Store, g.ClusterID, g.Group)
	if err != nil {
		return err
	}
	mayRead := s.deps.Auth.Allowed(ctx, auth.PermReadMessages, auth.Scope{Cluster: g.Cluster, Group: g.Group})
	now := time.Now()
	var stalled []storage.QueueState
	for _, q := range queues {
		next, ok := nextOffset(q)
		if ok && q.MaxOffset > next && (q.MovedAt == nil || now.Sub(*q.MovedAt) >= blockedAfter) {
			q.ConsumerOffset = next
			stalled = append(stalled, q)
		}
	}
	sort.Slice(stalled, func(i, j int) bool { return movedBefore(stalled[i], stalled[j]) })
	if len(stalled) > maxBlocked {
		stalled = stalled[:maxBlocked]
	}
	b := views.BlockedOn{Cluster: g.Cluster, Group: g.Group}
	for _, q := range stalled {
		bq := views.BlockedQueue{Topic: q.Topic, Broker: q.Broker, QueueID: q.QueueID, Offset: q.ConsumerOffset, Since: q.MovedAt}
		ref := inspect.Ref{Topic: q.Topic, Broker: q.Broker, QueueID: int(q.QueueID), Offset: q.ConsumerOffset}
		m, err := s.deps.Messages.Read(ctx, g.Cluster, ref)
		if err != nil {
			bq.Error = errcode.Message(err)
		} else {
			meta := messageMeta(m)
			if mayRead {
				meta.BodyHref = views.BodyHref(g.Cluster, g.Group, ref.Topic, ref.Broker, ref.QueueID, ref.Offset)
			}
			bq.Message = &meta
		}
		b.Queues = append(b.Queues, bq)
	}
	s.render(w, r, http.StatusOK, views.BlockedOnView(b))
	return nil
}

// nextOffset is the offset of the next message the group must consume on the queue: the
// committed offset, the oldest kept when retention passed it, or where a group that never
// committed starts (unknown for some).
func nextOffset(q storage.QueueState) (int64, bool) {
	switch {
	case !q.Committed && q.StartOffset != nil:
		return *q.StartOffset, true
	case !q.Committed:
		return 0, false
	case q.MinOffset != nil && q.ConsumerOffset < *q.MinOffset:
		return *q.MinOffset, true
	}
	return q.ConsumerOffset, true
}

// movedBefore orders queues by how long they stood still, longest first.
func movedBefore(a, b storage.QueueState) bool {
	switch {
	case a.MovedAt == nil:
		return b.MovedAt != nil
	case b.MovedAt == nil:
		return false
	}
	return a.MovedAt.Before(*b.MovedAt)
}

// deadLettersShown is how many of the newest dead letters the group page lists.
const deadLettersShown = 10

// deadLetters shows the group's dead-letter counts, their growth over the last day and
// the newest dead letters.
func (s *Server) deadLetters(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := loadContext(r)
	defer cancel()
	g, err := s.groupOf(ctx, r)
	if err != nil {
		return err
	}
	if s.deps.Messages == nil {
		return errMessagesOff
	}
	scope := auth.Scope{Cluster: g.Cluster, Group: g.Group}
	d := views.DeadLetters{Cluster: g.Cluster, Group: g.Group}
	if g.DLQTotal != nil {
		d.Total = *g.DLQTotal
	}
	if g.DLQKept != nil {
		d.Kept = *g.DLQKept
	}
	pts, err := storage.DeadLetterHistory(ctx, s.deps.Store, g.ClusterID, g.Group, time.Now().Add(-24*time.Hour))
	if err != nil {
		return err
	}
	for _, p := range pts {
		d.Growth = append(d.Growth, views.DeadLetterPoint{At: p.At, Total: p.Total})
	}
	newest, err := s.deps.Messages.DeadLetters(ctx, g.Cluster, g.Group, deadLettersShown)
	if err != nil {
		d.Error = errcode.Message(err)
	}
	mayRead := s.deps.Auth.Allowed(ctx, auth.PermReadMessages, scope)
	for _, m := range newest {
		meta := messageMeta(m)
		if mayRead {
			meta.BodyHref = views.BodyHref(g.Cluster, g.Group, m.Ref.Topic, m.Broker, m.Ref.QueueID, m.Offset)
		}
		d.Newest = append(d.Newest, meta)
	}
	if s.deps.Auth.Allowed(ctx, auth.PermResendMessages, scope) {
		c, err := s.deps.Messages.Cluster(g.Cluster)
		switch {
		case err != nil:
		case c.AllowResend:
			d.CanResend = true
		default:
			d.ResendOff = "Sending dead letters back is off for cluster " + g.Cluster + "."
		}
	}
	s.render(w, r, http.StatusOK, views.DeadLettersView(d))
	return nil
}

// messageRef reads a message reference from the query or form and checks its topic is the
// group's: one of its topics, its retry topic or its dead-letter topic.
func (s *Server) messageRef(r *http.Request, g storage.GroupRow, v url.Values, topic string) (inspect.Ref, error) {
	queue, err1 := strconv.Atoi(v.Get("queue"))
	offset, err2 := strconv.ParseInt(v.Get("offset"), 10, 64)
	broker := v.Get("broker")
	if err1 != nil || err2 != nil || queue < 0 || offset < 0 || broker == "" || topic == "" {
		return inspect.Ref{}, errcode.Errorf(errcode.Invalid, "Name a message with topic, broker, queue (a number) and offset (a number).")
	}
	ref := inspect.Ref{Topic: topic, Broker: broker, QueueID: queue, Offset: offset}
	if topic == inspect.DeadLetterTopic(g.Group) || topic == inspect.RetryTopic(g.Group) {
		return ref, nil
	}
	queues, err := storage.QueueStates(r.Context(), s.deps.Store, g.ClusterID, g.Group)
	if err != nil {
		return inspect.Ref{}, err
	}
	for _, q := range queues {
		if q.Topic == topic {
			return ref, nil
		}
	}
	return inspect.Ref{}, errcode.Errorf(errcode.NotFound, "Group %s does not consume topic %s.", g.Group, topic)
}

// messageBody shows one message with its body; the read is recorded first.
func (s *Server) messageBody(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := loadContext(r)
	defer cancel()
	g, err := s.groupOf(ctx, r)
	if err != nil {
		return err
	}
	if s.deps.Messages == nil || s.deps.Trail == nil {
		return errMessagesOff
	}
	q := r.URL.Query()
	ref, err := s.messageRef(r, g, q, q.Get("topic"))
	if err != nil {
		return err
	}
	m, err := s.deps.Messages.ReadBody(ctx, s.auditWho(r), g.Cluster, g.Group, ref)
	if err != nil {
		return err
	}
	page := views.MessagePage{Cluster: g.Cluster, Group: g.Group, Meta: messageMeta(m), Body: views.NewBody(m.Body, m.Compression)}
	s.render(w, r, http.StatusOK, views.MessagePageView(s.chrome(views.SectionGroups), page))
	return nil
}

// resendDeadLetter sends one of the group's dead letters back to its retry topic.
func (s *Server) resendDeadLetter(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	g, err := s.groupOf(ctx, r)
	if err != nil {
		return err
	}
	if s.deps.Messages == nil || s.deps.Trail == nil {
		return errMessagesOff
	}
	ref, err := s.messageRef(r, g, r.PostForm, inspect.DeadLetterTopic(g.Group))
	if err != nil {
		return err
	}
	if _, err := s.deps.Messages.Resend(ctx, s.auditWho(r), g.Cluster, g.Group, ref); err != nil {
		return err
	}
	http.Redirect(w, r, views.GroupHref(g.Cluster, g.Group)+"#dead-letters", http.StatusSeeOther)
	return nil
}

// auditWho is the actor and origin of r, for audit entries written outside the reset
// workflow.
func (s *Server) auditWho(r *http.Request) audit.Entry {
	w := s.who(r)
	return audit.Entry{Actor: w.Actor, Session: w.Session, SourceIP: w.SourceIP, UserAgent: w.UserAgent, RequestID: w.RequestID}
}

// messageMeta shapes a message read back for the page, without its body.
func messageMeta(m inspect.Message) views.MessageMeta {
	meta := views.MessageMeta{Topic: m.Ref.Topic, Broker: m.Broker, QueueID: m.Ref.QueueID, Offset: m.Offset, MsgID: m.MsgID,
		Keys: m.Keys(), Tag: m.Tag(), StoredAt: m.StoredAt, BornAt: m.BornAt, BornHost: m.BornHost,
		Size: m.StoreSize, ReconsumeTimes: m.ReconsumeTimes}
	if m.Body != nil {
		meta.Size = len(m.Body)
	}
	for k, v := range m.Properties {
		if !brokerProperty(k) {
			meta.Properties = append(meta.Properties, [2]string{k, v})
		}
	}
	sort.Slice(meta.Properties, func(i, j int) bool { return meta.Properties[i][0] < meta.Properties[j][0] })
	return meta
}

// brokerProperty reports properties shown elsewhere on the page or kept by the broker for
// itself.
func brokerProperty(k string) bool {
	switch k {
	case mqadmin.PropKeys, mqadmin.PropTags, "UNIQ_KEY", "REAL_TOPIC", "REAL_QID", "MIN_OFFSET", "MAX_OFFSET",
		"CLUSTER", "WAIT", "CONSUME_START_TIME", "TRACE_ON", "MSG_REGION", "PGROUP", "DELAY":
		return true
	}
	return false
}
