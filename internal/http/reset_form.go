package http

import (
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/views"
)

// resetInput is the request form as the user sent it: what to show again, whatever
// happens, and the spec it asks for.
type resetInput struct {
	form views.ResetForm
	spec reset.Spec
	// specs are the form's spec and one more for each other group and topic listed: a
	// request of several when there is more than one.
	specs []reset.Spec
	// checked and offsets are the queue fields, by "broker/queueId" label.
	checked map[string]bool
	offsets map[string]string
	// err says what is wrong with the input (errcode.Invalid); the form is kept anyway.
	err error
}

// datetime-local values, with and without seconds; parsing also takes a fraction after the
// seconds, such as .250.
var localLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04"}

// parseResetForm reads the request form. It never fails: a wrong field is in err, and
// everything typed is in form to show again.
func parseResetForm(v url.Values) resetInput {
	get := func(k string) string { return strings.TrimSpace(v.Get(k)) }
	in := resetInput{checked: map[string]bool{}, offsets: map[string]string{}}
	f := &in.form
	f.Cluster, f.Group, f.Topic, f.Kind = get("cluster"), get("group"), get("topic"), get("kind")
	f.Time, f.TimeUTC, f.By, f.Scope, f.Source = get("time"), get("time_utc"), get("by"), get("scope"), get("source")
	f.Reason, f.Ticket, f.More = v.Get("reason"), v.Get("ticket"), v.Get("more")
	if f.Scope != "chosen" {
		f.Scope = "all"
	}
	exact := f.Kind == string(reset.ToOffsets)
	if exact {
		f.Scope = "chosen" // exact offsets cover the queues given one, and no other
	}
	for _, k := range reset.Kinds() {
		f.Kinds = append(f.Kinds, views.Option{Value: string(k), Label: k.Label()})
	}
	for _, q := range v["queue"] {
		in.checked[strings.TrimSpace(q)] = true
	}
	for k, vs := range v {
		if label, ok := strings.CutPrefix(k, "offset."); ok && len(vs) > 0 && strings.TrimSpace(vs[0]) != "" {
			in.offsets[label] = strings.TrimSpace(vs[0])
		}
	}
	if exact {
		in.checked = map[string]bool{}
		for label := range in.offsets {
			in.checked[label] = true
		}
	}
	in.spec, in.err = specOf(in)
	if in.err == nil {
		in.specs, in.err = moreSpecs(in.spec, f.More)
	}
	return in
}

// maxMoreLines bounds the other groups a form may list before the service counts them.
const maxMoreLines = 100

// moreSpecs is spec followed by a copy of it for each other group and topic listed in more,
// one per line: a group, or a group and a topic separated by white space (spec's topic when
// none is given).
func moreSpecs(spec reset.Spec, more string) ([]reset.Spec, error) {
	specs := []reset.Spec{spec}
	n := 0
	for line := range strings.Lines(more) {
		n++
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0:
			continue
		case n > maxMoreLines:
			return specs, errcode.Errorf(errcode.Invalid, "More than %d lines of other groups were given.", maxMoreLines)
		case len(fields) > 2:
			return specs, errcode.Errorf(errcode.Invalid, "Line %d of the other groups (%q) is not a group, or a group and a topic separated by a space.", n, strings.TrimSpace(line))
		}
		other := spec
		other.Group = fields[0]
		if len(fields) == 2 {
			other.Topic = fields[1]
		}
		specs = append(specs, other)
	}
	return specs, nil
}

// batch reports whether the form asks for a request of several groups or topics.
func (in resetInput) batch() bool { return len(in.specs) > 1 }

// specOf builds the spec the form asks for; the service checks the rest.
func specOf(in resetInput) (reset.Spec, error) {
	f := in.form
	s := reset.Spec{Cluster: f.Cluster, Group: f.Group, Topic: f.Topic, Kind: reset.Kind(f.Kind)}
	invalid := func(format string, args ...any) (reset.Spec, error) {
		return s, errcode.Errorf(errcode.Invalid, format, args...)
	}
	switch {
	case f.Cluster == "" || f.Group == "" || f.Topic == "":
		return invalid("Give the cluster, the consumer group and the topic.")
	case f.Kind == "":
		return invalid("Choose what to reset to.")
	}
	switch s.Kind {
	case reset.ToTime:
		t, err := parseFormTime(f.Time, f.TimeUTC)
		if err != nil {
			return s, err
		}
		s.Time = t
	case reset.Shift:
		n, err := strconv.ParseInt(f.By, 10, 64)
		if err != nil {
			return invalid("The shift must be a whole number of messages, such as -500 or 200.")
		}
		s.By = n
	case reset.ToGroup:
		if f.Source == "" {
			return invalid("Give the consumer group whose offsets to copy.")
		}
		s.Source = f.Source
	case reset.ToOffsets:
		s.Offsets = map[reset.QueueRef]int64{}
		for label, o := range in.offsets {
			q, err := reset.ParseQueue(label)
			if err != nil {
				return s, err
			}
			n, err := strconv.ParseInt(o, 10, 64)
			if err != nil {
				return invalid("The exact offset %q for queue %s is not a whole number.", o, label)
			}
			s.Offsets[q] = n
		}
	}
	if f.Scope == "chosen" && s.Kind != reset.ToOffsets {
		labels := make([]string, 0, len(in.checked))
		for l := range in.checked {
			labels = append(labels, l)
		}
		sort.Strings(labels)
		for _, l := range labels {
			q, err := reset.ParseQueue(l)
			if err != nil {
				return s, err
			}
			s.Queues = append(s.Queues, q)
		}
		if len(s.Queues) == 0 {
			return invalid("Tick the queues to reset, or choose every queue of the topic.")
		}
	}
	return s, nil
}

// parseFormTime reads the point in time, to the millisecond: the UTC instant the page's
// script computed from the viewer's time zone, or else the typed value read as UTC. A finer
// fraction is dropped, as brokers search store times in milliseconds.
func parseFormTime(local, utc string) (time.Time, error) {
	if utc != "" {
		if t, err := time.Parse(time.RFC3339, utc); err == nil {
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	if local == "" {
		return time.Time{}, errcode.Errorf(errcode.Invalid, "Give the point in time to reset to.")
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, local, time.UTC); err == nil {
			return t.Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, errcode.Errorf(errcode.Invalid, "The point in time %q is not a date and time such as 2025-03-01T14:30:05.250.", local)
}

// withQueues lists the topic's queues in the form, ticked and filled in as sent.
func (in *resetInput) withQueues(p reset.Preview) {
	for _, q := range p.Queues {
		label := q.String()
		in.form.Queues = append(in.form.Queues, views.FormQueue{
			Label: label, Checked: in.checked[label], Offset: in.offsets[label],
			Current: offsetText(q.Current), Min: views.Count(q.Min), Max: views.Count(q.Max),
		})
	}
}

// offsetText is a committed offset for people: "none" when the group has none.
func offsetText(n int64) string {
	if n < 0 {
		return "none"
	}
	return views.Count(n)
}
