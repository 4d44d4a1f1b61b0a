package mqadmin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func frameSeeds() [][]byte {
	req, _ := EncodeFrame(&Command{Code: 208, Language: "GO", Version: 479, Opaque: 1,
		ExtFields: map[string]string{"consumerGroup": "g"}}, 0)
	return [][]byte{
		req,
		rawFrame(0, []byte(`{"code":0,"flag":1,"language":"JAVA","opaque":42,"serializeTypeCurrentRPC":"JSON","version":403}`),
			[]byte(`{"brokerAddrTable":{}}`)),
		rawFrame(0, []byte(`{"code":206,"extFields":{"a":"1","b":2},"flag":1,"remark":"x","opaque":9}`), nil),
		rawFrame(1, binaryHeader(&Command{Code: 0, Version: 409, Opaque: 5, Flag: 1, Remark: "r",
			ExtFields: map[string]string{"offset": "100"}}, 0, "offset"), []byte("{}")),
		{0, 0, 0, 4, 0, 0, 0, 0},
		{0, 0, 0, 8, 1, 0, 0, 4, 1, 2, 3, 4},
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range frameSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 1 << 16
		c, err := ReadFrame(bytes.NewReader(data), limit)
		if err != nil {
			return
		}
		if c.Body != nil && len(c.Body) > len(data) {
			t.Fatalf("body of %d bytes from %d input bytes", len(c.Body), len(data))
		}
		if !commandIsUTF8(c) {
			return // JSON re-encoding replaces invalid UTF-8, so no round trip
		}
		b, err := EncodeFrame(c, 0)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		c2, err := DecodeFrame(b, 0)
		if err != nil {
			t.Fatalf("decode re-encoded frame: %v", err)
		}
		if len(c.ExtFields) == 0 {
			c.ExtFields = nil // an empty map is omitted on the wire
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", c2, c)
		}
	})
}

func commandIsUTF8(c *Command) bool {
	if !utf8.ValidString(c.Language) || !utf8.ValidString(c.Remark) {
		return false
	}
	for k, v := range c.ExtFields {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return false
		}
	}
	return true
}

func FuzzNormalizeFastJSON(f *testing.F) {
	for _, s := range []string{
		`{"consumeTps":1.5,"offsetTable":{{"brokerName":"broker-a","queueId":3,"topic":"MyTopic"}:{"brokerOffset":100,"consumerOffset":90,"lastTimestamp":1700000000000,"pullOffset":95}}}`,
		`{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}`,
		`{"offsetTable":[[{"brokerName":"b","queueId":0,"topic":"T"},11]]}`,
		`{"a":"}:{,{","b":NaN,"c":-Infinity,"d":[1e3,-0.5,true,null]}`,
		`{{{"x":1}:2}:3}`,
		"{\"a\":\"\t\\u00e9\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := NormalizeFastJSON(in)
		if err != nil {
			if !errors.Is(err, ErrBadJSON) {
				t.Fatalf("error does not wrap ErrBadJSON: %v", err)
			}
			if json.Valid(in) && !strings.Contains(err.Error(), "nesting") {
				t.Fatalf("valid JSON refused: %v", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output is not valid JSON: %q", out)
		}
		if len(out) > 6*len(in)+16 {
			t.Fatalf("output %d bytes from %d", len(out), len(in))
		}
		if json.Valid(in) {
			a, b := decodeNumbers(t, in), decodeNumbers(t, out)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("standard JSON changed meaning: %q -> %q", in, out)
			}
		}
	})
}

// decodeNumbers decodes JSON keeping numbers as text, so numbers beyond float64 compare too.
func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

func FuzzNormalizeDecodeConsumeStats(f *testing.F) {
	f.Add([]byte(`{"consumeTps":0.0,"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"brokerOffset":7,"consumerOffset":3}}}`))
	f.Add([]byte(`{"offsetTable":[[{"brokerName":"b","queueId":0,"topic":"T"},{"brokerOffset":1}]]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := DecodeConsumeStats(in)
		if err == nil && s.Offsets == nil {
			t.Fatal("nil offsets without error")
		}
		_, _ = DecodeClusterInfo(in)
		_, _ = ParseMessageQueueKey(string(in))
	})
}

// consumeStatsBody builds a fastjson GET_CONSUME_STATS body with n queues spread over
// topics of 16 queues, the last topic being the group's retry topic.
func consumeStatsBody(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"consumeTps":12.5,"offsetTable":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		topic := fmt.Sprintf("orders-%03d", i/16)
		if i == n-1 {
			topic = "%RETRY%billing"
		}
		fmt.Fprintf(&b, `{"brokerName":"broker-%c","queueId":%d,"topic":"%s"}:`, 'a'+byte(i%3), i%16, topic)
		fmt.Fprintf(&b, `{"brokerOffset":%d,"consumerOffset":%d,"lastTimestamp":%d,"pullOffset":%d}`,
			1000000+i, 999000+i, 1700000000000+int64(i), 999500+i)
	}
	b.WriteString(`}}`)
	return []byte(b.String())
}

func TestConsumeStatsBody1000(t *testing.T) {
	s, err := DecodeConsumeStats(consumeStatsBody(1000))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Offsets) != 1000 || s.TotalLag() != 1000*1000 {
		t.Fatalf("%d queues, lag %d", len(s.Offsets), s.TotalLag())
	}
}

func BenchmarkDecodeConsumeStats1000(b *testing.B) {
	body := consumeStatsBody(1000)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeConsumeStats(body); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzParseMessageQueueKey(f *testing.F) {
	for _, s := range []string{
		`{"brokerName":"broker-a","queueId":3,"topic":"MyTopic"}`,
		`{"topic":"T","queueId":-1,"brokerName":"b"}`,
		`{"brokerName":"b","queueId":01,"topic":"T"}`,
		`{"brokerName":"b","queueId":1,"topic":"T","x":1}`,
		`{ "brokerName" : "b\u0041", queueId:2, "topic":"T" }`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		fast, ok := parseMQKeyFast(key)
		if !ok {
			_, _ = ParseMessageQueueKey(key)
			return
		}
		var slow MessageQueue
		if err := json.Unmarshal([]byte(key), &slow); err != nil {
			t.Fatalf("fast path accepted %q, encoding/json refuses: %v", key, err)
		}
		if fast != slow {
			t.Fatalf("%q: fast %+v, encoding/json %+v", key, fast, slow)
		}
	})
}
