package mqadmin

import (
	"errors"
	"fmt"
)

// ErrBadJSON is returned (wrapped) when a body cannot be read even by the tolerant parser.
var ErrBadJSON = errors.New("unparseable fastjson body")

// maxJSONDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxJSONDepth = 256

// NormalizeFastJSON rewrites a fastjson body into standard JSON in one pass:
//
//   - an object key that is not a string (an object, an array, a bare number or word) becomes
//     a JSON string holding the key's raw text, so {{"topic":"T",...}:1} decodes into a
//     map[string]T whose key is `{"topic":"T",...}` and {0:"a"} into one whose key is "0";
//   - NaN, Infinity and -Infinity become null;
//   - whitespace outside strings is dropped and raw control characters inside strings are
//     escaped.
//
// Standard JSON comes out unchanged apart from whitespace. The output of a successful call is
// always valid JSON and at most about six times the size of the input.
func NormalizeFastJSON(in []byte) ([]byte, error) {
	p := parser{in: in, out: make([]byte, 0, len(in)+len(in)/8+16)}
	p.ws()
	if err := p.value(0); err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.in) {
		return nil, p.errorf("trailing data")
	}
	return p.out, nil
}

type parser struct {
	in      []byte
	pos     int
	out     []byte
	discard int // >0 while validating a key whose raw text is copied instead
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s: %w", p.pos, fmt.Sprintf(format, args...), ErrBadJSON)
}

func (p *parser) emit(b ...byte) {
	if p.discard == 0 {
		p.out = append(p.out, b...)
	}
}

func (p *parser) emitString(s string) {
	if p.discard == 0 {
		p.out = append(p.out, s...)
	}
}

func (p *parser) ws() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) error {
	if depth > maxJSONDepth {
		return p.errorf("nesting deeper than %d", maxJSONDepth)
	}
	if p.pos >= len(p.in) {
		return p.errorf("unexpected end")
	}
	switch c := p.in[p.pos]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		if p.word("-Infinity") {
			p.emitString("null")
			return nil
		}
		return p.number()
	case p.word("true"):
		p.emitString("true")
	case p.word("false"):
		p.emitString("false")
	case p.word("null"):
		p.emitString("null")
	case p.word("NaN"), p.word("Infinity"):
		p.emitString("null")
	default:
		return p.errorf("unexpected %q", c)
	}
	return nil
}

// word consumes w if the input continues with it and w is not the prefix of a longer token.
func (p *parser) word(w string) bool {
	end := p.pos + len(w)
	if end > len(p.in) || string(p.in[p.pos:end]) != w {
		return false
	}
	if end < len(p.in) && isWordByte(p.in[end]) {
		return false
	}
	p.pos = end
	return true
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c == '.' || c == '-' || c == '+' ||
		(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func (p *parser) object(depth int) error {
	p.pos++ // '{'
	p.emit('{')
	p.ws()
	if p.pos < len(p.in) && p.in[p.pos] == '}' {
		p.pos++
		p.emit('}')
		return nil
	}
	for {
		p.ws()
		if err := p.key(depth); err != nil {
			return err
		}
		p.ws()
		if p.pos >= len(p.in) || p.in[p.pos] != ':' {
			return p.errorf("expected ':' after object key")
		}
		p.pos++
		p.emit(':')
		p.ws()
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.ws()
		if p.pos >= len(p.in) {
			return p.errorf("unterminated object")
		}
		switch p.in[p.pos] {
		case ',':
			p.pos++
			p.emit(',')
		case '}':
			p.pos++
			p.emit('}')
			return nil
		default:
			return p.errorf("expected ',' or '}' in object, got %q", p.in[p.pos])
		}
	}
}

// key emits an object key as a JSON string. A string key is copied; any other key is
// validated and its raw input text is quoted. Quoting raw input (rather than normalised
// output) keeps nested non-string keys from being escaped once per level.
func (p *parser) key(depth int) error {
	if p.pos >= len(p.in) {
		return p.errorf("unexpected end, want object key")
	}
	start := p.pos
	switch c := p.in[p.pos]; {
	case c == '"':
		return p.str()
	case c == '{' || c == '[':
		p.discard++
		err := p.value(depth + 1)
		p.discard--
		if err != nil {
			return err
		}
	case isWordByte(c):
		for p.pos < len(p.in) && isWordByte(p.in[p.pos]) {
			p.pos++
		}
	default:
		return p.errorf("unexpected %q, want object key", c)
	}
	if p.discard == 0 {
		p.out = appendQuoted(p.out, p.in[start:p.pos])
	}
	return nil
}

func (p *parser) array(depth int) error {
	p.pos++ // '['
	p.emit('[')
	p.ws()
	if p.pos < len(p.in) && p.in[p.pos] == ']' {
		p.pos++
		p.emit(']')
		return nil
	}
	for {
		p.ws()
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.ws()
		if p.pos >= len(p.in) {
			return p.errorf("unterminated array")
		}
		switch p.in[p.pos] {
		case ',':
			p.pos++
			p.emit(',')
		case ']':
			p.pos++
			p.emit(']')
			return nil
		default:
			return p.errorf("expected ',' or ']' in array, got %q", p.in[p.pos])
		}
	}
}
