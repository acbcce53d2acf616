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
// nearly all of a message's bytes) are parsed in the same strict top-level scan that cuts them
// out: encoding/json would first validate and then skip them, which was about a third of a
// replayer's CPU on 1,000-row messages. Keys match case-insensitively, as in encoding/json, and
// the last of duplicate keys wins. FuzzDecodeMatchesEncodingJSON and
// FuzzImagesMatchEncodingJSON hold the two equal.
//
// It returns the distinct column names of all images, so that validation checks each name once
// instead of once per row.
func decodeFast(b []byte, m *Message) (keys map[string]string, err error) {
	body := string(b) // one copy; image values are substrings of it
	p := &imageParser{s: body, keys: map[string]string{}}
	env, imgs, err := p.envelope()
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(env, (*noImages)(m)); err != nil {
		return nil, err
	}
	for _, img := range imgs {
		if img.err != nil {
			return nil, img.err
		}
	}
	m.Data, m.Old = imgs[0].rows, imgs[1].rows
	return p.keys, nil
}

// noImages has Message's fields without its methods; the envelope decodes into it.
type noImages Message

// imagesResult is the outcome of parsing one "data" or "old" member: maps (rows), or, for a
// "data" member parsed by denseImages, values by key position (cols) and the keys (layout).
type imagesResult struct {
	rows   []map[string]*string
	cols   [][]*string
	layout []string
	err    error
}

// envelope checks the top-level object's syntax and returns it without its "data" and "old"
// members (each other value verbatim, so encoding/json validates it), and those members parsed.
// An image member that does not parse is skipped and its error kept: a later duplicate key may
// still replace it, as in encoding/json.
func (p *imageParser) envelope() (env []byte, imgs [2]imagesResult, err error) {
	if p.space(); p.literal("null") { // encoding/json leaves the message untouched
		if p.space(); p.i == len(p.s) {
			return []byte("null"), imgs, nil
		}
		return nil, imgs, errSyntax(p.i)
	}
	if !p.consume('{') {
		return nil, imgs, errors.New("message body is not a JSON object")
	}
	env = append(make([]byte, 0, 1024), '{')
	for n := 0; ; n++ {
		end, ok := p.element(n, '}')
		if !ok {
			return nil, imgs, errSyntax(p.i)
		}
		if end {
			break
		}
		key, keyText, err := p.memberHead()
		if err != nil {
			return nil, imgs, err
		}
		vs := p.i
		slot := imageSlot(key)
		if slot == 0 && p.dense {
			if cols, layout, ok := p.denseImages(); ok {
				imgs[slot] = imagesResult{cols: cols, layout: layout}
				continue
			}
			p.i = vs // anything unusual: parsed as maps, with their errors
		}
		if slot >= 0 {
			rows, ierr := p.images()
			if ierr != nil {
				// Kept as an error that a later duplicate key may replace (as in encoding/json),
				// so nothing re-parses this value: check its full syntax here, since skipValue
				// does not check number and literal syntax and encoding/json rejects the whole
				// body for invalid JSON anywhere.
				p.i = vs
				if err := p.skipValue(0); err != nil {
					return nil, imgs, err
				}
				if !json.Valid([]byte(p.s[vs:p.i])) {
					return nil, imgs, errSyntax(vs)
				}
			}
			imgs[slot] = imagesResult{rows: rows, err: ierr}
			continue
		}
		if err := p.skipValue(0); err != nil {
			return nil, imgs, err
		}
		if p.split != nil && p.split.add(key, keyText, p.s[vs:p.i]) {
			continue
		}
		env = appendMember(env, keyText, p.s[vs:p.i])
	}
	if p.space(); p.i != len(p.s) {
		return nil, imgs, errSyntax(p.i)
	}
	return append(env, '}'), imgs, nil
}

// add keeps the member key: value when key is a schema member and reports whether it did.
func (s *schemaSplit) add(key, keyText, value string) bool {
	slot := schemaSlot(key)
	if slot < 0 {
		return false
	}
	s.dup = s.dup || s.seen[slot]
	s.seen[slot] = true
	if len(s.members) == 0 {
		s.members = append(make([]byte, 0, 1024), '{')
	}
	s.members = appendMember(s.members, keyText, value)
	return true
}

// object returns the schema members as an object ("{}" for none).
func (s *schemaSplit) object() []byte {
	if len(s.members) == 0 {
		return []byte("{}")
	}
	return append(s.members, '}')
}

