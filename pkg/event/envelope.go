package event

import (
	"slices"
	"strconv"
)

// fastEnvelope decodes the envelope members other than the schema ones (what envelope
// leaves when it splits them off: id, database, table, isDdl, type, es, ts, sql, gtid and ferry) into m when they are
// in the form AppendJSON writes: each key once and spelled exactly, strings, integers and
// booleans where the fields have them, no nulls, no ddlCopy. It reports false, leaving m
// untouched, for anything else, which the caller then decodes with encoding/json: so the result
// always equals encoding/json's (FuzzDecodeCachedMatchesDecode). encoding/json was most of the
// decode time of a small message (a 2-row message: 35 us, of which the envelope 13 us).
func fastEnvelope(rest []byte, m *Message) bool {
	p := &imageParser{s: string(rest)}
	var x Message
	var meta Meta
	ok := p.members(func(key string) bool { return x.member(p, key, &meta) })
	if !ok || x.Ferry == nil {
		return false
	}
	if p.space(); p.i != len(p.s) {
		return false
	}
	*m = x
	return true
}

// member decodes the envelope member key (seen keys are rejected by object).
func (m *Message) member(p *imageParser, key string, meta *Meta) bool {
	switch key {
	case "id":
		return p.int64(&m.ID)
	case "database":
		return p.text(&m.Database)
	case "table":
		return p.text(&m.Table)
	case "isDdl":
		return p.boolean(&m.IsDDL)
	case "type":
		return p.text(&m.Type)
	case "es":
		return p.int64(&m.ES)
	case "ts":
		return p.int64(&m.TS)
	case "sql":
		return p.text(&m.SQL)
	case "gtid":
		return p.text(&m.GTID)
	case "ferry":
		m.Ferry = meta
		return p.members(func(k string) bool { return meta.member(p, k) })
	}
	return false
}

// member decodes the ferry member key.
func (f *Meta) member(p *imageParser, key string) bool {
	switch key {
	case "format":
		var v int64
		ok := p.int64(&v)
		f.Format = int(v)
		return ok
	case "epoch":
		var v uint64
		ok := p.uint64(&v, 8)
		f.Epoch = uint8(v)
		return ok
	case "versions":
		f.Versions = []uint64{}
		return p.array(func() bool {
			var v uint64
			ok := p.uint64(&v, 64)
			f.Versions = append(f.Versions, v)
			return ok
		})
	case "file":
		return p.text(&f.File)
	case "pos":
		return p.uint64(&f.Pos, 64)
	case "gtid":
		return p.text(&f.GTID)
	case "serverId":
		var v uint64
		ok := p.uint64(&v, 32)
		f.ServerID = uint32(v)
		return ok
	case "snapshot":
		return p.boolean(&f.Snapshot)
	case "queues":
		var v int64
		ok := p.int64(&v)
		f.Queues = int(v)
		return ok
	case "columns":
		f.Columns = []string{}
		return p.array(func() bool {
			var s string
			ok := p.text(&s)
			f.Columns = append(f.Columns, s)
			return ok
		})
	}
	return false
}

// members parses an object whose members member decodes, each key at most once.
func (p *imageParser) members(member func(key string) bool) bool {
	if p.space(); !p.consume('{') {
		return false
	}
	var seen []string // a dozen keys at most
	for n := 0; ; n++ {
		end, ok := p.element(n, '}')
		if !ok {
			return false
		}
		if end {
			return true
		}
		key, err := p.str()
		if err != nil || slices.Contains(seen, key) {
			return false
		}
		seen = append(seen, key)
		if p.space(); !p.consume(':') {
			return false
		}
		if p.space(); !member(key) {
			return false
		}
	}
}

// array parses a non-null array whose elements elem decodes.
func (p *imageParser) array(elem func() bool) bool {
	if !p.consume('[') {
		return false
	}
	for n := 0; ; n++ {
		end, ok := p.element(n, ']')
		if !ok {
			return false
		}
		if end {
			return true
		}
		if !elem() {
			return false
		}
	}
}

// text parses a string (not null).
func (p *imageParser) text(dst *string) bool {
	s, err := p.str()
	if err != nil {
		return false
	}
	*dst = s
	return true
}

// boolean parses true or false.
func (p *imageParser) boolean(dst *bool) bool {
	switch {
	case p.literal("true"):
		*dst = true
	case p.literal("false"):
		*dst = false
	default:
		return false
	}
	return true
}

// integer returns the text of a JSON integer (-?(0|[1-9][0-9]*)) not followed by a fraction or
// an exponent; "" for anything else.
func (p *imageParser) integer(signed bool) string {
	start := p.i
	if signed && p.i < len(p.s) && p.s[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		p.i++
	}
	n := p.i - digits
	if n == 0 || (n > 1 && p.s[digits] == '0') {
		return ""
	}
	if p.i < len(p.s) && (p.s[p.i] == '.' || p.s[p.i] == 'e' || p.s[p.i] == 'E') {
		return ""
	}
	return p.s[start:p.i]
}

// int64 parses an integer that fits an int64.
func (p *imageParser) int64(dst *int64) bool {
	v, err := strconv.ParseInt(p.integer(true), 10, 64)
	*dst = v
	return err == nil
}

// uint64 parses a non-negative integer that fits bits bits.
func (p *imageParser) uint64(dst *uint64, bits int) bool {
	v, err := strconv.ParseUint(p.integer(false), 10, bits)
	*dst = v
	return err == nil
}
