package http

import (
	"fmt"
	"time"

	"github.com/lagboard/lagboard/internal/reset"
	"github.com/lagboard/lagboard/internal/views"
)

// previewView shapes a preview for its table.
func previewView(p reset.Preview) views.ResetPreview {
	v := views.ResetPreview{At: p.At, Totals: views.PreviewTotals{
		Queues: p.Totals.Queues, Changed: p.Totals.Changed, Clamped: p.Totals.Clamped,
		Reconsume: views.Count(p.Totals.Reconsume), Skip: views.Count(p.Totals.Skip),
	}}
	for _, q := range p.Queues {
		v.Rows = append(v.Rows, views.PreviewRow{
			Broker: q.Broker, QueueID: q.QueueID, Current: offsetText(q.Current),
			Min: views.Count(q.Min), Max: views.Count(q.Max), Requested: views.Count(q.Requested),
			Target: views.Count(q.Target), Clamped: q.Clamped, Change: signed(q.Change()),
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
			Target: views.Count(q.Target), Result: string(q.Result), Error: q.Error})
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
	for _, q := range v.Queues {
		out.Rows = append(out.Rows, views.VerifyRow{Queue: q.String(), Target: views.Count(q.Target),
			Seen: offsetText(q.Seen), Honoured: q.Honoured, HonouredAt: q.HonouredAt})
	}
	return out
}

// listRow shapes a request for the list.
func listRow(r reset.Request) views.ResetListRow {
	return views.ResetListRow{
		ID: r.ID, Href: views.ResetRequestHref(r.ID), Cluster: r.Cluster, Group: r.Group, Topic: r.Topic,
		Target: fmt.Sprintf("%s (%s)", r.Spec.Describe(), scopeShort(r.Spec)), State: string(r.State),
		StateLabel: r.State.Label(), RequestedBy: r.RequestedByName, RequestedAt: r.RequestedAt,
		Approvals: r.Approvals(), Required: r.RequiredApprovals,
	}
}

func scopeShort(s reset.Spec) string {
	if s.AllQueues() {
		return "all queues"
	}
	return fmt.Sprintf("%d queues", len(s.Queues))
}
