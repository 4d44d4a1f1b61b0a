package audit

import (
	"reflect"
	"testing"
	"time"
)

func TestMonthlySummary(t *testing.T) {
	pool, _ := open(t)
	day := func(m time.Month, d, h, min int) time.Time { return time.Date(2026, m, d, h, min, 0, 0, time.UTC) }
	login := func(who string, at time.Time, o Outcome) Entry {
		return Entry{At: at, Actor: Actor{Subject: who}, Action: ActionLogin, Outcome: o}
	}
	denied := func(at time.Time) Entry {
		return Entry{At: at, Actor: Actor{Subject: "eve"}, Action: ActionAccessDenied, Outcome: Denied}
	}
	r := resetEntry
	add(t, pool,
		// January. r1: approved after 30 min, approved again later (not counted), executed,
		// then found not honoured.
		r(ActionResetRequested, "op", "prod", "g1", "r1", "latest", day(1, 5, 10, 0), Success),
		r(ActionResetApproved, "ap1", "prod", "g1", "r1", "latest", day(1, 5, 10, 30), Success),
		r(ActionResetApproved, "ap2", "prod", "g1", "r1", "latest", day(1, 5, 11, 0), Success),
		r(ActionResetExecuted, "op", "prod", "g1", "r1", "latest", day(1, 5, 12, 0), Success),
		r(ActionResetNotHonoured, SystemSubject, "prod", "g1", "r1", "latest", day(1, 6, 0, 0), Success),
		// r2: approved after 2 h, executed partly (a failure).
		r(ActionResetRequested, "op", "prod", "g2", "r2", "timestamp", day(1, 10, 0, 0), Success),
		r(ActionResetApproved, "ap1", "prod", "g2", "r2", "timestamp", day(1, 10, 2, 0), Success),
		r(ActionResetExecuted, "op", "prod", "g2", "r2", "timestamp", day(1, 10, 3, 0), Failure),
		// r3: approved in January after 1 h, executed in February.
		r(ActionResetRequested, "op", "staging", "g3", "r3", "latest", day(1, 20, 0, 0), Success),
		r(ActionResetApproved, "ap1", "staging", "g3", "r3", "latest", day(1, 20, 1, 0), Success),
		r(ActionResetExecuted, "op", "staging", "g3", "r3", "latest", day(2, 1, 0, 30), Success),
		// r4: requested in January, approved in February after 2 h.
		r(ActionResetRequested, "op", "prod", "g4", "r4", "exact", day(1, 31, 23, 0), Success),
		r(ActionResetApproved, "ap2", "prod", "g4", "r4", "exact", day(2, 1, 1, 0), Success),
		// r5: rejected, never approved; r6: approved after 20 min.
		r(ActionResetRequested, "op", "prod", "g5", "r5", "shift", day(2, 2, 0, 0), Success),
		r(ActionResetRejected, "ap1", "prod", "g5", "r5", "shift", day(2, 2, 1, 0), Success),
		r(ActionResetRequested, "op", "prod", "g6", "r6", "earliest", day(2, 3, 0, 0), Success),
		r(ActionResetApproved, "ap1", "prod", "g6", "r6", "earliest", day(2, 3, 0, 20), Success),
		login("alice", day(1, 2, 9, 0), Success),
		login("alice", day(1, 3, 9, 0), Success),
		login("bob", day(1, 3, 9, 5), Success),
		login("carol", day(1, 4, 9, 0), Failure),
		login("dave", day(1, 4, 9, 0), Denied),
		denied(day(1, 7, 0, 0)),
		denied(day(1, 31, 23, 59)),
		login("alice", day(2, 1, 9, 0), Success),
		// Outside the range asked for.
		denied(day(4, 1, 0, 0)),
		login("alice", day(12, 31, 23, 0).AddDate(-1, 0, 0), Success),
	)
	got, err := MonthlySummary(t.Context(), pool, day(1, 15, 0, 0), day(3, 3, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := []Month{
		{
			Start: day(1, 1, 0, 0),
			Resets: []ResetCount{
				{Cluster: "prod", Kind: "latest", Executed: 1},
				{Cluster: "prod", Kind: "timestamp", Executed: 1, Failed: 1},
			},
			Approved: 3, MedianApproval: time.Hour,
			Denied: 3, NotHonoured: 1, Logins: 3, LoginUsers: 2,
		},
		{
			Start:    day(2, 1, 0, 0),
			Resets:   []ResetCount{{Cluster: "staging", Kind: "latest", Executed: 1}},
			Approved: 2, MedianApproval: 70 * time.Minute, // (20 min + 2 h) / 2
			Logins: 1, LoginUsers: 1,
		},
		{Start: day(3, 1, 0, 0)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("summary\n got %+v\nwant %+v", got, want)
	}
	if got[0].ExecutedResets() != 2 {
		t.Fatalf("January executed %d", got[0].ExecutedResets())
	}
}
