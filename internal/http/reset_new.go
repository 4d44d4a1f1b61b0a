package http

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// resetNew shows the request form for the cluster, group and topic of the query string,
// with the topic's queues once it is known. The same route reloads the form (htmx gets
// the form alone) with everything typed kept, when the user lists the queues.
func (s *Server) resetNew(w http.ResponseWriter, r *http.Request) error {
	if err := s.resetsOn(); err != nil {
		return err
	}
	in := parseResetForm(r.URL.Query())
	if err := s.mayRequest(r, in.form.Cluster, in.form.Group); err != nil {
		return err
	}
	m, err := s.resetFormModel(r, in)
	if err != nil {
		return err
	}
	if isHTMX(r) {
		s.render(w, r, http.StatusOK, views.ResetFormFragment(m))
		return nil
	}
	s.render(w, r, http.StatusOK, views.ResetNewView(s.formChrome(), m))
	return nil
}

// formChrome is the request form's frame, with its script for the time zone.
func (s *Server) formChrome() views.Chrome {
	c := s.chrome(views.SectionResets)
	c.Scripts = []string{"js/reset.js"}
	return c
}

// resetFormModel fills the form around what the user sent: the clusters they may request
// resets on, the group's known topics and the topic's queues as the brokers have them now.
func (s *Server) resetFormModel(r *http.Request, in resetInput) (views.ResetFormPage, error) {
	ctx, cancel := loadContext(r)
	defer cancel()
	var err error
	for _, c := range s.deps.Watched {
		if s.deps.Auth.Allowed(r.Context(), auth.PermRequestReset, auth.Scope{Cluster: c.Name}) {
			in.form.Clusters = append(in.form.Clusters, c.Name)
		}
	}
	if in.form.Cluster != "" && !slices.Contains(in.form.Clusters, in.form.Cluster) {
		in.form.Clusters = nil // an unknown cluster is typed, and the service names the problem
	}
	cluster := in.form.Cluster
	if cluster == "" && len(in.form.Clusters) > 0 {
		cluster = in.form.Clusters[0] // the cluster the form's select shows first
	}
	if in.form.Groups, err = s.suggestGroups(ctx, r, cluster, in.form.Group); err != nil {
		return views.ResetFormPage{}, err
	}
	topics, err := s.groupTopics(ctx, in.form.Cluster, in.form.Group, in.form.Topic)
	if err != nil {
		return views.ResetFormPage{}, err
	}
	in.form.Topics = topics
	if in.form.Cluster != "" && in.form.Group != "" && in.form.Topic != "" {
		spec := reset.Spec{Cluster: in.form.Cluster, Group: in.form.Group, Topic: in.form.Topic, Kind: reset.ToLatest}
		p, err := s.deps.Resets.Preview(ctx, s.who(r), spec)
		switch code := errcode.Code(err); {
		case err == nil:
			in.withQueues(p)
		case code == errcode.Forbidden || code == errcode.Internal:
			return views.ResetFormPage{}, err
		default:
			in.form.QueuesNote = "The topic's queues could not be listed: " + errcode.Message(err)
		}
	}
	return views.ResetFormPage{Form: in.form}, nil
}

// groupTopics returns the topics the poller stored for the group, its retry topic as a
// choice of its own, and the topic already chosen; nil when the group is not stored yet
// (the topic is then typed).
func (s *Server) groupTopics(ctx context.Context, cluster, group, chosen string) ([]string, error) {
	if s.deps.Store == nil || cluster == "" || group == "" {
		return nil, nil
	}
	g, err := storage.GroupRowOf(ctx, s.deps.Store, cluster, group)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range g.Topics {
		if !strings.HasPrefix(t, "%RETRY%") && !strings.HasPrefix(t, "%DLQ%") {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	out = append(out, "%RETRY%"+group)
	if chosen != "" && !slices.Contains(out, chosen) {
		out = append(out, chosen)
	}
	return out, nil
}
