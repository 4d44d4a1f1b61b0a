package mqadmin

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ResetOffsetRequest says how to move a group's committed offsets on a topic.
type ResetOffsetRequest struct {
	Group string
	Topic string
	// Timestamp moves each queue to its first message stored at or after this time.
	Timestamp time.Time
	// ToLatest moves each queue to its max offset, skipping the backlog; it overrides
	// Timestamp.
	ToLatest bool
	// Force also moves offsets forward. Only the client path (4.x, and 5.x brokers with
	// useServerSideResetOffset=false) honours it; without it that path only moves back.
	Force bool
}

// ResetOffset resets a group's offsets on every queue of a topic on one broker and returns
// the target offset of each queue (INVOKE_BROKER_TO_RESET_OFFSET, 222). Brokers do it in
// one of two ways:
//
//   - server side (5.2+ by default): the broker rewrites the committed offsets at once,
//     whether or not consumers are online, and ignores Force;
//   - client side (4.x, 5.0, 5.1): the broker tells each online client to reset and the
//     clients commit the new offsets over the next 10-20 s. With no client online it fails
//     with ErrConsumerNotOnline, and with a queue that has no committed offset with
//     ErrSystemError; callers then fall back to UpdateConsumerOffset per queue.
func (c *Client) ResetOffset(ctx context.Context, brokerAddr string, req ResetOffsetRequest) (map[MessageQueue]int64, error) {
	ts := req.Timestamp.UnixMilli()
	if req.ToLatest {
		ts = -1
	}
	ext := map[string]string{
		"topic":     req.Topic,
		"group":     req.Group,
		"timestamp": strconv.FormatInt(ts, 10),
		"isForce":   strconv.FormatBool(req.Force),
	}
	args := "group=" + req.Group + " topic=" + req.Topic + " timestamp=" + strconv.FormatInt(ts, 10)
	return c.resetOffset(ctx, brokerAddr, args, ext)
}

// ResetQueueOffset sets a group's offset on one queue to exactly offset, through the broker
// so that online consumers follow (INVOKE_BROKER_TO_RESET_OFFSET with queueId and offset).
// Only brokers that reset server side honour the queue and offset; an older broker would
// reset every queue instead. So the broker's configuration is read first (BrokerConfig), and
// a broker without useServerSideResetOffset=true is refused with ErrNotSupported before
// anything is sent; use UpdateConsumerOffset there.
func (c *Client) ResetQueueOffset(ctx context.Context, brokerAddr, group, topic string, queueID int, offset int64) error {
	args := "group=" + group + " topic=" + topic + " queue=" + strconv.Itoa(queueID) + " offset=" + strconv.FormatInt(offset, 10)
	if offset < 0 || queueID < 0 {
		return fmt.Errorf("mqadmin: INVOKE_BROKER_TO_RESET_OFFSET %s: negative queue or offset: %w", args, ErrInvalidParameter)
	}
	conf, err := c.BrokerConfig(ctx, brokerAddr)
	if err != nil {
		return err
	}
	if conf["useServerSideResetOffset"] != "true" {
		return fmt.Errorf("mqadmin: INVOKE_BROKER_TO_RESET_OFFSET %s at %s: broker does not reset offsets server side: %w",
			args, brokerAddr, ErrNotSupported)
	}
	ext := map[string]string{
		"topic":     topic,
		"group":     group,
		"timestamp": "0",
		"isForce":   "true",
		"queueId":   strconv.Itoa(queueID),
		"offset":    strconv.FormatInt(offset, 10),
	}
	_, err = c.resetOffset(ctx, brokerAddr, args, ext)
	return err
}

func (c *Client) resetOffset(ctx context.Context, addr, args string, ext map[string]string) (map[MessageQueue]int64, error) {
	resp, err := c.call(ctx, addr, codeInvokeBrokerToResetOffset, args, ext, nil)
	if err != nil {
		return nil, err
	}
	if len(resp.Body) == 0 {
		return map[MessageQueue]int64{}, nil
	}
	var w struct {
		OffsetTable rawJSON `json:"offsetTable"`
	}
	if err := decodeBody(resp.Body, &w); err != nil {
		return nil, fmt.Errorf("mqadmin: INVOKE_BROKER_TO_RESET_OFFSET %s at %s: %w", args, addr, err)
	}
	table, err := decodeMQTable[int64](w.OffsetTable)
	if err != nil {
		return nil, fmt.Errorf("mqadmin: INVOKE_BROKER_TO_RESET_OFFSET %s at %s: %w", args, addr, err)
	}
	return table, nil
}

// BrokerConfig returns a broker's whole configuration as key → value (GET_BROKER_CONFIG, 26).
func (c *Client) BrokerConfig(ctx context.Context, brokerAddr string) (map[string]string, error) {
	resp, err := c.call(ctx, brokerAddr, codeGetBrokerConfig, "", nil, nil)
	if err != nil {
		return nil, err
	}
	return parseProperties(resp.Body), nil
}

// parseProperties reads the "key=value" lines a broker writes for its configuration. Values
// are written unescaped, so everything after the first '=' is the value.
func parseProperties(body []byte) map[string]string {
	out := map[string]string{}
	for line := range strings.Lines(string(body)) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}
