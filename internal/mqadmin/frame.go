package mqadmin

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxFrameSize is the largest frame accepted or sent unless Options.MaxFrameSize says
// otherwise. It matches the broker's own default frame limit.
const DefaultMaxFrameSize = 16 << 20

// Serialize types carried in the top byte of the header length word.
const (
	serializeJSON     = 0
	serializeRocketMQ = 1
)

// Flag bits of a Command.
const (
	// FlagResponse marks a frame as a response to the request with the same opaque.
	FlagResponse int32 = 1 << 0
	// FlagOneway marks a request that expects no response.
	FlagOneway int32 = 1 << 1
)

// ErrMalformedFrame is returned (wrapped) for any frame that does not follow the protocol.
var ErrMalformedFrame = errors.New("malformed remoting frame")

// ErrFrameTooLarge is returned (wrapped) when a frame's length exceeds the configured limit.
var ErrFrameTooLarge = errors.New("remoting frame too large")

// Command is one remoting frame, either a request or a response.
type Command struct {
	Code      int32             // request code, or response code in responses
	Language  string            // language name of the sender, e.g. "GO", "JAVA"
	Version   int32             // sender's version ordinal
	Opaque    int32             // request id, echoed by the response
	Flag      int32             // FlagResponse, FlagOneway
	Remark    string            // error text in responses
	ExtFields map[string]string // the custom header; every value is a string
	Body      []byte            // opaque body, usually (fast)JSON
}

// IsResponse reports whether c is a response frame.
func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }

// IsOneway reports whether c is a request that must not be answered.
func (c *Command) IsOneway() bool { return c.Flag&FlagOneway != 0 }

// jsonHeader is the JSON header as it goes on the wire; fields are in the alphabetical
// order Java emits, which keeps captured traffic comparable.
type jsonHeader struct {
	Code      int32             `json:"code"`
	ExtFields map[string]string `json:"extFields,omitempty"`
	Flag      int32             `json:"flag"`
	Language  string            `json:"language"`
	Opaque    int32             `json:"opaque"`
	Remark    string            `json:"remark,omitempty"`
	Version   int32             `json:"version"`
}

// EncodeFrame encodes c as a frame with a JSON header. It fails if the frame would be larger
// than maxSize bytes (DefaultMaxFrameSize when maxSize <= 0).
func EncodeFrame(c *Command, maxSize int) ([]byte, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxFrameSize
	}
	h, err := json.Marshal(jsonHeader{
		Code:      c.Code,
		ExtFields: c.ExtFields,
		Flag:      c.Flag,
		Language:  c.Language,
		Opaque:    c.Opaque,
		Remark:    c.Remark,
		Version:   c.Version,
	})
	if err != nil {
		return nil, fmt.Errorf("encode header: %w", err)
	}
	total := 4 + 4 + len(h) + len(c.Body)
	if len(h) > 0xFFFFFF || total > maxSize {
		return nil, fmt.Errorf("encode: %d bytes, limit %d: %w", total, maxSize, ErrFrameTooLarge)
	}
	buf := make([]byte, 8, total)
	binary.BigEndian.PutUint32(buf[0:4], uint32(total-4))
	binary.BigEndian.PutUint32(buf[4:8], uint32(serializeJSON)<<24|uint32(len(h)))
	buf = append(buf, h...)
	buf = append(buf, c.Body...)
	return buf, nil
}

// directAllocLimit is the largest frame whose buffer is allocated in full before its bytes
// arrive; larger frames grow their buffer as data is read, so a peer that announces a large
// frame and sends nothing cannot make us allocate it.
const directAllocLimit = 1 << 20

