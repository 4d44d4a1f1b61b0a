package storage_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lagboard/lagboard/internal/stack/stacktest"
	"github.com/lagboard/lagboard/internal/storage"
)

// saveGroups stores groups of a cluster with the given names, all OK but the first, STALL.
func saveGroups(t *testing.T, pool *pgxpool.Pool, cluster string, names ...string) {
	t.Helper()
	ctx := context.Background()
	c, err := storage.UpsertCluster(ctx, pool, cluster, []string{"127.0.0.1:9876"})
	if err != nil {
		t.Fatal(err)
	}
	cy := storage.Cycle{ClusterID: c.ID, At: time.Now()}
	for i, n := range names {
		lag, secs := int64(10*(i+1)), float64(i+1)
		health := "OK"
		if i == 0 {
			health = "STALL"
		}
		cy.Groups = append(cy.Groups, storage.GroupState{Group: n, MessageModel: "CLUSTERING", ConsumeType: "CONSUME_PASSIVELY",
			Topics: []string{"t"}, Lag: &lag, LagSeconds: &secs, LagTimeSource: "exact", Health: health, PolledAt: cy.At})
	}
	if err := storage.SaveCycle(ctx, pool, cy); err != nil {
		t.Fatal(err)
	}
}

// TestScopeKeepsOnlyVisibleGroups: every read of the pages shows the scope's groups and
// nothing else, with patterns, exceptions and names that hold LIKE's special characters.
func TestScopeKeepsOnlyVisibleGroups(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	saveGroups(t, pool, "prod", "billing-a", "billing-b", "orders", "billing_x", "secret-billing-c")
	saveGroups(t, pool, "staging", "billing-a", "orders", "%RETRY%billing-a")
	tests := []struct {
		name  string
		scope storage.Scope
		want  []string
	}{
		{"nothing", storage.Scope{}, nil},
		{"whole cluster", storage.Scope{Clusters: []storage.ClusterScope{{Name: "staging", Groups: []string{"*"}}}},
			[]string{"staging/%RETRY%billing-a", "staging/billing-a", "staging/orders"}},
		{"patterns", storage.Scope{Clusters: []storage.ClusterScope{{Name: "prod", Groups: []string{"billing-*"}}, {Name: "staging", Groups: []string{"orders"}}}},
			[]string{"prod/billing-a", "prod/billing-b", "staging/orders"}},
		{"underscore is literal", storage.Scope{Clusters: []storage.ClusterScope{{Name: "prod", Groups: []string{"billing_*"}}}},
			[]string{"prod/billing_x"}},
		{"percent is literal", storage.Scope{Clusters: []storage.ClusterScope{{Name: "staging", Groups: []string{"%RETRY%*"}}}},
			[]string{"staging/%RETRY%billing-a"}},
		{"exceptions", storage.Scope{Clusters: []storage.ClusterScope{{Name: "prod", Groups: []string{"*"}, Except: []string{"secret-*", "*-b"}}}},
			[]string{"prod/billing-a", "prod/billing_x", "prod/orders"}},
		{"inner star", storage.Scope{Clusters: []storage.ClusterScope{{Name: "prod", Groups: []string{"*billing*"}}}},
			[]string{"prod/billing-a", "prod/billing-b", "prod/billing_x", "prod/secret-billing-c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := storage.ListGroups(ctx, pool, storage.GroupQuery{Scope: tt.scope, Sort: "group", Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range page.Rows {
				got = append(got, r.Cluster+"/"+r.Group)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) || page.Total != len(tt.want) {
				t.Errorf("listed %v (total %d), want %v", got, page.Total, tt.want)
			}
			counts, err := storage.HealthCounts(ctx, pool, tt.scope)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, c := range counts {
				n += c.Groups
			}
			if n != len(tt.want) {
				t.Errorf("counts %v add up to %d, want %d", counts, n, len(tt.want))
			}
			byTime, _, err := storage.WorstGroups(ctx, pool, tt.scope, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(byTime) != len(tt.want) {
				t.Errorf("%d worst groups, want %d", len(byTime), len(tt.want))
			}
			// Past the last page the total is still counted within the scope.
			past, err := storage.ListGroups(ctx, pool, storage.GroupQuery{Scope: tt.scope, Limit: 1, Offset: 50})
			if err != nil || past.Total != len(tt.want) {
				t.Errorf("past the end: total %d, %v", past.Total, err)
			}
		})
	}
	a := storage.Scope{Clusters: []storage.ClusterScope{{Name: "prod", Groups: []string{"billing-*"}}}}
	b := storage.Scope{Clusters: []storage.ClusterScope{{Name: "prod", Groups: []string{"*"}}}}
	if a.Key() == b.Key() || b.Key() != (storage.Scope{Clusters: []storage.ClusterScope{{Name: "prod", Groups: []string{"**"}}}}).Key() {
		t.Errorf("keys %q and %q", a.Key(), b.Key())
	}
}

