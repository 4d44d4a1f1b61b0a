// Package freeze keeps change-freeze windows: times in which no offset reset may be
// executed on the clusters and consumer groups a window covers, unless an emergency
// override is approved (internal/reset). Requests and approvals go on during a freeze. A
// window is one-off, from an instant to another, or weekly: on chosen days, from a time of
// day to another, in a named time zone. Every change of a window is audited.
package freeze

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // named time zones whatever the host has installed
	"unicode/utf8"

	"github.com/lagboard/lagboard/internal/auth"
	"github.com/lagboard/lagboard/internal/errcode"
)

// Kind is how a window recurs.
type Kind string

// Kinds of window.
const (
	// Once is in force from Start to End, once.
	Once Kind = "once"
	// Weekly is in force on each of Days from From to To, in Zone; a To at or before From
	// ends on the next day (22:00 to 06:00 is overnight, 00:00 to 00:00 the whole day).
	Weekly Kind = "weekly"
)

// Window is a change-freeze window.
type Window struct {
	ID     string
	Name   string
	Reason string
	// Clusters and Groups are glob patterns, as in the access policy: "*" matches any run
	// of characters. The window covers a group when a pattern of each matches.
	Clusters, Groups []string
	Kind             Kind
	// Start and End bound a Once window: in force from Start, until End.
	Start, End time.Time
	// Days, From and To make a Weekly window.
	Days     []time.Weekday
	From, To Clock
	// Zone is the IANA time zone From and To are read in, and Start and End are shown in.
	Zone string

	CreatedBy, CreatedByName string
	CreatedAt                time.Time
	UpdatedBy, UpdatedByName string
	UpdatedAt                time.Time
}

// Clock is a time of day, in minutes after midnight.
type Clock int

// ParseClock reads "HH:MM" (24-hour).
func ParseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, errcode.Errorf(errcode.Invalid, "%q is not a time of day such as 08:30 or 22:00.", s)
	}
	return Clock(hh*60 + mm), nil
}

// String is the time of day as "HH:MM".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Limits keep a window readable whatever a form sends.
const (
	maxName     = 200
	maxReason   = 2000
	maxPatterns = 50
)

// Check validates the window and puts its days in order. Errors are errcode.Invalid with a
// message that says what to fix; now refuses one-off windows that are already over.
func (w *Window) Check(now time.Time) error {
	invalid := func(format string, args ...any) error { return errcode.Errorf(errcode.Invalid, format, args...) }
	w.Name, w.Reason = strings.TrimSpace(w.Name), strings.TrimSpace(w.Reason)
	switch {
	case w.Name == "":
		return invalid("Give the window a name, such as “Black Friday” or “Weekend”.")
	case utf8.RuneCountInString(w.Name) > maxName:
		return invalid("The name is longer than %d characters.", maxName)
	case utf8.RuneCountInString(w.Reason) > maxReason:
		return invalid("The reason is longer than %d characters.", maxReason)
	}
	var err error
	if w.Clusters, err = patterns("cluster", w.Clusters); err != nil {
		return err
	}
	if w.Groups, err = patterns("consumer group", w.Groups); err != nil {
		return err
	}
	if w.Zone == "" {
		w.Zone = "UTC"
	}
	if _, err := time.LoadLocation(w.Zone); err != nil || strings.EqualFold(w.Zone, "local") {
		return invalid("%q is not a time zone; use a name such as Europe/Paris, America/New_York or UTC.", w.Zone)
	}
	switch w.Kind {
	case Once:
		switch {
		case w.Start.IsZero() || w.End.IsZero():
			return invalid("Give when the window starts and when it ends.")
		case w.End.Before(w.Start):
			return invalid("The window ends (%s) before it starts (%s).", w.show(w.End), w.show(w.Start))
		case w.End.Equal(w.Start):
			return invalid("The window ends when it starts (%s): give it some length.", w.show(w.Start))
		case !w.End.After(now):
			return invalid("The window ended at %s, in the past.", w.show(w.End))
		}
		w.Start, w.End = w.Start.UTC().Truncate(time.Minute), w.End.UTC().Truncate(time.Minute)
		w.Days, w.From, w.To = nil, 0, 0
	case Weekly:
		if len(w.Days) == 0 {
			return invalid("Choose the days of the week the window is in force.")
		}
		for _, d := range w.Days {
			if d < time.Sunday || d > time.Saturday {
				return invalid("%d is not a day of the week.", d)
			}
		}
		slices.Sort(w.Days)
		w.Days = slices.Compact(w.Days)
		if w.From < 0 || w.From >= 24*60 || w.To < 0 || w.To >= 24*60 {
			return invalid("Give the times of day the window starts and ends, such as 22:00 and 06:00.")
		}
		w.Start, w.End = time.Time{}, time.Time{}
	default:
		return invalid("Choose whether the window is in force once or every week.")
	}
	return nil
}

