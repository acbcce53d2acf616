package canal

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// ErrNoRowMetadata means the source does not log column names (binlog_row_metadata != FULL).
var ErrNoRowMetadata = errors.New("binlog row metadata missing: set binlog_row_metadata=FULL on the source " +
	"(SET GLOBAL binlog_row_metadata=FULL and in the server config; MariaDB >= 10.5, MySQL >= 8.0.1), then resync from a position after the change")

// ErrNoPrimaryKey is returned under the halt policy for a published table without a primary key.
var ErrNoPrimaryKey = errors.New("table has no primary key")

// valueKind selects how a decoded go-mysql value becomes event text.
type valueKind uint8

const (
	kindPlain      valueKind = iota // numbers, decimals, dates as go-mysql formats them
	kindText                        // UTF-8 text (utf8/utf8mb4/ascii and unknown charsets)
	kindLatin1                      // latin1 bytes converted to UTF-8
	kindBinary                      // bytes -> event.EncodeBytes
	kindEnum                        // index -> member
	kindSet                         // bitmask -> members
	kindTime                        // TIME: pad the fraction to FSP digits
	kindYear                        // YEAR: 0 -> "0000"
	kindBit                         // BIT: unsigned decimal
	kindDatetime2                   // DATETIME2: raw bytes from rawDecoder (temporal.go)
	kindTimestamp2                  // TIMESTAMP2: raw bytes from rawDecoder (temporal.go)
	kindDecimal                     // DECIMAL of at most 8 bytes: raw bytes from rawDecoder (decimal.go)
	kindUnsigned                    // unsigned integer: decoded as signed by rawDecoder
)

// column is one column of a table at event time, built from the TableMapEvent only.
type column struct {
	name     string
	index    int // position in the binlog row image
	kind     valueKind
	fsp      int
	members  []string
	padTo    int    // BINARY(n): the binlog drops trailing 0x00 bytes; pad back to n
	meta     uint16 // kindDecimal: the table map's precision << 8 | scale; kindUnsigned: the bits
	mysqlTyp string
	sqlTyp   int
}

// tableInfo is a table's schema as carried by one TableMapEvent (its event-time schema).
type tableInfo struct {
	db, table string
	columns   []column // published columns (excluded columns dropped), binlog order
	names     []string // names of columns, in order
	pk        []string // primary key names in key order (nil: no PK)
	allCount  int      // columns in the binlog row image
	plan      []binCol // how rowImages reads the row image; nil: go-mysql decodes it (rowimage.go)
	mysqlType map[string]string
	sqlType   map[string]int
}

// schemaKey fingerprints every TableMapEvent field that shapes decoding. Two table maps with equal
// keys decode rows identically, so a cached tableInfo is never stale (docs/design.md section 5).
func schemaKey(tm *replication.TableMapEvent) string {
	var b strings.Builder
	b.Grow(64 + len(tm.ColumnType)*4)
	b.Write(tm.Schema)
	b.WriteByte(0)
	b.Write(tm.Table)
	b.WriteByte(0)
	b.Write(tm.ColumnType)
	for _, m := range tm.ColumnMeta {
		b.WriteByte(byte(m >> 8))
		b.WriteByte(byte(m))
	}
	b.Write(tm.SignednessBitmap)
	for _, n := range tm.ColumnName {
		b.WriteByte(0)
		b.Write(n)
	}
	writeStrs := func(vv [][][]byte) {
		for _, v := range vv {
			b.WriteByte(1)
			for _, s := range v {
				b.WriteByte(2)
				b.Write(s)
			}
		}
	}
	writeStrs(tm.EnumStrValue)
	writeStrs(tm.SetStrValue)
	for _, u := range [][]uint64{tm.DefaultCharset, tm.ColumnCharset, tm.PrimaryKey, tm.PrimaryKeyPrefix} {
		b.WriteByte(3)
		for _, x := range u {
			b.WriteString(strconv.FormatUint(x, 36))
			b.WriteByte(',')
		}
	}
	return b.String()
}

// buildTable turns a TableMapEvent into a tableInfo; f drops excluded columns.
func buildTable(tm *replication.TableMapEvent, f *filter, noPK string) (*tableInfo, error) {
	db, table := string(tm.Schema), string(tm.Table)
	names := tm.ColumnNameString()
	n := int(tm.ColumnCount)
	if len(names) != n || (len(tm.SignednessBitmap) == 0 && hasNumeric(tm)) {
		return nil, fmt.Errorf("table %s.%s: %w", db, table, ErrNoRowMetadata)
	}
	ti := &tableInfo{db: db, table: table, allCount: n,
		mysqlType: make(map[string]string, n), sqlType: make(map[string]int, n)}
	unsigned, collations := tm.UnsignedMap(), tm.CollationMap()
	enums, sets := tm.EnumStrValueMap(), tm.SetStrValueMap()
	for i := 0; i < n; i++ {
		c, err := buildColumn(tm, i, unsigned[i], collations, enums[i], sets[i])
		if err != nil {
			return nil, fmt.Errorf("table %s.%s column %s: %w", db, table, names[i], err)
		}
		if f.columnExcluded(db, table, c.name) {
			continue
		}
		ti.columns = append(ti.columns, c)
		ti.names = append(ti.names, c.name)
		ti.mysqlType[c.name], ti.sqlType[c.name] = c.mysqlTyp, c.sqlTyp
	}
	ti.plan = imagePlan(tm, ti)
	return ti, ti.setPK(tm, names, noPK)
}