// ReadFrame reads and decodes one frame from r. A frame longer than maxSize bytes
// (DefaultMaxFrameSize when maxSize <= 0) is refused before its body is allocated.
// A clean end of stream before the first byte returns io.EOF.
func ReadFrame(r io.Reader, maxSize int) (*Command, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxFrameSize
	}
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, err
	}
	n := int64(binary.BigEndian.Uint32(lenBuf[:]))
	if n < 4 {
		return nil, fmt.Errorf("frame length %d: %w", n, ErrMalformedFrame)
	}
	if n+4 > int64(maxSize) {
		return nil, fmt.Errorf("frame length %d, limit %d: %w", n+4, maxSize, ErrFrameTooLarge)
	}
	var data []byte
	if n <= directAllocLimit {
		data = make([]byte, n)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("read frame: %w", noEOF(err))
		}
	} else {
		var err error
		data, err = io.ReadAll(io.LimitReader(r, n))
		if err != nil {
			return nil, fmt.Errorf("read frame: %w", err)
		}
		if int64(len(data)) != n {
			return nil, fmt.Errorf("read frame: %w", io.ErrUnexpectedEOF)
		}
	}
	return decodePayload(data)
}

// DecodeFrame decodes one complete frame held in b, including its length prefix. Bytes after
// the frame are an error.
func DecodeFrame(b []byte, maxSize int) (*Command, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("frame of %d bytes: %w", len(b), ErrMalformedFrame)
	}
	if n := binary.BigEndian.Uint32(b[:4]); int64(n) != int64(len(b)-4) {
		return nil, fmt.Errorf("frame length %d, have %d bytes: %w", n, len(b)-4, ErrMalformedFrame)
	}
	if maxSize <= 0 {
		maxSize = DefaultMaxFrameSize
	}
	if len(b) > maxSize {
		return nil, fmt.Errorf("frame length %d, limit %d: %w", len(b), maxSize, ErrFrameTooLarge)
	}
	return decodePayload(b[4:])
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// decodePayload decodes the bytes after the length word: header word, header, body.
func decodePayload(data []byte) (*Command, error) {
	if len(data) < 4 {
		return nil, fmt.Errorf("no header length: %w", ErrMalformedFrame)
	}
	word := binary.BigEndian.Uint32(data[:4])
	serType := byte(word >> 24)
	hLen := int(word & 0xFFFFFF)
	if hLen > len(data)-4 {
		return nil, fmt.Errorf("header length %d exceeds frame (%d): %w", hLen, len(data)-4, ErrMalformedFrame)
	}
	header, body := data[4:4+hLen], data[4+hLen:]
	var (
		c   *Command
		err error
	)
	switch serType {
	case serializeJSON:
		c, err = decodeJSONHeader(header)
	case serializeRocketMQ:
		c, err = decodeBinaryHeader(header)
	default:
		return nil, fmt.Errorf("serialize type %d: %w", serType, ErrMalformedFrame)
	}
	if err != nil {
		return nil, err
	}
	if len(body) > 0 {
		c.Body = body
	}
	return c, nil
}

// wireJSONHeader is what a peer may send: extFields values are strings from Java, but other
// scalars are tolerated and kept as their JSON text.
type wireJSONHeader struct {
	Code      int32                      `json:"code"`
	ExtFields map[string]json.RawMessage `json:"extFields"`
	Flag      int32                      `json:"flag"`
	Language  string                     `json:"language"`
	Opaque    int32                      `json:"opaque"`
	Remark    *string                    `json:"remark"`
	Version   int32                      `json:"version"`
}

func decodeJSONHeader(h []byte) (*Command, error) {
	var w wireJSONHeader
	if err := json.Unmarshal(h, &w); err != nil {
		return nil, fmt.Errorf("json header: %v: %w", err, ErrMalformedFrame)
	}
	c := &Command{Code: w.Code, Language: w.Language, Version: w.Version, Opaque: w.Opaque, Flag: w.Flag}
	if w.Remark != nil {
		c.Remark = *w.Remark
	}
	if len(w.ExtFields) > 0 {
		c.ExtFields = make(map[string]string, len(w.ExtFields))
		for k, raw := range w.ExtFields {
			v, ok, err := extValue(raw)
			if err != nil {
				return nil, fmt.Errorf("json header extFields[%q]: %v: %w", k, err, ErrMalformedFrame)
			}
			if ok {
				c.ExtFields[k] = v
			}
		}
	}
	return c, nil
}

// extValue turns one extFields value into a string; null means absent.
func extValue(raw json.RawMessage) (string, bool, error) {
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", false, nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, err
		}
		return s, true, nil
	default:
		return string(raw), true, nil
	}
}
