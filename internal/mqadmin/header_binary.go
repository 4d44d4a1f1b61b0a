package mqadmin

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// languageNames are the LanguageCode names by ordinal, as the binary header carries them.
var languageNames = []string{"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY",
	"OTHER", "HTTP", "GO", "PHP", "OMS", "RUST", "NODE_JS"}

// decodeBinaryHeader decodes a ROCKETMQ-serialized header. Every length is checked against
// the bytes present before anything is allocated for it.
func decodeBinaryHeader(h []byte) (*Command, error) {
	r := binReader{b: h}
	c := &Command{}
	c.Code = int32(int16(r.u16()))
	lang := r.u8()
	c.Version = int32(int16(r.u16()))
	c.Opaque = int32(r.u32())
	c.Flag = int32(r.u32())
	c.Remark = string(r.bytes(int(r.u32())))
	extLen := int(r.u32())
	if r.err != nil {
		return nil, fmt.Errorf("binary header: %v: %w", r.err, ErrMalformedFrame)
	}
	if int(lang) < len(languageNames) {
		c.Language = languageNames[lang]
	} else {
		c.Language = "LANGUAGE_" + strconv.Itoa(int(lang))
	}
	if extLen < 0 || extLen > len(r.b) {
		return nil, fmt.Errorf("binary header: ext length %d, have %d: %w", extLen, len(r.b), ErrMalformedFrame)
	}
	ext := binReader{b: r.bytes(extLen)}
	for len(ext.b) > 0 && ext.err == nil {
		k := ext.bytes(int(ext.u16()))
		v := ext.bytes(int(ext.u32()))
		if ext.err != nil {
			break
		}
		if c.ExtFields == nil {
			c.ExtFields = make(map[string]string)
		}
		c.ExtFields[string(k)] = string(v)
	}
	if ext.err != nil {
		return nil, fmt.Errorf("binary header ext: %v: %w", ext.err, ErrMalformedFrame)
	}
	return c, nil
}

// binReader reads big-endian fields from a byte slice; the first short read sets err and
// every later read returns zero.
type binReader struct {
	b   []byte
	err error
}

func (r *binReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("need %d bytes, have %d", n, len(r.b))
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *binReader) u8() uint8 {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *binReader) u16() uint16 {
	if p := r.take(2); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (r *binReader) u32() uint32 {
	if p := r.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

// bytes takes n bytes; a length that does not fit an int32 (negative on the wire) is an error.
func (r *binReader) bytes(n int) []byte {
	if n > 1<<31-1 {
		n = -1
	}
	return r.take(n)
}
