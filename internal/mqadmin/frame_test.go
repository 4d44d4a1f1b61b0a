package mqadmin

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"
)

// rawFrame builds a frame from a header of the given serialize type and a body.
func rawFrame(serType byte, header, body []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(body))
	binary.BigEndian.PutUint32(b[0:4], uint32(4+len(header)+len(body)))
	binary.BigEndian.PutUint32(b[4:8], uint32(serType)<<24|uint32(len(header)))
	b = append(b, header...)
	return append(b, body...)
}

// binaryHeader encodes c's header in the ROCKETMQ binary form, ext in the given key order.
func binaryHeader(c *Command, lang byte, keys ...string) []byte {
	var b []byte
	b = binary.BigEndian.AppendUint16(b, uint16(c.Code))
	b = append(b, lang)
	b = binary.BigEndian.AppendUint16(b, uint16(c.Version))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Opaque))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Flag))
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.Remark)))
	b = append(b, c.Remark...)
	var ext []byte
	for _, k := range keys {
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(k)))
		ext = append(ext, k...)
		ext = binary.BigEndian.AppendUint32(ext, uint32(len(c.ExtFields[k])))
		ext = append(ext, c.ExtFields[k]...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(ext)))
	return append(b, ext...)
}

func TestEncodeFrame(t *testing.T) {
	c := &Command{Code: 208, Language: "GO", Version: 479, Opaque: 7,
		ExtFields: map[string]string{"consumerGroup": "g", "topic": "T"}, Body: []byte("xyz")}
	b, err := EncodeFrame(c, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.BigEndian.Uint32(b[0:4]); int(got) != len(b)-4 {
		t.Fatalf("length word %d, frame has %d bytes after it", got, len(b)-4)
	}
	word := binary.BigEndian.Uint32(b[4:8])
	if word>>24 != 0 {
		t.Fatalf("serialize type %d, want JSON (0)", word>>24)
	}
	hLen := int(word & 0xFFFFFF)
	want := `{"code":208,"extFields":{"consumerGroup":"g","topic":"T"},"flag":0,"language":"GO","opaque":7,"version":479}`
	if got := string(b[8 : 8+hLen]); got != want {
		t.Fatalf("header\n got %s\nwant %s", got, want)
	}
	if got := string(b[8+hLen:]); got != "xyz" {
		t.Fatalf("body %q", got)
	}
	if _, err := EncodeFrame(c, 20); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("tiny limit: err %v, want ErrFrameTooLarge", err)
	}
}