// joinObjects returns the members of the objects a and b as one object (a alone when b has
// none, so also for an a that is not an object, such as null).
func joinObjects(a, b []byte) []byte {
	if len(b) <= 2 {
		return a
	}
	if len(a) <= 2 {
		return b
	}
	return append(append(append(make([]byte, 0, len(a)+len(b)), a[:len(a)-1]...), ','), b[1:]...)
}

// memberHead reads an object member's key and the colon after it, leaving p at the value.
// keyText is the key as written (quotes and escapes included), for copying the member as is.
func (p *imageParser) memberHead() (key, keyText string, err error) {
	ks := p.i
	if key, err = p.str(); err != nil {
		return "", "", err
	}
	keyText = p.s[ks:p.i]
	if p.space(); !p.consume(':') {
		return "", "", errSyntax(p.i)
	}
	p.space()
	return key, keyText, nil
}

// appendMember appends the member keyText:value to the JSON object being built in dst (its
// opening brace and any earlier members).
func appendMember(dst []byte, keyText, value string) []byte {
	if len(dst) > 1 {
		dst = append(dst, ',')
	}
	return append(append(append(dst, keyText...), ':'), value...)
}

// imageSlot is 0 for a key encoding/json would match to "data", 1 for "old", else -1.
func imageSlot(key string) int {
	switch {
	case strings.EqualFold(key, "data"):
		return 0
	case strings.EqualFold(key, "old"):
		return 1
	}
	return -1
}

func errSyntax(at int) error { return errors.New("invalid JSON at byte " + strconv.Itoa(at)) }

var errImages = errors.New("row images must be an array of objects whose values are strings or null")

// maxDepth bounds nesting in skipped values, as encoding/json does.
const maxDepth = 10000

// imageParser walks JSON text: strictly for row images, structurally for skipped values (whose
// text encoding/json then validates).
type imageParser struct {
	s     string
	i     int
	keys  map[string]string // column names repeat in every row: allocate each once; also the set of names met
	prev  []string          // the previous row's keys by position: rows repeat their key order
	slab  []string          // backing store for the row values' pointers, allocated in blocks
	dense bool              // parse "data" with denseImages when it can
	ptrs  []*string         // backing store for denseImages' rows, allocated in blocks
	split *schemaSplit      // when set, envelope puts the schema members here instead of env
}

// schemaSplit receives the schema members (mysqlType, sqlType, pkNames, matched as encoding/json
// matches keys) that envelope cuts out of the envelope, so that nothing scans the envelope a
// second time to find them (that second scan was a sixth of a small message's decode).
type schemaSplit struct {
	members []byte  // an object of the schema members, in body order; "{}" for none
	seen    [3]bool // by schemaSlot
	dup     bool    // a schema member appeared twice: encoding/json merges duplicates
}

// parseImages parses `null` or `[{"col": "text" | null, ...}, ...]` (the whole of raw).
func parseImages(raw []byte) ([]map[string]*string, error) {
	p := &imageParser{s: string(raw), keys: map[string]string{}}
	p.space()
	rows, err := p.images()
	if err != nil {
		return nil, err
	}
	if p.space(); p.i != len(p.s) {
		return nil, errImages
	}
	return rows, nil
}