// insertReset stores a reset request in a state, executed (and verified: an executed
// request still being verified counts as open) at executed when not zero.
func insertReset(t *testing.T, pool *pgxpool.Pool, cluster, group, state string, requested, executed time.Time) string {
	t.Helper()
	var ex *time.Time
	if !executed.IsZero() {
		ex = &executed
	}
	var id string
	err := pool.QueryRow(context.Background(), `INSERT INTO reset_request (id, cluster, group_name, topic, kind, params, reason, preview,
			required_approvals, state, requested_by, requested_by_name, requested_at, expires_at, executed_at, verified_at, updated_at)
		VALUES (gen_random_uuid(), $1, $2, 'topic-'||$2, 'earliest', '{}', 'test', '{}', 1, $3, 'sub', 'Olga Operator', $4, $4::timestamptz + interval '1 day', $5, $5, $4)
		RETURNING id::text`, cluster, group, state, requested, ex).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestResetReads(t *testing.T) {
	ctx := context.Background()
	pool := stacktest.DB(t)
	now := time.Now().Truncate(time.Second)
	at := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	var ids []string
	for i, state := range []string{"verified", "failed", "pending", "not_honoured", "rejected", "partial", "executed"} {
		var ex time.Time
		if state != "pending" && state != "rejected" {
			ex = at(-60 + i)
		}
		ids = append(ids, insertReset(t, pool, "prod", "billing-a", state, at(-120+i), ex))
	}
	hidden := insertReset(t, pool, "prod", "orders", "verified", at(-10), at(-5))
	old := insertReset(t, pool, "prod", "billing-a", "verified", at(-3*24*60), at(-3*24*60+1))

	scope := storage.Scope{Clusters: []storage.ClusterScope{{Name: "prod", Groups: []string{"billing-*"}}}}
	recent, err := storage.RecentResets(ctx, pool, scope, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recent {
		got = append(got, r.ID)
	}
	// Latest execution first; requests that never ran and other groups left out.
	want := []string{ids[6], ids[5], ids[3], ids[1], ids[0], old}
	if !slices.Equal(got, want) {
		t.Errorf("recent resets %v, want %v", got, want)
	}
	if recent[0].RequestedBy != "Olga Operator" || recent[0].Topic != "topic-billing-a" || recent[0].At() != at(-54) {
		t.Errorf("first reset %+v", recent[0])
	}
	if few, _ := storage.RecentResets(ctx, pool, scope, 2); len(few) != 2 {
		t.Errorf("limit 2 gave %d", len(few))
	}
	marks, err := storage.GroupResets(ctx, pool, "prod", "billing-a", at(-24*60), now)
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, r := range marks {
		got = append(got, r.ID)
	}
	// In the window, in order, only those that moved offsets (not failed, not the old one).
	if want := []string{ids[0], ids[3], ids[5], ids[6]}; !slices.Equal(got, want) {
		t.Errorf("chart resets %v, want %v", got, want)
	}
	if n, _ := storage.GroupResets(ctx, pool, "prod", "orders", at(-24*60), now); len(n) != 1 || n[0].ID != hidden {
		t.Errorf("orders resets %v", n)
	}
}
