package mqadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// rawJSON holds a body field whose decoding needs the fastjson-aware table helpers.
type rawJSON = json.RawMessage

// OffsetWrapper is a consumer group's progress on one queue.
type OffsetWrapper struct {
	BrokerOffset   int64 // the queue's max offset
	ConsumerOffset int64 // the committed offset; the broker reports "none" as 0
	PullOffset     int64 // the next offset the group will pull; valid if HasPullOffset
	HasPullOffset  bool  // the broker sent pullOffset (5.1 and later)
	LastTimestamp  int64 // store time (Unix ms) of the last consumed message, 0 if unknown
}

// Lag is the number of messages not yet committed: BrokerOffset - ConsumerOffset.
func (o OffsetWrapper) Lag() int64 { return o.BrokerOffset - o.ConsumerOffset }

// Inflight is the number of pulled but uncommitted messages, PullOffset - ConsumerOffset;
// ok is false when the broker does not report pull offsets.
func (o OffsetWrapper) Inflight() (n int64, ok bool) {
	if !o.HasPullOffset {
		return 0, false
	}
	return o.PullOffset - o.ConsumerOffset, true
}

// ConsumeStats is a consumer group's progress on one broker.
type ConsumeStats struct {
	ConsumeTPS float64
	Offsets    map[MessageQueue]OffsetWrapper
}

// TotalLag sums Lag over every queue, %RETRY% queues included, as the RocketMQ tools do.
func (s ConsumeStats) TotalLag() int64 {
	var n int64
	for _, o := range s.Offsets {
		n += o.Lag()
	}
	return n
}

type wireOffsetWrapper struct {
	BrokerOffset   int64  `json:"brokerOffset"`
	ConsumerOffset int64  `json:"consumerOffset"`
	PullOffset     *int64 `json:"pullOffset"`
	LastTimestamp  int64  `json:"lastTimestamp"`
}

// DecodeConsumeStats decodes a GET_CONSUME_STATS body (a fastjson ConsumeStats).
func DecodeConsumeStats(body []byte) (ConsumeStats, error) {
	var w wireConsumeStats
	if err := decodeBody(body, &w); err != nil {
		return ConsumeStats{}, fmt.Errorf("consume stats: %w", err)
	}
	s, err := w.decode()
	if err != nil {
		return ConsumeStats{}, fmt.Errorf("consume stats: %w", err)
	}
	return s, nil
}

// ConsumeStats returns a group's progress on one broker (GET_CONSUME_STATS, 208). With an
// empty topic the broker reports every topic the group has offsets for, %RETRY%<group>
// included. An unknown group gives empty stats, not an error.
func (c *Client) ConsumeStats(ctx context.Context, brokerAddr, group, topic string) (ConsumeStats, error) {
	ext := map[string]string{"consumerGroup": group}
	args := "group=" + group
	if topic != "" {
		ext["topic"] = topic
		args += " topic=" + topic
	}
	resp, err := c.call(ctx, brokerAddr, codeGetConsumeStats, args, ext, nil)
	if err != nil {
		return ConsumeStats{}, err
	}
	s, err := DecodeConsumeStats(resp.Body)
	if err != nil {
		return ConsumeStats{}, fmt.Errorf("mqadmin: GET_CONSUME_STATS %s at %s: %w", args, brokerAddr, err)
	}
	return s, nil
}

// QueryConsumerOffset returns a group's committed offset on one queue
// (QUERY_CONSUMER_OFFSET, 14). With no committed offset it fails with ErrQueryNotFound on
// 5.x; a 4.9.x broker instead answers 0 while the queue's first message is still stored.
func (c *Client) QueryConsumerOffset(ctx context.Context, brokerAddr, group, topic string, queueID int) (int64, error) {
	ext := map[string]string{
		"consumerGroup":     group,
		"topic":             topic,
		"queueId":           strconv.Itoa(queueID),
		"setZeroIfNotFound": "false",
	}
	args := "group=" + group + " topic=" + topic + " queue=" + strconv.Itoa(queueID)
	resp, err := c.call(ctx, brokerAddr, codeQueryConsumerOffset, args, ext, nil)
	if err != nil {
		return 0, err
	}
	return respInt(resp, "offset", "QUERY_CONSUMER_OFFSET "+args, brokerAddr)
}

// InitialOffset asks where a group with no committed offset on a queue starts: it sends
// QUERY_CONSUMER_OFFSET (14) the way clients do, letting the broker answer 0 when the queue
// has never lost a message and its first one is still in memory (then every client starts
// at 0, whatever it is configured to do). Otherwise it fails with ErrQueryNotFound, and the
// client's own setting decides. For a queue with a committed offset it returns that offset.
func (c *Client) InitialOffset(ctx context.Context, brokerAddr, group, topic string, queueID int) (int64, error) {
	ext := map[string]string{
		"consumerGroup": group,
		"topic":         topic,
		"queueId":       strconv.Itoa(queueID),
	}
	args := "group=" + group + " topic=" + topic + " queue=" + strconv.Itoa(queueID)
	resp, err := c.call(ctx, brokerAddr, codeQueryConsumerOffset, args, ext, nil)
	if err != nil {
		return 0, err
	}
	return respInt(resp, "offset", "QUERY_CONSUMER_OFFSET "+args, brokerAddr)
}

// UpdateConsumerOffset sets a group's committed offset on one queue and waits for the
// broker's answer (UPDATE_CONSUMER_OFFSET, 15). 5.3 brokers refuse unknown groups
// (ErrSubscriptionGroupNotExist; see CreateSubscriptionGroup) and topics (ErrTopicNotExist);
// 4.9.x brokers accept both.
func (c *Client) UpdateConsumerOffset(ctx context.Context, brokerAddr, group, topic string, queueID int, offset int64) error {
	ext := map[string]string{
		"consumerGroup": group,
		"topic":         topic,
		"queueId":       strconv.Itoa(queueID),
		"commitOffset":  strconv.FormatInt(offset, 10),
	}
	args := "group=" + group + " topic=" + topic + " queue=" + strconv.Itoa(queueID)
	_, err := c.call(ctx, brokerAddr, codeUpdateConsumerOffset, args, ext, nil)
	return err
}
