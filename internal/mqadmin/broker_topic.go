package mqadmin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Topic permission bits (TopicConfig.Perm, QueueData.Perm).
const (
	PermInherit = 1
	PermWrite   = 2
	PermRead    = 4
)

// TopicConfig describes a topic to create or update on a broker.
type TopicConfig struct {
	Topic          string
	ReadQueueNums  int  // default 4
	WriteQueueNums int  // default 4
	Perm           int  // default PermRead|PermWrite
	TopicSysFlag   int  // system flags; 0 for user topics
	Order          bool // an ordered topic
}

// CreateTopic creates or updates a topic on one broker (UPDATE_AND_CREATE_TOPIC, 17). The
// broker registers the change with its name servers itself.
func (c *Client) CreateTopic(ctx context.Context, brokerAddr string, tc TopicConfig) error {
	if tc.Topic == "" {
		return errors.New("mqadmin: create topic: empty topic name")
	}
	if tc.ReadQueueNums <= 0 {
		tc.ReadQueueNums = defaultCreateTopicQueueCount
	}
	if tc.WriteQueueNums <= 0 {
		tc.WriteQueueNums = defaultCreateTopicQueueCount
	}
	if tc.Perm == 0 {
		tc.Perm = PermRead | PermWrite
	}
	ext := map[string]string{
		"topic":           tc.Topic,
		"defaultTopic":    defaultTopicForCreate,
		"readQueueNums":   strconv.Itoa(tc.ReadQueueNums),
		"writeQueueNums":  strconv.Itoa(tc.WriteQueueNums),
		"perm":            strconv.Itoa(tc.Perm),
		"topicFilterType": defaultTopicFilterType,
		"topicSysFlag":    strconv.Itoa(tc.TopicSysFlag),
		"order":           strconv.FormatBool(tc.Order),
	}
	_, err := c.call(ctx, brokerAddr, codeUpdateAndCreateTopic, "topic="+tc.Topic, ext, nil)
	return err
}

// TopicOffset is the extent of one queue of a topic.
type TopicOffset struct {
	MinOffset           int64 `json:"minOffset"`
	MaxOffset           int64 `json:"maxOffset"`           // next offset to be written
	LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"` // store time (Unix ms) of the last message, 0 if none
}

// TopicStats is a topic's queues on one broker.
type TopicStats struct {
	Offsets map[MessageQueue]TopicOffset
	PutTPS  float64 // 5.x only
}

// DecodeTopicStats decodes a GET_TOPIC_STATS_INFO body (a fastjson TopicStatsTable).
func DecodeTopicStats(body []byte) (TopicStats, error) {
	var w struct {
		OffsetTable rawJSON `json:"offsetTable"`
		TopicPutTps float64 `json:"topicPutTps"`
	}
	if err := decodeBody(body, &w); err != nil {
		return TopicStats{}, fmt.Errorf("topic stats: %w", err)
	}
	offsets, err := decodeMQTable[TopicOffset](w.OffsetTable)
	if err != nil {
		return TopicStats{}, fmt.Errorf("topic stats: %w", err)
	}
	return TopicStats{Offsets: offsets, PutTPS: w.TopicPutTps}, nil
}

// TopicStats returns the min and max offset of every queue of topic on one broker
// (GET_TOPIC_STATS_INFO, 202). An unknown topic fails with ErrTopicNotExist.
func (c *Client) TopicStats(ctx context.Context, brokerAddr, topic string) (TopicStats, error) {
	ext := map[string]string{"topic": topic}
	args := "topic=" + topic
	resp, err := c.call(ctx, brokerAddr, codeGetTopicStatsInfo, args, ext, nil)
	if err != nil {
		return TopicStats{}, err
	}
	ts, err := DecodeTopicStats(resp.Body)
	if err != nil {
		return TopicStats{}, fmt.Errorf("mqadmin: GET_TOPIC_STATS_INFO %s at %s: %w", args, brokerAddr, err)
	}
	return ts, nil
}

