package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// TestSortByTimeToDrain: the groups page sorts a backlog that will not drain as the longest
// time to drain, and an unknown estimate last in both directions.
func TestSortByTimeToDrain(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	c, err := storage.UpsertCluster(ctx, pool, "prod", []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	f := func(v float64) *float64 { return &v }
	drains := map[string]storage.Drain{
		"caught-up": {State: storage.DrainCaughtUp, Seconds: f(0)},
		"fast":      {State: storage.DrainDraining, Seconds: f(60)},
		"slow":      {State: storage.DrainDraining, Seconds: f(7200)},
		"growing":   {State: storage.DrainGrowing},
		"measuring": {State: storage.DrainUnknown, Reason: "measuring"},
	}
	cy := storage.Cycle{ClusterID: c.ID, At: now}
	for name, d := range drains {
		cy.Groups = append(cy.Groups, storage.GroupState{Group: name, Topics: []string{}, Health: "OK", LagTimeSource: "unknown", PolledAt: now})
		cy.GroupDrains = append(cy.GroupDrains, storage.GroupDrain{Group: name, Drain: d})
	}
	if err := storage.SaveCycle(ctx, pool, cy); err != nil {
		t.Fatal(err)
	}
	order := func(desc bool) []string {
		page, err := storage.ListGroups(ctx, pool, storage.GroupQuery{Scope: storage.Scope{Clusters: []storage.ClusterScope{{Name: "prod", Groups: []string{"*"}}}}, Sort: "drain", Desc: desc})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range page.Rows {
			out = append(out, r.Group)
		}
		return out
	}
	if got, want := order(true), []string{"growing", "slow", "fast", "caught-up", "measuring"}; !slices.Equal(got, want) {
		t.Errorf("descending: %v, want %v", got, want)
	}
	if got, want := order(false), []string{"caught-up", "fast", "slow", "growing", "measuring"}; !slices.Equal(got, want) {
		t.Errorf("ascending: %v, want %v", got, want)
	}
	g, err := storage.GroupRowOf(ctx, pool, "prod", "measuring")
	if err != nil || g.Drain.State != storage.DrainUnknown || g.Drain.Reason != "measuring" {
		t.Errorf("group row drain: %+v, %v", g.Drain, err)
	}
}
