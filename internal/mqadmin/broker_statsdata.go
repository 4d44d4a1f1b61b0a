package mqadmin

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// codeViewBrokerStatsData asks for one of the broker's rolling statistics.
const codeViewBrokerStatsData int32 = 315

// Broker statistics Lagboard reads, keyed "topic@group".
const (
	StatGroupGetNums = "GROUP_GET_NUMS" // messages delivered to the group (pull or pop)
	StatGroupCkNums  = "GROUP_CK_NUMS"  // pop checkpoints: one per pop that returned messages
	StatGroupAckNums = "GROUP_ACK_NUMS" // messages the group acknowledged (pop)
)

// ErrStatsNotFound is returned (with the broker's *BrokerError) when the broker keeps no
// such statistic: nothing was counted under that name and key since the broker started.
var ErrStatsNotFound = errors.New("no such broker statistic")

// StatsWindow is a statistic over one window: its sum and rate.
type StatsWindow struct {
	Sum   int64   `json:"sum"`
	TPS   float64 `json:"tps"`
	AvgPT float64 `json:"avgpt"`
}

// BrokerStatsData is a statistic over the last minute, hour and day.
type BrokerStatsData struct {
	Minute StatsWindow `json:"statsMinute"`
	Hour   StatsWindow `json:"statsHour"`
	Day    StatsWindow `json:"statsDay"`
}

// StatsKey builds the key the broker files group statistics under.
func StatsKey(topic, group string) string { return topic + "@" + group }

// BrokerStats returns one of the broker's rolling statistics (VIEW_BROKER_STATS_DATA, 315),
// or ErrStatsNotFound when the broker has none under that name and key.
func (c *Client) BrokerStats(ctx context.Context, brokerAddr, name, key string) (BrokerStatsData, error) {
	args := "stats=" + name + " key=" + key
	resp, err := c.call(ctx, brokerAddr, codeViewBrokerStatsData, args, map[string]string{"statsName": name, "statsKey": key}, nil)
	if err != nil {
		var be *BrokerError
		if errors.As(err, &be) && be.Code == 1 && strings.Contains(be.Remark, "not exist") {
			return BrokerStatsData{}, fmt.Errorf("%w: %w", err, ErrStatsNotFound)
		}
		return BrokerStatsData{}, err
	}
	var d BrokerStatsData
	if err := decodeBody(resp.Body, &d); err != nil {
		return BrokerStatsData{}, fmt.Errorf("mqadmin: VIEW_BROKER_STATS_DATA %s at %s: %w", args, brokerAddr, err)
	}
	return d, nil
}
