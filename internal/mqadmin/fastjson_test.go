package mqadmin

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizeFastJSON(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"standard json unchanged", `{"a":[1,2.5,-3e2,true,false,null,"s"]}`, `{"a":[1,2.5,-3e2,true,false,null,"s"]}`},
		{"whitespace dropped", " { \"a\" : [ 1 , 2 ] }\n", `{"a":[1,2]}`},
		{"unquoted numeric keys", `{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"}}`,
			`{"brokerAddrs":{"0":"127.0.0.1:10911","1":"127.0.0.1:10921"}}`},
		{"negative numeric key", `{-1:"x"}`, `{"-1":"x"}`},
		{"object key", `{{"brokerName":"b","queueId":0,"topic":"T"}:5}`,
			`{"{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"}":5}`},
		{"array key", `{[1,2]:"x"}`, `{"[1,2]":"x"}`},
		{"string containing }: and ,{", `{"subString":"a}:b,{c","k":{"x":"}:{"}}`, `{"subString":"a}:b,{c","k":{"x":"}:{"}}`},
		{"object key with }: inside a string", `{{"topic":"a}:{b"}:1}`, `{"{\"topic\":\"a}:{b\"}":1}`},
		{"NaN and Infinity", `{"a":NaN,"b":Infinity,"c":-Infinity,"d":[NaN]}`, `{"a":null,"b":null,"c":null,"d":[null]}`},
		{"empty tables", `{"offsetTable":{},"list":[]}`, `{"offsetTable":{},"list":[]}`},
		{"raw control chars escaped", "{\"a\":\"x\ty\"}", `{"a":"x\u0009y"}`},
		{"escapes kept", `{"a":"q\"b\\s\/\u00e9\n"}`, `{"a":"q\"b\\s\/\u00e9\n"}`},
		{"gson pair form untouched", `{"offsetTable":[[{"brokerName":"b","queueId":1,"topic":"T"},7]]}`,
			`{"offsetTable":[[{"brokerName":"b","queueId":1,"topic":"T"},7]]}`},
		{"nested object keys quoted once", `{{{"x":1}:2}:3}`, `{"{{\"x\":1}:2}":3}`},
		{"bare word key", `{topic:"T"}`, `{"topic":"T"}`},
		{"top-level scalar", `42`, `42`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeFastJSON([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatalf("output is not valid JSON: %s", got)
			}
		})
	}
}

func TestNormalizeFastJSONErrors(t *testing.T) {
	for _, in := range []string{
		``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `"unterminated`, `"bad \x escape"`,
		`"\u12"`, `01`, `-`, `1.`, `1e`, `tru`, `truex`, `{"a":1}}`, `{:1}`, `{"a" 1}`, `NaNa`,
		strings.Repeat("[", maxJSONDepth+2) + strings.Repeat("]", maxJSONDepth+2),
	} {
		if out, err := NormalizeFastJSON([]byte(in)); !errors.Is(err, ErrBadJSON) {
			t.Errorf("%q: got %q, %v; want ErrBadJSON", in, out, err)
		}
	}
}

func TestParseKeys(t *testing.T) {
	mq, err := ParseMessageQueueKey(`{"brokerName":"broker-a","queueId":3,"topic":"%RETRY%g"}`)
	if err != nil {
		t.Fatal(err)
	}
	if want := (MessageQueue{Topic: "%RETRY%g", BrokerName: "broker-a", QueueID: 3}); mq != want {
		t.Fatalf("got %+v, want %+v", mq, want)
	}
	// Whitespace and a fastjson quirk inside the key itself.
	mq, err = ParseMessageQueueKey(` { "brokerName" : "b", queueId : 1, "topic":"T", "x":NaN } `)
	if err != nil {
		t.Fatal(err)
	}
	if want := (MessageQueue{Topic: "T", BrokerName: "b", QueueID: 1}); mq != want {
		t.Fatalf("got %+v, want %+v", mq, want)
	}
	for _, bad := range []string{`0`, `"x"`, `{"queueId":"x"}`, `{`} {
		if _, err := ParseMessageQueueKey(bad); !errors.Is(err, ErrBadJSON) {
			t.Errorf("ParseMessageQueueKey(%q): err %v, want ErrBadJSON", bad, err)
		}
	}
	if n, err := ParseIntKey("-12"); err != nil || n != -12 {
		t.Fatalf("ParseIntKey: %d, %v", n, err)
	}
	if _, err := ParseIntKey("x"); !errors.Is(err, ErrBadJSON) {
		t.Fatalf("ParseIntKey(x): %v", err)
	}
}

func TestDecodeMQTable(t *testing.T) {
	a := MessageQueue{Topic: "T", BrokerName: "b", QueueID: 0}
	b := MessageQueue{Topic: "T", BrokerName: "b", QueueID: 1}
	tests := []struct {
		name, body string
		want       map[MessageQueue]int64
	}{
		{"fastjson object keys",
			`{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:11,{"brokerName":"b","queueId":1,"topic":"T"}:12}}`,
			map[MessageQueue]int64{a: 11, b: 12}},
		{"gson pairs", `{"offsetTable":[[{"brokerName":"b","queueId":0,"topic":"T"},11],[{"brokerName":"b","queueId":1,"topic":"T"},12]]}`,
			map[MessageQueue]int64{a: 11, b: 12}},
		{"empty object", `{"offsetTable":{}}`, map[MessageQueue]int64{}},
		{"empty array", `{"offsetTable":[]}`, map[MessageQueue]int64{}},
		{"absent", `{}`, map[MessageQueue]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w struct {
				OffsetTable json.RawMessage `json:"offsetTable"`
			}
			if err := decodeBody([]byte(tt.body), &w); err != nil {
				t.Fatal(err)
			}
			got, err := decodeMQTable[int64](w.OffsetTable)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range []string{`[[{"topic":"T"}]]`, `[[1,2]]`, `{"notmq":1}`, `[[{"topic":"T"},"x"]]`} {
		if _, err := decodeMQTable[int64](json.RawMessage(bad)); !errors.Is(err, ErrBadJSON) {
			t.Errorf("%s: err %v, want ErrBadJSON", bad, err)
		}
	}
}
