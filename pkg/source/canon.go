package source

import (
	"regexp"
	"strings"
)

// Kind is the canonical form a column is compared in by verify. Both sides of a comparison
// render a column to the same text for the same value, so one hash function (MD5) over the same
// bytes gives the same row hash on MariaDB and ClickHouse.
type Kind int

// Canonical kinds.
const (
	KindText     Kind = iota // text as stored (CHAR, VARCHAR, TEXT, JSON, ENUM, SET, TIME)
	KindInt                  // decimal text of an integer (all INT types, YEAR, BIT)
	KindBit                  // BIT: decimal text of the unsigned value
	KindDecimal              // exact decimal text without trailing fraction zeros ("12.3", "100")
	KindFloat                // shortest text of a DOUBLE (best effort across engines)
	KindFloat32              // FLOAT: shortest text of its value widened to double
	KindDate                 // "2006-01-02"
	KindDateTime             // "2006-01-02 15:04:05" plus fsp fraction digits (UTC for TIMESTAMP)
	KindBinary               // upper-case hex of the bytes
)

// IsFloat reports the float kinds, whose canonical text is not converted back for key lookups.
func (k Kind) IsFloat() bool { return k == KindFloat || k == KindFloat32 }

// Column is one compared column with the canonical form both sides agree on.
type Column struct {
	Name string
	Kind Kind
	// FSP is the number of fraction digits compared for KindDateTime: the source's precision,
	// lowered to what the copy keeps (0 for a ClickHouse DateTime, which stores seconds).
	FSP int
	// ColFSP is the source column's own fraction digits.
	ColFSP int
	// Scale is a DECIMAL column's number of fraction digits.
	Scale int
	// Convert is set for text columns not in utf8mb4, whose bytes must be converted to UTF-8
	// (as the change events carry them) before hashing.
	Convert bool
}

// KindOf maps an information_schema DATA_TYPE of the source to a canonical kind.
func KindOf(dataType string) Kind {
	switch strings.ToLower(dataType) {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year":
		return KindInt
	case "bit":
		return KindBit
	case "decimal", "numeric":
		return KindDecimal
	case "float":
		return KindFloat32
	case "double", "real":
		return KindFloat
	case "date":
		return KindDate
	case "datetime", "timestamp":
		return KindDateTime
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob",
		"uuid", "inet6", "inet4": // MariaDB's UUID/INET types: the stream carries their stored bytes
		return KindBinary
	}
	return KindText
}

// DateTimeLen is the length of a canonical datetime text with fsp fraction digits.
func DateTimeLen(fsp int) int {
	if fsp == 0 {
		return 19
	}
	return 20 + fsp
}

// TrimZeros are the pattern and replacement arguments (the same SQL text on MariaDB and
// ClickHouse) that drop a decimal's trailing fraction zeros and a bare trailing point:
// "12.30" -> "12.3", "5.00" -> "5", "100" stays. MariaDB's CAST keeps the column's scale while
// ClickHouse 21.9+ toString(Decimal) drops trailing zeros (18.16 keeps them): the canonical text
// is the trimmed one on both sides.
const TrimZeros = `'(\\.[0-9]*[1-9])0+$|\\.0+$', '\\1'`

// HexText matches the canonical text of a binary value.
var HexText = regexp.MustCompile(`^[0-9A-Fa-f]*$`)

// NumericLiteral matches a canonical number that can be written as an unquoted SQL literal.
var NumericLiteral = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// Key is a primary key value tuple rendered as canonical text, in key column order.
type Key []string

// String joins the key values with NUL, giving a map key that cannot collide between tuples.
func (k Key) String() string { return strings.Join(k, "\x00") }

// KeyRange is the half-open key interval (Lo, Hi]; a nil Lo is unbounded below, a nil Hi
// unbounded above. Chunks are consecutive ranges, so together they cover every possible key:
// rows that exist only in the copy fall into some chunk too.
type KeyRange struct {
	Lo, Hi Key
}

// Checksum is the order-independent summary of the rows of one key range on one side: row
// count, XOR and sum (mod 2^64) of the 64-bit row hashes. Equal checksums mean equal rows with
// overwhelming probability; the count makes cancelling XOR pairs visible.
type Checksum struct {
	Count int64
	Xor   uint64
	Sum   uint64
}

// KeyHash is a row's canonical key and row hash.
type KeyHash struct {
	Key  Key
	Hash uint64
}
