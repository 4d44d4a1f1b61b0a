package mqadmin

// str copies a double-quoted string, checking its escapes and escaping raw control bytes.
func (p *parser) str() error {
	p.pos++ // opening quote
	p.emit('"')
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		switch {
		case c == '"':
			p.pos++
			p.emit('"')
			return nil
		case c == '\\':
			if p.pos+1 >= len(p.in) {
				return p.errorf("unterminated escape")
			}
			e := p.in[p.pos+1]
			switch e {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.emit(c, e)
				p.pos += 2
			case 'u':
				if p.pos+6 > len(p.in) || !isHex4(p.in[p.pos+2:p.pos+6]) {
					return p.errorf("bad \\u escape")
				}
				p.emit(p.in[p.pos : p.pos+6]...)
				p.pos += 6
			default:
				return p.errorf("bad escape \\%c", e)
			}
		case c < 0x20:
			p.emit('\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			p.pos++
		default:
			p.emit(c)
			p.pos++
		}
	}
	return p.errorf("unterminated string")
}

// number copies a number that follows the JSON grammar.
func (p *parser) number() error {
	start := p.pos
	if p.in[p.pos] == '-' {
		p.pos++
	}
	intStart := p.pos
	n := p.digits()
	if n == 0 {
		return p.errorf("bad number")
	}
	if n > 1 && p.in[intStart] == '0' {
		return p.errorf("leading zero in number")
	}
	if p.pos < len(p.in) && p.in[p.pos] == '.' {
		p.pos++
		if p.digits() == 0 {
			return p.errorf("bad fraction")
		}
	}
	if p.pos < len(p.in) && (p.in[p.pos] == 'e' || p.in[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.in) && (p.in[p.pos] == '+' || p.in[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			return p.errorf("bad exponent")
		}
	}
	p.emit(p.in[start:p.pos]...)
	return nil
}

func (p *parser) digits() int {
	n := 0
	for p.pos < len(p.in) && p.in[p.pos] >= '0' && p.in[p.pos] <= '9' {
		p.pos++
		n++
	}
	return n
}

const hexDigits = "0123456789abcdef"

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// appendQuoted appends raw as a JSON string literal.
func appendQuoted(dst, raw []byte) []byte {
	dst = append(dst, '"')
	for _, c := range raw {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
