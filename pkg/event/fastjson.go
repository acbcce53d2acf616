package event

import (
	"sort"
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends m's JSON encoding to dst without running Validate first (for producers that
// build messages they already trust, like the tailer; Encode validates). Row maps are written in
// ferry.columns order, other maps with sorted keys; strings are escaped as encoding/json does
// (minus HTML escaping). It fails on invalid UTF-8 in any string, so it never emits JSON that
// would not round-trip, and on a nil Ferry.
func AppendJSON(dst []byte, m *Message) ([]byte, error) {
	if m.Ferry == nil {
		return dst, malformed("missing \"ferry\" object")
	}
	w := jw{b: dst}
	typ, sql, pkNames := m.wireTypeSQL()
	w.raw(`{"id":`)
	w.int(m.ID)
	w.key("database")
	w.str(m.Database)
	w.key("table")
	w.str(m.Table)
	w.key("pkNames")
	w.strs(pkNames)
	w.key("isDdl")
	w.bool(m.IsDDL)
	w.key("type")
	w.str(typ)
	w.key("es")
	w.int(m.ES)
	w.key("ts")
	w.int(m.TS)
	w.key("sql")
	w.str(sql)
	w.key("sqlType")
	w.intMap(m.SQLType)
	w.key("mysqlType")
	w.strMap(m.MySQLType)
	w.key("data")
	switch {
	case m.enc != nil:
		w.b = append(m.enc.appendText(append(w.b, '[')), ']')
	case m.cols != nil:
		w.valueImages(m.cols, m.Ferry.Columns)
	default:
		w.images(m.Data, m.Ferry.Columns)
	}
	w.key("old")
	w.images(m.Old, m.Ferry.Columns)
	w.key("gtid")
	w.str(m.GTID)
	w.key("ferry")
	w.meta(m.Ferry)
	w.raw("}")
	return w.b, w.err
}

type jw struct {
	b   []byte
	err error
}

func (w *jw) raw(s string)  { w.b = append(w.b, s...) }
func (w *jw) int(v int64)   { w.b = strconv.AppendInt(w.b, v, 10) }
func (w *jw) uint(v uint64) { w.b = strconv.AppendUint(w.b, v, 10) }
func (w *jw) bool(v bool)   { w.b = strconv.AppendBool(w.b, v) }
func (w *jw) key(k string)  { w.b = append(append(append(w.b, ",\""...), k...), "\":"...) }

const hexDigits = "0123456789abcdef"

// plain[c] is true for ASCII bytes written as they are (no escaping).
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainRun returns the length of s's longest prefix of plain bytes, eight at a time: a word
// stops the fast scan if any byte in it is below 0x20, '"', '\\' or not ASCII (the tests
// of whether a word has a zero byte, or one below n, never miss one), and the rest is
// checked byte by byte.
func plainRun(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q, bs := x^(ones*'"'), x^(ones*'\\')
		if (x-ones*0x20)&^x&highs|(q-ones)&^q&highs|(bs-ones)&^bs&highs|x&highs != 0 {
			break
		}
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// str writes a JSON string, escaping like encoding/json with SetEscapeHTML(false).
func (w *jw) str(s string) { w.strFrom(s, plainRun(s)) }

// strFrom is str for a string whose first start bytes are plain (plainRun).
func (w *jw) strFrom(s string, start int) {
	b := append(w.b, '"')
	if start == len(s) {
		w.b = append(append(b, s...), '"')
		return
	}
	b = append(b, s[:start]...)
	for i := start; i < len(s); {
		c := s[i]
		if plain[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			if w.err == nil {
				w.err = malformed("string is not valid UTF-8 at byte %d", i)
			}
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			start = i + size
		}
		i += size
	}
	w.b = append(append(b, s[start:]...), '"')
}

func (w *jw) strs(v []string) {
	if v == nil {
		w.raw("null")
		return
	}
	w.b = append(w.b, '[')
	for i, s := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(s)
	}
	w.b = append(w.b, ']')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (w *jw) intMap(m map[string]int) {
	if m == nil {
		w.raw("null")
		return
	}
	w.b = append(w.b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(k)
		w.b = append(w.b, ':')
		w.int(int64(m[k]))
	}
	w.b = append(w.b, '}')
}

func (w *jw) strMap(m map[string]string) {
	if m == nil {
		w.raw("null")
		return
	}
	w.b = append(w.b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.str(k)
		w.b = append(w.b, ':')
		w.str(m[k])
	}
	w.b = append(w.b, '}')
}

// images writes row maps; keys in cols order first, then any others sorted (a message that
// Validate accepts has no others). The cols keys are escaped once per call, not once per row.
func (w *jw) images(rows []map[string]*string, cols []string) {
	if rows == nil {
		w.raw("null")
		return
	}
	keys := w.colKeys(cols)
	w.b = append(w.b, '[')
	for i, row := range rows {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.image(row, cols, keys)
	}
	w.b = append(w.b, ']')
}

// valueImages writes images given as values in cols order (AddValues).
func (w *jw) valueImages(rows [][]*string, cols []string) {
	keys := w.colKeys(cols)
	w.b = append(w.b, '[')
	for i, row := range rows {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		if len(row) != len(cols) && w.err == nil {
			w.err = malformed("data[%d] has %d values for %d columns", i, len(row), len(cols))
			row = row[:min(len(row), len(cols))]
		}
		w.valueImage(row, keys)
	}
	w.b = append(w.b, ']')
}

// valueImage writes one image given as values; keys[j] is column j encoded as an object key.
// It works on a local slice (w.b, reached through a pointer, would be loaded and stored at every
// append) and writes strings that need no escaping inline, the common case; the rest go
// through strFrom, which starts after the plain prefix already scanned.
func (w *jw) valueImage(row []*string, keys []string) {
	b := append(w.b, '{')
	for j, v := range row {
		if j > 0 {
			b = append(b, ',')
		}
		b = append(b, keys[j]...)
		if v == nil {
			b = append(b, "null"...)
			continue
		}
		if n := plainRun(*v); n == len(*v) {
			b = append(append(append(b, '"'), *v...), '"')
		} else {
			w.b = b
			w.strFrom(*v, n)
			b = w.b
		}
	}
	w.b = append(b, '}')
}

// colKeys returns each column name encoded as a JSON object key (`"name":`).
func (w *jw) colKeys(cols []string) []string {
	keys := make([]string, len(cols))
	k := jw{}
	for i, c := range cols {
		k.b = k.b[:0]
		k.str(c)
		k.b = append(k.b, ':')
		keys[i] = string(k.b)
	}
	if k.err != nil && w.err == nil {
		w.err = k.err
	}
	return keys
}

// image writes one row map; keys[i] is cols[i] encoded as an object key.
func (w *jw) image(row map[string]*string, cols, keys []string) {
	if row == nil {
		w.raw("null")
		return
	}
	w.b = append(w.b, '{')
	n := 0
	for i, c := range cols {
		v, ok := row[c]
		if !ok {
			continue
		}
		if n > 0 {
			w.b = append(w.b, ',')
		}
		n++
		w.b = append(w.b, keys[i]...)
		if v == nil {
			w.raw("null")
		} else {
			w.str(*v)
		}
	}
	if n < len(row) { // keys outside cols: keep them so nothing is lost (Validate rejects them)
		for _, k := range sortedKeys(row) {
			if !contains(cols, k) {
				w.entry(&n, k, row[k])
			}
		}
	}
	w.b = append(w.b, '}')
}

func (w *jw) entry(n *int, k string, v *string) {
	if *n > 0 {
		w.b = append(w.b, ',')
	}
	*n++
	w.str(k)
	w.b = append(w.b, ':')
	if v == nil {
		w.raw("null")
	} else {
		w.str(*v)
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func (w *jw) meta(f *Meta) {
	w.raw(`{"format":`)
	w.int(int64(f.Format))
	w.key("epoch")
	w.uint(uint64(f.Epoch))
	w.key("versions")
	if f.Versions == nil {
		w.raw("null")
	} else {
		w.b = append(w.b, '[')
		for i, v := range f.Versions {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.uint(v)
		}
		w.b = append(w.b, ']')
	}
	w.key("file")
	w.str(f.File)
	w.key("pos")
	w.uint(f.Pos)
	if f.GTID != "" {
		w.key("gtid")
		w.str(f.GTID)
	}
	w.key("serverId")
	w.uint(uint64(f.ServerID))
	if f.Snapshot {
		w.key("snapshot")
		w.bool(true)
	}
	w.key("columns")
	w.strs(f.Columns)
	if f.Queues != 0 {
		w.key("queues")
		w.int(int64(f.Queues))
	}
	if d := f.DDLCopy; d != nil {
		w.raw(`,"ddlCopy":{"type":`)
		w.str(d.Type)
		w.key("sql")
		w.str(d.SQL)
		w.raw("}")
	}
	w.raw("}")
}
