package mqadmin

import (
	"context"
	"fmt"
	"time"
)

// QueueTimeSpan is the time extent of one queue as a group sees it, from the broker's
// clock (QUERY_CONSUME_TIME_SPAN). The times are store times.
type QueueTimeSpan struct {
	Queue MessageQueue
	// Oldest and Newest are the store times of the first and last message kept.
	Oldest, Newest time.Time
	// LastConsumed is the store time of the message before the committed offset (the last
	// one consumed), or of the oldest message when the group has not consumed any.
	LastConsumed time.Time
	// Delay is how long ago the first unconsumed message was stored, as the broker measured
	// it while answering: the queue's lag in time. Zero when the group is caught up.
	Delay time.Duration
}

type wireQueueTimeSpan struct {
	MessageQueue     MessageQueue `json:"messageQueue"`
	MinTimeStamp     int64        `json:"minTimeStamp"`
	MaxTimeStamp     int64        `json:"maxTimeStamp"`
	ConsumeTimeStamp int64        `json:"consumeTimeStamp"`
	DelayTime        int64        `json:"delayTime"`
}

// DecodeConsumeTimeSpans decodes a QUERY_CONSUME_TIME_SPAN body.
func DecodeConsumeTimeSpans(body []byte) ([]QueueTimeSpan, error) {
	var w struct {
		Set []wireQueueTimeSpan `json:"consumeTimeSpanSet"`
	}
	if err := decodeBody(body, &w); err != nil {
		return nil, fmt.Errorf("consume time span: %w", err)
	}
	out := make([]QueueTimeSpan, 0, len(w.Set))
	for _, q := range w.Set {
		out = append(out, QueueTimeSpan{
			Queue:        q.MessageQueue,
			Oldest:       unixMilli(q.MinTimeStamp),
			Newest:       unixMilli(q.MaxTimeStamp),
			LastConsumed: unixMilli(q.ConsumeTimeStamp),
			Delay:        time.Duration(max(q.DelayTime, 0)) * time.Millisecond,
		})
	}
	return out, nil
}

// ConsumeTimeSpans returns, for every queue of topic on one broker, the store times around
// group's committed offset and the age of its first unconsumed message
// (QUERY_CONSUME_TIME_SPAN, 303). This is the exact lag in time: the broker reads the
// store time of the message at the committed offset itself.
func (c *Client) ConsumeTimeSpans(ctx context.Context, brokerAddr, group, topic string) ([]QueueTimeSpan, error) {
	ext := map[string]string{"topic": topic, "group": group}
	resp, err := c.call(ctx, brokerAddr, codeQueryConsumeTimeSpan, "group="+group+" topic="+topic, ext, nil)
	if err != nil {
		return nil, err
	}
	spans, err := DecodeConsumeTimeSpans(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("mqadmin: QUERY_CONSUME_TIME_SPAN group=%s topic=%s at %s: %w", group, topic, brokerAddr, err)
	}
	return spans, nil
}

func unixMilli(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
