package mqadmin

import (
	"context"
	"fmt"
	"strconv"
)

const codePullMessage int32 = 11

// Pull response codes that are answers, not errors.
const (
	codePullNotFound         int32 = 19 // nothing at or after the offset yet
	codePullRetryImmediately int32 = 20 // filtered out, or read from a slave: ask again
	codePullOffsetMoved      int32 = 21 // the offset is outside the queue: NextBeginOffset says where
)

// ToolsGroup is the consumer group RocketMQ's own tools read messages as (mqadmin's
// queryMsgByOffset does): reading as it commits nothing and touches no real group.
const ToolsGroup = "TOOLS_CONSUMER"

// PullStatus says what a pull found.
type PullStatus int

// Pull outcomes.
const (
	PullFound       PullStatus = iota // messages were returned
	PullNoNew                         // nothing at or after the offset
	PullRetry                         // nothing returned this time; ask again
	PullOffsetMoved                   // the offset is outside the queue; NextBeginOffset is in it
)

// PullResult is one pull's answer.
type PullResult struct {
	Status          PullStatus
	Messages        []Message
	NextBeginOffset int64
	MinOffset       int64
	MaxOffset       int64
}

// PullMessages reads up to max messages of a queue from offset on (PULL_MESSAGE, 11), as
// ToolsGroup, without committing anything and without waiting for new messages. It is how
// Lagboard reads a message by its queue offset.
func (c *Client) PullMessages(ctx context.Context, brokerAddr, topic string, queueID int, offset int64, max int) (PullResult, error) {
	const flagSubscription = 0x4 // the subscription travels with the request
	ext := map[string]string{
		"consumerGroup":        ToolsGroup,
		"topic":                topic,
		"queueId":              strconv.Itoa(queueID),
		"queueOffset":          strconv.FormatInt(offset, 10),
		"maxMsgNums":           strconv.Itoa(max),
		"sysFlag":              strconv.Itoa(flagSubscription),
		"commitOffset":         "0",
		"suspendTimeoutMillis": "0",
		"subscription":         "*",
		"subVersion":           "0",
		"expressionType":       "TAG",
	}
	args := "topic=" + topic + " queue=" + strconv.Itoa(queueID) + " offset=" + strconv.FormatInt(offset, 10)
	resp, err := c.exchange(ctx, brokerAddr, codePullMessage, args, ext, nil)
	if err != nil {
		return PullResult{}, err
	}
	var r PullResult
	switch resp.Code {
	case codeSuccess:
		r.Status = PullFound
	case codePullNotFound:
		r.Status = PullNoNew
	case codePullRetryImmediately:
		r.Status = PullRetry
	case codePullOffsetMoved:
		r.Status = PullOffsetMoved
	default:
		return PullResult{}, brokerError(brokerAddr, codePullMessage, args, resp)
	}
	for field, dst := range map[string]*int64{"nextBeginOffset": &r.NextBeginOffset, "minOffset": &r.MinOffset, "maxOffset": &r.MaxOffset} {
		if v, ok := resp.ExtFields[field]; ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return PullResult{}, fmt.Errorf("mqadmin: %s at %s: field %q: %w", requestName(codePullMessage, args), brokerAddr, field, ErrMalformedFrame)
			}
			*dst = n
		}
	}
	if r.Status == PullFound {
		if r.Messages, err = DecodeMessages(resp.Body); err != nil {
			return PullResult{}, fmt.Errorf("mqadmin: %s at %s: %w", requestName(codePullMessage, args), brokerAddr, err)
		}
	}
	return r, nil
}