func (ti *tableInfo) setPK(tm *replication.TableMapEvent, names []string, noPK string) error {
	for _, idx := range tm.PrimaryKey {
		if int(idx) >= len(names) {
			return fmt.Errorf("table %s.%s: primary key column index %d out of range", ti.db, ti.table, idx)
		}
		name := names[idx]
		if _, kept := ti.mysqlType[name]; !kept {
			return fmt.Errorf("%w: table %s.%s: primary key column %s is excluded; remove it from exclude-columns",
				ErrConfig, ti.db, ti.table, name)
		}
		ti.pk = append(ti.pk, name)
	}
	if len(ti.pk) == 0 && noPK != NoPKAllColumns {
		return fmt.Errorf("%w: %s.%s: add a primary key (ALTER TABLE %s.%s ADD PRIMARY KEY (...)), exclude the table "+
			"(exclude: [%s.%s]), or set no-pk-policy: all-columns, which publishes it keyed by all column values: the copies "+
			"then hold its distinct rows (identical duplicate rows become one row), and a later ADD/DROP/MODIFY COLUMN of it "+
			"halts the replayers (docs/tailer.md, Tables without a primary key)",
			ErrNoPrimaryKey, ti.db, ti.table, ti.db, ti.table, ti.db, ti.table)
	}
	return nil
}

func hasNumeric(tm *replication.TableMapEvent) bool {
	for i := 0; i < int(tm.ColumnCount); i++ {
		if tm.IsNumericColumn(i) {
			return true
		}
	}
	return false
}

func buildColumn(tm *replication.TableMapEvent, i int, unsigned bool, coll map[int]uint64, enum, set []string) (column, error) {
	c := column{name: tm.ColumnNameString()[i], index: i}
	typ, meta := tm.ColumnType[i], tm.ColumnMeta[i]
	var err error
	c.mysqlTyp, err = c.describe(typ, meta, unsigned, coll, i, enum, set)
	if err != nil {
		return c, err
	}
	ct, err := event.ParseMySQLType(c.mysqlTyp)
	if err != nil {
		return c, err
	}
	c.sqlTyp = event.SQLTypeOf(ct)
	return c, nil
}

// setUnsigned marks an unsigned integer column of the given width, which rawDecoder leaves to
// go-mysql to decode as signed.
func (c *column) setUnsigned(unsigned bool, bits uint16) {
	if unsigned {
		c.kind, c.meta = kindUnsigned, bits
	}
}

func intType(name string, unsigned bool) string {
	if unsigned {
		return name + " unsigned"
	}
	return name
}

func withFSP(name string, fsp uint16) string {
	if fsp == 0 {
		return name
	}
	return name + "(" + strconv.Itoa(int(fsp)) + ")"
}

