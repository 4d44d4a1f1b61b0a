package views

import (
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MessageMeta is what a page shows of a message without its body.
type MessageMeta struct {
	Topic, Broker  string
	QueueID        int
	Offset         int64
	MsgID          string
	Keys           []string
	Tag            string
	StoredAt       time.Time
	BornAt         time.Time
	BornHost       string
	Size           int
	ReconsumeTimes int32
	// Properties are the user's properties (not the broker's bookkeeping), sorted by name.
	Properties [][2]string
	// BodyHref reads the body (recorded); "" when the viewer may not.
	BodyHref string
}

// Where is "broker-a/3 @ 1,204".
func (m MessageMeta) Where() string {
	return m.Broker + "/" + strconv.Itoa(m.QueueID) + " @ " + Count(m.Offset)
}

// BodyHref is the page showing a message's body.
func BodyHref(cluster, group, topic, broker string, queue int, offset int64) string {
	return GroupHref(cluster, group) + "/message?" + url.Values{"topic": {topic}, "broker": {broker},
		"queue": {strconv.Itoa(queue)}, "offset": {strconv.FormatInt(offset, 10)}}.Encode()
}

// BlockedQueue is a queue that stands still with messages waiting, and the message at its
// committed offset: the next the group must consume there.
type BlockedQueue struct {
	Topic, Broker string
	QueueID       int32
	Offset        int64
	Since         *time.Time // when the committed offset last moved, nil when never seen moving
	Message       *MessageMeta
	// Error says why the message could not be read.
	Error string
}

// BlockedOn is the group page's section on stalled queues.
type BlockedOn struct {
	Cluster, Group string
	Queues         []BlockedQueue
}

// DeadLetters is the group page's section on its dead-letter topic.
type DeadLetters struct {
	Cluster, Group string
	Total, Kept    int64
	// Growth lists the changes of the total over the last day, oldest first.
	Growth []DeadLetterPoint
	// Newest are the newest dead letters; Error says why they could not be read.
	Newest []MessageMeta
	Error  string
	// CanResend shows the send-back button; ResendOff says why it is absent when the viewer
	// may but the cluster does not allow it.
	CanResend bool
	ResendOff string
}

// DeadLetterPoint is the dead-letter total at a time.
type DeadLetterPoint struct {
	At    time.Time
	Total int64
}

// MessagePage shows one message with its body.
type MessagePage struct {
	Cluster, Group string
	Meta           MessageMeta
	Body           Body
}

// Body is a message body ready to show: text when it is printable UTF-8, else a hex dump
// of its start.
type Body struct {
	Text      string
	Hex       string
	Binary    bool
	Size      int
	Truncated bool
	// Compression names a codec the body is stored with that Lagboard does not inflate.
	Compression string
}

// maxShown is how much of a body a page shows; maxHex how much of a binary one.
const (
	maxShown = 64 << 10
	maxHex   = 4 << 10
)

// NewBody prepares a body for the page.
func NewBody(b []byte, compression string) Body {
	out := Body{Size: len(b), Compression: compression}
	if compression != "" {
		return out
	}
	if printable(b) {
		if len(b) > maxShown {
			cut := maxShown
			for cut > 0 && !utf8.RuneStart(b[cut]) {
				cut--
			}
			b, out.Truncated = b[:cut], true
		}
		out.Text = string(b)
		return out
	}
	out.Binary = true
	if len(b) > maxHex {
		b, out.Truncated = b[:maxHex], true
	}
	out.Hex = strings.TrimRight(hex.Dump(b), "\n")
	return out
}

// printable reports whether b is UTF-8 text without control characters other than
// whitespace.
func printable(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
	}
	return true
}

// truncatedNote is ", the first 4 KiB" when a body was cut, "" otherwise.
func truncatedNote(truncated bool, what string) string {
	if !truncated {
		return ""
	}
	return ", " + what
}
