package event

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrMalformed is wrapped by every error that Decode and Validate return for a message that does not
// follow the format.
var ErrMalformed = errors.New("malformed change event")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Encode validates m and returns its JSON encoding (AppendJSON). HTML characters are not escaped.
func Encode(m *Message) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("encode change event: %w", err)
	}
	b, err := AppendJSON(nil, m)
	if err != nil {
		return nil, fmt.Errorf("encode change event: %w", err)
	}
	return b, nil
}

// Decode parses and validates one message body. Unknown fields are ignored so that additive format
// changes stay readable. Every error wraps ErrMalformed.
func Decode(b []byte) (*Message, error) {
	if !utf8.Valid(b) {
		return nil, malformed("body is not valid UTF-8")
	}
	var m Message
	keys, err := decodeFast(b, &m)
	if err != nil {
		return nil, malformed("parse JSON: %v", err)
	}
	m.restoreDDLCopy()
	if err := m.validate(keys, false); err != nil {
		return nil, err
	}
	return &m, nil
}

// Validate checks the invariants of the format; the error wraps ErrMalformed and names the field.
func (m *Message) Validate() error { return m.validate(nil, false) }

// ValidateForEncoding is Validate without the UTF-8 check of images given as values
// (AddValues), for a caller that next encodes every such value with EncodeValues, which fails on
// a value that is not valid UTF-8 and names it: Publish. Each value is then read once, not twice
// (the check cost about 5% of a backfill's CPU).
func (m *Message) ValidateForEncoding() error { return m.validate(nil, true) }

// validate checks m. decodedKeys is nil, or, for a message that Decode parsed from a valid UTF-8
// body (so every value is valid UTF-8), the set of column names its images use: then each name
// is checked once instead of once per row. encoderChecksUTF8 skips the UTF-8 check of values-form
// images (ValidateForEncoding).
func (m *Message) validate(decodedKeys map[string]string, encoderChecksUTF8 bool) error {
	if m == nil {
		return malformed("message is nil")
	}
	if m.Ferry == nil {
		return malformed("missing \"ferry\" object")
	}
	if m.Ferry.Format != Format {
		return malformed("ferry.format is %d, this reader understands %d", m.Ferry.Format, Format)
	}
	if m.ID < 0 || m.ES < 0 || m.TS < 0 {
		return malformed("id, es and ts must not be negative")
	}
	if m.Database == "" {
		return malformed("missing database")
	}
	if m.IsDDL {
		return m.validateDDL()
	}
	return m.validateRows(decodedKeys, encoderChecksUTF8)
}

func (m *Message) validateDDL() error {
	if !IsDDLType(m.Type) {
		return malformed("unknown DDL type %q", m.Type)
	}
	if m.SQL == "" {
		return malformed("DDL message without sql")
	}
	if m.NumRows() != 0 || len(m.Old) != 0 {
		return malformed("DDL message with data rows")
	}
	if len(m.Ferry.Versions) != 1 {
		return malformed("DDL message needs exactly one version, has %d", len(m.Ferry.Versions))
	}
	if m.Ferry.Queues < 0 {
		return malformed("ferry.queues is %d, must not be negative", m.Ferry.Queues)
	}
	if d := m.Ferry.DDLCopy; d != nil && (d.Type != m.Type || d.SQL != m.SQL) {
		return malformed("ferry.ddlCopy (%s) differs from the message's type and sql (%s)", d.Type, m.Type)
	}
	return nil
}

func (m *Message) validateRows(decodedKeys map[string]string, encoderChecksUTF8 bool) error {
	if !IsRowType(m.Type) {
		return malformed("unknown row type %q (isDdl=false)", m.Type)
	}
	if m.Ferry.DDLCopy != nil {
		return malformed("%s.%s: ferry.ddlCopy on a row message", m.Database, m.Table)
	}
	if m.Table == "" {
		return malformed("row message without table")
	}
	if m.NumRows() == 0 {
		return malformed("%s.%s: row message without data", m.Database, m.Table)
	}
	if len(m.Ferry.Versions) != m.NumRows() {
		return malformed("%s.%s: %d versions for %d rows", m.Database, m.Table, len(m.Ferry.Versions), m.NumRows())
	}
	cols, err := m.columnSet()
	if err != nil {
		return err
	}
	if err := m.validateVersions(); err != nil {
		return err
	}
	if err := m.validateImages(cols, decodedKeys, encoderChecksUTF8); err != nil {
		return err
	}
	return validateTypeMaps(m, cols)
}

func (m *Message) columnSet() (map[string]bool, error) {
	if len(m.Ferry.Columns) == 0 {
		return nil, malformed("%s.%s: missing ferry.columns", m.Database, m.Table)
	}
	cols := make(map[string]bool, len(m.Ferry.Columns))
	for _, c := range m.Ferry.Columns {
		if c == "" || cols[c] {
			return nil, malformed("%s.%s: empty or duplicate column name %q in ferry.columns", m.Database, m.Table, c)
		}
		cols[c] = true
	}
	seen := make(map[string]bool, len(m.PKNames))
	for _, pk := range m.PKNames {
		if !cols[pk] || seen[pk] {
			return nil, malformed("%s.%s: pkNames entry %q is not a column or repeated", m.Database, m.Table, pk)
		}
		seen[pk] = true
	}
	return cols, nil
}

