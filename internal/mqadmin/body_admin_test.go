package mqadmin

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestDecodeBrokerConsumeStats(t *testing.T) {
	body := `{"brokerAddr":"127.0.0.1:10911","consumeStatsList":[` +
		`{"g1":[{"consumeTps":0.0,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"brokerOffset":10,"consumerOffset":4,"lastTimestamp":0,"pullOffset":6}}},` +
		`{"consumeTps":1.0,"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"%RETRY%g1"}:{"brokerOffset":1,"consumerOffset":1,"lastTimestamp":0}}}]},` +
		`{"g2":[{"consumeTps":0.0,"offsetTable":{}}]}],"totalDiff":6,"totalInflightDiff":2}`
	s, err := DecodeBrokerConsumeStats([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if s.BrokerAddr != "127.0.0.1:10911" || s.TotalDiff != 6 || s.TotalInflightDiff != 2 {
		t.Fatalf("%+v", s)
	}
	if len(s.Groups["g1"]) != 2 || len(s.Groups["g2"]) != 1 {
		t.Fatalf("groups %+v", s.Groups)
	}
	o := s.Groups["g1"][0].Offsets[MessageQueue{Topic: "T", BrokerName: "broker-a"}]
	if o.Lag() != 6 || o.HasPullOffset { // the broker sends 0 here: not a pull offset
		t.Fatalf("%+v", o)
	}
	empty, err := DecodeBrokerConsumeStats([]byte(`{"brokerAddr":"a","consumeStatsList":[],"totalDiff":0}`))
	if err != nil || len(empty.Groups) != 0 {
		t.Fatalf("%+v %v", empty, err)
	}
}

func TestDecodeConsumerRunningInfo(t *testing.T) {
	mq := MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: 1}
	t.Run("java client", func(t *testing.T) {
		body := `{"jstack":"\"main\" #1 prio=5","mqTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:` +
			`{"cachedMsgCount":2,"cachedMsgMaxOffset":9,"cachedMsgMinOffset":8,"cachedMsgSizeInMiB":0,"commitOffset":8,"droped":true,` +
			`"lastConsumeTimestamp":1700000000000,"lastLockTimestamp":0,"lastPullTimestamp":1700000000001,"locked":false,` +
			`"transactionMsgCount":0,"transactionMsgMaxOffset":0,"transactionMsgMinOffset":0,"tryUnlockTimes":0}},` +
			`"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","consumeThreadMax":20,"PROP_CONSUMEORDERLY":"false"},` +
			`"statusTable":{"T":{"consumeFailedMsgs":0,"consumeFailedTPS":0.0,"consumeOKTPS":1.5,"consumeRT":NaN,"pullRT":2.0,"pullTPS":3.0}},` +
			`"subscriptionSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1,"tagsSet":[],"topic":"T"}],` +
			`"userConsumerInfo":{}}`
		info, err := DecodeConsumerRunningInfo([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		p := info.Queues[mq]
		if p.CommitOffset != 8 || !p.Dropped || p.CachedMsgCount != 2 || p.LastPullTimestamp != 1700000000001 {
			t.Fatalf("queue %+v", p)
		}
		if info.Properties["PROP_CONSUME_TYPE"] != "CONSUME_PASSIVELY" || info.Properties["consumeThreadMax"] != "20" {
			t.Fatalf("properties %v", info.Properties)
		}
		if info.Status["T"].ConsumeOKTPS != 1.5 || info.JStack != `"main" #1 prio=5` || len(info.Subscriptions) != 1 {
			t.Fatalf("%+v", info)
		}
	})
	t.Run("go client", func(t *testing.T) {
		// The Go client writes its queue keys topic first, "dropped", and a space before jstack.
		body := `{"properties":{"PROP_CLIENT_VERSION":"v2.1.2"},"statusTable":{},"subscriptionSet":[{"classFilterMode":false,` +
			`"topic":"T","subString":"*","tagsSet":[],"codeSet":["65"],"subVersion":1,"expressionType":"TAG"}],` +
			`"mqTable":{{"topic":"T","brokerName":"broker-a","queueId":1}:{"commitOffset":5,"dropped":false}}, "jstack":"" }`
		info, err := DecodeConsumerRunningInfo([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if info.Queues[mq].CommitOffset != 5 || info.Properties["PROP_CLIENT_VERSION"] != "v2.1.2" {
			t.Fatalf("%+v", info)
		}
	})
}

func TestParseProperties(t *testing.T) {
	got := parseProperties([]byte("brokerName=broker-a\nuseServerSideResetOffset=true\n#c\n\nnamesrvAddr=127.0.0.1:9876;127.0.0.1:9877\nempty=\nx=a=b\n"))
	want := map[string]string{"brokerName": "broker-a", "useServerSideResetOffset": "true",
		"namesrvAddr": "127.0.0.1:9876;127.0.0.1:9877", "empty": "", "x": "a=b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v", got)
	}
}

func TestDecodeResetOffsetBody(t *testing.T) {
	a := MessageQueue{Topic: "topicB", BrokerName: "RaftNode00", QueueID: 0}
	for name, body := range map[string]string{
		"fastjson": `{"offsetTable":{{"brokerName":"RaftNode00","queueId":0,"topic":"topicB"}:11110}}`,
		"gson":     `{"offsetTable":[[{"brokerName":"RaftNode00","queueId":0,"topic":"topicB"},11110]]}`,
	} {
		t.Run(name, func(t *testing.T) {
			var w struct {
				OffsetTable json.RawMessage `json:"offsetTable"`
			}
			if err := decodeBody([]byte(body), &w); err != nil {
				t.Fatal(err)
			}
			got, err := decodeMQTable[int64](w.OffsetTable)
			if err != nil || !reflect.DeepEqual(got, map[MessageQueue]int64{a: 11110}) {
				t.Fatalf("%v %v", got, err)
			}
		})
	}
}
