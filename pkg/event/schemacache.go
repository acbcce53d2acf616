package event

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"
)

// SchemaCache keeps the parsed schema members of message envelopes (mysqlType, sqlType,
// pkNames) by their raw JSON text. Every message of a table repeats them verbatim (about
// 1 KB), and parsing them with encoding/json was most of the cost of a small message.
// It is safe for concurrent use and bounded (it starts afresh past maxEntries).
type SchemaCache struct {
	mu sync.Mutex
	m  map[string]*schemaPart
}

// schemaPart holds the parsed members; messages decoded with the cache share its maps and
// slice, which callers must not modify.
type schemaPart struct {
	MySQLType map[string]string `json:"mysqlType"`
	SQLType   map[string]int    `json:"sqlType"`
	PKNames   []string          `json:"pkNames"`
}

const schemaCacheMax = 4096

// NewSchemaCache returns an empty cache.
func NewSchemaCache() *SchemaCache { return &SchemaCache{m: map[string]*schemaPart{}} }

// DecodeCached is Decode with the schema members taken from c when their text was seen before.
// The result equals Decode's (FuzzDecodeCachedMatchesDecode), except that the MySQLType,
// SQLType and PKNames of messages with the same schema text are shared: read them only.
func DecodeCached(b []byte, c *SchemaCache) (*Message, error) {
	if !utf8.Valid(b) {
		return nil, malformed("body is not valid UTF-8")
	}
	return decodeCached(string(b), c)
}

// DecodeCachedShared is DecodeCached without the copy of b: the row values of the message are
// substrings of b's own memory, so b must not be modified while the message or any of its
// values is in use. The replayer keeps a message body unchanged until the message is
// acknowledged, after its rows were applied; sharing saves a copy of every body (CPU, and
// memory while rows wait for their batch).
func DecodeCachedShared(b []byte, c *SchemaCache) (*Message, error) {
	if !utf8.Valid(b) {
		return nil, malformed("body is not valid UTF-8")
	}
	return decodeCached(unsafe.String(unsafe.SliceData(b), len(b)), c)
}

// DecodeColumnsShared is DecodeCachedShared for a consumer that wants each data image as its
// values in ferry.columns order: rows[i][j] is the value of column Ferry.Columns[j] in data
// image i, and the returned message's Data is nil (its other fields are DecodeCachedShared's).
// It fails, besides where DecodeCachedShared does, when an image lacks a column of
// ferry.columns (FuzzDecodeColumnsMatchesDecode). The images of a message as Ferry writes them
// (the same keys in ferry.columns order in every row) are parsed straight into rows, without
// building a map per row: that was about a fifth of a replayer's CPU.
func DecodeColumnsShared(b []byte, c *SchemaCache) (m *Message, rows [][]*string, err error) {
	if !utf8.Valid(b) {
		return nil, nil, malformed("body is not valid UTF-8")
	}
	body := unsafe.String(unsafe.SliceData(b), len(b))
	if m, err = decodeBody(body, c, true); err != nil {
		return nil, nil, err
	}
	if m.cols != nil || m.IsDDL {
		rows, m.cols = m.cols, nil
		return m, rows, nil
	}
	if rows, err = m.columnValues(); err != nil {
		return nil, nil, err
	}
	m.Data = nil
	return m, rows, nil
}

// columnValues returns m.Data's images as values in ferry.columns order.
func (m *Message) columnValues() ([][]*string, error) {
	n := len(m.Ferry.Columns)
	rows := make([][]*string, len(m.Data))
	slab := make([]*string, len(m.Data)*n)
	for i, img := range m.Data {
		rows[i] = slab[i*n : (i+1)*n : (i+1)*n]
		for j, col := range m.Ferry.Columns {
			v, ok := img[col]
			if !ok {
				return nil, malformed("%s.%s: data[%d] lacks column %s (full row images are needed: set binlog_row_image=FULL at the source)",
					m.Database, m.Table, i, col)
			}
			rows[i][j] = v
		}
	}
	return rows, nil
}

// decodeCached decodes body, whose row values become its substrings.
func decodeCached(body string, c *SchemaCache) (*Message, error) {
	return decodeBody(body, c, false)
}

// decodeBody decodes body; with dense, data images that repeat ferry.columns as their keys are
// kept in m.cols instead of m.Data.
func decodeBody(body string, c *SchemaCache, dense bool) (*Message, error) {
	var m Message
	split := &schemaSplit{}
	p := &imageParser{s: body, keys: map[string]string{}, dense: dense, split: split}
	rest, imgs, err := p.envelope()
	if err == nil {
		err = c.decodeEnvelope(rest, split, &m)
	}
	if err == nil {
		for _, img := range imgs {
			if img.err != nil {
				err = img.err
				break
			}
		}
	}
	if err != nil {
		return nil, malformed("parse JSON: %v", err)
	}
	m.Data, m.Old = imgs[0].rows, imgs[1].rows
	if imgs[0].cols != nil {
		if m.Ferry == nil || !slices.Equal(imgs[0].layout, m.Ferry.Columns) {
			return decodeBody(body, c, false) // keys in another order, or duplicated: as maps
		}
		m.cols = imgs[0].cols
	}
	m.restoreDDLCopy() // as Decode: a marked per-queue DDL copy gets its type and statement back
	if err := m.validate(p.keys, false); err != nil {
		return nil, err
	}
	return &m, nil
}

// decodeEnvelope unmarshals the envelope into m: rest, its members other than the schema ones
// (envelope cut those into split), and the schema members through the cache.
func (c *SchemaCache) decodeEnvelope(rest []byte, split *schemaSplit, m *Message) error {
	schema := split.object()
	if split.dup || len(rest) == 0 || rest[0] != '{' { // duplicate schema keys, null body: the plain way
		return json.Unmarshal(joinObjects(rest, schema), (*noImages)(m))
	}
	if !fastEnvelope(rest, m) {
		if err := json.Unmarshal(rest, (*noImages)(m)); err != nil {
			return err
		}
	}
	if len(schema) == 2 { // "{}": none of the members
		return nil
	}
	part, err := c.part(schema)
	if err != nil {
		return err
	}
	if part.MySQLType != nil {
		m.MySQLType = part.MySQLType
	}
	if part.SQLType != nil {
		m.SQLType = part.SQLType
	}
	if part.PKNames != nil {
		m.PKNames = part.PKNames
	}
	return nil
}

func (c *SchemaCache) part(schema []byte) (*schemaPart, error) {
	c.mu.Lock()
	part := c.m[string(schema)]
	c.mu.Unlock()
	if part != nil {
		return part, nil
	}
	part = &schemaPart{}
	if err := json.Unmarshal(schema, part); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.m) >= schemaCacheMax {
		c.m = map[string]*schemaPart{}
	}
	c.m[string(schema)] = part
	c.mu.Unlock()
	return part, nil
}

// schemaSlot is the index of a key encoding/json matches to mysqlType, sqlType or pkNames, else -1.
func schemaSlot(key string) int {
	for i, name := range [...]string{"mysqlType", "sqlType", "pkNames"} {
		if strings.EqualFold(key, name) {
			return i
		}
	}
	return -1
}