// validateVersions: streaming rows are strictly increasing (binlog order); snapshot rows read in one
// consistent snapshot share a version, so they only need to be non-decreasing.
func (m *Message) validateVersions() error {
	v := m.Ferry.Versions
	for i := 1; i < len(v); i++ {
		if v[i] < v[i-1] || (v[i] == v[i-1] && !m.Ferry.Snapshot) {
			return malformed("%s.%s: versions not increasing at row %d (%d after %d)", m.Database, m.Table, i, v[i], v[i-1])
		}
	}
	return nil
}

func (m *Message) validateImages(cols map[string]bool, decodedKeys map[string]string, encoderChecksUTF8 bool) error {
	if len(m.Old) != 0 && (m.Type != TypeUpdate || len(m.Old) != m.NumRows()) {
		return malformed("%s.%s: old must be absent or have one entry per row of an UPDATE", m.Database, m.Table)
	}
	for k := range decodedKeys {
		if !cols[k] {
			return malformed("%s.%s: row images have column %q that is not in ferry.columns", m.Database, m.Table, k)
		}
	}
	if err := m.checkValues(decodedKeys != nil || encoderChecksUTF8); err != nil {
		return err
	}
	for i, row := range m.Data {
		if row == nil {
			return malformed("%s.%s: data[%d] is null", m.Database, m.Table, i)
		}
		if decodedKeys == nil {
			if err := checkImage(m, "data", i, row); err != nil {
				return err
			}
		}
		for _, pk := range m.PKNames {
			if row[pk] == nil {
				return malformed("%s.%s: data[%d] primary key column %q is null or missing", m.Database, m.Table, i, pk)
			}
		}
	}
	if decodedKeys != nil {
		return nil
	}
	for i, row := range m.Old {
		if err := checkImage(m, "old", i, row); err != nil {
			return err
		}
	}
	return nil
}

// checkImage checks that row i of field uses only columns of ferry.columns and holds valid
// UTF-8. It looks the columns up rather than ranging over the map (several times faster on the
// publish path); only a row with a foreign column is ranged over, to name it.
func checkImage(m *Message, field string, i int, row map[string]*string) error {
	found := 0
	for _, k := range m.Ferry.Columns {
		v, ok := row[k]
		if !ok {
			continue
		}
		found++
		if v != nil && !utf8.ValidString(*v) {
			return malformed("%s.%s: %s[%d].%s is not valid UTF-8 (encode binary values with EncodeBytes)", m.Database, m.Table, field, i, k)
		}
	}
	if found == len(row) {
		return nil
	}
	for k := range row {
		if !contains(m.Ferry.Columns, k) {
			return malformed("%s.%s: %s[%d] has column %q that is not in ferry.columns", m.Database, m.Table, field, i, k)
		}
	}
	return nil
}

func validateTypeMaps(m *Message, cols map[string]bool) error {
	for k := range m.SQLType {
		if !cols[k] {
			return malformed("%s.%s: sqlType has column %q that is not in ferry.columns", m.Database, m.Table, k)
		}
	}
	for k := range m.MySQLType {
		if !cols[k] {
			return malformed("%s.%s: mysqlType has column %q that is not in ferry.columns", m.Database, m.Table, k)
		}
	}
	return nil
}

// RowKey returns a stable key of row i built from its primary key values, used for queue hashing and
// sink deduplication. With one PK column it is the value itself; with several, each value is written
// as "<byte length>:<value>" and the parts are joined, so different keys never collide. A message
// without pkNames (no-PK table under the all-columns policy) uses every column in ferry.columns
// order, NULL written as "~". It returns "" for DDL or an out-of-range i.
func (m *Message) RowKey(i int) string {
	if m.IsDDL || i < 0 || i >= m.NumRows() || m.Ferry == nil {
		return ""
	}
	if m.enc != nil {
		if i == 0 {
			return m.enc.key0
		}
		return "" // an encoded image's key is not kept
	}
	if m.cols != nil {
		return ValuesKey(m.PKNames, m.Ferry.Columns, m.cols[i])
	}
	return ImageKey(m.PKNames, m.Ferry.Columns, m.Data[i])
}

// ImageKey is RowKey for a row image given as a map, of a message of pkNames (all of columns
// when empty) and columns.
func ImageKey(pkNames, columns []string, row map[string]*string) string {
	if len(pkNames) == 1 {
		if v := row[pkNames[0]]; v != nil {
			return *v
		}
		return "~"
	}
	if len(pkNames) == 0 {
		pkNames = columns
	}
	return KeyOf(pkNames, row)
}

// KeyOf builds the multi-column key that RowKey uses for the named columns of row.
func KeyOf(names []string, row map[string]*string) string {
	var b strings.Builder
	for _, n := range names {
		writeKeyPart(&b, row[n])
	}
	return b.String()
}
