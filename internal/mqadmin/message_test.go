package mqadmin

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// storedMessage lays out a message as the broker stores it (MessageDecoder.encode), for
// tests: topic length in one byte (v1) or two (v2).
func storedMessage(v2 bool, topic string, queue int32, offset int64, body []byte, props string, sysFlag int32, born, store netip.AddrPort) []byte {
	var b bytes.Buffer
	w := func(v any) { binary.Write(&b, binary.BigEndian, v) } //nolint:errcheck // bytes.Buffer
	host := func(a netip.AddrPort) {
		ip := a.Addr().AsSlice()
		b.Write(ip)
		w(int32(a.Port()))
	}
	w(int32(0)) // size, set below
	if v2 {
		w(int32(magicV2))
	} else {
		w(int32(magicV1))
	}
	w(int32(0)) // body CRC
	w(queue)
	w(int32(0))
	w(offset)
	w(int64(4096 + offset)) // commit log offset
	w(sysFlag)
	w(int64(1700000000000))
	host(born)
	w(int64(1700000000123))
	host(store)
	w(int32(2)) // reconsume times
	w(int64(0))
	w(int32(len(body)))
	b.Write(body)
	if v2 {
		w(int16(len(topic)))
	} else {
		b.WriteByte(byte(len(topic)))
	}
	b.WriteString(topic)
	w(int16(len(props)))
	b.WriteString(props)
	out := b.Bytes()
	binary.BigEndian.PutUint32(out, uint32(len(out)))
	return out
}

func TestDecodeMessages(t *testing.T) {
	v4 := netip.MustParseAddrPort("10.0.0.5:40000")
	v6 := netip.MustParseAddrPort("[2001:db8::1]:10911")
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("inflated body")) //nolint:errcheck // bytes.Buffer
	zw.Close()
	props := "KEYS\x01order-1 order-2\x02TAGS\x01paid\x02UNIQ_KEY\x01ABC\x02"
	one := storedMessage(false, "orders", 3, 17, []byte("hello"), props, 0, v4, v4)
	two := storedMessage(true, "orders-v2", 1, 5, z.Bytes(), "", flagCompressed|flagBornHostV6|flagStoreHostV6, v6, v6)
	ms, err := DecodeMessages(append(append([]byte{}, one...), two...))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d messages", len(ms))
	}
	m := ms[0]
	if m.Topic != "orders" || m.QueueID != 3 || m.QueueOffset != 17 || string(m.Body) != "hello" || m.Tag() != "paid" ||
		len(m.Keys()) != 2 || m.Keys()[1] != "order-2" || m.ReconsumeTimes != 2 || m.BornHost != "10.0.0.5:40000" ||
		!m.StoredAt.Equal(time.UnixMilli(1700000000123)) || m.MsgID != "0A00000500009C40"+"0000000000001011" {
		t.Errorf("first message %+v (id %s)", m, m.MsgID)
	}
	if m := ms[1]; m.Topic != "orders-v2" || string(m.Body) != "inflated body" || m.StoreHost != "[2001:db8::1]:10911" || m.Compression != "" {
		t.Errorf("second message %+v", m)
	}
	for name, bad := range map[string][]byte{
		"truncated":  one[:len(one)-3],
		"bad magic":  append([]byte{0, 0, 0, 20, 1, 2, 3, 4}, make([]byte, 12)...),
		"size short": {0, 0, 0, 4},
	} {
		if _, err := DecodeMessages(bad); !errors.Is(err, ErrBadMessage) {
			t.Errorf("%s: err %v, want ErrBadMessage", name, err)
		}
	}
}

func FuzzDecodeMessages(f *testing.F) {
	v4 := netip.MustParseAddrPort("10.0.0.5:40000")
	f.Add(storedMessage(false, "t", 0, 1, []byte("b"), "KEYS\x01k\x02", 0, v4, v4))
	f.Add(storedMessage(true, "t2", 1, 2, nil, "", flagBornHostV6, netip.MustParseAddrPort("[::1]:1"), v4))
	f.Fuzz(func(t *testing.T, in []byte) {
		ms, err := DecodeMessages(in)
		total := 0
		for _, m := range ms {
			total += m.StoreSize
			if m.StoreSize < 20 || len(m.Body) > maxInflatedBody {
				t.Fatalf("message of %d bytes, body %d", m.StoreSize, len(m.Body))
			}
		}
		if err == nil && total != len(in) {
			t.Fatalf("decoded %d of %d bytes without error", total, len(in))
		}
	})
}