// MaxOffset returns the next offset to be written in a queue (GET_MAX_OFFSET, 30).
func (c *Client) MaxOffset(ctx context.Context, brokerAddr, topic string, queueID int) (int64, error) {
	return c.queueInt(ctx, brokerAddr, codeGetMaxOffset, topic, queueID, nil, "offset")
}

// MinOffset returns the smallest offset still stored in a queue (GET_MIN_OFFSET, 31).
func (c *Client) MinOffset(ctx context.Context, brokerAddr, topic string, queueID int) (int64, error) {
	return c.queueInt(ctx, brokerAddr, codeGetMinOffset, topic, queueID, nil, "offset")
}

// SearchOffsetByTimestamp returns the offset of the first message in a queue stored at or
// after ts, or the min offset when ts is before the head (SEARCH_OFFSET_BY_TIMESTAMP, 29).
// When ts is past the tail, 5.x brokers answer the max offset but 4.9.x brokers the offset
// of the last message (max-1), as seen on real brokers of both versions.
func (c *Client) SearchOffsetByTimestamp(ctx context.Context, brokerAddr, topic string, queueID int, ts time.Time) (int64, error) {
	extra := map[string]string{"timestamp": strconv.FormatInt(ts.UnixMilli(), 10)}
	return c.queueInt(ctx, brokerAddr, codeSearchOffsetByTimestamp, topic, queueID, extra, "offset")
}

// EarliestMsgStoreTime returns the store time of the oldest message in a queue
// (GET_EARLIEST_MSG_STORETIME, 32).
func (c *Client) EarliestMsgStoreTime(ctx context.Context, brokerAddr, topic string, queueID int) (time.Time, error) {
	ms, err := c.queueInt(ctx, brokerAddr, codeGetEarliestMsgStoreTime, topic, queueID, nil, "timestamp")
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms), nil
}

// queueInt sends a per-queue request and parses one integer response field.
func (c *Client) queueInt(ctx context.Context, addr string, code int32, topic string, queueID int, extra map[string]string, field string) (int64, error) {
	ext := map[string]string{"topic": topic, "queueId": strconv.Itoa(queueID)}
	for k, v := range extra {
		ext[k] = v
	}
	args := "topic=" + topic + " queue=" + strconv.Itoa(queueID)
	resp, err := c.call(ctx, addr, code, args, ext, nil)
	if err != nil {
		return 0, err
	}
	return respInt(resp, field, codeName(code)+" "+args, addr)
}

// respInt parses an integer from a response's extFields.
func respInt(resp *Command, field, what, addr string) (int64, error) {
	s, ok := resp.ExtFields[field]
	if !ok {
		return 0, fmt.Errorf("mqadmin: %s at %s: response has no %q field: %w", what, addr, field, ErrMalformedFrame)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("mqadmin: %s at %s: field %q: %w", what, addr, field, err)
	}
	return n, nil
}

// BrokerRuntimeInfo returns the broker's runtime key-value table: brokerVersionDesc,
// msgPutTotalTodayNow, commitLogDirCapacity and so on (GET_BROKER_RUNTIME_INFO, 28).
// For some seconds after a broker starts it fails with ErrSystemError (the broker's
// statistics have no samples yet); callers should treat that as transient.
func (c *Client) BrokerRuntimeInfo(ctx context.Context, brokerAddr string) (map[string]string, error) {
	resp, err := c.call(ctx, brokerAddr, codeGetBrokerRuntimeInfo, "", nil, nil)
	if err != nil {
		return nil, err
	}
	var w struct {
		Table map[string]string `json:"table"`
	}
	if err := decodeBody(resp.Body, &w); err != nil {
		return nil, fmt.Errorf("mqadmin: GET_BROKER_RUNTIME_INFO at %s: %w", brokerAddr, err)
	}
	if w.Table == nil {
		w.Table = map[string]string{}
	}
	return w.Table, nil
}
