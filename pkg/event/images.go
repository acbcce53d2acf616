package event

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeFast parses a message body (valid UTF-8: Decode checks) exactly like json.Unmarshal would,
// but only the small envelope goes through encoding/json. The row images ("data" and "old",
// nearly all of a message's bytes) are cut out by a strict top-level scan and parsed by
// parseImages: encoding/json would first validate and then skip them, which was about a third of
// a replayer's CPU on 1,000-row messages. Keys match case-insensitively, as in encoding/json, and
// the last of duplicate keys wins. FuzzDecodeMatchesEncodingJSON and
// FuzzImagesMatchEncodingJSON hold the two equal.
//
// It returns the distinct column names of all images, so that validation checks each name once
// instead of once per row.
func decodeFast(b []byte, m *Message) (keys map[string]string, err error) {
	body := string(b) // one copy; image values are substrings of it
	env, data, old, err := splitEnvelope(body)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(env, (*noImages)(m)); err != nil {
		return nil, err
	}
	keys = map[string]string{}
	if m.Data, err = parseImageString(body, data, keys); err != nil {
		return nil, err
	}
	if m.Old, err = parseImageString(body, old, keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// noImages has Message's fields without its methods; the envelope decodes into it.
type noImages Message

// span is a value's byte range in the body; a zero span means the key was absent.
type span struct{ start, end int }

// splitEnvelope checks the top-level object's syntax and returns it without its "data" and "old"
// members (each value verbatim, so encoding/json validates it), and those members' spans.
func splitEnvelope(body string) (env []byte, data, old span, err error) {
	p := &imageParser{s: body}
	if p.space(); p.literal("null") { // encoding/json leaves the message untouched
		if p.space(); p.i == len(body) {
			return []byte("null"), data, old, nil
		}
		return nil, data, old, errSyntax(p.i)
	}
	if !p.consume('{') {
		return nil, data, old, errors.New("message body is not a JSON object")
	}
	env = append(make([]byte, 0, 1024), '{')
	for p.space(); !p.consume('}'); {
		if len(env) > 1 || data != (span{}) || old != (span{}) {
			if !p.consume(',') {
				return nil, data, old, errSyntax(p.i)
			}
			p.space()
		}
		ks := p.i
		key, err := p.str()
		if err != nil {
			return nil, data, old, err
		}
		ke := p.i
		p.space()
		if !p.consume(':') {
			return nil, data, old, errSyntax(p.i)
		}
		p.space()
		vs := p.i
		if err := p.skipValue(0); err != nil {
			return nil, data, old, err
		}
		switch v := (span{vs, p.i}); {
		case strings.EqualFold(key, "data"):
			data = v
		case strings.EqualFold(key, "old"):
			old = v
		default:
			if len(env) > 1 {
				env = append(env, ',')
			}
			env = append(append(append(env, body[ks:ke]...), ':'), body[vs:p.i]...)
		}
		p.space()
	}
	if p.space(); p.i != len(body) {
		return nil, data, old, errSyntax(p.i)
	}
	return append(env, '}'), data, old, nil
}

func errSyntax(at int) error { return errors.New("invalid JSON at byte " + strconv.Itoa(at)) }

var errImages = errors.New("row images must be an array of objects whose values are strings or null")

// maxDepth bounds nesting in skipped values, as encoding/json does.
const maxDepth = 10000

// imageParser walks JSON text: strictly for row images, structurally for skipped values (whose
// text encoding/json then validates).
type imageParser struct {
	s    string
	i    int
	keys map[string]string // column names repeat in every row: allocate each once; also the set of names met
	prev []string          // the previous row's keys by position: rows repeat their key order
	slab []string          // backing store for the row values' pointers, allocated in blocks
}

// parseImages parses `null` or `[{"col": "text" | null, ...}, ...]`.
func parseImages(raw []byte) ([]map[string]*string, error) {
	if len(raw) == 0 {
		return nil, errImages
	}
	s := string(raw)
	return parseImageString(s, span{0, len(s)}, map[string]string{})
}

// parseImageString parses the images in body[at.start:at.end] (a zero span means absent: nil),
// adding every column name it meets to keys.
func parseImageString(body string, at span, keys map[string]string) ([]map[string]*string, error) {
	if at == (span{}) {
		return nil, nil
	}
	p := &imageParser{s: body[:at.end], i: at.start, keys: keys}
	if p.space(); p.literal("null") {
		if p.space(); p.i != len(p.s) {
			return nil, errImages
		}
		return nil, nil
	}
	if !p.consume('[') {
		return nil, errImages
	}
	out := []map[string]*string{}
	for p.space(); !p.consume(']'); {
		if len(out) > 0 {
			if !p.consume(',') {
				return nil, errImages
			}
			p.space()
		}
		row, err := p.object()
		if err != nil {
			return nil, err
		}
		out = append(out, row)
		p.space()
	}
	if p.space(); p.i != len(p.s) {
		return nil, errImages
	}
	return out, nil
}

// object parses one row image: null or a flat object of strings and nulls.
func (p *imageParser) object() (map[string]*string, error) {
	if p.literal("null") {
		return nil, nil
	}
	if !p.consume('{') {
		return nil, errImages
	}
	row := make(map[string]*string, len(p.prev))
	for col := 0; ; col++ {
		if p.space(); p.consume('}') {
			return row, nil
		}
		if col > 0 {
			if !p.consume(',') {
				return nil, errImages
			}
			p.space()
		}
		k, err := p.key(col)
		if err != nil {
			return nil, err
		}
		if p.space(); !p.consume(':') {
			return nil, errImages
		}
		if p.space(); p.literal("null") {
			row[k] = nil
			continue
		}
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		row[k] = p.store(v)
	}
}

// key parses the key of column position col, reusing the previous row's string when it repeats.
func (p *imageParser) key(col int) (string, error) {
	k, err := p.str()
	if err != nil {
		return "", err
	}
	if col < len(p.prev) && p.prev[col] == k {
		return p.prev[col], nil
	}
	if s, ok := p.keys[k]; ok {
		k = s
	} else {
		k = strings.Clone(k) // not a substring of the body: keys outlive it in sinks' caches
		p.keys[k] = k
	}
	if col < len(p.prev) {
		p.prev[col] = k
	} else {
		p.prev = append(p.prev, k)
	}
	return k, nil
}

// store returns a stable pointer to v from the slab.
func (p *imageParser) store(v string) *string {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]string, 0, 256)
	}
	p.slab = append(p.slab, v)
	return &p.slab[len(p.slab)-1]
}

