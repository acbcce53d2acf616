package sink

import (
	"strings"

	"github.com/ferry-cdc/ferry/pkg/event"
)

// IsBytes reports whether event values of type ct are bytes encoded with event.EncodeBytes:
// binary strings and blobs, and the spatial/vector types the tailer reads as raw bytes.
func IsBytes(ct event.ColumnType) bool {
	return ct.IsBinary() || ct.Base == "geometry" || ct.Base == "vector"
}

// MapDatabase maps a source database name to a copy database name: every "{db}" in template is
// replaced by the source name ("{db}_copy" -> "shop_copy"); a template without "{db}" is a fixed
// name used for every source database.
func MapDatabase(template, source string) string {
	if strings.Contains(template, "{db}") {
		return strings.ReplaceAll(template, "{db}", source)
	}
	return template
}

// MetaColumnVersion and MetaColumnDeleted are the copy's own columns; MetaTablePrefix starts
// the names of the copy's bookkeeping tables, which get no views.
const (
	MetaColumnVersion = "_version"
	MetaColumnDeleted = "_deleted"
	MetaTablePrefix   = "_ferry_"
	DDLAppliedTable   = "_ferry_ddl_applied"
)

// IsMetaColumn reports whether name is one of the copy's own columns (MetaColumnRowKey too).
func IsMetaColumn(name string) bool {
	return name == MetaColumnVersion || name == MetaColumnDeleted || name == MetaColumnRowKey
}
