package reset

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/mqadmin"
	"github.com/lagboard/lagboard/internal/storage"
)

// knownGroup refuses, as not found, a request for a consumer group the cluster does not
// know. Brokers answer the offsets of any group name, one never seen included (as none),
// so a typo would otherwise become a pending request. A group is known when the last poll
// stored it, or when a master of the topic has its subscription configuration, which
// brokers keep for every group that has consumed or was created. The topic is looked up
// first, so an unknown topic is named as such. The source group of a ToGroup reset must
// be known too.
func (s *Service) knownGroup(ctx context.Context, c Cluster, spec Spec) error {
	route, err := topicRoute(ctx, c, spec.Topic)
	if err != nil {
		return err
	}
	if err := s.known(ctx, c, route, spec.Group, spec.Topic, "consumer group"); err != nil {
		return err
	}
	if spec.Kind == ToGroup {
		return s.known(ctx, c, route, spec.Source, spec.Topic, "source group")
	}
	return nil
}

// known refuses a group neither the last poll nor a master of the topic knows; what names
// the group's part in the request for the message.
func (s *Service) known(ctx context.Context, c Cluster, route mqadmin.TopicRoute, group, topic, what string) error {
	_, err := storage.GroupRowOf(ctx, s.o.Pool, c.Name, group)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("is group %s known: %w", group, err)
	}
	for _, b := range route.Brokers {
		addr := b.MasterAddr()
		if addr == "" {
			continue
		}
		groups, err := c.Admin.SubscriptionGroups(ctx, addr)
		if err != nil {
			return brokerErr(b.BrokerName, "list its consumer groups", err)
		}
		if _, ok := groups[group]; ok {
			return nil
		}
	}
	return errcode.Errorf(errcode.NotFound,
		"There is no %s %s in cluster %s: no broker of the topic %s knows it, and the last poll did not find it. Check the group's name.",
		what, group, c.Name, topic)
}