// describe sets c.kind/fsp/members and returns the mysqlType text for one binlog column type.
func (c *column) describe(typ byte, meta uint16, unsigned bool, coll map[int]uint64, i int, enum, set []string) (string, error) {
	switch typ {
	case mysql.MYSQL_TYPE_TINY:
		c.setUnsigned(unsigned, 8)
		return event.IntegerType("tinyint", unsigned), nil
	case mysql.MYSQL_TYPE_SHORT:
		c.setUnsigned(unsigned, 16)
		return event.IntegerType("smallint", unsigned), nil
	case mysql.MYSQL_TYPE_INT24:
		c.setUnsigned(unsigned, 24)
		return event.IntegerType("mediumint", unsigned), nil
	case mysql.MYSQL_TYPE_LONG:
		c.setUnsigned(unsigned, 32)
		return event.IntegerType("int", unsigned), nil
	case mysql.MYSQL_TYPE_LONGLONG:
		c.setUnsigned(unsigned, 64)
		return event.IntegerType("bigint", unsigned), nil
	case mysql.MYSQL_TYPE_NEWDECIMAL:
		if decimalBytes(meta) > 0 {
			c.kind, c.meta = kindDecimal, meta
		}
		return intType(fmt.Sprintf("decimal(%d,%d)", meta>>8, meta&0xFF), unsigned), nil
	case mysql.MYSQL_TYPE_FLOAT:
		return intType("float", unsigned), nil
	case mysql.MYSQL_TYPE_DOUBLE:
		return intType("double", unsigned), nil
	case mysql.MYSQL_TYPE_BIT:
		c.kind = kindBit
		return fmt.Sprintf("bit(%d)", (meta>>8)*8+meta&0xFF), nil
	case mysql.MYSQL_TYPE_TIMESTAMP, mysql.MYSQL_TYPE_TIMESTAMP2:
		if temporalBytes(typ, meta) > 0 {
			c.kind, c.fsp = kindTimestamp2, int(meta)
		}
		return withFSP("timestamp", meta), nil
	case mysql.MYSQL_TYPE_DATETIME, mysql.MYSQL_TYPE_DATETIME2:
		if temporalBytes(typ, meta) > 0 {
			c.kind, c.fsp = kindDatetime2, int(meta)
		}
		return withFSP("datetime", meta), nil
	case mysql.MYSQL_TYPE_TIME, mysql.MYSQL_TYPE_TIME2:
		c.kind, c.fsp = kindTime, int(meta)
		return withFSP("time", meta), nil
	case mysql.MYSQL_TYPE_DATE, mysql.MYSQL_TYPE_NEWDATE:
		return "date", nil
	case mysql.MYSQL_TYPE_YEAR:
		c.kind = kindYear
		return event.IntegerType("year", false), nil
	case mysql.MYSQL_TYPE_JSON:
		c.kind = kindText
		return "json", nil
	case mysql.MYSQL_TYPE_GEOMETRY:
		c.kind = kindBinary
		return "geometry", nil
	case mysql.MYSQL_TYPE_VECTOR:
		c.kind = kindBinary
		return "vector", nil
	case mysql.MYSQL_TYPE_STRING:
		return c.describeString(meta, coll[i], enum, set)
	case mysql.MYSQL_TYPE_VARCHAR, mysql.MYSQL_TYPE_VAR_STRING:
		return c.textOrBinary("varchar", "varbinary", int(meta), coll[i], true), nil
	case mysql.MYSQL_TYPE_BLOB:
		sizes := [...]string{"", "tiny", "", "medium", "long"}
		if meta < 1 || meta > 4 {
			return "", fmt.Errorf("blob length bytes %d not in 1..4", meta)
		}
		return c.textOrBinary(sizes[meta]+"text", sizes[meta]+"blob", 0, coll[i], false), nil
	}
	return "", fmt.Errorf("binlog column type %d is not supported; exclude the column (exclude-columns) or the table", typ)
}

func (c *column) describeString(meta uint16, collation uint64, enum, set []string) (string, error) {
	realType, length := byte(meta>>8), int(meta&0xFF)
	if meta >= 256 && realType&0x30 != 0x30 {
		length = int(uint16(meta&0xFF) | (uint16((realType&0x30)^0x30) << 4))
		realType |= 0x30
	}
	switch realType {
	case mysql.MYSQL_TYPE_ENUM, mysql.MYSQL_TYPE_SET:
		c.members, c.kind = enum, kindEnum
		name := "enum"
		if realType == mysql.MYSQL_TYPE_SET {
			c.members, c.kind, name = set, kindSet, "set"
		}
		if c.members == nil {
			return "", fmt.Errorf("%s members missing from the binlog: %w", name, ErrNoRowMetadata)
		}
		return event.ColumnType{Base: name, Members: c.members}.String(), nil
	}
	typ := c.textOrBinary("char", "binary", length, collation, true)
	if c.kind == kindBinary {
		c.padTo = length
	}
	return typ, nil
}

// textOrBinary picks the binary or text form by collation (63 = binary). Lengths in the binlog are
// bytes; text lengths are converted to characters with the charset's maximum character width.
func (c *column) textOrBinary(text, binary string, byteLen int, collation uint64, withLen bool) string {
	name, l := text, byteLen
	switch {
	case collation == 63:
		c.kind, name = kindBinary, binary
	case isLatin1(collation):
		c.kind = kindLatin1
	default:
		c.kind = kindText
		l = byteLen / maxCharBytes(collation)
	}
	if !withLen {
		return name
	}
	return name + "(" + strconv.Itoa(l) + ")"
}

func isLatin1(collation uint64) bool {
	switch collation {
	case 5, 8, 15, 31, 47, 48, 49, 94:
		return true
	}
	return false
}

// maxCharBytes is the maximum bytes per character of a collation's charset (collationMaxLen;
// 1 for single-byte and unknown collations, so that an unknown charset makes the copy's column
// longer, never shorter, than the source's).
func maxCharBytes(collation uint64) int {
	if n, ok := collationMaxLen[collation]; ok {
		return n
	}
	return 1
}