// images parses one image member's value, `null` or an array of row images, adding every
// column name it meets to p.keys.
func (p *imageParser) images() ([]map[string]*string, error) {
	if p.literal("null") {
		return nil, nil
	}
	if !p.consume('[') {
		return nil, errImages
	}
	out := []map[string]*string{}
	for {
		end, ok := p.element(len(out), ']')
		if !ok {
			return nil, errImages
		}
		if end {
			return out, nil
		}
		row, err := p.object()
		if err != nil {
			return nil, err
		}
		out = append(out, row)
	}
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
		end, ok := p.element(col, '}')
		if !ok {
			return nil, errImages
		}
		if end {
			return row, nil
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

// denseImages parses a "data" member whose row images all hold the same keys in the same order,
// each row as its values in key order; layout is the keys. ok is false for any other value
// (null, an empty array, a null row, keys that differ between rows, invalid syntax): the caller
// then parses the member as maps, which gives its result or error.
func (p *imageParser) denseImages() (rows [][]*string, layout []string, ok bool) {
	if !p.consume('[') {
		return nil, nil, false
	}
	var plain []bool // per layout key: JSON escapes none of its bytes
	for n := 0; ; n++ {
		end, good := p.element(n, ']')
		if !good {
			return nil, nil, false
		}
		if end {
			return rows, layout, len(rows) > 0
		}
		row, good := p.denseObject(&layout, plain, n == 0)
		if !good {
			return nil, nil, false
		}
		if n == 0 {
			plain = make([]bool, len(layout))
			for i, k := range layout {
				plain[i] = plainRun(k) == len(k)
			}
		}
		rows = append(rows, row)
	}
}

// denseObject parses one row image for denseImages: the first row sets the layout, later rows
// must repeat it.
func (p *imageParser) denseObject(layout *[]string, plain []bool, first bool) ([]*string, bool) {
	if !p.consume('{') {
		return nil, false
	}
	var row []*string
	if !first {
		row = p.rowSlice(len(*layout))
	}
	for col := 0; ; col++ {
		end, good := p.element(col, '}')
		if !good {
			return nil, false
		}
		if end {
			return row, col == len(*layout)
		}
		if !p.denseKey(layout, plain, first, col) {
			return nil, false
		}
		if p.space(); !p.consume(':') {
			return nil, false
		}
		var v *string
		if p.space(); !p.literal("null") {
			s, err := p.str()
			if err != nil {
				return nil, false
			}
			v = p.store(s)
		}
		row = append(row, v)
	}
}

// denseKey reads the key of position col: in the first row it is added to the layout, in later
// rows it must equal the layout's. The keys stay substrings of the body and out of p.keys: the
// rows are only kept when the layout is ferry.columns, whose names validation checks anyway.
func (p *imageParser) denseKey(layout *[]string, plain []bool, first bool, col int) bool {
	if !first && col < len(*layout) && plain[col] {
		// A later row's key is usually the layout's, byte for byte: compare the raw text
		// instead of scanning it as a string. Only for keys without bytes that JSON escapes
		// (then the raw text between the quotes is the key itself); others are parsed.
		k := (*layout)[col]
		if end := p.i + 1 + len(k); end < len(p.s) && p.s[p.i] == '"' && p.s[end] == '"' &&
			p.s[p.i+1:end] == k {
			p.i = end + 1
			return true
		}
	}
	k, err := p.str()
	if first {
		*layout = append(*layout, k)
		return err == nil
	}
	return err == nil && col < len(*layout) && (*layout)[col] == k
}

// rowSlice returns an empty slice with room for n values, cut from a shared block.
func (p *imageParser) rowSlice(n int) []*string {
	if cap(p.ptrs)-len(p.ptrs) < n {
		p.ptrs = make([]*string, 0, max(256, 8*n))
	}
	row := p.ptrs[len(p.ptrs) : len(p.ptrs) : len(p.ptrs)+n]
	p.ptrs = p.ptrs[:len(p.ptrs)+n]
	return row
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
	if len(p.slab) == cap(p.slab) { // blocks of 32, 64, ... 256: a one-row message needs few
		p.slab = make([]string, 0, min(256, max(32, 2*cap(p.slab))))
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
	for p.i < len(p.s) && scalarByte[p.s[p.i]] {
		p.i++
	}
	if p.i == start {
		return errSyntax(p.i)
	}
	return nil
}

// scalarByte holds the bytes skipValue takes as part of a number or literal (a table: looking
// each byte up in a string of them was 8% of a replayer's CPU, on the 19-digit versions).
var scalarByte = func() (t [256]bool) {
	for _, c := range "+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" {
		t[c] = true
	}
	return t
}()

// skipContainer skips an object or array opened by open.
func (p *imageParser) skipContainer(open byte, depth int) error {
	closer := byte('}')
	if open == '[' {
		closer = ']'
	}
	p.i++
	for n := 0; ; n++ {
		end, ok := p.element(n, closer)
		if !ok {
			return errSyntax(p.i)
		}
		if end {
			return nil
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

// element moves to element n (0-based) of the object or array that closer ends: end reports
// the closer, consumed; otherwise the comma JSON requires before every element but the first is
// consumed (ok is false when it is missing), and p is at the element.
func (p *imageParser) element(n int, closer byte) (end, ok bool) {
	if p.space(); p.consume(closer) {
		return true, true
	}
	if n > 0 {
		if !p.consume(',') {
			return false, false
		}
		p.space()
	}
	return false, true
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
	p.i += plainRun(p.s[p.i:])
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
