package mqadmin

import (
	"context"
	"fmt"
	"slices"
	"strconv"
)

// BrokerConsumeStats is the progress of every consumer group on one broker, from one call:
// the groups of the broker's subscription group table, each with the topics it has
// committed offsets on, except those an online client of the group does not subscribe to.
// It carries no pull offsets.
type BrokerConsumeStats struct {
	BrokerAddr        string
	TotalDiff         int64                     // Σ lag over every group and queue
	TotalInflightDiff int64                     // Σ (pullOffset - consumerOffset); 5.x only
	Groups            map[string][]ConsumeStats // group → one ConsumeStats per topic
}

type wireConsumeStats struct {
	ConsumeTps  float64 `json:"consumeTps"`
	OffsetTable rawJSON `json:"offsetTable"`
}

func (w wireConsumeStats) decode() (ConsumeStats, error) {
	table, err := decodeMQTable[wireOffsetWrapper](w.OffsetTable)
	if err != nil {
		return ConsumeStats{}, err
	}
	s := ConsumeStats{ConsumeTPS: w.ConsumeTps, Offsets: make(map[MessageQueue]OffsetWrapper, len(table))}
	for mq, o := range table {
		ow := OffsetWrapper{BrokerOffset: o.BrokerOffset, ConsumerOffset: o.ConsumerOffset, LastTimestamp: o.LastTimestamp}
		if o.PullOffset != nil {
			ow.PullOffset, ow.HasPullOffset = *o.PullOffset, true
		}
		s.Offsets[mq] = ow
	}
	return s, nil
}

// DecodeBrokerConsumeStats decodes a GET_BROKER_CONSUME_STATS body (a fastjson
// ConsumeStatsList).
func DecodeBrokerConsumeStats(body []byte) (BrokerConsumeStats, error) {
	var w struct {
		BrokerAddr        string                          `json:"brokerAddr"`
		TotalDiff         int64                           `json:"totalDiff"`
		TotalInflightDiff int64                           `json:"totalInflightDiff"`
		ConsumeStatsList  []map[string][]wireConsumeStats `json:"consumeStatsList"`
	}
	if err := decodeBody(body, &w); err != nil {
		return BrokerConsumeStats{}, fmt.Errorf("broker consume stats: %w", err)
	}
	out := BrokerConsumeStats{BrokerAddr: w.BrokerAddr, TotalDiff: w.TotalDiff,
		TotalInflightDiff: w.TotalInflightDiff, Groups: map[string][]ConsumeStats{}}
	for _, entry := range w.ConsumeStatsList {
		for group, list := range entry {
			for _, ws := range list {
				s, err := ws.decode()
				if err != nil {
					return BrokerConsumeStats{}, fmt.Errorf("broker consume stats of %s: %w", group, err)
				}
				// The broker never fills pull offsets in this answer (5.x sends 0): ask
				// GET_CONSUME_STATS of the group for them.
				for mq, o := range s.Offsets {
					o.PullOffset, o.HasPullOffset = 0, false
					s.Offsets[mq] = o
				}
				out.Groups[group] = append(out.Groups[group], s)
			}
		}
	}
	return out, nil
}

// BrokerConsumeStats returns the progress of every consumer group on one broker in a single
// call (GET_BROKER_CONSUME_STATS, 317). With orderOnly, only ordered topics are included.
// Groups come from the broker's committed offsets, so a group that never committed is absent.
func (c *Client) BrokerConsumeStats(ctx context.Context, brokerAddr string, orderOnly bool) (BrokerConsumeStats, error) {
	ext := map[string]string{"isOrder": strconv.FormatBool(orderOnly)}
	resp, err := c.call(ctx, brokerAddr, codeGetBrokerConsumeStats, "", ext, nil)
	if err != nil {
		return BrokerConsumeStats{}, err
	}
	s, err := DecodeBrokerConsumeStats(resp.Body)
	if err != nil {
		return BrokerConsumeStats{}, fmt.Errorf("mqadmin: GET_BROKER_CONSUME_STATS at %s: %w", brokerAddr, err)
	}
	return s, nil
}

// TopicConsumers returns, sorted, the groups that consume a topic on one broker: those
// online with a subscription to it and those with committed offsets on it
// (QUERY_TOPIC_CONSUME_BY_WHO, 300).
func (c *Client) TopicConsumers(ctx context.Context, brokerAddr, topic string) ([]string, error) {
	ext := map[string]string{"topic": topic}
	resp, err := c.call(ctx, brokerAddr, codeQueryTopicConsumeByWho, "topic="+topic, ext, nil)
	if err != nil {
		return nil, err
	}
	var w struct {
		GroupList []string `json:"groupList"`
	}
	if err := decodeBody(resp.Body, &w); err != nil {
		return nil, fmt.Errorf("mqadmin: QUERY_TOPIC_CONSUME_BY_WHO topic=%s at %s: %w", topic, brokerAddr, err)
	}
	slices.Sort(w.GroupList)
	return w.GroupList, nil
}
