package http

import (
	"fmt"
	"slices"

	"github.com/lagboard/lagboard/internal/humanize"
	"github.com/lagboard/lagboard/internal/storage"
)

// kindNotes says, once per page, what the group's kind of consumption means for its figures
// and what RocketMQ cannot tell about it.
func kindNotes(g storage.GroupRow, queues []storage.QueueState, clients []storage.ClientState) []string {
	var notes []string
	switch g.Kind {
	case "pull":
		notes = append(notes, "A pull consumer fetches messages and sets its offsets itself, and may keep them in its "+
			"application without ever committing them: Lagboard sees only what it commits to the brokers. It need hold "+
			"no connection, so no client online does not make it offline; only its commits show progress.")
	case "simple":
		notes = append(notes, "A simple consumer (RocketMQ 5.x) receives messages through the proxy and acknowledges each "+
			"one. A queue's consumer offset here is how far the broker has handed messages out; one handed out and not "+
			"acknowledged within its invisible time comes back through the group's retry topic. RocketMQ 5.3.3 registers "+
			"simple consumers with the broker as pull consumers: Lagboard tells them apart by the broker's pop statistics.")
		notes = append(notes, inflightNote(g))
	case "pop":
		notes = append(notes, "This group consumes by pop: the broker hands out messages per request, so queues have no "+
			"owner client and progress moves by acknowledgement.", inflightNote(g))
	}
	if g.LagSource == "broker-broadcast" {
		notes = append(notes, "The lag shown is the slowest client's as the broker records it: RocketMQ 5.x keeps the "+
			"lowest offset of a broadcasting group's clients, and these clients did not report their own.")
	}
	if g.PastEnd > 0 {
		notes = append(notes, fmt.Sprintf("%s committed beyond the newest message (a reset past the end, as "+
			"mqadmin allows). Nothing waits there: when a client next pulls, the broker answers that the offset moved and "+
			"points it back to the newest offset, from which it goes on (RocketMQ 4.9 and 5.x alike).",
			humanize.Plural(int(g.PastEnd), "queue is", "queues are")))
	}
	if g.NeverCommitted > 0 {
		notes = append(notes, fmt.Sprintf("This group never committed on %s that hold messages; the table says where its "+
			"first client will start on each, and why (hover the start).", humanize.Plural(int(g.NeverCommitted), "queue", "queues")))
	}
	if why := ownersUnknown(g, queues, clients); why != "" {
		notes = append(notes, why)
	}
	return notes
}

// ownersUnknown says once why no queue shows its owner client, when clients are online
// and none could say; the queue tables then leave the owner column out. Pop and
// broadcasting groups have no owners, and say so in their own notes.
func ownersUnknown(g storage.GroupRow, queues []storage.QueueState, clients []storage.ClientState) string {
	if len(clients) == 0 || g.MessageModel == "BROADCASTING" || g.Kind == "simple" || g.Kind == "pop" {
		return ""
	}
	for _, q := range queues {
		if q.OwnerClient != nil {
			return ""
		}
	}
	for _, c := range clients {
		if c.OffsetsError != nil {
			return "Which client owns each queue is unknown: the broker does not say, and the clients did not report it (" +
				*c.OffsetsError + ")."
		}
	}
	why := "Which client owns each queue is unknown: the broker does not say, and the clients online did not report it"
	if !slices.ContainsFunc(clients, func(c storage.ClientState) bool { return c.Language != "GO" }) {
		why += " (rocketmq-client-go answers the broker's running-info requests empty)"
	}
	return why + "."
}

// inflightNote says where a pop group's in-flight count comes from, or why it is unknown.
func inflightNote(g storage.GroupRow) string {
	if g.Inflight == nil {
		return "In flight is unknown: Lagboard counts the messages handed out and not acknowledged from the " +
			"broker's pop records (its timer topic), and has not read them to their end yet."
	}
	since := "the broker's pop records"
	if g.InflightSince != nil {
		since += " since " + g.InflightSince.UTC().Format("2006-01-02 15:04 UTC")
	}
	return "In flight counts the messages handed out and neither acknowledged nor back yet, from " + since +
		": a message received before then with a longer invisible time is not counted."
}
