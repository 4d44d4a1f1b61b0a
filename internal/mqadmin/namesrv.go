package mqadmin

import (
	"context"
	"fmt"
	"slices"
)

// masterID is the broker id of a master in brokerAddrs.
const masterID = 0

// ClusterInfo is the name server's view of the clusters and brokers registered with it.
type ClusterInfo struct {
	Brokers  map[string]BrokerData // by broker name
	Clusters map[string][]string   // cluster name → broker names
}

// BrokerData is one broker (a master and its slaves) as registered with a name server.
type BrokerData struct {
	Cluster            string
	BrokerName         string
	Addrs              map[int64]string // broker id → address; id 0 is the master
	EnableActingMaster bool
	ZoneName           string
}

// MasterAddr returns the address of the broker's master, or "" if no master is registered.
func (b BrokerData) MasterAddr() string { return b.Addrs[masterID] }

// MasterAddrs returns broker name → master address for every broker that has a master.
func (ci ClusterInfo) MasterAddrs() map[string]string {
	out := make(map[string]string, len(ci.Brokers))
	for name, b := range ci.Brokers {
		if addr := b.MasterAddr(); addr != "" {
			out[name] = addr
		}
	}
	return out
}

type wireBrokerData struct {
	BrokerAddrs        map[string]string `json:"brokerAddrs"`
	BrokerName         string            `json:"brokerName"`
	Cluster            string            `json:"cluster"`
	EnableActingMaster bool              `json:"enableActingMaster"`
	ZoneName           string            `json:"zoneName"`
}

func (w wireBrokerData) decode() (BrokerData, error) {
	addrs, err := intKeys(w.BrokerAddrs)
	if err != nil {
		return BrokerData{}, fmt.Errorf("broker %s addrs: %w", w.BrokerName, err)
	}
	return BrokerData{
		Cluster:            w.Cluster,
		BrokerName:         w.BrokerName,
		Addrs:              addrs,
		EnableActingMaster: w.EnableActingMaster,
		ZoneName:           w.ZoneName,
	}, nil
}

// DecodeClusterInfo decodes a GET_BROKER_CLUSTER_INFO body.
func DecodeClusterInfo(body []byte) (ClusterInfo, error) {
	var w struct {
		BrokerAddrTable  map[string]wireBrokerData `json:"brokerAddrTable"`
		ClusterAddrTable map[string][]string       `json:"clusterAddrTable"`
	}
	if err := decodeBody(body, &w); err != nil {
		return ClusterInfo{}, fmt.Errorf("cluster info: %w", err)
	}
	ci := ClusterInfo{Brokers: make(map[string]BrokerData, len(w.BrokerAddrTable)), Clusters: w.ClusterAddrTable}
	if ci.Clusters == nil {
		ci.Clusters = map[string][]string{}
	}
	for name, wb := range w.BrokerAddrTable {
		b, err := wb.decode()
		if err != nil {
			return ClusterInfo{}, fmt.Errorf("cluster info: %w", err)
		}
		ci.Brokers[name] = b
	}
	return ci, nil
}

// ClusterInfo asks a name server for its clusters and brokers (GET_BROKER_CLUSTER_INFO, 106).
func (c *Client) ClusterInfo(ctx context.Context, namesrvAddr string) (ClusterInfo, error) {
	resp, err := c.call(ctx, namesrvAddr, codeGetBrokerClusterInfo, "", nil, nil)
	if err != nil {
		return ClusterInfo{}, err
	}
	ci, err := DecodeClusterInfo(resp.Body)
	if err != nil {
		return ClusterInfo{}, fmt.Errorf("mqadmin: GET_BROKER_CLUSTER_INFO at %s: %w", namesrvAddr, err)
	}
	return ci, nil
}

// TopicRoute says which brokers serve a topic and with how many queues.
type TopicRoute struct {
	Brokers        []BrokerData
	Queues         []QueueData
	OrderTopicConf string
}

// QueueData is a topic's queue layout on one broker.
type QueueData struct {
	BrokerName     string `json:"brokerName"`
	ReadQueueNums  int    `json:"readQueueNums"`
	WriteQueueNums int    `json:"writeQueueNums"`
	Perm           int    `json:"perm"`
	TopicSysFlag   int    `json:"topicSysFlag"`
}

// DecodeTopicRoute decodes a GET_ROUTEINFO_BY_TOPIC body, in standard JSON or fastjson.
func DecodeTopicRoute(body []byte) (TopicRoute, error) {
	var w struct {
		BrokerDatas    []wireBrokerData `json:"brokerDatas"`
		QueueDatas     []QueueData      `json:"queueDatas"`
		OrderTopicConf string           `json:"orderTopicConf"`
	}
	if err := decodeBody(body, &w); err != nil {
		return TopicRoute{}, fmt.Errorf("topic route: %w", err)
	}
	r := TopicRoute{Queues: w.QueueDatas, OrderTopicConf: w.OrderTopicConf}
	for _, wb := range w.BrokerDatas {
		b, err := wb.decode()
		if err != nil {
			return TopicRoute{}, fmt.Errorf("topic route: %w", err)
		}
		r.Brokers = append(r.Brokers, b)
	}
	return r, nil
}

// TopicRoute asks a name server for a topic's route (GET_ROUTEINFO_BY_TOPIC, 105). An unknown
// topic fails with ErrTopicNotExist.
func (c *Client) TopicRoute(ctx context.Context, namesrvAddr, topic string) (TopicRoute, error) {
	ext := map[string]string{"topic": topic, "acceptStandardJsonOnly": "true"}
	resp, err := c.call(ctx, namesrvAddr, codeGetRouteInfoByTopic, "topic="+topic, ext, nil)
	if err != nil {
		return TopicRoute{}, err
	}
	r, err := DecodeTopicRoute(resp.Body)
	if err != nil {
		return TopicRoute{}, fmt.Errorf("mqadmin: GET_ROUTEINFO_BY_TOPIC topic=%s at %s: %w", topic, namesrvAddr, err)
	}
	return r, nil
}

// TopicList returns every topic a name server knows, sorted
// (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, 206).
func (c *Client) TopicList(ctx context.Context, namesrvAddr string) ([]string, error) {
	resp, err := c.call(ctx, namesrvAddr, codeGetAllTopicListFromNamesrv, "", nil, nil)
	if err != nil {
		return nil, err
	}
	topics, err := decodeTopicList(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("mqadmin: GET_ALL_TOPIC_LIST_FROM_NAMESERVER at %s: %w", namesrvAddr, err)
	}
	return topics, nil
}

// decodeTopicList decodes a TopicList body {"topicList":[...]} into a sorted slice.
func decodeTopicList(body []byte) ([]string, error) {
	var w struct {
		TopicList []string `json:"topicList"`
	}
	if err := decodeBody(body, &w); err != nil {
		return nil, fmt.Errorf("topic list: %w", err)
	}
	slices.Sort(w.TopicList)
	return w.TopicList, nil
}
