// Package event defines Ferry's change-event format: the JSON message the binlog tailer publishes to
// RocketMQ and the replayer and backfill read. It is compatible with Canal's FlatMessage (id,
// database, table, pkNames, isDdl, type, es, ts, sql, sqlType, mysqlType, data, old) and adds Ferry's
// own fields under "ferry" (format, epoch, versions, binlog coordinates, GTID, column order).
//
// Every column value is a JSON string or null (see value.go for the lossless encodings), versions
// follow docs/design.md section 1 (see version.go), and queue placement follows docs/design.md section 4 (see
// placement.go). The specification for non-Go consumers is schemas/change-event.md.
package event

// Format is the value of Meta.Format written by this package.
const Format = 1

// Row operation types (Message.Type when IsDDL is false).
const (
	TypeInsert = "INSERT"
	TypeUpdate = "UPDATE"
	TypeDelete = "DELETE"
)

// DDL types (Message.Type when IsDDL is true), as Canal names them.
const (
	TypeCreate   = "CREATE"   // CREATE TABLE (also CREATE OR REPLACE TABLE)
	TypeAlter    = "ALTER"    // ALTER TABLE
	TypeErase    = "ERASE"    // DROP TABLE
	TypeTruncate = "TRUNCATE" // TRUNCATE TABLE
	TypeRename   = "RENAME"   // RENAME TABLE
	TypeCIndex   = "CINDEX"   // CREATE INDEX
	TypeDIndex   = "DINDEX"   // DROP INDEX
	TypeQuery    = "QUERY"    // any other statement (CREATE DATABASE, views, grants, ...)
)

// IsRowType reports whether t is a row operation type.
func IsRowType(t string) bool {
	return t == TypeInsert || t == TypeUpdate || t == TypeDelete
}

// IsDDLType reports whether t is a DDL type.
func IsDDLType(t string) bool {
	switch t {
	case TypeCreate, TypeAlter, TypeErase, TypeTruncate, TypeRename, TypeCIndex, TypeDIndex, TypeQuery:
		return true
	}
	return false
}

// Message is one change event: rows of one table and one operation, in binlog order.
type Message struct {
	ID        int64                `json:"id"`        // per-tailer sequence (Canal: batch id)
	Database  string               `json:"database"`  // source database (schema) name
	Table     string               `json:"table"`     // source table name ("" for some DDL)
	PKNames   []string             `json:"pkNames"`   // primary key column names, in key order
	IsDDL     bool                 `json:"isDdl"`     // true for DDL messages
	Type      string               `json:"type"`      // Type* constant
	ES        int64                `json:"es"`        // source event time, ms since epoch
	TS        int64                `json:"ts"`        // time the tailer built the message, ms
	SQL       string               `json:"sql"`       // DDL text ("" for rows)
	SQLType   map[string]int       `json:"sqlType"`   // java.sql.Types code per column (Canal)
	MySQLType map[string]string    `json:"mysqlType"` // column type as in SHOW CREATE, e.g. "decimal(12,2)"
	Data      []map[string]*string `json:"data"`      // row images (after image; before image for DELETE); nil = SQL NULL
	Old       []map[string]*string `json:"old"`       // UPDATE only: old values of changed columns (Canal)
	GTID      string               `json:"gtid"`      // Canal's gtid: executed GTID set once this transaction committed ("" unknown)
	Ferry     *Meta                `json:"ferry"`     // Ferry's own fields; required

	cols [][]*string  // DecodeColumnsShared's data images in Ferry.Columns order (Data is nil)
	enc  *encodedRows // data images already encoded (EncodeValues, EncodeImage; Data and cols nil)
}

// Meta holds Ferry's own fields.
type Meta struct {
	Format   int      `json:"format"`             // Format (1)
	Epoch    uint8    `json:"epoch"`              // source epoch, also the top 8 bits of every version
	Versions []uint64 `json:"versions"`           // one per Data row (DDL: exactly one); strictly increasing in binlog order
	File     string   `json:"file"`               // binlog file of the event
	Pos      uint64   `json:"pos"`                // start position of the (first) event
	GTID     string   `json:"gtid,omitempty"`     // GTID of the transaction (MariaDB d-s-n or MySQL uuid:n)
	ServerID uint32   `json:"serverId"`           // server id that wrote the event
	Snapshot bool     `json:"snapshot,omitempty"` // true for backfill rows
	Columns  []string `json:"columns"`            // column order of the table at event time
	DDLCopy  *DDLCopy `json:"ddlCopy,omitempty"`  // set on the copies of a DDL for queues 1..n (see DDLCopy)
	Queues   int      `json:"queues,omitempty"`   // DDL: the tailer sent a copy to each of queues 0..Queues-1 (0: unknown)
}

// DDLCopy marks a copy of a DDL message sent to a queue other than queue 0. Canal sends a DDL to
// queue 0 only; Ferry sends it to every queue (each queue must see it before the rows after it),
// so that a Canal consumer does not run it once per queue, a copy's wire form looks like a
// statement a Canal client skips: "type" is QUERY, "sql" is "" and "pkNames" is [], and the real
// type and statement travel here. Decode puts them back into Message.Type and Message.SQL, so Go
// consumers see every copy as the same DDL; AppendJSON writes the wire form from those fields.
type DDLCopy struct {
	Type string `json:"type"` // the DDL's type (Type* constant)
	SQL  string `json:"sql"`  // the statement
}

// MarkDDLCopy turns m, a DDL message, into the copy for a queue other than queue 0 (see DDLCopy).
func (m *Message) MarkDDLCopy() {
	if m.IsDDL && m.Ferry != nil {
		m.Ferry.DDLCopy = &DDLCopy{Type: m.Type, SQL: m.SQL}
	}
}

// restoreDDLCopy puts a decoded copy's real type and statement back into m (see DDLCopy).
func (m *Message) restoreDDLCopy() {
	if m.IsDDL && m.Ferry != nil && m.Ferry.DDLCopy != nil {
		m.Type, m.SQL = m.Ferry.DDLCopy.Type, m.Ferry.DDLCopy.SQL
		m.PKNames = nil // the wire form's [] (see wireTypeSQL); a DDL has no key
	}
}

// wireTypeSQL returns the "type" and "sql" a message is written with: a DDL copy's are blanked.
func (m *Message) wireTypeSQL() (typ, sql string, pkNames []string) {
	if m.IsDDL && m.Ferry != nil && m.Ferry.DDLCopy != nil {
		return TypeQuery, "", []string{}
	}
	return m.Type, m.SQL, m.PKNames
}

// Str returns a pointer to s, for building Data maps.
func Str(s string) *string { return &s }
