package mqadmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Consumer connection enum values as the broker names them.
const (
	ConsumeActively  = "CONSUME_ACTIVELY"  // pull consumer
	ConsumePassively = "CONSUME_PASSIVELY" // push consumer
	ConsumePop       = "CONSUME_POP"       // 5.x pop consumer
	Clustering       = "CLUSTERING"
	Broadcasting     = "BROADCASTING"
)

// Connection is one client connected to a broker as a member of a consumer group.
type Connection struct {
	ClientID   string `json:"clientId"`
	ClientAddr string `json:"clientAddr"`
	Language   string `json:"language"`
	Version    int32  `json:"version"`
}

// SubscriptionData is a group's subscription to one topic, as last reported by a client.
type SubscriptionData struct {
	Topic           string   `json:"topic"`
	SubString       string   `json:"subString"`
	ExpressionType  string   `json:"expressionType"`
	TagsSet         []string `json:"tagsSet"`
	SubVersion      int64    `json:"subVersion"`
	ClassFilterMode bool     `json:"classFilterMode"`
}

// ConsumerConnection is the set of online clients of a group on one broker, with the
// group's settings from their latest heartbeat.
type ConsumerConnection struct {
	Connections      []Connection                `json:"connectionSet"`
	ConsumeType      string                      `json:"consumeType"`      // ConsumeActively, ConsumePassively, ConsumePop
	MessageModel     string                      `json:"messageModel"`     // Clustering or Broadcasting
	ConsumeFromWhere string                      `json:"consumeFromWhere"` // e.g. CONSUME_FROM_LAST_OFFSET
	Subscriptions    map[string]SubscriptionData `json:"subscriptionTable"`
}

// MinVersion returns the lowest client version among the connections, or 0 if none.
func (cc ConsumerConnection) MinVersion() int32 {
	var lowest int32
	for i, conn := range cc.Connections {
		if i == 0 || conn.Version < lowest {
			lowest = conn.Version
		}
	}
	return lowest
}

// DecodeConsumerConnection decodes a GET_CONSUMER_CONNECTION_LIST body.
func DecodeConsumerConnection(body []byte) (ConsumerConnection, error) {
	var cc ConsumerConnection
	if err := decodeBody(body, &cc); err != nil {
		return ConsumerConnection{}, fmt.Errorf("consumer connection: %w", err)
	}
	return cc, nil
}

// ConsumerConnections lists a group's online clients on one broker
// (GET_CONSUMER_CONNECTION_LIST, 203). A group with no online client fails with
// ErrConsumerNotOnline.
func (c *Client) ConsumerConnections(ctx context.Context, brokerAddr, group string) (ConsumerConnection, error) {
	ext := map[string]string{"consumerGroup": group}
	resp, err := c.call(ctx, brokerAddr, codeGetConsumerConnectionList, "group="+group, ext, nil)
	if err != nil {
		return ConsumerConnection{}, err
	}
	cc, err := DecodeConsumerConnection(resp.Body)
	if err != nil {
		return ConsumerConnection{}, fmt.Errorf("mqadmin: GET_CONSUMER_CONNECTION_LIST group=%s at %s: %w", group, brokerAddr, err)
	}
	return cc, nil
}

// SubscriptionGroupConfig is a consumer group's configuration on a broker.
type SubscriptionGroupConfig struct {
	GroupName                      string            `json:"groupName"`
	ConsumeEnable                  bool              `json:"consumeEnable"`
	ConsumeFromMinEnable           bool              `json:"consumeFromMinEnable"`
	ConsumeBroadcastEnable         bool              `json:"consumeBroadcastEnable"`
	ConsumeMessageOrderly          bool              `json:"consumeMessageOrderly"` // 5.x
	RetryQueueNums                 int               `json:"retryQueueNums"`
	RetryMaxTimes                  int               `json:"retryMaxTimes"`
	BrokerID                       int64             `json:"brokerId"`
	WhichBrokerWhenConsumeSlowly   int64             `json:"whichBrokerWhenConsumeSlowly"`
	NotifyConsumerIdsChangedEnable bool              `json:"notifyConsumerIdsChangedEnable"`
	GroupSysFlag                   int               `json:"groupSysFlag"`
	ConsumeTimeoutMinute           int               `json:"consumeTimeoutMinute"`
	Attributes                     map[string]string `json:"attributes"`
}

// DecodeSubscriptionGroups decodes a GET_ALL_SUBSCRIPTIONGROUP_CONFIG body into group name →
// config.
func DecodeSubscriptionGroups(body []byte) (map[string]SubscriptionGroupConfig, error) {
	var w struct {
		SubscriptionGroupTable map[string]SubscriptionGroupConfig `json:"subscriptionGroupTable"`
	}
	if err := decodeBody(body, &w); err != nil {
		return nil, fmt.Errorf("subscription groups: %w", err)
	}
	if w.SubscriptionGroupTable == nil {
		w.SubscriptionGroupTable = map[string]SubscriptionGroupConfig{}
	}
	return w.SubscriptionGroupTable, nil
}

// SubscriptionGroups returns every consumer group configured on one broker, system groups
// included (GET_ALL_SUBSCRIPTIONGROUP_CONFIG, 201).
func (c *Client) SubscriptionGroups(ctx context.Context, brokerAddr string) (map[string]SubscriptionGroupConfig, error) {
	resp, err := c.call(ctx, brokerAddr, codeGetAllSubscriptionGroup, "", nil, nil)
	if err != nil {
		return nil, err
	}
	groups, err := DecodeSubscriptionGroups(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("mqadmin: GET_ALL_SUBSCRIPTIONGROUP_CONFIG at %s: %w", brokerAddr, err)
	}
	return groups, nil
}

// CreateSubscriptionGroup creates (or resets to the broker's defaults) the configuration of
// a consumer group on one broker (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, 200). 5.3+ brokers
// refuse offset commits for groups they do not know.
func (c *Client) CreateSubscriptionGroup(ctx context.Context, brokerAddr, group string) error {
	if group == "" {
		return errors.New("mqadmin: create subscription group: empty group name")
	}
	// Only the name is sent, so every other field takes the broker's default.
	body, err := json.Marshal(struct {
		GroupName string `json:"groupName"`
	}{group})
	if err != nil {
		return fmt.Errorf("mqadmin: create subscription group %s: %w", group, err)
	}
	_, err = c.call(ctx, brokerAddr, codeUpdateAndCreateSubGroup, "group="+group, nil, body)
	return err
}
