package freeze

import (
	"strings"
	"testing"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
)

func TestWindowCheck(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	once := Window{Name: "Black Friday", Clusters: []string{"prod-*"}, Groups: []string{"*"}, Kind: Once,
		Start: now.Add(24 * time.Hour), End: now.Add(96 * time.Hour), Zone: "Europe/Paris"}
	weekly := Window{Name: "Weekend", Clusters: []string{"prod"}, Groups: []string{"payments-*"}, Kind: Weekly,
		Days: []time.Weekday{time.Sunday, time.Saturday, time.Saturday}, From: 0, To: 0, Zone: "America/New_York"}
	tests := []struct {
		name    string
		w       Window
		change  func(*Window)
		wantErr string
	}{
		{name: "one-off", w: once, change: func(*Window) {}},
		{name: "weekly", w: weekly, change: func(*Window) {}},
		{name: "no name", w: once, change: func(w *Window) { w.Name = "  " }, wantErr: "Give the window a name"},
		{name: "ends before it starts", w: once, change: func(w *Window) { w.End = w.Start.Add(-time.Hour) },
			wantErr: "The window ends (2026-11-21 12:00 CET) before it starts (2026-11-21 13:00 CET)."},
		{name: "no length", w: once, change: func(w *Window) { w.End = w.Start }, wantErr: "ends when it starts"},
		{name: "over", w: once, change: func(w *Window) { w.Start, w.End = now.Add(-2*time.Hour), now.Add(-time.Hour) }, wantErr: "in the past"},
		{name: "no start", w: once, change: func(w *Window) { w.Start = time.Time{} }, wantErr: "when the window starts"},
		{name: "no cluster", w: once, change: func(w *Window) { w.Clusters = []string{" "} }, wantErr: "at least one cluster pattern"},
		{name: "bad group pattern", w: once, change: func(w *Window) { w.Groups = []string{"pay?"} }, wantErr: `The consumer group pattern "pay?" may use only *`},
		{name: "no zone", w: once, change: func(w *Window) { w.Zone = "Mars/Olympus" }, wantErr: `"Mars/Olympus" is not a time zone`},
		{name: "no day", w: weekly, change: func(w *Window) { w.Days = nil }, wantErr: "days of the week"},
		{name: "no kind", w: once, change: func(w *Window) { w.Kind = "" }, wantErr: "once or every week"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.w
			w.Clusters, w.Groups, w.Days = append([]string(nil), w.Clusters...), append([]string(nil), w.Groups...), append([]time.Weekday(nil), w.Days...)
			tt.change(&w)
			err := w.Check(now)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if errcode.Code(err) != errcode.Invalid || !strings.Contains(errcode.Message(err), tt.wantErr) {
				t.Fatalf("%v (message %q), want invalid saying %q", err, errcode.Message(err), tt.wantErr)
			}
		})
	}
	w := weekly
	if err := w.Check(now); err != nil || len(w.Days) != 2 || w.Days[0] != time.Sunday {
		t.Errorf("days not put in order and deduplicated: %v, %v", w.Days, err)
	}
}

