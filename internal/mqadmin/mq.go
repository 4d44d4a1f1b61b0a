package mqadmin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// MessageQueue identifies one queue of a topic on one broker. It is comparable, so it can be
// a map key.
type MessageQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
}

// String returns topic@broker#queue, e.g. "orders@broker-a#3".
func (mq MessageQueue) String() string {
	return mq.Topic + "@" + mq.BrokerName + "#" + strconv.Itoa(mq.QueueID)
}

// Less orders queues by topic, broker name and queue id, the order the RocketMQ tools print.
func (mq MessageQueue) Less(o MessageQueue) bool {
	if mq.Topic != o.Topic {
		return mq.Topic < o.Topic
	}
	if mq.BrokerName != o.BrokerName {
		return mq.BrokerName < o.BrokerName
	}
	return mq.QueueID < o.QueueID
}

// ParseMessageQueueKey parses a map key that NormalizeFastJSON made from a MessageQueue
// object key, such as {"brokerName":"broker-a","queueId":0,"topic":"T"}.
func ParseMessageQueueKey(key string) (MessageQueue, error) {
	k := strings.TrimSpace(key)
	if !strings.HasPrefix(k, "{") {
		return MessageQueue{}, fmt.Errorf("message queue key %.64q: not an object: %w", key, ErrBadJSON)
	}
	if mq, ok := parseMQKeyFast(k); ok {
		return mq, nil
	}
	var mq MessageQueue
	if err := json.Unmarshal([]byte(k), &mq); err == nil {
		return mq, nil
	}
	// The key's raw text may itself hold fastjson quirks.
	norm, err := NormalizeFastJSON([]byte(k))
	if err != nil {
		return MessageQueue{}, fmt.Errorf("message queue key %.64q: %w", key, err)
	}
	if err := json.Unmarshal(norm, &mq); err != nil {
		return MessageQueue{}, fmt.Errorf("message queue key %.64q: %v: %w", key, err, ErrBadJSON)
	}
	return mq, nil
}

// parseMQKeyFast parses the compact form fastjson writes, {"brokerName":"b","queueId":0,
// "topic":"T"} in any field order, without encoding/json. Anything else (escapes,
// whitespace, other fields, duplicates) reports ok=false and takes the general path.
func parseMQKeyFast(k string) (mq MessageQueue, ok bool) {
	if len(k) < 2 || k[0] != '{' || k[len(k)-1] != '}' {
		return mq, false
	}
	rest := k[1 : len(k)-1]
	var seen [3]bool
	for i := 0; ; i++ {
		if i > 0 {
			if rest == "" {
				return mq, seen[0] && seen[1] && seen[2]
			}
			if rest[0] != ',' {
				return mq, false
			}
			rest = rest[1:]
		}
		name, r, ok := fastString(rest)
		if !ok || len(r) == 0 || r[0] != ':' {
			return mq, false
		}
		rest = r[1:]
		switch name {
		case "brokerName", "topic":
			v, r, ok := fastString(rest)
			if !ok {
				return mq, false
			}
			if name == "topic" {
				if seen[2] {
					return mq, false
				}
				mq.Topic, seen[2] = v, true
			} else {
				if seen[0] {
					return mq, false
				}
				mq.BrokerName, seen[0] = v, true
			}
			rest = r
		case "queueId":
			j := 0
			if j < len(rest) && rest[j] == '-' {
				j++
			}
			for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(rest[:j])
			if err != nil || seen[1] || (j > 1 && rest[0] == '0') || (j > 2 && rest[:2] == "-0") {
				return mq, false
			}
			mq.QueueID, seen[1] = n, true
			rest = rest[j:]
		default:
			return mq, false
		}
	}
}

// fastString reads a JSON string with no escapes or control characters from the start of s.
func fastString(s string) (v, rest string, ok bool) {
	if len(s) == 0 || s[0] != '"' {
		return "", s, false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[1:i], s[i+1:], true
		case c == '\\' || c < 0x20 || c >= 0x80:
			return "", s, false
		}
	}
	return "", s, false
}

// ParseIntKey parses a numeric map key such as the broker id in {0:"127.0.0.1:10911"}.
func ParseIntKey(key string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(key), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("integer key %.64q: %v: %w", key, err, ErrBadJSON)
	}
	return n, nil
}

// decodeBody normalises a fastjson body and unmarshals it into v.
func decodeBody(body []byte, v any) error {
	norm, err := NormalizeFastJSON(body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(norm, v); err != nil {
		return fmt.Errorf("%v: %w", err, ErrBadJSON)
	}
	return nil
}

// decodeMQTable decodes a Map<MessageQueue,T> from normalised JSON. It accepts the fastjson
// object form {"{mq}":v,...} and the older gson pair form [[{mq},v],...]; null is empty.
func decodeMQTable[T any](raw json.RawMessage) (map[MessageQueue]T, error) {
	raw = bytes.TrimSpace(raw)
	out := make(map[MessageQueue]T)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return out, nil
	case raw[0] == '[':
		var pairs [][]json.RawMessage
		if err := json.Unmarshal(raw, &pairs); err != nil {
			return nil, fmt.Errorf("queue table: %v: %w", err, ErrBadJSON)
		}
		for i, pair := range pairs {
			if len(pair) != 2 {
				return nil, fmt.Errorf("queue table entry %d has %d elements: %w", i, len(pair), ErrBadJSON)
			}
			mq, err := ParseMessageQueueKey(string(pair[0]))
			if err != nil {
				return nil, err
			}
			var v T
			if err := json.Unmarshal(pair[1], &v); err != nil {
				return nil, fmt.Errorf("queue table %s: %v: %w", mq, err, ErrBadJSON)
			}
			out[mq] = v
		}
		return out, nil
	default:
		var m map[string]T
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("queue table: %v: %w", err, ErrBadJSON)
		}
		for k, v := range m {
			mq, err := ParseMessageQueueKey(k)
			if err != nil {
				return nil, err
			}
			out[mq] = v
		}
		return out, nil
	}
}

// intKeys converts a map decoded with string keys into one keyed by integers.
func intKeys[T any](m map[string]T) (map[int64]T, error) {
	out := make(map[int64]T, len(m))
	for k, v := range m {
		n, err := ParseIntKey(k)
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}
