package chsink

import (
	"strings"

	"github.com/ferry-cdc/ferry/pkg/sink"
)

// Name is the engine's name: the value of --sink and of the sink label in metrics.
const Name = "clickhouse"

// identEscaper escapes a backquoted identifier: ClickHouse reads a backslash as an escape
// character inside backquotes too (`a\`b` is the name a`b), so both the backslash and the
// backquote get one.
var identEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`")

// stringEscaper escapes a single-quoted string literal.
var stringEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

// Quote returns name as a backquoted ClickHouse identifier (any name, including backquotes,
// backslashes, quotes, spaces and non-ASCII characters).
func Quote(name string) string { return "`" + identEscaper.Replace(name) + "`" }

// QuoteString returns s as a single-quoted ClickHouse string literal.
func QuoteString(s string) string { return "'" + stringEscaper.Replace(s) + "'" }

// quote is Quote under the name the package's statements use.
var quote = Quote

// versionCol and deletedCol are the copy's own columns, quoted.
var versionCol, deletedCol = Quote(sink.MetaColumnVersion), Quote(sink.MetaColumnDeleted)
