package mqadmin

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// GroupTopic names a consumer group's offsets on one topic.
type GroupTopic struct {
	Group, Topic string
}

// BrokerOffsets is every committed offset a broker keeps, from one GET_ALL_CONSUMER_OFFSET.
type BrokerOffsets struct {
	// Committed holds, per group and topic, the committed offset of each queue that has one.
	// A queue missing here has never been committed on this broker.
	Committed map[GroupTopic]map[int]int64
	// Broadcast holds, per broadcasting group and topic, the lowest offset of the group's
	// clients as a 5.x broker records it (under the group name "<group>@broadcast").
	Broadcast map[GroupTopic]map[int]int64
	// Pull holds the pull offsets 5.x brokers keep (the next offset each group will pull);
	// empty on 4.x.
	Pull map[GroupTopic]map[int]int64
}

// Groups returns the groups that have offsets on the broker.
func (o BrokerOffsets) Groups() map[string]bool {
	out := map[string]bool{}
	for gt := range o.Committed {
		out[gt.Group] = true
	}
	return out
}

type wireBrokerOffsets struct {
	OffsetTable     map[string]map[string]int64 `json:"offsetTable"`
	PullOffsetTable map[string]map[string]int64 `json:"pullOffsetTable"`
}

// DecodeBrokerOffsets decodes a GET_ALL_CONSUMER_OFFSET body: the broker's
// ConsumerOffsetManager, keyed "topic@group" with unquoted numeric queue ids.
func DecodeBrokerOffsets(body []byte) (BrokerOffsets, error) {
	var w wireBrokerOffsets
	if err := decodeBody(body, &w); err != nil {
		return BrokerOffsets{}, fmt.Errorf("consumer offsets: %w", err)
	}
	committed, err := decodeOffsetTable(w.OffsetTable)
	if err != nil {
		return BrokerOffsets{}, fmt.Errorf("consumer offsets: %w", err)
	}
	pull, err := decodeOffsetTable(w.PullOffsetTable)
	if err != nil {
		return BrokerOffsets{}, fmt.Errorf("consumer pull offsets: %w", err)
	}
	o := BrokerOffsets{Committed: committed, Pull: pull, Broadcast: map[GroupTopic]map[int]int64{}}
	for gt, qs := range committed {
		if g, ok := strings.CutSuffix(gt.Group, broadcastSuffix); ok && g != "" {
			o.Broadcast[GroupTopic{Group: g, Topic: gt.Topic}] = qs
			delete(committed, gt)
		}
	}
	return o, nil
}

// broadcastSuffix marks the group name under which a 5.x broker commits the lowest offset of a
// broadcasting group's clients (BroadcastOffsetManager).
const broadcastSuffix = "@broadcast"

// decodeOffsetTable splits each "topic@group" key. Topic names cannot hold '@' (RocketMQ
// allows letters, digits, %, |, - and _), so the first '@' ends the topic; the group part
// may hold one more ("<group>@broadcast").
func decodeOffsetTable(t map[string]map[string]int64) (map[GroupTopic]map[int]int64, error) {
	out := make(map[GroupTopic]map[int]int64, len(t))
	for key, queues := range t {
		i := strings.IndexByte(key, '@')
		if i <= 0 || i == len(key)-1 {
			return nil, fmt.Errorf("offset table key %.64q is not topic@group: %w", key, ErrBadJSON)
		}
		ids, err := intKeys(queues)
		if err != nil {
			return nil, err
		}
		m := make(map[int]int64, len(ids))
		for id, off := range ids {
			if id < 0 || id > maxQueueID {
				return nil, fmt.Errorf("offset table %s: queue id %d: %w", key, id, ErrBadJSON)
			}
			m[int(id)] = off
		}
		out[GroupTopic{Group: key[i+1:], Topic: key[:i]}] = m
	}
	return out, nil
}

// maxQueueID bounds the queue ids Lagboard accepts from a broker; RocketMQ topics have at most
// a few thousand queues.
const maxQueueID = 1 << 20

// BrokerOffsets returns every committed offset the broker keeps, for every group and topic,
// in one request (GET_ALL_CONSUMER_OFFSET, 43). A broker with no offsets at all answers
// SYSTEM_ERROR "No consumer offset in this broker", which is returned as an empty table.
func (c *Client) BrokerOffsets(ctx context.Context, brokerAddr string) (BrokerOffsets, error) {
	resp, err := c.call(ctx, brokerAddr, codeGetAllConsumerOffset, "", nil, nil)
	if err != nil {
		var be *BrokerError
		if errors.As(err, &be) && be.Code == 1 && strings.Contains(be.Remark, "No consumer offset") {
			return BrokerOffsets{Committed: map[GroupTopic]map[int]int64{}, Pull: map[GroupTopic]map[int]int64{},
				Broadcast: map[GroupTopic]map[int]int64{}}, nil
		}
		return BrokerOffsets{}, err
	}
	o, err := DecodeBrokerOffsets(resp.Body)
	if err != nil {
		return BrokerOffsets{}, fmt.Errorf("mqadmin: GET_ALL_CONSUMER_OFFSET at %s: %w", brokerAddr, err)
	}
	return o, nil
}
