package reset

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/storage"
)

// knownGroup refuses, as not found, a request for a consumer group the cluster does not
// know. Brokers answer the offsets of any group name, one never seen included (as none),
// so a typo would otherwise become a pending request. A group is known when the last poll
// stored it, or when a master of the topic has its subscription configuration, which
// brokers keep for every group that has consumed or was created. The topic is looked up
// first, so an unknown topic is named as such.
func (s *Service) knownGroup(ctx context.Context, c Cluster, spec Spec) error {
	route, err := topicRoute(ctx, c, spec.Topic)
	if err != nil {
		return err
	}
	_, err = storage.GroupRowOf(ctx, s.o.Pool, c.Name, spec.Group)
	switch {
	case err == nil:
		return nil
	case !errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("is group %s known: %w", spec.Group, err)
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
		if _, ok := groups[spec.Group]; ok {
			return nil
		}
	}
	return errcode.Errorf(errcode.NotFound,
		"There is no consumer group %s in cluster %s: no broker of the topic %s knows it, and the last poll did not find it. Check the group's name.",
		spec.Group, c.Name, spec.Topic)
}