func TestDecodeFrame(t *testing.T) {
	clusterBody := []byte(`{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911"}}}}`)
	tests := []struct {
		name  string
		frame []byte
		want  *Command
	}{
		{
			name: "java json response",
			frame: rawFrame(0, []byte(`{"code":0,"flag":1,"language":"JAVA","opaque":42,"serializeTypeCurrentRPC":"JSON","version":403}`),
				clusterBody),
			want: &Command{Code: 0, Flag: 1, Language: "JAVA", Opaque: 42, Version: 403, Body: clusterBody},
		},
		{
			name:  "java json oneway request with ext",
			frame: rawFrame(0, []byte(`{"code":15,"extFields":{"topic":"%RETRY%g","queueId":"0","consumerGroup":"g","commitOffset":"18"},"flag":2,"language":"JAVA","opaque":3,"serializeTypeCurrentRPC":"JSON","version":453}`), nil),
			want: &Command{Code: 15, Flag: 2, Language: "JAVA", Opaque: 3, Version: 453,
				ExtFields: map[string]string{"topic": "%RETRY%g", "queueId": "0", "consumerGroup": "g", "commitOffset": "18"}},
		},
		{
			name:  "error response with remark",
			frame: rawFrame(0, []byte(`{"code":206,"flag":1,"language":"JAVA","opaque":9,"remark":"the consumer group[g] not online","version":479}`), nil),
			want:  &Command{Code: 206, Flag: 1, Language: "JAVA", Opaque: 9, Version: 479, Remark: "the consumer group[g] not online"},
		},
		{
			name:  "non-string ext values kept as text, null dropped",
			frame: rawFrame(0, []byte(`{"code":0,"extFields":{"offset":12,"ok":true,"gone":null},"flag":1,"opaque":1}`), nil),
			want:  &Command{Flag: 1, Opaque: 1, ExtFields: map[string]string{"offset": "12", "ok": "true"}},
		},
		{
			name: "binary response",
			frame: rawFrame(1, binaryHeader(&Command{Code: 0, Version: 409, Opaque: 5, Flag: 1,
				ExtFields: map[string]string{"offset": "100", "topic": "T"}}, 0, "offset", "topic"), []byte("{}")),
			want: &Command{Language: "JAVA", Version: 409, Opaque: 5, Flag: 1,
				ExtFields: map[string]string{"offset": "100", "topic": "T"}, Body: []byte("{}")},
		},
		{
			name: "binary request with remark and language GO",
			frame: rawFrame(1, binaryHeader(&Command{Code: 40, Version: 317, Opaque: -2, Flag: 2,
				Remark: "hi"}, 9), nil),
			want: &Command{Code: 40, Language: "GO", Version: 317, Opaque: -2, Flag: 2, Remark: "hi"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeFrame(tt.frame, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
			got, err = ReadFrame(bytes.NewReader(tt.frame), 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ReadFrame got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeFrameErrors(t *testing.T) {
	okHeader := []byte(`{"code":0,"flag":1,"opaque":1}`)
	withWord := func(word uint32, rest []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(4+len(rest)))
		b = binary.BigEndian.AppendUint32(b, word)
		return append(b, rest...)
	}
	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"length below 4", []byte{0, 0, 0, 2, 0, 0}, ErrMalformedFrame},
		{"header longer than frame", withWord(100, okHeader), ErrMalformedFrame},
		{"unknown serialize type", withWord(2<<24|uint32(len(okHeader)), okHeader), ErrMalformedFrame},
		{"bad json header", rawFrame(0, []byte(`{"code":`), nil), ErrMalformedFrame},
		{"json header not an object", rawFrame(0, []byte(`[1]`), nil), ErrMalformedFrame},
		{"binary header short", rawFrame(1, []byte{0, 1, 2}, nil), ErrMalformedFrame},
		{"binary remark overruns", rawFrame(1, append(binaryHeader(&Command{}, 0)[:13], 0xff, 0xff, 0xff, 0xff), nil), ErrMalformedFrame},
		{"binary ext entry overruns", rawFrame(1, append(binaryHeader(&Command{}, 0)[:17], 0, 0, 0, 4, 0, 9, 'k', 'k'), nil), ErrMalformedFrame},
		{"too large", binary.BigEndian.AppendUint32(nil, 1<<30), ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadFrame(bytes.NewReader(tt.frame), 1<<20)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
		})
	}
}

// failAfterLength is a reader that yields a length word and then fails the test if read
// again: an oversized frame must be refused before its body is read or allocated.
type failAfterLength struct {
	t    *testing.T
	word []byte
}

func (r *failAfterLength) Read(p []byte) (int, error) {
	if len(r.word) == 0 {
		r.t.Fatal("read past the length word of an oversized frame")
	}
	n := copy(p, r.word)
	r.word = r.word[n:]
	return n, nil
}

func TestReadFrameLimits(t *testing.T) {
	word := binary.BigEndian.AppendUint32(nil, DefaultMaxFrameSize)
	if _, err := ReadFrame(&failAfterLength{t: t, word: word}, 0); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err %v, want ErrFrameTooLarge", err)
	}
	if _, err := ReadFrame(bytes.NewReader(nil), 0); err != io.EOF {
		t.Fatalf("empty stream: err %v, want io.EOF", err)
	}
	f := rawFrame(0, []byte(`{"code":0}`), []byte("body"))
	for cut := 1; cut < len(f); cut++ {
		if _, err := ReadFrame(bytes.NewReader(f[:cut]), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: err %v, want io.ErrUnexpectedEOF", cut, err)
		}
	}
	// A large announced frame that never arrives is read incrementally, not preallocated.
	big := binary.BigEndian.AppendUint32(nil, 8<<20)
	big = append(big, 0, 0, 0, 2, '{', '}')
	if _, err := ReadFrame(bytes.NewReader(big), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("big truncated: err %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestFrameRoundTrip(t *testing.T) {
	c := &Command{Code: 222, Language: "GO", Version: 479, Opaque: 1 << 30, Flag: FlagResponse,
		Remark: `quote " and \ and ünïcode`, ExtFields: map[string]string{"isForce": "true", "timestamp": "-1"},
		Body: []byte(`{"offsetTable":{}}`)}
	b, err := EncodeFrame(c, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeFrame(b, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("got %+v, want %+v", got, c)
	}
	// The header must stay valid JSON that Java's parser accepts.
	hLen := binary.BigEndian.Uint32(b[4:8]) & 0xFFFFFF
	if !json.Valid(b[8 : 8+hLen]) {
		t.Fatal("header is not valid JSON")
	}
}
