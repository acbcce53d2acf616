package event

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeFast parses a message like json.Unmarshal does, but parses the row images ("data" and
// "old", nearly all of a message's bytes) with parseImages instead of reflection: decoding is the
// replayer's hottest path. encoding/json still checks that the whole body is valid JSON, so
// parseImages only ever sees well-formed JSON. FuzzImagesMatchEncodingJSON holds the two equal.
func decodeFast(b []byte, m *Message) error {
	type noImages Message // same fields, without methods
	aux := struct {
		*noImages
		Data json.RawMessage `json:"data"` // shallower than noImages.Data, so it wins
		Old  json.RawMessage `json:"old"`
	}{noImages: (*noImages)(m)}
	if err := json.Unmarshal(b, &aux); err != nil {
		return err
	}
	var err error
	if m.Data, err = parseImages(aux.Data); err != nil {
		return err
	}
	m.Old, err = parseImages(aux.Old)
	return err
}

var errImages = errors.New("row images must be an array of objects whose values are strings or null")

// imageParser walks the JSON of an array of flat objects of strings.
type imageParser struct {
	b    []byte
	i    int
	keys map[string]string // column names repeat in every row: allocate each once
}

// parseImages parses `null` or `[{"col": "text" | null, ...}, ...]`.
func parseImages(raw json.RawMessage) ([]map[string]*string, error) {
	p := &imageParser{b: raw, keys: map[string]string{}}
	p.space()
	if p.i == len(p.b) || p.literal("null") {
		return nil, nil
	}
	if !p.consume('[') {
		return nil, errImages
	}
	out := []map[string]*string{}
	for p.space(); !p.consume(']'); {
		row, err := p.object()
		if err != nil {
			return nil, err
		}
		out = append(out, row)
		p.space()
		p.consume(',')
		p.space()
	}
	return out, nil
}

func (p *imageParser) object() (map[string]*string, error) {
	if p.literal("null") {
		return nil, nil
	}
	if !p.consume('{') {
		return nil, errImages
	}
	row := make(map[string]*string, len(p.keys))
	for p.space(); !p.consume('}'); {
		k, err := p.str(true)
		if err != nil {
			return nil, err
		}
		p.space()
		if !p.consume(':') {
			return nil, errImages
		}
		p.space()
		if p.literal("null") {
			row[k] = nil
		} else {
			v, err := p.str(false)
			if err != nil {
				return nil, err
			}
			row[k] = &v
		}
		p.space()
		p.consume(',')
		p.space()
	}
	return row, nil
}

func (p *imageParser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *imageParser) consume(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *imageParser) literal(s string) bool {
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// str parses a JSON string; key strings are interned.
func (p *imageParser) str(key bool) (string, error) {
	if !p.consume('"') {
		return "", errImages
	}
	start := p.i
	for p.i < len(p.b) && p.b[p.i] != '"' && p.b[p.i] != '\\' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '"' { // no escapes: the common case
		raw := p.b[start:p.i]
		p.i++
		if key {
			if s, ok := p.keys[string(raw)]; ok {
				return s, nil
			}
			s := string(raw)
			p.keys[s] = s
			return s, nil
		}
		return string(raw), nil
	}
	p.i = start
	return p.escaped()
}

// escaped decodes a string with escapes the way encoding/json does (invalid surrogates become
// U+FFFD).
func (p *imageParser) escaped() (string, error) {
	out := make([]byte, 0, 64)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return "", errImages
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", errImages
			}
			if utf16.IsSurrogate(r) {
				r = p.lowSurrogate(r)
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", errImages
		}
	}
	return "", errImages
}

// lowSurrogate combines a high surrogate with a following \uXXXX low surrogate, or returns
// U+FFFD without consuming anything when none follows (as encoding/json does).
func (p *imageParser) lowSurrogate(hi rune) rune {
	if p.i+1 < len(p.b) && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' {
		save := p.i
		p.i += 2
		if lo, ok := p.hex4(); ok {
			if r := utf16.DecodeRune(hi, lo); r != utf8.RuneError {
				return r
			}
		}
		p.i = save
	}
	return utf8.RuneError
}

func (p *imageParser) hex4() (rune, bool) {
	if len(p.b)-p.i < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}
