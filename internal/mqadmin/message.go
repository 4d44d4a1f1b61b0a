package mqadmin

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// ErrBadMessage is returned (wrapped) when stored message bytes cannot be decoded.
var ErrBadMessage = errors.New("malformed stored message")

// Message is one message as the broker stores it (MessageDecoder's layout).
type Message struct {
	Topic           string
	QueueID         int
	QueueOffset     int64
	CommitLogOffset int64
	StoreSize       int
	SysFlag         int32
	BornAt          time.Time
	BornHost        string
	StoredAt        time.Time
	StoreHost       string
	ReconsumeTimes  int32
	// Body is the message body, inflated when the broker stored it zlib-compressed. When
	// it is compressed in a way Lagboard does not inflate, Body is nil and Compression
	// names the codec.
	Body        []byte
	Compression string
	Properties  map[string]string
	// MsgID is the broker's offset message id: store host and commit log offset.
	MsgID string
}

// Message properties Lagboard reads.
const (
	PropKeys         = "KEYS"
	PropTags         = "TAGS"
	PropUniqKey      = "UNIQ_KEY"
	PropRealTopic    = "REAL_TOPIC"
	PropRetryTopic   = "RETRY_TOPIC"
	PropDelayLevel   = "DELAY"
	PropTimerDeliver = "TIMER_DELIVER_MS"
	PropOriginMsgID  = "ORIGIN_MESSAGE_ID"
)

// Keys returns the message's keys (KEYS, space separated).
func (m Message) Keys() []string { return strings.Fields(m.Properties[PropKeys]) }

// Tag returns the message's tag, "" when it has none.
func (m Message) Tag() string { return m.Properties[PropTags] }

// Message layout constants (MessageDecoder, MessageSysFlag, MessageVersion).
const (
	magicV1                = -626843481 // topic length in one byte
	magicV2                = -626843477 // topic length in two bytes
	flagCompressed         = 0x1
	flagBornHostV6         = 0x1 << 4
	flagStoreHostV6        = 0x1 << 5
	compressionMask        = 0x7 << 8
	maxInflatedBody        = 4 << 20
	propertyNameValue byte = 1
	propertySeparator byte = 2
)

// DecodeMessages decodes the stored messages a pull response carries, one after another.
func DecodeMessages(b []byte) ([]Message, error) {
	var out []Message
	for len(b) > 0 {
		m, n, err := decodeMessage(b)
		if err != nil {
			return out, fmt.Errorf("message %d: %w", len(out), err)
		}
		out = append(out, m)
		b = b[n:]
	}
	return out, nil
}

// msgReader reads big-endian fields and remembers the first short read.
type msgReader struct {
	b   []byte
	pos int
	err error
}

func (r *msgReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.pos {
		r.err = fmt.Errorf("%d bytes wanted at %d of %d: %w", n, r.pos, len(r.b), ErrBadMessage)
		return nil
	}
	v := r.b[r.pos : r.pos+n]
	r.pos += n
	return v
}

func (r *msgReader) i16() int16 {
	if v := r.take(2); v != nil {
		return int16(binary.BigEndian.Uint16(v))
	}
	return 0
}

func (r *msgReader) i32() int32 {
	if v := r.take(4); v != nil {
		return int32(binary.BigEndian.Uint32(v))
	}
	return 0
}

func (r *msgReader) i64() int64 {
	if v := r.take(8); v != nil {
		return int64(binary.BigEndian.Uint64(v))
	}
	return 0
}

// host reads an IPv4 or IPv6 address and a port.
func (r *msgReader) host(v6 bool) (string, []byte) {
	n := 4
	if v6 {
		n = 16
	}
	ip := r.take(n)
	port := r.i32()
	if r.err != nil {
		return "", nil
	}
	addr, _ := netip.AddrFromSlice(ip)
	raw := append(append([]byte{}, ip...), byte(port>>24), byte(port>>16), byte(port>>8), byte(port))
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)).String(), raw
}

// decodeMessage decodes the message at the start of b and returns its length.
func decodeMessage(b []byte) (Message, int, error) {
	r := &msgReader{b: b}
	size := int(r.i32())
	if r.err == nil && (size < 20 || size > len(b)) {
		return Message{}, 0, fmt.Errorf("store size %d with %d bytes left: %w", size, len(b), ErrBadMessage)
	}
	r.b = b[:size]
	var m Message
	m.StoreSize = size
	magic := r.i32()
	if r.err == nil && magic != magicV1 && magic != magicV2 {
		return Message{}, 0, fmt.Errorf("magic code %#x: %w", uint32(magic), ErrBadMessage)
	}
	r.i32() // body CRC
	m.QueueID = int(r.i32())
	r.i32() // flag
	m.QueueOffset = r.i64()
	m.CommitLogOffset = r.i64()
	m.SysFlag = r.i32()
	m.BornAt = time.UnixMilli(r.i64())
	m.BornHost, _ = r.host(m.SysFlag&flagBornHostV6 != 0)
	m.StoredAt = time.UnixMilli(r.i64())
	var storeRaw []byte
	m.StoreHost, storeRaw = r.host(m.SysFlag&flagStoreHostV6 != 0)
	m.ReconsumeTimes = r.i32()
	r.i64() // prepared transaction offset
	body := r.take(int(r.i32()))
	var topicLen int
	if magic == magicV2 {
		topicLen = int(uint16(r.i16()))
	} else if t := r.take(1); t != nil {
		topicLen = int(t[0])
	}
	m.Topic = string(r.take(topicLen))
	props := r.take(int(uint16(r.i16())))
	if r.err != nil {
		return Message{}, 0, r.err
	}
	m.Properties = parseMessageProperties(props)
	m.Body, m.Compression = inflate(body, m.SysFlag)
	m.MsgID = strings.ToUpper(hex.EncodeToString(append(storeRaw, binary.BigEndian.AppendUint64(nil, uint64(m.CommitLogOffset))...)))
	return m, size, nil
}

// parseMessageProperties reads name\x01value\x02 pairs.
func parseMessageProperties(b []byte) map[string]string {
	out := map[string]string{}
	for len(b) > 0 {
		var pair []byte
		if i := bytes.IndexByte(b, propertySeparator); i >= 0 {
			pair, b = b[:i], b[i+1:]
		} else {
			pair, b = b, nil
		}
		if k, v, ok := bytes.Cut(pair, []byte{propertyNameValue}); ok && len(k) > 0 {
			out[string(k)] = string(v)
		}
	}
	return out
}

// inflate returns a stored body as it was sent. zlib (the default codec) is inflated up to
// maxInflatedBody; other codecs are named and left out.
func inflate(body []byte, sysFlag int32) ([]byte, string) {
	if sysFlag&flagCompressed == 0 {
		return append([]byte(nil), body...), ""
	}
	switch (sysFlag & compressionMask) >> 8 {
	case 1:
		return nil, "lz4"
	case 2:
		return nil, "zstd"
	}
	zr, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, "zlib (unreadable)"
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxInflatedBody+1))
	if err != nil {
		return nil, "zlib (unreadable)"
	}
	if len(out) > maxInflatedBody {
		return nil, "zlib (over " + strconv.Itoa(maxInflatedBody>>20) + " MiB inflated)"
	}
	return out, ""
}