// skipValue moves past one JSON value without decoding it. It checks structure (brackets, string
// escapes, separators) but not number or literal syntax: skipped values are re-parsed by
// encoding/json.
func (p *imageParser) skipValue(depth int) error {
	if depth > maxDepth {
		return errors.New("JSON nested too deeply")
	}
	if p.i == len(p.s) {
		return errSyntax(p.i)
	}
	switch c := p.s[p.i]; c {
	case '"':
		_, err := p.str()
		return err
	case '{', '[':
		return p.skipContainer(c, depth)
	}
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", p.s[p.i]) >= 0 {
		p.i++
	}
	if p.i == start {
		return errSyntax(p.i)
	}
	return nil
}

// skipContainer skips an object or array opened by open.
func (p *imageParser) skipContainer(open byte, depth int) error {
	closer := byte('}')
	if open == '[' {
		closer = ']'
	}
	p.i++
	for n := 0; ; n++ {
		if p.space(); p.consume(closer) {
			return nil
		}
		if n > 0 {
			if !p.consume(',') {
				return errSyntax(p.i)
			}
			p.space()
		}
		if open == '{' {
			if _, err := p.str(); err != nil {
				return err
			}
			if p.space(); !p.consume(':') {
				return errSyntax(p.i)
			}
			p.space()
		}
		if err := p.skipValue(depth + 1); err != nil {
			return err
		}
	}
}

func (p *imageParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *imageParser) consume(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *imageParser) literal(s string) bool {
	if strings.HasPrefix(p.s[p.i:], s) {
		p.i += len(s)
		return true
	}
	return false
}

// str parses a JSON string. Without escapes the result is a substring of the body (no copy).
// Control characters must be escaped, as JSON requires.
func (p *imageParser) str() (string, error) {
	if !p.consume('"') {
		return "", errImages
	}
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return p.s[start : p.i-1], nil
		case c == '\\':
			p.i = start
			return p.escaped()
		case c < 0x20:
			return "", errImages
		}
		p.i++
	}
	return "", errImages
}

// escaped decodes a string with escapes the way encoding/json does (invalid surrogates become
// U+FFFD).
func (p *imageParser) escaped() (string, error) {
	out := make([]byte, 0, 64)
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(out), nil
		case c < 0x20:
			return "", errImages
		case c != '\\':
			out = append(out, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			return "", errImages
		}
		e := p.s[p.i+1]
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
	if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
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
	if len(p.s)-p.i < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}
