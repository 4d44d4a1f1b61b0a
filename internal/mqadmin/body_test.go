package mqadmin

import (
	"reflect"
	"testing"
)

// Bodies below are written for these tests in the shapes fastjson gives the RocketMQ admin
// responses: alphabetical fields, object and bare numeric map keys, doubles as 1.0.

func TestDecodeClusterInfo(t *testing.T) {
	body := `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false,"zoneName":"z1"},` +
		`"broker-b":{"brokerAddrs":{1:"127.0.0.1:10931"},"brokerName":"broker-b","cluster":"DefaultCluster","enableActingMaster":true}},` +
		`"clusterAddrTable":{"DefaultCluster":["broker-a","broker-b"]}}`
	ci, err := DecodeClusterInfo([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	a := ci.Brokers["broker-a"]
	if a.Cluster != "DefaultCluster" || a.ZoneName != "z1" || a.Addrs[1] != "127.0.0.1:10921" {
		t.Fatalf("broker-a: %+v", a)
	}
	if got, want := ci.MasterAddrs(), map[string]string{"broker-a": "127.0.0.1:10911"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("MasterAddrs %v, want %v", got, want)
	}
	if !ci.Brokers["broker-b"].EnableActingMaster || ci.Brokers["broker-b"].MasterAddr() != "" {
		t.Fatalf("broker-b: %+v", ci.Brokers["broker-b"])
	}
	if got := ci.Clusters["DefaultCluster"]; !reflect.DeepEqual(got, []string{"broker-a", "broker-b"}) {
		t.Fatalf("clusters %v", got)
	}
	empty, err := DecodeClusterInfo([]byte(`{"brokerAddrTable":{},"clusterAddrTable":{}}`))
	if err != nil || len(empty.Brokers) != 0 || empty.Clusters == nil {
		t.Fatalf("empty: %+v, %v", empty, err)
	}
	if _, err := DecodeClusterInfo([]byte(`{"brokerAddrTable":{"b":{"brokerAddrs":{x:"a"}}}}`)); err == nil {
		t.Fatal("non-numeric broker id accepted")
	}
}

func TestDecodeTopicRoute(t *testing.T) {
	want := TopicRoute{
		Brokers: []BrokerData{{Cluster: "DefaultCluster", BrokerName: "broker-a", Addrs: map[int64]string{0: "127.0.0.1:10911"}}},
		Queues:  []QueueData{{BrokerName: "broker-a", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}},
	}
	for name, body := range map[string]string{
		"standard": `{"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`,
		"fastjson": `{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := DecodeTopicRoute([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDecodeConsumeStats(t *testing.T) {
	mq := func(topic string, q int) MessageQueue {
		return MessageQueue{Topic: topic, BrokerName: "broker-a", QueueID: q}
	}
	t.Run("5.x with pullOffset and retry queue", func(t *testing.T) {
		body := `{"consumeTps":1.5,"offsetTable":{` +
			`{"brokerName":"broker-a","queueId":3,"topic":"MyTopic"}:{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1700000000000,"pullOffset":95},` +
			`{"brokerName":"broker-a","queueId":0,"topic":"%RETRY%g"}:{"brokerOffset":2,"consumerOffset":0,"lastTimestamp":0,"pullOffset":0}}}`
		s, err := DecodeConsumeStats([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		want := ConsumeStats{ConsumeTPS: 1.5, Offsets: map[MessageQueue]OffsetWrapper{
			mq("MyTopic", 3):  {BrokerOffset: 100, ConsumerOffset: 90, PullOffset: 95, HasPullOffset: true, LastTimestamp: 1700000000000},
			mq("%RETRY%g", 0): {BrokerOffset: 2, PullOffset: 0, HasPullOffset: true},
		}}
		if !reflect.DeepEqual(s, want) {
			t.Fatalf("got %+v\nwant %+v", s, want)
		}
		if s.TotalLag() != 12 {
			t.Fatalf("TotalLag %d, want 12", s.TotalLag())
		}
		if n, ok := s.Offsets[mq("MyTopic", 3)].Inflight(); !ok || n != 5 {
			t.Fatalf("Inflight %d %v", n, ok)
		}
	})
	t.Run("4.9.x without pullOffset", func(t *testing.T) {
		body := `{"consumeTps":0.0,"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:{"brokerOffset":7,"consumerOffset":3,"lastTimestamp":1}}}`
		s, err := DecodeConsumeStats([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		o := s.Offsets[mq("T", 1)]
		if o.HasPullOffset || o.Lag() != 4 {
			t.Fatalf("%+v", o)
		}
		if _, ok := o.Inflight(); ok {
			t.Fatal("Inflight known without pullOffset")
		}
	})
	t.Run("unknown group is empty", func(t *testing.T) {
		s, err := DecodeConsumeStats([]byte(`{"consumeTps":0.0,"offsetTable":{}}`))
		if err != nil || len(s.Offsets) != 0 || s.TotalLag() != 0 {
			t.Fatalf("%+v %v", s, err)
		}
	})
	t.Run("NaN tps", func(t *testing.T) {
		s, err := DecodeConsumeStats([]byte(`{"consumeTps":NaN,"offsetTable":{}}`))
		if err != nil || s.ConsumeTPS != 0 {
			t.Fatalf("%+v %v", s, err)
		}
	})
}

func TestDecodeTopicStats(t *testing.T) {
	body := `{"offsetTable":{{"brokerName":"broker-a","queueId":3,"topic":"MyTopic"}:{"lastUpdateTimestamp":1700000000000,"maxOffset":500,"minOffset":0},` +
		`{"brokerName":"broker-a","queueId":0,"topic":"MyTopic"}:{"lastUpdateTimestamp":0,"maxOffset":0,"minOffset":0}},"topicPutTps":2.0}`
	ts, err := DecodeTopicStats([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := TopicStats{PutTPS: 2, Offsets: map[MessageQueue]TopicOffset{
		{Topic: "MyTopic", BrokerName: "broker-a", QueueID: 3}: {MaxOffset: 500, LastUpdateTimestamp: 1700000000000},
		{Topic: "MyTopic", BrokerName: "broker-a", QueueID: 0}: {},
	}}
	if !reflect.DeepEqual(ts, want) {
		t.Fatalf("got %+v\nwant %+v", ts, want)
	}
}

func TestDecodeConsumerConnection(t *testing.T) {
	body := `{"connectionSet":[{"clientAddr":"127.0.0.1:53412","clientId":"10.0.0.5@12345#1","language":"GO","version":317},` +
		`{"clientAddr":"127.0.0.1:53413","clientId":"10.0.0.6@1","language":"JAVA","version":479}],` +
		`"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING",` +
		`"subscriptionTable":{"T":{"classFilterMode":false,"codeSet":[65],"expressionType":"TAG","subString":"A || }:{","subVersion":1700000000000,"tagsSet":["A"],"topic":"T"}}}`
	cc, err := DecodeConsumerConnection([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(cc.Connections) != 2 || cc.MinVersion() != 317 || cc.MessageModel != Clustering || cc.ConsumeType != ConsumePassively {
		t.Fatalf("%+v", cc)
	}
	sub := cc.Subscriptions["T"]
	if sub.SubString != "A || }:{" || !reflect.DeepEqual(sub.TagsSet, []string{"A"}) || sub.SubVersion != 1700000000000 {
		t.Fatalf("subscription %+v", sub)
	}
}

func TestDecodeSubscriptionGroups(t *testing.T) {
	body := `{"dataVersion":{"counter":3,"stateVersion":0,"timestamp":1700000000000},"forbiddenTable":{},` +
		`"subscriptionGroupTable":{"g1":{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,` +
		`"consumeMessageOrderly":false,"consumeTimeoutMinute":15,"groupName":"g1","groupRetryPolicy":{"type":"CUSTOMIZED"},` +
		`"notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1,"attributes":{}}}}`
	groups, err := DecodeSubscriptionGroups([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	g := groups["g1"]
	if g.GroupName != "g1" || !g.ConsumeEnable || g.RetryMaxTimes != 16 || g.WhichBrokerWhenConsumeSlowly != 1 {
		t.Fatalf("%+v", g)
	}
}

func TestDecodeTopicList(t *testing.T) {
	got, err := decodeTopicList([]byte(`{"brokerAddr":"x","topicList":["b","%RETRY%g","a"]}`))
	if err != nil || !reflect.DeepEqual(got, []string{"%RETRY%g", "a", "b"}) {
		t.Fatalf("%v %v", got, err)
	}
}
