package mqadmin

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

const codeSendMessage int32 = 10

// SendResult is where the broker stored a sent message.
type SendResult struct {
	MsgID       string
	QueueID     int
	QueueOffset int64
}

// SendMessage sends one message to a queue of topic on a broker (SEND_MESSAGE, 10), as
// producer group producerGroup, with the given properties (KEYS, TAGS, ...). Lagboard uses
// it for one thing: sending a dead letter back to its group's retry topic.
func (c *Client) SendMessage(ctx context.Context, brokerAddr, producerGroup, topic string, queueID int, body []byte, props map[string]string) (SendResult, error) {
	ext := map[string]string{
		"producerGroup":         producerGroup,
		"topic":                 topic,
		"defaultTopic":          defaultTopicForCreate,
		"defaultTopicQueueNums": strconv.Itoa(defaultCreateTopicQueueCount),
		"queueId":               strconv.Itoa(queueID),
		"sysFlag":               "0",
		"bornTimestamp":         strconv.FormatInt(time.Now().UnixMilli(), 10),
		"flag":                  "0",
		"properties":            encodeProperties(props),
		"reconsumeTimes":        "0",
		"unitMode":              "false",
		"batch":                 "false",
	}
	args := "topic=" + topic + " queue=" + strconv.Itoa(queueID)
	resp, err := c.call(ctx, brokerAddr, codeSendMessage, args, ext, body)
	if err != nil {
		return SendResult{}, err
	}
	r := SendResult{MsgID: resp.ExtFields["msgId"]}
	if q, err := strconv.Atoi(resp.ExtFields["queueId"]); err == nil {
		r.QueueID = q
	}
	off, err := respInt(resp, "queueOffset", "SEND_MESSAGE "+args, brokerAddr)
	if err != nil {
		return SendResult{}, err
	}
	r.QueueOffset = off
	return r, nil
}

// encodeProperties writes name\x01value\x02 pairs in a stable order. Names and values
// cannot hold the two separators.
func encodeProperties(props map[string]string) string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v := props[k]
		if strings.ContainsAny(k, "\x01\x02") || strings.ContainsAny(v, "\x01\x02") {
			continue
		}
		fmt.Fprintf(&b, "%s\x01%s\x02", k, v)
	}
	return b.String()
}