func TestClock(t *testing.T) {
	for in, want := range map[string]Clock{"00:00": 0, "08:30": 510, "23:59": 1439} {
		if got, err := ParseClock(in); err != nil || got != want || got.String() != in {
			t.Errorf("%s: %d %v", in, got, err)
		}
	}
	for _, bad := range []string{"24:00", "8:5", "noon", "", "12:60", "-1:00"} {
		if _, err := ParseClock(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestWeeklyOccurrences: a weekly window is read in its zone, across midnight and across a
// change of daylight saving time.
func TestWeeklyOccurrences(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	nights := Window{Kind: Weekly, Days: []time.Weekday{time.Friday}, From: 22 * 60, To: 6 * 60, Zone: "Europe/Paris"}
	tests := []struct {
		name       string
		w          Window
		t          time.Time
		in         bool
		start, end time.Time
	}{
		{"Friday night, before midnight", nights, at("2026-03-27 23:30"), true, at("2026-03-27 22:00"), at("2026-03-28 06:00")},
		{"Saturday morning, the same night", nights, at("2026-03-28 05:59"), true, at("2026-03-27 22:00"), at("2026-03-28 06:00")},
		{"Saturday at its end", nights, at("2026-03-28 06:00"), false, time.Time{}, time.Time{}},
		{"Friday before it starts", nights, at("2026-03-27 21:59"), false, time.Time{}, time.Time{}},
		// Paris moves to summer time on 2026-03-29 at 02:00: the night of the 28th is an hour shorter.
		{"across the change to summer time", Window{Kind: Weekly, Days: []time.Weekday{time.Saturday}, From: 22 * 60, To: 6 * 60, Zone: "Europe/Paris"},
			at("2026-03-29 03:30"), true, at("2026-03-28 22:00"), at("2026-03-29 06:00")},
		{"the whole day", Window{Kind: Weekly, Days: []time.Weekday{time.Sunday}, From: 0, To: 0, Zone: "Europe/Paris"},
			at("2026-03-29 23:59"), true, at("2026-03-29 00:00"), at("2026-03-30 00:00")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, end, ok := tt.w.At(tt.t)
			if ok != tt.in || !start.Equal(tt.start) || !end.Equal(tt.end) {
				t.Errorf("At(%s) = %s, %s, %v; want %s, %s, %v", tt.t, start, end, ok, tt.start, tt.end, tt.in)
			}
		})
	}
	if d := at("2026-03-29 06:00").Sub(at("2026-03-28 22:00")); d != 7*time.Hour {
		t.Errorf("the short night lasts %s, want 7h", d)
	}
	start, _, ok := nights.Next(at("2026-03-28 07:00"))
	if !ok || !start.Equal(at("2026-04-03 22:00")) {
		t.Errorf("next Friday night: %s %v", start, ok)
	}
}

// TestEvaluate: only windows covering the group count; back-to-back windows make one
// freeze, which lasts until the last of them ends; the message names the windows in force
// and when resets run again.
func TestEvaluate(t *testing.T) {
	utc := func(s string) time.Time {
		v, _ := time.Parse("2006-01-02 15:04", s)
		return v
	}
	friday := Window{Name: "Friday", Kind: Once, Clusters: []string{"prod"}, Groups: []string{"payments-*"},
		Start: utc("2026-11-27 00:00"), End: utc("2026-11-28 00:00"), Zone: "UTC"}
	weekend := Window{Name: "Weekend", Kind: Weekly, Clusters: []string{"*"}, Groups: []string{"*"},
		Days: []time.Weekday{time.Saturday, time.Sunday}, Zone: "UTC"}
	billing := Window{Name: "Billing run", Kind: Once, Clusters: []string{"prod"}, Groups: []string{"billing-*"},
		Start: utc("2026-11-27 00:00"), End: utc("2026-12-31 00:00"), Zone: "UTC"}
	ws := []Window{friday, weekend, billing}

	st := Evaluate(ws, "prod", "payments-eu", utc("2026-11-27 12:00"))
	if st.Names() != `"Friday"` || !st.Until.Equal(utc("2026-11-30 00:00")) {
		t.Fatalf("Friday then the weekend: %s until %s", st.Names(), st.Until)
	}
	if got := st.Message(); got != `Change freeze "Friday" is in force: offset resets are not executed until 2026-11-30 00:00 UTC (2026-11-30 00:00 UTC).` {
		t.Errorf("message %q", got)
	}
	if st := Evaluate(ws, "staging", "payments-eu", utc("2026-11-27 12:00")); st.Frozen() {
		t.Errorf("another cluster is frozen by %s", st.Names())
	}
	if st := Evaluate(ws, "prod", "payments-eu", utc("2026-11-30 00:00")); st.Frozen() {
		t.Errorf("Monday is frozen by %s", st.Names())
	}
	st = Evaluate(ws, "prod", "billing-eu", utc("2026-11-28 12:00"))
	if st.Names() != `"Weekend", "Billing run"` || !st.Until.Equal(utc("2026-12-31 00:00")) {
		t.Errorf("two windows: %s until %s", st.Names(), st.Until)
	}
}