// patterns checks a window's cluster or group patterns: at least one, each a glob in which
// only "*" is a wildcard.
func patterns(what string, ps []string) ([]string, error) {
	var out []string
	for _, p := range ps {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	switch {
	case len(out) == 0:
		return nil, errcode.Errorf(errcode.Invalid, "Give at least one %s pattern; * covers every %s.", what, what)
	case len(out) > maxPatterns:
		return nil, errcode.Errorf(errcode.Invalid, "%d %s patterns were given; a window may have at most %d.", len(out), what, maxPatterns)
	}
	for _, p := range out {
		if err := auth.CheckPattern(p); err != nil || len(p) > 255 {
			return nil, errcode.Errorf(errcode.Invalid, "The %s pattern %q may use only * as a wildcard, and no spaces.", what, p)
		}
	}
	return out, nil
}

// location is the window's time zone; UTC for a zone that no longer loads.
func (w Window) location() *time.Location {
	loc, err := time.LoadLocation(w.Zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// show writes an instant in the window's zone, with the zone's abbreviation.
func (w Window) show(t time.Time) string { return t.In(w.location()).Format("2006-01-02 15:04 MST") }

// Covers reports whether the window applies to the group of the cluster.
func (w Window) Covers(cluster, group string) bool {
	return auth.MatchAny(w.Clusters, cluster) && auth.MatchAny(w.Groups, group)
}

// occurrences lists the window's occurrences that start from a day before t's day to days
// after it, in order.
func (w Window) occurrences(t time.Time, days int) [][2]time.Time {
	if w.Kind == Once {
		return [][2]time.Time{{w.Start, w.End}}
	}
	loc := w.location()
	lt := t.In(loc)
	var out [][2]time.Time
	for d := -1; d <= days; d++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+d, 0, 0, 0, 0, loc)
		if !slices.Contains(w.Days, day.Weekday()) {
			continue
		}
		start := time.Date(day.Year(), day.Month(), day.Day(), int(w.From)/60, int(w.From)%60, 0, 0, loc)
		endDay := day.Day()
		if w.To <= w.From {
			endDay++
		}
		end := time.Date(day.Year(), day.Month(), endDay, int(w.To)/60, int(w.To)%60, 0, 0, loc)
		out = append(out, [2]time.Time{start, end})
	}
	return out
}

// At returns the occurrence of the window in force at t.
func (w Window) At(t time.Time) (start, end time.Time, ok bool) {
	for _, o := range w.occurrences(t, 0) {
		if !t.Before(o[0]) && t.Before(o[1]) {
			return o[0], o[1], true
		}
	}
	return time.Time{}, time.Time{}, false
}

// Next returns the window's first occurrence that has not ended at t: the one in force, or
// the next to come; none for a one-off window that is over.
func (w Window) Next(t time.Time) (start, end time.Time, ok bool) {
	for _, o := range w.occurrences(t, 7) {
		if t.Before(o[1]) {
			return o[0], o[1], true
		}
	}
	return time.Time{}, time.Time{}, false
}

// Describe says when the window is in force, in words: "once, from 2026-11-27 00:00 CET to
// 2026-11-30 09:00 CET" or "every Sat, Sun from 00:00 to 00:00 (the whole day), Europe/Paris".
func (w Window) Describe() string {
	if w.Kind == Once {
		return "once, from " + w.show(w.Start) + " to " + w.show(w.End)
	}
	var days []string
	for i := range 7 { // Monday first
		if d := time.Weekday((i + 1) % 7); slices.Contains(w.Days, d) {
			days = append(days, d.String()[:3])
		}
	}
	span := w.From.String() + " to " + w.To.String()
	switch {
	case w.From == w.To:
		span += " (the whole day)"
	case w.To < w.From:
		span += " the next day"
	}
	return "every " + strings.Join(days, ", ") + " from " + span + ", " + w.Zone
}
