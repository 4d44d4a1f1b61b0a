package reset_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestUnknownNamesAreRefused: a request is for a cluster, a topic and a consumer group
// that exist. Each one that does not is refused by name and nothing is stored; brokers
// answer the offsets of any group name, so without the check a typo became a request. A
// group the last poll stored is known even where the broker has no configuration for it.
func TestUnknownNamesAreRefused(t *testing.T) {
	for _, v := range stacktest.Versions(t) {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t, stacktest.Broker(t, v), nil)
			tp := newTopic(t, e, 2)
			tp.produce(t, e, 4)
			group := e.group(t, tp, tp.max)
			missingTopic, missingGroup := stacktest.Name(t, "t-missing"), stacktest.Name(t, "g-missing")
			requests := func(group string) int {
				t.Helper()
				var n int
				if err := e.pool.QueryRow(e.ctx, `SELECT count(*) FROM reset_request WHERE group_name = $1`, group).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			for _, tt := range []struct {
				name string
				spec reset.Spec
				text string
			}{
				{"cluster", reset.Spec{Cluster: "nowhere", Group: group, Topic: tp.name}, `There is no cluster "nowhere"`},
				{"topic", reset.Spec{Cluster: "local", Group: group, Topic: missingTopic}, "The topic " + missingTopic + " does not exist in cluster local"},
				{"group", reset.Spec{Cluster: "local", Group: missingGroup, Topic: tp.name}, "There is no consumer group " + missingGroup + " in cluster local"},
				{"group and topic", reset.Spec{Cluster: "local", Group: missingGroup, Topic: missingTopic}, "The topic " + missingTopic + " does not exist"},
			} {
				tt.spec.Kind = reset.ToEarliest
				_, err := e.svc.Create(e.ctx, operator, tt.spec, "replay", "")
				if errcode.Code(err) != errcode.NotFound || !strings.Contains(errcode.Message(err), tt.text) {
					t.Errorf("unknown %s: %v (message %q), want not found saying %q", tt.name, err, errcode.Message(err), tt.text)
				}
			}
			if n := requests(group) + requests(missingGroup); n != 0 {
				t.Errorf("%d requests stored for unknown names", n)
			}
			if _, err := e.svc.Create(e.ctx, operator, reset.Spec{Cluster: "local", Group: group, Topic: tp.name, Kind: reset.ToEarliest}, "replay", ""); err != nil {
				t.Fatalf("a group the broker knows: %v", err)
			}

			// The broker has no configuration for this group, but the last poll stored it.
			polled := stacktest.Name(t, "g-polled")
			c, err := storage.UpsertCluster(e.ctx, e.pool, "local", []string{e.r.NamesrvAddr})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now()
			if err := storage.SaveCycle(e.ctx, e.pool, storage.Cycle{ClusterID: c.ID, At: now, Groups: []storage.GroupState{{
				Group: polled, Topics: []string{tp.name}, LagTimeSource: "unknown", Health: "UNKNOWN", PolledAt: now,
			}}}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Create(e.ctx, operator, reset.Spec{Cluster: "local", Group: polled, Topic: tp.name, Kind: reset.ToEarliest}, "replay", ""); err != nil {
				t.Fatalf("a group the last poll stored: %v", err)
			}
		})
	}
}
