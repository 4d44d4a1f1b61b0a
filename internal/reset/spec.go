package reset

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lagboard/lagboard/internal/errcode"
	"github.com/lagboard/lagboard/internal/humanize"
)

// Spec is what a requester asks for: a kind and its target, on one group and one topic,
// on every queue of the topic or on chosen ones.
type Spec struct {
	Cluster string `json:"cluster"`
	Group   string `json:"group"`
	Topic   string `json:"topic"`
	Kind    Kind   `json:"kind"`
	// Time is the point in time of a ToTime reset, to the millisecond (brokers search
	// store times in milliseconds; finer parts are dropped by Check).
	Time time.Time `json:"time,omitzero"`
	// By is the number of messages of a Shift: negative to consume again, positive to skip.
	By int64 `json:"by,omitempty"`
	// Offsets are the exact targets of a ToOffsets reset, one per chosen queue.
	Offsets map[QueueRef]int64 `json:"-"`
	// Queues are the chosen queues; empty means every queue of the topic. A ToOffsets
	// reset's queues are those of Offsets.
	Queues []QueueRef `json:"queues,omitempty"`
	// Source is the group whose committed offsets on the same topic a ToGroup reset copies.
	Source string `json:"source,omitempty"`
}

// Limits keep a request readable whatever a form sends.
const (
	maxReason  = 2000
	maxTicket  = 200
	maxComment = 2000
	maxShift   = 1 << 40
	maxQueues  = 1024
)

// names are RocketMQ's topic and group names (TopicValidator), retry topics included.
var names = regexp.MustCompile(`^[%|a-zA-Z0-9_-]{1,255}$`)

// Check validates the spec and puts its queues in order. Errors are errcode.Invalid with a
// message that says what to fix.
func (s *Spec) Check(now time.Time) error {
	invalid := func(format string, args ...any) error { return errcode.Errorf(errcode.Invalid, format, args...) }
	switch {
	case s.Cluster == "":
		return invalid("Choose a cluster.")
	case !names.MatchString(s.Group):
		return invalid("The consumer group %q is not a valid RocketMQ group name.", s.Group)
	case !names.MatchString(s.Topic):
		return invalid("The topic %q is not a valid RocketMQ topic name.", s.Topic)
	case !s.Kind.Valid():
		return invalid("Choose what to reset to: earliest, latest, a point in time, exact offsets, a shift or another group's offsets.")
	}
	if strings.HasPrefix(s.Topic, "%RETRY%") && s.Topic != "%RETRY%"+s.Group {
		return invalid("The retry topic %s belongs to another group; the retry topic of %s is %%RETRY%%%s.", s.Topic, s.Group, s.Group)
	}
	if strings.HasPrefix(s.Topic, "%DLQ%") {
		return invalid("Dead-letter topics are not consumed by the group; there are no offsets to reset on %s.", s.Topic)
	}
	switch s.Kind {
	case ToTime:
		if s.Time.IsZero() {
			return invalid("Give the point in time to reset to.")
		}
		s.Time = s.Time.UTC().Truncate(time.Millisecond)
		if s.Time.UnixMilli() <= 0 {
			return invalid("The point in time %s is before any message; to consume everything stored, reset to earliest.", s.Time.UTC().Format(TimeLayout))
		}
		if s.Time.After(now.Add(time.Minute)) {
			return invalid("The point in time %s is in the future; to skip the backlog, reset to latest.", s.Time.UTC().Format(TimeLayout))
		}
	case Shift:
		if s.By == 0 {
			return invalid("Give the number of messages to shift by: negative to consume again, positive to skip.")
		}
		if s.By > maxShift || s.By < -maxShift {
			return invalid("A shift of %d messages is beyond any queue.", s.By)
		}
	case ToGroup:
		switch {
		case s.Source == "":
			return invalid("Give the consumer group whose offsets to copy.")
		case !names.MatchString(s.Source):
			return invalid("The source group %q is not a valid RocketMQ group name.", s.Source)
		case s.Source == s.Group:
			return invalid("The source group is %s itself; choose another group to copy offsets from.", s.Group)
		case strings.HasPrefix(s.Topic, "%RETRY%"):
			return invalid("A retry topic belongs to one group; offsets can be copied only on a topic both groups consume.")
		}
	case ToOffsets:
		if len(s.Offsets) == 0 {
			return invalid("Give an offset for at least one queue.")
		}
		if len(s.Offsets) > maxQueues {
			return invalid("Offsets for %d queues were given; a request may name at most %d.", len(s.Offsets), maxQueues)
		}
		s.Queues = s.Queues[:0]
		for q, off := range s.Offsets {
			if off < 0 {
				return invalid("The offset %d for queue %s is negative.", off, q)
			}
			s.Queues = append(s.Queues, q)
		}
	}
	if len(s.Queues) > maxQueues {
		return invalid("%d queues were chosen; a request may name at most %d.", len(s.Queues), maxQueues)
	}
	if s.Kind != ToTime {
		s.Time = time.Time{}
	}
	if s.Kind != Shift {
		s.By = 0
	}
	if s.Kind != ToOffsets {
		s.Offsets = nil
	}
	if s.Kind != ToGroup {
		s.Source = ""
	}
	slices.SortFunc(s.Queues, func(a, b QueueRef) int {
		if a.Less(b) {
			return -1
		}
		if b.Less(a) {
			return 1
		}
		return 0
	})
	s.Queues = slices.Compact(s.Queues)
	for _, q := range s.Queues {
		if q.Broker == "" || q.QueueID < 0 {
			return invalid("The queue %q is not a broker name and a queue id.", q.String())
		}
	}
	return nil
}

// Chosen reports whether q is in the spec's scope.
func (s Spec) Chosen(q QueueRef) bool {
	return len(s.Queues) == 0 || slices.Contains(s.Queues, q)
}

// AllQueues reports whether the spec covers every queue of the topic.
func (s Spec) AllQueues() bool { return len(s.Queues) == 0 }

// Describe is the target in words, for lists and the audit trail.
func (s Spec) Describe() string {
	switch s.Kind {
	case ToTime:
		return "to " + s.Time.UTC().Format(TimeLayout)
	case Shift:
		if s.By < 0 {
			return fmt.Sprintf("back %d messages", -s.By)
		}
		return fmt.Sprintf("forward %d messages", s.By)
	case ToOffsets:
		return "to exact offsets on " + humanize.Plural(len(s.Offsets), "queue", "queues")
	case ToLatest:
		return "to latest"
	case ToEarliest:
		return "to earliest"
	case ToGroup:
		return "to the offsets of " + s.Source
	}
	return string(s.Kind)
}

// TimeLayout is how a reset's point in time is written for people and the audit trail:
// in UTC, to the millisecond, the precision brokers search store times with.
const TimeLayout = "2006-01-02 15:04:05.000 UTC"

// ParseQueue reads a "broker/queueId" label.
func ParseQueue(label string) (QueueRef, error) {
	i := strings.LastIndexByte(label, '/')
	if i <= 0 {
		return QueueRef{}, errcode.Errorf(errcode.Invalid, "The queue %q is not written as broker/queueId.", label)
	}
	var id int
	if _, err := fmt.Sscanf(label[i+1:], "%d", &id); err != nil || fmt.Sprint(id) != label[i+1:] || id < 0 {
		return QueueRef{}, errcode.Errorf(errcode.Invalid, "The queue id in %q is not a number.", label)
	}
	return QueueRef{Broker: label[:i], QueueID: id}, nil
}
