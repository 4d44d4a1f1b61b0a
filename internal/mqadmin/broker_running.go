package mqadmin

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// ProcessQueueInfo is a client's view of one queue it consumes.
type ProcessQueueInfo struct {
	CommitOffset         int64 // the client's current offset for the queue
	CachedMsgMinOffset   int64
	CachedMsgMaxOffset   int64
	CachedMsgCount       int64
	CachedMsgSizeInMiB   int64
	Locked               bool
	TryUnlockTimes       int64
	LastLockTimestamp    int64
	Dropped              bool
	LastPullTimestamp    int64
	LastConsumeTimestamp int64
}

// ConsumeStatus is a client's consumption rates for one topic.
type ConsumeStatus struct {
	PullRT            float64 `json:"pullRT"`
	PullTPS           float64 `json:"pullTPS"`
	ConsumeRT         float64 `json:"consumeRT"`
	ConsumeOKTPS      float64 `json:"consumeOKTPS"`
	ConsumeFailedTPS  float64 `json:"consumeFailedTPS"`
	ConsumeFailedMsgs int64   `json:"consumeFailedMsgs"`
}

// ConsumerRunningInfo is what one consumer client reports about itself. The client writes
// it, so its shape varies a little between the Java and Go clients.
type ConsumerRunningInfo struct {
	Properties    map[string]string // client settings, e.g. PROP_CONSUME_TYPE, PROP_CLIENT_VERSION
	Subscriptions []SubscriptionData
	Queues        map[MessageQueue]ProcessQueueInfo // the queues this client holds
	Status        map[string]ConsumeStatus          // by topic
	JStack        string                            // thread dump, when asked for and sent
}

type wireProcessQueueInfo struct {
	CommitOffset         int64 `json:"commitOffset"`
	CachedMsgMinOffset   int64 `json:"cachedMsgMinOffset"`
	CachedMsgMaxOffset   int64 `json:"cachedMsgMaxOffset"`
	CachedMsgCount       int64 `json:"cachedMsgCount"`
	CachedMsgSizeInMiB   int64 `json:"cachedMsgSizeInMiB"`
	Locked               bool  `json:"locked"`
	TryUnlockTimes       int64 `json:"tryUnlockTimes"`
	LastLockTimestamp    int64 `json:"lastLockTimestamp"`
	Droped               bool  `json:"droped"` // Java's spelling
	Dropped              bool  `json:"dropped"`
	LastPullTimestamp    int64 `json:"lastPullTimestamp"`
	LastConsumeTimestamp int64 `json:"lastConsumeTimestamp"`
}

// DecodeConsumerRunningInfo decodes a GET_CONSUMER_RUNNING_INFO body.
func DecodeConsumerRunningInfo(body []byte) (ConsumerRunningInfo, error) {
	var w struct {
		Properties      map[string]json.RawMessage `json:"properties"`
		SubscriptionSet []SubscriptionData         `json:"subscriptionSet"`
		MQTable         rawJSON                    `json:"mqTable"`
		StatusTable     map[string]ConsumeStatus   `json:"statusTable"`
		JStack          string                     `json:"jstack"`
	}
	if err := decodeBody(body, &w); err != nil {
		return ConsumerRunningInfo{}, fmt.Errorf("consumer running info: %w", err)
	}
	table, err := decodeMQTable[wireProcessQueueInfo](w.MQTable)
	if err != nil {
		return ConsumerRunningInfo{}, fmt.Errorf("consumer running info: %w", err)
	}
	info := ConsumerRunningInfo{
		Properties:    make(map[string]string, len(w.Properties)),
		Subscriptions: w.SubscriptionSet,
		Queues:        make(map[MessageQueue]ProcessQueueInfo, len(table)),
		Status:        w.StatusTable,
		JStack:        w.JStack,
	}
	for k, raw := range w.Properties {
		if v, ok, err := extValue(raw); err == nil && ok {
			info.Properties[k] = v
		}
	}
	for mq, p := range table {
		info.Queues[mq] = ProcessQueueInfo{
			CommitOffset: p.CommitOffset, CachedMsgMinOffset: p.CachedMsgMinOffset,
			CachedMsgMaxOffset: p.CachedMsgMaxOffset, CachedMsgCount: p.CachedMsgCount,
			CachedMsgSizeInMiB: p.CachedMsgSizeInMiB, Locked: p.Locked, TryUnlockTimes: p.TryUnlockTimes,
			LastLockTimestamp: p.LastLockTimestamp, Dropped: p.Dropped || p.Droped,
			LastPullTimestamp: p.LastPullTimestamp, LastConsumeTimestamp: p.LastConsumeTimestamp,
		}
	}
	if info.Status == nil {
		info.Status = map[string]ConsumeStatus{}
	}
	return info, nil
}

// ConsumerRunningInfo asks one online client of a group, through the broker it is connected
// to, for its running state (GET_CONSUMER_RUNNING_INFO, 307). clientID comes from
// ConsumerConnections. A client that is gone fails with ErrSystemError; one that does not
// answer within the broker's own timeout with ErrConsumeMsgTimeout. A client that answers
// without a body fails with ErrEmptyBody; rocketmq-client-go v2.1.2 does that whenever its
// rate statistics are NaN, which in practice is most of the time.
func (c *Client) ConsumerRunningInfo(ctx context.Context, brokerAddr, group, clientID string, jstack bool) (ConsumerRunningInfo, error) {
	ext := map[string]string{
		"consumerGroup": group,
		"clientId":      clientID,
		"jstackEnable":  strconv.FormatBool(jstack),
	}
	args := "group=" + group + " client=" + clientID
	resp, err := c.call(ctx, brokerAddr, codeGetConsumerRunningInfo, args, ext, nil)
	if err != nil {
		return ConsumerRunningInfo{}, err
	}
	if len(resp.Body) == 0 {
		// rocketmq-client-go v2.1.2 answers success with no body and the reason in the
		// remark when it cannot encode its statistics (NaN rates).
		return ConsumerRunningInfo{}, fmt.Errorf("mqadmin: GET_CONSUMER_RUNNING_INFO %s at %s: client sent %w (remark %q)",
			args, brokerAddr, ErrEmptyBody, resp.Remark)
	}
	info, err := DecodeConsumerRunningInfo(resp.Body)
	if err != nil {
		return ConsumerRunningInfo{}, fmt.Errorf("mqadmin: GET_CONSUMER_RUNNING_INFO %s at %s: %w", args, brokerAddr, err)
	}
	return info, nil
}
