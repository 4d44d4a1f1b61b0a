package reset

import "time"

// Preview is what a reset will do, computed from the brokers when it is requested and
// frozen into the request.
type Preview struct {
	At          time.Time      `json:"at"`
	Brokers     []BrokerInfo   `json:"brokers"`
	Clients     []Client       `json:"clients,omitempty"`
	Model       string         `json:"model,omitempty"`        // Clustering or Broadcasting, "" while offline
	ConsumeType string         `json:"consume_type,omitempty"` // ConsumeActively, ConsumePassively or ConsumePop
	Queues      []QueuePreview `json:"queues"`
	Totals      Totals         `json:"totals"`
	// NotMoved is what the reset leaves where it is: retry and delayed messages.
	NotMoved NotMoved  `json:"not_moved"`
	Warnings []Warning `json:"warnings,omitempty"`
}

// BrokerInfo is one broker of the topic and how it carries out resets.
type BrokerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
	// Path is how the reset is carried out on this broker (see the Path constants).
	Path Path `json:"path"`
	// Online is the number of the group's clients connected to this broker.
	Online int `json:"online"`
}

// Path is how a reset reaches a broker's committed offsets.
type Path string

// Paths.
const (
	// PathServer: the broker (5.2+) rewrites each queue's offset itself, exactly, whether
	// or not consumers are online; consumers follow at their next pull.
	PathServer Path = "server"
	// PathClient: the broker (4.x, 5.0, 5.1) hands the reset to the online clients, which
	// commit it over the next 10-20 s; it can only move every queue to a time or to latest.
	PathClient Path = "client"
	// PathDirect: no client is online, so each queue's committed offset is written directly.
	PathDirect Path = "direct"
)

// Client is an online client of the group.
type Client struct {
	ID       string `json:"id"`
	Addr     string `json:"addr"`
	Language string `json:"language"`
	Version  int32  `json:"version"`
}

// QueuePreview is one queue's part of a preview.
type QueuePreview struct {
	QueueRef
	// Current is the committed offset, -1 when the group has none on this queue.
	Current int64 `json:"current"`
	Min     int64 `json:"min"`
	Max     int64 `json:"max"`
	// Requested is the target before clamping to [Min, Max]; Target is what will be set.
	Requested int64 `json:"requested"`
	Target    int64 `json:"target"`
	Clamped   bool  `json:"clamped,omitempty"`
	// NoSource marks a queue of a ToGroup reset on which the source group has no committed
	// offset: it is left as it is, and Requested and Target are its Current.
	NoSource bool `json:"no_source,omitempty"`
}

// Change is how far the queue moves: negative rewinds, positive skips; 0 without a
// committed offset, and for a queue left as it is.
func (q QueuePreview) Change() int64 {
	if q.Current < 0 || q.NoSource {
		return 0
	}
	return q.Target - q.Current
}

// Moves reports whether execution sets the queue: its target differs from its committed
// offset, or it has none and is not left as it is.
func (q QueuePreview) Moves() bool { return !q.NoSource && (q.Change() != 0 || q.Current < 0) }

// Reconsume is the number of messages that will be consumed again.
func (q QueuePreview) Reconsume() int64 { return max(0, -q.Change()) }

// Skip is the number of messages that will be skipped.
func (q QueuePreview) Skip() int64 { return max(0, q.Change()) }

// Totals sum a preview's queues.
type Totals struct {
	Queues    int   `json:"queues"`
	Changed   int   `json:"changed"`
	Clamped   int   `json:"clamped"`
	Reconsume int64 `json:"reconsume"`
	Skip      int64 `json:"skip"`
}

// Warning is something the requester and the approvers must know. A blocking warning
// means the reset cannot be carried out as asked.
type Warning struct {
	Code     string `json:"code"`
	Blocking bool   `json:"blocking,omitempty"`
	Text     string `json:"text"`
}

// Blocked returns the first blocking warning, if any.
func (p Preview) Blocked() (Warning, bool) {
	for _, w := range p.Warnings {
		if w.Blocking {
			return w, true
		}
	}
	return Warning{}, false
}

// Queue returns the preview of q.
func (p Preview) Queue(q QueueRef) (QueuePreview, bool) {
	for _, qp := range p.Queues {
		if qp.QueueRef == q {
			return qp, true
		}
	}
	return QueuePreview{}, false
}
