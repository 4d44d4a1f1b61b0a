package http

import (
	"slices"
	"strings"

	"github.com/lagboard/lagboard/internal/storage"
	"github.com/lagboard/lagboard/internal/views"
)

// clientProgress shapes a broadcasting group's per-client offsets for its page: every
// client that reported offsets, with its queues, and every online client that did not,
// with why, by client id. Nothing when neither exists (the page says so).
func clientProgress(clients []storage.ClientState, rows []storage.ClientQueueState) []views.ClientProgress {
	var out []views.ClientProgress
	at := map[string]int{}
	for _, r := range rows {
		i, ok := at[r.ClientID]
		if !ok {
			i = len(out)
			at[r.ClientID] = i
			out = append(out, views.ClientProgress{ClientID: r.ClientID})
		}
		q := views.ClientQueue{Topic: r.Topic, Broker: r.Broker, QueueID: r.QueueID, Offset: r.CommitOffset}
		if r.MaxOffset != nil && *r.MaxOffset >= r.CommitOffset {
			lag := *r.MaxOffset - r.CommitOffset
			q.Lag = &lag
			out[i].Lag += lag
		} else {
			out[i].Unknown++
		}
		out[i].Queues = append(out[i].Queues, q)
	}
	if len(rows) == 0 {
		// Online clients that could not say are only worth a line when some client could,
		// or when one said why it could not.
		if !slices.ContainsFunc(clients, func(c storage.ClientState) bool { return c.OffsetsError != nil }) {
			return nil
		}
	}
	for _, c := range clients {
		if _, ok := at[c.ClientID]; ok {
			continue
		}
		why := "reported no offsets at the last poll"
		if c.OffsetsError != nil && *c.OffsetsError != "" {
			why = *c.OffsetsError
		}
		out = append(out, views.ClientProgress{ClientID: c.ClientID, Error: why})
	}
	slices.SortStableFunc(out, func(a, b views.ClientProgress) int { return strings.Compare(a.ClientID, b.ClientID) })
	return out
}
