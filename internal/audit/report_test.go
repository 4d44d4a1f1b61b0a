package audit

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// add appends each entry in a transaction of its own, in order, so entry i gets seq i+1
// on an empty chain.
func add(t testing.TB, pool *pgxpool.Pool, es ...Entry) {
	t.Helper()
	for _, e := range es {
		if err := pgx.BeginFunc(t.Context(), pool, func(tx pgx.Tx) error { return Append(t.Context(), tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
}

// resetEntry is an entry of the reset workflow as internal/reset writes them.
func resetEntry(action Action, who, cluster, group, id, kind string, at time.Time, o Outcome) Entry {
	params, _ := JSON(map[string]any{"reset_id": id, "kind": kind})
	return Entry{At: at, Actor: Actor{Subject: who}, Action: action, Outcome: o,
		Target: Target{Cluster: cluster, Group: group, Topic: "orders"}, Parameters: params}
}

var base = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// seedReports appends ten entries (seq 1 to 10) that the filter tests select from.
func seedReports(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	alice := Actor{Subject: "alice", Email: "alice@corp.test"}
	bob := Actor{Subject: "u-2", Email: "bob@corp.test"}
	add(t, pool,
		Entry{At: base, Actor: alice, Action: ActionLogin, Outcome: Success},                                                                        // 1
		Entry{At: base.Add(time.Hour), Actor: bob, Action: ActionAccessDenied, Outcome: Denied, Target: Target{Cluster: "prod", Group: "payments"}}, // 2
		resetEntry(ActionResetRequested, "carol", "prod", "payments", "r1", "latest", base.Add(2*time.Hour), Success),                               // 3
		resetEntry(ActionResetApproved, "dave", "prod", "payments", "r1", "latest", base.Add(3*time.Hour), Success),                                 // 4
		resetEntry(ActionResetExecuted, "carol", "prod", "payments", "r1", "latest", base.Add(4*time.Hour), Success),                                // 5
		Entry{At: base.Add(5 * time.Hour), Actor: bob, Action: ActionLogin, Outcome: Failure, Error: "state mismatch"},                              // 6
		Entry{At: base.Add(24 * time.Hour), Actor: alice, Action: ActionAccessDenied, Outcome: Denied, Target: Target{Cluster: "staging", Group: "billing"}},
		Entry{At: base.Add(48 * time.Hour), Actor: Actor{Subject: SystemSubject}, Action: ActionPolicyReloaded, Outcome: Success},                                                  // 8
		resetEntry(ActionResetNotHonoured, SystemSubject, "prod", "payments", "r1", "latest", base.Add(49*time.Hour), Success),                                                     // 9
		Entry{At: base.Add(50 * time.Hour), Actor: Actor{Subject: "50%_off"}, Action: ActionAccessDenied, Outcome: Denied, Target: Target{Cluster: "prod", Group: "payments-old"}}, // 10
	)
}

func seqs(es []Entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func TestListFilters(t *testing.T) {
	pool, _ := open(t)
	seedReports(t, pool)
	tests := []struct {
		name string
		f    Filter
		want []int64
	}{
		{"everything, newest first", Filter{}, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"time range, end excluded", Filter{From: base.Add(time.Hour), To: base.Add(4 * time.Hour)}, []int64{4, 3, 2}},
		{"from only", Filter{From: base.Add(48 * time.Hour)}, []int64{10, 9, 8}},
		{"actor by subject, any case", Filter{Actor: "ALIC"}, []int64{7, 1}},
		{"actor by e-mail", Filter{Actor: "bob@"}, []int64{6, 2}},
		{"actor wildcards are literal", Filter{Actor: "%_"}, []int64{10}},
		{"exact action", Filter{Action: "reset.approved"}, []int64{4}},
		{"exact action is not a prefix", Filter{Action: "login"}, []int64{6, 1}},
		{"action prefix", Filter{Action: "reset."}, []int64{9, 5, 4, 3}},
		{"cluster", Filter{Cluster: "prod"}, []int64{10, 9, 5, 4, 3, 2}},
		{"cluster and group, exactly", Filter{Cluster: "prod", Group: "payments"}, []int64{9, 5, 4, 3, 2}},
		{"outcome", Filter{Outcome: Denied}, []int64{10, 7, 2}},
		{"everything at once", Filter{Action: "access_denied", Cluster: "prod", Outcome: Denied, Actor: "corp", From: base}, []int64{2}},
		{"nothing matches", Filter{Cluster: "nowhere"}, []int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := List(t.Context(), pool, tt.f, Page{})
			if err != nil {
				t.Fatal(err)
			}
			if got := seqs(l.Entries); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	// Entries come back whole.
	l, err := List(t.Context(), pool, Filter{Action: "reset.requested"}, Page{})
	if err != nil || len(l.Entries) != 1 {
		t.Fatal(l, err)
	}
	e := l.Entries[0]
	if e.Actor.Subject != "carol" || e.Target.Topic != "orders" || string(e.Parameters) != `{"kind":"latest","reset_id":"r1"}` ||
		!e.At.Equal(base.Add(2*time.Hour)) || len(e.Hash) != 64 || len(e.PrevHash) != 64 {
		t.Fatalf("entry %+v", e)
	}
	if h, err := HashOf(e); err != nil || h != e.Hash {
		t.Fatalf("listed entry hashes to %s, stored %s: %v", h, e.Hash, err)
	}
}

func TestListPages(t *testing.T) {
	pool, _ := open(t)
	seedReports(t, pool)
	tests := []struct {
		page         Page
		want         []int64
		newer, older int64
	}{
		{Page{Limit: 4}, []int64{10, 9, 8, 7}, 0, 7},
		{Page{Before: 7, Limit: 4}, []int64{6, 5, 4, 3}, 6, 3},
		{Page{Before: 3, Limit: 4}, []int64{2, 1}, 2, 0},
		{Page{After: 6, Limit: 4}, []int64{10, 9, 8, 7}, 0, 7},
		{Page{After: 2, Limit: 4}, []int64{6, 5, 4, 3}, 6, 3},
		{Page{Before: 1, Limit: 4}, []int64{}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.page), func(t *testing.T) {
			l, err := List(t.Context(), pool, Filter{}, tt.page)
			if err != nil {
				t.Fatal(err)
			}
			if got := seqs(l.Entries); !slices.Equal(got, tt.want) || l.Newer != tt.newer || l.Older != tt.older {
				t.Fatalf("got %v newer %d older %d; want %v newer %d older %d", got, l.Newer, l.Older, tt.want, tt.newer, tt.older)
			}
		})
	}
	// Filters and pages together: two denials per page.
	l, err := List(t.Context(), pool, Filter{Outcome: Denied}, Page{Limit: 2})
	if err != nil || !slices.Equal(seqs(l.Entries), []int64{10, 7}) || l.Older != 7 {
		t.Fatal(seqs(l.Entries), l.Older, err)
	}
	l, err = List(t.Context(), pool, Filter{Outcome: Denied}, Page{Before: l.Older, Limit: 2})
	if err != nil || !slices.Equal(seqs(l.Entries), []int64{2}) || l.Older != 0 || l.Newer != 2 {
		t.Fatal(seqs(l.Entries), l, err)
	}
}

func TestTimeline(t *testing.T) {
	pool, _ := open(t)
	seedReports(t, pool)
	tests := []struct {
		page         Page
		want         []int64
		newer, older int64
	}{
		{Page{}, []int64{2, 3, 4, 5, 9}, 0, 0},
		{Page{Limit: 2}, []int64{2, 3}, 3, 0},
		{Page{After: 3, Limit: 2}, []int64{4, 5}, 5, 4},
		{Page{After: 5, Limit: 2}, []int64{9}, 0, 9},
		{Page{Before: 4, Limit: 2}, []int64{2, 3}, 3, 0},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%+v", tt.page), func(t *testing.T) {
			l, err := Timeline(t.Context(), pool, "prod", "payments", tt.page)
			if err != nil {
				t.Fatal(err)
			}
			if got := seqs(l.Entries); !slices.Equal(got, tt.want) || l.Newer != tt.newer || l.Older != tt.older {
				t.Fatalf("got %v newer %d older %d; want %v newer %d older %d", got, l.Newer, l.Older, tt.want, tt.newer, tt.older)
			}
		})
	}
	if l, err := Timeline(t.Context(), pool, "staging", "payments", Page{}); err != nil || len(l.Entries) != 0 {
		t.Fatalf("another cluster's group: %v, %v", seqs(l.Entries), err)
	}
}
