package http

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/views"
)

// previewView shapes a preview of spec for its table.
func previewView(p reset.Preview, spec reset.Spec) views.ResetPreview {
	v := views.ResetPreview{At: p.At, Instant: targetAt(spec), Totals: views.PreviewTotals{
		Queues: p.Totals.Queues, Changed: p.Totals.Changed, Clamped: p.Totals.Clamped,
		Reconsume: views.Count(p.Totals.Reconsume), Skip: views.Count(p.Totals.Skip),
	}}
	for _, q := range p.Queues {
		v.Rows = append(v.Rows, views.PreviewRow{
			Broker: q.Broker, QueueID: q.QueueID, Current: offsetText(q.Current),
			Min: views.Count(q.Min), Max: views.Count(q.Max), Requested: offsetText(q.Requested),
			Target: offsetText(q.Target), Clamped: q.Clamped, Left: q.NoSource, Change: signed(q.Change()),
			Reconsume: views.Count(q.Reconsume()), Skip: views.Count(q.Skip()),
		})
	}
	for _, w := range p.Warnings {
		v.Warnings = append(v.Warnings, views.ResetWarning{Code: w.Code, Text: w.Text, Blocking: w.Blocking})
		v.Blocked = v.Blocked || w.Blocking
	}
	for _, b := range p.Brokers {
		v.Brokers = append(v.Brokers, views.PreviewBroker{Name: b.Name, Version: b.Version, Path: string(b.Path), Online: b.Online})
	}
	return v
}

// signed formats a change with its sign: "−1,200", "+30", "0".
func signed(n int64) string {
	switch {
	case n > 0:
		return "+" + views.Count(n)
	case n < 0:
		return "−" + views.Count(-n)
	}
	return "0"
}

// scopeText says which queues a request covers.
func scopeText(s reset.Spec) string {
	if s.AllQueues() {
		return "every queue of the topic"
	}
	out := ""
	for i, q := range s.Queues {
		if i > 0 {
			out += ", "
		}
		out += q.String()
	}
	return out
}

// closedBy names who closed a request; the workflow itself for expiry.
func closedBy(r reset.Request) string {
	if r.ClosedByName != "" {
		return r.ClosedByName
	}
	if r.ClosedBy != "" {
		return r.ClosedBy
	}
	return "the reset workflow"
}

// outcomeView shapes an execution's outcome.
func outcomeView(o reset.Outcome) views.ResetOutcome {
	v := views.ResetOutcome{At: o.At}
	for _, q := range o.Queues {
		v.Rows = append(v.Rows, views.OutcomeRow{Queue: q.String(), Path: string(q.Path), Before: offsetText(q.Before),
			Target: offsetText(q.Target), Result: string(q.Result), Error: q.Error, Left: q.Left})
		switch q.Result {
		case reset.Changed:
			v.Changed++
		case reset.Unchanged:
			v.Unchanged++
		case reset.Handed:
			v.Handed++
		case reset.FailedQ:
			v.Failed++
		}
	}
	return v
}

// verificationView shapes what the verifier saw; done once the verifier concluded.
func verificationView(v reset.Verification, verifiedAt *time.Time) views.ResetVerification {
	out := views.ResetVerification{At: v.At, Done: verifiedAt != nil}
	if !v.Until.IsZero() {
		u := v.Until
		out.Until = &u
	}
	if !v.Deadline.IsZero() {
		d := v.Deadline
		out.Deadline = &d
	}
	var clients []string
	for _, q := range v.Queues {
		row := views.VerifyRow{Queue: q.String(), Before: offsetText(q.Before), Target: views.Count(q.Target),
			Seen: offsetText(q.Seen), Verdict: string(q.Verdict), Label: verdictLabel(q.Verdict, q.RevertedBy, q.Honoured),
			Honoured: q.Honoured, Owner: q.Owner, Dropped: q.LogDropped}
		for _, o := range q.Log {
			row.Log = append(row.Log, views.VerifyObservation{At: o.At, Offset: offsetText(o.Offset), Verdict: string(o.Verdict),
				Label: verdictLabel(o.Verdict, o.By, o.Verdict.Keeps())})
		}
		out.Rows = append(out.Rows, row)
		for _, c := range q.Clients {
			if !slices.Contains(clients, c) {
				clients = append(clients, c)
			}
		}
	}
	out.Clients = strings.Join(clients, ", ")
	return out
}

// verdictLabel says a verdict in words, naming the client of a revert; verifications
// begun before verdicts were recorded have only the honoured mark.
func verdictLabel(v reset.Verdict, by string, honoured bool) string {
	switch {
	case v == reset.Reverted && by != "":
		return "reverted by " + by
	case v != "":
		return v.Label()
	case honoured:
		return "kept"
	}
	return "not kept"
}

// listRow shapes a request for the list.
func listRow(r reset.Request) views.ResetListRow {
	row := views.ResetListRow{
		ID: r.ID, Href: views.ResetRequestHref(r.ID), Cluster: r.Cluster, Group: r.Group, Topic: r.Topic,
		Target: r.Spec.Describe(), TargetAt: targetAt(r.Spec), Scope: scopeShort(r.Spec), State: string(r.State),
		StateLabel: r.State.Label(), RequestedBy: r.RequestedByName, RequestedAt: r.RequestedAt,
		Approvals: r.Approvals(), Required: r.RequiredApprovals,
	}
	if r.Batched() {
		row.Href = views.ResetRequestHref(r.BatchID)
		row.Batch = strconv.Itoa(r.BatchIndex+1) + " of " + strconv.Itoa(r.BatchSize)
	}
	return row
}

// targetAt is the instant of a reset to a point in time, nil for other kinds.
func targetAt(s reset.Spec) *time.Time {
	if s.Kind != reset.ToTime || s.Time.IsZero() {
		return nil
	}
	t := s.Time
	return &t
}

func scopeShort(s reset.Spec) string {
	if s.AllQueues() {
		return "all queues"
	}
	return humanize.Plural(len(s.Queues), "queue", "queues")
}
